"""What fulfillment knows of an order, and how its lines are split into shipments. Pure rules.

A record opens when the order is placed or approved, whichever arrives first; the placement says
whether the order waits for the supplier's approval before it ships (retail and factory orders
do not). It carries every line with the quantity already allocated to shipments. The orders
workflow decides what a shipment means for the order; fulfillment only guarantees that no line
is shipped beyond what was ordered.
"""

import uuid
from datetime import datetime

from chassis.clock import as_utc
from contracts.errors import Conflict, Forbidden, InvalidRequest
from contracts.rpc.fulfillment import MAX_CARRIER, TRACKING_NUMBER_LENGTH

OPEN = "open"
CANCELLED = "cancelled"

# Shipment states before the carrier's scans take over (see ``fulfillment.tracking``).
DRAFT = "draft"
HANDED_OVER = "handed_over"

SHIPPING_ROLES = ("supplier", "admin", "support")


def open_fulfillment(order_event: dict, now: datetime) -> dict:
    """The record an ``order.placed`` or ``order.approved`` payload opens: nothing shipped yet,
    waiting for the approval when the placement says its workflow has one."""
    return {
        **_record(order_event, OPEN, now),
        "awaits_approval": bool(order_event.get("awaits_approval")),
        "lines": [
            {
                "line_id": line["line_id"],
                "sku": line["sku"],
                "description": line.get("description", ""),
                "quantity": line["quantity"],
                "shipped": 0,
            }
            for line in order_event["lines"]
        ],
        **placement_facts(order_event),
    }


def placement_facts(order_event: dict) -> dict:
    """What only ``order.placed`` tells: the title, currency and shipping details."""
    facts = {
        name: order_event[name] for name in ("title", "currency", "shipping") if name in order_event
    }
    if "title" in facts and facts["title"] is None:
        facts["title"] = ""
    return facts


def cancelled_before_approval(cancelled: dict, now: datetime) -> dict:
    """What a cancellation leaves when it overtook the approval (a retried event arrives late):
    a cancelled record, so that the late approval opens nothing."""
    return {**_record(cancelled, CANCELLED, now), "lines": []}


def may_cancel(record: dict) -> bool:
    return record["status"] == OPEN


def _record(order_event: dict, status: str, now: datetime) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "order_id": order_event["order_id"],
        "buyer_org": order_event["buyer_org"],
        "supplier_org": order_event["supplier_org"],
        "status": status,
        "opened_at": now,
        "updated_at": now,
    }


def check_shipping_role(actor: dict) -> None:
    if actor["role"] not in SHIPPING_ROLES:
        raise Forbidden("only the supplier (or platform staff) ships an order", actor)


def check_may_ship(actor: dict, record: dict) -> None:
    check_shipping_role(actor)
    if record["status"] != OPEN:
        raise Conflict(
            f"order {record['order_id']} is {record['status']}: nothing more ships",
            {"status": record["status"]},
        )


def check_may_create_shipment(actor: dict, record: dict) -> None:
    """Shipments are for an approved order (seed 000): until the supplier approved it, its
    workflow would not hear of a parcel. A workflow without an approval ships at once."""
    check_may_ship(actor, record)
    if record["awaits_approval"]:
        raise Conflict(
            f"order {record['order_id']} is not approved yet: it ships once the supplier "
            "approved it",
            {"status": "awaiting_approval"},
        )


def allocate(record: dict, requested: list) -> tuple[list[dict], list[dict]]:
    """``(shipment lines, record lines with the allocation added)`` for ``requested``
    ``[{line_id, quantity}]``: never more than ordered minus already shipped; 0 left out."""
    if not isinstance(requested, list):
        raise _invalid("lines", "a list of {line_id, quantity}")
    lines = {line["line_id"]: dict(line) for line in record["lines"]}
    wanted: dict[str, int] = {}
    errors = {}
    for index, item in enumerate(requested):
        line_id = item.get("line_id") if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if line_id not in lines:
            errors[f"lines.{index}.line_id"] = [f"not a line of this order: {line_id!r}"]
        elif type(quantity) is not int or quantity < 0:
            errors[f"lines.{index}.quantity"] = ["a whole number, 0 or more"]
        else:
            wanted[line_id] = wanted.get(line_id, 0) + quantity
    for line_id, quantity in wanted.items():
        line = lines[line_id]
        left = line["quantity"] - line["shipped"]
        if quantity > left:
            errors[f"lines.{line_id}"] = [
                f"{quantity} asked, but only {left} of {line['quantity']} remain to ship"
            ]
    shipment_lines = [{"line_id": k, "quantity": q} for k, q in wanted.items() if q > 0]
    if not errors and not shipment_lines:
        errors["lines"] = ["a shipment needs at least one line with a quantity above 0"]
    if errors:
        raise InvalidRequest("the shipment's lines are not valid", {"errors": errors})
    for item in shipment_lines:
        lines[item["line_id"]]["shipped"] += item["quantity"]
    return shipment_lines, list(lines.values())


