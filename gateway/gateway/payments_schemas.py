"""Request and response bodies of the payments endpoints."""

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from contracts.rpc.fields import Exactly
from gateway.schemas import PassThroughSchema


class MovementSchema(PassThroughSchema):
    at = fields.DateTime()
    kind = fields.String(metadata={"description": "held, released or refunded"})
    amount = fields.Integer(metadata={"description": "Minor units"})
    commission = fields.Integer(metadata={"description": "Of a release: the platform's part"})
    net = fields.Integer(metadata={"description": "Of a release: what the supplier gets"})
    to = fields.String(metadata={"description": "Of a refund: original or wallet"})
    cause = fields.String(metadata={"example": "order.accepted"})
    cause_id = fields.String(metadata={"description": "The event that caused it"})


class OrderPaymentsSchema(PassThroughSchema):
    """An order's Payments tab. Amounts are integer minor units of ``currency``."""

    order_id = fields.String()
    status = fields.String(metadata={"description": "awaiting, processing, held, failed, settled"})
    method = fields.String(allow_none=True)
    failure_reason = fields.String(allow_none=True)
    currency = fields.String()
    amount = fields.Integer()
    commission_rate = fields.Dict(allow_none=True)
    held = fields.Integer()
    released = fields.Integer()
    refunded = fields.Integer()
    commission = fields.Integer()
    in_escrow = fields.Integer()
    movements = fields.List(fields.Nested(MovementSchema))
    transactions = fields.List(
        fields.Dict(), metadata={"description": "The ledger transactions (admin and support)"}
    )


class WalletBalanceSchema(PassThroughSchema):
    currency = fields.String()
    available = fields.Integer(metadata={"description": "Can be paid out or spent now"})
    pending = fields.Integer(metadata={"description": "Earned, not payable yet"})
    reserved = fields.Integer(metadata={"description": "Held for orders or payouts in flight"})


class WalletSchema(PassThroughSchema):
    org = fields.String()
    balances = fields.List(fields.Nested(WalletBalanceSchema))
    history = fields.List(fields.Dict())


class PayoutRequestSchema(Schema):
    currency = fields.String(
        required=True,
        validate=Exactly(r"[A-Z]{3}", "Use an ISO 4217 code."),
        metadata={"example": "EUR", "pattern": "^[A-Z]{3}$"},
    )
    amount = fields.Integer(
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "Minor units; leave out to pay out everything available"},
    )
    destination = fields.String(
        required=True,
        validate=Exactly(r"tok_\w{1,60}", "A provider bank token."),
        metadata={
            "description": "The provider's token for the bank account (sandbox: any tok_... "
            "succeeds, tok_payout_fails fails)",
            "example": "tok_bank",
            "pattern": "^tok_\\w{1,60}$",
        },
    )


class PayoutSchema(PassThroughSchema):
    id = fields.String()
    currency = fields.String()
    amount = fields.Integer()
    status = fields.String(
        metadata={
            "description": "requested, paid or failed; a large one first awaiting_approval, "
            "then on_hold or rejected (review: staff's reason)"
        }
    )
    failure_reason = fields.String(allow_none=True)
    requested_at = fields.DateTime()


class InvoiceUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "PDF, image or office document"})


class InvoiceSchema(PassThroughSchema):
    id = fields.String()
    order_id = fields.String()
    filename = fields.String()
    media_type = fields.String(metadata={"description": "Sniffed from the bytes"})
    size = fields.Integer()
    uploaded_at = fields.DateTime()
