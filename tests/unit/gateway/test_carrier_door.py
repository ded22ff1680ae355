"""The carrier door's signature checks and format adapters, without a running system."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from gateway.carriers import aftership, easypost, signatures
from gateway.carriers.signatures import SignatureInvalid

BODY = b'{"tracking_number": "T1"}'
NOW = 1_767_225_600


def generic_signature(secret: str, timestamp: int, body: bytes = BODY) -> str:
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def test_either_secret_of_a_rotation_verifies_the_generic_format():
    for secret in ("old", "new"):
        signatures.generic(("old", "new"), str(NOW), generic_signature(secret, NOW), BODY, NOW)
    with pytest.raises(SignatureInvalid, match="does not match"):
        signatures.generic(("new",), str(NOW), generic_signature("old", NOW), BODY, NOW)


@pytest.mark.parametrize("skew", [301, -301])
def test_a_timestamp_beyond_300_seconds_is_a_replay(skew):
    stamp = NOW - skew
    with pytest.raises(SignatureInvalid, match="300 s"):
        signatures.generic(("s",), str(stamp), generic_signature("s", stamp), BODY, NOW)
    signatures.generic(("s",), str(NOW - 300), generic_signature("s", NOW - 300), BODY, NOW)


def test_the_signature_covers_the_timestamp_and_every_byte_of_the_body():
    signature = generic_signature("s", NOW)
    with pytest.raises(SignatureInvalid):
        signatures.generic(("s",), str(NOW), signature, BODY + b" ", NOW)
    with pytest.raises(SignatureInvalid):
        signatures.generic(("s",), str(NOW + 1), signature, BODY, NOW)


@pytest.mark.parametrize(
    "timestamp, signature, reason",
    [
        (None, "sha256=ab", "send X-Carrier-Timestamp"),
        ("soon", "sha256=ab", "whole Unix seconds"),
        (str(NOW), "md5=ab", "sha256=<hex digest>"),
    ],
)
def test_malformed_headers_say_what_is_wrong(timestamp, signature, reason):
    with pytest.raises(SignatureInvalid, match=reason):
        signatures.generic(("s",), timestamp, signature, BODY, NOW)


def test_without_a_configured_secret_nothing_verifies():
    with pytest.raises(SignatureInvalid, match="no webhook secret"):
        signatures.generic((), str(NOW), generic_signature("", NOW), BODY, NOW)


def test_aftership_signs_the_body_in_base64():
    digest = base64.b64encode(hmac.new(b"k", BODY, hashlib.sha256).digest()).decode()
    signatures.aftership(("k",), digest, BODY)
    with pytest.raises(SignatureInvalid):
        signatures.aftership(("k",), digest, BODY + b"\n")


def test_easypost_signs_the_body_in_hex_with_its_prefix():
    digest = hmac.new(b"k", BODY, hashlib.sha256).hexdigest()
    signatures.easypost(("k",), f"hmac-sha256-hex={digest}", BODY)
    with pytest.raises(SignatureInvalid, match="hmac-sha256-hex="):
        signatures.easypost(("k",), digest, BODY)


def test_aftership_checkpoints_become_scans_and_its_hub_subtag_is_a_sorting_centre():
    at = datetime(2031, 3, 7, 10, tzinfo=UTC).isoformat()
    carrier, scans = aftership.scans(
        {
            "msg": {
                "tracking_number": "JM-1",
                "slug": "seko",
                "checkpoints": [
                    {"checkpoint_time": at, "tag": "Pending"},
                    {
                        "checkpoint_time": at,
                        "tag": "InTransit",
                        "subtag": "InTransit_003",
                        "city": "Lagos",
                        "country_iso3": "NGA",
                    },
                    {"checkpoint_time": at, "tag": "Exception", "subtag": "Exception_011"},
                ],
            }
        }
    )
    assert carrier == "seko"
    assert [(s["status"], s["location_kind"], s["location"]) for s in scans] == [
        ("in_transit", "sorting_centre", "Lagos, NGA"),
        ("returned_to_sender", "", ""),
    ]


def test_easypost_details_at_a_carrier_facility_are_sorting_centre_scans():
    def detail(status, status_detail, at):
        return {
            "status": status,
            "status_detail": status_detail,
            "datetime": at,
            "tracking_location": {"city": "Memphis", "state": "TN", "country": "US"},
        }

    event = {
        "object": "Event",
        "description": "tracker.updated",
        "result": {
            "tracking_code": "EZ1",
            "carrier": "USPS",
            "tracking_details": [
                detail("pre_transit", "label_created", "2031-03-07T08:00:00Z"),
                detail("in_transit", "arrived_at_facility", "2031-03-07T18:00:00Z"),
                detail("in_transit", "in_transit", "2031-03-08T06:00:00Z"),
                detail("error", "arrived_at_facility", "2031-03-08T12:00:00Z"),
                detail("available_for_pickup", "arrived_at_pickup_location", "2031-03-09T09:00Z"),
            ],
        },
    }

    carrier, found = easypost.scans(event)

    assert carrier == "USPS"
    assert [(s["status"], s["location_kind"]) for s in found] == [
        ("info_received", ""),
        ("in_transit", "sorting_centre"),
        ("in_transit", ""),
        ("exception", ""),  # at a facility, but not on its way: not the scan that ships
        ("available_for_pickup", "pickup_point"),
    ]


def test_easypost_events_other_than_tracker_updates_carry_no_scans():
    assert easypost.scans({"object": "Event", "description": "batch.created", "result": {}}) == (
        "easypost",
        [],
    )
    with pytest.raises(ValueError):
        easypost.scans({"object": "Tracker"})
