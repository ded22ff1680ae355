"""The orders service on a real broker and PostgreSQL, with fulfillment as its real consumer."""

from datetime import UTC, datetime

import eventlet
import pytest
from nameko.testing.services import entrypoint_waiter, replace_dependencies
from sqlalchemy import event

from contracts.errors import IdempotencyKeyReused, IllegalTransition, InvalidRequest, NotFound
from fulfillment.models import fulfillments
from fulfillment.service import FulfillmentService
from orders.models import activities, orders
from orders.models import metadata as orders_metadata
from orders.service import OrdersService
from support.clock import FrozenClock
from support.events import publish
from support.logs import json_lines
from support.orders import MANUFACTURING_ORDER as MANUFACTURING
from support.services import BUYER, SUPPLIER, count, dependency, query, rpc
from support.waiting import eventually

outbox = orders_metadata.tables["outbox"]

RETAIL = {
    "workflow": "retail",
    "supplier_org": "forge",
    "title": "Kettle",
    "currency": "NGN",
    "lines": [{"sku": "KTL-1", "description": "Kettle", "quantity": 1, "unit_price": 1500000}],
}


@pytest.fixture
def system(container_factory, service_config, declared_topology):
    """Orders and fulfillment, each on its own database, sharing the test's vhost."""
    orders_config = service_config("orders")
    fulfillment_config = service_config("fulfillment")
    started = {
        "orders": container_factory(OrdersService, orders_config),
        "fulfillment": container_factory(FulfillmentService, fulfillment_config),
        "orders_config": orders_config,
        "fulfillment_config": fulfillment_config,
    }
    return started


def test_an_approval_whose_publish_never_happened_is_relayed_and_applied_once(system):
    # Simulates the process dying between commit and publish: the fast path never runs.
    uow = dependency(system["orders"], "uow")
    system["orders"].start()
    uow.outbox.publish_committed = lambda envelopes: None
    system["fulfillment"].start()
    orders_url = system["orders_config"]["DATABASE_URL"]
    fulfillment_url = system["fulfillment_config"]["DATABASE_URL"]

    with rpc(system["orders_config"]) as proxy:
        order = proxy.orders.place_order(BUYER, MANUFACTURING)
        proxy.orders.perform_action(SUPPLIER, order["id"], "approve")
    assert count(orders_url, outbox, outbox.c.published_at.is_(None)) >= 1

    assert eventually(lambda: count(fulfillment_url, fulfillments) == 1)
    assert eventually(lambda: count(orders_url, outbox, outbox.c.published_at.is_(None)) == 0)
    assert count(fulfillment_url, fulfillments, fulfillments.c.order_id == order["id"]) == 1


def test_two_racing_approvals_make_one_approval(system):
    system["orders"].start()
    config = system["orders_config"]
    with rpc(config) as proxy:
        order = proxy.orders.place_order(BUYER, MANUFACTURING)

    def approve():
        with rpc(config) as proxy:
            try:
                return proxy.orders.perform_action(SUPPLIER, order["id"], "approve")
            except IllegalTransition as refused:
                return refused

    results = [thread.wait() for thread in [eventlet.spawn(approve) for _ in range(2)]]

    approved = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, IllegalTransition)]
    assert len(approved) == 1 and len(refused) == 1
    assert refused[0].details["state"] == "approved"
    url = config["DATABASE_URL"]
    assert count(url, outbox, outbox.c.event_type == "order.approved") == 1
    assert (
        count(url, activities, activities.c.kind == "approve", activities.c.order_id == order["id"])
        == 1
    )


