"""The manufacturing workflow (seed 000) walked through the gateway: the supplier approves and
produces, quality documents and shipments arrive as fulfillment's events on the real broker, and
the buyer inspects what was delivered."""

from e2e.walk import act, fetch, lines, problem, status_is, timeline, when

ORDER = {
    "workflow": "manufacturing",
    "title": "Anodised brackets",
    "currency": "EUR",
    "committed_ship_by": "2031-03-10",
    "committed_deliver_by": "2031-03-14",
    "lines": [
        {"sku": "BRKT-7", "description": "Bracket, 6061-T6", "quantity": 10, "unit_price": 1250},
        {"sku": "PIN-2", "description": "Dowel pin", "quantity": 4, "unit_price": 300},
    ],
}
TOTAL = 10 * 1250 + 4 * 300
DOCUMENTS = ["inspection_report", "material_certificate"]


def upload(m, order, kind):
    m.publish(
        "document.uploaded", {"order_id": order["id"], "document_id": f"doc-{kind}", "kind": kind}
    )


def in_production(m, request=ORDER):
    order = m.place(request)
    act(m.supplier, order, "approve")
    return act(m.supplier, order, "start_production")


def ready(m, request=ORDER):
    order = in_production(m, request)
    for kind in DOCUMENTS:
        upload(m, order, kind)
    when(m.supplier, order, lambda o: o["documents"] == DOCUMENTS)
    return act(m.supplier, order, "mark_ready")


def delivered(m, request=ORDER):
    """A ready order shipped in one parcel and delivered."""
    order = ready(m, request)
    parcel = {"order_id": order["id"], "shipment_id": "S1", "tracking_number": "TRK-1"}
    m.publish("shipment.created", parcel)
    when(m.buyer, order, status_is("in_delivery"))
    m.publish("parcel.delivered", parcel)
    return when(m.buyer, order, status_is("delivered"))


def test_an_order_walks_from_placement_through_documents_and_partial_shipments_to_acceptance(
    market, order_events
):
    m = market("mfg")
    order = m.place(ORDER)
    assert (order["status"], order["total"], order["version"]) == ("ordered", TOTAL, 1)
    assert [line["status"] for line in order["lines"]] == ["ordered", "ordered"]

    assert act(m.supplier, order, "approve")["status"] == "approved"
    producing = act(m.supplier, order, "start_production")
    assert producing["status"] == "in_production"

    # Ready for Delivery needs both quality documents; none has arrived yet.
    refused = problem(m.supplier.act(order["id"], "mark_ready"), 409, "guard-failed")
    assert refused["detail"] == "missing documents: inspection_report, material_certificate"
    assert (refused["state"], refused["guard"]) == ("in_production", "requires_documents")
    assert fetch(m.supplier, order)["version"] == producing["version"]

    upload(m, order, "inspection_report")
    when(m.supplier, order, lambda o: o["documents"] == ["inspection_report"])
    refused = problem(m.supplier.act(order["id"], "mark_ready"), 409, "guard-failed")
    assert refused["detail"] == "missing documents: material_certificate"

    upload(m, order, "material_certificate")
    when(m.supplier, order, lambda o: o["documents"] == DOCUMENTS)
    assert act(m.supplier, order, "mark_ready")["status"] == "ready_for_delivery"

    # The first of two partial shipments puts the order in delivery.
    first = {
        "order_id": order["id"],
        "shipment_id": "S1",
        "tracking_number": "TRK-1",
        "lines": [{"line_id": "L1", "quantity": 10}, {"line_id": "L2", "quantity": 1}],
    }
    m.publish("shipment.created", first)
    shipping = when(m.buyer, order, status_is("in_delivery"))
    assert [(line["shipped_qty"], line["status"]) for line in shipping["lines"]] == [
        (10, "in_delivery"),
        (1, "in_delivery"),
    ]

    m.publish("parcel.delivered", first)
    partly = when(m.buyer, order, lambda o: lines(o)["L1"]["delivered_qty"] == 10)
    assert partly["status"] == "in_delivery"
    assert [(line["delivered_qty"], line["status"]) for line in partly["lines"]] == [
        (10, "delivered"),
        (1, "in_delivery"),
    ]

    second = {"order_id": order["id"], "shipment_id": "S2", "tracking_number": "TRK-2"}
    m.publish("shipment.created", second)  # no lines: whatever is left to ship
    when(m.buyer, order, lambda o: len(o["shipments"]) == 2)
    m.publish("parcel.delivered", second)
    arrived = when(m.buyer, order, status_is("delivered"))
    assert [
        (line["shipped_qty"], line["delivered_qty"], line["status"]) for line in arrived["lines"]
    ] == [(10, 10, "delivered"), (4, 4, "delivered")]
    assert [(s["shipment_id"], s["status"]) for s in arrived["shipments"]] == [
        ("S1", "delivered"),
        ("S2", "delivered"),
    ]
    assert arrived["allowed_actions"] == ["accept", "partly_accept", "reject", "request_rework"]
    assert fetch(m.supplier, order)["allowed_actions"] == []  # it waits for the inspection

    completed = act(m.buyer, order, "accept", {"feedback": "Spot on"})
    assert (completed["status"], completed["status_group"]) == ("completed", "completed")
    assert completed["inspection"]["result"] == "accepted"
    assert [line["accepted_qty"] for line in completed["lines"]] == [10, 4]

    [accepted] = order_events.wait(order["id"], "order.accepted")
    assert (accepted["data"]["accepted_amount"], accepted["data"]["amount"]) == (TOTAL, TOTAL)
    assert len(order_events.wait(order["id"], "order.delivered")) == 1
    kinds = [entry["kind"] for entry in timeline(m.buyer, order)]
    assert kinds == [
        "place",
        "approve",
        "start_production",
        "record_document",
        "record_document",
        "mark_ready",
        "ship",
        "receive_parcel",
        "ship",
        "receive_parcel",
        "accept",
    ]


