"""Which events people hear about, who hears, and what the notification says. Pure.

Adding an event to the feed is one line in ``NOTICES`` (and ``chat`` among the event's consumers
in its contract): the service subscribes to every event named here.
"""

from dataclasses import dataclass

from chat.conversations import STAFF, Audience
from contracts.money import minor_unit_digits

BUYER, SUPPLIER = "buyer", "supplier"


@dataclass(frozen=True)
class Notice:
    audiences: tuple[str, ...]  # buyer, supplier, staff: the parties of the event's order
    title: str  # str.format over the order ({title}) and the payload; missing fields are blank


NOTICES = {
    "order.placed": Notice((SUPPLIER,), "New order {title}: approve it"),
    "order.status_changed": Notice((BUYER,), "Order {title} is now {to_status}"),
    "order.dates_changed": Notice((BUYER,), "Order {title} has new estimated dates: {reason}"),
    "order.delayed": Notice((BUYER, SUPPLIER, STAFF), "Order {title} is delayed ({kind})"),
    "order.ready_to_ship": Notice((BUYER,), "Order {title} is labelled: {tracking_number}"),
    "order.delivery_failed": Notice((BUYER, SUPPLIER), "Order {title} could not be delivered"),
    "order.accepted": Notice((SUPPLIER,), "The buyer accepted order {title}"),
    "order.partly_accepted": Notice((SUPPLIER,), "The buyer accepted part of order {title}"),
    "order.rejected": Notice((SUPPLIER, STAFF), "The buyer rejected order {title}"),
    "order.rework_requested": Notice((SUPPLIER,), "The buyer asks for re-work on {title}"),
    "order.cancelled": Notice((BUYER, SUPPLIER), "Order {title} was cancelled"),
    "order.delivery_submitted": Notice((BUYER,), "A {delivery_type} delivery of {title} is in"),
    "order.revision_requested": Notice((SUPPLIER,), "The buyer asks for a revision of {title}"),
    "order.cancellation_requested": Notice(
        (SUPPLIER,), "The buyer asks to cancel order {title}: {reason}"
    ),
    "order.cancellation_rejected": Notice((BUYER,), "The supplier refused to cancel order {title}"),
    "order.return_requested": Notice((SUPPLIER,), "The buyer asks to return order {title}"),
    "order.returned": Notice((BUYER, SUPPLIER), "The return of order {title} was received"),
    "shipment.created": Notice((BUYER,), "Order {title} shipped: tracking {tracking_number}"),
    "shipment.tracking_changed": Notice(
        (BUYER,), "Order {title} now tracks as {tracking_number} (was {previous_tracking_number})"
    ),
    "parcel.scanned": Notice((BUYER,), "Parcel {tracking_number} scanned {location}"),
    "parcel.delivered": Notice((BUYER, SUPPLIER), "Parcel {tracking_number} was delivered"),
    "parcel.delivery_failed": Notice(
        (BUYER, SUPPLIER), "Parcel {tracking_number} could not be delivered: {reason}"
    ),
    "document.uploaded": Notice((BUYER,), "A document ({kind}) was added to order {title}"),
    "payment.held": Notice((BUYER, SUPPLIER), "{money} for order {title} is held in escrow"),
    "payment.failed": Notice((BUYER,), "The payment for order {title} failed: {reason}"),
    "payment.released": Notice((SUPPLIER,), "{money} for order {title} was released to you"),
    "payment.refunded": Notice((BUYER,), "{money} for order {title} was refunded to you"),
    "parcel.unscanned": Notice(
        (SUPPLIER, STAFF), "Parcel {tracking_number} of order {title} has not been scanned yet"
    ),
    "dispute.opened": Notice((BUYER, SUPPLIER, STAFF), "A dispute was opened on order {title}"),
    "dispute.withdrawn": Notice(
        (BUYER, SUPPLIER, STAFF), "The dispute on order {title} was withdrawn"
    ),
    "dispute.escalated": Notice(
        (BUYER, SUPPLIER, STAFF), "The dispute on order {title} went to staff"
    ),
    "dispute.resolved": Notice((BUYER, SUPPLIER), "The dispute on order {title} was resolved"),
    "claim.opened": Notice((STAFF,), "A claim was opened on order {title}"),
    "claim.approved": Notice((SUPPLIER,), "Your claim on order {title} was approved"),
    "claim.rejected": Notice((SUPPLIER,), "Your claim on order {title} was rejected: {reason}"),
}


class _Blank(dict):
    def __missing__(self, key):
        return ""


def title_of(notice: Notice, order: dict, data: dict) -> str:
    values = _Blank({**order, **data})
    if "amount" in data and "currency" in data:
        values["money"] = money(data["amount"], data["currency"])
    return " ".join(notice.title.format_map(values).split())[:300]


def audiences_of(notice: Notice, order: dict) -> list[Audience]:
    return [
        Audience(STAFF) if role == STAFF else Audience(role, order[f"{role}_org"])
        for role in notice.audiences
    ]


def money(minor_units: int, currency: str) -> str:
    digits = minor_unit_digits(currency)
    return f"{currency} {minor_units / 10**digits:,.{digits}f}"


def link_to(order_id: str) -> str:
    return f"/api/v1/orders/{order_id}"
