"""The disputes service on a real broker and PostgreSQL, with the orders service as its real
partner: the projection of orders, disputes pausing and restarting an order's timers, escalation
by replicas, claims against what fulfillment reported, and the staff queues."""

from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import entrypoint_waiter, replace_dependencies

from chassis.database import make_engine
from contracts.errors import Conflict, Forbidden, GuardFailed, InvalidRequest, NotFound
from disputes.models import claim_triggers, disputes, order_facts
from disputes.models import metadata as disputes_metadata
from disputes.service import DisputesService
from orders.models import activities, orders
from orders.service import OrdersService
from support.clock import FrozenClock
from support.events import publish
from support.services import ADMIN, BUYER, SUPPLIER, count, query, rpc
from support.waiting import eventually

disputes_outbox = disputes_metadata.tables["outbox"]
SUPPORT = {"user_id": "sue", "role": "support", "org": "platform"}
OUTSIDER = {"user_id": "eve", "role": "buyer", "org": "globex"}
FOREIGN_ADMIN = {"user_id": "oscar", "role": "admin", "org": "acme"}
MANUFACTURING = {
    "workflow": "manufacturing",
    "supplier_org": "forge",
    "title": "Brackets",
    "currency": "EUR",
    "committed_ship_by": "2031-03-20",
    "committed_deliver_by": "2031-03-25",
    "lines": [{"sku": "BRKT-7", "description": "Bracket", "quantity": 40, "unit_price": 1250}],
}
DISPUTE = {
    "reason": "quality",
    "description": "Half of the brackets are scratched",
    "evidence": [{"file_id": "f-1", "name": "scratch.jpg", "content_type": "image/jpeg"}],
}
MONDAY = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return FrozenClock(MONDAY)


@pytest.fixture
def system(container_factory, service_config, declared_topology, clock):
    """Orders and disputes (two replicas), one frozen clock, timers ticking fast."""
    configs = {
        "orders": service_config("orders", TIMER_INTERVAL_S=0.05),
        "disputes": service_config("disputes", TIMER_INTERVAL_S=0.05),
    }
    containers = {
        "orders": [container_factory(OrdersService, configs["orders"])],
        "disputes": [container_factory(DisputesService, configs["disputes"]) for _ in range(2)],
    }
    for replicas in containers.values():
        for container in replicas:
            replace_dependencies(container, clock=clock)
            container.start()
    return {"config": configs, "containers": containers}


def url(system, service):
    return system["config"][service]["DATABASE_URL"]


def order_row(system, order_id):
    [row] = query(url(system, "orders"), orders.select().where(orders.c.id == order_id))
    return row


def timeline(system, order_id):
    rows = query(
        url(system, "orders"),
        activities.select().where(activities.c.order_id == order_id).order_by(activities.c.id),
    )
    return [row.kind for row in rows]


def ticks(system, service):
    for container in system["containers"][service]:
        timer = "fire_due_timers" if service == "orders" else "escalate_overdue"
        with entrypoint_waiter(container, timer):
            pass


def placed(system, request=MANUFACTURING):
    with rpc(system["config"]["orders"]) as proxy:
        order = proxy.orders.place_order(BUYER, request)
    eventually(
        lambda: count(url(system, "disputes"), order_facts, order_facts.c.order_id == order["id"])
    )
    return order


def delivered(system):
    order = placed(system)
    config = system["config"]["orders"]
    with rpc(config) as proxy:
        proxy.orders.perform_action(SUPPLIER, order["id"], "approve")
        proxy.orders.perform_action(SUPPLIER, order["id"], "start_production")
    for number, kind in enumerate(("inspection_report", "material_certificate")):
        data = {"order_id": order["id"], "document_id": f"doc-{number}", "kind": kind}
        publish(config["AMQP_URI"], "document.uploaded", data, "fulfillment")
    eventually(lambda: len(order_row(system, order["id"]).state["documents"]) == 2)
    with rpc(config) as proxy:
        proxy.orders.perform_action(SUPPLIER, order["id"], "mark_ready")
    data = {"order_id": order["id"], "shipment_id": "s-1", "tracking_number": "T-1"}
    publish(config["AMQP_URI"], "parcel.delivered", data, "fulfillment")
    eventually(lambda: order_row(system, order["id"]).status == "delivered")
    eventually(lambda: disputes_projection(system, order["id"]) == "delivered")
    return order


def disputes_projection(system, order_id):
    rows = query(
        url(system, "disputes"),
        order_facts.select().where(order_facts.c.order_id == order_id),
    )
    return rows[0].status if rows else None


