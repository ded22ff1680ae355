"""Scans against shipments as the database gives them back."""

from datetime import UTC, datetime, timedelta

from chassis.clock import row_as_utc
from fulfillment.tracking import apply, matcher, may_carry

CREATED = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)


def test_a_shipment_read_back_without_offsets_is_compared_in_utc():
    # SQLite, the embedded default, gives DateTime(timezone=True) columns back naive.
    shipment = row_as_utc(
        {
            "carrier": "dhl",
            "tracking_number": "JD1",
            "created_at": CREATED.replace(tzinfo=None),
            "handed_over_at": CREATED.replace(tzinfo=None),
            "first_scan_at": (CREATED + timedelta(hours=1)).replace(tzinfo=None),
            "status": "in_transit",
            "status_at": (CREATED + timedelta(hours=1)).replace(tzinfo=None),
            "unscanned_due_at": None,
            "milestones": [["in_transit", ""], ["out_for_delivery", ""]],
        }
    )
    later = CREATED + timedelta(hours=2)

    assert shipment["created_at"] == CREATED
    assert may_carry(shipment, "dhl", later, WINDOW)
    assert not may_carry(shipment, "dhl", CREATED - WINDOW - timedelta(days=1), WINDOW)
    scan = {"occurred_at": later, "status": "out_for_delivery", "location_kind": "", "id": "s"}
    changes, _ = apply(shipment, scan, hand_over=None)  # not news: a milestone already reached
    assert changes == {"status": "out_for_delivery", "status_at": later}


def test_a_scan_is_matched_to_the_newest_shipment_of_its_number_that_may_carry_it():
    parcel = {"carrier": "dhl", "tracking_number": "JD1"}
    older = {**parcel, "id": "old", "created_at": CREATED - timedelta(days=90)}
    newer = {**parcel, "id": "new", "created_at": CREATED}
    other = {**parcel, "id": "other", "tracking_number": "JD2", "created_at": CREATED}
    shipment_for = matcher([older, newer, other], WINDOW)
    scan = {"tracking_number": "JD1", "carrier": "dhl"}

    assert shipment_for({**scan, "occurred_at": CREATED + timedelta(hours=1)})["id"] == "new"
    # From before the newer parcel existed: the recycled number's older parcel.
    assert shipment_for({**scan, "occurred_at": CREATED - timedelta(days=80)})["id"] == "old"
    assert shipment_for({**scan, "occurred_at": CREATED, "tracking_number": "JD3"}) is None


def _parcel_of_four_months_ago(status: str) -> dict:
    """A shipment of JD1, created 120 days before CREATED, its last status 115 days before."""
    return {
        "carrier": "dhl",
        "tracking_number": "JD1",
        "created_at": CREATED - timedelta(days=120),
        "status": status,
        "status_at": CREATED - timedelta(days=115),
    }


def test_a_scan_long_after_a_parcels_journey_ended_is_about_a_newer_parcel_of_its_number():
    delivered = _parcel_of_four_months_ago("delivered")
    shipment_for = matcher([delivered], WINDOW)
    scan = {"tracking_number": "JD1", "carrier": "dhl"}

    # A late scan of the delivered parcel is still its own: it lands in its history.
    assert shipment_for({**scan, "occurred_at": CREATED - timedelta(days=110)}) is delivered
    # Months later the number is another parcel's: no shipment of ours yet, so it is parked.
    assert shipment_for({**scan, "occurred_at": CREATED}) is None


def test_a_journey_under_way_keeps_its_scans_however_long_between_them():
    # Sea freight or a customs hold may leave weeks between scans.
    assert may_carry(_parcel_of_four_months_ago("in_transit"), "dhl", CREATED, WINDOW)


def test_times_read_back_naive_from_sqlite_compare_with_aware_ones():
    # SQLite, the embedded default, gives DateTime(timezone=True) columns back naive.
    delivered = _parcel_of_four_months_ago("delivered")
    naive = {k: v.replace(tzinfo=None) if k.endswith("_at") else v for k, v in delivered.items()}
    assert not may_carry(naive, "dhl", CREATED, WINDOW)
    assert may_carry(naive, "dhl", (CREATED - timedelta(days=110)).replace(tzinfo=None), WINDOW)
