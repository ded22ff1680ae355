"""Each bundled marketplace workflow walked end to end, every branch its seed describes."""

from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.errors import Forbidden, GuardFailed, IllegalTransition, InvalidRequest
from orders.domain import (
    Actor,
    fire_due_timers,
    next_deadline,
    perform,
    place_order,
    react,
)
from orders.workflow import Calendar, latest, load_workflows
from support.orders import job_terms

UTC = UTC
WORKFLOWS = load_workflows()
BUYER = Actor("u-buyer", "buyer", "acme")
SUPPLIER = Actor("u-supplier", "supplier", "forge")
ADMIN = Actor("u-admin", "admin", "platform")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LINES = [
    {"sku": "BRK-1", "description": "bracket", "quantity": 10, "unit_price": 250},
    {"sku": "PLT-2", "description": "plate", "quantity": 2, "unit_price": 1000},
]
TOTAL = 10 * 250 + 2 * 1000


class Run:
    """One order of one workflow, driven by a clock the test moves."""

    def __init__(
        self, workflow: str, calendar: Calendar | None = None, now: datetime = MONDAY, **request
    ):
        self.workflow = latest(WORKFLOWS, workflow)
        self.calendar = calendar or Calendar()
        self.now = now
        request = {
            "supplier_org": "forge",
            "title": "Order",
            "currency": "EUR",
            "lines": LINES,
            **request,
        }
        self.order, self.outcome = place_order(
            self.workflow, "ord-1", BUYER, request, now, calendar=self.calendar
        )

    @property
    def status(self) -> str:
        return self.order.status

    def do(self, actor: Actor, action: str, **payload):
        self.outcome = perform(
            self.order, self.workflow, actor, action, payload, self.now, calendar=self.calendar
        )
        return self.outcome

    def on(self, event_type: str, **data):
        self.outcome = react(
            self.order,
            self.workflow,
            event_type,
            {"order_id": self.order.id, **data},
            self.now,
            calendar=self.calendar,
        )
        return self.outcome

    def tick(self, now: datetime):
        self.now = now
        self.outcome = fire_due_timers(self.order, self.workflow, now, calendar=self.calendar)
        return self.outcome

    def deadline(self) -> datetime | None:
        return next_deadline(self.order, self.workflow, calendar=self.calendar)

    def events(self) -> list[str]:
        return [event_type for event_type, _ in self.outcome.events]

    def event(self, event_type: str) -> dict:
        return dict(self.outcome.events)[event_type]

    def refused(self, error: type, actor: Actor, action: str, **payload):
        """Assert that the action raises ``error`` and leaves the order exactly as it was."""
        before = self.order.to_dict()
        with pytest.raises(error) as raised:
            self.do(actor, action, **payload)
        assert self.order.to_dict() == before
        return raised.value

    def lines(self, attribute: str) -> list:
        return [getattr(line, attribute) for line in self.order.lines]


def history(line) -> list[str]:
    return [entry["status"] for entry in line.history]


