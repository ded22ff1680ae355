"""The order page, the CSV export and the demo data on the whole system as processes: every
section filled by its real service, and a section whose service is not running null with a
warning; the export's rows, formula escaping and selection."""

import csv
import io
import sys

from e2e.conftest import ROOT
from e2e.walk import unique
from support.waiting import eventually

sys.path.insert(0, str(ROOT / "tools"))
from demo import Demo, Walk

MANUFACTURING_DELIVERED = 6  # the path of Walk.paths() that ends with the parcel delivered


def demo_of(system) -> Demo:
    return Demo(
        system.api_url,
        {
            "JWT_SECRET": system.env["JWT_SECRET"],
            "CARRIER_WEBHOOK_SECRET": system.env["CARRIER_WEBHOOK_SECRET"],
        },
        org_suffix=unique(""),
    )


def test_the_order_page_shows_every_section_from_its_service(system):
    demo = demo_of(system)
    walk = Walk(demo, "manufacturing", 0)  # an even number: the buyer writes to the supplier
    assert walk.run(MANUFACTURING_DELIVERED) == "manufacturing/delivered"
    complaint = {"reason": "quality", "description": "Half of the brackets are scratched"}
    dispute = demo.retry_until_known(
        lambda: walk.buyer.call("POST", f"/orders/{walk.order['id']}/disputes", json=complaint)
    )

    walk.supplier.wait_for(walk.order, lambda order: order["disputed"], "the dispute's pause")

    page = walk.supplier.call("GET", f"/orders/{walk.order['id']}")

    assert page["warnings"] == []
    assert page["order"]["id"] == walk.order["id"]
    assert {entry["kind"] for entry in page["timeline"]} >= {"place", "approve", "mark_ready"}
    [shipment] = page["fulfillment"]["shipments"]
    assert shipment["tracking_number"] == walk.tracking[0]
    assert [scan["status"] for scan in shipment["scans"]] == ["in_transit", "delivered"]
    assert sorted(d["kind"] for d in page["fulfillment"]["documents"]) == [
        "inspection_report",
        "material_certificate",
    ]
    assert page["chat"]["unread"] >= 1  # the buyer's message, not yet read by the supplier
    assert sum(c["unread"] for c in page["chat"]["conversations"]) == page["chat"]["unread"]
    assert page["payments"]["held"] == page["order"]["total"]
    assert [d["id"] for d in page["disputes"]] == [dispute["id"]]
    assert page["claims"] == []


def test_the_demo_leaves_orders_of_every_workflow_in_several_states(system):
    demo = demo_of(system)
    plan = demo.walks(12)

    statuses = demo.run(12)

    assert sum(statuses.values()) == 12
    assert {key.split("/")[0] for key in statuses} == {
        "manufacturing",
        "factory",
        "services",
        "retail",
    }
    assert len(statuses) >= len({workflow for workflow, _ in plan}) * 3
    buyer = demo.users["alice"]
    counts = buyer.call("GET", "/orders/counts")
    assert len(counts["by_status"]) >= 6


def test_the_export_escapes_formulas_and_follows_the_selection(as_user):
    buyer = as_user("alice", "buyer", unique("csv-buyer"))
    supplier_org = unique("csv-supplier")
    # No web address in them: a placement's title may not carry one (ADR 19).
    hostile = ["=SUM(A1:A9)", "+1+2", "-3", "@SUM(A1)", "\tTab", "Plain"]
    placed = []
    for title in hostile:
        response = buyer.post(
            "/orders",
            {
                "workflow": "retail",
                "supplier_org": supplier_org,
                "title": title,
                "currency": "USD",
                "lines": [{"sku": "MUG-1", "quantity": 2, "unit_price": 1200}],
                "payment": {"method": "card", "token": "tok_visa"},
            },
        )
        assert response.status_code == 201, response.text
        placed.append(response.json())

    everything = buyer.get("/orders/export.csv")
    assert everything.status_code == 200, everything.text
    assert everything.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in everything.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(everything.text)))
    by_id = {row["Order"]: row for row in rows}
    assert set(by_id) == {order["id"] for order in placed}
    for order in placed:
        row = by_id[order["id"]]
        title = order["title"]
        assert row["Title"] == (title if title == "Plain" else "'" + title)
        assert (row["SKUs"], row["Quantity"], row["Currency"]) == ("MUG-1", "2", "USD")
        assert row["Total (minor units)"] == str(order["total"])
        assert row["Supplier"] == supplier_org and row["Status"] == order["status"]

    # Payments and fulfillment hear of the orders by their events; a labelled parcel's number.
    supplier = as_user("sam", "supplier", supplier_org)
    labelled = placed[-1]["id"]
    eventually(lambda: supplier.get(f"/orders/{labelled}").json()["fulfillment"])
    ready = supplier.act(labelled, "ready_to_ship", {"tracking_number": "JM-5550001"})
    assert ready.status_code == 200, ready.text

    def exported_with_statuses():
        rows = list(csv.DictReader(io.StringIO(buyer.get("/orders/export.csv").text)))
        known = all(row["Payment status"] and row["Fulfillment status"] for row in rows)
        tracked = any(row["Tracking numbers"] == "JM-5550001" for row in rows)
        return known and tracked and rows

    rows = eventually(exported_with_statuses, timeout=30)
    assert {row["Payment status"] for row in rows} <= {"pending", "held"}

    chosen = [placed[0]["id"], placed[-1]["id"]]
    selected = buyer.get("/orders/export.csv", params={"ids": chosen})
    assert sorted(row["Order"] for row in csv.DictReader(io.StringIO(selected.text))) == sorted(
        chosen
    )
    # Another organisation naming these orders exports none of them: only the header.
    stranger = as_user("olga", "buyer", unique("csv-stranger"))
    theirs = stranger.get("/orders/export.csv", params={"ids": chosen})
    assert theirs.status_code == 200, theirs.text
    assert list(csv.reader(io.StringIO(theirs.text))) == [
        next(csv.reader(io.StringIO(selected.text)))
    ]
    wrong = buyer.get("/orders/export.csv", params={"colour": "red"})
    assert wrong.status_code == 422