def test_a_parcel_scanned_at_the_sorting_centre_ships_a_retail_order(system):
    system["orders"].start()
    config = system["orders_config"]
    with rpc(config) as proxy:
        order = proxy.orders.place_order(BUYER, RETAIL)
        order = proxy.orders.perform_action(
            SUPPLIER, order["id"], "ready_to_ship", {"tracking_number": "JG-NJS-319365323-5711"}
        )
    assert order["status"] == "ready_to_ship"

    with entrypoint_waiter(system["orders"], "on_event"):
        publish(
            config["AMQP_URI"],
            "parcel.scanned",
            {
                "order_id": order["id"],
                "shipment_id": "s-1",
                "tracking_number": "JG-NJS-319365323-5711",
                "location": "NG-JG-SEKO-Shenzhen-Seko Station",
                "location_kind": "sorting_centre",
            },
            "fulfillment",
        )

    with rpc(config) as proxy:
        shipped = proxy.orders.get_order(BUYER, order["id"])
        assert shipped["status"] == "shipped"
        assert "cancel" not in shipped["allowed_actions"]  # buyers cancel only before Shipped


def test_another_organisation_cannot_see_or_touch_an_order(system):
    system["orders"].start()
    outsider = {"user_id": "bob", "role": "buyer", "org": "globex"}
    with rpc(system["orders_config"]) as proxy:
        order = proxy.orders.place_order(BUYER, MANUFACTURING)
        with pytest.raises(NotFound):
            proxy.orders.get_order(outsider, order["id"])
        with pytest.raises(NotFound):
            proxy.orders.perform_action({**SUPPLIER, "org": "other"}, order["id"], "approve")
        assert proxy.orders.list_orders(outsider, {})["items"] == []


def test_an_action_note_with_contact_details_is_refused_and_changes_nothing(system):
    system["orders"].start()
    url = system["orders_config"]["DATABASE_URL"]
    with rpc(system["orders_config"]) as proxy:
        order = proxy.orders.place_order(BUYER, MANUFACTURING)
        order = proxy.orders.perform_action(SUPPLIER, order["id"], "approve")
        entries, events = count(url, activities), count(url, outbox)
        with pytest.raises(InvalidRequest) as refused:
            proxy.orders.perform_action(
                SUPPLIER,
                order["id"],
                "update_estimate",
                {
                    "estimated_ship_by": "2030-05-01",
                    "reason": "Late; whatsapp me on wa.me/4155550132",
                },
            )
        assert refused.value.details["contact_details"][0]["field"] == "reason"
        assert "off the platform is not allowed" in str(refused.value)
        assert proxy.orders.get_order(SUPPLIER, order["id"])["version"] == order["version"]
    assert (count(url, activities), count(url, outbox)) == (entries, events)


def test_a_placement_whose_title_carries_contact_details_is_refused_and_stores_nothing(system):
    system["orders"].start()
    url = system["orders_config"]["DATABASE_URL"]
    with rpc(system["orders_config"]) as proxy:
        with pytest.raises(InvalidRequest) as refused:
            proxy.orders.place_order(BUYER, {**RETAIL, "title": "Kettle; text me +1 415 555 0132"})
        assert refused.value.details["contact_details"][0]["field"] == "title"
    assert (count(url, orders), count(url, outbox)) == (0, 0)


def test_the_retail_auto_cancel_fires_once_at_five_business_days_with_two_replicas(
    container_factory, service_config, declared_topology
):
    config = service_config("orders", TIMER_INTERVAL_S=0.05)
    # Friday 9:00 UTC: five business days later is the next Friday at 9:00.
    clock = FrozenClock(datetime(2031, 3, 7, 9, 0, tzinfo=UTC))
    replicas = [container_factory(OrdersService, config) for _ in range(2)]
    for replica in replicas:
        replace_dependencies(replica, clock=clock)
        replica.start()
    with rpc(config) as proxy:
        proxy.orders.place_order(BUYER, RETAIL)
    url = config["DATABASE_URL"]

    def ticks_of_both():
        for replica in replicas:
            with entrypoint_waiter(replica, "fire_due_timers"):
                pass

    clock.advance(days=7, seconds=-1)
    ticks_of_both()
    assert query(url, orders.select().with_only_columns(orders.c.status))[0][0] == "pending"

    clock.advance(seconds=1)
    assert eventually(
        lambda: query(url, orders.select().with_only_columns(orders.c.status))[0][0] == "cancelled"
    )
    ticks_of_both()
    assert count(url, outbox, outbox.c.event_type == "order.cancelled") == 1
    [cancelled] = query(url, outbox.select().where(outbox.c.event_type == "order.cancelled"))
    assert cancelled.envelope["data"]["by"] == "system"


