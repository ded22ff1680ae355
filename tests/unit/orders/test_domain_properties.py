"""Random histories — actions by random roles, other services' events, the clock moving — keep
every bundled workflow's promises: the order stays in the workflow's states and moves only along
its declared transitions, only the listed roles succeed, a refused call changes nothing, and line
quantities stay consistent."""

import copy
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chassis.envelope import new_envelope
from contracts.errors import ServiceError
from orders.domain import (
    Actor,
    allowed_actions,
    fire_due_timers,
    next_deadline,
    perform,
    place_order,
    react,
)
from orders.workflow import (
    EMITTED_EVENTS,
    REACTED_EVENTS,
    Calendar,
    latest,
    load_workflows,
)
from support.orders import job_terms

UTC = UTC
WORKFLOWS = load_workflows()
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CALENDAR = Calendar(frozenset({date(2026, 3, 11), date(2026, 4, 6)}))
ACTORS = [
    Actor("u-buyer", "buyer", "acme"),
    Actor("u-supplier", "supplier", "forge"),
    Actor("u-admin", "admin", "platform"),
    Actor("u-support", "support", "platform"),
    Actor("u-system", "system", "platform"),
    Actor("u-rival", "supplier", "rival"),
]
# Values that open guarded paths (documents, sorting-centre scans, ...), and others that don't.
HINTS = {
    "kind": ["inspection_report", "material_certificate", "photo"],
    "location_kind": ["sorting_centre", "hub"],
    "reason": ["insufficient_stock", "late"],
    "shipment_id": ["s1", "s2", "s3"],
}
WORDS = ["x", "y"]


@st.composite
def placements(draw, workflow):
    committed = draw(st.dates(min_value=date(2026, 3, 3), max_value=date(2026, 4, 30)))
    revisions = draw(st.integers(0, 2))
    request = {
        "supplier_org": "forge",
        "title": "Random order",
        "currency": "EUR",
        "lines": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "sku": st.sampled_from(["A", "B"]),
                        "quantity": st.integers(1, 5),
                        "unit_price": st.integers(0, 1000),
                    }
                ),
                min_size=1,
                max_size=3,
            )
        ),
        "kind": draw(st.sampled_from(workflow.placement.kinds))
        if workflow.placement.kinds
        else None,
        "committed_ship_by": (committed - timedelta(days=2)).isoformat(),
        "committed_deliver_by": committed.isoformat(),
        "revisions_allowed": revisions,
    }
    if request["kind"] == "job":
        total = sum(line["quantity"] * line["unit_price"] for line in request["lines"])
        request["terms"] = job_terms(revisions, amount=total, due_date=committed.isoformat())
    return request


def values(name, spec, order):
    """A strategy for one declared payload field, mostly valid, sometimes not."""
    line_ids = [line.line_id for line in order.lines] + ["L9"]
    if "choices" in spec:
        return st.sampled_from(spec["choices"] + ["x"])
    return {
        "string": st.sampled_from(HINTS.get(name, WORDS)),
        "text": st.sampled_from(WORDS + [""]),
        "integer": st.integers(spec.get("min", 0) - 1, spec.get("max", 5) + 1),
        "date": st.dates(min_value=date(2026, 3, 1), max_value=date(2026, 5, 31)).map(
            date.isoformat
        ),
        "strings": st.lists(st.sampled_from(WORDS), max_size=2),
        "line_quantities": st.lists(
            st.fixed_dictionaries(
                {"line_id": st.sampled_from(line_ids), "quantity": st.integers(1, 6)}
            ),
            min_size=1,
            max_size=3,
        ),
        "inspection_lines": st.one_of(
            st.tuples(*(verdicts(line.quantity) for line in order.lines)).map(
                lambda rows: [
                    {"line_id": line.line_id, **row}
                    for line, row in zip(order.lines, rows, strict=True)
                ]
            ),
            st.lists(
                st.fixed_dictionaries(
                    {
                        "line_id": st.sampled_from(line_ids),
                        "accepted": st.integers(0, 5),
                        "rejected": st.integers(0, 5),
                        "rework": st.integers(0, 5),
                    }
                ),
                max_size=3,
            ),
        ),
    }[spec["type"]]


def verdicts(quantity):
    """accepted + rejected + rework == quantity."""
    return st.integers(0, quantity).flatmap(
        lambda accepted: st.integers(0, quantity - accepted).map(
            lambda rejected: {
                "accepted": accepted,
                "rejected": rejected,
                "rework": quantity - accepted - rejected,
            }
        )
    )


