"""Disputes and claims under ``/api/v1``, for the parties of an order.

A buyer or supplier opens a dispute from the order page, both add statements and evidence, and
whoever opened it may withdraw it; a seller claims compensation for an unscanned parcel or a
wrong item returned. The disputes service applies the organisation rule on its own projection of
orders; the gateway checks every answer once more, and another organisation's dispute is a 404.
"""

from flask import g, jsonify, url_for

from contracts.errors import NotFound
from gateway import evidence, idempotency
from gateway.auth import authenticate, may_see
from gateway.blueprint import Blueprint
from gateway.dispute_reads import add_read_routes, visible
from gateway.dispute_schemas import (
    ClaimSchema,
    DisputeSchema,
    EvidenceUploadSchema,
    OpenClaimSchema,
    OpenDisputeSchema,
    StatementSchema,
    UploadedFileSchema,
)
from gateway.openapi import REPLAYABLE_HEADERS, SUCCESS_HEADERS, documented
from gateway.rpc import ServiceUnavailable, command, services
from gateway.schemas import IdempotencyKeyHeaderSchema

CREATED_HEADERS = {**REPLAYABLE_HEADERS, "Location": "LOCATION"}

blp = Blueprint(
    "disputes", __name__, url_prefix="/api/v1", description="Disputes and claims on orders"
)
blp.before_request(authenticate)
idempotency.apply_to(blp)
add_read_routes(blp)


def on_order(method, order_id, request):
    """Call ``disputes.<method>`` about an order; if the disputes service does not know the
    order yet while the orders service shows it to the caller, its events are still on their
    way: answer 503 with Retry-After rather than a misleading 404."""
    try:
        return command(f"disputes.{method}", g.actor, order_id, request)
    except NotFound:
        if g.actor["role"] not in ("buyer", "supplier"):
            raise  # staff are no party to the order: they neither open disputes nor claim
        order = services().call("orders.get_order", g.actor, order_id)  # NotFound if not theirs
        if not may_see(g.actor, order):
            raise
        raise ServiceUnavailable(
            f"Order {order_id} is still reaching the disputes service; retry in a moment"
        ) from None


@blp.route("/orders/<order_id>/disputes", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(OpenDisputeSchema)
@blp.response(201, DisputeSchema, headers=CREATED_HEADERS)
@blp.doc(operationId="openDispute")
@documented(blp, 404, 409)
def open_dispute(headers, request, order_id):
    """Open a dispute on the order (its buyer or supplier): reason, description, evidence

    The other party is asked to answer within the configured business days; the order's
    automatic timers pause until the dispute is withdrawn or resolved.
    """
    dispute = on_order("open_dispute", order_id, evidence.checked(request))
    visible(dispute, f"order {order_id}")
    location = url_for(".get_dispute", dispute_id=dispute["id"])
    return jsonify(dispute), 201, {"Location": location}


@blp.route("/orders/<order_id>/disputes")
@blp.response(200, DisputeSchema(many=True), headers=SUCCESS_HEADERS)
@blp.doc(operationId="orderDisputes")
@documented(blp)
def order_disputes(order_id):
    """The order's disputes, oldest first"""
    found = services().call("disputes.order_disputes", g.actor, order_id)
    return jsonify([d for d in found if may_see(g.actor, d)])


@blp.route("/disputes/<dispute_id>/statements", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(StatementSchema)
@blp.response(200, DisputeSchema, headers=REPLAYABLE_HEADERS)
@blp.doc(operationId="addStatement")
@documented(blp, 404, 409)
def add_statement(headers, request, dispute_id):
    """Add a statement (and evidence) to a dispute; the awaited party's answer stops the clock"""
    dispute = command("disputes.add_statement", g.actor, dispute_id, evidence.checked(request))
    return jsonify(visible(dispute, f"dispute {dispute_id}"))


@blp.route("/disputes/<dispute_id>/withdrawal", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.response(200, DisputeSchema, headers=REPLAYABLE_HEADERS)
@blp.doc(operationId="withdrawDispute")
@documented(blp, 403, 404, 409)
def withdraw_dispute(headers, dispute_id):
    """Withdraw a dispute you opened, before it is resolved; the order's timers start again"""
    dispute = command("disputes.withdraw_dispute", g.actor, dispute_id)
    return jsonify(visible(dispute, f"dispute {dispute_id}"))


@blp.route("/orders/<order_id>/claims", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(OpenClaimSchema)
@blp.response(201, ClaimSchema, headers=CREATED_HEADERS)
@blp.doc(operationId="openClaim")
@documented(blp, 403, 404, 409)
def open_claim(headers, request, order_id):
    """Claim compensation from the platform (the seller): an unscanned parcel, a wrong item

    An unscanned-parcel claim is taken only once the parcel was reported unscanned after
    prompting; a wrong-item claim within 5 workdays of picking the goods up, with photos.
    """
    claim = on_order("open_claim", order_id, evidence.checked(request))
    visible(claim, f"order {order_id}")
    return jsonify(claim), 201, {"Location": url_for(".get_claim", claim_id=claim["id"])}


@blp.route("/evidence", methods=["POST"])
@blp.arguments(EvidenceUploadSchema, location="files")
@blp.response(201, UploadedFileSchema, headers=REPLAYABLE_HEADERS)
@blp.doc(operationId="uploadEvidence")
@documented(blp)
def upload_evidence(files):
    """Upload a file (photo, PDF, document) to cite as evidence by its file_id

    Its type is read from its bytes, whatever its name says; photos lose their EXIF (location)
    data. Cite it in a dispute, a statement or a claim; only those who may see that dispute or
    claim may download it.
    """
    return jsonify(evidence.upload(files["file"])), 201
