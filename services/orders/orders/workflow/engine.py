"""The workflow engine: what a workflow is, and how one action changes an order.

A workflow (one per marketplace and version, loaded from a YAML file by ``loader.py``) holds:

- ``State``: a title, a ``group`` (the list tab it belongs to) and ``terminal`` (no action leaves);
- ``Action``: the roles that may take it, the states it leaves from, its payload schema, guards,
  effects, ``Branch`` targets and the events it emits;
- reactions: another service's event type -> the system actions that may handle it, in order;
- ``Timer``: a system action taken when a ``Moment`` (business days, days or hours from one of
  the order's timestamps) has passed while the order is in given states.

What a workflow cannot say as data lives in two registries, named from the YAML:

- ``GUARDS``: ``name -> factory(params) -> check(order, step) -> failure message | None``
- ``EFFECTS``: ``name -> factory(params) -> apply(order, step)``

Factories run once, when a workflow loads, so a bad parameter fails the load and never an order.

``Workflow.group_of(status)`` names a state's list tab; ``Workflow.describe()`` is the workflow as
JSON for clients (states, actions with roles and payload fields, reactions, timers).

``Action.execute`` runs one action: payload, guards, effects, then the branch that fits. It mutates
the order it is given; ``orders.domain`` hands it a copy, so an error leaves the order untouched.

Catalogues for the contracts package: ``EMITTED_EVENTS`` (every event the domain publishes;
each payload also carries ``COMMON_FIELDS``, and the ``MONEY_EVENTS`` carry ``currency`` and
``amount``, the order total in minor units) and ``REACTED_EVENTS`` (every event it consumes).
"""

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from marshmallow import Schema, ValidationError

from chassis.calendar import Calendar
from contracts.errors import GuardFailed, InvalidRequest

ROLES = ("buyer", "supplier", "admin", "support", "system")
GROUPS = ("active", "completed", "cancelled", "rejected")
ANCHORS = (
    "placed_at",
    "status_entered_at",
    "committed_ship_by",
    "committed_deliver_by",
    "estimated_ship_by",
    "estimated_deliver_by",
)
UNITS = ("business_days", "days", "hours")
FLAGS = ("delayed", "expecting_delay", "funds_held")
PLACEMENT_FIELDS = ("committed_ship_by", "committed_deliver_by", "revisions_allowed")
INSPECTION_RESULTS = ("accepted", "partly_accepted", "rejected", "rework")
ESTIMATES = ("estimated_ship_by", "estimated_deliver_by")

COMMON_FIELDS = ("order_id", "buyer_org", "supplier_org", "workflow", "workflow_version", "status")

EMITTED_EVENTS = {
    "order.placed": "A buyer placed an order; hold the funds. + buyer_user, title, kind, "
    "lines [{line_id, sku, description, quantity, unit_price}], committed_ship_by, "
    "committed_deliver_by, revisions_allowed",
    "order.status_changed": "The order moved to another state. + from, to, action, group (of to)",
    "order.approved": "The supplier approved the order. + lines [{line_id, sku, description, "
    "quantity, unit_price}]",
    "order.dates_changed": "The supplier changed the estimated dates. + estimated_ship_by, "
    "estimated_deliver_by, previous {estimated_ship_by, "
    "estimated_deliver_by}, reason",
    "order.delayed": "The order is late or expected to be. + kind: expecting_delay | "
    "committed_date_passed | estimate_past_committed",
    "order.ready_to_ship": "The seller labelled the parcel. + tracking_number",
    "order.delivered": "Every ordered quantity reached the buyer, or the buyer confirmed receipt",
    "order.delivery_failed": "The carrier could not deliver; refund the buyer. + shipment_id, "
    "reason",
    "order.accepted": "The buyer (or the system, when a window closed) accepted the order; "
    "release the funds. + accepted_amount, lines, feedback where inspected",
    "order.partly_accepted": "The buyer accepted part of the order; release accepted_amount and "
    "refund the rest. + accepted_amount, lines [{line_id, accepted, "
    "rejected, rework}], feedback",
    "order.rejected": "The buyer rejected the order at inspection. + reason, lines",
    "order.rework_requested": "The buyer sent parts back for re-work. + feedback, lines",
    "order.completed": "The order reached its successful end",
    "order.cancelled": "The order was cancelled; refund the buyer. + reason, by (role), "
    "counts_against_supplier",
    "order.delivery_submitted": "The freelancer submitted work. + number, type (draft | final), "
    "description, attachments",
    "order.revision_requested": "The employer asked for a revision. + instructions, "
    "revisions_used, revisions_allowed",
    "order.cancellation_requested": "The buyer asked the supplier to cancel. + reason, description",
    "order.cancellation_rejected": "The supplier refused a cancellation request. + reason, "
    "description, response",
    "order.return_requested": "The buyer asked to return the goods. + reason, description",
    "order.returned": "Returned goods reached the warehouse; refund returned_amount and release "
    "the rest. + lines [{line_id, quantity}], returned_amount",
    "review.posted": "A party reviewed the other. + reviewer_role, rating, comment",
}
# Fulfillment opens its record from the approval alone, so the approval carries what to ship.
LINES_EVENTS = frozenset({"order.approved"})
MONEY_EVENTS = frozenset(
    {
        "order.placed",
        "order.accepted",
        "order.partly_accepted",
        "order.cancelled",
        "order.rejected",
        "order.delivery_failed",
        "order.returned",
    }
)

