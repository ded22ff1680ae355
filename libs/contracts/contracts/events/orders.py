"""Events published by the orders service."""

from marshmallow import fields, validate

from contracts.contract import produced_by
from contracts.events.base import (
    NON_NEGATIVE,
    LineQuantity,
    Money,
    OrderPayload,
    Payload,
    of_the_order,
)
from contracts.rpc.fields import Exactly


class OrderLine(Payload):
    line_id = fields.String(required=True)
    sku = fields.String(required=True)
    description = fields.String(load_default="")
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))
    unit_price = fields.Integer(required=True, validate=NON_NEGATIVE)


class Address(Payload):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    company = fields.String(load_default="", validate=validate.Length(max=200))
    street = fields.String(required=True, validate=validate.Length(min=1, max=300))
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    postal_code = fields.String(load_default="", validate=validate.Length(max=20))
    region = fields.String(load_default="", validate=validate.Length(max=100))
    country = fields.String(
        required=True,
        validate=Exactly(r"[A-Z]{2}", "an ISO 3166 alpha-2 code such as DE"),
        metadata={"example": "DE", "pattern": "^[A-Z]{2}$"},
    )
    phone = fields.String(load_default="", validate=validate.Length(max=40))


class ShippingDetails(Payload):
    """Where and how the goods travel, as the buyer gave it when placing the order."""

    ship_to = fields.Nested(Address, required=True)
    carrier_account = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "The buyer's own carrier account number, to ship on"},
    )
    payment_terms = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200)
    )
    shipping_fee = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=NON_NEGATIVE,
        metadata={"description": "Freight the buyer pays, in minor units of the order currency"},
    )


class InspectedLine(Payload):
    line_id = fields.String(required=True)
    accepted = fields.Integer(required=True, validate=NON_NEGATIVE)
    rejected = fields.Integer(required=True, validate=NON_NEGATIVE)
    rework = fields.Integer(required=True, validate=NON_NEGATIVE)


class PaymentChoice(Payload):
    """How the buyer pays: a test card token of the payment provider, or their wallet balance.
    A card number never travels in an event."""

    method = fields.String(required=True, validate=validate.OneOf(("card", "wallet")))
    token = fields.String(
        load_default=None,
        allow_none=True,
        validate=Exactly(r"tok_[A-Za-z0-9_]{1,60}", "a provider token such as tok_visa"),
        metadata={"example": "tok_visa", "pattern": "^tok_[A-Za-z0-9_]{1,60}$"},
    )


class OrderPlaced(Money):
    buyer_user = fields.String(required=True, metadata=of_the_order("buyer_user"))
    title = fields.String(load_default="", metadata=of_the_order("title"))
    kind = fields.String(load_default=None, allow_none=True, metadata=of_the_order("kind"))
    lines = fields.List(fields.Nested(OrderLine), required=True, metadata=of_the_order("lines"))
    committed_ship_by = fields.Date(
        load_default=None, allow_none=True, metadata=of_the_order("committed_ship_by")
    )
    committed_deliver_by = fields.Date(
        load_default=None, allow_none=True, metadata=of_the_order("committed_deliver_by")
    )
    revisions_allowed = fields.Integer(
        load_default=None, allow_none=True, metadata=of_the_order("revisions_allowed")
    )
    shipping = fields.Nested(
        ShippingDetails, load_default=None, allow_none=True, metadata=of_the_order("shipping")
    )
    payment = fields.Nested(PaymentChoice, load_default=None, allow_none=True)
    awaits_approval = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Whether the order's workflow has the supplier approve it "
            "(order.approved) before anything ships"
        },
    )


class OrderApproved(OrderPayload):
    # Fulfillment opens its record from the approval alone, so the approval carries what to ship.
    lines = fields.List(fields.Nested(OrderLine), required=True, metadata=of_the_order("lines"))


class StatusChanged(OrderPayload):
    from_status = fields.String(required=True, data_key="from")
    to_status = fields.String(required=True, data_key="to")
    action = fields.String(required=True)
    group = fields.String(required=True)


class DatesChanged(OrderPayload):
    estimated_ship_by = fields.Date(allow_none=True, load_default=None)
    estimated_deliver_by = fields.Date(allow_none=True, load_default=None)
    committed_ship_by = fields.Date(allow_none=True, load_default=None)
    committed_deliver_by = fields.Date(allow_none=True, load_default=None)
    previous = fields.Dict(load_default=dict)
    reason = fields.String(required=True)
    # Whether the order is delayed after the change: an estimate back within the committed
    # delivery date clears a delay, unless that date has passed.
    delayed = fields.Boolean(load_default=False)


class OrderDelayed(OrderPayload):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(
            ("expecting_delay", "committed_date_passed", "estimate_past_committed")
        ),
    )
    committed_deliver_by = fields.Date(load_default=None, allow_none=True)
    estimated_deliver_by = fields.Date(load_default=None, allow_none=True)


class ReadyToShip(OrderPayload):
    tracking_number = fields.String(required=True)


class DeliveryFailed(Money):
    shipment_id = fields.String(required=True)
    reason = fields.String(load_default="")


class OrderAccepted(Money):
    # Accepting without an inspection accepts the whole order.
    accepted_amount = fields.Integer(
        required=True, validate=NON_NEGATIVE, metadata=of_the_order("total")
    )
    lines = fields.List(fields.Nested(InspectedLine), load_default=list)
    feedback = fields.String(load_default="", allow_none=True)


