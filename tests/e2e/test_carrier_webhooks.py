"""The carrier door's promises, each with its exact effect: a 202 means the scans are on the
broker (fulfillment applies them even if it was down), a duplicate counts once, order of arrival
does not matter, an unknown parcel waits for its shipment, and a forged, replayed, altered or
invalid request is refused and leaves nothing behind.

A 202 comes before fulfillment applies the scans (ADR 22), so each test polls the shipment
until the effect shows. That nothing happened is shown by an honest scan sent after the refused
request: once it shows, a refused one that had been published would show beside it."""

import json
import signal
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from e2e.fulfillment_steps import (
    SMALL_ORDER,
    carrier,
    known_to_fulfillment,
    scan,
    ship,
    shipments,
    tracking_number,
)
from e2e.walk import act, problem
from fulfillment.models import scans
from support.services import query
from support.waiting import eventually

ORDER = SMALL_ORDER


@pytest.fixture
def approved(market):
    """An approved order and its market; shipments may be created for it."""
    m = market("webhooks")
    order = m.place(ORDER)
    act(m.supplier, order, "approve")
    known_to_fulfillment(m.supplier, order["id"])
    return m, order


def history(m, order, scans_seen=None):
    """The order's one shipment; with ``scans_seen``, once it lists that many scans."""
    if scans_seen is None:
        [shipment] = shipments(m.buyer, order["id"])
        return shipment

    def probe():
        [shipment] = shipments(m.buyer, order["id"])
        return shipment if len(shipment["scans"]) == scans_seen else None

    return eventually(probe, timeout=30)


def ids(shipment):
    return [s["carrier_event_id"] for s in shipment["scans"]]


@contextmanager
def stopped(system, name):
    """``name``'s process killed for the block, then started again."""
    index = next(i for i, child in enumerate(system.children) if child.name == name)
    child = system.children[index]
    child.signal(signal.SIGKILL)
    child.proc.wait()
    child.join()
    try:
        yield
    finally:
        system.children[index] = child.respawn()


def stored_scans(system, number):
    url = system.env["FULFILLMENT_DATABASE_URL"]
    statement = select(scans.c.carrier_event_id, scans.c.shipment_id)
    return query(url, statement.where(scans.c.tracking_number == number))


def test_a_202_means_the_scan_is_applied_even_if_fulfillment_was_down(system, approved):
    m, order = approved
    number = tracking_number()
    ship(m.supplier, order["id"], [{"line_id": "L1", "quantity": 10}], number)
    door = carrier(system)
    with stopped(system, "fulfillment"):
        sorting = scan(
            number, "in_transit", event_id=f"down-{number}", location_kind="sorting_centre"
        )
        response = door.post_generic("dhl", [sorting])
        assert response.status_code == 202, response.text
        assert response.json()["accepted"] == 1

    def applied():
        response = m.buyer.get(f"/orders/{order['id']}/shipments")  # a 503 while it starts
        found = response.json() if response.status_code == 200 else [{"status": None}]
        return found[0] if found[0]["status"] == "in_transit" else None

    assert ids(eventually(applied, timeout=60)) == [f"down-{number}"]


def test_the_same_scan_delivered_five_times_has_one_effect(system, approved):
    m, order = approved
    number = tracking_number()
    ship(m.supplier, order["id"], [{"line_id": "L1", "quantity": 10}], number)
    door = carrier(system)
    sorting = scan(number, "in_transit", event_id=f"evt-{number}", location_kind="sorting_centre")
    receipts = [door.post_generic("dhl", [sorting]) for _ in range(5)]
    assert [r.status_code for r in receipts] == [202] * 5
    assert [r.json()["accepted"] for r in receipts] == [1] * 5  # accepted for processing
    assert len({r.json()["delivery_id"] for r in receipts}) == 5
    later = scan(
        number, "out_for_delivery", datetime.now(UTC) + timedelta(hours=1), f"later-{number}"
    )
    assert door.post_generic("dhl", [later]).status_code == 202
    shipment = history(m, order, scans_seen=2)
    assert ids(shipment) == [f"evt-{number}", f"later-{number}"]
    assert [row.carrier_event_id for row in stored_scans(system, number)].count(
        f"evt-{number}"
    ) == 1


