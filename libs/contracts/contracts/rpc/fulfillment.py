"""The staff's reads of the fulfillment service over RPC, as the gateway sends them: validated
at the gateway and again at the service's entry (see ``contracts.rpc.orders``)."""

from marshmallow import Schema, fields, validate

from contracts.events.gateway import MAX_CARRIER
from contracts.rpc.limits import PAGE_SIZE

TRACKING_NUMBER_LENGTH = 100


class ParkedScansQuerySchema(Schema):
    """Which parked scans: of one carrier, of one tracking number, how many (newest first)."""

    carrier = fields.String(
        validate=validate.Length(min=1, max=MAX_CARRIER), metadata={"example": "dhl"}
    )
    tracking_number = fields.String(
        validate=validate.Length(min=1, max=TRACKING_NUMBER_LENGTH),
        metadata={"example": "JD014600006281230704"},
    )
    limit = fields.Integer(load_default=PAGE_SIZE, validate=validate.Range(1, PAGE_SIZE))


PARKED_SCANS = ParkedScansQuerySchema()
