"""The request and response bodies of the HTTP API, from which the OpenAPI document is generated.

Requests are validated strictly here. Responses pass the services' dicts through unchanged, so
their schemas document the main fields without filtering the rest.
"""

import re

from marshmallow import INCLUDE, Schema, fields, post_load, validate

MAX_IDEMPOTENCY_KEY_LENGTH = 255


def _identifier():
    return fields.String(required=True, validate=validate.Length(min=1, max=128))


class ProblemSchema(Schema):
    """An RFC 9457 problem: every error the API returns, with members particular to its type."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(metadata={"example": "urn:marketplace:problem:illegal-transition"})
    title = fields.String(metadata={"example": "Action not allowed in this state"})
    status = fields.Integer(metadata={"example": 409})
    detail = fields.String()
    instance = fields.String(metadata={"description": "The request path"})
    correlation_id = fields.String()
    errors = fields.Dict(metadata={"description": "Field-level validation messages"})


# Requests


class OrderLineRequestSchema(Schema):
    sku = _identifier()
    description = fields.String(validate=validate.Length(max=2000))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    unit_price = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "Integer minor units of the order's currency"},
    )


class PlaceOrderSchema(Schema):
    supplier_org = _identifier()
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    currency = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Z]{3}$", error="Use an ISO 4217 code."),
        metadata={"example": "EUR"},
    )
    workflow = fields.String(
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={
            "description": "The workflow to run the order on: manufacturing, factory, "
            "services, retail, or any other the orders service has",
            "example": "manufacturing",
        },
    )
    kind = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "A workflow's variant, e.g. service or job order"},
    )
    lines = fields.List(
        fields.Nested(OrderLineRequestSchema), required=True, validate=validate.Length(min=1)
    )
    committed_ship_by = fields.Date()
    committed_deliver_by = fields.Date()
    revisions_allowed = fields.Integer(strict=True, validate=validate.Range(min=0))
    payment = fields.Nested("PaymentChoiceSchema")


class OrderCountQuerySchema(Schema):
    """Filters a board may apply; an unknown one is a 422 (``unknown=RAISE`` at the route)."""

    workflow = fields.String(
        validate=validate.Length(max=64),
        metadata={"example": "retail", "description": "Only this workflow's orders"},
    )
    kind = fields.String(
        validate=validate.Length(max=64),
        metadata={"example": "job", "description": "Only orders of this kind"},
    )
    delayed = fields.Boolean(
        metadata={"description": "Only delayed (true) or only punctual (false) orders"}
    )
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Text search"})


class OrderQuerySchema(OrderCountQuerySchema):
    status = fields.String(
        validate=validate.Length(max=64),
        metadata={"description": "A status tab: orders in this state"},
    )
    group = fields.String(
        validate=validate.Length(max=64),
        metadata={
            "example": "completed",
            "description": "A group tab (active, completed, cancelled, rejected)",
        },
    )
    sort = fields.String(
        validate=validate.OneOf(
            ["placed_at", "-placed_at", "updated_at", "-updated_at", "total", "-total"]
        ),
        metadata={"description": "Newest first (-placed_at) by default; '-' for descending"},
    )
    cursor = fields.String(
        validate=validate.Length(max=512),
        metadata={"description": "The next_cursor of the previous page"},
    )
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class ActionPayloadSchema(Schema):
    """Whatever the action needs (a reason, per-line quantities, a new date...)."""

    class Meta:
        unknown = INCLUDE


class IdempotencyKeyHeaderSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=validate.Length(min=1, max=MAX_IDEMPOTENCY_KEY_LENGTH),
        metadata={"description": "Retrying with the same key replays the first response"},
    )


_VERSION_TAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


class ActionHeadersSchema(IdempotencyKeyHeaderSchema):
    expected_version = fields.String(
        data_key="If-Match",
        validate=validate.Regexp(_VERSION_TAG, error='Give the order\'s version, e.g. "3".'),
        metadata={"description": "The order version the action expects (its ETag)"},
    )

    @post_load
    def version_number(self, headers, **kwargs):
        if "expected_version" in headers:
            headers["expected_version"] = int(_VERSION_TAG.match(headers["expected_version"])[1])
        return headers


# Responses


class PassThroughSchema(Schema):
    """Documents the main fields of a service's answer, which may carry more."""

    class Meta:
        unknown = INCLUDE


