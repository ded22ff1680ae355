"""Shipments, delivery notes, quality documents and returns of an order, under ``/api/v1``.

The fulfillment service scopes every call to the actor (another organisation's order is a 404);
the gateway checks the parties of what it returns once more. Uploaded files are vetted and put
in the blob store here (``chassis.blobs``), then recorded by fulfillment; a download reads the
blob only after fulfillment has found the document for this actor.
"""

import base64

from flask import current_app, g, jsonify, request, url_for
from marshmallow import ValidationError

from chassis.blobs import BlobNotFound, BlobRejected, blob_store
from contracts.documents import DOCUMENTS_BLOB_NAMESPACE
from contracts.errors import NotFound
from gateway import evidence, idempotency
from gateway.auth import authenticate, may_see
from gateway.blueprint import Blueprint
from gateway.fulfillment_schemas import (
    DocumentFormSchema,
    DocumentSchema,
    DocumentUploadSchema,
    ReturnReceiptSchema,
    ReturnSchema,
    ShipmentChangeSchema,
    ShipmentRequestSchema,
    ShipmentSchema,
)
from gateway.openapi import documented
from gateway.problems import Problem
from gateway.rpc import command, services
from gateway.schemas import IdempotencyKeyHeaderSchema

# The multipart envelope around the file: boundaries, part headers, the kind field.
MULTIPART_ALLOWANCE = 64 * 1024
BINARY = {"type": "string", "format": "binary"}

blp = Blueprint(
    "fulfillment",
    __name__,
    url_prefix="/api/v1/orders/<order_id>",
    description="Shipments, delivery notes, quality documents and returns of an order",
)
blp.before_request(authenticate)
idempotency.apply_to(blp)


@blp.route("/shipments")
@blp.doc(operationId="listShipments")
@blp.response(200, ShipmentSchema(many=True))
@documented(blp, 404)
def list_shipments(order_id):
    """The order's shipments, each with its carrier scans in time order"""
    record = services().call("fulfillment.get_fulfillment", g.actor, order_id)
    if record is None or not may_see(g.actor, record):
        raise NotFound(f"order {order_id} not found")
    return jsonify(record["shipments"])


@blp.route("/shipments", methods=["POST"])
@blp.doc(operationId="createShipment")
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.arguments(ShipmentRequestSchema)
@blp.response(201, ShipmentSchema)
@documented(blp, 403, 404, 409)
def create_shipment(_headers, shipment, order_id):
    """Ship some lines (suppliers): quantities never beyond what remains to ship"""
    created = _checked(command("fulfillment.create_shipment", g.actor, order_id, shipment))
    location = url_for(".list_shipments", order_id=order_id) + "/" + created["id"]
    return jsonify(created), 201, {"Location": location}


@blp.route("/shipments/<shipment_id>", methods=["GET"])
@blp.doc(operationId="getShipment")
@blp.response(200, ShipmentSchema)
@documented(blp, 404)
def get_shipment(order_id, shipment_id):
    """One shipment with its scans"""
    return jsonify(
        _checked(services().call("fulfillment.get_shipment", g.actor, order_id, shipment_id))
    )


@blp.route("/shipments/<shipment_id>", methods=["PATCH"])
@blp.doc(operationId="changeShipment")
@blp.arguments(ShipmentChangeSchema)
@blp.response(200, ShipmentSchema)
@documented(blp, 403, 404, 409)
def change_shipment(change, order_id, shipment_id):
    """Change the carrier or tracking number, until the carrier's first scan"""
    return jsonify(
        _checked(command("fulfillment.update_shipment", g.actor, order_id, shipment_id, change))
    )


@blp.route("/shipments/<shipment_id>", methods=["DELETE"])
@blp.doc(operationId="withdrawShipment")
@blp.arguments(IdempotencyKeyHeaderSchema, location="headers")
@blp.response(204)
@documented(blp, 403, 404, 409)
def withdraw_shipment(_headers, order_id, shipment_id):
    """Withdraw a shipment not yet handed to the carrier: its quantities are left to ship"""
    command("fulfillment.withdraw_shipment", g.actor, order_id, shipment_id)
    return "", 204


@blp.route("/shipments/<shipment_id>/hand-over", methods=["POST"])
@blp.doc(operationId="handOverShipment")
@blp.response(200, ShipmentSchema)
@documented(blp, 403, 404, 409)
def hand_over(order_id, shipment_id):
    """The parcel went to the carrier: the order moves on, and the first scan is now due"""
    return jsonify(_checked(command("fulfillment.hand_over", g.actor, order_id, shipment_id)))


@blp.route("/shipments/<shipment_id>/delivery-note")
@blp.doc(operationId="getShipmentDeliveryNote")
@blp.response(200, BINARY, content_type="application/pdf", description="The delivery note (PDF)")
@documented(blp, 404)
def shipment_delivery_note(order_id, shipment_id):
    """The shipment's delivery note / packing slip, to put in the box"""
    return _pdf(services().call("fulfillment.delivery_note", g.actor, order_id, shipment_id))


