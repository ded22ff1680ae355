"""The orders service checks its RPC input against the shared contracts at its own door, so a
limit holds whoever calls: bad input is InvalidRequest and changes nothing."""

import base64
from datetime import datetime

import pytest

from contracts.errors import InvalidRequest, PreconditionFailed
from contracts.rpc.limits import LIMITS
from orders.models import activities, metadata, orders
from orders.service import OrdersService
from support.databases import migrate
from support.orders import MANUFACTURING_ORDER as ORDER
from support.services import BUYER, SUPPLIER, count, rpc

outbox = metadata.tables["outbox"]

LINE = ORDER["lines"][0]


@pytest.fixture
def orders_service(container_factory, service_config, declared_topology):
    config = service_config("orders")
    container_factory(OrdersService, config).start()
    return config


def rows(config):
    url = config["DATABASE_URL"]
    return count(url, orders), count(url, activities), count(url, outbox)


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Brackets\x00"},
        {"currency": "EUR\n"},
        {"supplier_org": "f" * 101},
        {"lines": [{**LINE, "quantity": 10**30}]},
        {"lines": [{**LINE, "unit_price": 2**63}]},
        {"lines": [LINE] * (LIMITS.max_order_lines + 1)},
        {"committed_deliver_by": "9999-12-31"},
    ],
    ids=["NUL", "currency newline", "long supplier", "1e30", "2^63", "too many lines", "year 9999"],
)
def test_a_placement_past_a_limit_is_refused_and_stores_nothing(orders_service, changes):
    with rpc(orders_service) as proxy, pytest.raises(InvalidRequest):
        proxy.orders.place_order(BUYER, {**ORDER, **changes})

    assert rows(orders_service) == (0, 0, 0)


def test_an_actor_no_column_holds_is_refused(orders_service):
    with rpc(orders_service) as proxy, pytest.raises(InvalidRequest):
        proxy.orders.place_order({**BUYER, "org": "o" * 101}, ORDER)

    assert rows(orders_service) == (0, 0, 0)


def test_an_action_past_a_limit_changes_nothing(orders_service):
    with rpc(orders_service) as proxy:
        order = proxy.orders.place_order(BUYER, ORDER)
        proxy.orders.perform_action(SUPPLIER, order["id"], "approve")
        before = rows(orders_service)
        for payload in ({"reason": "x" * 1_000_000}, {"reason": "late\x00"}):
            with pytest.raises(InvalidRequest):
                proxy.orders.perform_action(SUPPLIER, order["id"], "update_estimate", payload)
        with pytest.raises(InvalidRequest):
            proxy.orders.get_order(BUYER, "ord\x00")

        assert proxy.orders.get_order(BUYER, order["id"])["version"] == 2
    assert rows(orders_service) == before


def test_a_forged_cursor_is_refused(orders_service):
    cursor = base64.urlsafe_b64encode(b'[1e400, "x"]').decode()
    with rpc(orders_service) as proxy, pytest.raises(InvalidRequest):
        proxy.orders.list_orders(BUYER, {"cursor": cursor, "sort": "total"})


def test_a_stale_expected_version_is_a_failed_precondition(orders_service):
    with rpc(orders_service) as proxy:
        order = proxy.orders.place_order(BUYER, ORDER)
        with pytest.raises(PreconditionFailed) as raised:
            proxy.orders.perform_action(SUPPLIER, order["id"], "approve", {}, 7)
        assert raised.value.details == {"order_id": order["id"], "version": 1}

        assert proxy.orders.perform_action(SUPPLIER, order["id"], "approve", {}, 1)["version"] == 2


def test_list_items_have_the_shape_of_the_single_order(orders_service):
    with rpc(orders_service) as proxy:
        order = proxy.orders.place_order(BUYER, ORDER)
        (item,) = proxy.orders.list_orders(SUPPLIER, {})["items"]
        single = proxy.orders.get_order(SUPPLIER, order["id"])

    assert item == single
    assert item["status_group"] == "active" and "approve" in item["allowed_actions"]


def test_timeline_moments_carry_their_offset_on_sqlite(
    container_factory, service_config, declared_topology, tmp_path
):
    url = f"sqlite:///{tmp_path}/orders.db"
    migrate("orders", url)
    config = service_config("orders", DATABASE_URL=url)
    container_factory(OrdersService, config).start()

    with rpc(config) as proxy:
        order = proxy.orders.place_order(BUYER, ORDER)
        (entry,) = proxy.orders.get_timeline(BUYER, order["id"])

    assert datetime.fromisoformat(entry["at"]).utcoffset() is not None