def reworked(record: dict, inspected: list[dict]) -> list[dict]:
    """The record's lines with the parts the buyer sent back for re-work no longer counted as
    shipped: they are made and shipped again (seed 000, "Requires Re-Work")."""
    return _taken_back(record, {line["line_id"]: line["rework"] for line in inspected})


def withdrawn(record: dict, shipment: dict) -> list[dict]:
    """The record's lines with a withdrawn shipment's quantities left to ship again."""
    return _taken_back(record, {line["line_id"]: line["quantity"] for line in shipment["lines"]})


def _taken_back(record: dict, quantities: dict[str, int]) -> list[dict]:
    return [
        {**line, "shipped": max(0, line["shipped"] - quantities.get(line["line_id"], 0))}
        for line in record["lines"]
    ]


def check_may_withdraw(shipment: dict) -> None:
    """A shipment is withdrawn only while it is the supplier's own draft: once handed over (or
    scanned) the order, the buyer and the carrier know of it."""
    if shipment["handed_over_at"] is not None or shipment["first_scan_at"] is not None:
        raise Conflict(
            f"shipment {shipment['number']} is with the carrier: it can no longer be withdrawn",
            {"shipment_id": shipment["id"], "status": shipment["status"]},
        )


def remaining_lines(record: dict) -> list[dict]:
    """Everything ordered and not yet allocated to a shipment."""
    return [
        {"line_id": line["line_id"], "quantity": line["quantity"] - line["shipped"]}
        for line in record["lines"]
        if line["quantity"] > line["shipped"]
    ]


def new_shipment(
    record: dict, number: int, lines: list, carrier: str, tracking: str | None, now: datetime
) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "order_id": record["order_id"],
        "number": number,
        "buyer_org": record["buyer_org"],
        "supplier_org": record["supplier_org"],
        "carrier": carrier,
        "tracking_number": tracking,
        "lines": lines,
        "status": DRAFT,
        "status_at": None,
        "created_at": now,
        "handed_over_at": None,
        "first_scan_at": None,
        "unscanned_due_at": None,
        "unscanned_reported": False,
        "milestones": [],
        "updated_at": now,
    }


def carrier_of(value) -> str:
    """A carrier's slug as scans name it: ``DHL Express`` and ``dhl-express`` are one."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_CARRIER:
        raise _invalid("carrier", f"a carrier name of at most {MAX_CARRIER} characters")
    return "-".join(value.lower().replace("_", " ").split())


def tracking_number_of(value) -> str | None:
    if value is None:
        return None
    value = value.strip() if isinstance(value, str) else value
    if not isinstance(value, str) or not 0 < len(value) <= TRACKING_NUMBER_LENGTH:
        raise _invalid("tracking_number", f"1 to {TRACKING_NUMBER_LENGTH} characters")
    return value


def check_tracking_editable(shipment: dict) -> None:
    if shipment["first_scan_at"] is not None:
        raise Conflict(
            "the carrier has scanned this shipment: its tracking number is fixed",
            {"shipment_id": shipment["id"], "status": shipment["status"]},
        )


def hand_over(shipment: dict, now: datetime, unscanned_due_at: datetime) -> dict:
    """The changes handing ``shipment`` to its carrier makes."""
    if not shipment["tracking_number"]:
        raise _invalid("tracking_number", "a shipment needs a tracking number to hand over")
    return {
        "status": HANDED_OVER if shipment["status"] == DRAFT else shipment["status"],
        "handed_over_at": now,
        "unscanned_due_at": None if shipment["first_scan_at"] else unscanned_due_at,
        "updated_at": now,
    }


def parcel_payload(shipment: dict) -> dict:
    """What every shipment and parcel event carries."""
    return {
        "order_id": shipment["order_id"],
        "shipment_id": shipment["id"],
        "tracking_number": shipment["tracking_number"],
        "carrier": shipment["carrier"],
        "lines": shipment["lines"],
    }


def tracking_change(before: dict, after: dict) -> dict | None:
    """The ``shipment.tracking_changed`` payload when a handed-over shipment got another carrier
    or tracking number: the order and the buyer know the old ones. None for a draft (nobody
    heard of it yet) or when nothing changed."""
    moved = (before["tracking_number"], before["carrier"]) != (
        after["tracking_number"],
        after["carrier"],
    )
    if after["handed_over_at"] is None or not moved:
        return None
    return {
        **parcel_payload(after),
        "previous_tracking_number": before["tracking_number"],
        "previous_carrier": before["carrier"],
        # Fixed width, so that consumers may compare the text.
        "changed_at": as_utc(after["updated_at"]).isoformat(timespec="microseconds"),
    }


def _invalid(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"{field}: {message}", {"errors": {field: [message]}})
