"""Outbound webhooks, the Standard Webhooks way.

An organisation (or the platform) subscribes an endpoint to event types; each endpoint has its
own ``whsec_`` secret. Every event chat consumes is queued for the matching endpoints in the
consumer's own transaction (an outbox), then delivered from here: signed with
``standardwebhooks``, the same ``webhook-id`` on every attempt, retried on the spec's schedule
with jitter (or after the receiver's ``Retry-After``), logged attempt by attempt. A ``410 Gone``
disables the endpoint at once; so do failures that last ``disable_after_days``.
"""

import base64
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from sqlalchemy import bindparam, delete, insert, or_, select, update
from standardwebhooks import Webhook

from chassis.access import is_staff
from chassis.clock import utc_now
from chassis.database import supports_skip_locked
from chat.models import webhook_attempts, webhook_endpoints, webhook_messages
from chat.notices import NOTICES
from chat.rows import plain
from contracts.catalogue import contract
from contracts.errors import Forbidden, InvalidRequest, NotFound

log = logging.getLogger(__name__)

# The spec's schedule: after the first attempt, retry after these delays (then give up).
RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
JITTER = 0.1  # up to 10% later, so that endpoints recovering together are not hit at once
MAX_RETRY_AFTER = timedelta(hours=10)
BATCH = 20
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
GONE = 410


# --- subscriptions ------------------------------------------------------------------------------


def subscribe(session, actor: dict, request: dict, now, policy) -> dict:
    org = _org_for(actor, request.get("org"))
    endpoint = {
        "id": str(uuid.uuid4()),
        "org": org,
        "url": check_url(request.get("url") or "", policy),
        "event_types": _checked_types(request.get("event_types")),
        "secret": new_secret(),
        "enabled": True,
        "disabled_reason": None,
        "failing_since": None,
        "created_by": actor["user_id"],
        "created_at": now,
    }
    session.execute(insert(webhook_endpoints).values(**endpoint))
    return _public(endpoint, with_secret=True)


def endpoints_of(session, actor: dict) -> list[dict]:
    statement = select(webhook_endpoints).order_by(webhook_endpoints.c.created_at)
    if not _manages_every_org(actor, reading=True):
        statement = statement.where(webhook_endpoints.c.org == actor["org"])
    return [_public(row._asdict()) for row in session.execute(statement)]


def change(session, actor: dict, endpoint_id: str, changes: dict, policy) -> dict:
    endpoint = _endpoint(session, actor, endpoint_id)
    values = {}
    if "url" in changes:
        values["url"] = check_url(changes["url"], policy)
    if "event_types" in changes:
        values["event_types"] = _checked_types(changes["event_types"])
    if changes.get("enabled") is True:  # re-enabling starts a fresh failure count
        values.update(enabled=True, disabled_reason=None, failing_since=None)
    elif changes.get("enabled") is False:
        values.update(enabled=False, disabled_reason="disabled by " + actor["user_id"])
    if values:
        session.execute(
            update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id).values(**values)
        )
    return _public({**endpoint, **values})


def rotate_secret(session, actor: dict, endpoint_id: str) -> dict:
    endpoint = _endpoint(session, actor, endpoint_id)
    secret = new_secret()
    session.execute(
        update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id).values(secret=secret)
    )
    return _public({**endpoint, "secret": secret}, with_secret=True)


def remove(session, actor: dict, endpoint_id: str) -> None:
    _endpoint(session, actor, endpoint_id)
    queued = select(webhook_messages.c.id).where(webhook_messages.c.endpoint_id == endpoint_id)
    session.execute(delete(webhook_attempts).where(webhook_attempts.c.message_id.in_(queued)))
    session.execute(delete(webhook_messages).where(webhook_messages.c.endpoint_id == endpoint_id))
    session.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))


def deliveries(session, actor: dict, endpoint_id: str, query: dict) -> dict:
    """The endpoint's messages, newest first, each with its attempts: the delivery log."""
    _endpoint(session, actor, endpoint_id, reading=True)
    limit = min(int(query.get("limit") or 50), 200)
    statement = (
        select(webhook_messages)
        .where(webhook_messages.c.endpoint_id == endpoint_id)
        .order_by(webhook_messages.c.seq.desc())
        .limit(limit + 1)
    )
    if query.get("before"):
        statement = statement.where(webhook_messages.c.seq < int(query["before"]))
    if query.get("status"):
        statement = statement.where(webhook_messages.c.status == query["status"])
    rows = session.execute(statement).all()
    items = [plain(row) for row in rows[:limit]]
    tries = session.execute(
        select(webhook_attempts)
        .where(webhook_attempts.c.message_id.in_([item["id"] for item in items]))
        .order_by(webhook_attempts.c.seq)
    ).all()
    for item in items:
        item["attempt_log"] = [
            {k: v for k, v in plain(t).items() if k not in ("seq", "message_id")}
            for t in tries
            if t.message_id == item["id"]
        ]
    return {
        "items": items,
        "next_cursor": str(items[-1]["seq"]) if len(rows) > limit else None,
    }


