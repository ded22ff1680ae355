"""The Order aggregate and everything that may happen to it. Pure: no I/O, and no clock —
``now`` is always passed in (an aware datetime; it is stored in UTC).

What the service layer calls::

    place_order(workflow, order_id, actor, request, now, calendar=...) -> (Order, Outcome)
    perform(order, workflow, actor, action, payload, now, calendar=...) -> Outcome
    react(order, workflow, event_type, data, now, calendar=...) -> Outcome
    fire_due_timers(order, workflow, now, calendar=...) -> Outcome
    next_deadline(order, workflow, calendar=...) -> datetime | None
    allowed_actions(order, workflow, actor) -> list[str]

Each call that changes an order changes it completely or not at all (an error leaves it as it
was), bumps ``version`` (once per action or timer) and stamps ``updated_at``; the ``Outcome``
says what to publish and what to append to the timeline. The order's ``workflow`` and
``workflow_version`` must be those of the workflow passed in.

Checks, in order: the action exists in the workflow (NotFound), the actor's role may take it and
the actor is a party to the order — a buyer of ``buyer_org``, a supplier of ``supplier_org``
(Forbidden), the order's state allows it (IllegalTransition, details ``state`` and ``allowed``),
the payload is valid (InvalidRequest, details ``errors``), guards hold (GuardFailed).
``allowed_actions`` looks at roles, parties and states only; guards are checked on perform.

Reactions and timers act as the system: role ``system``, org ``platform``, user id
``event:<event type>`` or ``timer:<timer name>``. The data each event carries is in its contract
(``orders.workflow.events.REACTED_EVENTS`` lists them). An event the order's state or guards do
not admit is ignored (an empty Outcome): late and duplicate events are normal. An event that does
not fit its contract (unknown line, more than was ordered) raises InvalidRequest.

Timers fire once per value of their anchor (``Order.fired_timers`` remembers which): a timer whose
action no longer applies when due is spent silently.

Every call that changes an order also keeps ``Order.next_deadline`` true: ``{at, timer, action}``
of the next timer due (an auto-cancel, an auto-accept, ...), or None. ``Order.tracking_number`` is
that of the latest parcel.

Beyond the API the service was promised, an Order also has: ``status_entered_at``, ``shipments``
(parcels learned from fulfillment events; ``deliveries`` are the services workflow's work
submissions), ``dispute`` (the last resolution), ``funds_held``, ``fired_timers``; ``to_dict``
takes ``timeline=False`` for persistence that keeps the timeline in its own table (the domain
appends to ``Order.timeline`` but never reads it, so an order may be loaded without it).
``HUMAN_ROLES`` lists the roles a person may have; the system role is the engine's own.
"""

import copy
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, validate, validates_schema
from marshmallow import fields as schema_fields

from chassis.access import is_staff
from chassis.calendar import Calendar, as_utc
from contracts.contact_details import ContactFilter
from contracts.errors import Forbidden, GuardFailed, IllegalTransition, InvalidRequest, NotFound
from contracts.events.base import Money
from contracts.events.orders import PaymentChoice, ShippingDetails
from orders.workflow import events
from orders.workflow.events import EMITTED_EVENTS
from orders.workflow.model import JSON, Action, Branch, Step, Timer, Workflow

__all__ = [
    "EMITTED_EVENTS",
    "HUMAN_ROLES",
    "Actor",
    "Line",
    "Order",
    "Outcome",
    "allowed_actions",
    "fire_due_timers",
    "next_deadline",
    "perform",
    "place_order",
    "react",
]

HUMAN_ROLES = frozenset({"buyer", "supplier", "admin", "support"})
DEFAULT_CONTACT_FILTER = ContactFilter()
PLATFORM = "platform"  # the organisation of the system actor
DEFAULT_CALENDAR = Calendar()

_DATES = ("committed_ship_by", "committed_deliver_by", "estimated_ship_by", "estimated_deliver_by")
_MOMENTS = ("status_entered_at", "placed_at", "updated_at", "closed_at", "timers_resumed_at")


@dataclass(frozen=True)
class Actor:
    user_id: str
    role: str  # buyer | supplier | admin | support | system
    org: str


