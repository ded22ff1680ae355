"""Outbound webhooks to a real receiver on 127.0.0.1 that verifies each delivery with the
``standardwebhooks`` package. The service's clock is frozen: retries come due when the test
moves it, not after real waiting."""

import socket
import uuid
from datetime import UTC, datetime

import eventlet
import pytest
from eventlet import wsgi
from nameko.testing.services import entrypoint_waiter, replace_dependencies
from standardwebhooks import Webhook

from chat.service import ChatService
from chat.webhooks import RETRY_SCHEDULE
from contracts.errors import Forbidden, InvalidRequest, NotFound
from support.chat import (
    ADMIN,
    BUYER,
    OUTSIDER_ADMIN,
    SUPPLIER,
    SUPPLIER_ADMIN,
    SUPPORT,
    placed,
)
from support.clock import FrozenClock
from support.events import publish
from support.services import rpc
from support.waiting import eventually

TIMEOUT_S = 0.5


class Receiver:
    """Answers each request as scripted ("timeout" never answers in time) and keeps what it got."""

    def __init__(self, script):
        self.script = list(script)
        self.secret = None
        self.received = []  # (webhook-id, verified payload, status answered)
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/hooks"
        self.thread = eventlet.spawn(wsgi.server, self.socket, self.app, log_output=False)

    def app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        payload = Webhook(self.secret).verify(body, headers)  # raises unless signed right
        answer = self.script.pop(0) if self.script else 200
        self.received.append((headers["webhook-id"], payload, answer))
        if answer == "timeout":
            eventlet.sleep(TIMEOUT_S * 4)
            answer = 200  # too late: the sender gave up and counts a failure
        start_response(f"{answer} Scripted", [("Content-Type", "text/plain")])
        return [b""]

    def stop(self):
        self.thread.kill()
        self.socket.close()


@pytest.fixture
def clock():
    return FrozenClock(datetime.now(UTC))


@pytest.fixture
def webhook_chat(container_factory, service_config, declared_topology, clock):
    config = service_config(
        "chat",
        WEBHOOK_ALLOWED_PRIVATE="127.0.0.1",
        WEBHOOK_INTERVAL_S=0.05,
        WEBHOOK_TIMEOUT_S=TIMEOUT_S,
    )
    container = container_factory(ChatService, config)
    replace_dependencies(container, clock=clock)
    container.start()
    return container, config


@pytest.fixture
def receiver():
    started = []

    def start(*script):
        started.append(Receiver(script))
        return started[-1]

    yield start
    for running in started:
        running.stop()


def subscribe(config, receiver, actor=SUPPLIER_ADMIN, event_types=("order.placed",)):
    with rpc(config) as cluster:
        endpoint = cluster.chat.subscribe_webhook(
            actor, {"url": receiver.url, "event_types": list(event_types)}
        )
    receiver.secret = endpoint["secret"]
    return endpoint


def place_order(container, config):
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    with entrypoint_waiter(container, "on_order_placed"):
        publish(config["AMQP_URI"], "order.placed", placed(order_id), "orders")
    return order_id


def deliveries(config, endpoint, actor=SUPPLIER_ADMIN):
    with rpc(config) as cluster:
        return cluster.chat.webhook_deliveries(actor, endpoint["id"], {})["items"]


def test_a_failing_then_erring_receiver_gets_the_event_once_acknowledged(
    webhook_chat, receiver, clock
):
    container, config = webhook_chat
    hook = receiver("timeout", 500, 200)
    endpoint = subscribe(config, hook)
    assert endpoint["secret"].startswith("whsec_")
    order_id = place_order(container, config)

    eventually(lambda: len(hook.received) == 1)
    for attempts, delay in ((1, RETRY_SCHEDULE[0]), (2, RETRY_SCHEDULE[1])):
        [message] = eventually(
            lambda n=attempts: [m for m in deliveries(config, endpoint) if m["attempts"] == n]
        )
        assert message["status"] == "pending"
        clock.advance(seconds=delay.total_seconds() * 1.11)  # past the schedule and its jitter
        eventually(lambda n=attempts: len(hook.received) == n + 1)

    [message] = eventually(
        lambda: [m for m in deliveries(config, endpoint) if m["status"] == "delivered"]
    )
    ids = {webhook_id for webhook_id, _, _ in hook.received}
    assert ids == {message["id"]}  # the same webhook-id on every attempt
    assert [answer for _, _, answer in hook.received] == ["timeout", 500, 200]
    payload = hook.received[-1][1]
    assert payload["type"] == "order.placed" and payload["data"]["order_id"] == order_id
    assert set(payload) == {"type", "timestamp", "data"}
    log = message["attempt_log"]
    assert [entry["attempt"] for entry in log] == [1, 2, 3]
    assert [entry["status_code"] for entry in log] == [None, 500, 200]
    assert log[0]["error"] and all(entry["latency_ms"] >= 0 for entry in log)