def test_the_buyer_rejects_a_delivered_order(market, order_events):
    m = market("mfg-reject")
    order = delivered(m)

    problem(m.buyer.act(order["id"], "reject", {}), 422, "invalid-request")  # a reason is due
    rejected = act(m.buyer, order, "reject", {"reason": "Wrong alloy"})

    assert (rejected["status"], rejected["status_group"]) == ("rejected", "rejected")
    assert rejected["inspection"]["result"] == "rejected"
    assert rejected["inspection"]["feedback"] == "Wrong alloy"
    assert [(line["accepted_qty"], line["rejected_qty"]) for line in rejected["lines"]] == [
        (0, 10),
        (0, 4),
    ]
    assert rejected["allowed_actions"] == []
    [event] = order_events.wait(order["id"], "order.rejected")
    assert (event["data"]["reason"], event["data"]["amount"]) == ("Wrong alloy", TOTAL)


def test_rework_sends_the_parts_back_to_production_and_they_are_delivered_again(
    market, order_events
):
    m = market("mfg-rework")
    order = delivered(m)

    rework = act(
        m.buyer,
        order,
        "request_rework",
        {"feedback": "Burrs on three brackets", "lines": [{"line_id": "L1", "quantity": 3}]},
    )
    assert rework["status"] == "in_production"
    assert rework["inspection"]["result"] == "rework"
    assert [
        (line["rework_qty"], line["shipped_qty"], line["delivered_qty"], line["status"])
        for line in rework["lines"]
    ] == [(3, 7, 7, "in_production"), (0, 4, 4, "delivered")]
    [event] = order_events.wait(order["id"], "order.rework_requested")
    assert event["data"]["feedback"] == "Burrs on three brackets"

    # The documents are still on file: the re-worked parts go out and arrive again.
    assert act(m.supplier, order, "mark_ready")["status"] == "ready_for_delivery"
    parcel = {"order_id": order["id"], "shipment_id": "S-rework", "tracking_number": "TRK-9"}
    m.publish("shipment.created", parcel)
    reshipped = when(m.buyer, order, status_is("in_delivery"))
    assert reshipped["shipments"][-1]["lines"] == [{"line_id": "L1", "quantity": 3}]
    m.publish("parcel.delivered", parcel)
    again = when(m.buyer, order, status_is("delivered"))
    assert [line["delivered_qty"] for line in again["lines"]] == [10, 4]

    assert act(m.buyer, order, "accept")["status"] == "completed"


def test_a_partly_accepted_order_records_each_lines_quantities(market, order_events):
    m = market("mfg-partly")
    order = delivered(m)

    wrong = m.buyer.act(
        order["id"],
        "partly_accept",
        {
            "lines": [
                {"line_id": "L1", "accepted": 8, "rejected": 1},
                {"line_id": "L2", "accepted": 4},
            ]
        },
    )
    assert "accepted + rejected + rework must be 10" in str(
        problem(wrong, 422, "invalid-request")["errors"]
    )
    assert fetch(m.buyer, order)["version"] == order["version"]

    verdicts = [
        {"line_id": "L1", "accepted": 7, "rejected": 2, "rework": 1},
        {"line_id": "L2", "accepted": 4},
    ]
    partly = act(m.buyer, order, "partly_accept", {"lines": verdicts, "feedback": "Two cracked"})

    assert partly["status"] == "completed"
    assert partly["inspection"]["result"] == "partly_accepted"
    assert partly["inspection"]["lines"] == [
        {"line_id": "L1", "accepted": 7, "rejected": 2, "rework": 1},
        {"line_id": "L2", "accepted": 4, "rejected": 0, "rework": 0},
    ]
    assert [
        (line["accepted_qty"], line["rejected_qty"], line["rework_qty"]) for line in partly["lines"]
    ] == [(7, 2, 1), (4, 0, 0)]
    [event] = order_events.wait(order["id"], "order.partly_accepted")
    assert event["data"]["accepted_amount"] == 7 * 1250 + 4 * 300