def redeliver(session, actor: dict, endpoint_id: str, message_id: str, now) -> dict:
    _endpoint(session, actor, endpoint_id)
    changed = session.execute(
        update(webhook_messages)
        .where(webhook_messages.c.id == message_id, webhook_messages.c.endpoint_id == endpoint_id)
        .values(status=PENDING, next_attempt_at=now)
    ).rowcount
    if not changed:
        raise NotFound(f"Webhook message {message_id} not found")
    return {"id": message_id, "status": PENDING}


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


# --- who manages an organisation's endpoints (docs/adr/0010-platform-staff-identity.md) ---------


def _manages_every_org(actor: dict, reading: bool = False) -> bool:
    """Platform admins manage every endpoint; platform support may read them all.

    Anyone else must be their organisation's admin (an ``admin`` token of that organisation):
    buyers and suppliers use the organisation's orders, they do not wire its systems to them.
    """
    if is_staff(actor) and (actor["role"] == "admin" or reading):
        return True
    if actor["role"] != "admin":
        raise Forbidden(
            "Only your organisation's admin (or a platform admin) manages webhook endpoints",
            {"role": actor["role"]},
        )
    return False


def _org_for(actor: dict, requested: str | None) -> str | None:
    if _manages_every_org(actor):
        return requested  # None: the platform's own endpoint, for every order
    if requested not in (None, actor["org"]):
        raise Forbidden("You may subscribe webhooks for your own organisation only")
    return actor["org"]


def _endpoint(session, actor: dict, endpoint_id: str, reading: bool = False) -> dict:
    every_org = _manages_every_org(actor, reading)
    row = session.execute(
        select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
    ).first()
    if row is None or (not every_org and row.org != actor["org"]):
        raise NotFound(f"Webhook endpoint {endpoint_id} not found")
    return row._asdict()


def _checked_types(event_types) -> list[str]:
    event_types = list(event_types or [])
    unknown = sorted(set(event_types) - set(NOTICES))
    if not event_types or unknown:
        raise InvalidRequest(
            "Choose event types from those webhooks carry",
            {"errors": {"event_types": [f"unknown: {', '.join(unknown)}" if unknown else "empty"]}},
        )
    return sorted(set(event_types))


def _public(endpoint: dict, with_secret=False) -> dict:
    shown = {k: v for k, v in endpoint.items() if k != "secret" or with_secret}
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in shown.items()}


# --- where an endpoint may point ----------------------------------------------------------------


