"""The requests the orders service answers over RPC, as the gateway sends them.

The gateway validates a client's request against these schemas before it calls, and the orders
service validates its input against them again at its entry, so a limit holds at both doors
whoever calls. ``describe`` metadata documents them in the gateway's OpenAPI document.
"""

import base64
import binascii
import json
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from contracts.errors import InvalidRequest
from contracts.events.orders import PaymentChoice, ShippingDetails
from contracts.rpc.fields import (
    count,
    day,
    identifier,
    json_problems,
    name,
    pattern,
    text,
)
from contracts.rpc.limits import (
    BATCH_SIZE,
    CURSOR_LENGTH,
    LIMITS,
    MAX_SELECTED,
    PAGE_SIZE,
    PAYLOAD_DEPTH,
    PAYLOAD_KEYS,
    TEXT_LENGTH,
    TITLE_LENGTH,
)

ROLES = ("buyer", "supplier", "admin", "support")
JOB_BUDGETS = ("fixed", "hourly")
SORTS = ("placed_at", "-placed_at", "updated_at", "-updated_at", "total", "-total")


class ActorSchema(Schema):
    """Who is calling, as the gateway verified it from the token."""

    user_id = identifier(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    org = identifier(required=True)


class OrderLineRequestSchema(Schema):
    sku = identifier(required=True, metadata={"example": "BRK-7"})
    description = text(TEXT_LENGTH, metadata={"example": "Steel bracket"})
    quantity = count(LIMITS.max_quantity, minimum=1, required=True, metadata={"example": 100})
    unit_price = count(
        LIMITS.max_order_total,
        required=True,
        metadata={"description": "Integer minor units of the order's currency", "example": 250},
    )


class ServicePackageSchema(Schema):
    """The service package a services order was placed with, as agreed (seed 002)."""

    name = text(100, min_length=1, required=True, metadata={"example": "Standard"})
    features = fields.List(
        text(200, min_length=1),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"example": ["Responsive layout", "Source files"]},
    )
    delivery_days = count(3650, required=True, metadata={"example": 7})
    revisions_included = count(100, required=True, metadata={"example": 2})
    price = count(
        LIMITS.max_order_total,
        required=True,
        metadata={"description": "Integer minor units of the order's currency", "example": 15000},
    )


class JobTermsSchema(Schema):
    """The terms a job order was agreed on: the employer's job as the freelancer's accepted
    proposal answered it (seed 002's Contract Overview: amount, type, start and due date)."""

    scope = text(
        TEXT_LENGTH,
        min_length=1,
        required=True,
        metadata={"example": "Rewrite the landing page copy in a friendly, concise tone"},
    )
    deliverables = fields.List(
        text(200, min_length=1),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"example": ["Hero headline and subline", "Three feature blurbs"]},
    )
    budget = fields.String(
        required=True,
        validate=validate.OneOf(JOB_BUDGETS),
        metadata={"description": "fixed: one price; hourly: a rate times the hours agreed"},
    )
    amount = count(
        LIMITS.max_order_total,
        required=True,
        metadata={"description": "The agreed amount, integer minor units", "example": 40000},
    )
    hourly_rate = count(
        LIMITS.max_order_total,
        minimum=1,
        load_default=None,
        allow_none=True,
        metadata={"description": "hourly budgets: minor units per hour"},
    )
    hours = count(10_000, minimum=1, load_default=None, allow_none=True)
    start_date = day(required=True)
    due_date = day(required=True)
    revisions_included = count(100, load_default=0, metadata={"example": 2})

    @validates_schema(skip_on_field_errors=True)
    def consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["due_date"] < data["start_date"]:
            raise ValidationError("must not be before start_date", "due_date")
        hourly = (data["hourly_rate"], data["hours"])
        if data["budget"] == "fixed" and hourly != (None, None):
            raise ValidationError("a fixed budget has no hourly_rate or hours", "budget")
        if data["budget"] == "hourly":
            if None in hourly:
                raise ValidationError("an hourly budget needs hourly_rate and hours", "budget")
            if data["hourly_rate"] * data["hours"] != data["amount"]:
                raise ValidationError("must equal hourly_rate times hours", "amount")


