"""What one event of an order changes in the projection: pure, so that live events and a
rebuild from history go through the same rules."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# The buyer's verdict at inspection (seed 000: accepted, partly accepted, rejected, re-work).
VERDICTS = {
    "order.accepted": "accepted",
    "order.partly_accepted": "partly_accepted",
    "order.rejected": "rejected",
    "order.rework_requested": "rework",
}
# The moment each of these events marks, as a column of the order's facts.
MOMENTS = {
    "order.approved": "approved_at",
    "order.delivered": "delivered_at",
    "order.completed": "completed_at",
}
# Chat's: the time a party takes to answer the other in an order's conversation.
MESSAGE_POSTED = "message.posted"
EVENT_TYPES = (
    "order.placed",
    "order.cancelled",
    "review.posted",
    *MOMENTS,
    *VERDICTS,
    MESSAGE_POSTED,
)
# The conversation between an order's buyer and supplier: where one party waits for the other.
ORDER_CONVERSATION = "order"
# Who reviews whom: the reviewer's role names the side of the organisation reviewed.
REVIEWED_SIDE = {"buyer": "supplier", "supplier": "buyer"}


@dataclass(frozen=True)
class Change:
    order_id: str
    parties: dict[str, str]  # the columns a row needs when this event is the order's first
    facts: dict[str, Any] = field(default_factory=dict)  # columns of the order's facts to set
    verdict: str | None = None
    review: dict[str, Any] | None = None
    message: dict[str, Any] | None = None  # a message one party posted to the other


def change(event_type: str, data: dict[str, Any], occurred_at: datetime) -> Change:
    if event_type == MESSAGE_POSTED:
        return _message(data, occurred_at)
    parties = {
        "buyer_org": data["buyer_org"],
        "supplier_org": data["supplier_org"],
        "workflow": data["workflow"],
    }
    order_id = data["order_id"]
    if event_type == "order.placed":
        facts = {
            "title": data.get("title") or "",
            "placed_at": occurred_at,
            "committed_deliver_by": _date(data.get("committed_deliver_by")),
        }
        return Change(order_id, parties, facts)
    if event_type == "order.cancelled":
        facts = {
            "cancelled_at": occurred_at,
            "cancelled_by": data["by"],
            "counts_against_supplier": bool(data.get("counts_against_supplier")),
        }
        return Change(order_id, parties, facts)
    if event_type == "review.posted":
        role = data["reviewer_role"]
        reviewed = REVIEWED_SIDE.get(role)
        if reviewed is None:
            return Change(order_id, parties)
        review = {
            "review_id": f"{order_id}:{role}",
            "order_id": order_id,
            "reviewer_role": role,
            "reviewer_org": data[f"{role}_org"],
            "reviewee_org": data[f"{reviewed}_org"],
            "rating": data["rating"],
            "comment": data.get("comment") or "",
            "posted_at": occurred_at,
        }
        return Change(order_id, parties, review=review)
    if event_type in VERDICTS:
        return Change(order_id, parties, verdict=VERDICTS[event_type])
    return Change(order_id, parties, {MOMENTS[event_type]: occurred_at})


def _message(data: dict[str, Any], occurred_at: datetime) -> Change:
    parties = {"buyer_org": data["buyer_org"], "supplier_org": data["supplier_org"]}
    side = data["author_role"]
    if data["conversation"] != ORDER_CONVERSATION or side not in REVIEWED_SIDE:
        return Change(data["order_id"], parties)  # staff, or a support conversation: no wait
    posted_at = data.get("posted_at") or occurred_at
    message = {
        "message_id": data["message_id"],
        "side": side,
        "org": data[f"{side}_org"],
        "posted_at": datetime.fromisoformat(posted_at) if isinstance(posted_at, str) else posted_at,
    }
    return Change(data["order_id"], parties, message=message)


def _date(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


# What the history keeps of a payload: only what the rules above read, so that nothing else
# of an order (a retail buyer's address, say) is copied into this service.
KEPT = (
    "order_id",
    "buyer_org",
    "supplier_org",
    "workflow",
    "title",
    "committed_deliver_by",
    "by",
    "counts_against_supplier",
    "reviewer_role",
    "rating",
    "comment",
    "conversation",
    "message_id",
    "author_role",
    "posted_at",
)


def kept(data: dict[str, Any]) -> dict[str, Any]:
    """The part of an event's loaded payload kept in the history, as JSON."""
    return {
        key: value.isoformat() if isinstance(value, (date, datetime)) else value
        for key, value in data.items()
        if key in KEPT
    }
