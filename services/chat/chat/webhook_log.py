"""Outbound webhook deliveries for platform staff: every endpoint's messages with their status,
attempts and last error, across organisations, and redelivery of one of them.

The parties' own view (one endpoint at a time) is ``chat.webhooks.deliveries``; staff look across
endpoints to find what is failing where. Pages are by keyset on the message's sequence number.
"""

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from chassis.access import is_staff
from chat import webhooks
from chat.models import webhook_attempts, webhook_endpoints, webhook_messages
from chat.rows import plain
from contracts.errors import Forbidden, InvalidRequest, NotFound

MAX_PAGE = 200
STATUSES = (webhooks.PENDING, webhooks.DELIVERED, webhooks.FAILED)


class DeliveryQuery(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    org = fields.String(validate=validate.Length(min=1, max=100))
    endpoint_id = fields.String(validate=validate.Length(min=1, max=100))
    event_type = fields.String(validate=validate.Length(min=1, max=100))
    before = fields.Integer(strict=True, validate=validate.Range(min=1))
    limit = fields.Integer(strict=True, load_default=50, validate=validate.Range(1, MAX_PAGE))


def _require_staff(actor: dict, admin_only: bool = False) -> None:
    if not is_staff(actor) or (admin_only and actor["role"] != "admin"):
        raise Forbidden(
            "only platform " + ("admins" if admin_only else "staff") + " may do this",
            {"role": actor["role"]},
        )


def deliveries(session, actor: dict, query: dict) -> dict:
    """Messages newest first, by status, organisation, endpoint and event type, each with its
    number of attempts and its last attempt's answer or error."""
    _require_staff(actor)
    try:
        query = DeliveryQuery().load(query)
    except ValidationError as error:
        raise InvalidRequest("invalid delivery query", {"errors": error.messages}) from None
    messages, endpoints = webhook_messages.c, webhook_endpoints.c
    statement = (
        select(
            messages.seq,
            messages.id,
            messages.endpoint_id,
            endpoints.org,
            endpoints.url,
            endpoints.enabled,
            messages.event_id,
            messages.event_type,
            messages.status,
            messages.attempts,
            messages.next_attempt_at,
            messages.created_at,
        )
        .join(webhook_endpoints, endpoints.id == messages.endpoint_id)
        .order_by(messages.seq.desc())
        .limit(query["limit"] + 1)
    )
    conditions = {
        "status": messages.status,
        "org": endpoints.org,
        "endpoint_id": messages.endpoint_id,
        "event_type": messages.event_type,
    }
    for name, column in conditions.items():
        if name in query:
            statement = statement.where(column == query[name])
    if "before" in query:
        statement = statement.where(messages.seq < query["before"])
    rows = session.execute(statement).all()
    page = [plain(row) for row in rows[: query["limit"]]]
    last = _last_attempts(session, [item["id"] for item in page])
    for item in page:
        item["last_attempt"] = last.get(item["id"])
    return {
        "items": page,
        "next_cursor": str(page[-1]["seq"]) if len(rows) > len(page) else None,
    }


def _last_attempts(session, message_ids: list[str]) -> dict[str, dict]:
    attempts = webhook_attempts.c
    latest = (
        select(func.max(attempts.seq))
        .where(attempts.message_id.in_(message_ids))
        .group_by(attempts.message_id)
    )
    rows = session.execute(
        select(
            attempts.message_id,
            attempts.attempt,
            attempts.status_code,
            attempts.error,
            attempts.latency_ms,
            attempts.attempted_at,
        ).where(attempts.seq.in_(latest))
    ).all()
    return {
        row.message_id: {k: v for k, v in plain(row).items() if k != "message_id"} for row in rows
    }


def redeliver(session, actor: dict, message_id: str, now) -> dict:
    """Queue the message for delivery again now, whatever its status (admins)."""
    _require_staff(actor, admin_only=True)
    endpoint_id = session.execute(
        select(webhook_messages.c.endpoint_id).where(webhook_messages.c.id == message_id)
    ).scalar()
    if endpoint_id is None:
        raise NotFound(f"Webhook message {message_id} not found")
    return webhooks.redeliver(session, actor, endpoint_id, message_id, now)
