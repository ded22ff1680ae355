"""Shipments: partial, never beyond what was ordered, visible only to the order's parties."""

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select, update

from chassis.database import make_engine
from contracts.errors import Conflict, Forbidden, InvalidRequest, NotFound
from fulfillment.models import fulfillments, metadata, waiting_events
from support.databases import alembic_ini
from support.order_facts import PLACED
from support.services import ADMIN, BUYER, SUPPLIER, count, query, rpc

inbox = metadata.tables["inbox"]
OTHER_SUPPLIER = {"user_id": "olga", "role": "supplier", "org": "elsewhere"}


def test_placement_keeps_the_lines_parties_and_ship_to(fulfillment):
    order_id = fulfillment.place()
    record = fulfillment.call("get_fulfillment", BUYER, order_id)
    assert record["shipping"]["ship_to"]["name"] == "Zoë Ångström"
    assert [(line["line_id"], line["quantity"], line["shipped"]) for line in record["lines"]] == [
        ("L1", 40, 0),
        ("L2", 100, 0),
    ]
    assert fulfillment.call("get_fulfillment", OTHER_SUPPLIER, order_id) is None


def test_two_partial_shipments_split_the_order_and_each_is_announced_when_handed_over(
    fulfillment,
):
    order_id = fulfillment.place()
    first = fulfillment.call(
        "create_shipment",
        SUPPLIER,
        order_id,
        {
            "lines": [{"line_id": "L1", "quantity": 25}, {"line_id": "L2", "quantity": 0}],
            "carrier": "DHL",
            "tracking_number": "JD0001",
            "hand_over": True,
        },
    )
    second = fulfillment.call(
        "create_shipment",
        SUPPLIER,
        order_id,
        {
            "lines": [{"line_id": "L1", "quantity": 15}, {"line_id": "L2", "quantity": 100}],
            "carrier": "dhl",
        },
    )
    assert (first["number"], first["lines"]) == (1, [{"line_id": "L1", "quantity": 25}])
    assert (second["status"], second["tracking_number"]) == ("draft", None)

    [created] = fulfillment.published("shipment.created")
    assert created["data"] == {
        "order_id": order_id,
        "shipment_id": first["id"],
        "tracking_number": "JD0001",
        "carrier": "dhl",
        "lines": [{"line_id": "L1", "quantity": 25}],
    }
    with pytest.raises(InvalidRequest, match="tracking number"):
        fulfillment.call("hand_over", SUPPLIER, order_id, second["id"])
    fulfillment.call(
        "update_shipment", SUPPLIER, order_id, second["id"], {"tracking_number": "JD0002"}
    )
    handed = fulfillment.call("hand_over", SUPPLIER, order_id, second["id"])
    assert handed["status"] == "handed_over" and handed["tracking_number"] == "JD0002"
    assert len(fulfillment.published("shipment.created")) == 2
    fulfillment.call("hand_over", SUPPLIER, order_id, second["id"])  # again: nothing new
    assert len(fulfillment.published("shipment.created")) == 2


def test_a_draft_shipment_is_withdrawn_once_and_its_quantities_are_left_to_ship(fulfillment):
    order_id = fulfillment.place()
    request = {"lines": [{"line_id": "L1", "quantity": 30}, {"line_id": "L2", "quantity": 5}]}
    draft = fulfillment.call("create_shipment", SUPPLIER, order_id, request)
    with pytest.raises(Forbidden):
        fulfillment.call("withdraw_shipment", BUYER, order_id, draft["id"])
    with pytest.raises(NotFound):
        fulfillment.call("withdraw_shipment", OTHER_SUPPLIER, order_id, draft["id"])

    with rpc(fulfillment.config) as proxy:
        first = proxy.fulfillment.withdraw_shipment(SUPPLIER, order_id, draft["id"], command_id="w")
        again = proxy.fulfillment.withdraw_shipment(SUPPLIER, order_id, draft["id"], command_id="w")
    assert first == again == {"id": draft["id"], "number": 1, "withdrawn": True}
    record = fulfillment.call("get_fulfillment", SUPPLIER, order_id)
    assert record["shipments"] == []
    assert [line["shipped"] for line in record["lines"]] == [0, 0]
    with pytest.raises(NotFound):  # a new command for what is gone
        fulfillment.call("withdraw_shipment", SUPPLIER, order_id, draft["id"])
    assert fulfillment.published("shipment.created") == []
    # Its number may be on a printed delivery note: the next shipment has another.
    assert fulfillment.call("create_shipment", SUPPLIER, order_id, request)["number"] == 2


