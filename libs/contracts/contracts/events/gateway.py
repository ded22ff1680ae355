"""Events published by the gateway: what came in at its doors, for a service to act on."""

from marshmallow import fields, validate

from contracts.contract import produced_by
from contracts.events.base import Payload
from contracts.scans import MAX_BATCH, CarrierScan

MAX_CARRIER = 50


class ScansReceived(Payload):
    """One delivery (or one MAX_BATCH part of it) as a carrier posted it, after its signature
    was verified and its scans validated."""

    carrier = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_CARRIER),
        metadata={"example": "dhl"},
    )
    scans = fields.List(
        fields.Nested(CarrierScan), required=True, validate=validate.Length(min=1, max=MAX_BATCH)
    )
    delivery_id = fields.String(
        load_default="",
        validate=validate.Length(max=64),
        metadata={"description": "The id the carrier was given in the 202, shared by every part"},
    )
    received_at = fields.AwareDateTime(
        required=True, metadata={"description": "When the gateway received the delivery"}
    )


_gateway = produced_by("gateway")


CONTRACTS = [
    _gateway(
        "carrier.scans_received",
        ScansReceived,
        "A carrier posted scans (signature verified, scans valid); the gateway answered 202 "
        "once the broker confirmed this event.",
        ["fulfillment"],
    ),
]