def check_url(url: str, policy) -> str:
    """The URL if deliveries may go there: HTTPS to a public address, or a host the
    configuration allows (``WEBHOOK_ALLOWED_PRIVATE``, e.g. 127.0.0.1 in tests)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    allowed = _allowed(host, policy)
    if parts.scheme != "https" and not (parts.scheme == "http" and allowed):
        raise _bad_url("must be an https:// URL")
    if not host:
        raise _bad_url("has no host")
    if not allowed:
        for address in _addresses(host):
            if not address.is_global or address.is_multicast:
                raise _bad_url(f"resolves to a private or reserved address ({address})")
    return url.strip()


def _allowed(host: str, policy) -> bool:
    if not host:
        return False
    for entry in policy.allowed_private:
        if entry == host:
            return True
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if any(address in network for address in _addresses(host, quiet=True)):
            return True
    return False


def _addresses(host: str, quiet=False):
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        if quiet:
            return []
        raise _bad_url(f"host {host} does not resolve") from None
    return {ipaddress.ip_address(info[4][0]) for info in infos}


def _bad_url(reason: str) -> InvalidRequest:
    return InvalidRequest(f"The endpoint URL {reason}", {"errors": {"url": [reason]}})


# --- the outbox and its delivery ------------------------------------------------------------------


_ENABLED_ENDPOINTS = select(webhook_endpoints.c.id, webhook_endpoints.c.event_types).where(
    webhook_endpoints.c.enabled.is_(True),
    or_(
        webhook_endpoints.c.org.is_(None),
        webhook_endpoints.c.org.in_(bindparam("orgs", expanding=True)),
    ),
)


_ADD_MESSAGES = insert(webhook_messages)


class Subscriptions:
    """The enabled endpoints that may see an order, read once per pair of parties for a batch
    of events (a burst of one marketplace's orders reads them once). An endpoint removed while
    the batch runs fails its message's foreign key: the batch is then applied event by event,
    each reading the endpoints again."""

    def __init__(self, session):
        self._session = session
        self._of_parties: dict[tuple[str, str], list] = {}

    def targets(self, event_type: str, order: dict) -> list[str]:
        """The endpoints subscribed to ``event_type`` that may see ``order``."""
        parties = (order["buyer_org"], order["supplier_org"])
        if parties not in self._of_parties:
            self._of_parties[parties] = self._session.execute(
                _ENABLED_ENDPOINTS, {"orgs": list(parties)}
            ).all()
        return [row.id for row in self._of_parties[parties] if event_type in row.event_types]


def enqueue(session, event, order: dict, subscriptions: Subscriptions, now) -> int:
    """Queue the event for every enabled endpoint subscribed to it that may see the order."""
    targets = subscriptions.targets(event.event_type, order)
    if not targets:
        return 0
    schema = contract(event.event_type).schema(event.schema_version)
    payload = {
        "type": event.event_type,
        "timestamp": event.occurred_at,
        "data": schema.dump(event.data),
    }
    session.execute(
        _ADD_MESSAGES,
        [
            {
                "id": "msg_" + uuid.uuid4().hex,
                "endpoint_id": endpoint_id,
                "event_id": event.event_id,
                "event_type": event.event_type,
                "payload": json.loads(json.dumps(payload, default=str)),
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for endpoint_id in targets
        ],
    )
    return len(targets)


def deliver_due(uow, policy, clock) -> int:
    """Attempt every message that is due once; returns how many were attempted."""
    with uow.transaction() as tx:
        statement = (
            select(webhook_messages, webhook_endpoints.c.url, webhook_endpoints.c.secret)
            .join(webhook_endpoints, webhook_endpoints.c.id == webhook_messages.c.endpoint_id)
            .where(
                webhook_messages.c.status == PENDING,
                webhook_messages.c.next_attempt_at <= clock(),
                webhook_endpoints.c.enabled.is_(True),
            )
            .order_by(webhook_messages.c.seq)
            .limit(BATCH)
        )
        if supports_skip_locked(tx.session.get_bind()):
            statement = statement.with_for_update(of=webhook_messages, skip_locked=True)
        due = tx.session.execute(statement).all()
        for message in due:
            _attempt(tx.session, message._asdict(), policy, clock)
    return len(due)


def _attempt(session, message: dict, policy, clock) -> None:
    attempt = message["attempts"] + 1
    body = json.dumps(message["payload"], separators=(",", ":"))
    status, error, retry_after = None, None, None
    started = time.monotonic()
    try:
        check_url(message["url"], policy)  # the name may resolve elsewhere since it was checked
        response = requests.post(
            message["url"],
            data=body.encode(),
            headers=_signed_headers(message["secret"], message["id"], body),
            timeout=policy.timeout_s,
            allow_redirects=False,
        )
        status = response.status_code
        retry_after = _retry_after(response.headers.get("Retry-After"))
    except (requests.RequestException, InvalidRequest) as exc:
        error = str(exc)[:1000]
    latency_ms = int((time.monotonic() - started) * 1000)
    now = clock()
    session.execute(
        insert(webhook_attempts).values(
            message_id=message["id"],
            attempt=attempt,
            status_code=status,
            error=error,
            latency_ms=latency_ms,
            attempted_at=now,
        )
    )
    endpoints = webhook_endpoints.c
    if status is not None and 200 <= status < 300:
        _set_message(session, message, attempt, DELIVERED, None)
        session.execute(
            update(webhook_endpoints)
            .where(endpoints.id == message["endpoint_id"])
            .values(failing_since=None)
        )
        return
    if status == GONE:
        _set_message(session, message, attempt, FAILED, None)
        _disable(session, message["endpoint_id"], "the receiver answered 410 Gone")
        return
    session.execute(
        update(webhook_endpoints)
        .where(endpoints.id == message["endpoint_id"], endpoints.failing_since.is_(None))
        .values(failing_since=now)
    )
    failing_since = session.execute(
        select(endpoints.failing_since).where(endpoints.id == message["endpoint_id"])
    ).scalar_one()
    if failing_since is not None and now - failing_since >= timedelta(
        days=policy.disable_after_days
    ):
        _disable(session, message["endpoint_id"], "deliveries failed for too long")
    if attempt > len(RETRY_SCHEDULE):
        _set_message(session, message, attempt, FAILED, None)
        return
    delay = RETRY_SCHEDULE[attempt - 1] * (1 + random.uniform(0, JITTER))
    if retry_after is not None:
        delay = max(delay, retry_after)
    _set_message(session, message, attempt, PENDING, now + delay)


def _set_message(session, message, attempts, status, next_attempt_at):
    session.execute(
        update(webhook_messages)
        .where(webhook_messages.c.id == message["id"])
        .values(attempts=attempts, status=status, next_attempt_at=next_attempt_at)
    )


def _disable(session, endpoint_id, reason):
    log.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)
    session.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(enabled=False, disabled_reason=reason)
    )


def _signed_headers(secret: str, message_id: str, body: str) -> dict:
    # The signature's timestamp is the real time of sending: receivers check it against theirs.
    sent_at = utc_now()
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, sent_at, body),
    }


def _retry_after(value: str | None) -> timedelta | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: the schedule decides
    return min(timedelta(seconds=max(seconds, 0)), MAX_RETRY_AFTER)
