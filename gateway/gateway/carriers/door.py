"""``/api/v1/carriers``: scan webhooks, authenticated by signature instead of a bearer token.

The signature is checked over the raw body before anything parses it, then every format is
translated into our scans and validated: a bad request is answered 401 or 422 at once, and
nothing is published. Good scans are published as ``carrier.scans_received`` (with the other
deliveries of the moment, ``gateway.carriers.deliveries``) and answered 202 once the broker has
confirmed them; fulfillment consumes them. A carrier that gets no 202 retries, and a
retried or replayed scan has no second effect (fulfillment's dedupe key). See
docs/adr/0011-carrier-webhooks.md and docs/adr/0022-scans-accepted-on-a-broker-confirm.md.
"""

import json
import logging
import re
import time
import uuid

from flask import current_app, g, jsonify, request

from contracts.events.gateway import MAX_CARRIER
from contracts.scans import CarrierScan, CarrierScanBatch
from gateway import limits
from gateway.blueprint import Blueprint
from gateway.carriers import aftership, easypost, secrets, signatures
from gateway.carriers.deliveries import Deliveries
from gateway.fulfillment_schemas import ScanReceiptSchema
from gateway.openapi import documented
from gateway.problems import Problem

# A batch of MAX_BATCH scans fits with room to spare.
MAX_BODY_BYTES = 2 * 1024 * 1024
log = logging.getLogger(__name__)
CARRIER_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")


def _json_body(description: str, example: dict) -> dict:
    """An OpenAPI request body a format adapter reads itself (after the signature)."""
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": {"type": "object"}, "example": example}},
    }


AFTERSHIP_EXAMPLE = {
    "event": "tracking_update",
    "msg": {
        "tracking_number": "JG-NJS-3193",
        "slug": "seko",
        "checkpoints": [
            {
                "checkpoint_time": "2031-03-07T10:00:00+01:00",
                "tag": "InTransit",
                "subtag": "InTransit_003",
                "city": "Shenzhen",
                "country_iso3": "CHN",
                "message": "Arrived at the sorting center",
            }
        ],
    },
}
EASYPOST_EXAMPLE = {
    "object": "Event",
    "description": "tracker.updated",
    "result": {
        "object": "Tracker",
        "tracking_code": "EZ1000000001",
        "carrier": "USPS",
        "tracking_details": [
            {
                "status": "in_transit",
                "status_detail": "arrived_at_facility",
                "datetime": "2031-03-07T18:00:00Z",
                "message": "Arrived at USPS Regional Facility",
                "tracking_location": {"city": "Memphis", "state": "TN", "country": "US"},
            }
        ],
    },
}


