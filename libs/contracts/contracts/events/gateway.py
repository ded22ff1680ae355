"""Events published by the gateway: what came in at its doors, for a service to act on."""

from marshmallow import fields, validate

from contracts.contract import produced_by
from contracts.events.base import Payload
from contracts.scans import MAX_BATCH, CarrierScan

MAX_CARRIER = 50


class ScansReceived(Payload):
    """The scans of one carrier's deliveries (or a MAX_BATCH part of them) as the carrier posted
    them, after their signatures were verified and their scans validated. The deliveries that
    arrive together travel together."""

    carrier = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_CARRIER),
        metadata={"example": "dhl"},
    )
    scans = fields.List(
        fields.Nested(CarrierScan), required=True, validate=validate.Length(min=1, max=MAX_BATCH)
    )
    delivery_ids = fields.List(
        fields.String(validate=validate.Length(max=64)),
        load_default=list,
        metadata={"description": "The ids the carriers were given in their 202s"},
    )
    received_at = fields.AwareDateTime(
        required=True, metadata={"description": "When the gateway received the first delivery"}
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
