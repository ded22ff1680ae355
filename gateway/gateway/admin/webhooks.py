"""Outbound webhook deliveries for staff, across every endpoint (chat owns them): status,
attempts and last error; admins send one again."""

from flask import g, jsonify
from marshmallow import Schema, fields, validate

from gateway.admin.auth import require_admin
from gateway.admin.blueprints import staff_blueprint
from gateway.chat_schemas import DeliveryPageSchema, DeliveryQuerySchema
from gateway.openapi import REPLAYABLE_HEADERS, SUCCESS_HEADERS, documented
from gateway.rpc import command, services
from gateway.schemas import IdempotencyKeyHeaderSchema, PassThroughSchema

blp = staff_blueprint("admin_webhooks", __name__, "Webhook deliveries")


class StaffDeliveryQuerySchema(DeliveryQuerySchema):
    org = fields.String(validate=validate.Length(min=1, max=100))
    endpoint_id = fields.String(validate=validate.Length(min=1, max=100))
    event_type = fields.String(
        validate=validate.Length(min=1, max=100), metadata={"example": "order.placed"}
    )


class RedeliverySchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"example": "The receiver fixed its certificate"},
    )


class RedeliveredSchema(PassThroughSchema):
    id = fields.String()
    status = fields.String()


@blp.route("/webhook-deliveries")
@blp.arguments(StaffDeliveryQuerySchema, location="query")
@blp.response(200, DeliveryPageSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminWebhookDeliveries")
@documented(blp)
def webhook_deliveries(query):
    """Every endpoint's deliveries, newest first: status, attempts, last answer or error"""
    return jsonify(services().call("chat.webhook_delivery_log", g.actor, query))


@blp.route("/webhook-deliveries/<message_id>/redelivery", methods=["POST"])
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(RedeliverySchema)
@blp.response(200, RedeliveredSchema, headers=REPLAYABLE_HEADERS)
@blp.doc(operationId="adminRedeliverWebhook")
@documented(blp, 403, 404)
def redeliver(headers, request, message_id):
    """Send one delivery again now, whatever its status, with the reason (admins)"""
    require_admin()
    return jsonify(command("chat.redeliver_webhook_message", g.actor, message_id))