def test_a_record_from_before_its_numbers_were_kept_goes_on_from_its_highest_shipment(
    fulfillment,
):
    request = {"lines": [{"line_id": "L1", "quantity": 1}]}
    shipped = fulfillment.place("o-1")
    for _ in range(2):
        fulfillment.call("create_shipment", SUPPLIER, shipped, request)
    withdrawn = fulfillment.place("o-2")  # counted since 0009: its count is above what is stored
    draft = fulfillment.call("create_shipment", SUPPLIER, withdrawn, request)
    fulfillment.call("withdraw_shipment", SUPPLIER, withdrawn, draft["id"])
    url = fulfillment.config["DATABASE_URL"]
    engine = make_engine(url)
    with engine.begin() as connection:  # as migration 0009 left a record that had shipments
        connection.execute(
            update(fulfillments)
            .where(fulfillments.c.order_id == shipped)
            .values(shipments_numbered=0)
        )
    engine.dispose()
    config = Config(str(alembic_ini("fulfillment")))
    config.set_main_option("sqlalchemy.url", url)
    try:
        command.downgrade(config, "0009")
    finally:  # the database is shared: it stays at the head whatever happens
        command.upgrade(config, "head")

    assert fulfillment.call("create_shipment", SUPPLIER, shipped, request)["number"] == 3
    assert fulfillment.call("create_shipment", SUPPLIER, withdrawn, request)["number"] == 2


def test_a_cancelled_orders_draft_can_still_be_withdrawn(fulfillment):
    order_id = fulfillment.place()
    request = {"lines": [{"line_id": "L1", "quantity": 1}]}
    draft = fulfillment.call("create_shipment", SUPPLIER, order_id, request)
    cancelled = {
        **{k: v for k, v in PLACED.items() if k != "lines"},
        "status": "cancelled",
        "by": "buyer",
    }
    fulfillment.deliver("order.cancelled", cancelled, "on_order_cancelled")
    fulfillment.call("withdraw_shipment", SUPPLIER, order_id, draft["id"])
    assert fulfillment.call("get_fulfillment", SUPPLIER, order_id)["shipments"] == []


def test_a_shipment_handed_to_the_carrier_is_not_withdrawn(fulfillment):
    order_id = fulfillment.place()
    request = {"lines": [{"line_id": "L1", "quantity": 40}], "tracking_number": "T1"}
    shipment = fulfillment.call("create_shipment", SUPPLIER, order_id, {**request, "hand_over": 1})
    with pytest.raises(Conflict, match="with the carrier"):
        fulfillment.call("withdraw_shipment", SUPPLIER, order_id, shipment["id"])
    record = fulfillment.call("get_fulfillment", SUPPLIER, order_id)
    assert [s["id"] for s in record["shipments"]] == [shipment["id"]]
    assert [line["shipped"] for line in record["lines"]] == [40, 0]


def test_a_handed_over_parcels_new_tracking_number_is_announced_a_drafts_is_not(fulfillment):
    order_id = fulfillment.place()
    request = {"lines": [{"line_id": "L1", "quantity": 4}], "carrier": "dhl"}
    draft = fulfillment.call("create_shipment", SUPPLIER, order_id, request)
    fulfillment.call("update_shipment", SUPPLIER, order_id, draft["id"], {"tracking_number": "A1"})
    assert fulfillment.published("shipment.tracking_changed") == []

    fulfillment.call("hand_over", SUPPLIER, order_id, draft["id"])
    change = {"carrier": "UPS", "tracking_number": "1Z999"}
    fulfillment.call("update_shipment", SUPPLIER, order_id, draft["id"], change)
    fulfillment.call("update_shipment", SUPPLIER, order_id, draft["id"], change)  # no change
    [changed] = fulfillment.published("shipment.tracking_changed")
    assert changed["data"] == {
        "order_id": order_id,
        "shipment_id": draft["id"],
        "tracking_number": "1Z999",
        "carrier": "ups",
        "lines": [{"line_id": "L1", "quantity": 4}],
        "previous_tracking_number": "A1",
        "previous_carrier": "dhl",
        "changed_at": fulfillment.clock.now.isoformat(timespec="microseconds"),
    }


