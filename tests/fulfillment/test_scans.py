"""Carrier scans: each has its effect once, in the carrier's time order, parked until its
shipment appears; a parcel not scanned in time is reported once."""

from datetime import date, timedelta

import eventlet
import pytest
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import select, update

from chassis.database import make_engine
from chassis.deadletters import list_parked
from chassis.envelope import InvalidEvent, new_envelope
from chassis.topology import consumer_queue_name, dead_queue_name
from contracts.errors import Conflict, Forbidden, InvalidRequest
from fulfillment.models import metadata, scans, shipments
from support.events import publish
from support.services import ADMIN, BUYER, SUPPLIER, count, query
from support.waiting import eventually

SCANS = "carrier.scans_received"
DEAD = dead_queue_name(consumer_queue_name("fulfillment", SCANS))


def scan(tracking, status, at, event_id="", **more):
    return {
        "event_id": event_id,
        "tracking_number": tracking,
        "status": status,
        "occurred_at": at.isoformat(),
        **more,
    }


def shipped(fulfillment, tracking="JD0001", carrier="dhl", hand_over=True):
    order_id = fulfillment.place()
    return fulfillment.call(
        "create_shipment",
        SUPPLIER,
        order_id,
        {
            "lines": [{"line_id": "L1", "quantity": 40}],
            "carrier": carrier,
            "tracking_number": tracking,
            "hand_over": hand_over,
        },
    )


def handled(fulfillment, envelopes):
    """How many of ``envelopes`` the service has applied (its inbox keeps each event once)."""
    inbox = metadata.tables["inbox"]
    ids = [envelope["event_id"] for envelope in envelopes]
    return count(fulfillment.config["DATABASE_URL"], inbox, inbox.c.event_id.in_(ids))


def event_types(fulfillment):
    return [envelope["event_type"] for envelope in fulfillment.published()]


def test_the_same_scan_delivered_five_times_has_its_effect_once(fulfillment):
    shipment = shipped(fulfillment)
    at = fulfillment.clock.now + timedelta(hours=2)
    sorting = scan("JD0001", "in_transit", at, "evt-1", location_kind="sorting_centre")
    for _ in range(4):  # the carrier's retries: each a new event
        fulfillment.receive_scans("DHL", [sorting])
    fulfillment.receive_scans("dhl", [sorting, sorting])
    [scanned] = fulfillment.published("parcel.scanned")
    assert scanned["data"]["shipment_id"] == shipment["id"]
    assert scanned["data"]["location_kind"] == "sorting_centre"
    assert count(fulfillment.config["DATABASE_URL"], scans) == 1


def test_a_scan_without_an_event_id_is_recognised_by_what_it_says(fulfillment):
    shipped(fulfillment)
    at = fulfillment.clock.now + timedelta(hours=2)
    fulfillment.receive_scans("dhl", [scan("JD0001", "in_transit", at)])
    fulfillment.receive_scans("dhl", [scan("JD0001", "in_transit", at)])
    assert count(fulfillment.config["DATABASE_URL"], scans) == 1
    fulfillment.receive_scans("dhl", [scan("JD0001", "in_transit", at + timedelta(minutes=1))])
    assert count(fulfillment.config["DATABASE_URL"], scans) == 2


def test_scans_in_reverse_order_end_delivered_and_keep_the_whole_history(fulfillment):
    shipment = shipped(fulfillment)
    start = fulfillment.clock.now
    journey = [
        scan(
            "JD0001", "in_transit", start + timedelta(hours=1), "e1", location_kind="sorting_centre"
        ),
        scan("JD0001", "out_for_delivery", start + timedelta(hours=20), "e2"),
        scan("JD0001", "delivered", start + timedelta(hours=26), "e3", location="Berlin"),
    ]
    for each in reversed(journey):
        fulfillment.receive_scans("dhl", [each])

    view = fulfillment.call("get_shipment", BUYER, shipment["order_id"], shipment["id"])
    assert view["status"] == "delivered"
    assert [s["carrier_event_id"] for s in view["scans"]] == ["e1", "e2", "e3"]
    # Delivered came first: what arrived after it is history, not news.
    assert event_types(fulfillment)[-1] == "parcel.delivered"
    assert fulfillment.published("parcel.scanned") == []
    [delivered] = fulfillment.published("parcel.delivered")
    assert delivered["data"]["lines"] == [{"line_id": "L1", "quantity": 40}]


