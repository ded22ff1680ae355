"""A carrier scan in our own words: what the gateway's carrier door hands to fulfillment.

Every carrier format (our generic one, AfterShip, EasyPost) is translated into this at the
gateway, after its signature is verified; fulfillment validates it again and stores it once.
"""

from marshmallow import RAISE, Schema, fields, validate

# The parcel's state as the carrier saw it at ``occurred_at``. The last three end the journey.
STATUSES = (
    "info_received",
    "in_transit",
    "out_for_delivery",
    "attempt_failed",
    "available_for_pickup",
    "exception",
    "delivered",
    "delivery_failed",
    "returned_to_sender",
)
TERMINAL = ("delivered", "delivery_failed", "returned_to_sender")
SORTING_CENTRE = "sorting_centre"
MAX_BATCH = 1000


class CarrierScan(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={
            "description": "The carrier's id for this scan event; when absent, a scan is "
            "recognised again by its tracking number, status and time",
            "example": "evt_5f3a",
        },
    )
    tracking_number = fields.String(
        required=True, validate=validate.Length(min=1, max=100), metadata={"example": "JG-NJS-3193"}
    )
    status = fields.String(
        required=True, validate=validate.OneOf(STATUSES), metadata={"example": "in_transit"}
    )
    occurred_at = fields.AwareDateTime(
        required=True,
        metadata={"description": "When the carrier scanned, with its UTC offset"},
    )
    location = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"example": "NG-JG-SEKO-Shenzhen-Seko Station"},
    )
    location_kind = fields.String(
        load_default="",
        validate=validate.Length(max=30),
        metadata={"example": SORTING_CENTRE, "description": "sorting_centre, hub, ..."},
    )
    message = fields.String(load_default="", validate=validate.Length(max=500))


class CarrierScanBatch(Schema):
    class Meta:
        unknown = RAISE

    scans = fields.List(
        fields.Nested(CarrierScan), required=True, validate=validate.Length(min=1, max=MAX_BATCH)
    )