def test_scans_delivered_in_reverse_order_end_delivered_with_the_history_in_time_order(
    system, approved
):
    m, order = approved
    number = tracking_number()
    ship(m.supplier, order["id"], [{"line_id": "L1", "quantity": 10}], number)
    start = datetime.now(UTC)
    journey = [
        scan(number, "in_transit", start, "a", location_kind="sorting_centre"),
        scan(number, "out_for_delivery", start + timedelta(hours=5), "b"),
        scan(number, "delivered", start + timedelta(hours=8), "c"),
    ]
    door = carrier(system)
    for each in reversed(journey):
        assert door.post_generic("dhl", [each]).status_code == 202
    shipment = history(m, order, scans_seen=3)
    assert shipment["status"] == "delivered"
    assert [s["carrier_event_id"] for s in shipment["scans"]] == ["a", "b", "c"]
    assert shipment["status_at"].startswith(journey[2]["occurred_at"][:19])


def test_a_scan_for_a_parcel_not_yet_registered_waits_for_it(system, approved, as_user):
    m, order = approved
    number = tracking_number()
    early = carrier(system).post_generic("dhl", [scan(number, "in_transit", event_id="early")])
    assert early.status_code == 202 and early.json()["accepted"] == 1
    # Stored with no shipment: parked, and staff find it by its tracking number.
    eventually(lambda: [tuple(row) for row in stored_scans(system, number)] == [("early", None)])
    support = as_user("sue", "support", "platform")
    support.api_url = system.admin_url
    [parked] = support.get("/parked-scans", params={"tracking_number": number}).json()
    assert (parked["carrier_event_id"], parked["claimable"]) == ("early", True)
    assert m.supplier.get("/parked-scans").status_code == 404  # not a public path
    ship(m.supplier, order["id"], [{"line_id": "L1", "quantity": 10}], number, hand_over=False)
    shipment = history(m, order, scans_seen=1)
    assert [s["carrier_event_id"] for s in shipment["scans"]] == ["early"]
    assert shipment["status"] == "in_transit" and shipment["tracking_editable"] is False


def test_a_forged_signature_is_refused_and_stores_nothing(system, approved):
    m, order = approved
    number = tracking_number()
    ship(m.supplier, order["id"], [{"line_id": "L1", "quantity": 10}], number)
    door = carrier(system)
    forged = door.post_generic(
        "dhl", [scan(number, "delivered", event_id=f"x-{number}")], secret="guess"
    )
    assert problem(forged, 401, "signature-invalid")["detail"] == (
        "the signature does not match the body"
    )
    honest = door.post_generic("dhl", [scan(number, "in_transit", event_id=f"x-{number}")])
    assert honest.status_code == 202
    # The forged one left no trace to collide with: the honest scan is stored, not delivered.
    shipment = history(m, order, scans_seen=1)
    assert shipment["scans"][0]["status"] == "in_transit" and shipment["status"] == "in_transit"


def test_a_request_replayed_after_the_tolerance_is_refused(system, approved):
    m, order = approved
    number = tracking_number()
    ship(m.supplier, order["id"], [{"line_id": "L1", "quantity": 10}], number)
    stale = carrier(system).post_generic(
        "dhl", [scan(number, "in_transit", event_id="old")], timestamp=time.time() - 301
    )
    assert "300 s" in problem(stale, 401, "signature-invalid")["detail"]
    assert_only_honest_scan_lands(system, m, order, number)


def assert_only_honest_scan_lands(system, m, order, number):
    honest = scan(number, "in_transit", event_id=f"honest-{number}")  # event ids are global
    assert carrier(system).post_generic("dhl", [honest]).status_code == 202
    assert ids(history(m, order, scans_seen=1)) == [f"honest-{number}"]


