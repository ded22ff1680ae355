"""Bad input through the real server (eventlet) and services: a clear 4xx problem, nothing
changed. The gateway's own tests cover each kind of input; these cover what only the running
system shows: eventlet's limits, the orders service's answers and what the database keeps."""

from datetime import datetime

import pytest
import requests

from e2e.walk import PROBLEM
from support.orders import MANUFACTURING_ORDER as ORDER
from support.waiting import eventually


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["status"] == status
    return response.json()


def orders_of(user):
    return user.get("/orders").json()["items"]


@pytest.mark.parametrize("length", [9_000, 20_000], ids=["past our limit", "past eventlet's"])
def test_a_long_url_is_a_414_problem(system, length):
    response = requests.get(f"{system.api_url}/orders?q={'x' * length}", timeout=15)

    assert_problem(response, 414)


def test_a_large_body_is_a_413_problem_and_places_nothing(market):
    market = market("big-body")
    body = {**ORDER, "supplier_org": market.supplier.org, "title": "x" * (2 * 1024 * 1024)}

    assert_problem(market.buyer.post("/orders", body), 413)
    assert orders_of(market.buyer) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Brackets\x00"},
        {"currency": "EUR\n"},
        {"lines": [{"sku": "A", "quantity": 10**30, "unit_price": 1}]},
        {"lines": [{"sku": "A", "quantity": 1, "unit_price": 2**63}]},
    ],
    ids=["NUL", "currency newline", "1e30", "2^63"],
)
def test_an_invalid_order_is_a_422_and_places_nothing(market, changes):
    market = market("invalid")

    response = market.buyer.post(
        "/orders", {**ORDER, "supplier_org": market.supplier.org, **changes}
    )

    assert_problem(response, 422)
    assert orders_of(market.buyer) == []


def test_if_match_follows_rfc_9110(market):
    market = market("if-match")
    order = market.place(ORDER)

    stale = market.supplier.act(order["id"], "approve", headers={"If-Match": '"9"'})
    assert assert_problem(stale, 412)["version"] == 1
    assert market.supplier.get(f"/orders/{order['id']}").json()["order"]["version"] == 1

    approved = market.supplier.act(order["id"], "approve", headers={"If-Match": "*"})
    assert approved.status_code == 200 and approved.headers["ETag"] == '"2"'


def test_a_1_mb_reason_is_refused_and_the_timeline_keeps_nothing_of_it(market):
    market = market("reason")
    order = market.place(ORDER)
    market.supplier.act(order["id"], "approve")
    timeline = market.buyer.get(f"/orders/{order['id']}/timeline").json()

    response = market.supplier.act(
        order["id"],
        "update_estimate",
        {"estimated_deliver_by": "2031-04-01", "reason": "x" * 10**6},
    )

    assert response.status_code in (413, 422)
    assert market.buyer.get(f"/orders/{order['id']}/timeline").json() == timeline
    assert all(datetime.fromisoformat(entry["at"]).utcoffset() is not None for entry in timeline)


def test_list_items_have_the_shape_of_the_order(market):
    market = market("shape")
    order = market.place(ORDER)

    (item,) = orders_of(market.supplier)
    single = market.supplier.get(f"/orders/{order['id']}").json()["order"]

    assert item == single
    assert {"status_group", "allowed_actions", "placed_at", "updated_at"} <= set(item)


@pytest.mark.parametrize(
    "body", ["a message as a bare string", ["a", "list"]], ids=["string", "list"]
)
def test_a_message_body_that_is_not_an_object_is_a_422_and_stores_nothing(market, body):
    market = market("bare-message")
    order = market.buyer.post("/orders", {**ORDER, "supplier_org": market.supplier.org}).json()
    messages = f"/orders/{order['id']}/conversations/order/messages"
    eventually(lambda: market.buyer.get(messages).status_code == 200)  # chat has heard of it

    assert_problem(market.buyer.post(messages, body), 422)
    assert market.buyer.get(messages).json()["items"] == []