class TestManufacturing:
    @staticmethod
    def placed(**request) -> Run:
        return Run(
            "manufacturing",
            **{"committed_ship_by": "2026-03-20", "committed_deliver_by": "2026-03-25", **request},
        )

    def in_production(self, **request) -> Run:
        run = self.placed(**request)
        run.do(SUPPLIER, "approve")
        run.do(SUPPLIER, "start_production")
        return run

    def ready(self, **request) -> Run:
        run = self.in_production(**request)
        run.on("document.uploaded", document_id="d1", kind="inspection_report")
        run.on("document.uploaded", document_id="d2", kind="material_certificate")
        run.do(SUPPLIER, "mark_ready")
        return run

    def delivered(self, **request) -> Run:
        run = self.ready(**request)
        run.on("shipment.created", shipment_id="s1", tracking_number="T1")
        run.on("parcel.delivered", shipment_id="s1", tracking_number="T1")
        return run

    def test_placing_needs_committed_dates(self):
        with pytest.raises(InvalidRequest) as error:
            Run("manufacturing")
        assert set(error.value.details["errors"]) == {"committed_ship_by", "committed_deliver_by"}

    def test_walks_from_ordered_to_accepted(self):
        run = self.placed()
        assert run.events() == ["order.placed"]
        assert run.event("order.placed")["amount"] == TOTAL
        assert run.order.estimated_deliver_by == date(2026, 3, 25)
        run.do(SUPPLIER, "approve")
        assert run.events() == ["order.approved", "order.status_changed"]
        run.do(SUPPLIER, "start_production")
        run.on("document.uploaded", document_id="d1", kind="inspection_report")
        run.on("document.uploaded", document_id="d2", kind="material_certificate")
        assert run.order.documents == {"inspection_report", "material_certificate"}
        run.do(SUPPLIER, "mark_ready")
        run.on("shipment.created", shipment_id="s1", tracking_number="T1")
        assert run.status == "in_delivery"
        run.on("parcel.delivered", shipment_id="s1", tracking_number="T1")
        assert run.status == "delivered"
        assert run.events() == ["order.delivered", "order.status_changed"]
        run.do(BUYER, "accept", feedback="great parts")
        assert run.status == "completed"
        assert run.events() == ["order.accepted", "order.completed", "order.status_changed"]
        assert (
            run.event("order.accepted")["amount"]
            == run.event("order.accepted")["accepted_amount"]
            == TOTAL
        )
        assert run.order.inspection["result"] == "accepted"
        assert run.lines("accepted_qty") == [10, 2]
        assert run.order.closed_at == run.now
        assert history(run.order.lines[1]) == [
            "ordered",
            "approved",
            "in_production",
            "ready_for_delivery",
            "in_delivery",
            "delivered",
            "completed",
        ]

    def test_ready_for_delivery_needs_inspection_report_and_material_certificate(self):
        run = self.in_production()
        error = run.refused(GuardFailed, SUPPLIER, "mark_ready")
        assert error.message == "missing documents: inspection_report, material_certificate"
        run.on("document.uploaded", document_id="d1", kind="inspection_report")
        error = run.refused(GuardFailed, SUPPLIER, "mark_ready")
        assert error.message == "missing documents: material_certificate"

    def test_partial_shipments_follow_the_parcels(self):
        run = self.ready()
        run.on(
            "shipment.created",
            shipment_id="s1",
            tracking_number="T1",
            lines=[{"line_id": "L1", "quantity": 4}],
        )
        assert run.status == "in_delivery"
        assert run.lines("status") == ["in_delivery", "ready_for_delivery"]
        assert run.lines("shipped_qty") == [4, 0]
        version = run.order.version
        assert (
            run.on(
                "parcel.scanned",
                shipment_id="s1",
                tracking_number="T1",
                location="Lagos hub",
                location_kind="hub",
            ).activity
            == []
        )
        assert run.order.version == version

        run.on("parcel.delivered", shipment_id="s1", tracking_number="T1")
        assert (run.status, run.lines("delivered_qty")) == ("in_delivery", [4, 0])
        run.on("shipment.created", shipment_id="s2", tracking_number="T2")
        assert run.lines("shipped_qty") == [10, 2]
        run.on("parcel.delivered", shipment_id="s2", tracking_number="T2")
        assert run.status == "delivered"
        assert run.lines("delivered_qty") == [10, 2]
        assert history(run.order.lines[1])[-3:] == [
            "ready_for_delivery",
            "in_delivery",
            "delivered",
        ]
        assert run.on("parcel.delivered", shipment_id="s2", tracking_number="T2").events == []

    def test_a_corrected_tracking_number_replaces_the_old_one(self):
        run = self.ready()
        run.on("shipment.created", shipment_id="s1", tracking_number="T1")
        outcome = run.on(
            "shipment.tracking_changed",
            shipment_id="s1",
            tracking_number="T1-FIXED",
            previous_tracking_number="T1",
        )
        assert [s["tracking_number"] for s in run.order.shipments] == ["T1-FIXED"]
        assert run.order.tracking_number == "T1-FIXED"
        assert outcome.activity[0]["summary"] == ("Shipment s1: tracking number T1-FIXED (was T1)")

    def test_a_correction_retried_after_a_later_one_changes_nothing(self):
        run = self.ready()
        run.on("shipment.created", shipment_id="s1", tracking_number="T1")
        second = {"tracking_number": "T3", "previous_tracking_number": "T2"}
        run.on(
            "shipment.tracking_changed", shipment_id="s1", changed_at="2026-03-02T10:05", **second
        )
        first = {"tracking_number": "T2", "previous_tracking_number": "T1"}
        late = run.on(
            "shipment.tracking_changed", shipment_id="s1", changed_at="2026-03-02T10:01", **first
        )
        assert late.activity == []
        assert run.order.shipments[0]["tracking_number"] == "T3"

    def test_a_correction_that_overtakes_its_shipment_records_it_with_the_new_number(self):
        run = self.ready()
        run.on(
            "shipment.tracking_changed",
            shipment_id="s1",
            tracking_number="T1-FIXED",
            previous_tracking_number="T1",
        )
        assert run.status == "in_delivery"
        assert [s["tracking_number"] for s in run.order.shipments] == ["T1-FIXED"]
        late = run.on("shipment.created", shipment_id="s1", tracking_number="T1")
        assert late.activity == [] and run.order.tracking_number == "T1-FIXED"
        assert run.lines("shipped_qty") == [10, 2]

    def test_a_parcel_the_carrier_could_not_deliver_is_marked_failed_and_not_confirmed(self):
        run = self.ready()
        run.on("shipment.created", shipment_id="s1", tracking_number="T1")
        outcome = run.on(
            "parcel.delivery_failed", shipment_id="s1", tracking_number="T1", reason="lost"
        )
        assert run.status == "in_delivery" and outcome.events == []
        assert [entry["summary"] for entry in outcome.activity] == [
            "Shipment s1 could not be delivered: lost"
        ]
        assert run.order.shipments[0]["status"] == "delivery_failed"
        refused = run.refused(GuardFailed, BUYER, "confirm_delivery")
        assert "could not deliver: s1" in str(refused)

    def test_a_failure_that_overtakes_its_shipment_puts_the_order_in_delivery(self):
        run = self.ready()
        run.on("parcel.delivery_failed", shipment_id="s1", tracking_number="T1", reason="lost")
        assert run.status == "in_delivery"
        assert run.on("shipment.created", shipment_id="s1", tracking_number="T1").activity == []
        assert run.order.shipments[0]["status"] == "delivery_failed"

    def test_an_order_whose_early_parcel_failed_goes_to_delivery_once_ready(self):
        run = self.in_production()
        run.on("shipment.created", shipment_id="s1", tracking_number="T1")
        run.on("parcel.delivery_failed", shipment_id="s1", tracking_number="T1", reason="lost")
        run.on("document.uploaded", document_id="d1", kind="inspection_report")
        run.on("document.uploaded", document_id="d2", kind="material_certificate")
        run.do(SUPPLIER, "mark_ready")
        assert run.status == "in_delivery"
        run.refused(GuardFailed, BUYER, "confirm_delivery")

    def test_an_older_correction_loses_to_one_that_overtook_the_shipment(self):
        run = self.ready()
        newer = {"tracking_number": "A3", "previous_tracking_number": "A2"}
        run.on(
            "shipment.tracking_changed", shipment_id="s1", changed_at="2026-03-02T10:05", **newer
        )
        older = {"tracking_number": "A2", "previous_tracking_number": "A1"}
        run.on(
            "shipment.tracking_changed", shipment_id="s1", changed_at="2026-03-02T10:01", **older
        )
        assert run.order.shipments[0]["tracking_number"] == "A3"

    def test_parcels_sent_during_production_are_recorded_and_move_the_order_once_ready(self):
        run = self.in_production()
        run.on("shipment.created", shipment_id="s1", tracking_number="T1")
        assert run.status == "in_production"
        assert [s["shipment_id"] for s in run.order.shipments] == ["s1"]
        run.on("document.uploaded", document_id="d1", kind="inspection_report")
        run.on("document.uploaded", document_id="d2", kind="material_certificate")
        run.do(SUPPLIER, "mark_ready")
        assert run.status == "in_delivery"  # the parcel is on its way
        run.on("parcel.delivered", shipment_id="s1", tracking_number="T1")
        assert run.status == "delivered"

    def test_parcels_delivered_during_production_deliver_the_order_once_ready(self):
        run = self.in_production()
        run.on("shipment.created", shipment_id="s1", tracking_number="T1")
        run.on("parcel.delivered", shipment_id="s1", tracking_number="T1")
        assert (run.status, run.lines("delivered_qty")) == ("in_production", [10, 2])
        run.on("document.uploaded", document_id="d1", kind="inspection_report")
        run.on("document.uploaded", document_id="d2", kind="material_certificate")
        run.do(SUPPLIER, "mark_ready")
        assert run.status == "delivered"
        assert run.events() == ["order.delivered", "order.status_changed"]

    def test_a_delivery_may_overtake_its_shipment_event(self):
        run = self.ready()
        run.on(
            "parcel.delivered",
            shipment_id="s1",
            tracking_number="T1",
            lines=[{"line_id": "L2", "quantity": 2}],
        )
        assert (run.status, run.lines("shipped_qty"), run.lines("delivered_qty")) == (
            "in_delivery",
            [0, 2],
            [0, 2],
        )

    def test_shipping_more_than_ordered_is_refused(self):
        run = self.ready()
        before = run.order.to_dict()
        with pytest.raises(InvalidRequest):
            run.on(
                "shipment.created",
                shipment_id="s1",
                tracking_number="T1",
                lines=[{"line_id": "L1", "quantity": 11}],
            )
        assert run.order.to_dict() == before

    def test_buyer_confirms_delivery_once_everything_shipped(self):
        run = self.ready()
        run.on(
            "shipment.created",
            shipment_id="s1",
            tracking_number="T1",
            lines=[{"line_id": "L1", "quantity": 10}],
        )
        assert run.refused(GuardFailed, BUYER, "confirm_delivery").message == (
            "lines not shipped in full: L2"
        )
        run.on("shipment.created", shipment_id="s2", tracking_number="T2")
        run.do(BUYER, "confirm_delivery")
        assert run.status == "delivered"
        assert run.events() == ["order.delivered", "order.status_changed"]
        assert run.lines("delivered_qty") == [10, 2]
        assert {s["status"] for s in run.order.shipments} == {"delivered"}

    def test_partial_acceptance_releases_the_accepted_amount(self):
        run = self.delivered()
        error = run.refused(
            InvalidRequest,
            BUYER,
            "partly_accept",
            lines=[
                {"line_id": "L1", "accepted": 8, "rejected": 1},
                {"line_id": "L2", "accepted": 2},
            ],
        )
        assert error.details["errors"]["lines"] == [
            "line L1: accepted + rejected + rework must be 10, not 9"
        ]
        run.refused(
            InvalidRequest,
            BUYER,
            "partly_accept",
            lines=[{"line_id": "L1", "accepted": 10}, {"line_id": "L2", "accepted": 2}],
        )
        run.refused(
            InvalidRequest, BUYER, "partly_accept", lines=[{"line_id": "L1", "accepted": 10}]
        )

        run.do(
            BUYER,
            "partly_accept",
            lines=[
                {"line_id": "L1", "accepted": 8, "rejected": 1, "rework": 1},
                {"line_id": "L2", "accepted": 2},
            ],
        )
        assert run.status == "completed"
        assert run.events() == ["order.partly_accepted", "order.completed", "order.status_changed"]
        event = run.event("order.partly_accepted")
        assert (event["amount"], event["accepted_amount"]) == (TOTAL, 8 * 250 + 2 * 1000)
        assert event["lines"][0] == {"line_id": "L1", "accepted": 8, "rejected": 1, "rework": 1}
        assert (run.lines("accepted_qty"), run.lines("rejected_qty"), run.lines("rework_qty")) == (
            [8, 2],
            [1, 0],
            [1, 0],
        )

    def test_rejection_ends_in_the_rejected_group(self):
        run = self.delivered()
        run.refused(InvalidRequest, BUYER, "reject")
        run.do(BUYER, "reject", reason="wrong material")
        assert (run.status, run.workflow.group_of(run.status)) == ("rejected", "rejected")
        assert run.events() == ["order.rejected", "order.status_changed"]
        assert run.event("order.rejected")["amount"] == TOTAL
        assert run.lines("rejected_qty") == [10, 2]

    def test_rework_goes_back_to_production_and_round_again(self):
        run = self.delivered()
        run.do(
            BUYER,
            "request_rework",
            feedback="burrs on 3 brackets",
            lines=[{"line_id": "L1", "quantity": 3}],
        )
        assert run.status == "in_production"
        assert run.events() == ["order.rework_requested", "order.status_changed"]
        assert run.lines("rework_qty") == [3, 0]
        assert (run.lines("shipped_qty"), run.lines("delivered_qty")) == ([7, 2], [7, 2])
        assert run.lines("status") == ["in_production", "delivered"]

        run.do(SUPPLIER, "mark_ready")
        assert run.lines("status") == ["ready_for_delivery", "delivered"]
        run.on("shipment.created", shipment_id="s2", tracking_number="T2")
        assert run.order.shipments[-1]["lines"] == [{"line_id": "L1", "quantity": 3}]
        run.on("parcel.delivered", shipment_id="s2", tracking_number="T2")
        assert run.status == "delivered"
        run.do(BUYER, "accept")
        assert (run.lines("accepted_qty"), run.lines("rework_qty")) == ([10, 2], [0, 0])

    def test_accepted_automatically_five_business_days_after_delivery(self):
        wednesday = date(2026, 3, 11)
        run = self.placed(calendar=Calendar(frozenset({wednesday})))
        run.do(SUPPLIER, "approve")
        run.do(SUPPLIER, "start_production")
        run.on("document.uploaded", document_id="d1", kind="inspection_report")
        run.on("document.uploaded", document_id="d2", kind="material_certificate")
        run.do(SUPPLIER, "mark_ready")
        run.on("shipment.created", shipment_id="s1", tracking_number="T1")
        run.now = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # Monday
        run.on("parcel.delivered", shipment_id="s1", tracking_number="T1")

        due = datetime(2026, 3, 17, 10, 0, tzinfo=UTC)  # Tue, Thu, Fri, Mon, Tue
        assert run.deadline() == due
        assert run.tick(due - timedelta(microseconds=1)).events == []
        run.tick(due)
        assert run.status == "completed"
        assert "order.accepted" in run.events()
        assert run.outcome.activity[0]["actor"]["user_id"] == "timer:auto_accept"
        assert run.tick(due + timedelta(days=1)).events == []
        assert run.deadline() is None

    def test_supplier_updates_the_estimate_and_becomes_delayed_past_the_commitment(self):
        run = self.in_production()
        run.do(
            SUPPLIER,
            "update_estimate",
            estimated_deliver_by="2026-03-24",
            reason="machine maintenance",
        )
        assert run.events() == ["order.dates_changed"]
        assert run.event("order.dates_changed")["previous"]["estimated_deliver_by"] == (
            "2026-03-25"
        )
        assert not run.order.delayed
        run.do(
            SUPPLIER,
            "update_estimate",
            estimated_ship_by="2026-03-26",
            estimated_deliver_by="2026-03-30",
            reason="material shortage",
        )
        assert run.events() == ["order.dates_changed", "order.delayed"]
        assert run.event("order.delayed")["kind"] == "estimate_past_committed"
        assert run.order.delayed
        assert run.order.estimated_deliver_by == date(2026, 3, 30)
        assert run.outcome.activity[0]["summary"] == ("Estimated dates updated: material shortage")

    def test_a_delay_clears_when_the_estimate_moves_back_within_the_committed_date(self):
        run = self.in_production()
        run.do(SUPPLIER, "update_estimate", estimated_deliver_by="2026-03-30", reason="late")
        assert run.order.delayed and run.event("order.dates_changed")["delayed"] is True
        run.do(SUPPLIER, "update_estimate", estimated_deliver_by="2026-03-25", reason="caught up")
        assert not run.order.delayed
        assert run.events() == ["order.dates_changed"]
        assert run.event("order.dates_changed")["delayed"] is False

    def test_a_delay_stays_once_the_committed_date_has_passed(self):
        run = self.in_production()
        run.tick(datetime(2026, 3, 26, tzinfo=UTC))
        assert run.order.delayed
        run.do(SUPPLIER, "update_estimate", estimated_deliver_by="2026-03-25", reason="typo")
        assert run.order.delayed and run.event("order.dates_changed")["delayed"] is True

    def test_the_next_deadline_and_the_tracking_number_are_fields_of_the_order(self):
        run = self.in_production()
        assert run.order.next_deadline == {
            "at": run.deadline().isoformat(),
            "timer": "expecting_delay",
            "action": "flag_expecting_delay",
        }
        run = self.delivered()
        assert run.order.tracking_number == "T1"
        assert run.order.next_deadline["timer"] == "auto_accept"
        assert run.order.next_deadline["at"] == run.deadline().isoformat()
        run.do(BUYER, "accept")
        assert run.order.next_deadline is None

    @pytest.mark.parametrize(
        "payload",
        [
            {"estimated_deliver_by": "2026-03-30"},
            {"reason": "nothing new"},
            {"estimated_ship_by": "2026-03-31", "reason": "ships after delivery"},
        ],
    )
    def test_an_estimate_needs_a_reason_and_consistent_dates(self, payload):
        self.in_production().refused(InvalidRequest, SUPPLIER, "update_estimate", **payload)

    def test_expecting_delay_one_business_day_before_the_committed_delivery(self):
        run = Run(
            "manufacturing", committed_ship_by="2026-03-13", committed_deliver_by="2026-03-16"
        )  # a Monday
        run.do(SUPPLIER, "approve")
        run.do(SUPPLIER, "start_production")
        friday = datetime(2026, 3, 13, tzinfo=UTC)
        assert run.deadline() == friday
        run.tick(friday)
        assert run.order.expecting_delay
        assert run.events() == ["order.delayed"]
        assert run.event("order.delayed")["kind"] == "expecting_delay"
        assert run.tick(friday + timedelta(hours=12)).events == []

    def test_no_expecting_delay_once_ready_for_delivery(self):
        run = self.ready(committed_ship_by="2026-03-02", committed_deliver_by="2026-03-04")
        run.tick(datetime(2026, 3, 4, tzinfo=UTC))
        assert not run.order.expecting_delay

    def test_delayed_once_the_committed_delivery_date_has_passed(self):
        run = self.ready()
        assert run.deadline() == datetime(2026, 3, 26, tzinfo=UTC)
        run.tick(datetime(2026, 3, 26, tzinfo=UTC))
        assert run.order.delayed
        assert run.event("order.delayed")["kind"] == "committed_date_passed"
        assert run.tick(datetime(2026, 3, 27, tzinfo=UTC)).events == []

    def test_an_order_delayed_by_its_estimate_is_not_announced_twice(self):
        run = self.in_production()
        run.do(SUPPLIER, "update_estimate", estimated_deliver_by="2026-03-30", reason="late")
        run.do(SUPPLIER, "update_estimate", estimated_deliver_by="2026-03-31", reason="later")
        assert run.events() == ["order.dates_changed"]
        assert run.tick(datetime(2026, 3, 26, tzinfo=UTC)).events == []
        assert set(run.order.fired_timers) == {"expecting_delay", "committed_date_passed"}
        assert run.deadline() is None

    def test_an_admin_cancels_before_shipping(self):
        run = self.in_production()
        run.refused(Forbidden, SUPPLIER, "cancel", reason="too busy")
        run.do(ADMIN, "cancel", reason="buyer halted the project")
        assert run.status == "cancelled"
        assert run.event("order.cancelled") | {"order_id": None} == {
            "order_id": None,
            "buyer_org": "acme",
            "supplier_org": "forge",
            "workflow": "manufacturing",
            "workflow_version": 1,
            "status": "cancelled",
            "currency": "EUR",
            "amount": TOTAL,
            "reason": "buyer halted the project",
            "by": "admin",
            "counts_against_supplier": False,
        }

    def test_nobody_cancels_once_parcels_are_on_their_way(self):
        run = self.ready()
        run.on("shipment.created", shipment_id="s1", tracking_number="T1")
        run.refused(IllegalTransition, ADMIN, "cancel", reason="too late")

    def test_an_illegal_action_names_the_state_and_the_allowed_ones(self):
        error = self.placed().refused(IllegalTransition, SUPPLIER, "start_production")
        assert error.details == {"state": "ordered", "allowed": ["approve", "update_estimate"]}

    def test_roles_and_parties(self):
        run = self.placed()
        run.refused(Forbidden, BUYER, "approve")
        run.refused(Forbidden, Actor("u-other", "supplier", "other-forge"), "approve")
        run.refused(Forbidden, Actor("u-support", "support", "platform"), "approve")

    def test_late_events_are_ignored(self):
        run = self.placed()
        assert run.on("parcel.delivered", shipment_id="s1", tracking_number="T1").events == []
        assert run.order.version == 1

    def test_a_dispute_settled_by_a_refund_cancels_the_order_and_says_so(self):
        run = self.placed()
        run.on("dispute.resolved", dispute_id="dsp-1", outcome="refund")
        assert (run.status, run.events()) == (
            "cancelled",
            ["order.cancelled", "order.status_changed"],
        )
        assert run.event("order.cancelled")["by"] == "dispute"


