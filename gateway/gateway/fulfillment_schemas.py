"""Request and response bodies of the fulfillment endpoints and the carrier door."""

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from contracts.events.fulfillment import DOCUMENT_KINDS
from contracts.rpc.fulfillment import MAX_CARRIER, TRACKING_NUMBER_LENGTH
from gateway.schemas import PassThroughSchema

_CARRIER = validate.Length(min=1, max=MAX_CARRIER)
_TRACKING = validate.Length(min=1, max=TRACKING_NUMBER_LENGTH)


class ShipmentLineSchema(Schema):
    line_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class ShipmentRequestSchema(Schema):
    lines = fields.List(
        fields.Nested(ShipmentLineSchema),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "The order's lines and how many of each travel in this one"},
    )
    carrier = fields.String(validate=_CARRIER, metadata={"example": "dhl"})
    tracking_number = fields.String(validate=_TRACKING, metadata={"example": "JD014600006281"})
    hand_over = fields.Boolean(
        load_default=False,
        metadata={"description": "Handed to the carrier now (needs a tracking number)"},
    )


class ShipmentChangeSchema(Schema):
    carrier = fields.String(validate=_CARRIER)
    tracking_number = fields.String(validate=_TRACKING)


class ScanSchema(PassThroughSchema):
    status = fields.String(metadata={"example": "in_transit"})
    occurred_at = fields.DateTime()
    location = fields.String()
    location_kind = fields.String(metadata={"example": "sorting_centre"})


class ShipmentSchema(PassThroughSchema):
    id = fields.String()
    number = fields.Integer()
    carrier = fields.String()
    tracking_number = fields.String(allow_none=True)
    tracking_editable = fields.Boolean()
    status = fields.String(metadata={"example": "handed_over"})
    lines = fields.List(fields.Nested(ShipmentLineSchema))
    handed_over_at = fields.DateTime(allow_none=True)
    scans = fields.List(fields.Nested(ScanSchema))


class DocumentSchema(PassThroughSchema):
    id = fields.String()
    kind = fields.String(metadata={"example": "inspection_report"})
    filename = fields.String()
    media_type = fields.String()
    size = fields.Integer()
    uploaded_at = fields.DateTime()


class DocumentFormSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))


class DocumentUploadSchema(Schema):
    """The multipart body: the file, and the form field ``kind`` (``DocumentFormSchema``)."""

    file = Upload(
        required=True,
        metadata={"description": "PDF, image (JPEG, PNG, WebP, GIF), DOC, DOCX or XLSX"},
    )
    kind = fields.String(
        validate=validate.OneOf(DOCUMENT_KINDS),
        metadata={"description": "What the document is (required)", "example": "inspection_report"},
    )


class ReturnReceiptSchema(Schema):
    wrong_item = fields.Boolean(load_default=False)
    note = fields.String(validate=validate.Length(max=2000))
    photos = fields.List(
        fields.String(),
        metadata={"description": "ids of photos uploaded to the order as return_photo documents"},
    )
    lines = fields.List(fields.Nested(ShipmentLineSchema))


class ReturnSchema(PassThroughSchema):
    id = fields.String()
    status = fields.String(metadata={"example": "received"})
    wrong_item = fields.Boolean()
    photos = fields.List(fields.String())


class ScanReceiptSchema(Schema):
    """The broker has the scans (ADR 22); whether each was new, a duplicate or parked for a
    shipment not known yet shows in the shipment's history once fulfillment applied it."""

    accepted = fields.Integer(
        metadata={"description": "scans accepted for processing", "example": 1}
    )
    delivery_id = fields.String(
        metadata={
            "description": "our id for this delivery, to quote when asking about it",
            "example": "5f0c3c0e6b7a4e7f9d2a1b3c4d5e6f70",
        }
    )
