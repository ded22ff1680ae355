"""Finding orders through the gateway: status and group tabs, kind and delay filters, text search,
sort, keyset pages, counts for the board (per workflow); the activity timeline; placing an order
again with the same Idempotency-Key."""

import uuid
from datetime import datetime
from unittest.mock import ANY

from e2e.walk import act, problem, status_is, timeline, when
from support.orders import job_terms

RETAIL = {"workflow": "retail", "currency": "EUR"}
ONE_PART = [{"sku": "P-1", "description": "Part", "quantity": 2, "unit_price": 500}]
FACTORY = {"workflow": "factory", "currency": "EUR", "lines": ONE_PART}
SERVICES = {"workflow": "services", "currency": "EUR", "revisions_allowed": 2, "lines": ONE_PART}
MANUFACTURING = {
    "workflow": "manufacturing",
    "currency": "EUR",
    "committed_ship_by": "2031-03-10",
    "committed_deliver_by": "2031-03-14",
    "lines": ONE_PART,
}
# title, sku, unit price: two share a total, so sorting by total has a tie to break.
SHELF = [
    ("Kettle", "KTL-1", 300),
    ("Toaster", "TST-4", 100),
    ("Blender", "BLND-9", 500),
    ("Kettle descaler", "DSC-2", 100),
    ("Stand mixer", "MIX-5", 200),
]


def stock(m) -> dict[str, dict]:
    """Five retail orders of one buyer: three pending, one ready to ship, one cancelled."""
    orders = {}
    for title, sku, price in SHELF:
        orders[title] = m.place(
            {
                **RETAIL,
                "title": title,
                "lines": [{"sku": sku, "description": title, "quantity": 1, "unit_price": price}],
            }
        )
    act(m.supplier, orders["Toaster"], "ready_to_ship", {"tracking_number": "TRK-T"})
    act(m.buyer, orders["Stand mixer"], "cancel", {"reason": "Changed my mind"})
    return orders


def listed(client, **query) -> list[dict]:
    response = client.get("/orders", params=query)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def titles(client, **query) -> set[str]:
    return {order["title"] for order in listed(client, **query)}