class TestFactory:
    @staticmethod
    def shipped() -> Run:
        run = Run("factory")
        for _ in range(3):
            run.do(SUPPLIER, "advance")
        return run

    def test_moves_forward_one_stage_at_a_time(self):
        run = Run("factory")
        assert run.status == "confirmed"
        stages = []
        for _ in range(3):
            run.do(SUPPLIER, "advance", note="on track")
            stages.append(run.status)
        assert stages == ["in_production", "quality_check", "shipped"]
        assert run.outcome.activity[0]["summary"] == "Status updated from Quality Check to Shipped"
        error = run.refused(IllegalTransition, SUPPLIER, "advance")
        assert error.details == {"state": "shipped", "allowed": []}

    def test_only_the_factory_advances_and_only_the_buyer_confirms_receipt(self):
        run = Run("factory")
        run.refused(Forbidden, BUYER, "advance")
        run.refused(IllegalTransition, BUYER, "confirm_receipt")
        run = self.shipped()
        run.refused(Forbidden, SUPPLIER, "confirm_receipt")

    def test_completes_once_the_buyer_reviewed(self):
        run = self.shipped()
        run.do(BUYER, "confirm_receipt")
        assert run.status == "delivered"
        assert run.events() == ["order.delivered", "order.accepted", "order.status_changed"]
        assert run.event("order.accepted")["amount"] == TOTAL

        run.do(BUYER, "post_review", rating=4, comment="good quality")
        assert run.status == "completed"
        assert run.events() == ["review.posted", "order.completed", "order.status_changed"]
        assert run.event("review.posted") | {"order_id": None} == {
            "order_id": None,
            "buyer_org": "acme",
            "supplier_org": "forge",
            "workflow": "factory",
            "workflow_version": 1,
            "status": "completed",
            "rating": 4,
            "comment": "good quality",
            "reviewer_role": "buyer",
        }
        assert set(run.order.reviews) == {"buyer"}

    def test_the_factory_reviews_the_buyer_only_after_the_buyers_review(self):
        run = self.shipped()
        run.do(BUYER, "confirm_receipt")
        refused = run.refused(GuardFailed, SUPPLIER, "post_review", rating=5)
        assert str(refused) == "no review by the buyer yet"
        run.do(BUYER, "post_review", rating=5)
        run.do(SUPPLIER, "post_review", rating=5, comment="clear specs")
        assert (run.status, run.events()) == ("completed", ["review.posted"])
        assert set(run.order.reviews) == {"buyer", "supplier"}
        run.refused(GuardFailed, SUPPLIER, "post_review", rating=4)

    def test_a_rating_is_one_to_five_stars(self):
        run = self.shipped()
        run.do(BUYER, "confirm_receipt")
        run.refused(InvalidRequest, BUYER, "post_review", rating=6)

    def test_an_admin_cancels_before_shipping(self):
        run = Run("factory")
        run.do(SUPPLIER, "advance")
        run.do(ADMIN, "cancel", reason="quote withdrawn")
        assert run.status == "cancelled"
        self.shipped().refused(IllegalTransition, ADMIN, "cancel", reason="late")


