"""The request and response bodies of the HTTP API, from which the OpenAPI document is generated.

Requests are validated with the schemas of ``contracts.rpc``, the ones the services check again
at their own door; this module only adds what the document says about them. Responses pass the
services' dicts through unchanged, and their schemas here document every field they carry.
"""

import re

from marshmallow import INCLUDE, Schema, fields, post_load, validate

from contracts.rpc import orders as rpc
from contracts.rpc.limits import IDEMPOTENCY_KEY_LENGTH

# What each workflow asks of a placement (its ``placement`` section): the test that reads the
# workflow files keeps this true.
PLACEMENT_RULES = {
    "manufacturing": {
        "required": ["committed_ship_by", "committed_deliver_by"],
        "kinds": [],
        "by_kind": [],
    },
    "factory": {"required": [], "kinds": [], "by_kind": []},
    "services": {
        "required": ["revisions_allowed"],
        "kinds": ["service", "job"],
        "by_kind": ["job: terms"],
    },
    "retail": {"required": [], "kinds": [], "by_kind": []},
}


def _pairs(by_kind):
    return [tuple(rule.split(": ")) for rule in by_kind]


def _placement_rules():
    lines = []
    for workflow, rules in PLACEMENT_RULES.items():
        kinds = [f"kind ({' or '.join(rules['kinds'])})"] if rules["kinds"] else []
        by_kind = [f"{field} for a {kind} order" for kind, field in _pairs(rules["by_kind"])]
        needs = rules["required"] + kinds + by_kind
        lines.append(f"- `{workflow}`: " + (", ".join(needs) if needs else "nothing more"))
    return "The workflow to run the order on. Each requires more fields:\n" + "\n".join(lines)


class ProblemSchema(Schema):
    """An RFC 9457 problem: every error the API returns, with members particular to its type."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(
        metadata={
            "example": "urn:marketplace:problem:illegal-transition",
            "description": "urn:marketplace:problem:<slug>: one vocabulary for the gateway's "
            "errors and the services' (docs/api-conventions.md)",
        }
    )
    title = fields.String(metadata={"example": "Action not allowed in this state"})
    status = fields.Integer(metadata={"example": 409})
    detail = fields.String()
    instance = fields.String(metadata={"description": "The request path"})
    correlation_id = fields.String(allow_none=True)
    errors = fields.Dict(metadata={"description": "Field-level validation messages"})


# Requests


class PlaceOrderSchema(rpc.PlaceOrderRequestSchema):
    workflow = rpc.name(
        required=True,
        metadata={"enum": list(PLACEMENT_RULES), "description": _placement_rules()},
    )


class OrderQuerySchema(rpc.OrderQuerySchema):
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=rpc.PAGE_SIZE))


class OrderExportQuerySchema(rpc.OrderQuerySchema):
    """The list's filters (and sort), or the selected ``ids``: every matching order, no pages."""

    class Meta:
        exclude = ("cursor", "limit")


class OrderCountQuerySchema(rpc.OrderCountQuerySchema):
    """Filters a board may apply; an unknown one is a 422 (``unknown=RAISE`` at the route)."""


class ActionPayloadSchema(Schema):
    """Whatever the action needs (a reason, per-line quantities, a new date...): the workflow
    says which fields; strings are at most 2000 characters, arrays ORDER_MAX_LINES items, dates
    between 2000-01-01 and 2100-12-31."""

    class Meta:
        unknown = INCLUDE


class IdempotencyKeyHeaderSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=validate.Length(min=1, max=IDEMPOTENCY_KEY_LENGTH),
        metadata={
            "description": "Retrying with the same key replays the first response",
            "pattern": "^[!-~]+$",
            "example": "3f8e2c1a-place-brackets",
        },
    )


# RFC 9110 section 13.1.1: "*" or one strong entity-tag (our ETags are the order's version).
_IF_MATCH = re.compile(r'\A(?:\*|"(\d{1,9})")\Z')


