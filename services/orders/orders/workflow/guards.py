"""Guards: the checks a workflow file names (``guards:`` of an action, ``when:`` of a branch).

``GUARDS``: ``name -> factory(params) -> check(order, step) -> failure message | None``.
Factories run once, when a workflow loads, so a bad parameter fails the load and never an order.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orders.workflow.model import Check, Moment, Step, registrar
from orders.workflow.records import pending_cancellation, require_flag, shipment_of

if TYPE_CHECKING:
    from orders.domain import Order

GUARDS: dict[str, Callable[..., Check]] = {}
guard = registrar(GUARDS)


@guard("requires_documents")
def requires_documents(*kinds: str) -> Check:
    if not kinds:
        raise ValueError("name at least one document")

    def check(order: "Order", step: Step) -> str | None:
        missing = sorted(set(kinds) - order.documents)
        return f"missing documents: {', '.join(missing)}" if missing else None

    return check


@guard("revisions_remaining")
def revisions_remaining() -> Check:
    def check(order: "Order", step: Step) -> str | None:
        allowed = order.revisions_allowed
        if allowed is not None and order.revisions_used >= allowed:
            return f"all {allowed} revisions included in the order have been used"
        return None

    return check


@guard("within")
def within(**window: Any) -> Check:
    moment = Moment.parse(window)

    def check(order: "Order", step: Step) -> str | None:
        closes = moment.resolve(order, step.calendar)
        if closes is None:
            return f"the window for this action opens with {moment.anchor}, which is not set"
        if step.now >= closes:
            return f"the window for this action closed at {closes.isoformat()}"
        return None

    return check


@guard("payload_equals")
def payload_equals(**expected: Any) -> Check:
    if not expected:
        raise ValueError("name at least one field")

    def check(order: "Order", step: Step) -> str | None:
        wrong = [
            f"{name} must be {value!r}"
            for name, value in expected.items()
            if step.payload.get(name) != value
        ]
        return "; ".join(wrong) or None

    return check


@guard("unset")
def unset(flag: str) -> Check:
    require_flag(flag)
    return lambda order, step: f"{flag} is already set" if getattr(order, flag) else None


def _all_lines(done: str) -> Check:
    def check(order: "Order", step: Step) -> str | None:
        waiting = [
            line.line_id for line in order.lines if getattr(line, f"{done}_qty") < line.quantity
        ]
        return f"lines not {done} in full: {', '.join(waiting)}" if waiting else None

    return check


@guard("all_lines_shipped")
def all_lines_shipped() -> Check:
    return _all_lines("shipped")


@guard("all_lines_delivered")
def all_lines_delivered() -> Check:
    return _all_lines("delivered")


@guard("parcel_undelivered")
def parcel_undelivered() -> Check:
    """A parcel recorded and not delivered: on its way, or failed (the buyer then cannot confirm
    receipt, and a dispute settles it)."""

    def check(order: "Order", step: Step) -> str | None:
        waiting = any(s["status"] != "delivered" for s in order.shipments)
        return None if waiting else "every parcel recorded was delivered"

    return check


@guard("no_failed_shipment")
def no_failed_shipment() -> Check:
    def check(order: "Order", step: Step) -> str | None:
        failed = [s["shipment_id"] for s in order.shipments if s["status"] == "delivery_failed"]
        return f"shipments the carrier could not deliver: {', '.join(failed)}" if failed else None

    return check


@guard("new_shipment")
def new_shipment() -> Check:
    def check(order: "Order", step: Step) -> str | None:
        shipment_id = step.payload["shipment_id"]
        known = shipment_of(order, shipment_id) is not None
        return f"shipment {shipment_id} is already recorded" if known else None

    return check


@guard("known_shipment")
def known_shipment() -> Check:
    def check(order: "Order", step: Step) -> str | None:
        shipment_id = step.payload["shipment_id"]
        known = shipment_of(order, shipment_id) is not None
        return None if known else f"shipment {shipment_id} is not recorded yet"

    return check


@guard("latest_tracking")
def latest_tracking() -> Check:
    """A tracking-number correction older than the one the shipment has (a retried event) is
    refused: corrections travel on one queue, but a retry may put one behind the next."""

    def check(order: "Order", step: Step) -> str | None:
        shipment = shipment_of(order, step.payload["shipment_id"])
        latest = (shipment or {}).get("tracking_changed_at")
        changed_at = step.payload.get("changed_at")
        if latest and changed_at and changed_at <= latest:
            return f"a later correction of shipment {step.payload['shipment_id']} was applied"
        return None

    return check


@guard("shipment_undelivered")
def shipment_undelivered() -> Check:
    def check(order: "Order", step: Step) -> str | None:
        shipment = shipment_of(order, step.payload["shipment_id"])
        if shipment is not None and shipment["status"] == "delivered":
            return f"shipment {shipment['shipment_id']} is already delivered"
        return None

    return check


@guard("has_review")
def has_review(role: str) -> Check:
    return lambda order, step: None if role in order.reviews else f"no review by the {role} yet"


@guard("not_reviewed")
def not_reviewed() -> Check:
    def check(order: "Order", step: Step) -> str | None:
        if step.actor.role in order.reviews:
            return f"the {step.actor.role} has already reviewed this order"
        return None

    return check


@guard("cancellation_pending")
def cancellation_pending() -> Check:
    def check(order: "Order", step: Step) -> str | None:
        return None if pending_cancellation(order) else "no cancellation request is pending"

    return check


@guard("no_cancellation_pending")
def no_cancellation_pending() -> Check:
    def check(order: "Order", step: Step) -> str | None:
        return "a cancellation request is already pending" if pending_cancellation(order) else None

    return check
