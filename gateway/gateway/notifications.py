"""The notification feed, e-mail preferences and outbound webhook subscriptions under
``/api/v1``; the chat service keeps all three."""

from flask import g, jsonify

from chassis.access import is_staff
from contracts.errors import Forbidden
from gateway import idempotency
from gateway.auth import authenticate
from gateway.blueprint import Blueprint
from gateway.chat_schemas import (
    DeliveryPageSchema,
    DeliveryQuerySchema,
    NotificationPageSchema,
    NotificationQuerySchema,
    PreferencesSchema,
    UnreadSchema,
    WebhookChangeSchema,
    WebhookRequestSchema,
    WebhookSchema,
)
from gateway.openapi import documented
from gateway.rpc import command, services

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1",
    description="What people hear about: the feed, e-mail, and webhooks for systems",
)
blp.before_request(authenticate)
idempotency.apply_to(blp)


@blp.route("/notifications")
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationPageSchema)
@blp.doc(operationId="listNotifications")
@documented(blp)
def list_notifications(query):
    """Your feed, newest first; each notification links to its order page"""
    return jsonify(services().call("chat.list_notifications", g.actor, query))


@blp.route("/notifications/count")
@blp.response(200, UnreadSchema)
@blp.doc(operationId="countNotifications")
@documented(blp)
def count_notifications():
    """How many notifications you have not read"""
    return jsonify(services().call("chat.notification_counts", g.actor))


@blp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@blp.response(200, UnreadSchema)
@blp.doc(operationId="markNotificationRead")
@documented(blp, 404)
def mark_read(notification_id):
    """Mark one notification read"""
    return jsonify(command("chat.mark_notification_read", g.actor, notification_id))


@blp.route("/notifications/read-all", methods=["POST"])
@blp.response(200, UnreadSchema)
@blp.doc(operationId="markAllNotificationsRead")
@documented(blp)
def mark_all_read():
    """Mark every notification read"""
    return jsonify(command("chat.mark_all_notifications_read", g.actor))


@blp.route("/notification-preferences")
@blp.response(200, PreferencesSchema)
@blp.doc(operationId="getNotificationPreferences")
@documented(blp)
def get_preferences():
    """What you receive by e-mail, and where (e-mail is sent where the platform set up SMTP)"""
    return jsonify(services().call("chat.get_preferences", g.actor))


@blp.route("/notification-preferences", methods=["PUT"])
@blp.arguments(PreferencesSchema)
@blp.response(200, PreferencesSchema)
@blp.doc(operationId="setNotificationPreferences")
@documented(blp)
def set_preferences(choice):
    """Choose what you receive by e-mail, and where"""
    return jsonify(command("chat.set_preferences", g.actor, choice))


def _manages_webhooks(reading=False):
    """An organisation's admin manages its endpoints, a platform admin every endpoint, and
    platform support may read them (docs/adr/0010); the chat service checks the same."""
    actor = g.actor
    if actor["role"] == "admin" or (reading and is_staff(actor)):
        return
    raise Forbidden(
        "Only your organisation's admin (or a platform admin) manages webhook endpoints",
        {"role": actor["role"]},
    )


@blp.route("/webhooks")
@blp.response(200, WebhookSchema(many=True))
@blp.doc(operationId="listWebhooks")
@documented(blp, 403)
def list_webhooks():
    """Your organisation's webhook endpoints (platform admins: every endpoint)"""
    _manages_webhooks(reading=True)
    return jsonify(services().call("chat.list_webhooks", g.actor))


@blp.route("/webhooks", methods=["POST"])
@blp.arguments(WebhookRequestSchema)
@blp.response(201, WebhookSchema)
@blp.doc(operationId="subscribeWebhook")
@documented(blp, 403)
def subscribe(request_body):
    """Subscribe an HTTPS endpoint to event types

    Deliveries are signed the Standard Webhooks way with the ``whsec_`` secret in the answer
    (shown now and on rotation only). Endpoints on private or loopback addresses are refused.
    """
    _manages_webhooks()
    return jsonify(command("chat.subscribe_webhook", g.actor, request_body)), 201


@blp.route("/webhooks/<endpoint_id>", methods=["PATCH"])
@blp.arguments(WebhookChangeSchema)
@blp.response(200, WebhookSchema)
@blp.doc(operationId="changeWebhook")
@documented(blp, 403, 404)
def change(changes, endpoint_id):
    """Change an endpoint's URL or event types, or disable or re-enable it"""
    _manages_webhooks()
    return jsonify(command("chat.update_webhook", g.actor, endpoint_id, changes))


@blp.route("/webhooks/<endpoint_id>", methods=["DELETE"])
@blp.response(204)
@blp.doc(operationId="removeWebhook")
@documented(blp, 403, 404)
def remove(endpoint_id):
    """Remove an endpoint and its delivery log"""
    _manages_webhooks()
    command("chat.delete_webhook", g.actor, endpoint_id)


@blp.route("/webhooks/<endpoint_id>/rotate-secret", methods=["POST"])
@blp.response(200, WebhookSchema)
@blp.doc(operationId="rotateWebhookSecret")
@documented(blp, 403, 404)
def rotate_secret(endpoint_id):
    """Give the endpoint a new secret; deliveries are signed with it from now on"""
    _manages_webhooks()
    return jsonify(command("chat.rotate_webhook_secret", g.actor, endpoint_id))


@blp.route("/webhooks/<endpoint_id>/deliveries")
@blp.arguments(DeliveryQuerySchema, location="query")
@blp.response(200, DeliveryPageSchema)
@blp.doc(operationId="listWebhookDeliveries")
@documented(blp, 403, 404)
def deliveries(query, endpoint_id):
    """The delivery log: each message with every attempt (status, latency, error)"""
    _manages_webhooks(reading=True)
    return jsonify(services().call("chat.webhook_deliveries", g.actor, endpoint_id, query))


@blp.route("/webhooks/<endpoint_id>/deliveries/<message_id>/redeliver", methods=["POST"])
@blp.response(202, {"type": "object"})
@blp.doc(operationId="redeliverWebhook")
@documented(blp, 403, 404)
def redeliver(endpoint_id, message_id):
    """Send a message again (with the same webhook-id)"""
    _manages_webhooks()
    return jsonify(command("chat.redeliver_webhook", g.actor, endpoint_id, message_id)), 202