@st.composite
def payloads(draw, specs, order):
    return {
        name: draw(values(name, spec, order))
        for name, spec in specs.items()
        if draw(st.integers(0, 9)) < (9 if spec["required"] else 5)
    }


def event_data(workflow, event_type):
    """The fields the workflow's reactions to ``event_type`` read, merged."""
    return {
        name: spec
        for action in workflow.reactions.get(event_type, ())
        for name, spec in workflow.actions[action].fields.items()
    }


def onward(workflow, order):
    """The actions that may move the order to another state that is not terminal."""
    return {
        name
        for name, action in workflow.actions.items()
        if any(
            target != order.status and not workflow.states[target].terminal
            for target in action.targets(order.status)
        )
    }


def check_events(outcome, workflow, source):
    for event_type, payload in outcome.events:
        assert event_type in EMITTED_EVENTS
        new_envelope(event_type, payload, "orders")  # raises unless the payload keeps its contract
        if event_type == "order.status_changed":
            assert payload["from"] == source
            assert any(
                payload["to"] in action.targets(source)
                for action in workflow.actions.values()
                if source in action.sources
            )
            source = payload["to"]


def check_order(order, workflow):
    assert order.status in workflow.states
    for line in order.lines:
        assert (line.status in workflow.states) if workflow.track_lines else line.status is None
        assert min(line.accepted_qty, line.rejected_qty, line.rework_qty) >= 0
        assert line.accepted_qty + line.rejected_qty + line.rework_qty <= line.quantity
        assert 0 <= line.delivered_qty <= line.shipped_qty <= line.quantity
        assert 0 <= line.returned_qty <= line.delivered_qty


def act(data, workflow, order, now):
    # Mostly something the buyer or supplier may do now, favouring moves to another active
    # state so histories go deep; sometimes anything at all, by anyone.
    allowed = [
        (actor, action)
        for actor in ACTORS[:2]
        for action in allowed_actions(order, workflow, actor)
    ]
    if allowed and data.draw(st.integers(0, 4)):
        moving = onward(workflow, order)
        actor, action = data.draw(
            st.sampled_from(allowed + 4 * [pair for pair in allowed if pair[1] in moving])
        )
    else:
        actor = data.draw(st.sampled_from(ACTORS))
        action = data.draw(st.sampled_from(sorted(workflow.actions)))
    payload = data.draw(payloads(workflow.actions[action].fields, order))
    outcome = perform(order, workflow, actor, action, payload, now, calendar=CALENDAR)
    assert actor.role in workflow.actions[action].roles
    return outcome, now


def deliver_an_event(data, workflow, order, now):
    # Mostly an event the order's state has a reaction to; sometimes any, late or irrelevant.
    awaited = sorted(
        event
        for event, names in workflow.reactions.items()
        if any(order.status in workflow.actions[name].sources for name in names)
    )
    event_type = data.draw(
        st.sampled_from(awaited)
        if awaited and data.draw(st.integers(0, 4))
        else st.sampled_from(sorted(REACTED_EVENTS))
    )
    payload = data.draw(payloads(event_data(workflow, event_type), order))
    return react(
        order, workflow, event_type, {**payload, "order_id": order.id}, now, calendar=CALENDAR
    ), now


def let_time_pass(data, workflow, order, now):
    now += timedelta(hours=data.draw(st.one_of(st.integers(1, 12), st.integers(1, 24 * 7))))
    outcome = fire_due_timers(order, workflow, now, calendar=CALENDAR)
    deadline = next_deadline(order, workflow, calendar=CALENDAR)
    assert deadline is None or deadline > now
    return outcome, now


@pytest.mark.parametrize("name", sorted({name for name, _ in WORKFLOWS}))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_histories_keep_the_workflow_promises(name, data):
    workflow = latest(WORKFLOWS, name)
    order, _ = place_order(
        workflow, "ord-1", ACTORS[0], data.draw(placements(workflow)), START, calendar=CALENDAR
    )
    now = START
    for _ in range(data.draw(st.integers(10, 50), label="steps")):
        before = copy.deepcopy(order)
        move = data.draw(
            st.sampled_from([act, act, deliver_an_event, deliver_an_event, let_time_pass])
        )
        try:
            outcome, now = move(data, workflow, order, now)
        except ServiceError:
            assert order == before
        else:
            if workflow.states[before.status].terminal:
                assert order.status == before.status
            if outcome.activity:
                assert order.version > before.version
            elif move is not let_time_pass:  # only timers are spent without a trace
                assert order == before
            check_events(outcome, workflow, before.status)
        check_order(order, workflow)