REACTED_EVENTS = {
    "shipment.created": "order_id, shipment_id, tracking_number, lines [{line_id, quantity}] "
    "(absent: everything not yet shipped)",
    "parcel.scanned": "order_id, shipment_id, tracking_number, lines (as above), location, "
    "location_kind (sorting_centre | hub | ...)",
    "parcel.delivered": "order_id, shipment_id, tracking_number, lines (as above)",
    "parcel.delivery_failed": "order_id, shipment_id, tracking_number, reason",
    "return.received": "order_id, return_id, lines (absent: everything delivered and not "
    "yet returned)",
    "payment.held": "order_id, payment_id, amount, currency",
    "dispute.resolved": "order_id, dispute_id, outcome: refund | release | split",
    "document.uploaded": "order_id, document_id, kind (inspection_report | "
    "material_certificate | ...)",
}


@dataclass
class Step:
    """One action in progress: who takes it, when, with what payload, and what it produced."""

    actor: Any
    now: datetime
    calendar: Calendar
    track_lines: bool
    payload: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    events: list[tuple[str, dict]] = field(default_factory=list)
    moved_lines: set[str] = field(default_factory=set)

    @property
    def by(self) -> dict:
        return asdict(self.actor)

    def emit(self, event_type: str, **data) -> None:
        self.events.append((event_type, data))

    def move_line(self, line, status: str) -> None:
        if self.track_lines and line.status != status:
            line.status = status
            line.history.append({"status": status, "at": self.now.isoformat(), "actor": self.by})
        self.moved_lines.add(line.line_id)


Check = Callable[[Any, Step], str | None]
Apply = Callable[[Any, Step], None]


@dataclass(frozen=True)
class Moment:
    """An offset from one of the order's timestamps; date anchors mean midnight UTC."""

    anchor: str
    amount: int
    unit: str

    @classmethod
    def parse(cls, spec: Mapping, sign: int = 1) -> "Moment":
        spec = dict(spec)
        anchor = spec.pop("from", None)
        if anchor not in ANCHORS:
            raise ValueError(f"from must be one of {', '.join(ANCHORS)}")
        if len(spec) != 1 or next(iter(spec)) not in UNITS:
            raise ValueError(f"give exactly one of {', '.join(UNITS)}")
        [(unit, amount)] = spec.items()
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
            raise ValueError(f"{unit} must be a positive integer")
        return cls(anchor, sign * amount, unit)

    def anchor_value(self, order) -> date | datetime | None:
        return getattr(order, self.anchor)

    def resolve(self, order, calendar: Calendar) -> datetime | None:
        value = self.anchor_value(order)
        if value is None:
            return None
        start = value if isinstance(value, datetime) else datetime.combine(value, time(), UTC)
        if self.unit == "business_days":
            return calendar.add_business_days(start, self.amount)
        return start + timedelta(**{self.unit: self.amount})


@dataclass(frozen=True)
class Guard:
    name: str
    check: Check
    roles: frozenset[str] | None = None  # None: applies whoever acts

    def failure(self, order, step: Step) -> str | None:
        if self.roles is not None and step.actor.role not in self.roles:
            return None
        return self.check(order, step)