def test_a_repeated_placement_places_one_order_and_refuses_a_different_one(system):
    system["orders"].start()
    with rpc(system["orders_config"]) as proxy:
        first = proxy.orders.place_order(BUYER, MANUFACTURING, command_id="c-1")
        again = proxy.orders.place_order(BUYER, MANUFACTURING, command_id="c-1")
        with pytest.raises(IdempotencyKeyReused):
            proxy.orders.place_order(BUYER, {**MANUFACTURING, "title": "Other"}, command_id="c-1")

    assert again == first
    url = system["orders_config"]["DATABASE_URL"]
    assert count(url, orders) == 1
    assert count(url, outbox, outbox.c.event_type == "order.placed") == 1


def test_a_repeated_action_answers_its_first_outcome_and_never_a_false_conflict(system):
    system["orders"].start()
    with rpc(system["orders_config"]) as proxy:
        order_id = proxy.orders.place_order(BUYER, MANUFACTURING, command_id="c-1")["id"]
        approved = proxy.orders.perform_action(SUPPLIER, order_id, "approve", command_id="c-2")
        again = proxy.orders.perform_action(SUPPLIER, order_id, "approve", command_id="c-2")
        with pytest.raises(IllegalTransition):  # a new approval of the approved order
            proxy.orders.perform_action(SUPPLIER, order_id, "approve", command_id="c-3")

    assert again == approved
    url = system["orders_config"]["DATABASE_URL"]
    assert count(url, outbox, outbox.c.event_type == "order.approved") == 1


def test_a_transition_takes_three_round_trips(system):
    """The command's claim, the order's locked read, then everything else with the COMMIT: the
    order's write and its timeline's entry wait for the outbox rows and the outcome."""
    system["orders"].start()
    engine = dependency(system["orders"], "uow").engine
    sent = []

    def record(conn, cursor, *_):
        if cursor.query is not None:  # None: a write waiting for the next statement
            sent.append((conn.connection.dbapi_connection, cursor.query.decode()))

    with rpc(system["orders_config"]) as proxy:
        order_id = proxy.orders.place_order(BUYER, MANUFACTURING)["id"]
        event.listen(engine, "after_cursor_execute", record)
        try:
            proxy.orders.perform_action(SUPPLIER, order_id, "approve")
        finally:
            event.remove(engine, "after_cursor_execute", record)

    # The command's connection from its claim to its COMMIT (the outbox relay may use the same
    # pooled connection before or after).
    start = next(i for i, (_, query) in enumerate(sent) if "INSERT INTO commands" in query)
    on_its_connection = [query for conn, query in sent[start:] if conn is sent[start][0]]
    end = next(i for i, query in enumerate(on_its_connection) if query.endswith("; COMMIT"))
    transaction = on_its_connection[: end + 1]
    assert len(transaction) == 3
    assert "INSERT INTO commands" in transaction[0] and "FOR UPDATE" in transaction[1]
    assert all(part in transaction[2] for part in ("UPDATE orders", "activities", "COMMIT"))


def test_an_event_for_an_unknown_order_is_logged_as_json_with_its_correlation_id(system):
    system["orders"].start()
    with json_lines("orders.service") as lines, entrypoint_waiter(system["orders"], "on_event"):
        envelope = publish(
            system["orders_config"]["AMQP_URI"],
            "payment.held",
            {"order_id": "o-nowhere", "payment_id": "p-1", "amount": 100, "currency": "EUR"},
            "payments",
        )

    [line] = lines
    assert line["message"] == "payment.held ignored: no order o-nowhere here"
    assert line["correlation_id"] == envelope["correlation_id"]
    assert (line["order_id"], line["event_id"]) == ("o-nowhere", envelope["event_id"])
