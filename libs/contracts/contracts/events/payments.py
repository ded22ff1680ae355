"""Events published by the payments service."""

from marshmallow import fields, validate

from contracts.contract import produced_by
from contracts.events.base import ISO_CURRENCY, NON_NEGATIVE, Payload


class PaymentPayload(Payload):
    order_id = fields.String(required=True)
    payment_id = fields.String(required=True)
    currency = fields.String(required=True, validate=ISO_CURRENCY)
    amount = fields.Integer(required=True, validate=NON_NEGATIVE)


class PaymentHeld(PaymentPayload):
    method = fields.String(load_default=None, allow_none=True, metadata={"example": "card"})


class PaymentFailed(PaymentPayload):
    reason = fields.String(
        required=True, metadata={"description": "Why, in words the buyer can be shown"}
    )


class PaymentReleased(PaymentPayload):
    """``amount`` left the escrow: ``commission`` to the platform, ``net`` to the supplier."""

    commission = fields.Integer(required=True, validate=NON_NEGATIVE)
    net = fields.Integer(required=True, validate=NON_NEGATIVE)
    supplier_org = fields.String(required=True)


class PaymentRefunded(PaymentPayload):
    to = fields.String(required=True, validate=validate.OneOf(("original", "wallet")))
    buyer_org = fields.String(required=True)


class PayoutPayload(Payload):
    payout_id = fields.String(required=True)
    org = fields.String(required=True)
    currency = fields.String(required=True, validate=ISO_CURRENCY)
    amount = fields.Integer(required=True, validate=NON_NEGATIVE)


class PayoutFailed(PayoutPayload):
    reason = fields.String(required=True)


_payments = produced_by("payments")


CONTRACTS = [
    _payments(
        "payment.held", PaymentHeld, "Funds for an order are held in escrow.", ["orders", "chat"]
    ),
    _payments(
        "payment.failed",
        PaymentFailed,
        "The buyer's payment for an order was declined or failed; nothing is held.",
        ["chat"],
    ),
    _payments(
        "payment.released",
        PaymentReleased,
        "Escrowed funds went to the supplier, less the platform's commission.",
        ["chat"],
    ),
    _payments(
        "payment.refunded",
        PaymentRefunded,
        "Escrowed funds went back to the buyer: to the original method or their wallet.",
        ["chat"],
    ),
    _payments("payout.requested", PayoutPayload, "A supplier's payout left its wallet."),
    _payments("payout.paid", PayoutPayload, "The provider paid a payout out."),
    _payments(
        "payout.failed",
        PayoutFailed,
        "A payout failed, or staff rejected it (reason `rejected`); its amount is back in the "
        "wallet.",
    ),
]