@dataclass
class Line:
    line_id: str
    sku: str
    description: str
    quantity: int
    unit_price: int  # minor units of the order's currency
    status: str | None = None  # a state of the workflow, where it tracks lines
    accepted_qty: int = 0
    rejected_qty: int = 0
    rework_qty: int = 0
    shipped_qty: int = 0
    delivered_qty: int = 0
    returned_qty: int = 0
    history: list[JSON] = field(default_factory=list)  # [{status, at, actor}]

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price

    def to_dict(self) -> JSON:
        return {name: _fresh(getattr(self, name)) for name in _LINE_FIELDS}


@dataclass
class Order:
    id: str
    buyer_org: str
    buyer_user: str
    supplier_org: str
    workflow: str
    workflow_version: int
    status: str
    status_entered_at: datetime
    currency: str
    title: str
    placed_at: datetime
    updated_at: datetime
    lines: list[Line] = field(default_factory=list)
    kind: str | None = None
    committed_ship_by: date | None = None
    committed_deliver_by: date | None = None
    estimated_ship_by: date | None = None
    estimated_deliver_by: date | None = None
    delayed: bool = False
    expecting_delay: bool = False
    revisions_allowed: int | None = None  # None: no limit
    shipping: JSON | None = None  # Ship-To and shipping terms, as placed
    # A services order's package as agreed (seed 002): name, features, delivery days,
    # revisions included, price.
    package: JSON | None = None
    # A job order's agreed terms (seed 002): scope, deliverables, budget, amount, start and due
    # date, revisions included (contracts.rpc.orders.JobTermsSchema).
    terms: JSON | None = None
    revisions_used: int = 0
    documents: set[str] = field(default_factory=set)
    shipments: list[JSON] = field(default_factory=list)
    deliveries: list[JSON] = field(default_factory=list)
    cancellation_request: JSON | None = None
    reviews: dict[str, JSON] = field(default_factory=dict)  # by the reviewer's role
    inspection: JSON | None = None
    dispute: JSON | None = None
    funds_held: bool = False
    disputed: bool = False  # a dispute is open: timers that it pauses wait
    timers_resumed_at: datetime | None = None
    closed_at: datetime | None = None
    fired_timers: dict[str, str | None] = field(
        default_factory=dict
    )  # timer -> anchor it fired for
    tracking_number: str | None = None  # of the latest parcel
    next_deadline: JSON | None = None  # {at, timer, action}: the next thing the system will do
    version: int = 1
    timeline: list[JSON] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def to_dict(self, timeline: bool = True) -> JSON:
        data = {name: _fresh(getattr(self, name)) for name in _PLAIN_FIELDS}
        data["lines"] = [line.to_dict() for line in self.lines]
        data["documents"] = sorted(self.documents)
        for name in _DATES + _MOMENTS:
            data[name] = _iso(data[name])
        data["total"] = self.total
        if timeline:
            data["timeline"] = _fresh(self.timeline)
        return data

    def draft(self) -> "Order":
        """A copy to change, without the timeline (the domain appends to it, never reads it)."""
        values = {name: _fresh(getattr(self, name)) for name in _PLAIN_FIELDS}
        values["lines"] = [replace(line, history=_fresh(line.history)) for line in self.lines]
        return Order(**values)

    @classmethod
    def from_dict(cls, data: JSON) -> "Order":
        values = {name: _fresh(data[name]) for name in _ORDER_FIELDS if name in data}
        values["lines"] = [Line(**line) for line in values.get("lines", [])]
        values["documents"] = set(values.get("documents", []))
        for name in _DATES:
            values[name] = _parse(date, values.get(name))
        for name in _MOMENTS:
            values[name] = _parse(datetime, values.get(name))
        return cls(**values)


_ORDER_FIELDS = tuple(f.name for f in fields(Order))
_STATE_FIELDS = tuple(name for name in _ORDER_FIELDS if name != "timeline")
# What ``_fresh`` copies as it is; the lines are copied apart.
_PLAIN_FIELDS = tuple(name for name in _STATE_FIELDS if name != "lines")
_LINE_FIELDS = tuple(f.name for f in fields(Line))


def _fresh(value: Any) -> Any:
    """A copy of an order's plain data, at a fraction of ``copy.deepcopy``'s cost, which every
    command pays to load, change and save its order. Plain data only: dicts, lists and sets
    holding them or immutable values (str, numbers, dates, None); anything else would be shared
    with the original, and the order holds nothing else (its lines are copied by their own)."""
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    if isinstance(value, set):
        return set(value)
    return value


