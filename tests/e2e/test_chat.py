"""Talking about an order, and hearing about it, through the gateway: the whole system as
processes on a real broker and PostgreSQL."""

import io
import os
from collections import Counter

from PIL import Image

from e2e.test_manufacturing import DOCUMENTS, ORDER
from e2e.walk import act, page, problem, status_is, unique, when
from support import files
from support.waiting import eventually


def known_to_chat(client, order):
    """Chat learns of an order from its order.placed event: wait for it."""
    return eventually(lambda: client.get(f"/orders/{order['id']}/conversations").ok)


def _noise_png(side=800) -> bytes:
    """A PNG that does not compress: about 1.9 MB."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG")
    return out.getvalue()


def unread(client, order):
    response = client.get("/unread", params={"order_id": order["id"]})
    assert response.status_code == 200, response.text
    return response.json()["orders"][order["id"]]


def say(client, order, body, conversation="order", **kwargs):
    return client.post(
        f"/orders/{order['id']}/conversations/{conversation}/messages", body, **kwargs
    )


def test_buyer_and_supplier_talk_with_files_support_answers_and_outsiders_see_nothing(
    market, as_user
):
    m = market("chat")
    order = m.place(ORDER)
    known_to_chat(m.supplier, order)

    asked = say(
        m.buyer, order, {"body": "Can you hold ±0.05 mm on the bore, 500 pcs by 2031-03-10?"}
    )
    assert asked.status_code == 201, asked.text
    assert unread(m.supplier, order) == 1 and unread(m.buyer, order) == 0

    report_pdf = files.pdf()
    answered = m.supplier.session.post(
        f"{m.supplier.api_url}/orders/{order['id']}/conversations/order/messages",
        data={"body": "Yes. Progress photo and the inspection report attached."},
        files=[
            ("files", ("progress.jpg", files.photo_with_gps(), "image/jpeg")),
            ("files", ("inspection.pdf", report_pdf, "application/pdf")),
        ],
        timeout=30,
    )
    assert answered.status_code == 201, answered.text
    photo, report = answered.json()["attachments"]
    assert (photo["content_type"], photo["has_thumbnail"]) == ("image/jpeg", True)
    assert report["content_type"] == "application/pdf"

    big = m.supplier.session.post(  # larger than the gateway's usual 1 MB body limit
        f"{m.supplier.api_url}/orders/{order['id']}/conversations/order/messages",
        files=[("files", ("scan.png", _noise_png(), "image/png"))],
        timeout=60,
    )
    assert big.status_code == 201, big.text
    assert big.json()["attachments"][0]["size"] > 1024 * 1024

    refused = problem(say(m.supplier, order, {"body": "faster on whatsapp: +1 415 555 0132"}), 422)
    assert "phone number" in refused["detail"] and "+14155550132" in refused["detail"]
    renamed = m.supplier.session.post(
        f"{m.supplier.api_url}/orders/{order['id']}/conversations/order/messages",
        files=[("files", ("report.pdf", files.windows_executable(), "application/pdf"))],
        timeout=30,
    )
    assert "application/x-msdownload" in problem(renamed, 422)["detail"]

    assert unread(m.buyer, order) == 2  # the answer with its files, and the scan
    downloaded = m.buyer.get(f"/attachments/{report['id']}/content")
    assert downloaded.content == report_pdf and downloaded.headers["Content-Type"] == (
        "application/pdf"
    )
    stored_photo = m.buyer.get(f"/attachments/{photo['id']}/content").content
    assert files.gps_of(stored_photo) == {}
    assert m.buyer.get(f"/attachments/{photo['id']}/thumbnail").headers["Content-Type"] == (
        "image/png"
    )
    read = m.buyer.post(f"/orders/{order['id']}/conversations/order/read")
    assert read.json() == {"total": 0, "orders": {order["id"]: 0}}

    sue = unique("sue")
    support = as_user(sue, "support", "platform")
    problem(say(support, order, {"body": "Hello"}), 403)  # not tagged in yet
    tagged = m.supplier.post(
        f"/orders/{order['id']}/conversations/order/tags", {"user_id": sue, "role": "support"}
    )
    assert tagged.status_code == 200, tagged.text
    assert say(support, order, {"body": "Dates can move: use Update Current Delivery Dates"}).ok
    assert unread(m.buyer, order) == 1 and unread(m.supplier, order) == 1

    help_desk = say(m.supplier, order, {"body": "Can we extend by a week?"}, "support")
    assert help_desk.status_code == 201
    assert [c["name"] for c in m.buyer.get(f"/orders/{order['id']}/conversations").json()] == [
        "order",
        "support-buyer",
    ]
    found = m.supplier.get(f"/orders/{order['id']}/messages", params={"q": "INSPECTION"}).json()
    assert [message["id"] for message in found["items"]] == [answered.json()["id"]]

    chat = page(m.buyer, order)["chat"]
    assert chat["unread"] == 1 and chat["awaiting_reply"]
    assert chat["latest_messages"][0]["author_user"] == sue

    outsider = as_user("eve", "buyer", unique("other"))
    for path in (
        f"/orders/{order['id']}/conversations",
        f"/orders/{order['id']}/conversations/order/messages",
        f"/orders/{order['id']}/attachments",
        f"/attachments/{report['id']}/content",
    ):
        problem(outsider.get(path), 404)
    problem(say(outsider, order, {"body": "hi"}), 404)


def test_an_order_life_notifies_each_party_once_per_event(market, order_events):
    m = market("feed")
    order = m.place(ORDER)
    act(m.supplier, order, "approve")
    act(m.supplier, order, "start_production")
    for kind in DOCUMENTS:
        m.publish("document.uploaded", {"order_id": order["id"], "document_id": kind, "kind": kind})
    when(m.supplier, order, lambda o: o["documents"] == DOCUMENTS)
    act(m.supplier, order, "mark_ready")
    parcel = {"order_id": order["id"], "shipment_id": "S1", "tracking_number": "TRK-1"}
    m.publish("shipment.created", parcel)
    when(m.buyer, order, status_is("in_delivery"))
    m.publish("parcel.delivered", parcel)
    when(m.buyer, order, status_is("delivered"))
    act(m.buyer, order, "accept", {"feedback": "Spot on"})
    order_events.wait(order["id"], "order.completed")

    def expected_buyer():
        changes = order_events.of(order["id"], "order.status_changed")
        return Counter(
            ["order.status_changed"] * len(changes)
            + ["document.uploaded"] * len(DOCUMENTS)
            + ["shipment.created", "parcel.delivered"]
        )

    def expected_supplier():
        return Counter(["order.placed", "parcel.delivered", "order.accepted"])

    def feed(client, expected):
        """The feed's kinds from orders and fulfillment once as expected; every kind (payments'
        too, which this walk does not drive) at most once per event it heard."""
        items = client.get("/notifications", params={"order_id": order["id"]}).json()["items"]
        kinds = Counter(item["event_type"] for item in items)
        driven = Counter({k: n for k, n in kinds.items() if not k.startswith("payment.")})
        paid = [n for k, n in kinds.items() if k.startswith("payment.")]
        return kinds if driven == expected() and all(n == 1 for n in paid) else None

    assert eventually(lambda: feed(m.buyer, expected_buyer), timeout=20)
    assert eventually(lambda: feed(m.supplier, expected_supplier), timeout=20)
    items = m.buyer.get("/notifications", params={"order_id": order["id"]}).json()["items"]
    assert all(item["link"] == f"/api/v1/orders/{order['id']}" for item in items)
    titles = [item["title"] for item in items if item["event_type"] == "order.status_changed"]
    assert titles[0] == f"Order {ORDER['title']} is now completed"

    count = m.buyer.get("/notifications/count").json()["unread"]
    assert count >= len(items)
    marked = m.buyer.post(f"/notifications/{items[0]['id']}/read")
    assert marked.json()["unread"] == count - 1
    assert m.buyer.post("/notifications/read-all").json() == {"unread": 0}
    assert m.supplier.get("/notifications/count").json()["unread"] > 0  # their own read state
