"""``Idempotency-Key``: a retried mutating request gets the first answer, not a second effect.

Two layers keep that promise. Here, keys are stored per user in the gateway's own database: the
first request with a key reserves it; its answer is stored when it completes and replayed to
every retry with the same request, and a duplicate that arrives meanwhile is told "in progress".
Behind it, every mutating RPC carries a command id (``command_id()``: the key scoped to its
owner, or one made for the request), and the service records the command's outcome with its
effect (``chassis.commands``). So a request whose outcome the gateway could not learn (the
service was slow, the broker went away: 503) frees its key, and the retry reaches the service
with the same command id and gets the original outcome, whether it was already applied or not.
"""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from flask import current_app, g, request
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chassis.database import make_engine
from gateway.models import IdempotencyKey
from gateway.problems import Problem
from gateway.schemas import MAX_IDEMPOTENCY_KEY_LENGTH

HEADER = "Idempotency-Key"
MUTATING_METHODS = ("POST", "PUT", "PATCH", "DELETE")
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")
# A reservation this old belongs to a request whose gateway died before answering it; taking
# it over is safe, since the retry carries the same command id to the service.
ABANDONED_AFTER = timedelta(minutes=5)


class IdempotencyStore:
    def __init__(self, engine):
        self._engine = engine

    def reserve(self, user_id, key, method, path, fingerprint):
        """Reserve the key for this request: None if reserved, else the key's earlier use."""
        now = datetime.now(UTC)
        try:
            with Session(self._engine) as session, session.begin():
                session.add(
                    IdempotencyKey(
                        user_id=user_id,
                        key=key,
                        method=method,
                        path=path,
                        request_fingerprint=fingerprint,
                        created_at=now,
                    )
                )
            return None
        except IntegrityError:
            pass
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            reclaimed = session.execute(
                update(IdempotencyKey)
                .where(
                    IdempotencyKey.user_id == user_id,
                    IdempotencyKey.key == key,
                    IdempotencyKey.method == method,
                    IdempotencyKey.path == path,
                    IdempotencyKey.request_fingerprint == fingerprint,
                    IdempotencyKey.completed_at.is_(None),
                    IdempotencyKey.created_at < now - ABANDONED_AFTER,
                )
                .values(created_at=now)
            ).rowcount
            return None if reclaimed else session.get(IdempotencyKey, (user_id, key))

    def complete(self, user_id, key, status_code, headers, body):
        with Session(self._engine) as session, session.begin():
            session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
                .values(
                    status_code=status_code,
                    response_headers=headers,
                    response_body=body,
                    completed_at=datetime.now(UTC),
                )
            )

    def release(self, user_id, key):
        with Session(self._engine) as session, session.begin():
            session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
                )
            )


def init_app(app):
    app.extensions["idempotency"] = IdempotencyStore(
        make_engine(app.config["GATEWAY_DATABASE_URL"])
    )


def apply_to(blueprint):
    """Honour the header on the blueprint's mutating requests (after authentication)."""
    blueprint.before_request(_replay_or_reserve)
    blueprint.after_request(_record)


def _replay_or_reserve():
    key = request.headers.get(HEADER)
    if key is None or request.method not in MUTATING_METHODS:
        return None
    if not 0 < len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        message = f"Length must be between 1 and {MAX_IDEMPOTENCY_KEY_LENGTH}."
        raise Problem(422, "Invalid request", f"{HEADER}: {message}", errors={HEADER: [message]})
    fingerprint = hashlib.sha256(request.get_data()).hexdigest()
    earlier = _store().reserve(_owner(), key, request.method, request.path, fingerprint)
    if earlier is None:
        g.idempotency_key = key
        return None
    if (earlier.method, earlier.path, earlier.request_fingerprint) != (
        request.method,
        request.path,
        fingerprint,
    ):
        raise Problem(
            422,
            "Idempotency key reused",
            f"This {HEADER} was already used for another request",
            slug="idempotency-key-reused",
        )
    if earlier.completed_at is None:
        raise Problem(
            409,
            "Request in progress",
            f"A request with this {HEADER} is still in progress",
            slug="idempotency-key-in-progress",
            headers={"Retry-After": "1"},
        )
    return current_app.response_class(
        earlier.response_body,
        status=earlier.status_code,
        headers={**earlier.response_headers, "Idempotent-Replayed": "true"},
    )


def _record(response):
    key = g.pop("idempotency_key", None)
    if key is None:
        return response
    settled = response.status_code < 400 or g.pop("outcome_settled", False)
    if not settled:
        # Only a request that started executing keeps its result (Stripe's convention): after a
        # refusal of the request itself the client may fix it and send it again under the same
        # key; after a 5xx the retry asks the service again, under the same command id, and gets
        # the outcome of this request if it did take effect.
        _store().release(_owner(), key)
    else:
        headers = {name: value for name, value in response.headers if name in REPLAYED_HEADERS}
        _store().complete(
            _owner(), key, response.status_code, headers, response.get_data(as_text=True)
        )
    return response


def command_id():
    """The id of this request's command: the same for every retry with the same key."""
    if "command_id" not in g:
        key = request.headers.get(HEADER)
        scoped = f"{_owner()}\n{key}" if key else f"request\n{uuid.uuid4()}"
        g.command_id = hashlib.sha256(scoped.encode()).hexdigest()
    return g.command_id


def _owner():
    """Keys belong to one identity: the same ``sub`` in another organisation or role is another."""
    actor = g.actor
    return f"{actor['org']}/{actor['role']}/{actor['user_id']}"


def _store():
    return current_app.extensions["idempotency"]
