"""What a workflow is: states, actions, branches, guards, effects, timers, and one step in progress.

A workflow (one per marketplace and version, loaded from a YAML file by ``loader``) holds:

- ``State``: a title, a ``group`` (the list tab it belongs to) and ``terminal`` (no action leaves);
- ``Action``: the roles that may take it, the states it leaves from, its payload schema, guards,
  effects, ``Branch`` targets and the events it emits;
- reactions: another service's event type -> the system actions that may handle it, in order;
- ``Timer``: a system action taken when a ``Moment`` (business days, days or hours from one of
  the order's timestamps) has passed while the order is in given states.

``Action.execute`` runs one action: payload, guards, effects, then the branch that fits. It mutates
the order it is given; ``orders.domain`` hands it a copy, so an error leaves the order untouched.
The guards and effects a workflow names are in ``guards`` and ``effects``.
"""

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError

from chassis.calendar import Calendar
from contracts.errors import GuardFailed, InvalidRequest

if TYPE_CHECKING:  # the domain imports this module: its types are for the checker only
    from orders.domain import Actor, Line, Order

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
# The payload type of free text other parties read (a reason, feedback, a note): it may carry no
# contact details (contracts.contact_details), unless staff write it.
FREE_TEXT = "text"
PLACEMENT_FIELDS = (
    "committed_ship_by",
    "committed_deliver_by",
    "revisions_allowed",
    "package",
    "terms",
)

JSON = dict[str, Any]  # a JSON object: payloads, details, records kept on the order


@dataclass
class Step:
    """One action in progress: who takes it, when, with what payload, and what it produced."""

    actor: "Actor"
    now: datetime
    calendar: Calendar
    track_lines: bool
    payload: JSON = field(default_factory=dict)
    details: JSON = field(default_factory=dict)
    events: list[tuple[str, JSON]] = field(default_factory=list)
    moved_lines: set[str] = field(default_factory=set)

    @property
    def by(self) -> JSON:
        return asdict(self.actor)

    def emit(self, event_type: str, **data: Any) -> None:
        self.events.append((event_type, data))

    def move_line(self, line: "Line", status: str) -> None:
        if self.track_lines and line.status != status:
            line.status = status
            line.history.append({"status": status, "at": self.now.isoformat(), "actor": self.by})
        self.moved_lines.add(line.line_id)


Check = Callable[["Order", Step], str | None]
Apply = Callable[["Order", Step], None]


@dataclass(frozen=True)
class Moment:
    """An offset from one of the order's timestamps; date anchors mean midnight UTC."""

    anchor: str
    amount: int
    unit: str

    @classmethod
    def parse(cls, spec: Mapping[str, Any], sign: int = 1) -> "Moment":
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

    def anchor_value(self, order: "Order") -> date | datetime | None:
        value: date | datetime | None = getattr(order, self.anchor)
        return value

    def resolve(self, order: "Order", calendar: Calendar) -> datetime | None:
        value = self.anchor_value(order)
        if value is None:
            return None
        start = value if isinstance(value, datetime) else datetime.combine(value, time(), UTC)
        return self.counted_from(start, calendar)

    def counted_from(self, start: datetime, calendar: Calendar) -> datetime:
        if self.unit == "business_days":
            return calendar.add_business_days(start, self.amount)
        return start + timedelta(**{self.unit: self.amount})


@dataclass(frozen=True)
class Guard:
    name: str
    check: Check
    roles: frozenset[str] | None = None  # None: applies whoever acts

    def failure(self, order: "Order", step: Step) -> str | None:
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

    def fits(self, order: "Order", step: Step) -> bool:
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
    fields: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # the payload as declared
    branches: tuple[Branch, ...] = ()  # none fits: the order stays where it is
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    emits: tuple[str, ...] = ()

    @property
    def may_emit(self) -> tuple[str, ...]:
        """What the action may emit: always, or on reaching one of its targets."""
        return tuple(dict.fromkeys([*self.emits, *(e for b in self.branches for e in b.emits)]))

    def targets(self, source: str) -> set[str]:
        return {branch.state for branch in self.branches if branch.source in (None, source)}

    def notes(self, payload: Mapping[str, Any] | None) -> dict[str, str]:
        """The free text in ``payload`` that other parties will read: its ``text`` fields."""
        notes = {}
        for name, spec in self.fields.items():
            value = (payload or {}).get(name)
            if spec.get("type") == FREE_TEXT and isinstance(value, str) and value.strip():
                notes[name] = value
        return notes

    def execute(
        self, order: "Order", step: Step, payload: Mapping[str, Any] | None
    ) -> Branch | None:
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
    paused_while: frozenset[str] = frozenset()  # flags; lifting one restarts the whole window

    def anchor_key(self, order: "Order") -> str | None:
        value = self.moment.anchor_value(order)
        return None if value is None else value.isoformat()

    def due_at(self, order: "Order", calendar: Calendar) -> datetime | None:
        """When the timer fires for this order; None when it does not apply or already fired.

        A timer fires once per value of its anchor, so re-entering a state re-arms it.
        """
        if order.status not in self.sources:
            return None
        if order.fired_timers.get(self.name) == self.anchor_key(order):
            return None
        if any(getattr(order, flag) for flag in self.paused_while):
            return None
        due = self.moment.resolve(order, calendar)
        resumed = order.timers_resumed_at if self.paused_while else None
        if due is not None and resumed is not None:
            due = max(due, self.moment.counted_from(resumed, calendar))
        return due


@dataclass(frozen=True)
class Placement:
    summary: str
    required: tuple[str, ...] = ()  # of PLACEMENT_FIELDS
    kinds: tuple[str, ...] = ()  # when given, an order's kind must be one of them
    # What an order of one kind must also carry (a job order, its agreed terms). A field some
    # kind requires is refused on the kinds that do not (a service order has no job terms).
    required_by_kind: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


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

    @property
    def awaits_approval(self) -> bool:
        """Whether a new order waits for an action that emits ``order.approved`` before it ships:
        fulfillment learns it from ``order.placed``, since which orders wait is this file's
        knowledge, not fulfillment's."""
        return any(
            self.initial in action.sources and "order.approved" in action.may_emit
            for action in self.actions.values()
        )

    def describe(self) -> JSON:
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
                    "emits": list(action.may_emit),
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
                    "paused_while": sorted(timer.paused_while),
                }
                for timer in self.timers
            ],
        }


def registrar(registry: dict[str, Callable[..., Any]]) -> Callable[[str], Callable[[Any], Any]]:
    """A decorator that files a guard or effect factory under the name workflow files use."""

    def named(name: str) -> Callable[[Any], Any]:
        def register(factory: Any) -> Any:
            registry[name] = factory
            return factory

        return register

    return named
