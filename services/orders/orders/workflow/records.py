"""What guards and effects read and change on an order, beyond single attributes."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from contracts.errors import GuardFailed, InvalidRequest
from orders.workflow.model import JSON, Step

if TYPE_CHECKING:
    from orders.domain import Line, Order

FLAGS = ("delayed", "expecting_delay", "funds_held", "disputed")


def require_flag(flag: str) -> None:
    if flag not in FLAGS:
        raise ValueError(f"flag must be one of {', '.join(FLAGS)}")


def pending_cancellation(order: "Order") -> bool:
    return (order.cancellation_request or {}).get("status") == "pending"


def shipment_of(order: "Order", shipment_id: str) -> JSON | None:
    return next((s for s in order.shipments if s["shipment_id"] == shipment_id), None)


def line_quantities(
    order: "Order", requested: list[JSON] | None, room: Callable[["Line"], int]
) -> list[tuple["Line", int]]:
    """(line, quantity) pairs for ``requested``; when it is None, each line's whole ``room``."""
    if requested is None:
        return [(line, room(line)) for line in order.lines if room(line) > 0]
    totals: dict[str, int] = {}
    for item in requested:
        totals[item["line_id"]] = totals.get(item["line_id"], 0) + item["quantity"]
    lines = {line.line_id: line for line in order.lines}
    errors = [f"unknown line {line_id}" for line_id in totals if line_id not in lines]
    errors += [
        f"line {line_id}: {quantity} is more than the {room(lines[line_id])} possible"
        for line_id, quantity in totals.items()
        if line_id in lines and quantity > room(lines[line_id])
    ]
    if errors:
        raise InvalidRequest("invalid line quantities", {"errors": {"lines": errors}})
    return [(lines[line_id], quantity) for line_id, quantity in totals.items()]


def ship(order: "Order", step: Step, line_status: str | None = None) -> JSON:
    shipped = line_quantities(
        order, step.payload.get("lines"), room=lambda line: line.quantity - line.shipped_qty
    )
    if not shipped:
        raise GuardFailed("nothing is left to ship", {"state": order.status})
    shipment = {
        "shipment_id": step.payload["shipment_id"],
        "tracking_number": step.payload.get("tracking_number"),
        "lines": [{"line_id": line.line_id, "quantity": quantity} for line, quantity in shipped],
        "status": "in_transit",
        "shipped_at": step.now.isoformat(),
        "delivered_at": None,
    }
    if changed_at := step.payload.get("changed_at"):
        # Recorded from a tracking correction that overtook the shipment: an older correction
        # retried later must still lose.
        shipment["tracking_changed_at"] = changed_at
    order.shipments.append(shipment)
    if shipment["tracking_number"]:
        order.tracking_number = shipment["tracking_number"]
    for line, quantity in shipped:
        line.shipped_qty += quantity
        if line_status:
            step.move_line(line, line_status)
    return shipment
