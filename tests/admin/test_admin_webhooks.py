"""Outbound webhook deliveries on the admin gateway, over the real chat service and a real
receiver on 127.0.0.1: staff see every endpoint's deliveries with their attempts and last error,
an admin sends one again."""

import uuid

import eventlet
import pytest
from eventlet import wsgi
from nameko.testing.services import entrypoint_waiter

from chat.service import ChatService
from support.chat import placed
from support.events import publish
from support.services import rpc
from support.staff import ADMIN, BUYER, SUPPORT
from support.waiting import eventually

STAFF_ADMIN = {"user_id": "ada", "role": "admin", "org": "platform"}


class Receiver:
    """Answers 503 until told to recover, then 200; counts what it got."""

    def __init__(self):
        self.healthy = False
        self.received = 0
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/hooks"
        self.thread = eventlet.spawn(wsgi.server, self.socket, self.app, log_output=False)

    def app(self, environ, start_response):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.received += 1
        start_response("200 OK" if self.healthy else "503 Unavailable", [])
        return [b""]

    def stop(self):
        self.thread.kill()
        self.socket.close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def hooks(container_factory, service_config, declared_topology, gateways, receiver):
    config = service_config("chat", WEBHOOK_ALLOWED_PRIVATE="127.0.0.1", WEBHOOK_INTERVAL_S=0.05)
    container = container_factory(ChatService, config)
    container.start()
    with rpc(config) as cluster:  # the platform's own endpoint: every order's events
        cluster.chat.subscribe_webhook(
            STAFF_ADMIN, {"url": receiver.url, "event_types": ["order.placed"]}
        )
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    with entrypoint_waiter(container, "on_order_placed"):
        publish(config["AMQP_URI"], "order.placed", placed(order_id), "orders")
    _, admin = gateways(config["AMQP_URI"])
    return admin


def log(admin, **query):
    response = admin.get("/admin/v1/webhook-deliveries", query_string=query, headers=SUPPORT)
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_staff_see_a_failing_delivery_and_an_admin_sends_it_again(hooks, receiver):
    admin = hooks
    [failing] = eventually(lambda: [m for m in log(admin) if m["attempts"] == 1])
    assert (failing["event_type"], failing["status"], failing["org"]) == (
        "order.placed",
        "pending",
        None,
    )
    assert failing["last_attempt"]["status_code"] == 503
    assert log(admin, status="delivered") == []
    assert log(admin, event_type="order.placed", status="pending")[0]["id"] == failing["id"]

    path = f"/admin/v1/webhook-deliveries/{failing['id']}/redelivery"
    reason = {"reason": "The receiver is back"}
    refused = admin.post(path, json=reason, headers=SUPPORT)
    assert (refused.status_code, refused.content_type) == (403, "application/problem+json")
    assert admin.post(path, json={}, headers=ADMIN).status_code == 422
    missing = admin.post(
        "/admin/v1/webhook-deliveries/msg_nope/redelivery", json=reason, headers=ADMIN
    )
    assert missing.status_code == 404

    receiver.healthy = True
    sent = admin.post(path, json=reason, headers=ADMIN)
    assert sent.status_code == 200, sent.json
    # Redelivered now, not after the retry schedule's 5 s wait.
    [delivered] = eventually(lambda: log(admin, status="delivered"), timeout=4)
    assert (delivered["id"], delivered["attempts"]) == (failing["id"], 2)
    assert delivered["last_attempt"]["status_code"] == 200
    audit = admin.get("/admin/v1/audit", headers=ADMIN).json
    assert (audit[0]["target"], audit[0]["reason"]) == (
        {"message_id": failing["id"]},
        reason["reason"],
    )
    assert admin.get("/admin/v1/webhook-deliveries", headers=BUYER).status_code == 403
