"""On a system of its own: the CSV export of 100,000 orders holds one page at a time (the
gateway's traced memory stays within a bound derived from exporting one page), and the order
page answers with a section null and a warning when that section's service is not running."""

import signal
import tracemalloc

import pytest

from contracts.rpc.limits import PAGE_SIZE
from e2e.walk import unique
from gateway import rpc
from gateway.app import create_app
from gateway.settings import load_settings
from gateway.tokens import mint
from support.bulk import copy_order
from support.waiting import eventually

ORDERS = 100_000
SECTION_TIMEOUT_S = 1
# Traced memory of the whole export, at most this many times that of a one-page export.
PAGES_IN_MEMORY = 4
ORDER = {
    "workflow": "retail",
    "title": "Phone case",
    "currency": "NGN",
    "lines": [{"sku": "CASE-9", "description": "Phone case", "quantity": 2, "unit_price": 4500}],
}


@pytest.fixture(scope="module")
def own_system(fresh_system):
    with fresh_system(ORDER_PAGE_SECTION_TIMEOUT=str(SECTION_TIMEOUT_S)) as running:
        yield running


@pytest.fixture(scope="module")
def seeded(own_system, client_of):
    """A buyer with 100,000 orders: one placed through the API, the rest its copies in SQL."""
    system, url_for = own_system
    buyer = client_of(system, "alice", "buyer", unique("bulk-buyer"))
    placed = buyer.post("/orders", {**ORDER, "supplier_org": unique("bulk-supplier")})
    assert placed.status_code == 201, placed.text
    copy_order(url_for("orders"), placed.json()["id"], ORDERS - 1)
    return buyer


@pytest.fixture
def in_process_gateway(own_system, tmp_path):
    """The gateway's app in this process, on the system's broker, so tracemalloc sees it."""
    system, url_for = own_system
    settings = load_settings(
        {
            "JWT_SECRET": system.env["JWT_SECRET"],
            "AMQP_URI": system.env["AMQP_URI"],
            "DATA_DIR": str(tmp_path),
            "GATEWAY_DATABASE_URL": url_for("gateway"),
        }
    )
    app = create_app(settings)
    yield app.test_client(), settings["JWT_KEY"]
    rpc.close(app)


def export(gateway, org, **params):
    """Stream the export, keeping nothing: (data rows, peak traced bytes meanwhile)."""
    client, key = gateway
    headers = {"Authorization": f"Bearer {mint('alice', 'buyer', org, 600, key)}"}
    tracemalloc.reset_peak()
    response = client.get(
        "/api/v1/orders/export.csv", query_string=params, headers=headers, buffered=False
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    newlines = 0
    for chunk in response.response:
        newlines += chunk.count(b"\n")
    response.close()
    return newlines - 1, tracemalloc.get_traced_memory()[1]


def test_exporting_100000_orders_holds_one_page_at_a_time(seeded, in_process_gateway):
    one_page_ids = [
        item["id"] for item in seeded.get("/orders", params={"limit": PAGE_SIZE}).json()["items"]
    ]
    tracemalloc.start()
    try:
        export(in_process_gateway, seeded.org, ids=one_page_ids)  # warm: proxies, imports
        rows, one_page_peak = export(in_process_gateway, seeded.org, ids=one_page_ids)
        assert rows == PAGE_SIZE
        rows, whole_peak = export(in_process_gateway, seeded.org)
    finally:
        tracemalloc.stop()

    assert rows == ORDERS
    print(f"traced peak: one page {one_page_peak} B, {ORDERS} orders {whole_peak} B")
    assert whole_peak <= PAGES_IN_MEMORY * one_page_peak


def test_a_section_whose_service_is_not_running_is_null_with_a_warning(own_system, client_of):
    system, _ = own_system
    buyer = client_of(system, "alice", "buyer", unique("down-buyer"))
    order = buyer.post("/orders", {**ORDER, "supplier_org": unique("down-supplier")}).json()
    eventually(lambda: buyer.get(f"/orders/{order['id']}").json()["chat"] is not None)
    [chat] = [child for child in system.children if child.name == "chat"]
    chat.signal(signal.SIGKILL)
    chat.proc.wait()

    response = buyer.get(f"/orders/{order['id']}")

    assert response.status_code == 200, response.text
    page = response.json()
    assert page["order"]["id"] == order["id"]
    assert page["chat"] is None
    assert page["timeline"] and page["fulfillment"] is not None
    [warning] = page["warnings"]
    assert (warning["section"], warning["status"]) == ("chat", 503)
    assert warning["type"] == "urn:marketplace:problem:service-unavailable"
    assert warning["detail"] in (
        f"The chat section did not answer within {SECTION_TIMEOUT_S} s",
        "The chat service is not running",
    )
