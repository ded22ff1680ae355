"""AfterShip's delivery statuses and sub-statuses, row by row as its documentation lists them
(Tracking API, enum "Delivery Statuses" and "Delivery Sub-statuses"), and the scan each becomes."""

import pytest

from contracts.scans import TERMINAL
from gateway.carriers import aftership

# (subtag, AfterShip's subtag message, our status or None for no scan, our location kind)
DOCUMENTED_SUBTAGS = [
    ("Delivered_001", "Delivered", "delivered", ""),
    ("Delivered_002", "Picked up by the customer", "delivered", ""),
    ("Delivered_003", "Sign by customer", "delivered", ""),
    ("Delivered_004", "Delivered and received cash on delivery", "delivered", ""),
    ("Delivered_005", "Delivered to neighbor", "delivered", ""),
    ("AvailableForPickup_001", "Available for pickup", "available_for_pickup", "pickup_point"),
    ("Exception_001", "Exception", "exception", ""),
    ("Exception_002", "Customer moved", "exception", ""),
    ("Exception_003", "Customer refused delivery", "exception", ""),
    ("Exception_004", "Delayed (Customs clearance)", "exception", ""),
    ("Exception_005", "Delayed (External factors)", "exception", ""),
    ("Exception_006", "Held for payment", "exception", ""),
    ("Exception_007", "Incorrect Address", "exception", ""),
    ("Exception_008", "Pick up missed", "exception", ""),
    ("Exception_009", "Rejected by carrier", "exception", ""),
    ("Exception_010", "Returning to sender", "exception", ""),  # still on its way back
    ("Exception_011", "Returned to sender", "returned_to_sender", ""),
    ("Exception_012", "Shipment damage", "exception", ""),
    ("Exception_013", "Shipment lost", "delivery_failed", ""),
    ("Exception_016", "Delayed (Processing issue)", "exception", ""),
    ("Exception_017", "Delayed (Extreme weather)", "exception", ""),
    ("Exception_018", "Incorrect / missing documents", "exception", ""),
    ("AttemptFail_001", "Failed Attempt", "attempt_failed", ""),
    ("AttemptFail_002", "Addressee not available", "attempt_failed", ""),
    ("AttemptFail_003", "Business Closed", "attempt_failed", ""),
    ("InTransit_001", "In Transit", "in_transit", ""),
    ("InTransit_002", "Acceptance scan", "in_transit", ""),
    ("InTransit_003", "Arrival scan (hub or sorting center)", "in_transit", "sorting_centre"),
    ("InTransit_004", "Arrived at destination country", "in_transit", "destination_country"),
    ("InTransit_005", "Customs clearance completed", "in_transit", "customs"),
    ("InTransit_006", "Customs clearance started", "in_transit", "customs"),
    ("InTransit_007", "Departure Scan", "in_transit", ""),
    ("InTransit_008", "Problem resolved", "in_transit", ""),
    ("InTransit_009", "Forwarded to a different delivery address", "in_transit", ""),
    ("InfoReceived_001", "Info Received", "info_received", ""),
    ("OutForDelivery_001", "Out for Delivery", "out_for_delivery", ""),
    ("OutForDelivery_003", "Customer contacted", "out_for_delivery", ""),
    ("OutForDelivery_004", "Delivery appointment scheduled", "out_for_delivery", ""),
    ("Pending_001", "Pending", None, ""),
    ("Expired_001", "Expired", None, ""),
]


@pytest.mark.parametrize(
    ("subtag", "message", "status", "kind"),
    DOCUMENTED_SUBTAGS,
    ids=[r[0] for r in DOCUMENTED_SUBTAGS],
)
def test_each_documented_subtag_becomes_the_scan_it_means(subtag, message, status, kind):
    tag = subtag.partition("_")[0]
    assert aftership.status_of(tag, subtag) == (status, kind), message
    assert aftership.status_of(None, subtag) == (status, kind)  # a checkpoint without its tag


def test_a_checkpoint_with_only_a_tag_or_an_unknown_subtag_is_read_by_its_tag():
    assert aftership.status_of("InTransit", None) == ("in_transit", "")
    assert aftership.status_of("Delivered", "Delivered_099") == ("delivered", "")
    assert aftership.status_of("Teleported", "Teleported_001") == (None, "")


def test_only_delivery_the_end_of_a_return_or_a_loss_ends_the_journey():
    ending = [subtag for subtag, _, status, _ in DOCUMENTED_SUBTAGS if status in TERMINAL]
    assert ending == [f"Delivered_00{n}" for n in range(1, 6)] + ["Exception_011", "Exception_013"]
