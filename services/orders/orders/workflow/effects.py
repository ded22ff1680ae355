"""Effects: the changes a workflow file names (``effects:`` of an action).

``EFFECTS``: ``name -> factory(params) -> apply(order, step)``. Factories run once, when a
workflow loads, so a bad parameter fails the load and never an order. An effect may add to
``step.details`` what the action's events and timeline entry say beyond the payload.
"""

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from contracts.errors import GuardFailed, InvalidRequest
from orders.workflow.model import JSON, ROLES, Apply, Step, registrar
from orders.workflow.records import line_quantities, require_flag, ship, shipment_of

INSPECTION_RESULTS = ("accepted", "partly_accepted", "rejected", "rework")
ESTIMATES = ("estimated_ship_by", "estimated_deliver_by")
COMMITMENTS = ("committed_ship_by", "committed_deliver_by")

if TYPE_CHECKING:
    from orders.domain import Order

EFFECTS: dict[str, Callable[..., Apply]] = {}
effect = registrar(EFFECTS)


@effect("record_document")
def record_document() -> Apply:
    return lambda order, step: order.documents.add(step.payload["kind"])


@effect("set_flag")
def set_flag(flag: str) -> Apply:
    require_flag(flag)
    return lambda order, step: setattr(order, flag, True)


@effect("lift_pause")
def lift_pause(flag: str) -> Apply:
    """Clear ``flag``; the timers it paused start their whole window again from now."""
    require_flag(flag)

    def apply(order: "Order", step: Step) -> None:
        if getattr(order, flag):
            setattr(order, flag, False)
            order.timers_resumed_at = step.now

    return apply


@effect("close")
def close() -> Apply:
    return lambda order, step: setattr(order, "closed_at", step.now)


@effect("record_shipment")
def record_shipment(line_status: str) -> Apply:
    def apply(order: "Order", step: Step) -> None:
        ship(order, step, line_status)

    return apply


@effect("deliver_shipment")
def deliver_shipment(line_status: str) -> Apply:
    def apply(order: "Order", step: Step) -> None:
        # A delivery may overtake the scan that would have recorded its shipment.
        shipment = shipment_of(order, step.payload["shipment_id"]) or ship(order, step)
        shipment.update(status="delivered", delivered_at=step.now.isoformat())
        lines = {line.line_id: line for line in order.lines}
        for item in shipment["lines"]:
            line = lines[item["line_id"]]
            line.delivered_qty += item["quantity"]
            if line.delivered_qty == line.quantity:
                step.move_line(line, line_status)

    return apply


@effect("fail_shipment")
def fail_shipment() -> Apply:
    def apply(order: "Order", step: Step) -> None:
        shipment = shipment_of(order, step.payload["shipment_id"]) or ship(order, step)
        shipment["status"] = "delivery_failed"

    return apply


@effect("receive_all_shipments")
def receive_all_shipments() -> Apply:
    def apply(order: "Order", step: Step) -> None:
        for shipment in order.shipments:
            if shipment["status"] != "delivered":
                shipment.update(status="delivered", delivered_at=step.now.isoformat())
        for line in order.lines:
            line.delivered_qty = line.shipped_qty

    return apply


@effect("record_inspection")
def record_inspection(result: str, line_status: str | None = None) -> Apply:
    if result not in INSPECTION_RESULTS:
        raise ValueError(f"result must be one of {', '.join(INSPECTION_RESULTS)}")

    def apply(order: "Order", step: Step) -> None:
        verdicts = _verdicts(result, order, step.payload)
        for line in order.lines:
            line.accepted_qty, line.rejected_qty, line.rework_qty = verdicts.get(
                line.line_id, (0, 0, 0)
            )
            if result == "rework" and line.rework_qty:
                # Parts sent back for re-work will be shipped and delivered again.
                line.shipped_qty -= line.rework_qty
                line.delivered_qty -= line.rework_qty
                if line_status:
                    step.move_line(line, line_status)
        rows = [
            {
                "line_id": line.line_id,
                "accepted": line.accepted_qty,
                "rejected": line.rejected_qty,
                "rework": line.rework_qty,
            }
            for line in order.lines
        ]
        order.inspection = {
            "result": result,
            "at": step.now.isoformat(),
            "by": step.by,
            "lines": rows,
            "feedback": step.payload.get("feedback") or step.payload.get("reason"),
        }
        step.details.update(
            lines=rows,
            accepted_amount=sum(line.accepted_qty * line.unit_price for line in order.lines),
        )

    return apply