def test_a_receiver_that_answers_410_is_disabled(webhook_chat, receiver):
    container, config = webhook_chat
    hook = receiver(410)
    endpoint = subscribe(config, hook)
    place_order(container, config)
    eventually(lambda: deliveries(config, endpoint)[0]["status"] == "failed")
    with rpc(config) as cluster:
        [found] = cluster.chat.list_webhooks(SUPPLIER_ADMIN)
    assert not found["enabled"] and "410" in found["disabled_reason"]
    assert "secret" not in found

    place_order(container, config)
    assert len(deliveries(config, endpoint)) == 1  # nothing queued for a disabled endpoint
    assert len(hook.received) == 1


def test_an_admin_redelivers_and_rotates_the_secret(webhook_chat, receiver):
    container, config = webhook_chat
    hook = receiver()
    endpoint = subscribe(config, hook, actor=ADMIN)  # the platform's own: every order
    place_order(container, config)
    eventually(lambda: deliveries(config, endpoint, ADMIN)[0]["status"] == "delivered")
    with rpc(config) as cluster:
        rotated = cluster.chat.rotate_webhook_secret(ADMIN, endpoint["id"])
        assert rotated["secret"] != endpoint["secret"]
        hook.secret = rotated["secret"]
        [message] = deliveries(config, endpoint, ADMIN)
        cluster.chat.redeliver_webhook(ADMIN, endpoint["id"], message["id"])
        with pytest.raises(NotFound):
            cluster.chat.webhook_deliveries(OUTSIDER_ADMIN, endpoint["id"], {})
    eventually(lambda: len(hook.received) == 2)
    assert hook.received[0][0] == hook.received[1][0]  # a redelivery keeps its webhook-id


def test_only_platform_staff_read_the_delivery_log_and_only_its_admins_redeliver(
    webhook_chat, receiver
):
    container, config = webhook_chat
    hook = receiver()
    endpoint = subscribe(config, hook)
    place_order(container, config)
    eventually(lambda: deliveries(config, endpoint)[0]["status"] == "delivered")
    with rpc(config) as cluster:
        [message] = cluster.chat.webhook_delivery_log(SUPPORT, {})["items"]
        # An organisation's admin (the endpoint's own, or another's) is not platform staff.
        for customer_admin in (SUPPLIER_ADMIN, OUTSIDER_ADMIN):
            with pytest.raises(Forbidden):
                cluster.chat.webhook_delivery_log(customer_admin, {})
            with pytest.raises(Forbidden):
                cluster.chat.redeliver_webhook_message(customer_admin, message["id"])
        # Support reads the log but sends nothing again.
        with pytest.raises(Forbidden):
            cluster.chat.redeliver_webhook_message(SUPPORT, message["id"])
        assert len(hook.received) == 1
        cluster.chat.redeliver_webhook_message(ADMIN, message["id"])
    eventually(lambda: len(hook.received) == 2)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_private_addresses_and_plain_http_are_refused_unless_allowed(chat, chat_config):
    with rpc(chat_config) as cluster:
        for url in (
            f"http://127.0.0.1:{free_port()}/hooks",  # chat_config allows no private host
            "https://127.0.0.1/hooks",
            "https://10.1.2.3/hooks",
            "https://[::1]/hooks",
            "http://example.com/hooks",
            "ftp://example.com/hooks",
        ):
            with pytest.raises(InvalidRequest) as refused:
                cluster.chat.subscribe_webhook(
                    SUPPLIER_ADMIN, {"url": url, "event_types": ["order.placed"]}
                )
            assert refused.value.details["errors"]["url"], url
        with pytest.raises(InvalidRequest):
            cluster.chat.subscribe_webhook(
                SUPPLIER_ADMIN, {"url": "https://127.0.0.1/x", "event_types": ["no.such"]}
            )
        with pytest.raises(Forbidden):
            cluster.chat.subscribe_webhook(
                SUPPLIER_ADMIN,
                {"url": "https://1.1.1.1/x", "event_types": ["order.placed"], "org": "acme"},
            )


