"""Fulfillment steps of a walk through the gateway: shipments, scans, documents, delivery notes."""

import io
from datetime import UTC, datetime

from pypdf import PdfReader

from e2e.walk import page, unique
from support.carriers import Carrier
from support.waiting import eventually

SHIPPING = {
    "ship_to": {
        "name": "Zoë Ångström",
        "company": "Łódź Präzision GmbH",
        "street": "Straße des 17. Juni 135",
        "city": "Berlin",
        "postal_code": "10623",
        "country": "DE",
    },
    "carrier_account": "DHL-998877",
    "payment_terms": "Net 30",
    "shipping_fee": 2500,
}


# A manufacturing order of a few parts, for tests that only need an order to ship or attach to.
SMALL_ORDER = {
    "workflow": "manufacturing",
    "title": "Flanges",
    "currency": "EUR",
    "committed_ship_by": "2031-03-10",
    "committed_deliver_by": "2031-03-14",
    "lines": [{"sku": "FLG-1", "description": "Flange", "quantity": 10, "unit_price": 900}],
}


# A retail parcel of one kettle, for Nigeria (seed 003).
RETAIL_ORDER = {
    "workflow": "retail",
    "title": "Electric kettle",
    "currency": "NGN",
    "shipping": {**SHIPPING, "ship_to": {**SHIPPING["ship_to"], "country": "NG"}},
    "lines": [
        {"sku": "KTL-1", "description": "Electric kettle", "quantity": 1, "unit_price": 1500000}
    ],
}


def carrier(system, name="CARRIER_WEBHOOK_SECRET") -> Carrier:
    return Carrier(system.api_url, system.env[name])


def scan(tracking, status, at=None, event_id="", **more):
    return {
        "event_id": event_id,
        "tracking_number": tracking,
        "status": status,
        "occurred_at": (at or datetime.now(UTC)).isoformat(),
        **more,
    }


def known_to_fulfillment(client, order_id):
    """Wait until fulfillment has the order from orders' events, and its approval when the
    workflow has one: until then a shipment is refused."""

    def ready():
        section = client.get(f"/orders/{order_id}").json().get("fulfillment")
        return section is not None and not section["awaits_approval"]

    eventually(ready)


def ship(client, order_id, lines, tracking, carrier_name="dhl", hand_over=True):
    response = client.post(
        f"/orders/{order_id}/shipments",
        {
            "lines": lines,
            "carrier": carrier_name,
            "tracking_number": tracking,
            "hand_over": hand_over,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def upload(client, order_id, kind, filename, data):
    return client.session.post(
        f"{client.api_url}/orders/{order_id}/documents",
        data={"kind": kind},
        files={"file": (filename, data)},
        timeout=30,
    )


def shipments(client, order_id):
    response = client.get(f"/orders/{order_id}/shipments")
    assert response.status_code == 200, response.text
    return response.json()


def returns_of(client, order_id):
    """The order's returns, once fulfillment has heard of one."""
    return eventually(lambda: page(client, order_id)["fulfillment"]["returns"])


def tracking_number() -> str:
    return unique("TRK").upper()


def pdf_text(response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)