class TestServices:
    @staticmethod
    def placed(revisions: int = 1, kind: str = "service") -> Run:
        return Run(
            "services",
            kind=kind,
            revisions_allowed=revisions,
            lines=[{"sku": "logo-premium", "quantity": 1, "unit_price": 15000}],
            terms=job_terms(revisions) if kind == "job" else None,
        )

    @staticmethod
    def deliver(run: Run, kind: str = "final"):
        return run.do(
            SUPPLIER,
            "deliver",
            type=kind,
            description="three logo concepts",
            attachments=["att-1", "att-2"],
        )

    @pytest.mark.parametrize(
        "request_, field",
        [
            ({"revisions_allowed": 2}, "kind"),
            ({"kind": "gig", "revisions_allowed": 2}, "kind"),
            ({"kind": "job"}, "revisions_allowed"),
            ({"kind": "job", "revisions_allowed": 2}, "terms"),
            ({"kind": "service", "revisions_allowed": 2, "terms": job_terms(2)}, "terms"),
        ],
    )
    def test_placing_needs_a_kind_and_the_package_revisions(self, request_, field):
        with pytest.raises(InvalidRequest) as error:
            Run("services", **request_)
        assert field in error.value.details["errors"]

    def test_drafts_then_a_final_delivery_the_employer_approves(self):
        run = self.placed(kind="job")
        self.deliver(run, "draft")
        assert run.status == "in_progress"
        assert run.events() == ["order.delivery_submitted"]
        assert run.event("order.delivery_submitted") | {"order_id": None} == {
            "order_id": None,
            "buyer_org": "acme",
            "supplier_org": "forge",
            "workflow": "services",
            "workflow_version": 1,
            "status": "in_progress",
            "number": 1,
            "type": "draft",
            "description": "three logo concepts",
            "attachments": ["att-1", "att-2"],
        }
        run.refused(IllegalTransition, BUYER, "approve_delivery")

        self.deliver(run)
        assert run.status == "delivered"
        assert [d["type"] for d in run.order.deliveries] == ["draft", "final"]
        run.do(BUYER, "approve_delivery")
        assert run.status == "completed"
        assert run.events() == ["order.accepted", "order.completed", "order.status_changed"]
        assert run.event("order.accepted")["amount"] == 15000

    def test_revisions_while_the_package_has_some_left(self):
        run = self.placed(revisions=1)
        self.deliver(run)
        run.do(BUYER, "request_revision", instructions="bolder colours")
        assert (run.status, run.order.revisions_used) == ("in_progress", 1)
        assert run.events() == ["order.revision_requested", "order.status_changed"]
        assert run.event("order.revision_requested")["instructions"] == "bolder colours"
        assert run.outcome.activity[0]["summary"] == "Revision 1 of 1 requested: bolder colours"
        self.deliver(run)
        error = run.refused(GuardFailed, BUYER, "request_revision", instructions="again")
        assert error.message == "all 1 revisions included in the order have been used"
        run.do(BUYER, "approve_delivery")
        assert run.status == "completed"

    def test_the_freelancer_cancels_and_it_counts_against_them(self):
        run = self.placed()
        run.do(SUPPLIER, "cancel", reason="cannot meet the deadline")
        assert run.status == "cancelled"
        event = run.event("order.cancelled")
        assert (event["by"], event["counts_against_supplier"], event["amount"]) == (
            "supplier",
            True,
            15000,
        )

    def test_the_employer_only_asks_to_cancel_and_the_freelancer_agrees(self):
        run = self.placed()
        run.refused(Forbidden, BUYER, "cancel", reason="changed my mind")
        run.do(
            BUYER, "request_cancellation", reason="changed_requirements", description="we rebranded"
        )
        assert run.status == "in_progress"
        assert run.events() == ["order.cancellation_requested"]
        assert run.order.cancellation_request["status"] == "pending"
        run.refused(GuardFailed, BUYER, "request_cancellation", reason="again", description="again")
        run.do(SUPPLIER, "approve_cancellation")
        assert run.status == "cancelled"
        event = run.event("order.cancelled")
        assert (event["by"], event["counts_against_supplier"], event["reason"]) == (
            "buyer",
            False,
            "changed_requirements",
        )
        assert run.order.cancellation_request["status"] == "approved"

    def test_a_rejected_request_keeps_the_order_active(self):
        run = self.placed()
        run.refused(GuardFailed, SUPPLIER, "approve_cancellation")
        run.do(BUYER, "request_cancellation", reason="slow", description="too slow")
        run.do(SUPPLIER, "reject_cancellation", response="half done already")
        assert run.status == "in_progress"
        assert run.events() == ["order.cancellation_rejected"]
        assert run.event("order.cancellation_rejected")["response"] == "half done already"
        assert run.order.cancellation_request["status"] == "rejected"
        run.refused(GuardFailed, SUPPLIER, "approve_cancellation")
        run.do(BUYER, "request_cancellation", reason="slow", description="still too slow")

    @pytest.mark.parametrize(
        "action, status, events",
        [
            (
                "complete",
                "completed",
                ["order.accepted", "order.completed", "order.status_changed"],
            ),
            ("cancel", "cancelled", ["order.cancelled", "order.status_changed"]),
        ],
    )
    def test_an_admin_completes_or_cancels_any_active_order(self, action, status, events):
        run = self.placed()
        self.deliver(run)
        run.do(ADMIN, action, reason="dispute settled by support")
        assert (run.status, run.events()) == (status, events)

    def test_reviews_both_ways_after_completion_only(self):
        run = self.placed()
        run.refused(IllegalTransition, BUYER, "post_review", rating=5)
        self.deliver(run)
        run.do(BUYER, "approve_delivery")
        run.do(BUYER, "post_review", rating=5, comment="great")
        run.do(SUPPLIER, "post_review", rating=5, comment="clear brief")
        assert set(run.order.reviews) == {"buyer", "supplier"}

    @pytest.mark.parametrize(
        "outcome, status, events",
        [
            ("refund", "cancelled", ["order.cancelled", "order.status_changed"]),
            ("release", "completed", ["order.completed", "order.status_changed"]),
            ("split", "completed", ["order.completed", "order.status_changed"]),
        ],
    )
    def test_a_resolved_dispute_ends_the_order_without_moving_money_twice(
        self, outcome, status, events
    ):
        """No order.accepted (payments settles from dispute.resolved); a completion says so,
        and so does a refund's cancellation (payments settles once from whichever comes first)."""
        run = self.placed()
        run.on("dispute.resolved", dispute_id="dsp-1", outcome=outcome)
        assert run.status == status
        assert run.events() == events
        assert run.order.dispute["outcome"] == outcome
        if outcome == "refund":
            cancelled = run.event("order.cancelled")
            assert (cancelled["by"], cancelled["counts_against_supplier"]) == ("dispute", False)
        run.on("dispute.resolved", dispute_id="dsp-2", outcome="release")
        assert (run.status, run.events()) == (status, [])