def _header(name: str, description: str) -> dict:
    """An OpenAPI header parameter a signed request must carry."""
    return {
        "in": "header",
        "name": name,
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


SIGNED_HEADERS = [
    _header(
        "X-Carrier-Timestamp", "Unix seconds when the request was signed; refused beyond 300 s"
    ),
    _header(
        "X-Carrier-Signature",
        'sha256=<hex HMAC-SHA256 of "<timestamp>." followed by the raw body>, keyed with the '
        "carrier's secret",
    ),
]

blp = Blueprint(
    "carriers",
    __name__,
    url_prefix="/api/v1/carriers",
    description="Carrier scan webhooks: signed by the carrier, no bearer token",
)
# The gateway's own checks of a body (limits.check_body) wait for the signature.
blp.signed_bodies = True


@blp.before_request
def verify_signature():
    request.max_content_length = MAX_BODY_BYTES
    body = request.get_data(cache=True)
    settings = current_app.config
    endpoint = request.endpoint.rpartition(".")[2]
    try:
        if endpoint == "aftership_webhook":
            signatures.aftership(
                settings.get("AFTERSHIP_WEBHOOK_SECRETS", ()),
                request.headers.get("aftership-hmac-sha256"),
                body,
            )
        elif endpoint == "easypost_webhook":
            signatures.easypost(
                settings.get("EASYPOST_WEBHOOK_SECRETS", ()),
                request.headers.get("X-Hmac-Signature"),
                body,
            )
        else:
            signatures.generic(
                secrets.for_carrier(settings, _carrier()),
                request.headers.get("X-Carrier-Timestamp"),
                request.headers.get("X-Carrier-Signature"),
                body,
                time.time(),
            )
    except signatures.SignatureInvalid as error:
        raise Problem(401, "Signature invalid", str(error), slug="signature-invalid") from None
    limits.check_body()


@blp.route("/<carrier>/scans", methods=["POST"])
@blp.doc(security=[], parameters=SIGNED_HEADERS, operationId="postCarrierScan")
@blp.arguments(CarrierScan)
@blp.response(202, ScanReceiptSchema)
@documented(blp, 404)
def scan(_scan, carrier):
    """One scan, in our generic format"""
    return _record(carrier, [request.get_json()])


@blp.route("/<carrier>/scans/batch", methods=["POST"])
@blp.doc(security=[], parameters=SIGNED_HEADERS, operationId="postCarrierScanBatch")
@blp.arguments(CarrierScanBatch)
@blp.response(202, ScanReceiptSchema)
@documented(blp, 404)
def scan_batch(_batch, carrier):
    """Many scans in one request (up to 1000), in our generic format"""
    return _record(carrier, request.get_json()["scans"])


@blp.route("/aftership", methods=["POST"])
@blp.doc(
    security=[],
    operationId="postAfterShipWebhook",
    requestBody=_json_body(
        "AfterShip's tracking webhook: each checkpoint of msg becomes a scan", AFTERSHIP_EXAMPLE
    ),
    parameters=[
        _header(
            "aftership-hmac-sha256",
            "base64 HMAC-SHA256 of the raw body, keyed with the webhook secret",
        )
    ],
)
@blp.response(202, ScanReceiptSchema)
@documented(blp)
def aftership_webhook():
    """AfterShip tracking updates: every checkpoint becomes a scan"""
    carrier, found = _translate(aftership.scans)
    return _record(carrier, found)


@blp.route("/easypost", methods=["POST"])
@blp.doc(
    security=[],
    operationId="postEasyPostWebhook",
    requestBody=_json_body("An EasyPost Event: a tracker's details become scans", EASYPOST_EXAMPLE),
    parameters=[_header("X-Hmac-Signature", "hmac-sha256-hex=<hex HMAC-SHA256 of the raw body>")],
)
@blp.response(202, ScanReceiptSchema)
@documented(blp)
def easypost_webhook():
    """EasyPost tracker.created and tracker.updated events: every tracking detail is a scan"""
    carrier, found = _translate(easypost.scans)
    return _record(carrier, found)


def _carrier() -> str:
    carrier = (request.view_args or {}).get("carrier", "")
    if not CARRIER_SLUG.match(carrier):
        raise Problem(404, "Not found", "carriers are named in lower case: a-z, 0-9 and -")
    return carrier


def _translate(adapter):
    try:
        carrier, found = adapter(json.loads(request.get_data(cache=True)))
    except (ValueError, TypeError, AttributeError) as error:
        raise Problem(
            422, "Invalid request", f"not a body this door understands: {error}"
        ) from None
    errors = CarrierScan(many=True).validate(found)
    if errors:
        raise Problem(422, "Invalid request", "the scans are not valid; see errors", errors=errors)
    carrier = carrier.lower()
    if not 0 < len(carrier) <= MAX_CARRIER:
        raise Problem(
            422, "Invalid request", f"the carrier is named in 1 to {MAX_CARRIER} characters"
        )
    return carrier, found


def _record(carrier, found):
    delivery = uuid.uuid4().hex
    if found:
        log.info("carrier %s delivered %d scans as %s", carrier, len(found), delivery)
        _deliveries().send(carrier, found, delivery, g.correlation_id)
    return jsonify(accepted=len(found), delivery_id=delivery), 202


def _deliveries() -> Deliveries:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "carrier_deliveries" not in app.extensions:
        app.extensions["carrier_deliveries"] = Deliveries(app.extensions["events"])
    return app.extensions["carrier_deliveries"]