class OrderLineSchema(PassThroughSchema):
    sku = fields.String()
    description = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Integer()
    status = fields.String()


class DeadlineSchema(Schema):
    at = fields.DateTime(metadata={"example": "2026-03-09T09:00:00+00:00"})
    timer = fields.String(metadata={"example": "auto_cancel"})
    action = fields.String(metadata={"example": "cancel", "description": "What the system will do"})


class OrderSchema(PassThroughSchema):
    """An order as the orders service returns it (more fields than these may be present)."""

    id = fields.String()
    version = fields.Integer(metadata={"description": "Also sent as the ETag"})
    workflow = fields.String()
    kind = fields.String()
    status = fields.String()
    buyer_org = fields.String()
    buyer_user = fields.String()
    supplier_org = fields.String()
    title = fields.String()
    currency = fields.String()
    total = fields.Integer()
    lines = fields.List(fields.Nested(OrderLineSchema))
    committed_ship_by = fields.Date()
    committed_deliver_by = fields.Date()
    allowed_actions = fields.List(fields.String())
    delayed = fields.Boolean(
        metadata={"description": "The committed delivery date has passed, or the estimate is later"}
    )
    tracking_number = fields.String(
        allow_none=True, metadata={"description": "The latest parcel's tracking number"}
    )
    next_deadline = fields.Nested(
        DeadlineSchema,
        allow_none=True,
        metadata={"description": "When the system acts next on its own (auto-cancel, ...)"},
    )


class OrderListSchema(PassThroughSchema):
    items = fields.List(fields.Nested(OrderSchema))
    next_cursor = fields.String(allow_none=True)


class OrderCountsSchema(PassThroughSchema):
    """How many orders the caller sees: in all, per status and per group (for a board view)."""

    all = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_group = fields.Dict(keys=fields.String(), values=fields.Integer())


class OrderBoardCountsSchema(OrderCountsSchema):
    by_workflow = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(OrderCountsSchema),
        metadata={"description": "The same counts for each workflow: one board per workflow"},
    )


class PageWarningSchema(Schema):
    section = fields.String(metadata={"example": "fulfillment"})
    detail = fields.String()


class OrderPageSchema(Schema):
    """The order with what other services know about it; a section they cannot give is null."""

    order = fields.Nested(OrderSchema)
    timeline = fields.List(fields.Nested(lambda: TimelineEntrySchema()), allow_none=True)
    fulfillment = fields.Dict(allow_none=True)
    payments = fields.Dict(allow_none=True)
    chat = fields.Dict(allow_none=True, metadata={"description": "unread, latest messages"})
    warnings = fields.List(fields.Nested(PageWarningSchema))


class TimelineEntrySchema(PassThroughSchema):
    at = fields.DateTime()
    actor = fields.Dict(metadata={"description": "user_id, role and org of who acted"})
    kind = fields.String(
        metadata={"description": "The action, or place for the placement", "example": "approve"}
    )
    summary = fields.String()
    data = fields.Dict(metadata={"description": "The action's details, with from and to"})


class WorkflowSchema(PassThroughSchema):
    """One workflow version, as clients need it to draw tabs, boards and action buttons."""

    name = fields.String(metadata={"example": "manufacturing"})
    version = fields.Integer()
    title = fields.String()
    initial = fields.String()
    states = fields.List(fields.Dict(), metadata={"description": "name, title, group, terminal"})
    actions = fields.List(
        fields.Dict(), metadata={"description": "name, roles, from, to, guards, payload, emits"}
    )
    timers = fields.List(fields.Dict())


class LivenessSchema(Schema):
    status = fields.String(metadata={"example": "alive"})


class ReadinessSchema(Schema):
    status = fields.String(metadata={"example": "ready"})
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"example": {"orders": "ok", "fulfillment": "ok"}},
    )
