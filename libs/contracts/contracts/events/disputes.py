"""Events published by the disputes service."""

from marshmallow import fields, validate

from contracts.contract import EventContract
from contracts.events.base import Payload


class DisputeResolved(Payload):
    order_id = fields.String(required=True)
    dispute_id = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(("refund", "release", "split")))
    refund_amount = fields.Integer(load_default=0, validate=validate.Range(min=0))


CONTRACTS = [
    EventContract(
        "dispute.resolved",
        "disputes",
        "An admin resolved a dispute on an order.",
        {1: DisputeResolved},
        ("orders", "payments", "chat"),
    ),
]
