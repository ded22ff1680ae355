"""Orders under ``/api/v1``: place, list, count, the order page, its timeline, workflow actions.

The orders service scopes every query to the actor; the gateway checks each order it returns
once more, and answers 404 (never 403) for an order of another organisation.
"""

import itertools
import logging
from functools import partial

from flask import current_app, g, jsonify, stream_with_context, url_for
from marshmallow import RAISE

from contracts.errors import NotFound
from contracts.rpc.limits import PAGE_SIZE
from contracts.rpc.orders import PERFORM_ACTION, check
from gateway import idempotency
from gateway.auth import authenticate, may_see, require_role
from gateway.blueprint import Blueprint
from gateway.export import csv_chunks, export_rows, pages
from gateway.openapi import ORDER_HEADERS, PLACED_ORDER_HEADERS, SUCCESS_HEADERS, documented
from gateway.order_page import order_page
from gateway.rpc import command, concurrently, services
from gateway.schemas import (
    ActionHeadersSchema,
    ActionPayloadSchema,
    IdempotencyKeyHeaderSchema,
    OrderBoardCountsSchema,
    OrderCountQuerySchema,
    OrderExportQuerySchema,
    OrderListSchema,
    OrderPageSchema,
    OrderQuerySchema,
    OrderSchema,
    PlaceOrderSchema,
    TimelineEntrySchema,
    WorkflowSchema,
)

log = logging.getLogger(__name__)

blp = Blueprint("orders", __name__, url_prefix="/api/v1", description="Orders and their workflows")
blp.before_request(authenticate)
idempotency.apply_to(blp)

ACTION_PARAMETER = {
    "in": "path",
    "name": "action",
    "required": True,
    "schema": {"type": "string", "maxLength": 50},
    "description": "A workflow action; the order's workflow says which exist and who may take "
    "them from which state, and the order's allowed_actions lists those open now.",
    "examples": {
        name: {"value": name}
        for name in (
            "approve",
            "start_production",
            "mark_ready",
            "advance",
            "confirm_receipt",
            "accept",
            "partly_accept",
            "request_rework",
            "deliver",
            "request_revision",
            "request_cancellation",
            "cancel",
            "update_estimate",
        )
    },
}
PLACEMENT_EXAMPLES = {
    "manufacturing": {
        "value": {
            "workflow": "manufacturing",
            "supplier_org": "forge",
            "title": "Anodised brackets",
            "currency": "EUR",
            "committed_ship_by": "2031-03-10",
            "committed_deliver_by": "2031-03-14",
            "lines": [
                {"sku": "BRKT-7", "description": "Bracket", "quantity": 40, "unit_price": 1250}
            ],
        }
    },
    "services": {
        "value": {
            "workflow": "services",
            "kind": "job",
            "revisions_allowed": 2,
            "supplier_org": "studio",
            "title": "Logo design",
            "currency": "EUR",
            "lines": [{"sku": "LOGO", "quantity": 1, "unit_price": 90000}],
            "terms": {
                "scope": "A logo and its variants for a bakery chain",
                "deliverables": ["Logo (SVG, PNG)", "Monochrome variant"],
                "budget": "fixed",
                "amount": 90000,
                "start_date": "2031-03-03",
                "due_date": "2031-03-17",
                "revisions_included": 2,
            },
        }
    },
    "retail": {
        "value": {
            "workflow": "retail",
            "supplier_org": "shop",
            "title": "Mugs",
            "currency": "USD",
            "lines": [{"sku": "MUG-1", "quantity": 2, "unit_price": 1200}],
        }
    },
}
ORDER_EXAMPLE = {
    "id": "5d0c7c8e-9a55-4c5b-9f0e-3c8f2f1f8a10",
    "version": 1,
    "workflow": "manufacturing",
    "workflow_version": 1,
    "kind": None,
    "status": "ordered",
    "status_group": "active",
    "buyer_org": "acme",
    "buyer_user": "alice",
    "supplier_org": "forge",
    "title": "Anodised brackets",
    "currency": "EUR",
    "total": 50000,
    "lines": [
        {
            "line_id": "L1",
            "sku": "BRKT-7",
            "description": "Bracket",
            "quantity": 40,
            "unit_price": 1250,
            "status": None,
        }
    ],
    "placed_at": "2031-03-01T09:30:00+00:00",
    "updated_at": "2031-03-01T09:30:00+00:00",
    "committed_ship_by": "2031-03-10",
    "committed_deliver_by": "2031-03-14",
    "estimated_ship_by": "2031-03-10",
    "estimated_deliver_by": "2031-03-14",
    "allowed_actions": ["request_cancellation"],
}
ACTION_PAYLOAD_EXAMPLES = {
    "approve": {"value": {}},
    "partly_accept": {"value": {"lines": [{"line_id": "L1", "accepted": 90, "rejected": 10}]}},
    "update_estimate": {"value": {"estimated_deliver_by": "2030-05-14", "reason": "Material late"}},
}


@blp.route("/orders", methods=["POST"])
@blp.doc(operationId="placeOrder")
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(PlaceOrderSchema, examples=PLACEMENT_EXAMPLES)
@blp.response(201, OrderSchema, headers=PLACED_ORDER_HEADERS, example=ORDER_EXAMPLE)
@documented(blp, 403, 409)
def place_order(headers, order_request):
    """Place an order (buyers)"""
    require_role("buyer")
    order = command("orders.place_order", g.actor, PlaceOrderSchema().dump(order_request))
    _check_visible(order, order["id"])
    return _order_response(order, 201, Location=url_for(".get_order", order_id=order["id"]))


