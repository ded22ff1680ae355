"""The engine's mechanics, on a small fifth marketplace that exists only as YAML text."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from contracts.errors import Forbidden, GuardFailed, IllegalTransition, InvalidRequest, NotFound
from orders.domain import (
    Actor,
    Order,
    allowed_actions,
    fire_due_timers,
    next_deadline,
    perform,
    place_order,
    react,
)
from orders.workflow import (
    EMITTED_EVENTS,
    WorkflowError,
    latest,
    load_workflows,
    parse_workflow,
)

UTC = UTC
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BUYER = Actor("u-buyer", "buyer", "acme")
SUPPLIER = Actor("u-supplier", "supplier", "rentco")
ADMIN = Actor("u-admin", "admin", "platform")

RENTAL = """
name: rental
version: 1
title: Equipment rental
initial: requested
track_lines: true
placement: {summary: "Rental requested: {title}"}
states:
  requested: {title: Requested, group: active}
  confirmed: {title: Confirmed, group: active}
  returned:  {title: Returned, group: completed, terminal: true}
  declined:  {title: Declined, group: cancelled, terminal: true}
actions:
  confirm:
    summary: Rental confirmed
    roles: [supplier]
    from: [requested]
    to: confirmed
    emits: [order.approved]
  decline:
    summary: "Declined by {by}: {reason}"
    roles: [supplier, system]
    from: [requested]
    to: declined
    payload:
      reason: {type: string, required: true}
    effects: [cancel]
    emits: [order.cancelled]
  hand_back:
    summary: Equipment handed back
    roles: [buyer]
    from: [confirmed]
    to: returned
    emits: [order.completed]
  note_payment:
    summary: Payment held
    roles: [system]
    from: "*"
    effects:
      - set_flag: funds_held
reactions:
  payment.held: [note_payment]
timers:
  auto_decline:
    from: [requested]
    after: {hours: 48, from: placed_at}
    action: decline
    payload: {reason: no_answer}
