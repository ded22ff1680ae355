"""Events published by the fulfillment service."""

from collections.abc import Sequence

from marshmallow import fields

from contracts.contract import EventContract
from contracts.events.base import LineQuantity, Payload


class ShipmentPayload(Payload):
    order_id = fields.String(required=True)
    shipment_id = fields.String(required=True)


class FulfillmentOpened(Payload):
    order_id = fields.String(required=True)
    fulfillment_id = fields.String(required=True)


class ParcelEvent(ShipmentPayload):
    """``lines`` absent means every quantity not yet shipped (or delivered)."""

    tracking_number = fields.String(required=True)
    carrier = fields.String(load_default="")
    lines = fields.List(fields.Nested(LineQuantity))


class ParcelScanned(ParcelEvent):
    location = fields.String(load_default="")
    location_kind = fields.String(load_default="", metadata={"example": "sorting_centre"})
    scan_id = fields.String(metadata={"description": "the carrier's event id"})


class ParcelDeliveryFailed(ParcelEvent):
    reason = fields.String(load_default="")


class ReturnReceived(Payload):
    """``lines`` absent means everything delivered and not yet returned."""

    order_id = fields.String(required=True)
    return_id = fields.String(required=True)
    lines = fields.List(fields.Nested(LineQuantity))
    wrong_item = fields.Boolean(load_default=False)


class DocumentUploaded(Payload):
    order_id = fields.String(required=True)
    document_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"example": "inspection_report"})


def _fulfillment(
    name: str, schema: type[Payload], summary: str, consumers: Sequence[str] = ()
) -> EventContract:
    return EventContract(name, "fulfillment", summary, {1: schema}, tuple(consumers))


CONTRACTS = [
    _fulfillment(
        "fulfillment.opened",
        FulfillmentOpened,
        "A fulfilment record was opened for an approved order.",
    ),
    _fulfillment(
        "shipment.created",
        ParcelEvent,
        "A (partial) shipment got its lines and tracking number.",
        ["orders"],
    ),
    _fulfillment("parcel.scanned", ParcelScanned, "A carrier scanned a parcel.", ["orders"]),
    _fulfillment("parcel.delivered", ParcelEvent, "A carrier delivered a parcel.", ["orders"]),
    _fulfillment(
        "parcel.delivery_failed",
        ParcelDeliveryFailed,
        "A carrier could not deliver a parcel.",
        ["orders"],
    ),
    _fulfillment(
        "return.received",
        ReturnReceived,
        "Returned goods reached the warehouse.",
        ["orders", "disputes"],
    ),
    _fulfillment(
        "document.uploaded",
        DocumentUploaded,
        "A quality document (inspection report, certificate...) was attached.",
        ["orders"],
    ),
]