class TestRetail:
    HOLIDAYS = Calendar(frozenset({date(2026, 4, 3), date(2026, 4, 6)}))  # Good Friday, Easter

    @staticmethod
    def scan(run: Run, kind: str = "sorting_centre"):
        return run.on(
            "parcel.scanned",
            shipment_id="s1",
            tracking_number="JG-1",
            location="NG-JG-SEKO-Shenzhen-Seko Station",
            location_kind=kind,
        )

    def shipped(self) -> Run:
        run = Run("retail")
        run.do(SUPPLIER, "ready_to_ship", tracking_number="JG-1")
        self.scan(run)
        return run

    def delivered(self) -> Run:
        run = self.shipped()
        run.on("parcel.delivered", shipment_id="s1", tracking_number="JG-1")
        return run

    def test_ships_at_the_first_sorting_centre_scan_and_delivers(self):
        run = Run("retail")
        run.do(SUPPLIER, "ready_to_ship", tracking_number="JG-1")
        assert run.status == "ready_to_ship"
        assert run.event("order.ready_to_ship")["tracking_number"] == "JG-1"
        assert self.scan(run, kind="hub").activity == []
        self.scan(run)
        assert run.status == "shipped"
        assert run.outcome.activity[0]["summary"] == (
            "Parcel scanned at NG-JG-SEKO-Shenzhen-Seko Station"
        )
        assert self.scan(run).activity == []
        run.on("parcel.delivered", shipment_id="s1", tracking_number="JG-1")
        assert run.status == "delivered"
        assert run.events() == ["order.delivered", "order.status_changed"]
        assert run.workflow.group_of("delivered") == "completed"
        for line in run.order.lines:
            assert history(line) == ["pending", "ready_to_ship", "shipped", "delivered"]

    def test_the_auto_cancel_deadline_and_the_tracking_number_are_fields_of_the_order(self):
        run = Run("retail")
        assert run.order.next_deadline == {
            "at": datetime(2026, 3, 9, 9, 0, tzinfo=UTC).isoformat(),
            "timer": "auto_cancel",
            "action": "cancel",
        }
        assert run.order.tracking_number is None
        run.do(SUPPLIER, "ready_to_ship", tracking_number="JG-1")
        assert run.order.tracking_number == "JG-1"
        self.scan(run)
        assert run.order.next_deadline is None

    def test_delivery_fails(self):
        run = self.shipped()
        run.on(
            "parcel.delivery_failed",
            shipment_id="s1",
            tracking_number="JG-1",
            reason="unknown address",
        )
        assert run.status == "delivery_failed"
        assert run.event("order.delivery_failed")["amount"] == TOTAL
        assert run.order.shipments[0]["status"] == "delivery_failed"

    def test_a_corrected_label_changes_the_orders_tracking_number(self):
        run = Run("retail")
        run.do(SUPPLIER, "ready_to_ship", tracking_number="JG-1")
        run.on(
            "shipment.tracking_changed",
            shipment_id="s1",
            tracking_number="JG-2",
            previous_tracking_number="JG-1",
        )
        assert (run.status, run.order.tracking_number) == ("ready_to_ship", "JG-2")

    def test_delivery_fails_before_the_sorting_centre_scan_or_its_news(self):
        run = Run("retail")
        run.do(SUPPLIER, "ready_to_ship", tracking_number="JG-1")
        run.on("parcel.delivery_failed", shipment_id="s1", tracking_number="JG-1", reason="lost")
        assert run.status == "delivery_failed"
        assert run.event("order.delivery_failed")["amount"] == TOTAL
        assert self.scan(run).activity == []  # the late scan's news moves nothing back

    def test_returned_within_fifteen_days_of_delivery(self):
        run = self.delivered()
        run.now += timedelta(days=14, hours=23)
        run.do(BUYER, "return", reason="changed_mind")
        assert run.status == "return_requested"
        assert run.events() == ["order.return_requested", "order.status_changed"]
        run.on("return.received", return_id="r1")
        assert run.status == "returned"
        event = run.event("order.returned")
        assert (event["amount"], event["returned_amount"]) == (TOTAL, TOTAL)
        assert run.lines("returned_qty") == [10, 2]
        assert history(run.order.lines[0])[-2:] == ["return_requested", "returned"]

    def test_a_partial_return_leaves_the_kept_items_delivered(self):
        run = self.delivered()
        run.do(BUYER, "return", reason="damaged")
        run.on("return.received", return_id="r1", lines=[{"line_id": "L2", "quantity": 2}])
        assert run.event("order.returned")["returned_amount"] == 2000
        assert run.lines("status") == ["return_requested", "returned"]

    def test_no_return_after_fifteen_days(self):
        run = self.delivered()
        run.now += timedelta(days=15)
        assert "closed" in run.refused(GuardFailed, BUYER, "return", reason="late").message

    def test_the_return_window_closing_releases_the_funds(self):
        run = self.delivered()
        closes = run.now + timedelta(days=15)
        assert run.deadline() == closes
        run.tick(closes)
        assert run.status == "delivered"
        assert run.events() == ["order.accepted", "order.completed"]
        assert run.order.closed_at == closes
        assert run.tick(closes + timedelta(days=1)).events == []

    def test_the_buyer_cancels_until_the_parcel_ships(self):
        run = Run("retail")
        run.do(SUPPLIER, "ready_to_ship", tracking_number="JG-1")
        run.do(BUYER, "cancel", reason="ordered twice")
        assert run.status == "cancelled"
        assert run.event("order.cancelled")["counts_against_supplier"] is False
        assert run.lines("status") == ["cancelled", "cancelled"]
        self.shipped().refused(IllegalTransition, BUYER, "cancel", reason="too late")

    def test_the_seller_cancels_only_for_insufficient_stock(self):
        run = Run("retail")
        error = run.refused(GuardFailed, SUPPLIER, "cancel", reason="price too low")
        assert error.message == "reason must be 'insufficient_stock'"
        run.do(SUPPLIER, "cancel", reason="insufficient_stock")
        event = run.event("order.cancelled")
        assert (event["by"], event["counts_against_supplier"]) == ("supplier", True)

    def test_cancelled_automatically_when_not_scanned_within_five_workdays(self):
        placed = datetime(2026, 4, 2, 15, 0, tzinfo=UTC)  # Thursday before Easter
        run = Run("retail", calendar=self.HOLIDAYS, now=placed)
        run.do(SUPPLIER, "ready_to_ship", tracking_number="JG-1")
        due = datetime(2026, 4, 13, 15, 0, tzinfo=UTC)  # Thu 9h, Tue-Fri, Mon 15h
        assert run.deadline() == due
        assert run.tick(due - timedelta(seconds=1)).events == []
        run.tick(due)
        assert run.status == "cancelled"
        event = run.event("order.cancelled")
        assert (event["reason"], event["by"], event["counts_against_supplier"]) == (
            "not_scanned_in_time",
            "system",
            True,
        )
        assert run.tick(due + timedelta(days=1)).events == []
        assert run.deadline() is None

    def test_a_scanned_parcel_is_never_cancelled(self):
        run = self.shipped()
        assert run.deadline() is None
        assert run.tick(MONDAY + timedelta(days=30)).events == []
        assert run.status == "shipped"