# What every money event carries about the order; a timeline entry need not repeat it.
_MONEY_ENVELOPE = frozenset(Money().fields)


@dataclass
class Outcome:
    """What one call produced: events to publish, timeline entries to append, and why anything
    the call was asked to do was left undone (for the service to log)."""

    events: list[tuple[str, JSON]] = field(default_factory=list)
    activity: list[JSON] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def extend(self, other: "Outcome") -> None:
        self.events += other.events
        self.activity += other.activity
        self.ignored += other.ignored


class _LineRequest(Schema):
    class Meta:
        unknown = EXCLUDE

    sku = schema_fields.String(required=True, validate=validate.Length(min=1))
    description = schema_fields.String(load_default="")
    quantity = schema_fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    unit_price = schema_fields.Integer(strict=True, required=True, validate=validate.Range(min=0))


class _PlaceRequest(Schema):
    class Meta:
        unknown = EXCLUDE

    supplier_org = schema_fields.String(required=True, validate=validate.Length(min=1))
    title = schema_fields.String(required=True, validate=validate.Length(min=1, max=300))
    currency = schema_fields.String(
        required=True,
        validate=validate.Regexp(r"\A[A-Z]{3}\Z", error="an ISO 4217 code such as EUR"),
    )
    lines = schema_fields.List(
        schema_fields.Nested(_LineRequest), required=True, validate=validate.Length(min=1)
    )
    kind = schema_fields.String(load_default=None)
    committed_ship_by = schema_fields.Date(load_default=None)
    committed_deliver_by = schema_fields.Date(load_default=None)
    revisions_allowed = schema_fields.Integer(
        strict=True, load_default=None, validate=validate.Range(min=0)
    )
    shipping = schema_fields.Nested(ShippingDetails, load_default=None)
    # Their shapes are checked at the service's door (contracts.rpc.orders).
    package = schema_fields.Dict(load_default=None)
    terms = schema_fields.Dict(load_default=None)
    # Passed on to the payments service in order.placed, never kept here.
    payment = schema_fields.Nested(PaymentChoice, load_default=None, unknown=EXCLUDE)

    @validates_schema
    def ships_before_delivery(self, data: JSON, **kwargs: Any) -> None:
        ship_by, deliver_by = data.get("committed_ship_by"), data.get("committed_deliver_by")
        if ship_by and deliver_by and ship_by > deliver_by:
            raise ValidationError("must not be after committed_deliver_by", "committed_ship_by")


_PLACE_REQUEST = _PlaceRequest()


def place_order(
    workflow: Workflow,
    order_id: str,
    actor: Actor,
    request: JSON,
    now: datetime,
    calendar: Calendar = DEFAULT_CALENDAR,
    contact_filter: ContactFilter = DEFAULT_CONTACT_FILTER,
) -> tuple[Order, Outcome]:
    """A new order in the workflow's initial state, its first deadline set by ``calendar``.

    The free text the supplier reads (the title, the lines' descriptions, a job's scope and
    deliverables) may carry no contact details, as an action's note may not; only buyers place
    orders, so no one placing one is exempt.
    """
    now = as_utc(now)
    if actor.role != "buyer":
        raise Forbidden("only a buyer may place an order", {"role": actor.role})
    data = _placement(workflow, actor, request)
    contact_filter.refuse(_placement_texts(data))
    order = Order(
        id=order_id,
        buyer_org=actor.org,
        buyer_user=actor.user_id,
        supplier_org=data["supplier_org"],
        workflow=workflow.name,
        workflow_version=workflow.version,
        status=workflow.initial,
        status_entered_at=now,
        currency=data["currency"],
        title=data["title"],
        placed_at=now,
        updated_at=now,
        lines=[Line(line_id=f"L{number}", **line) for number, line in enumerate(data["lines"], 1)],
        kind=data["kind"],
        committed_ship_by=data["committed_ship_by"],
        committed_deliver_by=data["committed_deliver_by"],
        estimated_ship_by=data["committed_ship_by"],
        estimated_deliver_by=data["committed_deliver_by"],
        revisions_allowed=data["revisions_allowed"],
        shipping=data["shipping"],
        package=data["package"],
        terms=data["terms"],
    )
    step = Step(actor=actor, now=now, calendar=calendar, track_lines=workflow.track_lines)
    for line in order.lines:
        step.move_line(line, workflow.initial)
    _schedule(order, workflow, calendar)
    placed = events.payload(order, "order.placed", {})
    details = {name: value for name, value in placed.items() if name not in _MONEY_ENVELOPE}
    summary = workflow.placement.summary.format_map({**details, "role": actor.role})
    entry = _activity(now, actor, "place", summary, details)
    order.timeline.append(entry)
    if data["payment"]:
        placed["payment"] = data["payment"]
    placed["awaits_approval"] = workflow.awaits_approval
    return order, Outcome(events=[("order.placed", placed)], activity=[entry])


