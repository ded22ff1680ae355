"""Reads workflow files, refuses invalid ones, and builds ``model.Workflow`` objects.

One YAML file per workflow version (any ``*.yaml`` in the directory; keep an old version's file
while orders created with it are in flight)::

    name: retail                       # snake_case identifier
    version: 1
    title: Retail marketplace
    initial: pending                   # where a placed order starts
    track_lines: true                  # per-line status and status history
    placement:
      summary: Order placed            # the timeline entry; may use {title}
      required: [committed_deliver_by] # optional order fields this workflow requires
      kinds: [service, job]            # when given, an order's kind must be one of these
      required_by_kind: {job: [terms]} # what an order of a kind must carry besides
    states:
      <state>: {title: Pending, group: active|completed|cancelled|rejected, terminal: false}
    actions:
      <action>:
        summary: "Timeline text; {field} of the payload or details, {from}, {to}, {role}"
        roles: [buyer, supplier, admin, support, system]
        from: [<state>, ...]           # or "*": every state
        to: <state>                    # or {<from state>: <to state>}: one step per state
                                       # or [{state, from?, when?, emits?}, ...]: the first
                                       #    that fits, evaluated after the effects; none: stay
        payload:                       # validated before anything else; unknown keys ignored
          <field>: {type: string|text|integer|date|strings|line_quantities|inspection_lines,
                    required: false, choices: [...], min: N, max: N}
                                       # text: free text other parties read (a reason, a note),
                                       #   refused if it carries contact details (staff exempt)
        guards: [<guard>, {<guard>: <params>, roles: [<only for these roles>]}]
        effects: [<effect>, {<effect>: <params>}]
        details: {<key>: <value>}      # constant facts for the events and the timeline entry
        emits: [<event type>, ...]
    reactions:
      <event type>: [<system action>, ...]   # the first whose state and guards fit handles it
    timers:
      <timer>:
        from: [<state>, ...]
        after: {business_days|days|hours: N, from: <anchor>}   # or before: {...}
        action: <system action>
        payload: {...}

Guard and effect names come from ``guards.GUARDS`` and ``effects.EFFECTS``; their params map to
the factory's arguments (a mapping to keywords, a list to positional arguments, a scalar to one).
Events must be in ``events.EMITTED_EVENTS`` and ``events.REACTED_EVENTS``; anchors in
``model.ANCHORS``.
"""

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from contracts.errors import NotFound
from orders.workflow import effects, events, guards, model, records
from orders.workflow.model import JSON

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "workflows"
IDENTIFIER = validate.Regexp(r"\A[a-z][a-z0-9_]*\Z", error="use snake_case")


class WorkflowError(ValueError):
    """A workflow file is invalid; ``errors`` maps paths in the file to messages."""

    def __init__(self, source: str, errors: JSON) -> None:
        super().__init__(f"invalid workflow {source}: {errors}")
        self.source = source
        self.errors = errors


class _LineQuantity(Schema):
    class Meta:
        unknown = EXCLUDE

    line_id = fields.String(required=True)
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))


class _LineVerdict(Schema):
    class Meta:
        unknown = EXCLUDE

    line_id = fields.String(required=True)
    accepted = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    rejected = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    rework = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))


NON_EMPTY = validate.Length(min=1)
FieldOf = fields.Field[Any]
Validator = Callable[[Any], Any]

# type -> (field class, the validators every field of that type has)
FIELD_TYPES: dict[str, tuple[Callable[..., FieldOf], tuple[Validator, ...]]] = {
    "string": (fields.String, (NON_EMPTY,)),
    model.FREE_TEXT: (fields.String, ()),
    "integer": (partial(fields.Integer, strict=True), ()),
    "date": (fields.Date, ()),
    "strings": (partial(fields.List, fields.String(validate=NON_EMPTY)), ()),
    "line_quantities": (partial(fields.List, fields.Nested(_LineQuantity)), (NON_EMPTY,)),
    "inspection_lines": (partial(fields.List, fields.Nested(_LineVerdict)), (NON_EMPTY,)),
}


class _FieldSpec(Schema):
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    required = fields.Boolean(load_default=False)
    choices = fields.List(fields.Raw(), validate=NON_EMPTY)
    min = fields.Integer(strict=True)
    max = fields.Integer(strict=True)