def test_a_dispute_on_a_delivered_order_pauses_auto_accept_and_withdrawal_restarts_it(
    system, clock
):
    order = delivered(system)
    with rpc(system["config"]["disputes"]) as proxy:
        dispute = proxy.disputes.open_dispute(BUYER, order["id"], DISPUTE)
    eventually(lambda: order_row(system, order["id"]).state["disputed"])

    clock.advance(days=14)  # far past the five business days of inspection
    # ... and past the supplier's time to answer: the dispute escalates meanwhile.
    eventually(lambda: "record_dispute_escalation" in timeline(system, order["id"]))
    ticks(system, "orders")
    assert order_row(system, order["id"]).status == "delivered"

    with rpc(system["config"]["disputes"]) as proxy:
        withdrawn = proxy.disputes.withdraw_dispute(BUYER, dispute["id"])
    assert withdrawn["status"] == "withdrawn"
    eventually(lambda: not order_row(system, order["id"]).state["disputed"])
    ticks(system, "orders")
    assert order_row(system, order["id"]).status == "delivered"  # a whole new window

    clock.advance(days=7)
    eventually(lambda: order_row(system, order["id"]).status == "completed")
    kinds = timeline(system, order["id"])
    assert kinds[-4:] == [
        "record_dispute_opened",
        "record_dispute_escalation",
        "record_dispute_withdrawn",
        "accept",
    ]


def test_a_resolution_ends_the_disputed_order_and_auto_accept_never_fires(system, clock):
    order = delivered(system)
    with rpc(system["config"]["disputes"]) as proxy:
        dispute = proxy.disputes.open_dispute(BUYER, order["id"], DISPUTE)
        with pytest.raises(Forbidden):
            proxy.disputes.resolve_dispute(
                SUPPORT, dispute["id"], {"decision": "refund", "note": "n"}
            )
        resolved = proxy.disputes.resolve_dispute(
            ADMIN,
            dispute["id"],
            {"decision": "split", "refund_amount": 20000, "note": "Half were scratched"},
        )
    assert resolved["resolution"]["release_amount"] == 30000

    eventually(lambda: order_row(system, order["id"]).status == "completed")
    clock.advance(days=14)
    ticks(system, "orders")
    row = order_row(system, order["id"])
    assert row.state["dispute"]["outcome"] == "split" and row.next_deadline_at is None
    assert "accept" not in timeline(system, order["id"])
    [event] = query(
        url(system, "disputes"),
        disputes_outbox.select().where(disputes_outbox.c.event_type == "dispute.resolved"),
    )
    assert (event.envelope["data"]["refund_amount"], event.envelope["data"]["currency"]) == (
        20000,
        "EUR",
    )


def test_an_unanswered_dispute_escalates_once_across_replicas(system, clock):
    order = placed(system)
    with rpc(system["config"]["disputes"]) as proxy:
        dispute = proxy.disputes.open_dispute(SUPPLIER, order["id"], {**DISPUTE, "reason": "other"})
    assert dispute["awaiting"] == "buyer"
    respond_by = datetime.fromisoformat(dispute["respond_by"])
    assert respond_by == MONDAY + timedelta(days=3)

    clock.now = respond_by - timedelta(seconds=1)
    ticks(system, "disputes")
    with rpc(system["config"]["disputes"]) as proxy:
        assert proxy.disputes.get_dispute(SUPPLIER, dispute["id"])["status"] == "open"

    clock.now = respond_by
    eventually(lambda: "record_dispute_escalation" in timeline(system, order["id"]))
    ticks(system, "disputes")
    escalated = disputes_outbox.c.event_type == "dispute.escalated"
    assert count(url(system, "disputes"), disputes_outbox, escalated) == 1
    with rpc(system["config"]["disputes"]) as proxy:
        queue = proxy.disputes.dispute_queue(SUPPORT, {"status": "escalated"})
    assert [item["id"] for item in queue["items"]] == [dispute["id"]]


def test_nobody_outside_the_order_sees_its_dispute(system):
    order = placed(system)
    with rpc(system["config"]["disputes"]) as proxy:
        dispute = proxy.disputes.open_dispute(BUYER, order["id"], DISPUTE)
        for stranger in (OUTSIDER, FOREIGN_ADMIN):
            with pytest.raises(NotFound):
                proxy.disputes.get_dispute(stranger, dispute["id"])
            with pytest.raises(NotFound):
                proxy.disputes.open_dispute(stranger, order["id"], DISPUTE)
            assert proxy.disputes.order_disputes(stranger, order["id"]) == []
        with pytest.raises(Forbidden):
            proxy.disputes.dispute_queue(FOREIGN_ADMIN, {})
        assert proxy.disputes.get_dispute(SUPPORT, dispute["id"])["id"] == dispute["id"]


