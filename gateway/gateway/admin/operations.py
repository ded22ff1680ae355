"""Dead-lettered messages: listed for staff, replayed by admins (``chassis.deadletters``)."""

from dataclasses import asdict

from flask import current_app, jsonify
from marshmallow import Schema, fields, validate

from chassis import deadletters
from gateway.admin.auth import require_admin
from gateway.admin.blueprints import staff_blueprint
from gateway.openapi import REPLAYABLE_HEADERS, SUCCESS_HEADERS, documented
from gateway.problems import Problem
from gateway.schemas import IdempotencyKeyHeaderSchema, PassThroughSchema

blp = staff_blueprint("admin_operations", __name__, "Dead-lettered messages")


class ParkedMessageSchema(PassThroughSchema):
    queue = fields.String(metadata={"example": "disputes--order.placed.dead"})
    original_queue = fields.String()
    event_id = fields.String(allow_none=True)
    event_type = fields.String(allow_none=True)
    error = fields.String()
    attempts = fields.Integer()
    failed_at = fields.String()


class ReplaySchema(Schema):
    event_id = fields.String(metadata={"description": "Only this event; all when absent"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ReplayedSchema(Schema):
    replayed = fields.Integer()


@blp.route("/dead-letters")
@blp.response(200, ParkedMessageSchema(many=True), headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminListDeadLetters")
@documented(blp)
def list_dead_letters():
    """Every message parked after its retries, with its error"""
    parked = deadletters.list_parked(current_app.config["AMQP_URI"])
    return jsonify([asdict(message) for message in parked])


@blp.route("/dead-letters/<queue>/replay", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(ReplaySchema)
@blp.response(200, ReplayedSchema, headers=REPLAYABLE_HEADERS)
@blp.doc(operationId="adminReplayDeadLetters")
@documented(blp, 403, 404)
def replay_dead_letters(headers, request, queue):
    """Send a dead-letter queue's messages (or one of them) back to their consumer (admins)"""
    require_admin()
    if queue not in deadletters.dead_queues():
        raise Problem(404, "Not found", f"{queue} is not a dead-letter queue", slug="not-found")
    replayed = deadletters.replay(current_app.config["AMQP_URI"], queue, request.get("event_id"))
    return jsonify(replayed=replayed)