def _payload_schema(specs: Mapping[str, Mapping[str, Any]]) -> Schema:
    def build(spec: Mapping[str, Any]) -> FieldOf:
        make, common = FIELD_TYPES[spec["type"]]
        validators = list(common)
        if "choices" in spec:
            validators.append(validate.OneOf(spec["choices"]))
        if "min" in spec or "max" in spec:
            validators.append(validate.Range(min=spec.get("min"), max=spec.get("max")))
        if spec["type"] == model.FREE_TEXT and spec["required"]:
            validators.append(NON_EMPTY)
        return make(required=spec["required"], validate=validators)

    # Events gain fields without a version bump, so unknown keys are ignored, not refused.
    return Schema.from_dict({name: build(spec) for name, spec in specs.items()})(unknown=EXCLUDE)


def _bind(registry: Mapping[str, Callable[..., Any]], spec: Any) -> tuple[str, Any, Any]:
    """(name, params, what the factory made) for a ``name`` or ``{name: params}`` reference."""
    if isinstance(spec, str):
        spec = {spec: None}
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise ValidationError("give a name, or a mapping of one name to its parameters")
    [(name, params)] = spec.items()
    factory = registry.get(name)
    if factory is None:
        raise ValidationError(f"unknown {name!r}; known: {', '.join(sorted(registry))}")
    try:
        if params is None:
            return name, params, factory()
        if isinstance(params, Mapping):
            return name, params, factory(**params)
        if isinstance(params, list):
            return name, params, factory(*params)
        return name, params, factory(params)
    except (TypeError, ValueError) as error:
        raise ValidationError(f"{name}: {error}") from None


class _GuardField(fields.Field[model.Guard]):
    """``name``, or ``{name: params}``, optionally with ``roles``: the roles it applies to."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> model.Guard:
        roles = None
        if isinstance(value, Mapping) and "roles" in value:
            value = dict(value)
            roles = value.pop("roles")
            if not isinstance(roles, list) or not set(roles) <= set(model.ROLES):
                raise ValidationError(f"roles must be a list of {', '.join(model.ROLES)}")
            roles = frozenset(roles)
        name, _, check = _bind(guards.GUARDS, value)
        return model.Guard(name, check, roles)


class _EffectField(fields.Field[model.Effect]):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> model.Effect:
        return model.Effect(*_bind(effects.EFFECTS, value))


class _MomentField(fields.Field[model.Moment]):
    def __init__(self, sign: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sign = sign

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> model.Moment:
        if not isinstance(value, Mapping):
            raise ValidationError("give {<unit>: N, from: <anchor>}")
        try:
            return model.Moment.parse(value, self.sign)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class _BranchSpec(Schema):
    state = fields.String(required=True)
    source = fields.String(data_key="from")
    when = fields.List(_GuardField(), load_default=list)
    emits = fields.List(
        fields.String(validate=validate.OneOf(events.EMITTED_EVENTS)), load_default=list
    )

    @pre_load
    def listify_when(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, Mapping) and "when" in data and not isinstance(data["when"], list):
            return {**data, "when": [data["when"]]}
        return data

    @post_load
    def build(self, spec: JSON, **kwargs: Any) -> model.Branch:
        return model.Branch(
            spec["state"], spec.get("source"), tuple(spec["when"]), tuple(spec["emits"])
        )


class _TargetsField(fields.Field[tuple[model.Branch, ...]]):
    """``to``: a state, a mapping of from-state to to-state, or a list of branches."""

    def _deserialize(
        self, value: Any, attr: Any, data: Any, **kwargs: Any
    ) -> tuple[model.Branch, ...]:
        if isinstance(value, str):
            return (model.Branch(value),)
        if isinstance(value, Mapping):
            return tuple(model.Branch(target, source) for source, target in value.items())
        if isinstance(value, list):
            return tuple(_BranchSpec().load(branch) for branch in value)
        raise ValidationError("give a state, a mapping of states, or a list of branches")


class _SourcesField(fields.Field[list[str] | str]):
    """``from``: a list of states, or "*" for every state."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str] | str:
        if value == "*":
            return "*"
        if isinstance(value, list) and value and all(isinstance(state, str) for state in value):
            return list(value)
        raise ValidationError('give a list of states or "*"')


