"""Orders walked end to end through HTTP alone, with the real fulfillment service and the carrier
door: a manufacturing order in two partial shipments, a retail parcel tracked by AfterShip and
returned with the wrong item."""

from datetime import UTC, datetime, timedelta

from e2e.fulfillment_steps import (
    RETAIL_ORDER,
    SHIPPING,
    carrier,
    known_to_fulfillment,
    pdf_text,
    returns_of,
    scan,
    ship,
    shipments,
    tracking_number,
    upload,
)
from e2e.walk import act, fetch, page, problem, status_is, when
from support import files
from support.carriers import aftership_update, checkpoint
from support.waiting import eventually

MANUFACTURING = {
    "workflow": "manufacturing",
    "title": "Anodised brackets",
    "currency": "EUR",
    "committed_ship_by": "2031-03-10",
    "committed_deliver_by": "2031-03-14",
    "shipping": SHIPPING,
    "lines": [
        {"sku": "BRKT-7", "description": "Bracket, 6061-T6", "quantity": 40, "unit_price": 1250},
        {"sku": "PIN-2", "description": "Dowel pin", "quantity": 100, "unit_price": 30},
    ],
}


def test_a_manufacturing_order_ships_in_two_parts_and_completes_through_http_alone(market, system):
    m = market("ful-mfg")
    order = m.place(MANUFACTURING)
    order_id = order["id"]
    act(m.supplier, order, "approve")
    act(m.supplier, order, "start_production")
    problem(m.supplier.act(order_id, "mark_ready"), 409, "guard-failed")
    known_to_fulfillment(m.supplier, order_id)

    for kind in ("inspection_report", "material_certificate"):
        response = upload(m.supplier, order_id, kind, f"{kind}.pdf", files.pdf(kind))
        assert response.status_code == 201, response.text
    when(
        m.supplier, order, lambda o: o["documents"] == ["inspection_report", "material_certificate"]
    )
    assert act(m.supplier, order, "mark_ready")["status"] == "ready_for_delivery"

    first_number, second_number = tracking_number(), tracking_number()
    first = ship(m.supplier, order_id, [{"line_id": "L1", "quantity": 25}], first_number)
    when(m.buyer, order, status_is("in_delivery"))
    second = ship(
        m.supplier,
        order_id,
        [{"line_id": "L1", "quantity": 15}, {"line_id": "L2", "quantity": 100}],
        second_number,
    )
    # The second label was misprinted: the supplier corrects it before the carrier's first scan,
    # and the order (and the buyer) follow the new number.
    second_number = tracking_number()
    corrected = m.supplier.patch(
        f"/orders/{order_id}/shipments/{second['id']}", {"tracking_number": second_number}
    )
    assert corrected.status_code == 200, corrected.text
    when(m.buyer, order, lambda o: second_number in [s["tracking_number"] for s in o["shipments"]])
    over = m.supplier.post(
        f"/orders/{order_id}/shipments", {"lines": [{"line_id": "L1", "quantity": 1}]}
    )
    assert problem(over, 422)["errors"] == {
        "lines.L1": ["1 asked, but only 0 of 40 remain to ship"]
    }

    note = pdf_text(m.buyer.get(f"/orders/{order_id}/shipments/{first['id']}/delivery-note"))
    for text in (order_id, "Zoë Ångström", "Łódź Präzision GmbH", first_number, "BRKT-7", "25"):
        assert text in note, text
    assert second_number not in note and "PIN-2" not in note
    whole = pdf_text(m.supplier.get(f"/orders/{order_id}/delivery-note"))
    assert first_number in whole and second_number in whole and "DHL-998877" in whole

    door = carrier(system)
    start = datetime.now(UTC)
    for number in (first_number, second_number):
        sorting = scan(
            number, "in_transit", start, location="Leipzig hub", location_kind="sorting_centre"
        )
        assert door.post_generic("dhl", [sorting]).status_code == 202
    delivered = door.post_generic(
        "dhl",
        [
            scan(first_number, "delivered", start + timedelta(hours=20)),
            scan(second_number, "delivered", start + timedelta(hours=30)),
        ],
        batch=True,
    )
    assert delivered.status_code == 202 and delivered.json()["accepted"] == 2
    when(m.buyer, order, status_is("delivered"))
    assert act(m.buyer, order, "accept")["status"] == "completed"

    section = page(m.buyer, order)["fulfillment"]
    assert [s["status"] for s in section["shipments"]] == ["delivered", "delivered"]
    assert [[scan["status"] for scan in s["scans"]] for s in section["shipments"]] == [
        ["in_transit", "delivered"],
        ["in_transit", "delivered"],
    ]
    assert [d["kind"] for d in section["documents"]] == [
        "inspection_report",
        "material_certificate",
    ]
    assert second["number"] == 2


