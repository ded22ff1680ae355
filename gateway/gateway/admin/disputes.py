"""The dispute and claim queues for staff, oldest first or by amount; notes (support and
admin), resolutions and claim decisions (admins only: they move money)."""

from flask import g, jsonify

from gateway.admin.auth import require_admin
from gateway.admin.blueprints import staff_blueprint
from gateway.dispute_reads import add_read_routes
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

blp = staff_blueprint("admin_disputes", __name__, "Dispute and claim queues")
add_read_routes(blp, operation_prefix="admin")


@blp.route("/disputes")
@blp.arguments(QueueQuerySchema, location="query")
@blp.response(200, DisputePageSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminDisputeQueue")
@documented(blp)
def dispute_queue(query):
    """The dispute queue: filter by status (open, escalated...), oldest first by default"""
    return jsonify(services().call("disputes.dispute_queue", g.actor, query))


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
