"""The orders service layer (load, decide, persist, publish, log) on a fake unit of work."""

import logging
from datetime import UTC, datetime

import pytest
from nameko.testing.services import worker_factory
from unit.orders.fakes import FakeRepository, FakeUnitOfWork

from chassis.envelope import new_envelope, parse_envelope
from contracts.catalogue import CONTRACTS
from contracts.errors import (
    IdempotencyKeyReused,
    IllegalTransition,
    NotFound,
    PreconditionFailed,
)
from orders import service as orders_service
from orders.engine_provider import Workflows
from orders.service import OrdersService
from orders.workflow import Calendar, load_workflows
from support.clock import FrozenClock
from support.orders import MANUFACTURING_ORDER as MANUFACTURING

BUYER = {"user_id": "u-buyer", "role": "buyer", "org": "acme"}
SUPPLIER = {"user_id": "u-supplier", "role": "supplier", "org": "forge"}
OTHER_BUYER = {"user_id": "u-other", "role": "buyer", "org": "initech"}
WORKFLOWS = Workflows(load_workflows(), Calendar())


@pytest.fixture
def uow(monkeypatch):
    monkeypatch.setattr(orders_service, "repository", FakeRepository)
    return FakeUnitOfWork()


@pytest.fixture
def clock():
    return FrozenClock(datetime(2031, 3, 3, 9, 0, tzinfo=UTC))


@pytest.fixture
def orders(uow, clock):
    return worker_factory(OrdersService, uow=uow, clock=clock, engine=WORKFLOWS)


def event(event_type, **data):
    """The event as a consumer receives it, checked against its contract."""
    producer = CONTRACTS[event_type].producer
    return parse_envelope(new_envelope(event_type, data, producer))


def test_a_placed_order_is_stored_and_its_event_published_on_commit(orders, uow):
    order = orders.place_order(BUYER, MANUFACTURING)

    assert order["status"] == "ordered"
    assert "approve" in orders.get_order(SUPPLIER, order["id"])["allowed_actions"]
    assert list(uow.store.orders) == [order["id"]]
    [placed] = uow.events("order.placed")
    assert placed["order_id"] == order["id"] and placed["amount"] == 50000


def test_a_refused_action_changes_nothing_and_publishes_nothing(orders, uow):
    order = orders.place_order(BUYER, MANUFACTURING)
    before = (uow.store.orders[order["id"]]["state"], list(uow.store.activities), uow.published)
    before = tuple(list(x) if isinstance(x, list) else dict(x) for x in before)

    with pytest.raises(IllegalTransition):
        orders.perform_action(SUPPLIER, order["id"], "start_production")

    assert (uow.store.orders[order["id"]]["state"], uow.store.activities, uow.published) == before


def test_an_action_on_a_stale_version_is_a_failed_precondition(orders, uow):
    order = orders.place_order(BUYER, MANUFACTURING)
    orders.perform_action(SUPPLIER, order["id"], "approve")

    with pytest.raises(PreconditionFailed):
        orders.perform_action(SUPPLIER, order["id"], "start_production", expected_version=1)
    assert uow.events("order.approved") and not uow.events("order.status_changed")[1:]


def test_another_organisations_order_is_not_found(orders):
    order = orders.place_order(BUYER, MANUFACTURING)
    with pytest.raises(NotFound):
        orders.get_order(OTHER_BUYER, order["id"])


def test_a_repeated_command_answers_with_the_order_it_placed(orders, uow):
    first = orders.place_order(BUYER, MANUFACTURING, command_id="c-1")
    again = orders.place_order(BUYER, MANUFACTURING, command_id="c-1")

    assert again == first and len(uow.events("order.placed")) == 1
    with pytest.raises(IdempotencyKeyReused):
        orders.place_order(BUYER, {**MANUFACTURING, "title": "Other"}, command_id="c-1")


def test_an_event_for_an_unknown_order_is_logged_and_ignored(orders, uow, caplog):
    with caplog.at_level(logging.INFO, logger="orders.service"):
        orders.on_event(
            event("payment.held", order_id="o-missing", payment_id="p-1", amount=1, currency="EUR")
        )

    assert uow.published == []
    [record] = caplog.records
    assert "payment.held ignored" in record.getMessage() and record.order_id == "o-missing"


def test_a_reaction_that_does_not_apply_is_logged(orders, uow, caplog):
    order = orders.place_order(BUYER, MANUFACTURING)
    scanned = event(
        "parcel.scanned",
        order_id=order["id"],
        shipment_id="s-1",
        tracking_number="T-1",
        location="hub",
        location_kind="hub",
    )
    with caplog.at_level(logging.INFO, logger="orders.service"):
        orders.on_event(scanned)

    assert [e["event_type"] for e in uow.published] == ["order.placed"]
    [record] = caplog.records
    assert record.order_id == order["id"]
    assert f"parcel.scanned ignored for order {order['id']} in ordered" in record.getMessage()


def test_a_timer_whose_guard_fails_is_spent_and_logged(orders, uow, clock, caplog):
    order = orders.place_order(BUYER, MANUFACTURING)
    for action in ("approve", "start_production"):
        orders.perform_action(SUPPLIER, order["id"], action)
    late = {"estimated_deliver_by": "2031-03-20", "reason": "a furnace broke"}
    orders.perform_action(SUPPLIER, order["id"], "update_estimate", late)
    clock.advance(days=20)  # past both delay timers; the estimate already marked it delayed

    with caplog.at_level(logging.INFO, logger="orders.service"):
        orders.fire_due_timers()

    assert [d["kind"] for d in uow.events("order.delayed")] == ["estimate_past_committed"]
    assert uow.store.orders[order["id"]]["next_deadline_at"] is None
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "timer expecting_delay spent" in messages[0]
    assert "timer committed_date_passed spent" in messages[1]
    assert all("delayed is already set" in message for message in messages)