"""
REQUEST = {
    "supplier_org": "rentco",
    "title": "Excavator",
    "currency": "EUR",
    "lines": [
        {"sku": "EX-1", "description": "excavator, one week", "quantity": 1, "unit_price": 90000},
        {"sku": "TR-2", "quantity": 2, "unit_price": 5000},
    ],
}


@pytest.fixture
def rental():
    return parse_workflow(RENTAL)


@pytest.fixture
def order(rental):
    placed, _ = place_order(rental, "ord-1", BUYER, REQUEST, NOW)
    return placed


def types(outcome):
    return [event_type for event_type, _ in outcome.events]


class TestPlacing:
    def test_places_an_order_in_the_initial_state(self, rental):
        order, outcome = place_order(rental, "ord-1", BUYER, REQUEST, NOW)
        assert (order.status, order.total, order.version) == ("requested", 100000, 1)
        assert [line.line_id for line in order.lines] == ["L1", "L2"]
        assert order.lines[0].history == [
            {"status": "requested", "at": NOW.isoformat(), "actor": vars(BUYER)}
        ]
        [(event_type, payload)] = outcome.events
        assert event_type == "order.placed"
        assert payload | {"lines": None} == {
            "order_id": "ord-1",
            "buyer_org": "acme",
            "supplier_org": "rentco",
            "workflow": "rental",
            "workflow_version": 1,
            "status": "requested",
            "currency": "EUR",
            "amount": 100000,
            "buyer_user": "u-buyer",
            "title": "Excavator",
            "kind": None,
            "lines": None,
            "committed_ship_by": None,
            "committed_deliver_by": None,
            "revisions_allowed": None,
            "shipping": None,
            "awaits_approval": True,  # its approve action emits order.approved
        }
        assert outcome.activity == order.timeline
        assert outcome.activity[0]["summary"] == "Rental requested: Excavator"

    def test_only_a_buyer_places_orders(self, rental):
        with pytest.raises(Forbidden):
            place_order(rental, "ord-1", SUPPLIER, REQUEST, NOW)

    @pytest.mark.parametrize(
        "change, field",
        [
            ({"currency": "euro"}, "currency"),
            ({"lines": []}, "lines"),
            ({"lines": [{"sku": "X", "quantity": 0, "unit_price": 1}]}, "lines"),
            ({"lines": [{"sku": "X", "quantity": 1, "unit_price": 1.5}]}, "lines"),
            ({"title": ""}, "title"),
            ({"supplier_org": "acme"}, "supplier_org"),
            ({"kind": "service"}, "kind"),
            (
                {"committed_ship_by": "2026-04-02", "committed_deliver_by": "2026-04-01"},
                "committed_ship_by",
            ),
        ],
    )
    def test_refuses_invalid_requests_field_by_field(self, rental, change, field):
        with pytest.raises(InvalidRequest) as error:
            place_order(rental, "ord-1", BUYER, REQUEST | change, NOW)
        assert field in error.value.details["errors"]

    def test_refuses_naive_clocks(self, rental):
        with pytest.raises(ValueError, match="timezone"):
            place_order(rental, "ord-1", BUYER, REQUEST, NOW.replace(tzinfo=None))


class TestPerforming:
    def test_a_transition_emits_its_events_and_a_status_change(self, rental, order):
        later = NOW + timedelta(hours=1)
        outcome = perform(order, rental, SUPPLIER, "confirm", {}, later)
        assert types(outcome) == ["order.approved", "order.status_changed"]
        assert outcome.events[1][1] | {"order_id": None} == {
            "order_id": None,
            "from": "requested",
            "to": "confirmed",
            "action": "confirm",
            "group": "active",
            "buyer_org": "acme",
            "supplier_org": "rentco",
            "workflow": "rental",
            "workflow_version": 1,
            "status": "confirmed",
        }
        assert (order.status, order.status_entered_at, order.updated_at) == (
            "confirmed",
            later,
            later,
        )
        assert order.version == 2
        [entry] = outcome.activity
        assert entry == {
            "at": later.isoformat(),
            "actor": vars(SUPPLIER),
            "kind": "confirm",
            "summary": "Rental confirmed",
            "data": {"from": "requested", "to": "confirmed"},
        }
        assert order.timeline[-1] == entry
        assert [line.status for line in order.lines] == ["confirmed", "confirmed"]

    def test_money_events_carry_currency_and_amount(self, rental, order):
        outcome = perform(order, rental, SUPPLIER, "decline", {"reason": "booked"}, NOW)
        payload = dict(outcome.events)["order.cancelled"]
        assert payload | {"order_id": None} == {
            "order_id": None,
            "buyer_org": "acme",
            "supplier_org": "rentco",
            "workflow": "rental",
            "workflow_version": 1,
            "status": "declined",
            "currency": "EUR",
            "amount": 100000,
            "reason": "booked",
            "by": "supplier",
            "counts_against_supplier": False,
        }
        assert order.closed_at == NOW

    def test_an_illegal_action_names_the_state_and_what_is_allowed(self, rental, order):
        before = order.to_dict()
        with pytest.raises(IllegalTransition) as error:
            perform(order, rental, BUYER, "hand_back", {}, NOW)
        assert "Requested" in error.value.message
        assert error.value.details == {"state": "requested", "allowed": []}
        assert order.to_dict() == before

    def test_a_role_the_action_does_not_list_is_forbidden(self, rental, order):
        with pytest.raises(Forbidden):
            perform(order, rental, BUYER, "confirm", {}, NOW)

    def test_a_supplier_of_another_organisation_is_forbidden(self, rental, order):
        with pytest.raises(Forbidden):
            perform(order, rental, Actor("u-x", "supplier", "other"), "confirm", {}, NOW)
        assert allowed_actions(order, rental, Actor("u-x", "supplier", "other")) == []

    def test_an_unknown_action_is_not_found(self, rental, order):
        with pytest.raises(NotFound):
            perform(order, rental, SUPPLIER, "teleport", {}, NOW)

    def test_an_invalid_payload_changes_nothing(self, rental, order):
        before = order.to_dict()
        with pytest.raises(InvalidRequest) as error:
            perform(order, rental, SUPPLIER, "decline", {"reason": ""}, NOW)
        assert list(error.value.details["errors"]) == ["reason"]
        assert order.to_dict() == before

    def test_allowed_actions_follow_role_and_state(self, rental, order):
        assert allowed_actions(order, rental, SUPPLIER) == ["confirm", "decline"]
        assert allowed_actions(order, rental, BUYER) == []
        assert allowed_actions(order, rental, ADMIN) == []

    def test_refuses_a_workflow_the_order_does_not_run(self, order):
        other = parse_workflow(RENTAL.replace("version: 1", "version: 2"))
        with pytest.raises(ValueError, match="rental v1"):
            perform(order, other, SUPPLIER, "confirm", {}, NOW)


class TestReacting:
    def test_a_reaction_is_taken_by_the_system(self, rental, order):
        outcome = react(order, rental, "payment.held", {"order_id": "ord-1"}, NOW)
        assert order.funds_held
        assert outcome.activity[0]["actor"] == {
            "user_id": "event:payment.held",
            "role": "system",
            "org": "platform",
        }

    def test_events_the_workflow_does_not_react_to_are_ignored(self, rental, order):
        outcome = react(order, rental, "parcel.scanned", {"order_id": "ord-1"}, NOW)
        assert (outcome.events, outcome.activity, order.version) == ([], [], 1)

    def test_an_event_about_another_order_is_refused(self, rental, order):
        with pytest.raises(InvalidRequest):
            react(order, rental, "payment.held", {"order_id": "ord-2"}, NOW)


class TestTimers:
    def test_a_timer_fires_once_when_due(self, rental, order):
        due = NOW + timedelta(hours=48)
        assert next_deadline(order, rental) == due
        assert fire_due_timers(order, rental, due - timedelta(seconds=1)).events == []
        outcome = fire_due_timers(order, rental, due)
        assert order.status == "declined"
        assert dict(outcome.events)["order.cancelled"]["by"] == "system"
        assert outcome.activity[0]["actor"]["user_id"] == "timer:auto_decline"
        assert fire_due_timers(order, rental, due + timedelta(days=1)).events == []
        assert next_deadline(order, rental) is None

    def test_a_timer_whose_state_was_left_does_not_fire(self, rental, order):
        perform(order, rental, SUPPLIER, "confirm", {}, NOW)
        assert next_deadline(order, rental) is None
        assert fire_due_timers(order, rental, NOW + timedelta(days=3)).events == []


class TestSerialising:
    def test_to_dict_is_json_and_round_trips(self, rental, order):
        react(order, rental, "payment.held", {"order_id": "ord-1"}, NOW)
        perform(order, rental, SUPPLIER, "confirm", {}, NOW)
        data = json.loads(json.dumps(order.to_dict()))
        assert data["total"] == 100000
        assert Order.from_dict(data) == order

    def test_persistence_may_keep_the_timeline_elsewhere(self, order):
        data = order.to_dict(timeline=False)
        assert "timeline" not in data
        assert Order.from_dict(data).timeline == []


class TestLoading:
    @pytest.mark.parametrize(
        "change, path",
        [
            (("initial: requested", "initial: nowhere"), "initial"),
            (("to: returned", "to: nowhere"), "actions.hand_back.to"),
            (
                (
                    "from: [requested]\n    to: declined",
                    "from: [requested, returned]\n    to: declined",
                ),
                "actions.decline.to",
            ),
            (("[order.completed]", "[order.teleported]"), "actions"),
            (("- set_flag: funds_held", "- set_flag: shiny"), "actions"),
            (("effects: [cancel]", "effects: [cancel, vanish]"), "actions"),
            (("payment.held: [note_payment]", "payment.held: [confirm]"), "reactions.payment.held"),
            (("payment.held:", "order.placed:"), "reactions"),
            (("action: decline", "action: confirm"), "timers.auto_decline"),
            (("payload: {reason: no_answer}", "payload: {}"), "timers.auto_decline.payload.reason"),
            (("after: {hours: 48", "after: {fortnights: 2"), "timers"),
            (("group: active}", "group: busy}"), "states"),
            (("{type: string, required: true}", "{type: colour}"), "actions"),
        ],
    )
    def test_refuses_invalid_workflows(self, change, path):
        with pytest.raises(WorkflowError) as error:
            parse_workflow(RENTAL.replace(*change))
        assert path in error.value.errors

    def test_a_guard_can_apply_to_some_roles_only(self):
        workflow = parse_workflow(
            RENTAL.replace(
                "effects: [cancel]",
                "effects: [cancel]\n    guards:\n      - payload_equals: {reason: booked}\n"
                "        roles: [supplier]",
            )
        )
        order, _ = place_order(workflow, "ord-1", BUYER, REQUEST, NOW)
        with pytest.raises(GuardFailed, match="reason must be 'booked'"):
            perform(order, workflow, SUPPLIER, "decline", {"reason": "broken"}, NOW)
        fire_due_timers(order, workflow, NOW + timedelta(days=2))
        assert order.status == "declined"

    def test_versions_live_side_by_side(self, tmp_path, rental):
        (tmp_path / "rental.yaml").write_text(RENTAL)
        (tmp_path / "rental_v2.yaml").write_text(RENTAL.replace("version: 1", "version: 2"))
        workflows = load_workflows(tmp_path)
        assert sorted(workflows) == [("rental", 1), ("rental", 2)]
        assert latest(workflows, "rental").version == 2
        with pytest.raises(NotFound):
            latest(workflows, "auction")

    def test_refuses_two_files_for_one_version(self, tmp_path):
        (tmp_path / "a.yaml").write_text(RENTAL)
        (tmp_path / "b.yaml").write_text(RENTAL)
        with pytest.raises(WorkflowError, match="defined twice"):
            load_workflows(tmp_path)

    def test_the_bundled_workflows_load_and_describe_themselves(self):
        workflows = load_workflows()
        assert sorted(workflows) == [
            ("factory", 1),
            ("manufacturing", 1),
            ("retail", 1),
            ("services", 1),
        ]
        for workflow in workflows.values():
            description = json.loads(json.dumps(workflow.describe()))
            emitted = {event for action in description["actions"] for event in action["emits"]}
            assert emitted <= set(EMITTED_EVENTS)
