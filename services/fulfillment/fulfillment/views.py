"""Rows as the gateway shows them: JSON-ready dicts, times in ISO-8601."""

from datetime import datetime

from sqlalchemy import select

from fulfillment import documents, returns
from fulfillment.models import scans, shipments


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
