"""The admin gateway and the public gateway's disputes, on the real orders and disputes services
(real broker, real PostgreSQL): who may come in, what support and admins may each do, and the
audit log of every staff action."""

import io

import pytest
from PIL import Image

from disputes.models import order_facts
from disputes.service import DisputesService
from orders.service import OrdersService
from support.services import count
from support.staff import ADMIN, BUYER, CUSTOMER_ADMIN, SUPPLIER, SUPPORT, bearer
from support.waiting import eventually

ORDER = {
    "supplier_org": "forge",
    "title": "Logo design",
    "currency": "EUR",
    "workflow": "services",
    "kind": "service",
    "revisions_allowed": 1,
    "lines": [{"sku": "LOGO", "quantity": 1, "unit_price": 50000}],
}
DISPUTE = {"reason": "cancellation_refused", "description": "Nothing was delivered"}


@pytest.fixture
def stack(container_factory, service_config, declared_topology, gateways):
    configs = {name: service_config(name) for name in ("orders", "disputes")}
    for service, name in ((OrdersService, "orders"), (DisputesService, "disputes")):
        container_factory(service, configs[name]).start()
    public, admin = gateways(configs["orders"]["AMQP_URI"])
    return {"public": public, "admin": admin, "disputes_db": configs["disputes"]["DATABASE_URL"]}


def place(stack, request=ORDER, headers=BUYER):
    response = stack["public"].post("/api/v1/orders", json=request, headers=headers)
    assert response.status_code == 201, response.json
    order_id = response.json["id"]
    known = order_facts.c.order_id == order_id
    eventually(lambda: count(stack["disputes_db"], order_facts, known))
    return order_id


def open_dispute(stack, order_id):
    response = stack["public"].post(
        f"/api/v1/orders/{order_id}/disputes", json=DISPUTE, headers=BUYER
    )
    assert response.status_code == 201, response.json
    return response.json


def test_only_platform_staff_come_through_the_admin_door(stack):
    admin = stack["admin"]
    assert admin.get("/admin/v1/disputes").status_code == 401
    for outsider in (BUYER, SUPPLIER, CUSTOMER_ADMIN):
        refused = admin.get("/admin/v1/orders", headers=outsider)
        assert refused.status_code == 403
        assert refused.content_type == "application/problem+json"
    assert admin.get("/admin/v1/orders", headers=SUPPORT).status_code == 200
    assert admin.get("/admin/v1/openapi.json").json["info"]["title"] == "Marketplace admin API"


def test_a_customer_organisations_admin_is_no_platform_admin_on_the_public_gateway(stack):
    order_id = place(stack)
    public = stack["public"]

    assert public.get(f"/api/v1/orders/{order_id}", headers=CUSTOMER_ADMIN).status_code == 404
    assert public.get("/api/v1/orders", headers=CUSTOMER_ADMIN).json["items"] == []
    assert public.get(f"/api/v1/orders/{order_id}", headers=ADMIN).status_code == 200
    # Staff are no party: they do not open disputes (404), and are not told to retry (503).
    staff_dispute = public.post(f"/api/v1/orders/{order_id}/disputes", json=DISPUTE, headers=ADMIN)
    assert staff_dispute.status_code == 404


def test_a_party_cannot_see_another_orders_dispute(stack):
    order_id = place(stack)
    dispute = open_dispute(stack, order_id)
    public = stack["public"]
    stranger = bearer("buyer", "globex", "gus")

    assert public.get(f"/api/v1/disputes/{dispute['id']}", headers=stranger).status_code == 404
    refused = public.post(f"/api/v1/orders/{order_id}/disputes", json=DISPUTE, headers=stranger)
    assert refused.status_code == 404
    assert public.get(f"/api/v1/disputes/{dispute['id']}", headers=SUPPLIER).status_code == 200
    page = public.get(f"/api/v1/orders/{order_id}", headers=SUPPLIER).json
    assert [d["id"] for d in page["disputes"]] == [dispute["id"]]


def test_support_reads_and_adds_notes_only_admins_resolve_and_every_action_is_audited(stack):
    order_id = place(stack)
    dispute = open_dispute(stack, order_id)
    admin = stack["admin"]

    queue = admin.get("/admin/v1/disputes?status=open", headers=SUPPORT).json
    assert [item["id"] for item in queue["items"]] == [dispute["id"]]
    note = {"text": "We asked the freelancer for the files"}
    path = f"/admin/v1/disputes/{dispute['id']}"
    assert admin.post(f"{path}/notes", json=note, headers=SUPPORT).status_code == 200
    resolution = {"decision": "cancel", "note": "No work was delivered"}
    assert admin.post(f"{path}/resolution", json=resolution, headers=SUPPORT).status_code == 403

    resolved = admin.post(f"{path}/resolution", json=resolution, headers=ADMIN)

    assert resolved.status_code == 200
    assert resolved.json["resolution"]["outcome"] == "refund"
    assert admin.get("/admin/v1/audit", headers=SUPPORT).status_code == 403
    log = admin.get("/admin/v1/audit", headers=ADMIN).json
    assert [(e["user_id"], e["action"], e["status_code"], e["reason"]) for e in log] == [
        ("ada", "admin_disputes.resolve_dispute", 200, "No work was delivered"),
        ("sue", "admin_disputes.resolve_dispute", 403, "No work was delivered"),
        ("sue", "admin_disputes.add_note", 200, "We asked the freelancer for the files"),
    ]
    assert log[0]["target"] == {"dispute_id": dispute["id"]}


