"""Building blocks shared by every payload schema."""
from marshmallow import INCLUDE, Schema, fields, validate

ISO_CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="must be an ISO 4217 code such as EUR")


class Payload(Schema):
    """A payload accepts fields it does not know: adding a field keeps the schema version."""

    class Meta:
        unknown = INCLUDE


class OrderPayload(Payload):
    order_id = fields.String(required=True)
    buyer_org = fields.String(required=True)
    supplier_org = fields.String(required=True)
    workflow = fields.String(required=True)


class Money(OrderPayload):
    currency = fields.String(required=True, validate=ISO_CURRENCY)
    amount = fields.Integer(required=True, validate=validate.Range(min=0))


class LineQuantity(Payload):
    line_id = fields.String(required=True)
    quantity = fields.Integer(required=True, validate=validate.Range(min=0))
