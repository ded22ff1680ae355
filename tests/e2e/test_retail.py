"""The retail workflow (seed 003) walked through the gateway: the seller labels the parcel, the
carrier's scans and deliveries arrive as fulfillment's events on the real broker, the buyer may
cancel until the parcel ships and return it after delivery."""

from e2e.walk import act, fetch, line_statuses, problem, status_is, when

ORDER = {
    "workflow": "retail",
    "title": "Electric kettle and mugs",
    "currency": "NGN",
    "lines": [
        {"sku": "KTL-1", "description": "Electric kettle", "quantity": 1, "unit_price": 1500000},
        {"sku": "MUG-2", "description": "Mug", "quantity": 2, "unit_price": 250000},
    ],
}
TOTAL = 1500000 + 2 * 250000


def parcel(order, **extra):
    return {"order_id": order["id"], "shipment_id": "P1", "tracking_number": "JM-771", **extra}


def scanned(m, order):
    m.publish(
        "parcel.scanned",
        parcel(order, location="Lagos sorting centre", location_kind="sorting_centre"),
    )
    return when(m.buyer, order, status_is("shipped"))


def labelled(m, request=ORDER):
    order = m.place(request)
    return act(m.supplier, order, "ready_to_ship", {"tracking_number": "JM-771"})


def delivered(m, request=ORDER):
    order = labelled(m, request)
    scanned(m, order)
    m.publish("parcel.delivered", parcel(order))
    return when(m.buyer, order, status_is("delivered"))


def test_a_labelled_parcel_ships_at_the_sorting_centre_scan_and_each_item_keeps_its_history(
    market, order_events
):
    m = market("retail-ship")
    order = m.place(ORDER)
    assert order["status"] == "pending"

    problem(m.supplier.act(order["id"], "ready_to_ship", {}), 422, "invalid-request")
    ready = act(m.supplier, order, "ready_to_ship", {"tracking_number": "JM-771"})
    assert ready["status"] == "ready_to_ship"
    [labelled_event] = order_events.wait(order["id"], "order.ready_to_ship")
    assert labelled_event["data"]["tracking_number"] == "JM-771"

    shipped = scanned(m, order)
    assert shipped["shipments"][0]["tracking_number"] == "JM-771"
    assert line_statuses(shipped) == {"L1": "shipped", "L2": "shipped"}

    m.publish("parcel.delivered", parcel(order))
    arrived = when(m.buyer, order, status_is("delivered"))
    assert arrived["status_group"] == "completed"  # an ended order, as on the seed's board
    assert [line["delivered_qty"] for line in arrived["lines"]] == [1, 2]

    for line in arrived["lines"]:
        assert [step["status"] for step in line["history"]] == [
            "pending",
            "ready_to_ship",
            "shipped",
            "delivered",
        ]
        assert [step["actor"]["role"] for step in line["history"]] == [
            "buyer",
            "supplier",
            "system",
            "system",
        ]
        assert all(step["at"] for step in line["history"])
    order_events.wait(order["id"], "order.delivered")


def test_the_buyer_may_cancel_until_the_parcel_ships_and_not_after(market, order_events):
    m = market("retail-buyer-cancel")
    early = labelled(m)
    cancelled = act(m.buyer, early, "cancel", {"reason": "Found it cheaper"})
    assert cancelled["status"] == "cancelled"
    [event] = order_events.wait(early["id"], "order.cancelled")
    assert (
        event["data"]["by"],
        event["data"]["counts_against_supplier"],
        event["data"]["amount"],
    ) == ("buyer", False, TOTAL)

    late = labelled(m)
    shipped = scanned(m, late)
    refused = problem(
        m.buyer.act(late["id"], "cancel", {"reason": "Too late"}), 409, "illegal-transition"
    )
    assert (refused["state"], refused["allowed"]) == ("shipped", [])
    unchanged = fetch(m.buyer, late)
    assert (unchanged["status"], unchanged["version"]) == ("shipped", shipped["version"])


def test_the_seller_cancels_only_for_insufficient_stock(market, order_events):
    m = market("retail-seller-cancel")
    order = m.place(ORDER)

    refused = problem(
        m.supplier.act(order["id"], "cancel", {"reason": "too_busy"}), 409, "guard-failed"
    )
    assert refused["detail"] == "reason must be 'insufficient_stock'"

    cancelled = act(m.supplier, order, "cancel", {"reason": "insufficient_stock"})
    assert (cancelled["status"], cancelled["status_group"]) == ("cancelled", "completed")
    [event] = order_events.wait(order["id"], "order.cancelled")
    assert (event["data"]["by"], event["data"]["counts_against_supplier"]) == ("supplier", True)


def test_a_parcel_the_carrier_cannot_deliver_ends_the_order_as_delivery_failed(
    market, order_events
):
    m = market("retail-failed")
    order = labelled(m)
    scanned(m, order)

    m.publish("parcel.delivery_failed", parcel(order, reason="Address not found"))
    failed = when(m.buyer, order, status_is("delivery_failed"))

    assert failed["status_group"] == "completed"
    assert failed["shipments"][0]["status"] == "delivery_failed"
    assert line_statuses(failed) == {"L1": "delivery_failed", "L2": "delivery_failed"}
    assert failed["allowed_actions"] == []
    [event] = order_events.wait(order["id"], "order.delivery_failed")
    assert (event["data"]["reason"], event["data"]["amount"]) == ("Address not found", TOTAL)


def test_a_return_within_15_days_is_requested_received_and_the_order_returned(market, order_events):
    m = market("retail-return")
    order = delivered(m)

    problem(m.supplier.act(order["id"], "return", {"reason": "Broken"}), 403, "forbidden")
    requested = act(
        m.buyer,
        order,
        "return",
        {"reason": "Damaged", "description": "The kettle's lid is cracked"},
    )
    assert requested["status"] == "return_requested"
    order_events.wait(order["id"], "order.return_requested")

    m.publish("return.received", {"order_id": order["id"], "return_id": "R-1"})
    returned = when(m.buyer, order, status_is("returned"))

    assert [line["returned_qty"] for line in returned["lines"]] == [1, 2]
    assert [[step["status"] for step in line["history"]][-3:] for line in returned["lines"]] == [
        ["delivered", "return_requested", "returned"]
    ] * 2
    [event] = order_events.wait(order["id"], "order.returned")
    assert event["data"]["returned_amount"] == TOTAL