@dataclass(frozen=True)
class Effect:
    name: str
    params: Any
    apply: Apply


@dataclass(frozen=True)
class Branch:
    """A target: ``state``, when the order is in ``source`` (any if None) and conditions hold."""

    state: str
    source: str | None = None
    conditions: tuple[Guard, ...] = ()
    emits: tuple[str, ...] = ()

    def fits(self, order, step: Step) -> bool:
        return self.source in (None, order.status) and not any(
            condition.failure(order, step) for condition in self.conditions
        )


@dataclass(frozen=True)
class State:
    name: str
    title: str
    group: str
    terminal: bool = False


@dataclass(frozen=True)
class Action:
    name: str
    summary: str
    roles: frozenset[str]
    sources: frozenset[str]
    payload: Schema
    fields: Mapping[str, Mapping] = field(default_factory=dict)  # the payload as declared
    branches: tuple[Branch, ...] = ()  # none fits: the order stays where it is
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    emits: tuple[str, ...] = ()

    def targets(self, source: str) -> set[str]:
        return {branch.state for branch in self.branches if branch.source in (None, source)}

    def execute(self, order, step: Step, payload: Mapping | None) -> Branch | None:
        """Apply this action to ``order``; the branch taken, or None when the order stays."""
        try:
            step.payload = self.payload.load(payload or {})
        except ValidationError as error:
            raise InvalidRequest(
                f"invalid payload for {self.name}", {"errors": error.messages}
            ) from None
        for guard in self.guards:
            if failure := guard.failure(order, step):
                raise GuardFailed(
                    failure, {"state": order.status, "action": self.name, "guard": guard.name}
                )
        step.details = {**self.payload.dump(step.payload), **self.details}
        for effect in self.effects:
            effect.apply(order, step)
        return next((branch for branch in self.branches if branch.fits(order, step)), None)


@dataclass(frozen=True)
class Timer:
    name: str
    sources: frozenset[str]
    moment: Moment
    action: str
    payload: Mapping[str, Any] = field(default_factory=dict)

    def anchor_key(self, order) -> str | None:
        value = self.moment.anchor_value(order)
        return None if value is None else value.isoformat()

    def due_at(self, order, calendar: Calendar) -> datetime | None:
        """When the timer fires for this order; None when it does not apply or already fired.

        A timer fires once per value of its anchor, so re-entering a state re-arms it.
        """
        if order.status not in self.sources:
            return None
        if order.fired_timers.get(self.name) == self.anchor_key(order):
            return None
        return self.moment.resolve(order, calendar)


@dataclass(frozen=True)
class Placement:
    summary: str
    required: tuple[str, ...] = ()  # of PLACEMENT_FIELDS
    kinds: tuple[str, ...] = ()  # when given, an order's kind must be one of them


@dataclass(frozen=True)
class Workflow:
    name: str
    version: int
    title: str
    initial: str
    track_lines: bool
    placement: Placement
    states: Mapping[str, State]
    actions: Mapping[str, Action]
    reactions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timers: tuple[Timer, ...] = ()

    def group_of(self, status: str) -> str:
        return self.states[status].group

    def describe(self) -> dict:
        """The workflow as JSON, for clients drawing boards, tabs and action buttons."""
        return {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "initial": self.initial,
            "track_lines": self.track_lines,
            "placement": {
                "required": list(self.placement.required),
                "kinds": list(self.placement.kinds),
            },
            "states": [asdict(state) for state in self.states.values()],
            "actions": [
                {
                    "name": action.name,
                    "roles": sorted(action.roles),
                    "from": sorted(action.sources),
                    "to": sorted({branch.state for branch in action.branches}),
                    "payload": {name: dict(spec) for name, spec in action.fields.items()},
                    "guards": [guard.name for guard in action.guards],
                    "emits": list(action.emits),
                }
                for action in self.actions.values()
            ],
            "reactions": {event: list(names) for event, names in self.reactions.items()},
            "timers": [
                {
                    "name": timer.name,
                    "from": sorted(timer.sources),
                    "action": timer.action,
                    "at": asdict(timer.moment),
                }
                for timer in self.timers
            ],
        }


GUARDS: dict[str, Callable[..., Check]] = {}
EFFECTS: dict[str, Callable[..., Apply]] = {}