@blp.route("/delivery-note")
@blp.doc(operationId="getOrderDeliveryNote")
@blp.response(200, BINARY, content_type="application/pdf", description="The delivery note (PDF)")
@documented(blp, 404)
def order_delivery_note(order_id):
    """The delivery note of the whole order"""
    return _pdf(services().call("fulfillment.delivery_note", g.actor, order_id))


@blp.route("/documents")
@blp.doc(operationId="listDocuments")
@blp.response(200, DocumentSchema(many=True))
@documented(blp, 404)
def list_documents(order_id):
    """The order's quality documents and photos"""
    return jsonify(services().call("fulfillment.list_documents", g.actor, order_id))


@blp.route("/documents", methods=["POST"])
@blp.doc(operationId="uploadDocument")
@blp.arguments(DocumentUploadSchema, location="files")
@blp.response(201, DocumentSchema)
@documented(blp, 403, 404)
def upload_document(files, order_id):
    """Attach a document (suppliers): inspection report, certificate, part photo...

    The type is read from the file's bytes, whatever its name says; photos lose their EXIF
    (location) data.
    """
    try:
        form = DocumentFormSchema().load(request.form.to_dict())
    except ValidationError as error:
        raise Problem(
            422,
            "Invalid request",
            "The request has invalid fields; see errors.",
            errors=error.messages,
        ) from None
    upload = files["file"]
    try:
        blob = _blobs().put(upload.read(), filename=upload.filename or "")
    except BlobRejected as error:
        raise Problem(
            422, "File refused", str(error), slug="file-refused", errors={"file": [str(error)]}
        ) from None
    document = command(
        "fulfillment.add_document",
        g.actor,
        order_id,
        {
            "kind": form["kind"],
            "filename": upload.filename or "",
            "blob_key": blob.key,
            "media_type": blob.media_type,
            "extension": blob.extension,
            "size": blob.size,
        },
    )
    location = url_for(".download_document", order_id=order_id, document_id=document["id"])
    return jsonify(document), 201, {"Location": location}


@blp.route("/documents/<document_id>")
@blp.doc(operationId="downloadDocument")
@blp.response(
    200,
    BINARY,
    content_type="application/octet-stream",
    description="The file as uploaded (images without their metadata), with its own type",
)
@documented(blp, 404)
def download_document(order_id, document_id):
    """Download a document"""
    document = services().call("fulfillment.get_document", g.actor, order_id, document_id)
    try:
        data = _blobs().get(document["blob_key"])
    except BlobNotFound:
        try:  # a document uploaded before documents had a namespace is at the store's root
            data = evidence.store().get(document["blob_key"])
        except BlobNotFound:
            raise NotFound(f"document {document_id} has no file") from None
    return current_app.response_class(
        data,
        mimetype=document["media_type"],
        headers={
            "Content-Disposition": _attachment(document["filename"]),
            "X-Content-Type-Options": "nosniff",
        },
    )


@blp.route("/returns/<return_id>/receive", methods=["POST"])
@blp.doc(operationId="receiveReturn")
@blp.arguments(ReturnReceiptSchema)
@blp.response(200, ReturnSchema)
@documented(blp, 403, 404, 409)
def receive_return(receipt, order_id, return_id):
    """The returned goods reached the warehouse (seller or staff); flag a wrong item with photos"""
    return jsonify(command("fulfillment.receive_return", g.actor, order_id, return_id, receipt))


@blp.before_request
def limit_uploads():
    if request.endpoint == "fulfillment.upload_document":
        limit = _blobs().max_bytes + MULTIPART_ALLOWANCE
        if (request.content_length or 0) > limit:
            raise Problem(
                413,
                "Payload too large",
                f"uploads are limited to {_blobs().max_bytes} bytes",
                slug="payload-too-large",
            )
        request.max_content_length = limit


def _blobs():
    """Fulfillment's own namespace of the store: its service sweeps uploads never recorded."""
    if "fulfillment_blobs" not in current_app.extensions:
        current_app.extensions["fulfillment_blobs"] = blob_store(
            current_app.config, namespace=DOCUMENTS_BLOB_NAMESPACE
        )
    return current_app.extensions["fulfillment_blobs"]


def _checked(shipment):
    if not may_see(g.actor, shipment):
        raise NotFound("shipment not found")
    return shipment


def _pdf(note):
    return current_app.response_class(
        base64.b64decode(note["content_base64"]),
        mimetype="application/pdf",
        headers={"Content-Disposition": _attachment(note["filename"])},
    )


def _attachment(filename: str) -> str:
    safe = "".join(c for c in filename if c.isalnum() or c in "._- ") or "download"
    return f'attachment; filename="{safe}"'
