"""Profiles under ``/api/v1``: an organisation's reputation, its reviews, and their moderation."""

from flask import g, jsonify

from gateway import idempotency
from gateway.auth import authenticate, require_role
from gateway.blueprint import Blueprint
from gateway.openapi import REPLAYABLE_HEADERS, SUCCESS_HEADERS, documented
from gateway.profiles_schemas import (
    PROFILE_EXAMPLE,
    HiddenSchema,
    ProfileSchema,
    ReasonSchema,
    ReportedSchema,
    ReviewSchema,
)
from gateway.rpc import command, services
from gateway.schemas import IdempotencyKeyHeaderSchema

blp = Blueprint("profiles", __name__, url_prefix="/api/v1", description="Profiles and reviews")
blp.before_request(authenticate)
idempotency.apply_to(blp)

REASON_EXAMPLES = {"contact": {"value": {"reason": "The review shares a phone number"}}}


@blp.route("/profiles/<org>")
@blp.doc(operationId="getProfile")
@blp.response(200, ProfileSchema, headers=SUCCESS_HEADERS, example=PROFILE_EXAMPLE)
@documented(blp)
def get_profile(org):
    """An organisation's profile as supplier and as buyer: its figures, each with its period,
    and the reviews it received that may be read (richer for itself and for staff)"""
    return jsonify(services().call("profiles.get_profile", g.actor, org))


@blp.route("/profiles/<org>/reviews")
@blp.doc(operationId="listProfileReviews")
@blp.response(200, ReviewSchema(many=True), headers=SUCCESS_HEADERS)
@documented(blp)
def list_reviews(org):
    """The newest reviews an organisation received that you may read (20 per side)"""
    profile = services().call("profiles.get_profile", g.actor, org)
    received = profile["supplier"]["reviews"]["items"] + profile["buyer"]["reviews"]["items"]
    return jsonify(sorted(received, key=lambda r: r["posted_at"], reverse=True))


@blp.route("/reviews/<review_id>/reports", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(ReasonSchema, examples=REASON_EXAMPLES)
@blp.doc(operationId="reportReview")
@blp.response(201, ReportedSchema, headers=REPLAYABLE_HEADERS)
@documented(blp, 404)
def report_review(headers, body, review_id):
    """Report a review to platform staff, saying why"""
    return jsonify(command("profiles.report_review", g.actor, review_id, body["reason"])), 201


@blp.route("/reviews/<review_id>/hide", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(ReasonSchema, examples=REASON_EXAMPLES)
@blp.doc(operationId="hideReview")
@blp.response(200, HiddenSchema, headers=REPLAYABLE_HEADERS)
@documented(blp, 403, 404)
def hide_review(headers, body, review_id):
    """Hide a review from every profile (staff); the reason is kept"""
    require_role("admin", "support")
    return jsonify(command("profiles.hide_review", g.actor, review_id, body["reason"]))