class ActionHeadersSchema(IdempotencyKeyHeaderSchema):
    expected_version = fields.String(
        data_key="If-Match",
        validate=validate.Regexp(_IF_MATCH, error='Give the order\'s ETag, e.g. "3", or *.'),
        metadata={
            "description": "The order's ETag the action expects: 412 if the order has changed "
            "since; * acts on any version",
            "pattern": '^(\\*|"[0-9]{1,9}")$',
            "example": '"3"',
        },
    )

    @post_load
    def version_number(self, headers, **kwargs):
        if "expected_version" in headers:
            version = _IF_MATCH.match(headers["expected_version"])[1]
            headers["expected_version"] = None if version is None else int(version)
        return headers


# Responses


class PassThroughSchema(Schema):
    """Documents the fields of a service's answer, which may carry more."""

    class Meta:
        unknown = INCLUDE


def _nullable(field_class, **kwargs):
    return field_class(allow_none=True, **kwargs)


class OrderLineSchema(PassThroughSchema):
    line_id = fields.String(metadata={"example": "L1"})
    sku = fields.String()
    description = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Integer(metadata={"description": "Minor units of the order's currency"})
    status = _nullable(
        fields.String, metadata={"description": "The line's state, where its workflow tracks lines"}
    )
    accepted_qty = fields.Integer()
    rejected_qty = fields.Integer()
    rework_qty = fields.Integer()
    shipped_qty = fields.Integer()
    delivered_qty = fields.Integer()
    returned_qty = fields.Integer()
    history = fields.List(fields.Dict(), metadata={"description": "{status, at, actor} entries"})


class DeadlineSchema(Schema):
    at = fields.DateTime(metadata={"example": "2026-03-09T09:00:00+00:00"})
    timer = fields.String(metadata={"example": "auto_cancel"})
    action = fields.String(metadata={"example": "cancel", "description": "What the system will do"})


class OrderSchema(PassThroughSchema):
    """An order as the orders service returns it, alone or in a list."""

    id = fields.String()
    version = fields.Integer(metadata={"description": "Also sent as the ETag"})
    workflow = fields.String(metadata={"example": "manufacturing"})
    workflow_version = fields.Integer()
    kind = _nullable(fields.String)
    status = fields.String(metadata={"example": "ordered"})
    status_group = fields.String(
        metadata={"description": "The status's tab: active, completed, cancelled, rejected"}
    )
    status_entered_at = fields.DateTime()
    buyer_org = fields.String()
    buyer_user = fields.String()
    supplier_org = fields.String()
    title = fields.String()
    currency = fields.String(metadata={"example": "EUR"})
    total = fields.Integer(metadata={"description": "Minor units of the currency"})
    lines = fields.List(fields.Nested(OrderLineSchema))
    placed_at = fields.DateTime()
    updated_at = fields.DateTime()
    closed_at = _nullable(fields.DateTime)
    committed_ship_by = _nullable(fields.Date)
    committed_deliver_by = _nullable(fields.Date)
    estimated_ship_by = _nullable(fields.Date)
    estimated_deliver_by = _nullable(fields.Date)
    delayed = fields.Boolean(
        metadata={"description": "The committed delivery date has passed, or the estimate is later"}
    )
    expecting_delay = fields.Boolean()
    revisions_allowed = _nullable(fields.Integer, metadata={"description": "null: no limit"})
    package = fields.Nested(
        rpc.ServicePackageSchema,
        allow_none=True,
        metadata={"description": "A services order's package as agreed; null for other orders"},
    )
    terms = fields.Nested(
        rpc.JobTermsSchema,
        allow_none=True,
        metadata={"description": "A job order's agreed terms; null for other orders"},
    )
    revisions_used = fields.Integer()
    documents = fields.List(fields.String())
    shipments = fields.List(fields.Dict())
    deliveries = fields.List(fields.Dict())
    cancellation_request = _nullable(fields.Dict)
    reviews = fields.Dict(metadata={"description": "By the reviewer's role"})
    inspection = _nullable(fields.Dict)
    shipping = _nullable(
        fields.Dict, metadata={"description": "Ship-To address and shipping terms, as placed"}
    )
    dispute = _nullable(fields.Dict, metadata={"description": "The last dispute's resolution"})
    disputed = fields.Boolean(
        metadata={"description": "A dispute is open: the automatic timers it pauses wait"}
    )
    timers_resumed_at = _nullable(
        fields.DateTime, metadata={"description": "When a dispute's end restarted the timers"}
    )
    funds_held = fields.Boolean()
    fired_timers = fields.Dict()
    tracking_number = _nullable(
        fields.String, metadata={"description": "The latest parcel's tracking number"}
    )
    next_deadline = fields.Nested(
        DeadlineSchema,
        allow_none=True,
        metadata={"description": "When the system acts next on its own (auto-cancel, ...)"},
    )
    allowed_actions = fields.List(
        fields.String(), metadata={"description": "The actions the caller may take now"}
    )


