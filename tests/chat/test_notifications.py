"""The feed: an order's whole life gives each party its notifications once, even when every
event is delivered twice; unread counts, mark read, mark all read; e-mail where configured."""

import mailbox
import socket
import subprocess
import sys
import uuid

import pytest
from nameko.testing.services import entrypoint_waiter

from chat.models import emails
from chat.service import ChatService
from contracts.errors import InvalidRequest, NotFound
from support.chat import ADMIN, BUYER, BUYER_COLLEAGUE, OUTSIDER, SUPPLIER, order_event, placed
from support.events import publish
from support.services import count, rpc
from support.waiting import eventually

LIFE = [
    ("order.placed", "orders", lambda o: placed(o)),
    (
        "order.status_changed",
        "orders",
        lambda o: order_event(
            o, "approved", **{"from": "ordered", "to": "approved"}, action="approve", group="active"
        ),
    ),
    ("payment.held", "payments", lambda o: _money(o)),
    ("order.delayed", "orders", lambda o: order_event(o, "approved", kind="expecting_delay")),
    (
        "shipment.created",
        "fulfillment",
        lambda o: {"order_id": o, "shipment_id": "s-1", "tracking_number": "1Z999AA10123456784"},
    ),
    (
        "parcel.scanned",
        "fulfillment",
        lambda o: {
            "order_id": o,
            "shipment_id": "s-1",
            "tracking_number": "1Z999AA10123456784",
            "location": "Lagos hub",
        },
    ),
    (
        "document.uploaded",
        "fulfillment",
        lambda o: {"order_id": o, "document_id": "d-1", "kind": "inspection_report"},
    ),
    (
        "dispute.opened",
        "disputes",
        lambda o: {
            "order_id": o,
            "dispute_id": "dsp-1",
            "buyer_org": "acme",
            "supplier_org": "forge",
            "opened_by": BUYER,
            "reason": "quality",
            "respond_by": "2031-03-14T12:00:00+00:00",
        },
    ),
    (
        "payment.refunded",
        "payments",
        lambda o: {**_money(o), "to": "original", "buyer_org": "acme"},
    ),
    (
        "order.accepted",
        "orders",
        lambda o: (
            {**order_event(o, "accepted"), "currency": "EUR", "amount": 5000}
            | {"accepted_amount": 5000}
        ),
    ),
]
EXPECTED = {
    "buyer": [
        "order.status_changed",
        "payment.held",
        "order.delayed",
        "shipment.created",
        "parcel.scanned",
        "document.uploaded",
        "dispute.opened",
        "payment.refunded",
    ],
    "supplier": [
        "order.placed",
        "payment.held",
        "order.delayed",
        "dispute.opened",
        "order.accepted",
    ],
    "staff": ["order.delayed", "dispute.opened"],
}


def _money(order_id):
    return {"order_id": order_id, "payment_id": "p-1", "currency": "EUR", "amount": 5000}


def live(deliver, order_id, twice=True):
    for event_type, producer, data in LIFE:
        envelope = deliver(event_type, data(order_id), producer)
        if twice:  # a redelivery: the same envelope again
            deliver(event_type, None, producer, envelope=envelope)


def kinds(feed):
    return [item["event_type"] for item in reversed(feed["items"])]


def test_an_order_life_notifies_each_party_once_per_event(chat, chat_config, deliver):
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    live(deliver, order_id)
    with rpc(chat_config) as cluster:
        feeds = {
            "buyer": cluster.chat.list_notifications(BUYER, {}),
            "supplier": cluster.chat.list_notifications(SUPPLIER, {}),
            "staff": cluster.chat.list_notifications(ADMIN, {}),
        }
        assert {party: kinds(feed) for party, feed in feeds.items()} == EXPECTED
        assert cluster.chat.list_notifications(OUTSIDER, {})["items"] == []
    item = feeds["buyer"]["items"][-1]
    assert item["link"] == f"/api/v1/orders/{order_id}" and not item["read"]
    assert item["title"] == "Order Brackets is now approved"


def test_events_that_overtake_their_orders_first_event_wait_for_it_and_notify_once(
    chat, chat_config, deliver
):
    """Each event type has its own queue: a payment or a dispute may reach chat before the
    order's placement does, however long the placement takes (ADR 16)."""
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    early = [entry for entry in LIFE if entry[0] in ("payment.held", "dispute.opened")]
    for event_type, producer, data in early:
        envelope = deliver(event_type, data(order_id), producer)
        deliver(event_type, None, producer, envelope=envelope)  # a redelivery while it waits
    with rpc(chat_config) as cluster:
        assert cluster.chat.list_notifications(SUPPLIER, {})["items"] == []

        deliver("order.placed", placed(order_id))

        assert kinds(cluster.chat.list_notifications(SUPPLIER, {})) == [
            "order.placed",
            "payment.held",
            "dispute.opened",
        ]
        assert kinds(cluster.chat.list_notifications(ADMIN, {})) == ["dispute.opened"]