def test_a_wrong_item_claim_counts_five_workdays_from_the_pick_up(system, clock):
    order = placed(system)
    config = system["config"]["disputes"]
    claim = {
        "kind": "wrong_item_returned",
        "reference": "ret-1",
        "description": "A different kettle came back",
        "evidence": [{"file_id": "p-1", "name": "kettle.jpg", "content_type": "image/jpeg"}],
    }
    with rpc(config) as proxy, pytest.raises(GuardFailed):
        proxy.disputes.open_claim(SUPPLIER, order["id"], claim)

    picked_up = MONDAY.isoformat()
    data = {"order_id": order["id"], "return_id": "ret-1", "wrong_item": True}
    publish(
        config["AMQP_URI"], "return.received", {**data, "picked_up_at": picked_up}, "fulfillment"
    )
    eventually(lambda: count(url(system, "disputes"), claim_triggers) == 1)

    clock.now = MONDAY + timedelta(days=7, seconds=1)  # past Monday 9:00, five workdays on
    with rpc(config) as proxy:
        with pytest.raises(GuardFailed) as late:
            proxy.disputes.open_claim(SUPPLIER, order["id"], claim)
        assert "within 5 workdays" in str(late.value)

        clock.now = MONDAY + timedelta(days=6)
        opened = proxy.disputes.open_claim(SUPPLIER, order["id"], claim)
        with pytest.raises(NotFound):
            proxy.disputes.get_claim(BUYER, opened["id"])
        # The order page's section: the seller and staff see the claim, the buyer does not.
        assert proxy.disputes.order_claims(SUPPLIER, order["id"]) == [opened]
        assert proxy.disputes.order_claims(SUPPORT, order["id"]) == [opened]
        assert proxy.disputes.order_claims(BUYER, order["id"]) == []
        too_much = {"approve": True, "amount": order["total"] + 1, "reason": "Photos match"}
        with pytest.raises(InvalidRequest):
            proxy.disputes.decide_claim(ADMIN, opened["id"], too_much)
        assert proxy.disputes.get_claim(SUPPORT, opened["id"])["status"] == "pending"
        decided = proxy.disputes.decide_claim(
            ADMIN, opened["id"], {"approve": True, "amount": 4500, "reason": "Photos match"}
        )
        assert decided["status"] == "approved"
        queue = proxy.disputes.claim_queue(SUPPORT, {"status": "approved"})
    assert [item["id"] for item in queue["items"]] == [opened["id"]]
    [approved] = query(
        url(system, "disputes"),
        disputes_outbox.select().where(disputes_outbox.c.event_type == "claim.approved"),
    )
    assert approved.envelope["data"]["amount"] == 4500


WRONG_ITEM_CLAIM = {
    "kind": "wrong_item_returned",
    "reference": "ret-1",
    "description": "A different item came back",
    "evidence": [{"file_id": "p-1", "name": "item.jpg", "content_type": "image/jpeg"}],
}


def test_an_orders_claims_together_pay_at_most_the_orders_amount(system, clock):
    order = placed(system)
    config = system["config"]["disputes"]
    for return_id in ("ret-1", "ret-2"):
        data = {"order_id": order["id"], "return_id": return_id, "wrong_item": True}
        publish(
            config["AMQP_URI"],
            "return.received",
            {**data, "picked_up_at": MONDAY.isoformat()},
            "fulfillment",
        )
    eventually(lambda: count(url(system, "disputes"), claim_triggers) == 2)
    clock.now = MONDAY + timedelta(days=1)
    first_pays = order["total"] - 100
    with rpc(config) as proxy:
        first, second = (
            proxy.disputes.open_claim(
                SUPPLIER,
                order["id"],
                {**WRONG_ITEM_CLAIM, "reference": return_id},
            )
            for return_id in ("ret-1", "ret-2")
        )
        proxy.disputes.decide_claim(
            ADMIN, first["id"], {"approve": True, "amount": first_pays, "reason": "Photos match"}
        )
        # Each claim alone is under the order's amount; with the first one it would be over.
        over = {"approve": True, "amount": 101, "reason": "Photos match"}
        with pytest.raises(InvalidRequest) as refused:
            proxy.disputes.decide_claim(ADMIN, second["id"], over)
        assert refused.value.details["already_approved"] == first_pays
        assert proxy.disputes.get_claim(SUPPORT, second["id"])["status"] == "pending"
        rest = {"approve": True, "amount": 100, "reason": "Photos match"}
        assert proxy.disputes.decide_claim(ADMIN, second["id"], rest)["status"] == "approved"
    paid = query(
        url(system, "disputes"),
        disputes_outbox.select().where(disputes_outbox.c.event_type == "claim.approved"),
    )
    assert sorted(row.envelope["data"]["amount"] for row in paid) == [100, first_pays]