def _placement(workflow: Workflow, actor: Actor, request: JSON) -> JSON:
    try:
        data: JSON = _PLACE_REQUEST.load(request)
    except ValidationError as error:
        raise InvalidRequest("invalid order", {"errors": error.messages}) from None
    # The agreement says how many revisions are included, and a job's terms when it is due: an
    # explicit figure must agree.
    for part, agreed, field_name, parse in (
        ("package", "revisions_included", "revisions_allowed", int),
        ("terms", "revisions_included", "revisions_allowed", int),
        ("terms", "due_date", "committed_deliver_by", date.fromisoformat),
    ):
        if data[part] is None:
            continue
        value = parse(data[part][agreed])
        if data[field_name] is None:
            data[field_name] = value
        elif data[field_name] != value:
            raise InvalidRequest(
                "invalid order", {"errors": {field_name: [f"must equal {part}.{agreed}"]}}
            )
    if data["terms"] is not None:
        _check_agreed_amount(data)
    errors = {
        name: [f"required by the {workflow.name} workflow"]
        for name in workflow.placement.required
        if data[name] is None
    }
    by_kind = workflow.placement.required_by_kind
    for name in sorted({n for names in by_kind.values() for n in names}):
        wanted = name in by_kind.get(data["kind"], ())
        if wanted and data[name] is None:
            errors[name] = [f"required for a {data['kind']} order"]
        elif not wanted and data[name] is not None:
            carriers = sorted(kind for kind, names in by_kind.items() if name in names)
            errors[name] = [f"only a {' or '.join(carriers)} order carries {name}"]
    kinds = workflow.placement.kinds
    if kinds and data["kind"] not in kinds:
        errors["kind"] = [f"one of {', '.join(kinds)}"]
    elif not kinds and data["kind"] is not None:
        errors["kind"] = [f"the {workflow.name} workflow has no kinds"]
    if data["supplier_org"] == actor.org:
        errors["supplier_org"] = ["an organisation cannot order from itself"]
    if errors:
        raise InvalidRequest("invalid order", {"errors": errors})
    return data


def _placement_texts(data: JSON) -> dict[str, str | None]:
    """The placement's free text the other party reads. The Ship-To address and phone are not
    among them: they are meant for the carrier."""
    texts = {"title": data["title"]}
    texts.update(
        (f"lines.{number}.description", line["description"])
        for number, line in enumerate(data["lines"])
    )
    package = data["package"] or {}
    texts["package.name"] = package.get("name")
    texts.update(
        (f"package.features.{number}", feature)
        for number, feature in enumerate(package.get("features") or ())
    )
    texts["shipping.payment_terms"] = (data["shipping"] or {}).get("payment_terms")
    terms = data["terms"] or {}
    texts["terms.scope"] = terms.get("scope")
    texts.update(
        (f"terms.deliverables.{number}", deliverable)
        for number, deliverable in enumerate(terms.get("deliverables") or ())
    )
    return texts


def _check_agreed_amount(data: JSON) -> None:
    """A job's agreed amount is what the employer pays: the order's total. The terms name no
    currency of their own (JobTermsSchema refuses one): their amounts are in the order's."""
    terms = data["terms"]
    total = sum(line["quantity"] * line["unit_price"] for line in data["lines"])
    if terms["amount"] != total:
        raise InvalidRequest(
            "invalid order",
            {"errors": {"terms": {"amount": [f"must equal the order's total ({total})"]}}},
        )