class PlaceOrderRequestSchema(Schema):
    supplier_org = identifier(required=True, metadata={"example": "forge"})
    title = text(TITLE_LENGTH, min_length=1, required=True, metadata={"example": "Brackets"})
    currency = pattern(
        "[A-Z]{3}", "Use an ISO 4217 code such as EUR.", example="EUR", required=True
    )
    workflow = name(required=True, metadata={"example": "manufacturing"})
    kind = name(allow_none=True, metadata={"description": "A workflow's variant"})
    lines = fields.List(
        fields.Nested(OrderLineRequestSchema),
        required=True,
        validate=validate.Length(min=1, max=LIMITS.max_order_lines),
        metadata={"description": f"At most {LIMITS.max_order_lines} lines (ORDER_MAX_LINES)"},
    )
    committed_ship_by = day(allow_none=True)
    committed_deliver_by = day(allow_none=True)
    revisions_allowed = count(100, allow_none=True)
    package = fields.Nested(ServicePackageSchema, allow_none=True)
    terms = fields.Nested(
        JobTermsSchema,
        allow_none=True,
        metadata={"description": "A job order's agreed terms (the services workflow's job kind)"},
    )
    payment = fields.Nested(PaymentChoice, allow_none=True)
    shipping = fields.Nested(
        ShippingDetails,
        allow_none=True,
        metadata={"description": "Ship-To address and shipping terms, printed on delivery notes"},
    )

    @validates_schema(skip_on_field_errors=True)
    def total_within_limit(self, data: dict[str, Any], **kwargs: Any) -> None:
        total = sum(line["quantity"] * line["unit_price"] for line in data.get("lines", ()))
        if total > LIMITS.max_order_total:
            raise ValidationError(
                f"the order's total must not exceed {LIMITS.max_order_total} (ORDER_MAX_TOTAL)",
                "lines",
            )


class OrderCountQuerySchema(Schema):
    """Filters a board may apply. The orders service checks the values against its workflows."""

    class Meta:
        unknown = EXCLUDE  # the service names unknown filters itself

    workflow = name(metadata={"example": "retail", "description": "Only this workflow's orders"})
    kind = name(metadata={"example": "job", "description": "Only orders of this kind"})
    delayed = fields.Boolean(
        metadata={"description": "Only delayed (true) or only punctual (false) orders"}
    )
    q = text(200, metadata={"description": "Text search"})


class OrderQuerySchema(OrderCountQuerySchema):
    status = name(metadata={"description": "A status tab: orders in this state"})
    group = name(
        metadata={
            "example": "completed",
            "description": "A group tab (active, completed, cancelled, rejected)",
        }
    )
    sort = fields.String(
        validate=validate.OneOf(SORTS),
        metadata={"description": "Newest first (-placed_at) by default; '-' for descending"},
    )
    cursor = fields.String(
        validate=validate.Length(max=CURSOR_LENGTH),
        metadata={"description": "The next_cursor of the previous page"},
    )
    limit = fields.Integer(validate=validate.Range(min=1, max=PAGE_SIZE))
    ids = fields.List(
        identifier(),
        validate=validate.Length(min=1, max=MAX_SELECTED),
        metadata={"description": f"Only these orders (selected rows; at most {MAX_SELECTED})"},
    )

    @validates("cursor")
    def issued_by_the_service(self, cursor: str, **kwargs: Any) -> None:
        """A cursor is base64 JSON of plain values: refuse any other before a query uses it."""
        try:
            values = json.loads(
                base64.urlsafe_b64decode(cursor.encode("ascii")), parse_constant=_refuse
            )
        except (ValueError, UnicodeError, binascii.Error):
            values = None
        if not isinstance(values, list) or json_problems(values, max_depth=1, max_string=200):
            raise ValidationError("not a cursor this API issued")


class OrderRefSchema(Schema):
    order_id = identifier(required=True)


class OrderIdsSchema(Schema):
    """The orders a batch read is about: one page of an export, in one call per service."""

    order_ids = fields.List(identifier(), required=True, validate=validate.Length(max=BATCH_SIZE))


class PerformActionRequestSchema(OrderRefSchema):
    """The order and action, as path parameters, and the payload: each workflow action
    declares its own fields; every request's shape and sizes are bounded here."""

    action = name(required=True)
    payload = fields.Dict(load_default=dict)
    expected_version = fields.Integer(
        allow_none=True, validate=validate.Range(min=0, max=2**31 - 1)
    )

    @validates("payload")
    def bounded(self, payload: dict[str, Any], **kwargs: Any) -> None:
        problems = json_problems(
            payload,
            max_depth=PAYLOAD_DEPTH,
            max_string=TEXT_LENGTH,
            max_items=LIMITS.max_order_lines,
            max_keys=PAYLOAD_KEYS,
            dates=True,
        )
        if problems:
            raise ValidationError(problems)


ACTOR = ActorSchema()
PLACE_ORDER = PlaceOrderRequestSchema()
ORDER_QUERY = OrderQuerySchema()
ORDER_COUNT_QUERY = OrderCountQuerySchema()
ORDER_REF = OrderRefSchema()
ORDER_IDS = OrderIdsSchema()
PERFORM_ACTION = PerformActionRequestSchema()


def check(schema: Schema, data: Any, field: str | None = None) -> None:
    """Raise InvalidRequest, naming each wrong field, unless ``data`` fits ``schema``."""
    errors = schema.validate(data) if isinstance(data, dict) else {"_schema": ["not an object"]}
    if errors:
        raise InvalidRequest(
            f"invalid {field or 'request'}", {"errors": {field: errors} if field else errors}
        )


def _refuse(constant: str) -> None:
    raise ValueError(f"{constant} is not a number")