def test_the_supplier_updates_the_estimate_with_a_reason_and_a_late_one_flags_the_order_delayed(
    market, order_events
):
    m = market("mfg-estimate")
    order = in_production(m)

    missing = problem(
        m.supplier.act(order["id"], "update_estimate", {"estimated_deliver_by": "2031-03-12"}),
        422,
        "invalid-request",
    )
    assert "reason" in missing["errors"]

    earlier = act(
        m.supplier,
        order,
        "update_estimate",
        {
            "estimated_ship_by": "2031-03-08",
            "estimated_deliver_by": "2031-03-12",
            "reason": "Material arrived early",
        },
    )
    assert (earlier["estimated_ship_by"], earlier["estimated_deliver_by"]) == (
        "2031-03-08",
        "2031-03-12",
    )
    assert earlier["delayed"] is False
    [changed] = order_events.wait(order["id"], "order.dates_changed")
    assert changed["data"]["reason"] == "Material arrived early"
    assert changed["data"]["previous"] == {
        "estimated_ship_by": "2031-03-10",
        "estimated_deliver_by": "2031-03-14",
    }

    late = act(
        m.supplier,
        order,
        "update_estimate",
        {"estimated_deliver_by": "2031-03-20", "reason": "Anodising line down"},
    )
    assert late["delayed"] is True
    assert (late["committed_deliver_by"], late["estimated_deliver_by"]) == (
        "2031-03-14",
        "2031-03-20",
    )
    assert late["status"] == "in_production"
    [delayed] = order_events.wait(order["id"], "order.delayed")
    assert delayed["data"]["kind"] == "estimate_past_committed"
    assert len(order_events.wait(order["id"], "order.dates_changed", count=2)) == 2

    summaries = [
        entry["summary"] for entry in timeline(m.buyer, order) if entry["kind"] == "update_estimate"
    ]
    assert summaries == [
        "Estimated dates updated: Material arrived early",
        "Estimated dates updated: Anodising line down",
    ]


def test_an_illegal_action_is_a_409_naming_the_state_and_the_allowed_actions_and_changes_nothing(
    market,
):
    m = market("mfg-illegal")
    order = m.place(ORDER)

    refused = problem(m.supplier.act(order["id"], "mark_ready"), 409, "illegal-transition")
    assert refused["state"] == "ordered"
    assert refused["allowed"] == ["approve", "update_estimate"]
    problem(m.buyer.act(order["id"], "accept"), 409, "illegal-transition")

    unchanged = fetch(m.buyer, order)
    assert (unchanged["status"], unchanged["version"]) == ("ordered", order["version"])
    assert [entry["kind"] for entry in timeline(m.buyer, order)] == ["place"]


def test_a_role_the_action_is_not_for_gets_403_and_changes_nothing(market):
    m = market("mfg-role")
    order = m.place(ORDER)

    problem(m.buyer.act(order["id"], "approve"), 403, "forbidden")
    problem(m.admin.act(order["id"], "approve"), 403, "forbidden")
    problem(m.supplier.act(order["id"], "reject", {"reason": "no"}), 403, "forbidden")

    unchanged = fetch(m.buyer, order)
    assert (unchanged["status"], unchanged["version"]) == ("ordered", order["version"])


def test_if_match_with_a_stale_version_is_refused_and_the_current_one_acts(market):
    m = market("mfg-ifmatch")
    order = m.place(ORDER)

    stale = m.supplier.act(order["id"], "approve", headers={"If-Match": '"7"'})
    assert problem(stale, 412, "precondition-failed")["version"] == order["version"]
    fresh = m.supplier.act(order["id"], "approve", headers={"If-Match": f'"{order["version"]}"'})
    assert fresh.status_code == 200, fresh.text
    assert fresh.headers["ETag"] == f'"{order["version"] + 1}"'
    assert fresh.json()["status"] == "approved"