@blp.route("/orders")
@blp.doc(operationId="listOrders")
@blp.arguments(OrderQuerySchema, location="query", unknown=RAISE)
@blp.response(
    200,
    OrderListSchema,
    headers=SUCCESS_HEADERS,
    example={"items": [ORDER_EXAMPLE], "next_cursor": None},
)
@documented(blp)
def list_orders(query):
    """List the orders of your organisation: by status tab, text search, sort, cursor"""
    page = services().call("orders.list_orders", g.actor, query)
    visible = [order for order in page["items"] if may_see(g.actor, order)]
    if len(visible) < len(page["items"]):
        log.error("orders.list_orders returned orders of another organisation")
    return jsonify({**page, "items": visible})


@blp.route("/orders/export.csv")
@blp.doc(
    operationId="exportOrders",
    responses={
        "200": {
            "description": "CSV (RFC 4180), one row per order, with a header row",
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "headers": {
                "Content-Disposition": {
                    "schema": {"type": "string"},
                    "example": 'attachment; filename="orders.csv"',
                }
            },
        }
    },
)
@blp.arguments(OrderExportQuerySchema, location="query", unknown=RAISE)
@documented(blp)
def export_orders(query):
    """Export orders as CSV: all that the list's filters select, or the selected ids

    Streamed a page of orders at a time, so any number of orders fits: number, dates, parties,
    status, lines and SKUs, quantity, total and currency, payment and fulfillment status,
    tracking numbers. Cells that a spreadsheet would run as a formula (starting with = + - @,
    a tab or a carriage return) start with a quote. A service failing before the first rows
    is a problem; one failing later cuts the download short (the response never completes).
    """
    rpc, actor = services(), g.actor
    rows = export_rows(rpc, actor, pages(rpc, actor, query, PAGE_SIZE))
    chunks = csv_chunks(rows, flush_every=PAGE_SIZE)
    # The first page, read before answering: a wrong filter or a service down is a problem.
    first = next(chunks)
    return current_app.response_class(
        stream_with_context(itertools.chain([first], chunks)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
    )


@blp.route("/workflows")
@blp.doc(operationId="listWorkflows")
@blp.response(200, WorkflowSchema(many=True), headers=SUCCESS_HEADERS)
@documented(blp)
def list_workflows():
    """The workflows orders run on: states and their tabs, actions and who may take them"""
    return jsonify(services().call("orders.describe_workflows"))


@blp.route("/orders/counts")
@blp.doc(operationId="countOrders")
@blp.arguments(OrderCountQuerySchema, location="query", unknown=RAISE)
@blp.response(200, OrderBoardCountsSchema, headers=SUCCESS_HEADERS)
@documented(blp)
def count_orders(query):
    """Count your organisation's orders per status and group, in all and per workflow"""
    return jsonify(services().call("orders.count_orders", g.actor, query))


@blp.route("/orders/<order_id>")
@blp.doc(operationId="getOrder")
@blp.response(200, OrderPageSchema, headers=SUCCESS_HEADERS)
@documented(blp, 404)
def get_order(order_id):
    """The order page: the order with what every other service knows about it

    The sections (timeline; fulfillment: shipments with their scans, documents, returns;
    disputes; claims; payments; chat: conversations with unread counts) are fetched at once,
    each within ORDER_PAGE_SECTION_TIMEOUT (3 s). A section whose service is down or slow is
    null and named in `warnings` (problem-like entries); only the order itself is required.
    """
    return jsonify(
        order_page(
            services(),
            g.actor,
            order_id,
            current_app.config["ORDER_PAGE_SECTION_TIMEOUT"],
            check_visible=_check_visible,
        )
    )


@blp.route("/orders/<order_id>/timeline")
@blp.doc(operationId="getTimeline")
@blp.response(200, TimelineEntrySchema(many=True), headers=SUCCESS_HEADERS)
@documented(blp, 404)
def get_timeline(order_id):
    """The order's activity timeline"""
    rpc, actor = services(), g.actor
    found, failures = concurrently(
        {
            "order": partial(rpc.call, "orders.get_order", actor, order_id),
            "timeline": partial(rpc.call, "orders.get_timeline", actor, order_id),
        }
    )
    for name in ("order", "timeline"):
        if name in failures:
            raise failures[name]
    _check_visible(found["order"], order_id)
    return jsonify(found["timeline"])


@blp.route("/orders/<order_id>/actions/<action>", methods=["POST"], parameters=[ACTION_PARAMETER])
@blp.arguments(ActionHeadersSchema, location="headers")
@blp.doc(operationId="performAction")
@blp.arguments(ActionPayloadSchema, required=False, examples=ACTION_PAYLOAD_EXAMPLES)
@blp.response(200, OrderSchema, headers=ORDER_HEADERS, example=ORDER_EXAMPLE)
@documented(blp, 403, 404, 409, 412)
def perform_action(headers, payload, order_id, action):
    """Take a workflow action on the order

    One endpoint serves every workflow, since workflows are data. Send If-Match with the
    ETag you saw to fail with 412 instead of acting on an order that changed meanwhile.
    """
    request = {
        "order_id": order_id,
        "action": action,
        "payload": payload,
        "expected_version": headers.get("expected_version"),
    }
    check(PERFORM_ACTION, request)
    order = command(
        "orders.perform_action",
        g.actor,
        order_id,
        action,
        payload,
        request["expected_version"],
    )
    _check_visible(order, order_id)
    return _order_response(order)


def _check_visible(order, order_id):
    if not may_see(g.actor, order):
        log.error("the orders service returned order %s to an actor outside it", order_id)
        raise NotFound(f"Order {order_id} not found")


def _order_response(order, status=200, **headers):
    if "version" in order:
        headers["ETag"] = f'"{order["version"]}"'
    return jsonify(order), status, headers