def test_deciding_a_claim_on_an_order_disputes_no_longer_knows_is_a_conflict(system, clock):
    order = placed(system)
    config = system["config"]["disputes"]
    data = {"order_id": order["id"], "return_id": "ret-1", "wrong_item": True}
    publish(
        config["AMQP_URI"],
        "return.received",
        {**data, "picked_up_at": MONDAY.isoformat()},
        "fulfillment",
    )
    eventually(lambda: count(url(system, "disputes"), claim_triggers) == 1)
    clock.now = MONDAY + timedelta(days=1)
    with rpc(config) as proxy:
        opened = proxy.disputes.open_claim(SUPPLIER, order["id"], {**WRONG_ITEM_CLAIM})
    engine = make_engine(url(system, "disputes"))
    try:
        with engine.begin() as connection:
            connection.execute(order_facts.delete().where(order_facts.c.order_id == order["id"]))
    finally:
        engine.dispose()

    approve = {"approve": True, "amount": 100, "reason": "Photos match"}
    with rpc(config) as proxy:
        with pytest.raises(Conflict):
            proxy.disputes.decide_claim(ADMIN, opened["id"], approve)
        assert proxy.disputes.get_claim(SUPPORT, opened["id"])["status"] == "pending"


def test_an_unscanned_parcel_claim_waits_for_fulfillments_word(system):
    order = placed(system)
    config = system["config"]["disputes"]
    claim = {
        "kind": "unscanned_parcel",
        "reference": "TRK-404",
        "description": "Handed over on Monday, never scanned",
        "evidence": [{"file_id": "r-1", "name": "receipt.pdf", "content_type": "application/pdf"}],
    }
    with rpc(config) as proxy, pytest.raises(GuardFailed) as early:
        proxy.disputes.open_claim(SUPPLIER, order["id"], claim)
    assert "has not been reported unscanned" in str(early.value)

    unscanned = {
        "order_id": order["id"],
        "shipment_id": "s-1",
        "tracking_number": "TRK-404",
        "carrier": "dhl",
        "handed_over_at": MONDAY.isoformat(),
        "due_at": (MONDAY + timedelta(days=1)).isoformat(),
    }
    publish(config["AMQP_URI"], "parcel.unscanned", unscanned, "fulfillment")
    eventually(lambda: count(url(system, "disputes"), claim_triggers) == 1)

    with rpc(config) as proxy:
        opened = proxy.disputes.open_claim(SUPPLIER, order["id"], claim)
    assert opened["kind"] == "unscanned_parcel" and opened["reference"] == "TRK-404"


def test_a_statement_with_contact_details_is_refused_and_stores_nothing(system):
    order = placed(system)
    with rpc(system["config"]["disputes"]) as proxy:
        with pytest.raises(InvalidRequest) as refused:
            proxy.disputes.open_dispute(
                BUYER, order["id"], {**DISPUTE, "description": "Ring me: +1 415 555 0132"}
            )
        assert refused.value.details["contact_details"][0]["field"] == "description"
        assert count(url(system, "disputes"), disputes) == 0
        dispute = proxy.disputes.open_dispute(BUYER, order["id"], DISPUTE)
        with pytest.raises(InvalidRequest):
            proxy.disputes.add_statement(SUPPLIER, dispute["id"], {"text": "see wa.me/4155550132"})
        assert proxy.disputes.get_dispute(BUYER, dispute["id"])["statements"] == []


def test_a_repeated_command_opens_one_dispute_and_gets_the_same_answer(system):
    order = placed(system)
    with rpc(system["config"]["disputes"]) as proxy:
        first = proxy.disputes.open_dispute(BUYER, order["id"], DISPUTE, command_id="cmd-1")
        again = proxy.disputes.open_dispute(BUYER, order["id"], DISPUTE, command_id="cmd-1")
    assert again == first
    opened = disputes_outbox.c.event_type == "dispute.opened"
    assert count(url(system, "disputes"), disputes_outbox, opened) == 1