class _ActionSpec(Schema):
    summary = fields.String(required=True)
    roles = fields.List(
        fields.String(validate=validate.OneOf(model.ROLES)), required=True, validate=NON_EMPTY
    )
    sources = _SourcesField(data_key="from")
    to = _TargetsField(load_default=())
    payload = fields.Dict(
        keys=fields.String(validate=IDENTIFIER), values=fields.Nested(_FieldSpec), load_default=dict
    )
    guards = fields.List(_GuardField(), load_default=list)
    effects = fields.List(_EffectField(), load_default=list)
    details = fields.Dict(keys=fields.String(), load_default=dict)
    emits = fields.List(
        fields.String(validate=validate.OneOf(events.EMITTED_EVENTS)), load_default=list
    )

    @validates_schema
    def sources_given(self, spec: JSON, **kwargs: Any) -> None:
        targets = spec.get("to", ())
        if "sources" not in spec and (not targets or any(b.source is None for b in targets)):
            raise ValidationError("give the states this action leaves from", "from")


class _TimerSpec(Schema):
    sources = fields.List(fields.String(), data_key="from", required=True, validate=NON_EMPTY)
    after = _MomentField(sign=1)
    before = _MomentField(sign=-1)
    action = fields.String(required=True)
    payload = fields.Dict(keys=fields.String(), load_default=dict)
    paused_while = fields.List(
        fields.String(validate=validate.OneOf(records.FLAGS)), load_default=list
    )

    @validates_schema
    def one_moment(self, spec: JSON, **kwargs: Any) -> None:
        if ("after" in spec) == ("before" in spec):
            raise ValidationError("give exactly one of after and before")


class _PlacementSpec(Schema):
    summary = fields.String(load_default="Order placed")
    required = fields.List(
        fields.String(validate=validate.OneOf(model.PLACEMENT_FIELDS)), load_default=list
    )
    kinds = fields.List(fields.String(validate=IDENTIFIER), load_default=list)
    required_by_kind = fields.Dict(
        keys=fields.String(validate=IDENTIFIER),
        values=fields.List(fields.String(validate=validate.OneOf(model.PLACEMENT_FIELDS))),
        load_default=dict,
    )


class _StateSpec(Schema):
    title = fields.String(required=True)
    group = fields.String(required=True, validate=validate.OneOf(model.GROUPS))
    terminal = fields.Boolean(load_default=False)


class _WorkflowSpec(Schema):
    name = fields.String(required=True, validate=IDENTIFIER)
    version = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    title = fields.String(required=True)
    initial = fields.String(required=True)
    track_lines = fields.Boolean(load_default=False)
    placement = fields.Nested(_PlacementSpec, required=True)
    states = fields.Dict(
        keys=fields.String(validate=IDENTIFIER),
        values=fields.Nested(_StateSpec),
        required=True,
        validate=NON_EMPTY,
    )
    actions = fields.Dict(
        keys=fields.String(validate=IDENTIFIER),
        values=fields.Nested(_ActionSpec),
        required=True,
        validate=NON_EMPTY,
    )
    reactions = fields.Dict(
        keys=fields.String(validate=validate.OneOf(events.REACTED_EVENTS)),
        values=fields.List(fields.String(), validate=NON_EMPTY),
        load_default=dict,
    )
    timers = fields.Dict(
        keys=fields.String(validate=IDENTIFIER), values=fields.Nested(_TimerSpec), load_default=dict
    )

    @post_load
    def build(self, spec: JSON, **kwargs: Any) -> model.Workflow:
        workflow = _assemble(spec)
        if problems := _problems(workflow):
            raise ValidationError(problems)
        return workflow


def _assemble(spec: JSON) -> model.Workflow:
    states = {name: model.State(name, **state) for name, state in spec["states"].items()}
    return model.Workflow(
        name=spec["name"],
        version=spec["version"],
        title=spec["title"],
        initial=spec["initial"],
        track_lines=spec["track_lines"],
        placement=model.Placement(
            spec["placement"]["summary"],
            tuple(spec["placement"]["required"]),
            tuple(spec["placement"]["kinds"]),
            {kind: tuple(names) for kind, names in spec["placement"]["required_by_kind"].items()},
        ),
        states=states,
        actions={name: _action(name, action, states) for name, action in spec["actions"].items()},
        reactions={event: tuple(names) for event, names in spec["reactions"].items()},
        timers=tuple(
            model.Timer(
                name,
                frozenset(timer["sources"]),
                timer.get("after") or timer["before"],
                timer["action"],
                timer["payload"],
                frozenset(timer["paused_while"]),
            )
            for name, timer in spec["timers"].items()
        ),
    )


