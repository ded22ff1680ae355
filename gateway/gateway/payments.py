"""Payments under ``/api/v1``: an order's Payments tab, the organisation's wallet, payouts."""

import base64
import io

from flask import g, jsonify, send_file

from chassis.blobs import DOCUMENTS
from contracts.errors import NotFound
from gateway import idempotency
from gateway.auth import authenticate, may_see, require_role
from gateway.blueprint import Blueprint
from gateway.openapi import REPLAYABLE_HEADERS, SUCCESS_HEADERS, documented
from gateway.payments_schemas import (
    InvoiceSchema,
    InvoiceUploadSchema,
    OrderPaymentsSchema,
    PayoutRequestSchema,
    PayoutSchema,
    WalletSchema,
)
from gateway.rpc import command, services
from gateway.schemas import IdempotencyKeyHeaderSchema

BINARY = {"type": "string", "format": "binary"}

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


@blp.route("/orders/<order_id>/invoice", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(InvoiceUploadSchema, location="files")
@blp.doc(operationId="uploadInvoice")
@blp.response(201, InvoiceSchema, headers=REPLAYABLE_HEADERS)
@documented(blp, 403, 404, 409)
def upload_invoice(headers, files, order_id):
    """Upload your invoice for the order (suppliers): the payment terms count from it"""
    require_role("supplier")
    file = files["file"]
    upload = {
        "filename": file.filename or "",
        "content": base64.b64encode(file.read()).decode(),
    }
    return jsonify(command("payments.upload_invoice", g.actor, order_id, upload)), 201


@blp.route("/orders/<order_id>/invoice")
@blp.doc(
    operationId="downloadInvoice",
    responses={
        "200": {
            # The file comes back as the type sniffed from its bytes when it was uploaded.
            "description": "The invoice file",
            "content": {media_type: {"schema": BINARY} for media_type in DOCUMENTS},
            "headers": {
                name: {"$ref": f"#/components/headers/{ref}"}
                for name, ref in SUCCESS_HEADERS.items()
            },
        }
    },
)
@documented(blp, 404)
def download_invoice(order_id):
    """Download the supplier's invoice for the order"""
    invoice = services().call("payments.get_invoice", g.actor, order_id)
    return send_file(
        io.BytesIO(base64.b64decode(invoice["content"])),
        mimetype=invoice["media_type"],
        as_attachment=True,
        download_name=invoice["filename"],
    )
