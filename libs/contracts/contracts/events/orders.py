"""Events published by the orders service."""
from marshmallow import fields, validate

from contracts.contract import EventContract
from contracts.events.base import LineQuantity, Money, OrderPayload, Payload

ACTOR_ROLES = ("buyer", "supplier", "admin", "support", "system")


class Actor(Payload):
    user_id = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ACTOR_ROLES))
    org = fields.String(required=True)


class OrderLine(Payload):
    line_id = fields.String(required=True)
    sku = fields.String(required=True)
    description = fields.String(load_default="")
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))
    unit_price = fields.Integer(required=True, validate=validate.Range(min=0))


class OrderPlaced(Money):
    buyer_user = fields.String(required=True)
    title = fields.String(load_default="")
    lines = fields.List(fields.Nested(OrderLine), required=True)
    placed_at = fields.DateTime(required=True)


class OrderChanged(OrderPayload):
    """Any order event that is only about who did what to the order."""

    actor = fields.Nested(Actor, load_default=None)


class OrderApproved(OrderChanged):
    lines = fields.List(fields.Nested(OrderLine), required=True)


class StatusChanged(OrderChanged):
    from_status = fields.String(required=True, data_key="from")
    to_status = fields.String(required=True, data_key="to")


class OrderCancelled(Money, OrderChanged):
    by = fields.String(required=True)
    reason = fields.String(load_default="")


class OrderSettled(Money, OrderChanged):
    """Accepted, rejected: the whole amount is released, or refunded."""


class OrderPartlyAccepted(Money, OrderChanged):
    accepted_amount = fields.Integer(required=True, validate=validate.Range(min=0))
    lines = fields.List(fields.Dict(), required=True)


class DeliverySubmitted(OrderChanged):
    delivery_type = fields.String(required=True, data_key="type")
    description = fields.String(load_default="")
    attachments = fields.List(fields.Raw(), load_default=list)


class RevisionRequested(OrderChanged):
    instructions = fields.String(required=True)


class CancellationRequested(OrderChanged):
    reason = fields.String(required=True)
    description = fields.String(load_default="")


class OrderDelayed(OrderChanged):
    kind = fields.String(required=True, validate=validate.OneOf(("delayed", "expecting_delay")))


class DatesChanged(OrderChanged):
    reason = fields.String(load_default="")


class ReviewPosted(OrderChanged):
    rating = fields.Integer(load_default=None)
    comment = fields.String(load_default="")


def _orders(name, schema, summary, consumers=()):
    return EventContract(name, "orders", summary, {1: schema}, tuple(consumers))


CONTRACTS = [
    _orders("order.placed", OrderPlaced, "A buyer checked out an order; funds are to be held.",
            ()),
    _orders("order.approved", OrderApproved,
            "The supplier confirmed the order; fulfilment opens a record for it.",
            ["fulfillment"]),
    _orders("order.status_changed", StatusChanged, "The order moved from one status to another.",
            ()),
    _orders("order.cancelled", OrderCancelled, "The order was cancelled; held funds are refunded.",
            ["fulfillment"]),
    _orders("order.accepted", OrderSettled,
            "The buyer accepted the order; funds are released to the supplier.",
            ()),
    _orders("order.partly_accepted", OrderPartlyAccepted,
            "Part of the order was accepted; the accepted amount is released, the rest refunded.",
            ()),
    _orders("order.rejected", OrderSettled, "The buyer rejected the order.",
            ()),
    _orders("order.rework_requested", OrderChanged, "The buyer asked the supplier for re-work.",
            ()),
    _orders("order.delivered", OrderChanged, "Every line of the order reached the buyer.",
            ()),
    _orders("order.completed", OrderSettled, "The order is complete; payment continues.",
            ()),
    _orders("order.delivery_submitted", DeliverySubmitted,
            "A freelancer submitted draft work or a final delivery.", ()),
    _orders("order.revision_requested", RevisionRequested,
            "The employer asked for a revision of a delivery.", ()),
    _orders("order.cancellation_requested", CancellationRequested,
            "The buyer asked the supplier to cancel the order.", ()),
    _orders("order.cancellation_rejected", OrderChanged,
            "The supplier rejected a cancellation request; the order stays active.",
            ()),
    _orders("order.delayed", OrderDelayed,
            "The order is late, or is expected to be late, against its committed dates.", ()),
    _orders("order.dates_changed", DatesChanged,
            "The supplier changed the estimated ship or delivery date.", ()),
    _orders("review.posted", ReviewPosted, "A party reviewed the other after the order.",
            ()),
]
