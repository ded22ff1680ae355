"""Money for staff: payouts awaiting approval (listed for staff, decided by admins, with a
reason), and the whole ledger across organisations (entries and balances, filtered, by keyset).
The payments service owns all of it and checks the roles again."""

from flask import g, jsonify
from marshmallow import Schema, fields, validate

from gateway.admin.auth import require_admin
from gateway.admin.blueprints import staff_blueprint
from gateway.openapi import REPLAYABLE_HEADERS, SUCCESS_HEADERS, documented
from gateway.payments_schemas import PayoutSchema
from gateway.rpc import command, services
from gateway.schemas import IdempotencyKeyHeaderSchema, PassThroughSchema

blp = staff_blueprint("admin_money", __name__, "Payout approvals and ledger")

LIMIT = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)
CURRENCY = fields.String(validate=validate.Regexp(r"\A[A-Z]{3}\Z"), metadata={"example": "EUR"})
ORG = fields.String(
    validate=validate.Length(min=1, max=200),
    metadata={"description": "The account's owner: an organisation, an order id, platform"},
)
KIND = fields.String(
    validate=validate.Length(min=1, max=20),
    metadata={"description": "escrow, wallet, earnings, commission, clearing, compensation"},
)


class _AfterQuerySchema(Schema):
    """A page of a list ordered by a unique key, in a currency."""

    currency = CURRENCY
    after = fields.String(
        validate=validate.Length(max=200), metadata={"description": "The previous next_cursor"}
    )
    limit = LIMIT


class PayoutQuerySchema(_AfterQuerySchema):
    status = fields.String(
        validate=validate.OneOf(
            ("awaiting_approval", "on_hold", "requested", "paid", "failed", "rejected")
        ),
        metadata={"description": "awaiting_approval and on_hold when absent"},
    )
    org = fields.String(validate=validate.Length(min=1, max=100))


class StaffPayoutSchema(PayoutSchema):
    org = fields.String()
    review = fields.Dict(allow_none=True, metadata={"description": "reason, by, at"})


class PayoutPageSchema(PassThroughSchema):
    items = fields.List(fields.Nested(StaffPayoutSchema))
    next_cursor = fields.String(allow_none=True)


class PayoutDecisionSchema(Schema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf(("approve", "hold", "reject")),
        metadata={"description": "approve: paid out; hold: kept back; reject: back to the wallet"},
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"example": "Bank details confirmed with the seller"},
    )


class LedgerEntryQuerySchema(Schema):
    org = ORG
    kind = KIND
    currency = CURRENCY
    order_id = fields.String(validate=validate.Length(min=1, max=200))
    cause = fields.String(
        validate=validate.Length(min=1, max=100), metadata={"example": "dispute.resolved"}
    )
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    before = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "The previous next_cursor"}
    )
    limit = LIMIT


class LedgerBalanceQuerySchema(_AfterQuerySchema):
    org = ORG
    kind = KIND


class LedgerPageSchema(PassThroughSchema):
    items = fields.List(fields.Dict())
    next_cursor = fields.String(allow_none=True)


@blp.route("/payouts")
@blp.arguments(PayoutQuerySchema, location="query")
@blp.response(200, PayoutPageSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminPayoutQueue")
@documented(blp)
def payout_queue(query):
    """Payouts awaiting approval or on hold (or of a status), oldest first"""
    return jsonify(services().call("payments.payout_queue", g.actor, _dumped(query)))


@blp.route("/payouts/<payout_id>/decision", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(PayoutDecisionSchema)
@blp.response(200, StaffPayoutSchema, headers=REPLAYABLE_HEADERS)
@blp.doc(operationId="adminDecidePayout")
@documented(blp, 403, 404, 409)
def decide_payout(headers, request, payout_id):
    """Approve, hold or reject a payout awaiting approval, with the reason (admins)"""
    require_admin()
    return jsonify(command("payments.decide_payout", g.actor, payout_id, request))


@blp.route("/ledger/entries")
@blp.arguments(LedgerEntryQuerySchema, location="query")
@blp.response(200, LedgerPageSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminLedgerEntries")
@documented(blp)
def ledger_entries(query):
    """Ledger entries across organisations, newest first: by owner, kind, order, cause, time"""
    return jsonify(services().call("payments.ledger_entries", g.actor, _dumped(query)))


@blp.route("/ledger/balances")
@blp.arguments(LedgerBalanceQuerySchema, location="query")
@blp.response(200, LedgerPageSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminLedgerBalances")
@documented(blp)
def ledger_balances(query):
    """Accounts' balances (posted, pending, available) across organisations, by owner and kind"""
    return jsonify(services().call("payments.ledger_balances", g.actor, _dumped(query)))


def _dumped(query: dict) -> dict:
    """The query as the service's RPC takes it: JSON values (datetimes as ISO-8601)."""
    return {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in query.items()
    }