def perform(
    order: Order,
    workflow: Workflow,
    actor: Actor,
    action: str,
    payload: JSON,
    now: datetime,
    calendar: Calendar = DEFAULT_CALENDAR,
    contact_filter: ContactFilter = DEFAULT_CONTACT_FILTER,
) -> Outcome:
    """``actor`` takes ``action`` on ``order``.

    A note other parties will read (the action's ``text`` fields) that carries contact details is
    refused, as chat refuses such a message. Only platform staff are exempt: an admin or support
    user of a customer organisation writes to the other party like any of its members.
    """
    _check_workflow(order, workflow)
    chosen = _authorize(order, workflow, actor, action)
    if not is_staff(asdict(actor)):
        contact_filter.refuse(chosen.notes(payload))
    return _run(order, workflow, actor, chosen, payload, as_utc(now), calendar)


def react(
    order: Order,
    workflow: Workflow,
    event_type: str,
    data: JSON,
    now: datetime,
    calendar: Calendar = DEFAULT_CALENDAR,
) -> Outcome:
    """The order's answer to another service's event, taken by the system."""
    _check_workflow(order, workflow)
    if data.get("order_id") != order.id:
        raise InvalidRequest(
            f"{event_type} is about order {data.get('order_id')}, not {order.id}",
            {"errors": {"order_id": [f"must be {order.id}"]}},
        )
    actor = Actor(user_id=f"event:{event_type}", role="system", org=PLATFORM)
    refusals = []
    for name in workflow.reactions.get(event_type, ()):
        action = workflow.actions[name]
        if order.status in action.sources:
            try:
                return _run(order, workflow, actor, action, data, as_utc(now), calendar)
            except GuardFailed as refused:
                refusals.append(f"{name}: {refused}")
    why = "; ".join(refusals) or f"no reaction of the {workflow.name} workflow applies"
    return Outcome(ignored=[f"{event_type} ignored for order {order.id} in {order.status}: {why}"])


def fire_due_timers(
    order: Order, workflow: Workflow, now: datetime, calendar: Calendar = DEFAULT_CALENDAR
) -> Outcome:
    """Fire, earliest first, every timer due at ``now``; each fires once."""
    _check_workflow(order, workflow)
    now = as_utc(now)
    outcome = Outcome()
    while (due := _next_timer(order, workflow, calendar)) and due[0] <= now:
        outcome.extend(_fire(order, workflow, due[1], now, calendar))
    # Kept true even when nothing fired (say, a holiday was added since the last change).
    _schedule(order, workflow, calendar)
    return outcome


def next_deadline(
    order: Order, workflow: Workflow, calendar: Calendar = DEFAULT_CALENDAR
) -> datetime | None:
    """When the order's next timer is due (possibly already past); None when none is pending."""
    due = _next_timer(order, workflow, calendar)
    return due[0] if due else None


def allowed_actions(order: Order, workflow: Workflow, actor: Actor) -> list[str]:
    """The actions ``actor`` may take in the order's state, in the workflow's order."""
    if not _is_party(order, actor):
        return []
    return [
        name
        for name, action in workflow.actions.items()
        if actor.role in action.roles and order.status in action.sources
    ]


def _check_workflow(order: Order, workflow: Workflow) -> None:
    if (order.workflow, order.workflow_version) != (workflow.name, workflow.version):
        raise ValueError(
            f"order {order.id} runs {order.workflow} v{order.workflow_version}, "
            f"not {workflow.name} v{workflow.version}"
        )


def _is_party(order: Order, actor: Actor) -> bool:
    party_org = {"buyer": order.buyer_org, "supplier": order.supplier_org}.get(actor.role)
    return party_org is None or party_org == actor.org


def _authorize(order: Order, workflow: Workflow, actor: Actor, name: str) -> Action:
    action = workflow.actions.get(name)
    if action is None:
        raise NotFound(
            f"the {workflow.name} workflow has no action {name!r}",
            {"action": name, "workflow": workflow.name},
        )
    if actor.role not in action.roles:
        raise Forbidden(
            f"a {actor.role} may not {name} in the {workflow.name} workflow",
            {"action": name, "role": actor.role},
        )
    if not _is_party(order, actor):
        raise Forbidden(
            f"{actor.org} is not the {actor.role} of order {order.id}",
            {"action": name, "role": actor.role},
        )
    if order.status not in action.sources:
        title = workflow.states[order.status].title
        raise IllegalTransition(
            f"cannot {name} an order that is {title}",
            {"state": order.status, "allowed": allowed_actions(order, workflow, actor)},
        )
    return action