def test_a_late_scan_is_news_but_does_not_turn_the_status_back(fulfillment):
    shipment = shipped(fulfillment)
    start = fulfillment.clock.now
    fulfillment.receive_scans(
        "dhl", [scan("JD0001", "out_for_delivery", start + timedelta(hours=9))]
    )
    fulfillment.receive_scans(
        "dhl",
        [scan("JD0001", "in_transit", start + timedelta(hours=1), location_kind="sorting_centre")],
    )
    view = fulfillment.call("get_shipment", BUYER, shipment["order_id"], shipment["id"])
    assert view["status"] == "out_for_delivery"
    kinds = [e["data"]["location_kind"] for e in fulfillment.published("parcel.scanned")]
    assert kinds == ["", "sorting_centre"]


def test_a_scan_before_its_shipment_is_parked_then_applied(fulfillment):
    early = fulfillment.clock.now + timedelta(minutes=5)
    fulfillment.receive_scans(
        "dhl", [scan("JD0001", "in_transit", early, "e1", location_kind="sorting_centre")]
    )
    parked = count(fulfillment.config["DATABASE_URL"], scans, scans.c.shipment_id.is_(None))
    assert parked == 1
    assert fulfillment.published("parcel.scanned") == []

    shipment = shipped(fulfillment, hand_over=False)  # registered after the carrier scanned it
    assert event_types(fulfillment)[-2:] == ["shipment.created", "parcel.scanned"]
    view = fulfillment.call("get_shipment", SUPPLIER, shipment["order_id"], shipment["id"])
    assert view["status"] == "in_transit" and view["handed_over_at"] is not None
    assert [s["carrier_event_id"] for s in view["scans"]] == ["e1"]


def test_a_recycled_tracking_number_does_not_pick_up_an_old_parcels_scans(fulfillment):
    long_ago = fulfillment.clock.now - timedelta(days=90)
    fulfillment.receive_scans("dhl", [scan("JD0001", "delivered", long_ago, "old")])
    fulfillment.receive_scans("ups", [scan("JD0001", "delivered", fulfillment.clock.now, "ups")])
    shipment = shipped(fulfillment)
    view = fulfillment.call("get_shipment", SUPPLIER, shipment["order_id"], shipment["id"])
    assert view["status"] == "handed_over" and view["scans"] == []
    rows = query(fulfillment.config["DATABASE_URL"], select(scans.c.shipment_id))
    assert [row.shipment_id for row in rows] == [None, None]


def test_the_tracking_number_is_fixed_once_the_carrier_scanned(fulfillment):
    shipment = shipped(fulfillment)
    order_id = shipment["order_id"]
    fulfillment.call(
        "update_shipment", SUPPLIER, order_id, shipment["id"], {"tracking_number": "JD0009"}
    )
    fulfillment.receive_scans("dhl", [scan("JD0009", "in_transit", fulfillment.clock.now)])
    with pytest.raises(Conflict, match="scanned"):
        fulfillment.call(
            "update_shipment", SUPPLIER, order_id, shipment["id"], {"tracking_number": "JD0010"}
        )


def test_invalid_scans_are_refused_whole(fulfillment):
    good = scan("JD0001", "in_transit", fulfillment.clock.now)
    valid = {"carrier": "dhl", "scans": [good], "received_at": fulfillment.clock.now.isoformat()}
    bad = {**valid, "scans": [good, {**good, "status": "teleported"}]}
    with pytest.raises(InvalidEvent, match="status"):  # the gateway cannot publish them
        new_envelope(SCANS, bad, "gateway")
    forged = {**new_envelope(SCANS, valid, "gateway"), "data": bad}  # nor can anyone else
    publish(fulfillment.config["AMQP_URI"], SCANS, bad, "gateway", forged)
    [parked] = eventually(lambda: list_parked(fulfillment.config["AMQP_URI"], [DEAD]))
    assert parked.event_id == forged["event_id"] and "status" in parked.error
    assert count(fulfillment.config["DATABASE_URL"], scans) == 0


def test_a_parcel_not_scanned_by_the_next_workday_is_reported_once(fulfillment):
    shipment = shipped(fulfillment)  # handed over on Friday at 10:00
    container = fulfillment.container

    def tick():
        with entrypoint_waiter(container, "report_unscanned"):
            pass

    fulfillment.clock.advance(days=3, seconds=-1)  # Monday 09:59:59: one workday not yet over
    tick()
    assert fulfillment.published("parcel.unscanned") == []
    fulfillment.clock.advance(seconds=1)
    tick()
    tick()
    [unscanned] = fulfillment.published("parcel.unscanned")
    assert unscanned["data"]["shipment_id"] == shipment["id"]
    assert unscanned["data"]["due_at"].startswith("2031-03-10T10:00:00")