class OrderListSchema(PassThroughSchema):
    items = fields.List(fields.Nested(OrderSchema))
    next_cursor = _nullable(fields.String)


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
    """A section the page could not fill, as a problem (RFC 9457 members) naming the section."""

    section = fields.String(metadata={"example": "fulfillment"})
    type = fields.String(metadata={"example": "urn:marketplace:problem:service-unavailable"})
    title = fields.String(metadata={"example": "Service unavailable"})
    status = fields.Integer(metadata={"example": 503})
    detail = fields.String(
        metadata={"example": "The fulfillment section did not answer within 3 s"}
    )


class TimelineEntrySchema(PassThroughSchema):
    at = fields.DateTime(metadata={"description": "UTC, with its offset"})
    actor = fields.Dict(metadata={"description": "user_id, role and org of who acted"})
    kind = fields.String(
        metadata={"description": "The action, or place for the placement", "example": "approve"}
    )
    summary = fields.String()
    data = fields.Dict(metadata={"description": "The action's details, with from and to"})


class OrderPageSchema(Schema):
    """The order with what other services know about it, fetched at once.

    A section is null when its service failed or did not answer within the section timeout
    (``warnings`` names it), or has not heard of the order yet (no warning).
    """

    order = fields.Nested(OrderSchema)
    timeline = _nullable(fields.List, cls_or_instance=fields.Nested(TimelineEntrySchema))
    fulfillment = _nullable(
        fields.Dict,
        metadata={
            "description": "lines (ordered and shipped), whether it awaits the supplier's "
            "approval before it ships, shipments (with tracking numbers and their carrier "
            "scans), quality documents and returns"
        },
    )
    payments = _nullable(
        fields.Dict, metadata={"description": "the Payments tab: held, released, refunded"}
    )
    disputes = _nullable(
        fields.List, cls_or_instance=fields.Dict(), metadata={"description": "oldest first"}
    )
    claims = _nullable(
        fields.List,
        cls_or_instance=fields.Dict(),
        metadata={"description": "the seller's claims on the platform; a buyer sees none"},
    )
    chat = _nullable(
        fields.Dict,
        metadata={
            "description": "unread (in all), awaiting_reply, conversations with their unread "
            "counts, latest_messages"
        },
    )
    warnings = fields.List(
        fields.Nested(PageWarningSchema),
        metadata={"description": "the sections that are null because they failed"},
    )


class WorkflowSchema(PassThroughSchema):
    """One workflow version, as clients need it to draw tabs, boards and action buttons."""

    name = fields.String(metadata={"example": "manufacturing"})
    version = fields.Integer()
    title = fields.String()
    initial = fields.String()
    track_lines = fields.Boolean()
    placement = fields.Dict(metadata={"description": "required fields and kinds"})
    states = fields.List(fields.Dict(), metadata={"description": "name, title, group, terminal"})
    actions = fields.List(
        fields.Dict(), metadata={"description": "name, roles, from, to, guards, payload, emits"}
    )
    reactions = fields.Dict()
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