def _action(name: str, spec: JSON, states: Mapping[str, model.State]) -> model.Action:
    sources = spec.get("sources")
    if sources is None:
        sources = [branch.source for branch in spec["to"]]
    elif sources == "*":
        sources = list(states)
    return model.Action(
        name=name,
        summary=spec["summary"],
        roles=frozenset(spec["roles"]),
        sources=frozenset(sources),
        payload=_payload_schema(spec["payload"]),
        fields=spec["payload"],
        branches=spec["to"],
        guards=tuple(spec["guards"]),
        effects=tuple(spec["effects"]),
        details=spec["details"],
        emits=tuple(spec["emits"]),
    )


def _problems(workflow: model.Workflow) -> dict[str, list[str]]:
    """Cross-references a schema cannot check: every name used must be defined, and fit."""
    states = workflow.states
    problems: dict[str, list[str]] = {}

    def problem(path: str, message: str) -> None:
        problems.setdefault(path, []).append(message)

    if workflow.initial not in states:
        problem("initial", f"unknown state {workflow.initial!r}")
    for action in workflow.actions.values():
        path = f"actions.{action.name}"
        for state in sorted(action.sources - states.keys()):
            problem(f"{path}.from", f"unknown state {state!r}")
        for branch in action.branches:
            if branch.state not in states:
                problem(f"{path}.to", f"unknown state {branch.state!r}")
            if branch.source is not None and branch.source not in action.sources:
                problem(f"{path}.to", f"{branch.source!r} is not a state the action leaves from")
        for effect in action.effects:
            line_status = (
                effect.params.get("line_status") if isinstance(effect.params, Mapping) else None
            )
            if line_status is not None and line_status not in states:
                problem(f"{path}.effects", f"unknown state {line_status!r}")
        for state in sorted(action.sources & states.keys()):
            if states[state].terminal and action.targets(state) - {state}:
                problem(f"{path}.to", f"{state!r} is terminal; no action may leave it")
    for event, names in workflow.reactions.items():
        for name in names:
            _require_system_action(workflow, name, f"reactions.{event}", problem)
    for timer in workflow.timers:
        path = f"timers.{timer.name}"
        if _require_system_action(workflow, timer.action, path, problem):
            action = workflow.actions[timer.action]
            for state in sorted(timer.sources - action.sources):
                problem(f"{path}.from", f"{timer.action} cannot be taken from {state!r}")
            for field_name, messages in action.payload.validate(timer.payload).items():
                problem(f"{path}.payload.{field_name}", str(messages))
    return problems


def _require_system_action(
    workflow: model.Workflow, name: str, path: str, problem: Callable[[str, str], None]
) -> bool:
    action = workflow.actions.get(name)
    if action is None:
        problem(path, f"unknown action {name!r}")
    elif "system" not in action.roles:
        problem(path, f"{name} must list the system role to be taken automatically")
    return action is not None


def parse_workflow(document: Mapping[str, Any] | str, source: str = "<workflow>") -> model.Workflow:
    """Build a workflow from its YAML text or its parsed document; raises WorkflowError."""
    parsed = yaml.safe_load(document) if isinstance(document, str) else document
    try:
        workflow: model.Workflow = _WorkflowSpec().load(parsed)
    except ValidationError as error:
        messages = error.messages
        raise WorkflowError(
            source, messages if isinstance(messages, dict) else {"_schema": messages}
        ) from None
    return workflow


def load_workflows(directory: str | Path | None = None) -> dict[tuple[str, int], model.Workflow]:
    """Every workflow in ``directory`` (default: the bundled ones), by (name, version)."""
    workflows: dict[tuple[str, int], model.Workflow] = {}
    for path in sorted(Path(directory or DEFAULT_DIRECTORY).glob("*.yaml")):
        workflow = parse_workflow(path.read_text(encoding="utf-8"), source=str(path))
        key = (workflow.name, workflow.version)
        if key in workflows:
            raise WorkflowError(str(path), {"version": [f"{key} is defined twice"]})
        workflows[key] = workflow
    return workflows


def latest(workflows: Mapping[tuple[str, int], model.Workflow], name: str) -> model.Workflow:
    """The newest version of the workflow called ``name``; new orders are placed with it."""
    versions = [version for workflow_name, version in workflows if workflow_name == name]
    if not versions:
        raise NotFound(
            f"no workflow named {name!r}",
            {"workflow": name, "known": sorted({n for n, _ in workflows})},
        )
    return workflows[(name, max(versions))]
