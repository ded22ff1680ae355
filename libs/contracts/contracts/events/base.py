"""Building blocks shared by every payload schema."""

from marshmallow import INCLUDE, Schema, fields, validate

ISO_CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="must be an ISO 4217 code such as EUR")
NON_NEGATIVE = validate.Range(min=0)


class Payload(Schema):
    """A payload accepts fields it does not know: adding a field keeps the schema version."""

    class Meta:
        unknown = INCLUDE


class OrderPayload(Payload):
    """What every order event carries, so a consumer rarely needs to ask for the order."""

    order_id = fields.String(required=True)
    buyer_org = fields.String(required=True)
    supplier_org = fields.String(required=True)
    workflow = fields.String(required=True)
    workflow_version = fields.Integer(required=True)
    status = fields.String(required=True)


class Money(OrderPayload):
    """An order event that moves money: ``amount`` is the order total in minor units."""

    currency = fields.String(required=True, validate=ISO_CURRENCY)
    amount = fields.Integer(required=True, validate=NON_NEGATIVE)


class LineQuantity(Payload):
    line_id = fields.String(required=True)
    quantity = fields.Integer(required=True, validate=NON_NEGATIVE)