@pytest.mark.parametrize(
    "holidays",
    ["2031-03-10", [date(2031, 3, 10)]],  # as the environment gives them, as YAML reads a list
    ids=["text", "dates"],
)
def test_a_holiday_is_not_a_workday_for_the_unscanned_deadline(fulfillment, holidays):
    fulfillment.container.config["HOLIDAYS"] = holidays  # Monday
    shipment = shipped(fulfillment)  # handed over on Friday at 10:00
    [due] = query(
        fulfillment.config["DATABASE_URL"],
        select(shipments.c.unscanned_due_at).where(shipments.c.id == shipment["id"]),
    )
    assert due.unscanned_due_at.isoformat().startswith("2031-03-11T10:00:00")  # Tuesday


def test_a_scanned_parcel_is_never_reported_unscanned(fulfillment):
    shipped(fulfillment)
    fulfillment.receive_scans("dhl", [scan("JD0001", "in_transit", fulfillment.clock.now)])
    fulfillment.clock.advance(days=10)
    with entrypoint_waiter(fulfillment.container, "report_unscanned"):
        pass
    assert fulfillment.published("parcel.unscanned") == []


def test_concurrent_batches_over_the_same_shipments_all_land(fulfillment):
    order_id = fulfillment.place()
    for number in ("A1", "A2", "A3"):
        fulfillment.call(
            "create_shipment",
            SUPPLIER,
            order_id,
            {
                "lines": [{"line_id": "L2", "quantity": 1}],
                "tracking_number": number,
                "hand_over": True,
            },
        )
    start = fulfillment.clock.now

    def batch(offset):
        numbers = ["A1", "A2", "A3"][offset:] + ["A1", "A2", "A3"][:offset]
        scans_ = [
            scan(number, "in_transit", start + timedelta(minutes=offset * 10 + i), f"{offset}-{i}")
            for i, number in enumerate(numbers * 3)
        ]
        return fulfillment.receive_scans("dhl", scans_, wait=False)

    # Published all at once: the service's workers apply them concurrently.
    envelopes = [batch(offset) for offset in range(3) for _ in range(2)]
    assert len(envelopes) == 6
    url = fulfillment.config["DATABASE_URL"]
    eventually(lambda: handled(fulfillment, envelopes) == 6)
    assert count(url, scans) == 27  # 54 scans, each sent twice


def test_one_more_hop_in_transit_is_history_not_news(fulfillment):
    shipment = shipped(fulfillment)
    start = fulfillment.clock.now
    hops = [
        scan("JD0001", "in_transit", start + timedelta(hours=1), "h1", location="Leipzig"),
        scan("JD0001", "in_transit", start + timedelta(hours=2), "h2", location="Kassel"),
        scan(
            "JD0001", "in_transit", start + timedelta(hours=3), "h3", location_kind="sorting_centre"
        ),
    ]
    fulfillment.receive_scans("dhl", hops)
    view = fulfillment.call("get_shipment", BUYER, shipment["order_id"], shipment["id"])
    assert [s["carrier_event_id"] for s in view["scans"]] == ["h1", "h2", "h3"]
    published = [e["data"]["scan_id"] for e in fulfillment.published("parcel.scanned")]
    assert published == [view["scans"][0]["id"], view["scans"][2]["id"]]


def test_a_redelivered_event_is_skipped_and_a_retried_delivery_has_no_second_effect(
    fulfillment,
):
    shipment = shipped(fulfillment)
    sorting = scan(
        "JD0001", "in_transit", fulfillment.clock.now, "evt-9", location_kind="sorting_centre"
    )
    first = fulfillment.receive_scans("dhl", [sorting])
    fulfillment.receive_scans("dhl", [sorting], envelope=first)  # the broker redelivers it
    fulfillment.receive_scans("dhl", [sorting])  # the carrier sends it again
    [scanned] = fulfillment.published("parcel.scanned")
    assert scanned["data"]["shipment_id"] == shipment["id"]
    assert count(fulfillment.config["DATABASE_URL"], scans) == 1


def test_shipments_and_their_first_scans_arriving_together_always_meet(fulfillment):
    order_id = fulfillment.place()
    numbers = [f"R{i}" for i in range(8)]
    at = fulfillment.clock.now + timedelta(hours=1)

    def create(number):
        request = {"lines": [{"line_id": "L2", "quantity": 1}], "tracking_number": number}
        return fulfillment.call("create_shipment", SUPPLIER, order_id, request)

    def record(number):
        return fulfillment.receive_scans(
            "dhl", [scan(number, "in_transit", at, number)], wait=False
        )

    threads = {step: [] for step in (record, create)}
    for number in numbers:
        for step in (record, create):
            threads[step].append(eventlet.spawn(step, number))
    for thread in threads[create]:
        thread.wait()
    envelopes = [thread.wait() for thread in threads[record]]
    eventually(lambda: handled(fulfillment, envelopes) == len(numbers))
    found = fulfillment.call("get_fulfillment", SUPPLIER, order_id)["shipments"]
    assert sorted((s["tracking_number"], s["status"]) for s in found) == [
        (number, "in_transit") for number in numbers
    ]
    parked = count(fulfillment.config["DATABASE_URL"], scans, scans.c.shipment_id.is_(None))
    assert parked == 0


