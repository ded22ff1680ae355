"""Payments under ``/api/v1``: an order's Payments tab, the organisation's wallet, payouts."""

from flask import g, jsonify
from flask_smorest import Blueprint

from contracts.errors import NotFound
from gateway import idempotency
from gateway.auth import authenticate, may_see, require_role
from gateway.openapi import REPLAYABLE_HEADERS, SUCCESS_HEADERS, documented
from gateway.payments_schemas import (
    OrderPaymentsSchema,
    PayoutRequestSchema,
    PayoutSchema,
    WalletSchema,
)
from gateway.rpc import command, services
from gateway.schemas import IdempotencyKeyHeaderSchema

blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="Payments and wallets")
blp.before_request(authenticate)
idempotency.apply_to(blp)


def order_payments_section(rpc, actor, order_id):
    """The order page's payments section: None while the payments service knows no payment."""
    try:
        return rpc.call("payments.get_order_payments", actor, order_id)
    except NotFound:
        return None


@blp.route("/orders/<order_id>/payments")
@blp.doc(operationId="getOrderPayments")
@blp.response(200, OrderPaymentsSchema, headers=SUCCESS_HEADERS)
@documented(blp, 404)
def get_order_payments(order_id):
    """The order's Payments tab: amount, commission, held, released, refunded, each movement"""
    payments = services().call("payments.get_order_payments", g.actor, order_id)
    if not may_see(g.actor, payments):
        raise NotFound("Order not found", {"order_id": order_id})
    return jsonify(payments)


@blp.route("/wallet")
@blp.doc(operationId="getWallet")
@blp.response(200, WalletSchema, headers=SUCCESS_HEADERS)
@documented(blp)
def get_wallet():
    """Your organisation's wallet: available, pending and reserved per currency, and history"""
    return jsonify(services().call("payments.get_wallet", g.actor))


@blp.route("/payouts", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(PayoutRequestSchema)
@blp.doc(operationId="requestPayout")
@blp.response(201, PayoutSchema, headers=REPLAYABLE_HEADERS)
@documented(blp, 403, 409)
def request_payout(headers, payout_request):
    """Pay out your organisation's available balance (all of it unless amount says less)"""
    require_role("buyer", "supplier")
    payout = command("payments.request_payout", g.actor, PayoutRequestSchema().dump(payout_request))
    return jsonify(payout), 201


@blp.route("/payouts")
@blp.doc(operationId="listPayouts")
@blp.response(200, PayoutSchema(many=True), headers=SUCCESS_HEADERS)
@documented(blp)
def list_payouts():
    """Your organisation's payouts, newest first"""
    return jsonify(services().call("payments.list_payouts", g.actor))
