"""Envelopes are checked against their contract when built and when received; a list whose
items the publisher loaded already is checked as a list only."""

import pytest

from chassis.envelope import InvalidEvent, new_envelope, parse_envelope
from contracts.catalogue import contract
from contracts.scans import CarrierScan

SCAN = {
    "event_id": "evt-1",
    "tracking_number": "JD0001",
    "status": "in_transit",
    "occurred_at": "2031-03-07T10:00:00+00:00",
}


def received(**changes):
    return {
        "carrier": "dhl",
        "scans": [SCAN],
        "delivery_ids": ["d-1"],
        "received_at": "2031-03-07T10:00:01+00:00",
        **changes,
    }


def publish(data, **options):
    return new_envelope("carrier.scans_received", data, "gateway", **options)


def test_a_payload_that_breaks_its_contract_is_refused():
    with pytest.raises(InvalidEvent, match="status"):
        publish(received(scans=[{**SCAN, "status": "lost"}]))


def test_the_door_loads_scans_with_the_very_schema_the_contract_nests():
    """What makes ``items_loaded="scans"`` safe at the carrier door: were the two schemas to
    part, the door would answer 202 for scans that fulfillment then refuses."""
    nested = contract("carrier.scans_received").schema(1).fields["scans"].inner
    assert type(nested.schema) is CarrierScan


def test_loaded_items_are_taken_as_they_are_and_kept_intact():
    scans = [SCAN, {**SCAN, "event_id": "evt-2"}]
    shallow = publish(received(scans=scans), items_loaded="scans")
    full = publish(received(scans=scans))
    assert shallow["data"] == full["data"] == received(scans=scans)
    assert parse_envelope(shallow).data == parse_envelope(full).data


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"carrier": "x" * 51}, "carrier"),
        ({"scans": []}, "scans"),
        ({"scans": [SCAN] * 1001}, "scans"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"scans": None}, "scans"),
        ({"delivery_ids": [7]}, "delivery_ids"),
    ],
)
def test_everything_but_the_loaded_items_is_still_checked(changes, field):
    with pytest.raises(InvalidEvent, match=field):
        publish(received(**changes), items_loaded="scans")


def test_the_consumer_checks_the_items_the_publisher_did_not_load_again():
    envelope = publish(received(scans=[{**SCAN, "status": "lost"}]), items_loaded="scans")
    with pytest.raises(InvalidEvent, match="status"):
        parse_envelope(envelope)