def test_a_shipment_stored_before_milestones_were_kept_learns_them_from_its_scans(fulfillment):
    shipped(fulfillment)
    start = fulfillment.clock.now
    sorting = {"location_kind": "sorting_centre"}
    fulfillment.receive_scans("dhl", [scan("JD0001", "in_transit", start, "s1", **sorting)])
    engine = make_engine(fulfillment.config["DATABASE_URL"])
    with engine.begin() as connection:  # as migration 0006 leaves an older shipment
        connection.execute(update(shipments).values(milestones=None))
    engine.dispose()
    later = start + timedelta(hours=1)
    fulfillment.receive_scans("dhl", [scan("JD0001", "in_transit", later, "s2", **sorting)])
    assert len(fulfillment.published("parcel.scanned")) == 1  # reached before: history
    out = scan("JD0001", "out_for_delivery", later + timedelta(hours=1), "s3")
    fulfillment.receive_scans("dhl", [out])
    assert len(fulfillment.published("parcel.scanned")) == 2
    [row] = query(fulfillment.config["DATABASE_URL"], select(shipments.c.milestones))
    assert sorted(row.milestones) == [["in_transit", "sorting_centre"], ["out_for_delivery", ""]]


def test_parked_scans_are_in_the_backlog_until_their_shipment_appears(fulfillment):
    now = fulfillment.clock.now
    fulfillment.receive_scans("dhl", [scan("JD0001", "in_transit", now, "e1")])
    # A scan from before the window belongs to a parcel that will never be ours: no alarm.
    too_old = now - timedelta(days=31)
    fulfillment.receive_scans("dhl", [scan("JD0002", "in_transit", too_old, "e2")])

    waiting = fulfillment.call("backlog")
    assert waiting["parked_scans"] == {
        "count": 1,
        "oldest_at": now.isoformat(),
        "oldest_age_s": 0.0,
    }
    assert waiting["events_waiting_for_their_record"]["count"] == 0

    shipped(fulfillment, hand_over=False)
    assert fulfillment.call("backlog")["parked_scans"]["count"] == 0


def test_staff_list_parked_scans_and_see_which_a_shipment_may_still_claim(fulfillment):
    now = fulfillment.clock.now
    fulfillment.receive_scans("dhl", [scan("JD0001", "in_transit", now, "e1")])
    fulfillment.clock.advance(minutes=1)  # received later
    fulfillment.receive_scans("dhl", [scan("JD0002", "in_transit", now - timedelta(days=31), "e2")])
    fulfillment.receive_scans("ups", [scan("1Z01", "in_transit", now, "e3")])

    listed = fulfillment.call("parked_scans", ADMIN, {"carrier": "DHL"})
    assert [(s["tracking_number"], s["claimable"]) for s in listed] == [
        ("JD0002", False),  # received last
        ("JD0001", True),
    ]
    [one] = fulfillment.call("parked_scans", ADMIN, {"tracking_number": "1Z01", "limit": 5})
    assert (one["carrier"], one["carrier_event_id"]) == ("ups", "e3")
    with pytest.raises(Forbidden):
        fulfillment.call("parked_scans", SUPPLIER, {})
    with pytest.raises(InvalidRequest):
        fulfillment.call("parked_scans", ADMIN, {"limit": 0})


def test_the_sweep_deletes_parked_scans_past_their_retention_and_nothing_else(fulfillment):
    now = fulfillment.clock.now
    fulfillment.clock.now = now - timedelta(days=91)  # received then, and never claimed
    fulfillment.receive_scans("dhl", [scan("JD0002", "in_transit", fulfillment.clock.now, "e2")])
    fulfillment.clock.now = now
    fulfillment.receive_scans("dhl", [scan("JD0001", "in_transit", now, "e1")])
    fulfillment.receive_scans("dhl", [scan("JD0003", "in_transit", now - timedelta(days=60), "e3")])
    # Sent by the carrier only today: kept for staff as long as any other.
    fulfillment.receive_scans("dhl", [scan("JD0004", "in_transit", now - timedelta(days=99), "e4")])
    shipped(fulfillment)  # JD0001's shipment claims it

    def remaining():
        rows = query(fulfillment.config["DATABASE_URL"], select(scans.c.tracking_number))
        return sorted(row.tracking_number for row in rows)

    eventually(lambda: remaining() == ["JD0001", "JD0003", "JD0004"])
    with entrypoint_waiter(fulfillment.container, "sweep_parked_scans"):
        pass  # one more sweep, from start to end: it leaves the others
    assert remaining() == ["JD0001", "JD0003", "JD0004"]
