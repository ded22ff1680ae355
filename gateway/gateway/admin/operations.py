"""Operations: dead-lettered messages, listed for staff and replayed by admins
(``chassis.deadletters``), what each service holds that is not done yet (``chassis.backlog``),
and the carrier scans no shipment claimed."""

from dataclasses import asdict
from functools import partial

from flask import current_app, g, jsonify
from marshmallow import Schema, fields, validate

import contracts.events
from chassis import deadletters
from contracts.rpc.fulfillment import ParkedScansQuerySchema
from gateway.admin.auth import require_admin
from gateway.admin.blueprints import staff_blueprint
from gateway.openapi import REPLAYABLE_HEADERS, SUCCESS_HEADERS, documented
from gateway.problems import Problem
from gateway.rpc import ServiceUnavailable, concurrently, public_detail, services
from gateway.schemas import IdempotencyKeyHeaderSchema, PassThroughSchema

# Counting is quick on the indexes it uses; a service slower than this is named, not waited for.
BACKLOG_TIMEOUT_S = 5.0

blp = staff_blueprint(
    "admin_operations", __name__, "Dead-lettered messages and what each service holds"
)


class ParkedMessageSchema(PassThroughSchema):
    queue = fields.String(metadata={"example": "disputes--order.placed.dead"})
    original_queue = fields.String()
    event_id = fields.String(allow_none=True)
    event_type = fields.String(allow_none=True)
    error = fields.String()
    attempts = fields.Integer()
    failed_at = fields.String()


class HeldSchema(Schema):
    count = fields.Integer()
    oldest_at = fields.DateTime(allow_none=True)
    oldest_age_s = fields.Float(allow_none=True, metadata={"example": 0.8})


class BacklogsSchema(Schema):
    services = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Nested(HeldSchema)),
        metadata={
            "description": "Per service, per kind held (unpublished_events, "
            "events_waiting_for_their_record, parked_scans): how many, and the oldest",
            "example": {
                "fulfillment": {
                    "unpublished_events": {"count": 0, "oldest_at": None, "oldest_age_s": None},
                    "parked_scans": {
                        "count": 2,
                        "oldest_at": "2026-12-04T09:12:00+00:00",
                        "oldest_age_s": 3600.0,
                    },
                }
            },
        },
    )
    unavailable = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "The services that did not answer, and why"},
    )


class ParkedScanSchema(PassThroughSchema):
    id = fields.String()
    carrier = fields.String(metadata={"example": "dhl"})
    carrier_event_id = fields.String()
    tracking_number = fields.String(metadata={"example": "JD014600006281230704"})
    status = fields.String(metadata={"example": "in_transit"})
    occurred_at = fields.String()
    received_at = fields.String()
    claimable = fields.Boolean(
        metadata={
            "description": "Whether a shipment created now could still claim it "
            "(PARKED_SCAN_WINDOW_DAYS); older ones are kept for PARKED_SCAN_RETENTION_DAYS"
        }
    )


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


@blp.route("/backlogs")
@blp.response(200, BacklogsSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminListBacklogs")
@documented(blp)
def list_backlogs():
    """What each service holds that is not done yet, with how many and since when: a count
    that grows or an oldest age that keeps rising is where to look"""
    # The calls' pool, not the probes' (``/readyz`` must never wait behind counting queries).
    rpc = services()
    found, failures = concurrently(
        {name: partial(rpc.call, f"{name}.backlog") for name in contracts.events.SERVICES},
        timeout=BACKLOG_TIMEOUT_S,
        late=lambda name: ServiceUnavailable(
            f"{name} did not answer within {BACKLOG_TIMEOUT_S:g} s"
        ),
    )
    unavailable = {name: public_detail(error) for name, error in failures.items()}
    return jsonify(services=found, unavailable=unavailable)


@blp.route("/parked-scans")
@blp.arguments(ParkedScansQuerySchema, location="query")
@blp.response(200, ParkedScanSchema(many=True), headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminListParkedScans")
@documented(blp)
def list_parked_scans(query):
    """Carrier scans no shipment claimed, newest first: a tracking number mistyped by the
    supplier, or a parcel that is not ours"""
    return jsonify(services().call("fulfillment.parked_scans", g.actor, query))


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