def test_an_endpoint_failing_for_too_long_is_disabled(
    container_factory, service_config, declared_topology, clock, receiver
):
    config = service_config(
        "chat",
        WEBHOOK_ALLOWED_PRIVATE="127.0.0.1",
        WEBHOOK_INTERVAL_S=0.05,
        WEBHOOK_DISABLE_AFTER_DAYS=0.0001,  # 8.64 seconds
    )
    container = container_factory(ChatService, config)
    replace_dependencies(container, clock=clock)
    container.start()
    hook = receiver(500, 500, 500)
    endpoint = subscribe(config, hook)
    place_order(container, config)
    eventually(lambda: deliveries(config, endpoint)[0]["attempts"] == 1)
    clock.advance(seconds=10)  # past the first retry, and past the failure allowance
    eventually(lambda: deliveries(config, endpoint)[0]["attempts"] == 2)
    with rpc(config) as cluster:
        [found] = cluster.chat.list_webhooks(SUPPLIER_ADMIN)
        assert not found["enabled"] and "too long" in found["disabled_reason"]
        cluster.chat.update_webhook(SUPPLIER_ADMIN, endpoint["id"], {"enabled": True})
        [found] = cluster.chat.list_webhooks(SUPPLIER_ADMIN)
    assert found["enabled"] and found["failing_since"] is None


def test_only_an_organisation_admin_or_platform_admin_manages_endpoints(chat, chat_config):
    hook = {"url": "https://1.1.1.1/hooks", "event_types": ["order.placed"]}
    with rpc(chat_config) as cluster:
        endpoint = cluster.chat.subscribe_webhook(SUPPLIER_ADMIN, hook)
        assert endpoint["org"] == SUPPLIER_ADMIN["org"]
        # Buyers and suppliers use their organisation's orders; they do not wire systems to them.
        for member in (SUPPLIER, BUYER):
            with pytest.raises(Forbidden):
                cluster.chat.subscribe_webhook(member, hook)
            with pytest.raises(Forbidden):
                cluster.chat.list_webhooks(member)
            with pytest.raises(Forbidden):
                cluster.chat.delete_webhook(member, endpoint["id"])
            with pytest.raises(Forbidden):
                cluster.chat.webhook_deliveries(member, endpoint["id"], {})
        # Platform support reads every endpoint and changes none.
        assert [found["id"] for found in cluster.chat.list_webhooks(SUPPORT)] == [endpoint["id"]]
        with pytest.raises(Forbidden):
            cluster.chat.rotate_webhook_secret(SUPPORT, endpoint["id"])
        # Another organisation's admin neither sees nor touches it.
        assert cluster.chat.list_webhooks(OUTSIDER_ADMIN) == []
        with pytest.raises(NotFound):
            cluster.chat.delete_webhook(OUTSIDER_ADMIN, endpoint["id"])
        with pytest.raises(Forbidden):
            cluster.chat.subscribe_webhook(OUTSIDER_ADMIN, {**hook, "org": "forge"})

        cluster.chat.delete_webhook(SUPPLIER_ADMIN, endpoint["id"])
        assert cluster.chat.list_webhooks(SUPPLIER_ADMIN) == []


def test_only_the_parties_endpoints_subscribed_to_the_event_get_it(webhook_chat, receiver):
    container, config = webhook_chat
    ours, theirs, other_event = receiver(200), receiver(200), receiver(200)
    subscribed = subscribe(config, ours)
    outsider = subscribe(config, theirs, actor=OUTSIDER_ADMIN)
    cancellations = subscribe(config, other_event, event_types=("order.cancelled",))

    for _ in range(2):  # the second order reads the endpoints again: nothing kept between batches
        place_order(container, config)

    eventually(lambda: len(ours.received) == 2)
    assert len(deliveries(config, subscribed)) == 2
    assert deliveries(config, outsider, actor=OUTSIDER_ADMIN) == []
    assert deliveries(config, cancellations) == []
