"""The dispute and claim queues for staff, oldest first or by amount; notes (support and
admin), resolutions and claim decisions (admins only: they move money)."""

from flask import g, jsonify
from flask_smorest import Blueprint

from gateway import evidence, idempotency
from gateway.admin import audit
from gateway.admin.auth import authenticate_staff, require_admin
from gateway.dispute_schemas import (
    ClaimDecisionSchema,
    ClaimPageSchema,
    ClaimSchema,
    DisputePageSchema,
    DisputeSchema,
    QueueQuerySchema,
    ResolutionSchema,
    StatementSchema,
)
from gateway.openapi import REPLAYABLE_HEADERS, SUCCESS_HEADERS, documented
from gateway.rpc import command, services
from gateway.schemas import IdempotencyKeyHeaderSchema

blp = Blueprint(
    "admin_disputes", __name__, url_prefix="/admin/v1", description="Dispute and claim queues"
)
blp.before_request(authenticate_staff)
idempotency.apply_to(blp)
audit.apply_to(blp)


@blp.route("/disputes")
@blp.arguments(QueueQuerySchema, location="query")
@blp.response(200, DisputePageSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminDisputeQueue")
@documented(blp)
def dispute_queue(query):
    """The dispute queue: filter by status (open, escalated...), oldest first by default"""
    return jsonify(services().call("disputes.dispute_queue", g.actor, query))


@blp.route("/disputes/<dispute_id>")
@blp.response(200, DisputeSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminGetDispute")
@documented(blp, 404)
def get_dispute(dispute_id):
    """A dispute with both parties' statements and evidence"""
    return jsonify(services().call("disputes.get_dispute", g.actor, dispute_id))


@blp.route("/disputes/<dispute_id>/notes", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(StatementSchema)
@blp.response(200, DisputeSchema, headers=REPLAYABLE_HEADERS)
@blp.doc(operationId="adminAddNote")
@documented(blp, 404, 409)
def add_note(headers, request, dispute_id):
    """Add a staff note to a dispute (support and admins); both parties see it"""
    return jsonify(command("disputes.add_statement", g.actor, dispute_id, request))


@blp.route("/disputes/<dispute_id>/resolution", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(ResolutionSchema)
@blp.response(200, DisputeSchema, headers=REPLAYABLE_HEADERS)
@blp.doc(operationId="adminResolveDispute")
@documented(blp, 403, 404, 409)
def resolve_dispute(headers, request, dispute_id):
    """Resolve a dispute (admins): release, refund, split, complete or cancel"""
    require_admin()
    return jsonify(command("disputes.resolve_dispute", g.actor, dispute_id, request))


@blp.route("/claims")
@blp.arguments(QueueQuerySchema, location="query")
@blp.response(200, ClaimPageSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminClaimQueue")
@documented(blp)
def claim_queue(query):
    """The claim queue: filter by status (pending...) and kind, oldest first by default"""
    return jsonify(services().call("disputes.claim_queue", g.actor, query))


@blp.route("/claims/<claim_id>")
@blp.response(200, ClaimSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminGetClaim")
@documented(blp, 404)
def get_claim(claim_id):
    """A claim with its evidence"""
    return jsonify(services().call("disputes.get_claim", g.actor, claim_id))


@blp.route("/claims/<claim_id>/decision", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(ClaimDecisionSchema)
@blp.response(200, ClaimSchema, headers=REPLAYABLE_HEADERS)
@blp.doc(operationId="adminDecideClaim")
@documented(blp, 403, 404, 409)
def decide_claim(headers, request, claim_id):
    """Approve a claim with the amount the platform pays, or reject it with a reason (admins)"""
    require_admin()
    return jsonify(command("disputes.decide_claim", g.actor, claim_id, request))


@blp.route("/disputes/<dispute_id>/evidence/<file_id>")
@blp.response(200, content_type="application/octet-stream", description="The file")
@blp.doc(operationId="adminDownloadDisputeEvidence")
@documented(blp, 404)
def download_dispute_evidence(dispute_id, file_id):
    """A file cited in the dispute or one of its statements"""
    dispute = services().call("disputes.get_dispute", g.actor, dispute_id)
    return evidence.download(dispute, file_id, f"dispute {dispute_id}")


@blp.route("/claims/<claim_id>/evidence/<file_id>")
@blp.response(200, content_type="application/octet-stream", description="The file")
@blp.doc(operationId="adminDownloadClaimEvidence")
@documented(blp, 404)
def download_claim_evidence(claim_id, file_id):
    """A file cited in the claim: the photos taken at the warehouse..."""
    claim = services().call("disputes.get_claim", g.actor, claim_id)
    return evidence.download(claim, file_id, f"claim {claim_id}")
