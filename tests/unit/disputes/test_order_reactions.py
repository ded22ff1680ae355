"""How an order answers the disputes service's events (the orders workflows' part of disputes):
a dispute pauses the automatic timers and marks the order, withdrawal restarts them, resolution
ends the order or records what happened. Pure: the orders domain and its workflow files."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts.errors import Forbidden
from orders.domain import Actor, fire_due_timers, next_deadline, perform, place_order, react
from orders.workflow import Calendar, latest, load_workflows

WORKFLOWS = load_workflows()
CALENDAR = Calendar()
BUYER = Actor("alice", "buyer", "acme")
SUPPLIER = Actor("sam", "supplier", "forge")
MONDAY = datetime(2031, 3, 3, 10, 0, tzinfo=UTC)
LINES = [{"sku": "BRKT-7", "description": "Bracket", "quantity": 4, "unit_price": 1250}]


class Order:
    def __init__(self, workflow, now=MONDAY, **request):
        self.workflow = latest(WORKFLOWS, workflow)
        self.now = now
        request = {"supplier_org": "forge", "title": "T", "currency": "EUR", "lines": LINES}
        self.order, self.outcome = place_order(
            self.workflow, "o-1", BUYER, {**request, **self.extra(workflow)}, now, CALENDAR
        )

    @staticmethod
    def extra(workflow):
        if workflow == "manufacturing":
            return {"committed_ship_by": "2031-03-20", "committed_deliver_by": "2031-03-25"}
        if workflow == "services":
            return {"kind": "service", "revisions_allowed": 1}
        return {}

    def do(self, actor, action, **payload):
        self.outcome = perform(
            self.order, self.workflow, actor, action, payload, self.now, CALENDAR
        )

    def on(self, event_type, **data):
        self.outcome = react(
            self.order, self.workflow, event_type, {"order_id": "o-1", **data}, self.now, CALENDAR
        )
        return self.outcome

    def tick(self, now):
        self.now = now
        self.outcome = fire_due_timers(self.order, self.workflow, now, CALENDAR)
        return self.outcome

    def deadline(self):
        return next_deadline(self.order, self.workflow, CALENDAR)


def delivered_manufacturing_order():
    run = Order("manufacturing")
    run.do(SUPPLIER, "approve")
    run.do(SUPPLIER, "start_production")
    run.on("document.uploaded", document_id="d1", kind="inspection_report")
    run.on("document.uploaded", document_id="d2", kind="material_certificate")
    run.do(SUPPLIER, "mark_ready")
    run.on("parcel.delivered", shipment_id="s1", tracking_number="T1")
    assert run.order.status == "delivered"
    return run


def opened(run):
    return run.on("dispute.opened", dispute_id="d-1", reason="quality", description="Scratched")


def test_a_dispute_pauses_auto_accept_and_the_order_shows_it_is_disputed():
    run = delivered_manufacturing_order()
    due = run.deadline()
    assert due == datetime(2031, 3, 10, 10, 0, tzinfo=UTC)

    outcome = opened(run)

    assert run.order.disputed is True
    assert run.deadline() is None
    assert outcome.activity[0]["summary"] == "Dispute d-1 opened: quality"
    assert run.tick(due + timedelta(days=30)).events == []
    assert run.order.status == "delivered"


def test_withdrawal_restarts_the_whole_inspection_window():
    run = delivered_manufacturing_order()
    opened(run)
    run.now = datetime(2031, 3, 20, 12, 0, tzinfo=UTC)  # a Thursday, long after the old deadline

    outcome = run.on("dispute.withdrawn", dispute_id="d-1")

    assert not run.order.disputed
    assert outcome.activity[0]["summary"] == "Dispute d-1 withdrawn by whoever opened it"
    restarted = datetime(2031, 3, 27, 12, 0, tzinfo=UTC)  # five business days later
    assert run.deadline() == restarted
    assert run.tick(restarted - timedelta(seconds=1)).events == []
    run.tick(restarted)
    assert run.order.status == "completed"
    assert "order.accepted" in [event for event, _ in run.outcome.events]


@pytest.mark.parametrize(
    "outcome, status, events",
    [
        ("refund", "cancelled", ["order.cancelled", "order.status_changed"]),
        ("split", "completed", ["order.completed", "order.status_changed"]),
    ],
)
def test_resolution_ends_a_disputed_manufacturing_order_without_moving_money_twice(
    outcome, status, events
):
    run = delivered_manufacturing_order()
    opened(run)

    run.on("dispute.resolved", dispute_id="d-1", outcome=outcome, refund_amount=100)

    assert (run.order.status, run.order.disputed) == (status, False)
    assert run.order.dispute["outcome"] == outcome
    # payments moves the money from dispute.resolved itself (no order.accepted); a refund's
    # order.cancelled decides the same full refund, and payments settles from the first of them
    assert [event for event, _ in run.outcome.events] == events
    assert run.deadline() is None


def test_escalation_lands_on_the_timeline_and_changes_nothing_else():
    run = delivered_manufacturing_order()
    opened(run)

    outcome = run.on("dispute.escalated", dispute_id="d-1", silent_party="supplier")

    assert "the supplier did not answer in time" in outcome.activity[0]["summary"]
    assert run.order.status == "delivered" and run.order.disputed


def test_the_retail_return_window_waits_for_the_dispute():
    run = Order("retail")
    run.do(SUPPLIER, "ready_to_ship", tracking_number="JG-1")
    run.on(
        "parcel.scanned",
        shipment_id="s1",
        tracking_number="JG-1",
        location="Seko",
        location_kind="sorting_centre",
    )
    run.on("parcel.delivered", shipment_id="s1", tracking_number="JG-1")
    assert run.order.status == "delivered" and run.deadline() is not None

    opened(run)

    assert run.deadline() is None


def test_a_services_order_is_settled_by_the_resolution():
    run = Order("services")
    run.do(BUYER, "request_cancellation", reason="no_longer_needed", description="Changed plans")
    run.do(SUPPLIER, "reject_cancellation", response="Half done")
    opened(run)
    assert run.order.disputed

    run.on("dispute.resolved", dispute_id="d-1", outcome="split", refund_amount=2500)

    assert (run.order.status, run.order.disputed) == ("completed", False)


def test_staff_move_a_manufacturing_orders_committed_dates_with_a_reason():
    run = Order("manufacturing")
    run.do(SUPPLIER, "approve")
    admin = Actor("ada", "admin", "platform")

    run.do(
        admin,
        "change_commitments",
        committed_deliver_by="2031-04-08",
        reason="The customer asked to halt production for a week",
    )

    assert str(run.order.committed_deliver_by) == "2031-04-08"
    [(event, data)] = run.outcome.events
    assert event == "order.dates_changed"
    assert data["previous"]["committed_deliver_by"] == "2031-03-25"
    assert "halt production" in run.outcome.activity[0]["summary"]
    with pytest.raises(Forbidden):
        run.do(SUPPLIER, "change_commitments", committed_deliver_by="2031-05-01", reason="late")