def _registrar(registry: dict):
    def named(name: str):
        def register(factory):
            registry[name] = factory
            return factory

        return register

    return named


guard = _registrar(GUARDS)
effect = _registrar(EFFECTS)


def _require_flag(flag: str) -> None:
    if flag not in FLAGS:
        raise ValueError(f"flag must be one of {', '.join(FLAGS)}")


@guard("requires_documents")
def requires_documents(*kinds: str) -> Check:
    if not kinds:
        raise ValueError("name at least one document")

    def check(order, step):
        missing = sorted(set(kinds) - order.documents)
        return f"missing documents: {', '.join(missing)}" if missing else None

    return check


@guard("revisions_remaining")
def revisions_remaining() -> Check:
    def check(order, step):
        allowed = order.revisions_allowed
        if allowed is not None and order.revisions_used >= allowed:
            return f"all {allowed} revisions included in the order have been used"
        return None

    return check


@guard("within")
def within(**window) -> Check:
    moment = Moment.parse(window)

    def check(order, step):
        closes = moment.resolve(order, step.calendar)
        if closes is None:
            return f"the window for this action opens with {moment.anchor}, which is not set"
        if step.now >= closes:
            return f"the window for this action closed at {closes.isoformat()}"
        return None

    return check


@guard("payload_equals")
def payload_equals(**expected) -> Check:
    if not expected:
        raise ValueError("name at least one field")

    def check(order, step):
        wrong = [
            f"{name} must be {value!r}"
            for name, value in expected.items()
            if step.payload.get(name) != value
        ]
        return "; ".join(wrong) or None

    return check


@guard("unset")
def unset(flag: str) -> Check:
    _require_flag(flag)
    return lambda order, step: f"{flag} is already set" if getattr(order, flag) else None


def _all_lines(done: str) -> Check:
    def check(order, step):
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


@guard("new_shipment")
def new_shipment() -> Check:
    def check(order, step):
        shipment_id = step.payload["shipment_id"]
        known = _shipment(order, shipment_id) is not None
        return f"shipment {shipment_id} is already recorded" if known else None

    return check


@guard("shipment_undelivered")
def shipment_undelivered() -> Check:
    def check(order, step):
        shipment = _shipment(order, step.payload["shipment_id"])
        if shipment is not None and shipment["status"] == "delivered":
            return f"shipment {shipment['shipment_id']} is already delivered"
        return None

    return check


@guard("has_review")
def has_review(role: str) -> Check:
    return lambda order, step: None if role in order.reviews else f"no review by the {role} yet"


@guard("not_reviewed")
def not_reviewed() -> Check:
    def check(order, step):
        if step.actor.role in order.reviews:
            return f"the {step.actor.role} has already reviewed this order"
        return None

    return check


@guard("cancellation_pending")
def cancellation_pending() -> Check:
    def check(order, step):
        return None if _pending_cancellation(order) else "no cancellation request is pending"

    return check


@guard("no_cancellation_pending")
def no_cancellation_pending() -> Check:
    def check(order, step):
        return "a cancellation request is already pending" if _pending_cancellation(order) else None

    return check


def _pending_cancellation(order) -> bool:
    return (order.cancellation_request or {}).get("status") == "pending"


def _shipment(order, shipment_id: str) -> dict | None:
    return next((s for s in order.shipments if s["shipment_id"] == shipment_id), None)


def _line_quantities(order, requested: list[dict] | None, room: Callable) -> list[tuple]:
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


