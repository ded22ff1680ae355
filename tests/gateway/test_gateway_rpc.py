"""The RPC layer: pooled proxies, correlation ids, and calls that run concurrently."""

import time

import pytest

from contracts.errors import NotFound
from gateway import order_page
from gateway.rpc import ProxyPool, Services, ServiceUnavailable, concurrently

SLOW = 0.2


@pytest.fixture
def two_slow_sections(monkeypatch, cluster):
    """The order page with a second section, as adding payments will be: one more line."""
    monkeypatch.setitem(
        order_page.ORDER_PAGE_SECTIONS,
        "payments",
        lambda rpc, actor, order_id: rpc.call("payments.payments_for_order", order_id),
    )
    cluster.services["payments"].payments_for_order = lambda order_id: [{"amount": 25000}]
    cluster.delay("fulfillment.get_fulfillment", SLOW)
    cluster.delay("payments.payments_for_order", SLOW)


def test_the_order_page_fetches_its_sections_at_once(
    client, cluster, place, bearer, two_slow_sections
):
    order_id = place().json["id"]

    started = time.monotonic()
    page = client.get(f"/api/v1/orders/{order_id}", headers=bearer()).json
    elapsed = time.monotonic() - started

    assert page["fulfillment"] and page["payments"] == [{"amount": 25000}]
    fulfilment = cluster.spans["fulfillment.get_fulfillment"]
    payments = cluster.spans["payments.payments_for_order"]
    assert max(fulfilment[0], payments[0]) < min(fulfilment[1], payments[1]), "they did not overlap"
    assert elapsed < 2 * SLOW


def test_a_failing_section_is_null_with_a_warning(client, cluster, place, bearer):
    order_id = place().json["id"]
    cluster.silent.add("fulfillment")

    response = client.get(f"/api/v1/orders/{order_id}", headers=bearer())

    assert response.status_code == 200
    assert response.json["order"]["id"] == order_id
    assert response.json["fulfillment"] is None
    assert response.json["warnings"] == [
        {
            "section": "fulfillment",
            "type": "urn:marketplace:problem:service-unavailable",
            "title": "Service unavailable",
            "status": 503,
            "detail": "The fulfillment service did not answer in time",
        }
    ]


def test_a_section_slower_than_its_timeout_is_null_with_a_warning(
    client, app, cluster, place, bearer
):
    app.config["ORDER_PAGE_SECTION_TIMEOUT"] = SLOW
    order_id = place().json["id"]
    cluster.delay("chat.order_summary", 20 * SLOW)

    response = client.get(f"/api/v1/orders/{order_id}", headers=bearer())

    assert response.status_code == 200
    assert response.json["chat"] is None and response.json["fulfillment"]
    [warning] = response.json["warnings"]
    assert warning["section"] == "chat" and warning["status"] == 503
    assert warning["detail"] == f"The chat section did not answer within {SLOW:g} s"
    # The interrupted call's proxy may still get its late reply: it is never lent again.
    assert cluster.proxies_stopped == 1


def test_the_page_fails_when_the_order_itself_cannot_be_read(client, cluster, place, bearer):
    order_id = place().json["id"]
    cluster.silent.add("orders")

    assert client.get(f"/api/v1/orders/{order_id}", headers=bearer()).status_code == 503


def test_concurrently_returns_results_and_errors_by_name():
    def fail():
        raise ValueError("no")

    results, errors = concurrently({"a": lambda: 1, "b": fail})

    assert results == {"a": 1}
    assert list(errors) == ["b"] and isinstance(errors["b"], ValueError)


def call(pool, method="orders.health", correlation_id="c-1"):
    return Services(pool, correlation_id).call(method)


class TestProxyPool:
    @pytest.fixture
    def pool(self, cluster):
        pool = ProxyPool("amqp://unused", size=2, timeout=0.1)
        yield pool
        pool.close()

    def test_starts_proxies_only_when_needed_and_reuses_them(self, pool, cluster):
        assert cluster.proxies_started == 0

        for _ in range(3):
            call(pool)

        assert cluster.proxies_started == 1

    def test_each_loan_carries_its_own_correlation_id(self, pool, cluster):
        call(pool, correlation_id="first")
        call(pool, correlation_id="second")

        assert [context["correlation_id"] for *_, context in cluster.calls] == ["first", "second"]

    def test_concurrent_calls_use_separate_proxies(self, pool, cluster):
        cluster.delay("orders.health", SLOW)

        concurrently({"a": lambda: call(pool), "b": lambda: call(pool)})

        assert cluster.proxies_started == 2

    def test_a_proxy_that_timed_out_is_replaced(self, pool, cluster):
        cluster.silent.add("orders")
        with pytest.raises(ServiceUnavailable):
            call(pool)
        cluster.silent.clear()

        call(pool)

        assert (cluster.proxies_started, cluster.proxies_stopped) == (2, 1)

    def test_a_proxy_whose_service_raised_is_kept(self, pool, cluster):
        with pytest.raises(NotFound):
            Services(pool, "c").call("orders.get_order", {"role": "admin"}, "ord-404")

        call(pool)

        assert (cluster.proxies_started, cluster.proxies_stopped) == (1, 0)

    def test_a_call_waits_for_a_free_proxy_then_gives_up(self, pool, cluster):
        cluster.delay("orders.health", SLOW)

        results, errors = concurrently({name: lambda: call(pool) for name in "abc"})

        assert len(results) == 2
        (error,) = errors.values()
        assert isinstance(error, ServiceUnavailable)
        assert "busy" in str(error)

    def test_close_stops_idle_proxies(self, pool, cluster):
        call(pool)

        pool.close()

        assert (cluster.proxies_started, cluster.proxies_stopped) == (1, 1)