def test_a_shipment_beyond_what_remains_is_refused_and_changes_nothing(fulfillment):
    order_id = fulfillment.place()
    fulfillment.call(
        "create_shipment", SUPPLIER, order_id, {"lines": [{"line_id": "L1", "quantity": 30}]}
    )
    with pytest.raises(InvalidRequest) as refused:
        fulfillment.call(
            "create_shipment",
            SUPPLIER,
            order_id,
            {"lines": [{"line_id": "L1", "quantity": 11}, {"line_id": "L2", "quantity": 5}]},
        )
    assert refused.value.details["errors"] == {
        "lines.L1": ["11 asked, but only 10 of 40 remain to ship"]
    }
    with pytest.raises(InvalidRequest) as unknown:
        fulfillment.call(
            "create_shipment", SUPPLIER, order_id, {"lines": [{"line_id": "L9", "quantity": 1}]}
        )
    assert "lines.0.line_id" in unknown.value.details["errors"]
    with pytest.raises(InvalidRequest, match="lines"):
        fulfillment.call(
            "create_shipment", SUPPLIER, order_id, {"lines": [{"line_id": "L2", "quantity": 0}]}
        )
    [row] = query(fulfillment.config["DATABASE_URL"], select(fulfillments.c.lines))
    assert [line["shipped"] for line in row.lines] == [30, 0]


def test_only_the_orders_supplier_ships_it(fulfillment):
    order_id = fulfillment.place()
    request = {"lines": [{"line_id": "L1", "quantity": 1}]}
    with pytest.raises(Forbidden):
        fulfillment.call("create_shipment", BUYER, order_id, request)
    with pytest.raises(NotFound):
        fulfillment.call("create_shipment", OTHER_SUPPLIER, order_id, request)
    assert fulfillment.call("create_shipment", ADMIN, order_id, request)["number"] == 1


def test_nothing_ships_on_a_cancelled_order(fulfillment):
    order_id = fulfillment.place()
    cancelled = {
        **{k: v for k, v in PLACED.items() if k != "lines"},
        "status": "cancelled",
        "by": "buyer",
    }
    fulfillment.deliver("order.cancelled", cancelled, "on_order_cancelled")
    with pytest.raises(Conflict, match="cancelled"):
        fulfillment.call(
            "create_shipment", SUPPLIER, order_id, {"lines": [{"line_id": "L1", "quantity": 1}]}
        )


def _approve(fulfillment, order_id):
    approval = {key: PLACED[key] for key in ("buyer_org", "supplier_org", "workflow", "lines")}
    approval.update(order_id=order_id, workflow_version=1, status="approved")
    fulfillment.deliver("order.approved", approval, "on_order_approved")


def test_a_shipment_waits_for_the_suppliers_approval_when_the_workflow_has_one(fulfillment):
    order_id = fulfillment.place(awaits_approval=True)
    request = {"lines": [{"line_id": "L1", "quantity": 40}], "tracking_number": "T1"}
    with pytest.raises(Conflict, match="not approved yet"):
        fulfillment.call("create_shipment", SUPPLIER, order_id, request)
    assert fulfillment.call("get_fulfillment", SUPPLIER, order_id)["shipments"] == []
    assert fulfillment.call("get_fulfillment", SUPPLIER, order_id)["awaits_approval"] is True

    _approve(fulfillment, order_id)
    shipment = fulfillment.call("create_shipment", SUPPLIER, order_id, request)
    assert shipment["lines"] == [{"line_id": "L1", "quantity": 40}]
    assert fulfillment.call("get_fulfillment", SUPPLIER, order_id)["awaits_approval"] is False


