"""An order's copies share nothing with it: a command changes its draft, a save serialises its
dict, and neither may reach back into the order they came from."""

from datetime import UTC, date, datetime

from orders.domain import Line, Order

NOW = datetime(2031, 3, 3, 9, tzinfo=UTC)


def _order() -> Order:
    return Order(
        id="o-1",
        buyer_org="acme",
        buyer_user="u-1",
        supplier_org="forge",
        workflow="manufacturing",
        workflow_version=1,
        status="in_production",
        status_entered_at=NOW,
        currency="EUR",
        title="Brackets",
        placed_at=NOW,
        updated_at=NOW,
        lines=[
            Line(
                "L1",
                "BRK",
                "Bracket",
                40,
                500,
                history=[{"status": "made", "at": NOW.isoformat(), "actor": {"role": "supplier"}}],
            )
        ],
        committed_ship_by=date(2031, 3, 20),
        documents={"inspection_report"},
        shipments=[{"id": "s-1", "lines": [{"line_id": "L1", "quantity": 10}]}],
        reviews={"buyer": {"rating": 5}},
        fired_timers={"remind": None},
        timeline=[{"kind": "placed"}],
    )


def test_changing_a_draft_leaves_the_order_as_it_was():
    order = _order()
    before = order.to_dict()
    draft = order.draft()

    draft.lines[0].history[0]["actor"]["role"] = "admin"
    draft.shipments[0]["lines"][0]["quantity"] = 99
    draft.documents.add("material_certificate")
    draft.reviews["buyer"]["rating"] = 1
    draft.fired_timers["remind"] = "2031-03-04"

    assert order.to_dict() == before
    assert draft.timeline == []  # the domain appends to the order's own, never reads it


def test_changing_a_saved_dict_leaves_the_order_as_it_was():
    order = _order()
    before = order.to_dict()
    saved = order.to_dict()

    saved["lines"][0]["history"][0]["actor"]["role"] = "admin"
    saved["shipments"][0]["lines"][0]["quantity"] = 99
    saved["timeline"].append({"kind": "noted"})

    assert order.to_dict() == before


def test_an_order_comes_back_from_its_dict_whole():
    order = _order()
    data = order.to_dict()

    assert data["documents"] == ["inspection_report"]
    assert data["committed_ship_by"] == "2031-03-20"
    assert data["total"] == 40 * 500
    assert "timeline" not in order.to_dict(timeline=False)
    assert Order.from_dict(data) == order