def _ship(order, step: Step, line_status: str | None = None) -> dict:
    shipped = _line_quantities(
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
    order.shipments.append(shipment)
    for line, quantity in shipped:
        line.shipped_qty += quantity
        if line_status:
            step.move_line(line, line_status)
    return shipment


@effect("record_document")
def record_document() -> Apply:
    return lambda order, step: order.documents.add(step.payload["kind"])


@effect("set_flag")
def set_flag(flag: str) -> Apply:
    _require_flag(flag)
    return lambda order, step: setattr(order, flag, True)


@effect("close")
def close() -> Apply:
    return lambda order, step: setattr(order, "closed_at", step.now)


@effect("record_shipment")
def record_shipment(line_status: str) -> Apply:
    def apply(order, step):
        _ship(order, step, line_status)

    return apply


@effect("deliver_shipment")
def deliver_shipment(line_status: str) -> Apply:
    def apply(order, step):
        # A delivery may overtake the scan that would have recorded its shipment.
        shipment = _shipment(order, step.payload["shipment_id"]) or _ship(order, step)
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
    def apply(order, step):
        shipment = _shipment(order, step.payload["shipment_id"]) or _ship(order, step)
        shipment["status"] = "delivery_failed"

    return apply


@effect("receive_all_shipments")
def receive_all_shipments() -> Apply:
    def apply(order, step):
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

    def apply(order, step):
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


def _verdicts(result: str, order, payload: dict) -> dict[str, tuple[int, int, int]]:
    """line_id -> (accepted, rejected, rework) quantities for an inspection ``result``."""
    if result == "accepted":
        return {line.line_id: (line.quantity, 0, 0) for line in order.lines}
    if result == "rejected":
        return {line.line_id: (0, line.quantity, 0) for line in order.lines}
    if result == "rework":
        reworked = _line_quantities(
            order, payload.get("lines"), room=lambda line: line.delivered_qty
        )
        return {line.line_id: (0, 0, quantity) for line, quantity in reworked}
    return _partial_verdicts(order, payload["lines"])


def _partial_verdicts(order, rows: list[dict]) -> dict[str, tuple[int, int, int]]:
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
    def apply(order, step):
        changes = {name: step.payload[name] for name in ESTIMATES if name in step.payload}
        if not changes:
            raise InvalidRequest(
                "nothing to update",
                {"errors": {"_schema": ["give estimated_ship_by, estimated_deliver_by or both"]}},
            )
        ship_by = changes.get("estimated_ship_by", order.estimated_ship_by)
        deliver_by = changes.get("estimated_deliver_by", order.estimated_deliver_by)
        if ship_by and deliver_by and ship_by > deliver_by:
            raise InvalidRequest(
                "shipping after delivery",
                {"errors": {"estimated_ship_by": ["must not be after estimated_deliver_by"]}},
            )
        step.details.update(
            previous={
                "estimated_ship_by": _iso(order.estimated_ship_by),
                "estimated_deliver_by": _iso(order.estimated_deliver_by),
            },
            estimated_ship_by=_iso(ship_by),
            estimated_deliver_by=_iso(deliver_by),
        )
        order.estimated_ship_by, order.estimated_deliver_by = ship_by, deliver_by
        committed = order.committed_deliver_by
        if not order.delayed and committed and deliver_by and deliver_by > committed:
            order.delayed = True
            step.emit(
                "order.delayed",
                kind="estimate_past_committed",
                committed_deliver_by=committed.isoformat(),
                estimated_deliver_by=deliver_by.isoformat(),
            )

    return apply


@effect("cancel")
def cancel(against_supplier: list[str] = ()) -> Apply:
    """Record who cancelled, and whether it counts in the supplier's cancellation rate."""
    if unknown := set(against_supplier) - set(ROLES):
        raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")

    def apply(order, step):
        role = step.actor.role
        step.details.update(by=role, counts_against_supplier=role in against_supplier)

    return apply


@effect("request_cancellation")
def request_cancellation() -> Apply:
    def apply(order, step):
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

    def apply(order, step):
        request = order.cancellation_request
        request.update(status=answer, answered_by=step.by, answered_at=step.now.isoformat())
        step.details.update(reason=request["reason"], description=request["description"])
        if answer == "approved":
            step.details.update(by=request["requested_by"]["role"], counts_against_supplier=False)

    return apply


@effect("submit_delivery")
def submit_delivery() -> Apply:
    def apply(order, step):
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
    def apply(order, step):
        order.revisions_used += 1
        step.details.update(
            revisions_used=order.revisions_used, revisions_allowed=order.revisions_allowed
        )

    return apply


@effect("record_review")
def record_review() -> Apply:
    def apply(order, step):
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
    def apply(order, step):
        order.dispute = {
            "dispute_id": step.payload["dispute_id"],
            "outcome": step.payload["outcome"],
            "resolved_at": step.now.isoformat(),
        }

    return apply


@effect("receive_return")
def receive_return(line_status: str) -> Apply:
    def apply(order, step):
        returned = _line_quantities(
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


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