def test_the_placement_fills_in_the_title_an_earlier_order_event_did_not_carry(
    chat, chat_config, deliver
):
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    life = {event_type: (producer, data) for event_type, producer, data in LIFE}
    for event_type in ("order.status_changed", "order.placed", "payment.held"):
        producer, data = life[event_type]
        deliver(event_type, data(order_id), producer)
    with rpc(chat_config) as cluster:
        items = cluster.chat.list_notifications(SUPPLIER, {})["items"]

    held = next(item for item in items if item["event_type"] == "payment.held")
    assert "Brackets" in held["title"]


def test_unread_count_mark_read_and_mark_all_read(chat, chat_config, deliver):
    live(deliver, f"o-{uuid.uuid4().hex[:8]}", twice=False)
    with rpc(chat_config) as cluster:
        chat_rpc = cluster.chat
        assert chat_rpc.notification_counts(BUYER) == {"unread": len(EXPECTED["buyer"])}
        newest = chat_rpc.list_notifications(BUYER, {"limit": 1})["items"][0]
        assert chat_rpc.mark_notification_read(BUYER, newest["id"]) == {
            "unread": len(EXPECTED["buyer"]) - 1
        }
        assert chat_rpc.list_notifications(BUYER, {"limit": 1})["items"][0]["read"]
        unread = chat_rpc.list_notifications(BUYER, {"unread_only": True})["items"]
        assert newest["id"] not in [item["id"] for item in unread]
        assert chat_rpc.notification_counts(BUYER_COLLEAGUE) == {
            "unread": len(EXPECTED["buyer"])
        }  # read state belongs to each person
        with pytest.raises(NotFound):
            chat_rpc.mark_notification_read(SUPPLIER, newest["id"])  # not theirs
        assert chat_rpc.mark_all_notifications_read(BUYER) == {"unread": 0}
        assert chat_rpc.notification_counts(BUYER) == {"unread": 0}


def test_new_messages_reach_the_other_party_feed(chat, chat_config, order_id):
    with rpc(chat_config) as cluster:
        cluster.chat.post_message(BUYER, order_id, "order", "Is the material in?")
        [item, _placed] = cluster.chat.list_notifications(SUPPLIER, {})["items"]
        assert item["event_type"] == "message.posted" and item["order_id"] == order_id
        assert all(
            i["event_type"] != "message.posted"
            for i in cluster.chat.list_notifications(BUYER, {})["items"]
        )


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(tmp_path):
    """A real SMTP server (aiosmtpd) on 127.0.0.1, storing what it receives in a maildir."""
    port, box = free_port(), tmp_path / "maildir"
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
        + ["-c", "aiosmtpd.handlers.Mailbox", str(box)]
    )

    def listening():
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    eventually(listening)
    yield port, box
    server.terminate()
    server.wait(timeout=10)


def test_email_goes_to_those_who_chose_it(container_factory, service_config, smtp_server):
    port, box = smtp_server
    config = service_config("chat", SMTP_HOST="127.0.0.1", SMTP_PORT=port, EMAIL_INTERVAL_S=0.05)
    container = container_factory(ChatService, config)
    container.start()
    with rpc(config) as cluster:
        with pytest.raises(InvalidRequest):
            cluster.chat.set_preferences(
                SUPPLIER, {"email": "sam@forge.test", "email_events": ["x"]}
            )
        chosen = cluster.chat.set_preferences(
            SUPPLIER, {"email": "sam@forge.test", "email_events": ["order.placed"]}
        )
        assert chosen["email_events"] == ["order.placed"]
        cluster.chat.set_preferences(BUYER, {"email": "alice@acme.test", "email_events": []})

    order_id = f"o-{uuid.uuid4().hex[:8]}"
    for event_type, producer, data in LIFE[:3]:
        with entrypoint_waiter(container, "on_" + event_type.replace(".", "_")):
            publish(config["AMQP_URI"], event_type, data(order_id), producer)

    def received():
        return list(mailbox.Maildir(box)) if box.exists() else []

    [mail] = eventually(received)
    assert count(config["DATABASE_URL"], emails) == 1  # the buyer chose none, payment.held neither
    assert mail["To"] == "sam@forge.test"
    assert mail["Subject"] == "New order Brackets: approve it"
    assert f"/api/v1/orders/{order_id}" in mail.get_payload()