def test_staff_see_every_organisations_orders_and_admins_move_committed_dates(stack):
    first = place(stack, {**ORDER, "title": "Logo"})
    manufacturing = {
        **ORDER,
        "workflow": "manufacturing",
        "committed_ship_by": "2031-03-20",
        "committed_deliver_by": "2031-03-25",
    }
    del manufacturing["kind"], manufacturing["revisions_allowed"]
    second = place(stack, manufacturing, headers=bearer("buyer", "globex", "gus"))
    admin = stack["admin"]

    listed = admin.get("/admin/v1/orders?sort=placed_at", headers=SUPPORT).json["items"]
    assert [order["id"] for order in listed] == [first, second]

    change = {"committed_deliver_by": "2031-04-08", "reason": "Customer halted production"}
    path = f"/admin/v1/orders/{second}/commitments"
    assert admin.post(path, json=change, headers=SUPPORT).status_code == 403
    changed = admin.post(path, json=change, headers=ADMIN)
    assert changed.status_code == 200, changed.json
    assert changed.json["committed_deliver_by"] == "2031-04-08"
    timeline = admin.get(f"/admin/v1/orders/{second}", headers=SUPPORT).json["timeline"]
    assert timeline[-1]["summary"].endswith("Customer halted production")
    assert admin.post(path, json={"reason": "nothing"}, headers=ADMIN).status_code == 422


def test_dead_letters_are_listed_for_staff_and_replayed_by_admins(stack):
    admin = stack["admin"]
    assert admin.get("/admin/v1/dead-letters", headers=SUPPORT).json == []
    replay = {"reason": "fixed the handler"}
    path = "/admin/v1/dead-letters/disputes--order.placed.dead/replay"
    assert admin.post(path, json=replay, headers=SUPPORT).status_code == 403
    assert admin.post(path, json=replay, headers=ADMIN).json == {"replayed": 0}
    missing = admin.post("/admin/v1/dead-letters/nope/replay", json=replay, headers=ADMIN)
    assert missing.status_code == 404


def test_staff_see_what_each_service_holds_and_which_ones_did_not_answer(stack):
    place(stack)

    def backlogs():
        response = stack["admin"].get("/admin/v1/backlogs", headers=SUPPORT)
        assert response.status_code == 200
        return response.json

    def once_orders_published_everything():
        # The order's event is published, then marked so a moment later, off the request's path.
        found = backlogs()["services"]
        return found if found["orders"]["unpublished_events"]["count"] == 0 else None

    found = eventually(once_orders_published_everything)
    assert set(found) == {"orders", "disputes"}
    assert found["disputes"] == {
        "unpublished_events": {"count": 0, "oldest_at": None, "oldest_age_s": None}
    }
    # The stack runs two services: the others are named, not left out.
    assert set(backlogs()["unavailable"]) == {"fulfillment", "chat", "payments", "profiles"}
    assert stack["admin"].get("/admin/v1/backlogs", headers=BUYER).status_code == 403


def test_evidence_is_uploaded_cited_by_its_id_and_downloaded_only_by_who_sees_the_dispute(
    stack, tmp_path
):
    public = stack["public"]
    order_id = place(stack)
    photo = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(photo, format="PNG")
    photo.seek(0)
    uploaded = public.post(
        "/api/v1/evidence",
        data={"file": (photo, "scratch.jpg")},  # the name lies: the bytes are a PNG
        headers=BUYER,
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.json
    file_id = uploaded.json["file_id"]
    assert uploaded.json["content_type"] == "image/png"

    cited = {**DISPUTE, "evidence": [{"file_id": file_id, "content_type": "application/pdf"}]}
    opened = public.post(f"/api/v1/orders/{order_id}/disputes", json=cited, headers=BUYER)

    assert opened.status_code == 201, opened.json
    assert opened.json["evidence"][0]["content_type"] == "image/png"  # not what the client said
    path = f"/api/v1/disputes/{opened.json['id']}/evidence/{file_id}"
    downloaded = public.get(path, headers=SUPPLIER)
    assert downloaded.status_code == 200 and downloaded.mimetype == "image/png"
    assert public.get(path, headers=bearer("buyer", "globex", "gus")).status_code == 404
    staff_path = f"/admin/v1/disputes/{opened.json['id']}/evidence/{file_id}"
    assert stack["admin"].get(staff_path, headers=SUPPORT).status_code == 200
    unknown = {**DISPUTE, "evidence": [{"file_id": "0" * 64}]}
    refused = public.post(f"/api/v1/orders/{order_id}/disputes", json=unknown, headers=SUPPLIER)
    assert refused.status_code == 422 and "upload it" in refused.json["detail"]