def test_a_retail_parcel_tracked_by_aftership_ships_is_delivered_and_comes_back(market, system):
    m = market("ful-retail")
    order = m.place(RETAIL_ORDER)
    number = tracking_number()
    act(m.supplier, order, "ready_to_ship", {"tracking_number": number})
    aftership = carrier(system, "AFTERSHIP_WEBHOOK_SECRET")
    start = datetime.now(UTC)
    journey = [
        checkpoint("InfoReceived", start),
        checkpoint(
            "InTransit", start + timedelta(hours=3), "InTransit_003", "Lagos sorting centre"
        ),
    ]
    assert aftership.post_aftership(aftership_update(number, "seko", journey)).status_code == 202
    # The label's event may overtake the placement's at fulfillment: it waits for the record.
    shipped = when(m.buyer, order, status_is("shipped"))
    assert shipped["shipments"][0]["tracking_number"] == number

    journey.append(checkpoint("Delivered", start + timedelta(days=2), location="Ikeja"))
    response = aftership.post_aftership(aftership_update(number, "seko", journey))
    assert response.json()["accepted"] == 3  # all three for processing: two had their effect
    when(m.buyer, order, status_is("delivered"))
    [parcel] = shipments(m.buyer, order["id"])
    assert [s["status"] for s in parcel["scans"]] == ["info_received", "in_transit", "delivered"]
    assert parcel["scans"][1]["location_kind"] == "sorting_centre"

    act(m.buyer, order, "return", {"reason": "wrong colour"})
    returns = returns_of(m.supplier, order["id"])
    photo = upload(m.supplier, order["id"], "return_photo", "pickup.jpg", files.photo_with_gps())
    assert photo.status_code == 201, photo.text
    receipt = m.supplier.post(
        f"/orders/{order['id']}/returns/{returns[0]['id']}/receive",
        {"wrong_item": True, "photos": [photo.json()["id"]], "note": "a toaster came back"},
    )
    assert receipt.status_code == 200, receipt.text
    assert receipt.json()["wrong_item"] is True
    assert when(m.buyer, order, status_is("returned"))["status_group"] == "completed"


def test_the_buyer_sees_no_delivery_note_of_another_organisations_order(market):
    m, other = market("ful-note"), market("ful-note-other")
    order = m.place(MANUFACTURING)
    act(m.supplier, order, "approve")
    fetch(m.buyer, order)
    problem(other.buyer.get(f"/orders/{order['id']}/delivery-note"), 404)
    problem(other.supplier.get(f"/orders/{order['id']}/shipments"), 404)


def test_a_shipment_before_the_suppliers_approval_is_refused_and_changes_nothing(market):
    m = market("ful-unapproved")
    order = m.place(MANUFACTURING)
    eventually(lambda: page(m.supplier, order)["fulfillment"])  # fulfillment heard of it
    refused = problem(
        m.supplier.post(
            f"/orders/{order['id']}/shipments", {"lines": [{"line_id": "L1", "quantity": 1}]}
        ),
        409,
        "conflict",
    )
    assert "not approved yet" in refused["detail"]
    assert shipments(m.supplier, order["id"]) == []

    act(m.supplier, order, "approve")
    known_to_fulfillment(m.supplier, order["id"])
    line = [{"line_id": "L1", "quantity": 1}]
    draft = ship(m.supplier, order["id"], line, tracking_number(), hand_over=False)
    withdrawn = m.supplier.delete(f"/orders/{order['id']}/shipments/{draft['id']}")
    assert withdrawn.status_code == 204, withdrawn.text
    assert shipments(m.supplier, order["id"]) == []
