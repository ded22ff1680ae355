"""Events published by the payments service."""

from marshmallow import fields, validate

from contracts.contract import EventContract
from contracts.events.base import ISO_CURRENCY, Payload


class PaymentPayload(Payload):
    order_id = fields.String(required=True)
    payment_id = fields.String(required=True)
    currency = fields.String(required=True, validate=ISO_CURRENCY)
    amount = fields.Integer(required=True, validate=validate.Range(min=0))


CONTRACTS = [
    EventContract(
        "payment.held",
        "payments",
        "Funds for an order are held in escrow.",
        {1: PaymentPayload},
        ("orders", "chat"),
    ),
]