def all_pages(client, **query) -> tuple[list[str], list[int]]:
    """Every id, following next_cursor from the first page; and each page's size."""
    ids, sizes, cursor = [], [], None
    while True:
        response = client.get("/orders", params={**query, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [order["id"] for order in body["items"]]
        sizes.append(len(body["items"]))
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, sizes


def test_the_list_filters_by_status_and_group_tabs_and_searches_text(market, as_user):
    m = market("list-tabs")
    stock(m)

    assert titles(m.buyer) == {title for title, _, _ in SHELF}
    assert titles(m.buyer, status="pending") == {"Kettle", "Blender", "Kettle descaler"}
    assert titles(m.buyer, status="ready_to_ship") == {"Toaster"}
    assert titles(m.buyer, group="completed") == {"Stand mixer"}  # retail: ended orders
    assert titles(m.buyer, group="active") == {"Kettle", "Toaster", "Blender", "Kettle descaler"}

    assert titles(m.buyer, q="kettle") == {"Kettle", "Kettle descaler"}
    assert titles(m.buyer, q="blnd-9") == {"Blender"}  # the SKU, case aside
    assert titles(m.buyer, q="kettle", status="pending", group="active") == {
        "Kettle",
        "Kettle descaler",
    }
    assert titles(m.buyer, q="no such thing") == set()

    # The supplier sees the same orders; another buyer organisation sees none of them.
    assert titles(m.supplier, status="pending") == {"Kettle", "Blender", "Kettle descaler"}
    assert listed(as_user("bob", "buyer", f"outsider-{uuid.uuid4().hex[:8]}")) == []


def test_the_list_sorts_and_pages_by_keyset_without_duplicates_or_gaps(market):
    m = market("list-pages")
    placed = [order["id"] for order in stock(m).values()]

    newest_first = [order["id"] for order in listed(m.buyer)]
    assert newest_first == placed[::-1]
    assert [o["total"] for o in listed(m.buyer, sort="total")] == [100, 100, 200, 300, 500]
    assert [o["total"] for o in listed(m.buyer, sort="-total")] == [500, 300, 200, 100, 100]
    assert [o["id"] for o in listed(m.buyer, sort="placed_at")] == placed

    for sort in ("-placed_at", "placed_at", "total", "-total", "-updated_at"):
        ids, sizes = all_pages(m.buyer, sort=sort, limit=2)
        assert sizes == [2, 2, 1], sort
        assert ids == [o["id"] for o in listed(m.buyer, sort=sort)], sort
        assert sorted(ids) == sorted(placed), sort  # no duplicates, no gaps

    pending, sizes = all_pages(m.buyer, status="pending", limit=2)
    assert sizes == [2, 1] and len(set(pending)) == 3

    problem(m.buyer.get("/orders", params={"sort": "colour"}), 422, None)
    problem(m.buyer.get("/orders", params={"cursor": "not-a-cursor"}), 422, None)


def test_the_board_counts_orders_per_status_and_group(market):
    m = market("list-counts")
    stock(m)

    for client in (m.buyer, m.supplier):
        response = client.get("/orders/counts")
        assert response.status_code == 200, response.text
        retail = {
            "all": 5,
            "by_status": {"pending": 3, "ready_to_ship": 1, "cancelled": 1},
            "by_group": {"active": 4, "completed": 1},
        }
        assert response.json() == {**retail, "by_workflow": {"retail": retail}}


def test_the_board_counts_each_workflow_apart_and_honours_the_workflow_filter(market):
    m = market("board-workflows")
    stock(m)
    m.place({**FACTORY, "title": "Gears"})

    board = m.supplier.get("/orders/counts").json()
    assert board["all"] == 6
    assert board["by_workflow"]["factory"] == {
        "all": 1,
        "by_status": {"confirmed": 1},
        "by_group": {"active": 1},
    }
    assert board["by_workflow"]["retail"]["by_status"] == {
        "pending": 3,
        "ready_to_ship": 1,
        "cancelled": 1,
    }

    retail = m.supplier.get("/orders/counts", params={"workflow": "retail"}).json()
    assert retail == {**board["by_workflow"]["retail"], "by_workflow": {"retail": ANY}}
    assert sum(retail["by_group"].values()) == sum(retail["by_status"].values()) == retail["all"]
    assert "confirmed" not in retail["by_status"]  # a retail seller's board has no factory states


def test_orders_filter_by_kind_and_by_delay_and_an_unknown_filter_or_value_is_a_422(market):
    m = market("list-flags")
    m.place({**SERVICES, "title": "Logo", "kind": "job", "terms": job_terms(2, amount=2 * 500)})
    m.place({**SERVICES, "title": "Website", "kind": "service"})
    brackets = m.place({**MANUFACTURING, "title": "Brackets"})
    for action in ("approve", "start_production"):
        act(m.supplier, brackets, action)
    late = {"estimated_deliver_by": "2031-03-20", "reason": "a furnace broke"}
    assert act(m.supplier, brackets, "update_estimate", late)["delayed"] is True

    assert titles(m.buyer, kind="job") == {"Logo"}
    assert titles(m.buyer, workflow="services", kind="service") == {"Website"}
    assert titles(m.buyer, delayed="true") == {"Brackets"}
    assert titles(m.buyer, delayed="false") == {"Logo", "Website"}
    assert m.buyer.get("/orders/counts", params={"delayed": "true"}).json()["all"] == 1

    back = {"estimated_deliver_by": "2031-03-14", "reason": "the furnace is fixed"}
    assert act(m.supplier, brackets, "update_estimate", back)["delayed"] is False
    assert titles(m.buyer, delayed="true") == set()

    for path, query, wrong in [
        ("/orders", {"colour": "red"}, "colour"),
        ("/orders", {"status": "bogus"}, "status"),
        ("/orders", {"workflow": "retail", "status": "in_production"}, "status"),
        ("/orders", {"workflow": "retail", "kind": "job"}, "kind"),
        ("/orders", {"kind": "subscription"}, "kind"),
        ("/orders", {"workflow": "shop"}, "workflow"),
        ("/orders", {"group": "archived"}, "group"),
        ("/orders", {"delayed": "maybe"}, "delayed"),
        ("/orders/counts", {"status": "pending"}, "status"),
    ]:
        body = problem(m.buyer.get(path, params=query), 422)
        assert wrong in body["errors"], (query, body)


def test_the_timeline_lists_every_transition_with_its_actor_and_time(market, as_user):
    m = market("timeline")
    order = m.place(
        {
            **RETAIL,
            "title": "Kettle",
            "lines": [{"sku": "KTL-1", "description": "Kettle", "quantity": 1, "unit_price": 300}],
        }
    )
    act(m.supplier, order, "ready_to_ship", {"tracking_number": "TRK-K"})
    parcel = {"order_id": order["id"], "shipment_id": "P1", "tracking_number": "TRK-K"}
    m.publish("parcel.scanned", {**parcel, "location": "Hub A", "location_kind": "sorting_centre"})
    when(m.buyer, order, status_is("shipped"))
    m.publish("parcel.delivered", parcel)
    when(m.buyer, order, status_is("delivered"))

    entries = timeline(m.buyer, order)
    assert [(e["kind"], e["actor"]) for e in entries] == [
        ("place", {"user_id": "alice", "role": "buyer", "org": m.buyer.org}),
        ("ready_to_ship", {"user_id": "sam", "role": "supplier", "org": m.supplier.org}),
        ("scan", {"user_id": "event:parcel.scanned", "role": "system", "org": "platform"}),
        ("deliver", {"user_id": "event:parcel.delivered", "role": "system", "org": "platform"}),
    ]
    assert [(e["data"].get("from"), e["data"].get("to")) for e in entries] == [
        (None, None),
        ("pending", "ready_to_ship"),
        ("ready_to_ship", "shipped"),
        ("shipped", "delivered"),
    ]
    assert [e["summary"] for e in entries] == [
        "Order placed: Kettle",
        "Parcel labelled, tracking number TRK-K",
        "Parcel scanned at Hub A",
        "Parcel P1 delivered",
    ]
    moments = [datetime.fromisoformat(e["at"]) for e in entries]
    assert all(moment.tzinfo is not None for moment in moments)
    assert moments == sorted(moments)
    # The supplier reads the same timeline; an outsider gets 404.
    assert timeline(m.supplier, order) == entries
    outsider = as_user("bob", "buyer", f"outsider-{uuid.uuid4().hex[:8]}")
    problem(outsider.get(f"/orders/{order['id']}/timeline"), 404, "not-found")


def test_an_idempotency_key_replays_the_same_order_instead_of_placing_another(market):
    m = market("idempotent")
    request = {
        **RETAIL,
        "title": "Kettle",
        "supplier_org": m.supplier.org,
        "lines": [{"sku": "KTL-1", "description": "Kettle", "quantity": 1, "unit_price": 300}],
    }
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = m.buyer.post("/orders", request, headers=key)
    again = m.buyer.post("/orders", request, headers=key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert [order["id"] for order in listed(m.buyer)] == [first.json()["id"]]

    reused = m.buyer.post("/orders", {**request, "title": "Toaster"}, headers=key)
    problem(reused, 422, "idempotency-key-reused")
    other = m.buyer.post("/orders", request, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert m.buyer.get("/orders/counts").json()["all"] == 2


def test_the_workflows_are_described_for_clients(as_user):
    described = as_user("ada", "admin", "platform").get("/workflows")

    assert described.status_code == 200
    workflows = {w["name"]: w for w in described.json()}
    assert set(workflows) == {"manufacturing", "factory", "services", "retail"}
    retail = workflows["retail"]
    assert {s["name"]: s["group"] for s in retail["states"]}["shipped"] == "active"
    assert {a["name"] for a in retail["actions"]} >= {"ready_to_ship", "cancel", "return"}
