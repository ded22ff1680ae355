"""Building blocks shared by every payload schema."""

from marshmallow import INCLUDE, Schema, fields, validate

ISO_CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="must be an ISO 4217 code such as EUR")
NON_NEGATIVE = validate.Range(min=0)


def of_the_order(attribute: str) -> dict[str, str]:
    """Field metadata: the producer fills the field from the order's ``attribute`` unless the
    action that emits the event says otherwise."""
    return {"order": attribute}


class Payload(Schema):
    """A payload accepts fields it does not know: adding a field keeps the schema version."""

    class Meta:
        unknown = INCLUDE


class OrderPayload(Payload):
    """What every order event carries, so a consumer rarely needs to ask for the order."""

    order_id = fields.String(required=True, metadata=of_the_order("id"))
    buyer_org = fields.String(required=True, metadata=of_the_order("buyer_org"))
    supplier_org = fields.String(required=True, metadata=of_the_order("supplier_org"))
    workflow = fields.String(required=True, metadata=of_the_order("workflow"))
    workflow_version = fields.Integer(required=True, metadata=of_the_order("workflow_version"))
    status = fields.String(required=True, metadata=of_the_order("status"))


class Money(OrderPayload):
    """An order event that moves money: ``amount`` is the order total in minor units."""

    currency = fields.String(
        required=True, validate=ISO_CURRENCY, metadata=of_the_order("currency")
    )
    amount = fields.Integer(required=True, validate=NON_NEGATIVE, metadata=of_the_order("total"))


class LineQuantity(Payload):
    line_id = fields.String(required=True)
    quantity = fields.Integer(required=True, validate=NON_NEGATIVE)