def _run(
    order: Order,
    workflow: Workflow,
    actor: Actor,
    action: Action,
    payload: JSON | None,
    now: datetime,
    calendar: Calendar,
    fired: tuple[str, str | None] | None = None,
) -> Outcome:
    # Effects may fail halfway, so they work on a copy that replaces the order only on success.
    draft = order.draft()
    step = Step(actor=actor, now=now, calendar=calendar, track_lines=workflow.track_lines)
    branch = action.execute(draft, step, payload)
    source = draft.status
    if branch and branch.state != source:
        _enter(draft, workflow, branch.state, step)
    if fired:
        draft.fired_timers[fired[0]] = fired[1]
    _schedule(draft, workflow, calendar)
    draft.version += 1
    draft.updated_at = now
    outcome = _record(draft, workflow, action, branch, step, source)
    for name in _STATE_FIELDS:
        setattr(order, name, getattr(draft, name))
    order.timeline += outcome.activity
    return outcome


def _record(
    order: Order, workflow: Workflow, action: Action, branch: Branch | None, step: Step, source: str
) -> Outcome:
    """The events and the timeline entry of ``action``, which took the order from ``source``."""
    details = copy.deepcopy(step.details)
    emitted = [(event_type, details) for event_type in action.emits] + step.events
    if branch:
        emitted += [(event_type, details) for event_type in branch.emits]
    data = details
    if order.status != source:
        data = {**details, "from": source, "to": order.status}
        emitted.append(
            (
                "order.status_changed",
                {
                    "from": source,
                    "to": order.status,
                    "action": action.name,
                    "group": workflow.group_of(order.status),
                },
            )
        )
    summary = action.summary.format_map(
        {
            **details,
            "role": step.actor.role,
            "from": workflow.states[source].title,
            "to": workflow.states[order.status].title,
        }
    )
    return Outcome(
        events=[_event(order, event_type, payload) for event_type, payload in emitted],
        activity=[_activity(step.now, step.actor, action.name, summary, data)],
    )


def _enter(order: Order, workflow: Workflow, target: str, step: Step) -> None:
    # Lines that an effect moved one by one (partial shipments, deliveries, returns) went where
    # they belong; otherwise the lines that were with the order follow it.
    if not step.moved_lines:
        for line in order.lines:
            if line.status == order.status:
                step.move_line(line, target)
    order.status, order.status_entered_at = target, step.now
    if workflow.states[target].terminal:
        order.closed_at = step.now


def _schedule(order: Order, workflow: Workflow, calendar: Calendar) -> None:
    due = _next_timer(order, workflow, calendar)
    order.next_deadline = (
        None
        if due is None
        else {"at": due[0].isoformat(), "timer": due[1].name, "action": due[1].action}
    )


def _next_timer(
    order: Order, workflow: Workflow, calendar: Calendar
) -> tuple[datetime, Timer] | None:
    pending = [
        (at, timer)
        for timer in workflow.timers
        if (at := timer.due_at(order, calendar)) is not None
    ]
    return min(pending, key=lambda due: due[0], default=None)


def _fire(
    order: Order, workflow: Workflow, timer: Timer, now: datetime, calendar: Calendar
) -> Outcome:
    fired = (timer.name, timer.anchor_key(order))
    actor = Actor(user_id=f"timer:{timer.name}", role="system", org=PLATFORM)
    try:
        return _run(
            order,
            workflow,
            actor,
            workflow.actions[timer.action],
            dict(timer.payload),
            now,
            calendar,
            fired,
        )
    except GuardFailed as refused:
        # Spent all the same: a timer left armed would be due again at every poll.
        order.fired_timers[fired[0]] = fired[1]
        _schedule(order, workflow, calendar)
        order.version += 1
        order.updated_at = now
        return Outcome(
            ignored=[f"timer {timer.name} spent on order {order.id} without effect: {refused}"]
        )


def _event(order: Order, event_type: str, data: JSON) -> tuple[str, JSON]:
    return event_type, events.payload(order, event_type, data)


def _activity(now: datetime, actor: Actor, kind: str, summary: str, data: JSON) -> JSON:
    return {
        "at": now.isoformat(),
        "actor": asdict(actor),
        "kind": kind,
        "summary": summary,
        "data": data,
    }


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse(kind: type[date], value: str | None) -> date | None:
    return None if value is None else kind.fromisoformat(value)