class TestActionNotes:
    """Free text a party writes on an action is read by the other party in the timeline and the
    events, so it may carry no contact details, as in chat (seed 001); staff are exempt."""

    @staticmethod
    def in_production() -> Run:
        return TestManufacturing().in_production()

    def test_a_note_with_contact_details_is_refused_and_changes_nothing(self):
        run = self.in_production()
        refusal = run.refused(
            InvalidRequest,
            SUPPLIER,
            "update_estimate",
            estimated_ship_by="2026-03-24",
            reason="Late by a week, ring me on +1 415 555 0132",
        )
        assert refusal.details["contact_details"] == [
            {"field": "reason", "kind": "phone", "found": "+14155550132"}
        ]
        assert "a phone number (+14155550132)" in refusal.details["errors"]["reason"][0]

    def test_evasions_are_caught_in_notes_too(self):
        run = TestManufacturing().delivered()
        refusal = run.refused(
            InvalidRequest,
            BUYER,
            "request_rework",
            feedback="mail maria dot lopez at gmail dot com",
        )
        assert refusal.details["contact_details"][0]["found"] == "maria.lopez@gmail.com"

    def test_ordinary_order_talk_passes(self):
        run = self.in_production()
        run.do(
            SUPPLIER,
            "update_estimate",
            estimated_ship_by="2026-03-24",
            reason="Anodising line down; PO# 4500012345 ships 2026-03-24, ±0.05 mm held",
        )
        assert run.events() == ["order.dates_changed"]

    def test_staff_are_exempt(self):
        run = self.in_production()
        run.do(
            ADMIN, "cancel", reason="Cancelled at the buyer's request; questions: help@platform.io"
        )
        assert run.status == "cancelled"

    def test_an_admin_of_a_customer_organisation_is_not_staff(self):
        """The exemption is the platform's staff: a buyer organisation's own admin is a party."""
        customer_admin = Actor("u-acme-admin", "admin", BUYER.org)
        run = self.in_production()
        refusal = run.refused(
            InvalidRequest, customer_admin, "cancel", reason="Moving off-site: help@acme.io"
        )
        assert refusal.details["contact_details"][0]["found"] == "help@acme.io"

    def test_a_required_note_may_not_be_blank(self):
        error = self.in_production().refused(InvalidRequest, SUPPLIER, "update_estimate", reason="")
        assert "reason" in error.details["errors"]

    @pytest.mark.parametrize("key", sorted(WORKFLOWS), ids=lambda key: f"{key[0]}-v{key[1]}")
    def test_every_note_a_party_writes_is_screened_free_text(self, key):
        """Reasons, feedback, descriptions, comments a buyer or supplier types are ``text``."""
        for name, action in WORKFLOWS[key].actions.items():
            if not action.roles & {"buyer", "supplier"}:
                continue
            for field_name, spec in action.fields.items():
                typed = field_name in ("reason", "feedback", "description", "note", "comment")
                if typed and spec.get("choices") is None:
                    assert spec["type"] == "text", f"{name}.{field_name}"
