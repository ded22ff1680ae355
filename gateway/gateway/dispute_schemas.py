"""Request and response bodies of disputes and claims, for parties and staff alike."""

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from contracts.events.disputes import CLAIM_KINDS, DECISIONS
from gateway.schemas import PassThroughSchema


class EvidenceSchema(Schema):
    file_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "An uploaded file's id"},
    )
    name = fields.String(validate=validate.Length(max=300), metadata={"example": "scratch.jpg"})
    content_type = fields.String(
        validate=validate.Length(max=100), metadata={"example": "image/jpeg"}
    )


class EvidenceUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "The file, as multipart/form-data"})


class UploadedFileSchema(Schema):
    file_id = fields.String(metadata={"description": "Cite it in evidence: [{file_id}]"})
    name = fields.String()
    content_type = fields.String(metadata={"description": "Read from the file's bytes"})
    size = fields.Integer()


def _evidence():
    return fields.List(fields.Nested(EvidenceSchema), validate=validate.Length(max=20))


class OpenDisputeSchema(Schema):
    reason = fields.String(
        required=True,
        metadata={
            "description": "not_as_described, not_delivered, quality, late_delivery, "
            "cancellation_refused, unresponsive_party or other",
            "example": "cancellation_refused",
        },
    )
    description = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    evidence = _evidence()


class StatementSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    evidence = _evidence()


class ResolutionSchema(Schema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf(DECISIONS),
        metadata={
            "description": "release (to the supplier), refund (the buyer), split (refund "
            "refund_amount, release the rest), complete (= release) or cancel (= refund)"
        },
    )
    refund_amount = fields.Integer(
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "Minor units back to the buyer; only for a split"},
    )
    note = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "Why: both parties read it"},
    )


class OpenClaimSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CLAIM_KINDS))
    reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The parcel's tracking number, or the return's id"},
    )
    description = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    evidence = _evidence()


class ClaimDecisionSchema(Schema):
    approve = fields.Boolean(required=True)
    amount = fields.Integer(
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "Minor units the platform pays the seller; for an approval"},
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "Why: the seller reads it"},
    )


class QueueQuerySchema(Schema):
    status = fields.String(
        validate=validate.Length(max=20),
        metadata={"description": "open, escalated, resolved, withdrawn; pending, approved..."},
    )
    kind = fields.String(validate=validate.OneOf(CLAIM_KINDS))
    reason = fields.String(validate=validate.Length(max=50))
    currency = fields.String(validate=validate.Length(equal=3))
    org = fields.String(
        validate=validate.Length(max=100), metadata={"description": "Either party's organisation"}
    )
    sort = fields.String(
        validate=validate.OneOf(["opened_at", "-opened_at", "amount", "-amount"]),
        metadata={"description": "Oldest first (opened_at) by default"},
    )
    cursor = fields.String(validate=validate.Length(max=512))
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class DisputeSchema(PassThroughSchema):
    id = fields.String()
    order_id = fields.String()
    status = fields.String(metadata={"example": "open"})
    reason = fields.String()
    description = fields.String()
    opened_by = fields.Dict()
    opened_at = fields.DateTime()
    respond_by = fields.DateTime()
    awaiting = fields.String(allow_none=True, metadata={"description": "Whose answer is due"})
    amount = fields.Integer()
    currency = fields.String()
    evidence = fields.List(fields.Nested(EvidenceSchema))
    statements = fields.List(fields.Dict())
    resolution = fields.Dict(allow_none=True)


class ClaimSchema(PassThroughSchema):
    id = fields.String()
    order_id = fields.String()
    kind = fields.String()
    reference = fields.String()
    status = fields.String(metadata={"example": "pending"})
    decision = fields.Dict(allow_none=True, metadata={"description": "by, reason, amount"})


class DisputePageSchema(PassThroughSchema):
    items = fields.List(fields.Nested(DisputeSchema))
    next_cursor = fields.String(allow_none=True)


class ClaimPageSchema(PassThroughSchema):
    items = fields.List(fields.Nested(ClaimSchema))
    next_cursor = fields.String(allow_none=True)