class OrderPartlyAccepted(OrderAccepted):
    lines = fields.List(fields.Nested(InspectedLine), required=True)


class OrderRejected(Money):
    reason = fields.String(load_default="", allow_none=True)
    lines = fields.List(fields.Nested(InspectedLine), load_default=list)


class ReworkRequested(OrderPayload):
    feedback = fields.String(load_default="", allow_none=True)
    lines = fields.List(fields.Nested(InspectedLine), load_default=list)


class OrderCancelled(Money):
    by = fields.String(required=True)
    reason = fields.String(load_default="", allow_none=True)
    counts_against_supplier = fields.Boolean(load_default=False)


class DeliverySubmitted(OrderPayload):
    number = fields.Integer(required=True)
    delivery_type = fields.String(
        required=True, data_key="type", validate=validate.OneOf(("draft", "final"))
    )
    description = fields.String(load_default="")
    attachments = fields.List(fields.Raw(), load_default=list)


class RevisionRequested(OrderPayload):
    instructions = fields.String(required=True)
    revisions_used = fields.Integer(required=True)
    revisions_allowed = fields.Integer(required=True, allow_none=True)


class CancellationRequested(OrderPayload):
    reason = fields.String(required=True)
    description = fields.String(load_default="")


class CancellationRejected(CancellationRequested):
    response = fields.String(load_default="", allow_none=True)


class ReturnRequested(OrderPayload):
    reason = fields.String(load_default="", allow_none=True)
    description = fields.String(load_default="", allow_none=True)


class OrderReturned(Money):
    lines = fields.List(fields.Nested(LineQuantity), required=True)
    returned_amount = fields.Integer(required=True, validate=NON_NEGATIVE)


class ReviewPosted(OrderPayload):
    reviewer_role = fields.String(required=True)
    rating = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="")


_orders = produced_by("orders")


CONTRACTS = [
    _orders(
        "order.placed",
        OrderPlaced,
        "A buyer placed an order; its funds are to be held.",
        ["fulfillment", "payments", "disputes", "chat", "profiles"],
    ),
    _orders(
        "order.status_changed",
        StatusChanged,
        "The order moved to another state.",
        ["disputes", "chat"],
    ),
    _orders(
        "order.approved",
        OrderApproved,
        "The supplier approved the order; fulfillment opens a record for it.",
        ["fulfillment", "profiles"],
    ),
    _orders(
        "order.dates_changed", DatesChanged, "The supplier changed the estimated dates.", ["chat"]
    ),
    _orders(
        "order.delayed",
        OrderDelayed,
        "The order is late, or expected to be, against its committed dates.",
        ["chat"],
    ),
    _orders(
        "order.ready_to_ship",
        ReadyToShip,
        "The seller labelled the parcel; it carries the tracking number.",
        ["fulfillment", "chat"],
    ),
    _orders(
        "order.delivered",
        OrderPayload,
        "Every ordered quantity reached the buyer, or the buyer confirmed receipt.",
        ["profiles"],
    ),
    _orders(
        "order.delivery_failed",
        DeliveryFailed,
        "The carrier could not deliver the order; the buyer is to be refunded.",
        ["payments", "chat"],
    ),
    _orders(
        "order.accepted",
        OrderAccepted,
        "The buyer (or the system, when the inspection window closed) accepted the order; "
        "the funds are to be released.",
        ["payments", "chat", "profiles"],
    ),
    _orders(
        "order.partly_accepted",
        OrderPartlyAccepted,
        "The buyer accepted part of the order: release accepted_amount, refund the rest.",
        ["payments", "chat", "profiles"],
    ),
    _orders(
        "order.rejected",
        OrderRejected,
        "The buyer rejected the order at inspection.",
        ["payments", "chat", "profiles"],
    ),
    _orders(
        "order.rework_requested",
        ReworkRequested,
        "The buyer sent parts back for re-work: they are made and shipped again.",
        ["fulfillment", "chat", "profiles"],
    ),
    _orders("order.completed", OrderPayload, "The order reached its successful end.", ["profiles"]),
    _orders(
        "order.cancelled",
        OrderCancelled,
        "The order was cancelled; held funds are to be refunded.",
        ["fulfillment", "payments", "chat", "profiles"],
    ),
    _orders(
        "order.delivery_submitted",
        DeliverySubmitted,
        "A freelancer submitted draft work or a final delivery.",
        ["chat"],
    ),
    _orders(
        "order.revision_requested",
        RevisionRequested,
        "The employer asked for a revision of a delivery.",
        ["chat"],
    ),
    _orders(
        "order.cancellation_requested",
        CancellationRequested,
        "The buyer asked the supplier to cancel the order.",
        ["chat"],
    ),
    _orders(
        "order.cancellation_rejected",
        CancellationRejected,
        "The supplier refused a cancellation request; the order stays active.",
        ["chat"],
    ),
    _orders(
        "order.return_requested", ReturnRequested, "The buyer asked to return the goods.", ["chat"]
    ),
    _orders(
        "order.return_requested",
        ReturnRequested,
        "The buyer asked to return the goods.",
        ["fulfillment", "chat"],
    ),
    _orders(
        "order.returned",
        OrderReturned,
        "Returned goods reached the warehouse: refund returned_amount, release the rest.",
        ["payments", "chat"],
    ),
    _orders(
        "review.posted",
        ReviewPosted,
        "A party reviewed the other after the order.",
        ["profiles"],
    ),
]
