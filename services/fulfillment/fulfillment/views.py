"""Rows as the gateway shows them: JSON-ready dicts, times in ISO-8601."""

from datetime import datetime

from sqlalchemy import select

from chassis.access import visible_to
from chassis.clock import as_utc
from fulfillment import documents, returns
from fulfillment.models import fulfillments, scans, shipments


def plain(row: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def fulfillment_view(session, record: dict) -> dict:
    """The order's fulfillment: its lines, shipments with their scans, documents and returns."""
    order_id = record["order_id"]
    rows = session.execute(
        select(shipments).where(shipments.c.order_id == order_id).order_by(shipments.c.number)
    )
    return {
        **plain(record),
        "shipments": [shipment_view(session, row._asdict()) for row in rows],
        "documents": documents.of_order(session, order_id),
        "returns": returns.of_order(session, order_id),
    }


def shipment_view(session, shipment: dict) -> dict:
    """The shipment with its scan history, in the carrier's time order."""
    history = session.execute(
        select(scans)
        .where(scans.c.shipment_id == shipment["id"])
        .order_by(scans.c.occurred_at, scans.c.received_at)
    )
    view = plain(shipment)
    view.pop("unscanned_reported")
    view.pop("milestones")
    view["tracking_editable"] = shipment["first_scan_at"] is None
    view["scans"] = [plain({key: row._mapping[key] for key in SCAN_FIELDS}) for row in history]
    return view


SCAN_FIELDS = (
    "id",
    "carrier",
    "carrier_event_id",
    "status",
    "occurred_at",
    "location",
    "location_kind",
    "message",
    "received_at",
)


def fulfillment_statuses(session, actor: dict, order_ids: list[str]) -> dict[str, dict]:
    """Each named order's fulfillment status and tracking numbers (in shipment order), of the
    orders the actor may see and fulfillment knows: two queries for the whole batch."""
    rows = session.execute(
        select(fulfillments.c.order_id, fulfillments.c.status).where(
            fulfillments.c.order_id.in_(order_ids),
            visible_to(actor, fulfillments.c.buyer_org, fulfillments.c.supplier_org),
        )
    )
    found = {order_id: {"status": status, "tracking_numbers": []} for order_id, status in rows}
    numbers = session.execute(
        select(shipments.c.order_id, shipments.c.tracking_number)
        .where(shipments.c.order_id.in_(list(found)), shipments.c.tracking_number.isnot(None))
        .order_by(shipments.c.order_id, shipments.c.number)
    )
    for order_id, number in numbers:
        found[order_id]["tracking_numbers"].append(number)
    return found


def parked_scans_view(session, query: dict, claimable_from: datetime) -> list[dict]:
    """Scans no shipment claimed, newest first, each saying whether a shipment created now could
    still claim it (it happened after ``claimable_from``, the start of the matching window)."""
    statement = select(scans).where(scans.c.shipment_id.is_(None))
    for name in ("carrier", "tracking_number"):
        if name in query:
            statement = statement.where(scans.c[name] == query[name])
    rows = session.execute(
        statement.order_by(scans.c.received_at.desc(), scans.c.id).limit(query["limit"])
    )
    return [
        {
            **plain({key: row._mapping[key] for key in SCAN_FIELDS}),
            "tracking_number": row.tracking_number,
            "claimable": as_utc(row.occurred_at) >= claimable_from,
        }
        for row in rows
    ]
