"""The thin slice: a buyer orders, the supplier approves, fulfillment opens a record through the
``order.approved`` event on the real broker, and the order page shows it."""

import uuid

import requests

from support.components import SERVICES
from support.waiting import eventually

ORDER = {
    "workflow": "manufacturing",
    "supplier_org": "forge",
    "title": "Anodised brackets",
    "currency": "EUR",
    "committed_ship_by": "2031-03-10",
    "committed_deliver_by": "2031-03-14",
    "lines": [
        {"sku": "BRKT-7", "description": "Bracket, 6061-T6", "quantity": 40, "unit_price": 1250}
    ],
}


def test_requests_without_a_valid_token_get_401_as_a_problem(system):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = requests.get(system.api_url + "/orders", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_alive_and_ready_once_every_service_answers(system):
    assert requests.get(system.base_url + "/healthz", timeout=10).status_code == 200
    ready = requests.get(system.base_url + "/readyz", timeout=10)
    assert ready.status_code == 200
    assert sorted(ready.json()["checks"]) == SERVICES


def test_an_approved_order_shows_the_fulfillment_record_its_event_opened(as_user):
    buyer = as_user("alice", "buyer", "acme")
    supplier = as_user("sam", "supplier", "forge")

    placed = buyer.post("/orders", ORDER, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "ordered" and order["total"] == 40 * 1250

    approved = supplier.act(order["id"], "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    def fulfillment():
        page = buyer.get(f"/orders/{order['id']}").json()
        return page["fulfillment"]

    record = eventually(fulfillment)
    assert record["order_id"] == order["id"] and record["status"] == "open"
    assert [line["quantity"] for line in record["lines"]] == [40]


def test_another_organisations_order_is_not_found(as_user):
    order = as_user("alice", "buyer", "acme").post("/orders", ORDER).json()

    for outsider in (as_user("bob", "buyer", "globex"), as_user("sue", "supplier", "other-forge")):
        response = outsider.get(f"/orders/{order['id']}")
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/problem+json"
        assert outsider.act(order["id"], "approve").status_code == 404

    assert as_user("ada", "admin", "platform").get(f"/orders/{order['id']}").status_code == 200


def test_the_openapi_document_describes_the_api(system):
    spec = requests.get(system.api_url + "/openapi.json", timeout=10).json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/orders/{order_id}/actions/{action}" in spec["paths"]
    assert requests.get(system.api_url + "/docs", timeout=10).status_code == 200