def test_an_approval_that_overtakes_its_placement_is_not_undone_by_it(fulfillment):
    _approve(fulfillment, "o-early")
    fulfillment.place("o-early", awaits_approval=True)  # late: it only brings the Ship-To
    request = {"lines": [{"line_id": "L1", "quantity": 1}]}
    assert fulfillment.call("create_shipment", SUPPLIER, "o-early", request)["number"] == 1
    record = fulfillment.call("get_fulfillment", SUPPLIER, "o-early")
    assert record["shipping"]["ship_to"]["city"] == "Berlin"


def test_an_order_whose_workflow_has_no_approval_ships_at_once(fulfillment):
    order_id = fulfillment.place(workflow="factory", status="confirmed", awaits_approval=False)
    request = {"lines": [{"line_id": "L2", "quantity": 100}]}
    assert fulfillment.call("create_shipment", SUPPLIER, order_id, request)["number"] == 1


def test_a_retail_label_at_the_order_is_a_shipment_of_everything(fulfillment):
    order_id = fulfillment.place(workflow="retail", status="pending")
    label = {**PLACED, "status": "ready_to_ship", "tracking_number": "JG-NJS-1"}
    fulfillment.deliver("order.ready_to_ship", label, "on_ready_to_ship")
    fulfillment.deliver("order.ready_to_ship", label, "on_ready_to_ship")  # a second label event
    [shipment] = fulfillment.call("get_fulfillment", SUPPLIER, order_id)["shipments"]
    assert shipment["tracking_number"] == "JG-NJS-1" and shipment["status"] == "handed_over"
    assert shipment["lines"] == [
        {"line_id": "L1", "quantity": 40},
        {"line_id": "L2", "quantity": 100},
    ]
    assert len(fulfillment.published("shipment.created")) == 1


def test_a_repeated_command_creates_one_shipment(fulfillment):
    order_id = fulfillment.place()
    request = {
        "lines": [{"line_id": "L1", "quantity": 40}],
        "tracking_number": "T1",
        "hand_over": True,
    }
    with rpc(fulfillment.config) as proxy:
        first = proxy.fulfillment.create_shipment(SUPPLIER, order_id, request, command_id="c-1")
        again = proxy.fulfillment.create_shipment(SUPPLIER, order_id, request, command_id="c-1")
    assert again == first
    assert len(fulfillment.call("get_fulfillment", SUPPLIER, order_id)["shipments"]) == 1
    assert len(fulfillment.published("shipment.created")) == 1


def test_a_label_that_overtakes_the_placement_waits_for_it_and_ships_once(fulfillment):
    label = {**PLACED, "order_id": "o-late", "status": "ready_to_ship", "tracking_number": "L-1"}
    envelope = fulfillment.deliver("order.ready_to_ship", label, "on_ready_to_ship")
    # Kept, in the transaction that marked it processed: no retry, nothing shipped yet.
    url = fulfillment.config["DATABASE_URL"]
    assert [row.event_id for row in query(url, select(waiting_events))] == [envelope["event_id"]]
    assert count(url, inbox, inbox.c.event_id == envelope["event_id"]) == 1
    assert fulfillment.call("get_fulfillment", SUPPLIER, "o-late") is None

    fulfillment.place(order_id="o-late", workflow="retail", status="pending")
    [shipment] = fulfillment.call("get_fulfillment", SUPPLIER, "o-late")["shipments"]
    assert (shipment["tracking_number"], shipment["status"]) == ("L-1", "handed_over")
    assert count(url, waiting_events) == 0
    fulfillment.deliver("order.ready_to_ship", None, "on_ready_to_ship", envelope)  # redelivered
    assert len(fulfillment.call("get_fulfillment", SUPPLIER, "o-late")["shipments"]) == 1
    [created] = fulfillment.published("shipment.created")
    assert created["data"]["shipment_id"] == shipment["id"]
    # Published as the label's consequence, not the placement's.
    assert created["correlation_id"] == envelope["correlation_id"]
    assert created["causation_id"] == envelope["event_id"]


