"""Events published by the fulfillment service."""

from marshmallow import fields

from contracts.contract import produced_by
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


class TrackingChanged(ParcelEvent):
    previous_tracking_number = fields.String(required=True)
    previous_carrier = fields.String(load_default="")
    # ISO-8601 in UTC, as text: consumers compare it with the last one they applied.
    changed_at = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "When the supplier changed it: a later correction wins"},
    )


class ParcelUnscanned(ParcelEvent):
    handed_over_at = fields.DateTime(required=True)
    due_at = fields.DateTime(
        required=True, metadata={"description": "when the first scan was due at the latest"}
    )


class ReturnReceived(Payload):
    """``lines`` absent means everything delivered and not yet returned."""

    order_id = fields.String(required=True)
    return_id = fields.String(required=True)
    lines = fields.List(fields.Nested(LineQuantity))
    wrong_item = fields.Boolean(load_default=False)
    note = fields.String(load_default="")
    photos = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "ids of the documents holding the photos taken at pick-up"},
    )


DOCUMENT_KINDS = (
    "inspection_report",
    "material_certificate",
    "coc",
    "finishing_certificate",
    "part_photo",
    "return_photo",
    "invoice",
    "other",
)


class DocumentUploaded(Payload):
    order_id = fields.String(required=True)
    document_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"example": "inspection_report"})


_fulfillment = produced_by("fulfillment")


CONTRACTS = [
    _fulfillment(
        "fulfillment.opened",
        FulfillmentOpened,
        "A fulfilment record was opened for a placed or approved order.",
    ),
    _fulfillment(
        "shipment.created",
        ParcelEvent,
        "A (partial) shipment got its lines and tracking number.",
        ["orders", "chat"],
    ),
    _fulfillment(
        "shipment.tracking_changed",
        TrackingChanged,
        "The supplier corrected a handed-over shipment's carrier or tracking number before the "
        "carrier's first scan.",
        ["orders", "chat"],
    ),
    _fulfillment(
        "parcel.scanned", ParcelScanned, "A carrier scanned a parcel.", ["orders", "chat"]
    ),
    _fulfillment(
        "parcel.delivered", ParcelEvent, "A carrier delivered a parcel.", ["orders", "chat"]
    ),
    _fulfillment(
        "parcel.delivery_failed",
        ParcelDeliveryFailed,
        "A carrier could not deliver a parcel.",
        ["orders", "chat"],
    ),
    _fulfillment(
        "parcel.unscanned",
        ParcelUnscanned,
        "A parcel handed to the carrier was not scanned within the configured workdays.",
        ["disputes", "chat"],
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
        ["orders", "chat"],
    ),
]