@pytest.mark.parametrize(
    "change",
    [
        {"status": "teleported"},
        {"occurred_at": "yesterday"},
        {"tracking_number": ""},
        {"surprise": "unknown field"},
    ],
    ids=["status", "time", "tracking", "unknown-field"],
)
def test_an_invalid_scan_is_a_422_and_changes_nothing(system, approved, change):
    m, order = approved
    number = tracking_number()
    ship(m.supplier, order["id"], [{"line_id": "L1", "quantity": 10}], number)
    bad = {**scan(number, "delivered", event_id=f"bad-{number}"), **change}
    problem(carrier(system).post_generic("dhl", [bad]), 422)
    batch = carrier(system).post_generic("dhl", [scan(number, "delivered"), bad], batch=True)
    problem(batch, 422)  # refused whole: the good scan in it is not published either
    assert_only_honest_scan_lands(system, m, order, number)


def test_a_body_changed_after_signing_is_refused(system, approved):
    m, order = approved
    number = tracking_number()
    ship(m.supplier, order["id"], [{"line_id": "L1", "quantity": 10}], number)
    signed = scan(number, "in_transit", event_id="t")
    altered = json.dumps({**signed, "status": "delivered"}).encode()
    refused = carrier(system).post_generic("dhl", [signed], body=altered)
    problem(refused, 401, "signature-invalid")
    assert_only_honest_scan_lands(system, m, order, number)


def test_either_secret_verifies_during_a_rotation_and_each_carrier_may_have_its_own(system):
    # The system runs with one generic secret; rotation is exercised on the gateway's settings.
    from gateway.carriers import secrets

    settings = secrets.load(
        {"CARRIER_WEBHOOK_SECRET": "old, new", "CARRIER_WEBHOOK_SECRET_DHL_EXPRESS": "dhl-only"}
    )
    assert secrets.for_carrier(settings, "ups") == ("old", "new")
    assert secrets.for_carrier(settings, "dhl-express") == ("dhl-only",)


def test_an_easypost_tracker_update_lands_as_scans(system, approved):
    m, order = approved
    number = tracking_number()
    ship(m.supplier, order["id"], [{"line_id": "L1", "quantity": 10}], number, carrier_name="usps")
    at = datetime.now(UTC).replace(microsecond=0)
    event = {
        "id": "evt_1",
        "object": "Event",
        "description": "tracker.updated",
        "result": {
            "object": "Tracker",
            "tracking_code": number,
            "carrier": "USPS",
            "status": "in_transit",
            "tracking_details": [
                {"status": "pre_transit", "datetime": at.isoformat(), "message": "Label"},
                {
                    "status": "in_transit",
                    "datetime": (at + timedelta(hours=2)).isoformat(),
                    "message": "Arrived at facility",
                    "tracking_location": {"city": "Memphis", "state": "TN", "country": "US"},
                },
            ],
        },
    }
    door = carrier(system, "EASYPOST_WEBHOOK_SECRET")
    assert door.post_easypost(event).json()["accepted"] == 2
    shipment = history(m, order, scans_seen=2)
    assert [s["status"] for s in shipment["scans"]] == ["info_received", "in_transit"]
    assert shipment["scans"][1]["location"] == "Memphis, TN, US"
    assert door.post_easypost(event).status_code == 202  # EasyPost sends it again
    details = event["result"]["tracking_details"]
    delivered = {"status": "delivered", "datetime": (at + timedelta(hours=9)).isoformat()}
    update = {**event, "result": {**event["result"], "tracking_details": [*details, delivered]}}
    assert door.post_easypost(update).status_code == 202
    shipment = history(m, order, scans_seen=3)  # each detail once, however often it came
    assert [s["status"] for s in shipment["scans"]] == ["info_received", "in_transit", "delivered"]
