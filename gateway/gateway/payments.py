"""Payments under ``/api/v1``: an order's Payments tab and the organisation's wallet."""

from flask import g, jsonify
from flask_smorest import Blueprint

from contracts.errors import NotFound
from gateway.auth import authenticate, may_see
from gateway.payments_schemas import OrderPaymentsSchema, WalletSchema
from gateway.rpc import services

blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="Payments and wallets")
blp.before_request(authenticate)


def order_payments_section(rpc, actor, order_id):
    """The order page's payments section: None while the payments service knows no payment."""
    try:
        return rpc.call("payments.get_order_payments", actor, order_id)
    except NotFound:
        return None


@blp.route("/orders/<order_id>/payments")
@blp.response(200, OrderPaymentsSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_order_payments(order_id):
    """The order's Payments tab: amount, commission, held, released, refunded, each movement"""
    payments = services().call("payments.get_order_payments", g.actor, order_id)
    if not may_see(g.actor, payments):
        raise NotFound("Order not found", {"order_id": order_id})
    return jsonify(payments)


@blp.route("/wallet")
@blp.response(200, WalletSchema)
def get_wallet():
    """Your organisation's wallet: available, pending and reserved per currency, and history"""
    return jsonify(services().call("payments.get_wallet", g.actor))