def _verdicts(result: str, order: "Order", payload: JSON) -> dict[str, tuple[int, int, int]]:
    """line_id -> (accepted, rejected, rework) quantities for an inspection ``result``."""
    if result == "accepted":
        return {line.line_id: (line.quantity, 0, 0) for line in order.lines}
    if result == "rejected":
        return {line.line_id: (0, line.quantity, 0) for line in order.lines}
    if result == "rework":
        reworked = line_quantities(
            order, payload.get("lines"), room=lambda line: line.delivered_qty
        )
        return {line.line_id: (0, 0, quantity) for line, quantity in reworked}
    return _partial_verdicts(order, payload["lines"])


def _partial_verdicts(order: "Order", rows: list[JSON]) -> dict[str, tuple[int, int, int]]:
    quantities = {line.line_id: line.quantity for line in order.lines}
    given = {row["line_id"]: (row["accepted"], row["rejected"], row["rework"]) for row in rows}
    errors = []
    if len(given) != len(rows):
        errors.append("each line may appear only once")
    if unknown := sorted(given.keys() - quantities.keys()):
        errors.append(f"unknown lines: {', '.join(unknown)}")
    if missing := sorted(quantities.keys() - given.keys()):
        errors.append(f"every line needs a verdict; missing: {', '.join(missing)}")
    errors += [
        f"line {line_id}: accepted + rejected + rework must be {quantities[line_id]}, "
        f"not {sum(verdict)}"
        for line_id, verdict in given.items()
        if line_id in quantities and sum(verdict) != quantities[line_id]
    ]
    accepted = sum(verdict[0] for verdict in given.values())
    if not errors and accepted in (0, sum(quantities.values())):
        errors.append(
            "a partial acceptance accepts some parts and not others; use accept or reject"
        )
    if errors:
        raise InvalidRequest("invalid inspection", {"errors": {"lines": errors}})
    return given


@effect("update_estimate")
def update_estimate() -> Apply:
    def apply(order: "Order", step: Step) -> None:
        deliver_by = _move_dates(order, step, ESTIMATES, "update")
        committed = order.committed_deliver_by
        late_estimate = bool(committed and deliver_by and deliver_by > committed)
        date_passed = bool(committed and step.now.date() > committed)
        if late_estimate and not order.delayed:
            step.emit(
                "order.delayed",
                kind="estimate_past_committed",
                committed_deliver_by=_iso(committed),
                estimated_deliver_by=_iso(deliver_by),
            )
        # Seed 000: delayed while the committed date has passed or the estimate is later than it.
        order.delayed = late_estimate or date_passed
        step.details["delayed"] = order.delayed

    return apply


@effect("record_tracking_number")
def record_tracking_number() -> Apply:
    def apply(order: "Order", step: Step) -> None:
        order.tracking_number = step.payload["tracking_number"]

    return apply


@effect("change_tracking")
def change_tracking() -> Apply:
    """The supplier corrected a parcel's tracking number before its first scan."""

    def apply(order: "Order", step: Step) -> None:
        tracking_number = step.payload["tracking_number"]
        shipment = shipment_of(order, step.payload["shipment_id"])
        if shipment is not None:
            shipment["tracking_number"] = tracking_number
            shipment["tracking_changed_at"] = step.payload.get("changed_at")
        if order.tracking_number == step.payload["previous_tracking_number"]:
            order.tracking_number = tracking_number

    return apply


@effect("change_commitments")
def change_commitments() -> Apply:
    """Staff move the committed dates (seed 000: only through support, with a reason)."""

    def apply(order: "Order", step: Step) -> None:
        deliver_by = _move_dates(order, step, COMMITMENTS, "change")
        # Delays were measured against the old commitment; the timers re-arm on the new one.
        estimate = order.estimated_deliver_by
        order.delayed = bool(estimate and deliver_by and estimate > deliver_by)
        order.expecting_delay = False

    return apply


@effect("cancel")
def cancel(against_supplier: Sequence[str] = (), by: str | None = None) -> Apply:
    """Record who cancelled (``by``, when not the acting role: "dispute" for a settlement),
    and whether it counts in the supplier's cancellation rate."""
    if unknown := set(against_supplier) - set(ROLES):
        raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")

    def apply(order: "Order", step: Step) -> None:
        role = step.actor.role
        step.details.update(by=by or role, counts_against_supplier=role in against_supplier)

    return apply


