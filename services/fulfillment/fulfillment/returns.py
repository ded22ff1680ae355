"""Returns: requested at the order, received (and checked) at the warehouse. Pure rules plus
the one query that shows them."""

import uuid
from datetime import datetime

from sqlalchemy import select

from contracts.errors import Conflict, Forbidden, InvalidRequest
from fulfillment.models import returns

REQUESTED = "requested"
RECEIVED = "received"
RECEIVER_ROLES = ("supplier", "admin", "support")


def requested(event: dict, now: datetime) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "order_id": event["order_id"],
        "status": REQUESTED,
        "reason": (event.get("reason") or "")[:500],
        "lines": None,
        "wrong_item": False,
        "note": (event.get("description") or "")[:2000],
        "photos": [],
        "requested_at": now,
        "received_at": None,
    }


def receive(actor, record, found: dict, request: dict, known_documents: set, now: datetime):
    """``(changes, return.received payload)``; nothing when it was received already."""
    if actor["role"] not in RECEIVER_ROLES:
        raise Forbidden("the seller or the warehouse staff receive returned goods", actor)
    if found["status"] == RECEIVED:
        return {}, None
    wrong_item = request.get("wrong_item", False)
    photos = request.get("photos", [])
    note = request.get("note", "")
    errors = {}
    if not isinstance(wrong_item, bool):
        errors["wrong_item"] = ["true or false"]
    if not isinstance(photos, list) or not set(photos) <= known_documents:
        errors["photos"] = ["ids of documents uploaded to this order"]
    if not isinstance(note, str) or len(note) > 2000:
        errors["note"] = ["at most 2000 characters"]
    if wrong_item and not photos:
        errors["photos"] = ["a wrong item returned needs the photos taken at pick-up"]
    lines = request.get("lines")
    if lines is not None:
        ordered = {line["line_id"]: line["quantity"] for line in record["lines"]}
        if not isinstance(lines, list) or not all(
            isinstance(item, dict)
            and item.get("line_id") in ordered
            and type(item.get("quantity")) is int
            and 0 <= item["quantity"] <= ordered[item["line_id"]]
            for item in lines
        ):
            errors["lines"] = ["[{line_id, quantity}] of this order's lines"]
    if errors:
        raise InvalidRequest("invalid return receipt", {"errors": errors})
    if record["status"] != "open":
        raise Conflict(f"order {record['order_id']} is {record['status']}", {})
    changes = {
        "status": RECEIVED,
        "wrong_item": wrong_item,
        "photos": photos,
        "note": note or found["note"],
        "lines": lines,
        "received_at": now,
    }
    event = {
        "order_id": found["order_id"],
        "return_id": found["id"],
        "wrong_item": wrong_item,
        "note": changes["note"],
        "photos": photos,
    }
    if lines is not None:
        event["lines"] = lines
    return changes, event


def of_order(session, order_id: str, return_id: str | None = None) -> list[dict]:
    query = select(returns).where(returns.c.order_id == order_id)
    if return_id is not None:
        query = query.where(returns.c.id == return_id)
    rows = session.execute(query.order_by(returns.c.requested_at))
    return [
        {
            **row._asdict(),
            "requested_at": row.requested_at.isoformat(),
            "received_at": row.received_at.isoformat() if row.received_at else None,
        }
        for row in rows
    ]