def test_a_label_waiting_for_an_order_cancelled_before_its_placement_ships_nothing(fulfillment):
    label = {**PLACED, "order_id": "o-gone", "status": "ready_to_ship", "tracking_number": "L-2"}
    fulfillment.deliver("order.ready_to_ship", label, "on_ready_to_ship")
    cancelled = {
        **{k: v for k, v in PLACED.items() if k != "lines"},
        "order_id": "o-gone",
        "status": "cancelled",
        "by": "buyer",
    }
    fulfillment.deliver("order.cancelled", cancelled, "on_order_cancelled")
    fulfillment.place(order_id="o-gone", workflow="retail", status="pending")
    assert count(fulfillment.config["DATABASE_URL"], waiting_events) == 0
    assert fulfillment.call("get_fulfillment", SUPPLIER, "o-gone")["shipments"] == []
    assert fulfillment.published("shipment.created") == []


def test_a_waiting_event_that_can_no_longer_be_read_stays_and_holds_nothing_up(fulfillment):
    label = {**PLACED, "order_id": "o-old", "status": "ready_to_ship", "tracking_number": "L-3"}
    envelope = fulfillment.deliver("order.ready_to_ship", label, "on_ready_to_ship")
    url = fulfillment.config["DATABASE_URL"]
    engine = make_engine(url)
    with engine.begin() as connection:  # a version of the contract no longer accepted
        connection.execute(
            insert(waiting_events).values(
                order_id="o-old",
                event_id="00000000-0000-4000-8000-000000000000",
                event_type="order.ready_to_ship",
                occurred_at=datetime.now(UTC),
                envelope={
                    **envelope,
                    "event_id": "00000000-0000-4000-8000-000000000000",
                    "schema_version": 99,
                },
                received_at=datetime.now(UTC),
            )
        )
    engine.dispose()
    fulfillment.place(order_id="o-old", workflow="retail", status="pending")
    [shipment] = fulfillment.call("get_fulfillment", SUPPLIER, "o-old")["shipments"]
    assert shipment["tracking_number"] == "L-3"
    assert [row.envelope["schema_version"] for row in query(url, select(waiting_events))] == [99]


def test_parts_sent_back_for_rework_can_be_shipped_again_once(fulfillment):
    order_id = fulfillment.place()
    everything = {"lines": [{"line_id": "L1", "quantity": 40}, {"line_id": "L2", "quantity": 100}]}
    fulfillment.call("create_shipment", SUPPLIER, order_id, everything)
    inspection = {
        **PLACED,
        "order_id": order_id,
        "status": "in_production",
        "feedback": "burrs on the edges",
        "lines": [
            {"line_id": "L1", "accepted": 30, "rejected": 0, "rework": 10},
            {"line_id": "L2", "accepted": 100, "rejected": 0, "rework": 0},
        ],
    }
    envelope = fulfillment.deliver("order.rework_requested", inspection, "on_rework_requested")
    fulfillment.deliver("order.rework_requested", None, "on_rework_requested", envelope)  # again

    record = fulfillment.call("get_fulfillment", SUPPLIER, order_id)
    assert [(line["line_id"], line["shipped"]) for line in record["lines"]] == [
        ("L1", 30),
        ("L2", 100),
    ]
    with pytest.raises(InvalidRequest) as refused:
        fulfillment.call(
            "create_shipment", SUPPLIER, order_id, {"lines": [{"line_id": "L1", "quantity": 11}]}
        )
    assert refused.value.details["errors"] == {
        "lines.L1": ["11 asked, but only 10 of 40 remain to ship"]
    }
    again = fulfillment.call(
        "create_shipment", SUPPLIER, order_id, {"lines": [{"line_id": "L1", "quantity": 10}]}
    )
    assert (again["number"], again["lines"]) == (2, [{"line_id": "L1", "quantity": 10}])


def test_rework_that_overtakes_the_record_waits_for_it(fulfillment):
    inspection = {
        **PLACED,
        "order_id": "o-early",
        "status": "in_production",
        "lines": [{"line_id": "L1", "accepted": 0, "rejected": 0, "rework": 5}],
    }
    fulfillment.deliver("order.rework_requested", inspection, "on_rework_requested")
    assert count(fulfillment.config["DATABASE_URL"], waiting_events) == 1

    fulfillment.place(order_id="o-early")
    record = fulfillment.call("get_fulfillment", SUPPLIER, "o-early")
    assert [line["shipped"] for line in record["lines"]] == [0, 0]  # nothing shipped to take back
    assert count(fulfillment.config["DATABASE_URL"], waiting_events) == 0