@effect("request_cancellation")
def request_cancellation() -> Apply:
    def apply(order: "Order", step: Step) -> None:
        order.cancellation_request = {
            "status": "pending",
            "reason": step.payload["reason"],
            "description": step.payload.get("description"),
            "requested_by": step.by,
            "requested_at": step.now.isoformat(),
        }

    return apply


@effect("answer_cancellation")
def answer_cancellation(answer: str) -> Apply:
    if answer not in ("approved", "rejected"):
        raise ValueError("answer must be approved or rejected")

    def apply(order: "Order", step: Step) -> None:
        request = order.cancellation_request
        if request is None:
            raise GuardFailed("no cancellation request is pending", {"state": order.status})
        request.update(status=answer, answered_by=step.by, answered_at=step.now.isoformat())
        step.details.update(reason=request["reason"], description=request["description"])
        if answer == "approved":
            step.details.update(by=request["requested_by"]["role"], counts_against_supplier=False)

    return apply


@effect("submit_delivery")
def submit_delivery() -> Apply:
    def apply(order: "Order", step: Step) -> None:
        delivery = {
            "number": len(order.deliveries) + 1,
            "type": step.payload["type"],
            "description": step.payload["description"],
            "attachments": list(step.payload.get("attachments", [])),
            "submitted_at": step.now.isoformat(),
            "by": step.by,
        }
        order.deliveries.append(delivery)
        step.details["number"] = delivery["number"]

    return apply


@effect("use_revision")
def use_revision() -> Apply:
    def apply(order: "Order", step: Step) -> None:
        order.revisions_used += 1
        step.details.update(
            revisions_used=order.revisions_used, revisions_allowed=order.revisions_allowed
        )

    return apply


@effect("record_review")
def record_review() -> Apply:
    def apply(order: "Order", step: Step) -> None:
        order.reviews[step.actor.role] = {
            "rating": step.payload["rating"],
            "comment": step.payload.get("comment"),
            "by": step.by,
            "posted_at": step.now.isoformat(),
        }
        step.details["reviewer_role"] = step.actor.role

    return apply


@effect("record_dispute")
def record_dispute() -> Apply:
    def apply(order: "Order", step: Step) -> None:
        order.dispute = {
            "dispute_id": step.payload["dispute_id"],
            "outcome": step.payload["outcome"],
            "resolved_at": step.now.isoformat(),
        }

    return apply


@effect("receive_return")
def receive_return(line_status: str) -> Apply:
    def apply(order: "Order", step: Step) -> None:
        returned = line_quantities(
            order,
            step.payload.get("lines"),
            room=lambda line: line.delivered_qty - line.returned_qty,
        )
        for line, quantity in returned:
            line.returned_qty += quantity
            if line.returned_qty == line.delivered_qty:
                step.move_line(line, line_status)
        step.details.update(
            lines=[{"line_id": line.line_id, "quantity": quantity} for line, quantity in returned],
            returned_amount=sum(line.unit_price * quantity for line, quantity in returned),
        )

    return apply


def _move_dates(order: "Order", step: Step, names: tuple[str, str], verb: str) -> date | None:
    """Move the order's pair of dates ``names`` (ship by, deliver by) to those in the payload,
    either or both, never shipping after delivering; the step records them before and after.
    The deliver-by date it leaves."""
    ship_name, deliver_name = names
    if not any(name in step.payload for name in names):
        raise InvalidRequest(
            f"nothing to {verb}",
            {"errors": {"_schema": [f"give {ship_name}, {deliver_name} or both"]}},
        )
    ship_by = step.payload.get(ship_name, getattr(order, ship_name))
    deliver_by = step.payload.get(deliver_name, getattr(order, deliver_name))
    if ship_by and deliver_by and ship_by > deliver_by:
        raise InvalidRequest(
            "shipping after delivery",
            {"errors": {ship_name: [f"must not be after {deliver_name}"]}},
        )
    step.details.update(
        previous={name: _iso(getattr(order, name)) for name in names},
        **{ship_name: _iso(ship_by), deliver_name: _iso(deliver_by)},
    )
    setattr(order, ship_name, ship_by)
    setattr(order, deliver_name, deliver_by)
    return deliver_by  # type: ignore[no-any-return]


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
