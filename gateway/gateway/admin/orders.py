"""Every order across organisations, for staff: the list with the public API's filters and tabs,
the whole order in one place, workflow actions as admin, and committed dates moved with a reason.
"""

from flask import current_app, g, jsonify
from marshmallow import Schema, fields, validate

from gateway.admin.auth import require_admin
from gateway.admin.blueprints import staff_blueprint
from gateway.openapi import REPLAYABLE_HEADERS, SUCCESS_HEADERS, documented
from gateway.order_page import order_page
from gateway.rpc import command, services
from gateway.schemas import (
    ActionHeadersSchema,
    ActionPayloadSchema,
    OrderCountsSchema,
    OrderListSchema,
    OrderPageSchema,
    OrderQuerySchema,
    OrderSchema,
)

blp = staff_blueprint("admin_orders", __name__, "Every order, for staff")


class CommitmentsSchema(Schema):
    committed_ship_by = fields.Date()
    committed_deliver_by = fields.Date()
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"example": "The customer asked to halt production for a week"},
    )


@blp.route("/orders")
@blp.arguments(OrderQuerySchema, location="query")
@blp.response(200, OrderListSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminListOrders")
@documented(blp)
def list_orders(query):
    """Every organisation's orders: by status tab, text search, sort, cursor"""
    return jsonify(services().call("orders.list_orders", g.actor, query))


@blp.route("/orders/counts")
@blp.response(200, OrderCountsSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminCountOrders")
@documented(blp)
def count_orders():
    """Orders per status and group, across organisations"""
    return jsonify(services().call("orders.count_orders", g.actor))


@blp.route("/orders/<order_id>")
@blp.response(200, OrderPageSchema, headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminGetOrder")
@documented(blp, 404)
def get_order(order_id):
    """The whole order in one place: timeline, shipments, disputes... fetched at once"""
    page = order_page(
        services(), g.actor, order_id, current_app.config["ORDER_PAGE_SECTION_TIMEOUT"]
    )
    return jsonify(page)


@blp.route("/orders/<order_id>/actions/<action>", methods=["POST"])
@blp.arguments(ActionHeadersSchema, location="headers")
@blp.arguments(ActionPayloadSchema, required=False)
@blp.response(200, OrderSchema, headers=REPLAYABLE_HEADERS)
@blp.doc(operationId="adminPerformAction")
@documented(blp, 403, 404, 409)
def perform_action(headers, payload, order_id, action):
    """Take a workflow action on the order as admin (complete, cancel...); give a reason"""
    require_admin()
    order = command(
        "orders.perform_action",
        g.actor,
        order_id,
        action,
        payload,
        headers.get("expected_version"),
    )
    return jsonify(order), 200, {"ETag": f'"{order["version"]}"'}


@blp.route("/orders/<order_id>/commitments", methods=["POST"])
@blp.arguments(ActionHeadersSchema, location="headers")
@blp.arguments(CommitmentsSchema)
@blp.response(200, OrderSchema, headers=REPLAYABLE_HEADERS)
@blp.doc(operationId="adminChangeCommitments")
@documented(blp, 403, 404, 409)
def change_commitments(headers, request, order_id):
    """Move the committed shipping and delivery dates, with the reason (admins; seed 000)"""
    require_admin()
    order = command(
        "orders.perform_action",
        g.actor,
        order_id,
        "change_commitments",
        CommitmentsSchema().dump(request),
        headers.get("expected_version"),
    )
    return jsonify(order), 200, {"ETag": f'"{order["version"]}"'}
