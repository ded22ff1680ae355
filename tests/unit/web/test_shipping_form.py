"""The shipping form offers what fulfillment's record says is left to ship."""

from flask import g, render_template

from web.app import create_app
from web.pages import _left_to_ship
from web.settings import load_settings

SETTINGS = load_settings({"WEB_SECRET_KEY": "k" * 32})
ORDER = {"id": "o-1", "lines": [{"line_id": "a", "sku": "BRACKET", "quantity": 40}]}


def test_what_is_left_is_ordered_minus_shipped_per_line():
    record = {
        "lines": [
            {"line_id": "a", "quantity": 40, "shipped": 25},
            {"line_id": "b", "quantity": 10, "shipped": 10},
        ]
    }

    assert _left_to_ship(record) == {"a": 15, "b": 0}


def test_parts_sent_back_for_rework_are_left_to_ship_again():
    # Fulfillment takes re-worked parts back from "shipped" (domain.reworked), though the
    # shipments that carried them stay as they were.
    record = {"lines": [{"line_id": "a", "quantity": 40, "shipped": 30}]}

    assert _left_to_ship(record) == {"a": 10}


def test_no_record_offers_nothing():
    assert _left_to_ship(None) == {}


def _shipping_tab(left_to_ship, awaits_approval=False):
    app = create_app(SETTINGS)
    with app.test_request_context():
        g.user = {"role": "supplier"}
        return render_template(
            "tabs/shipping.html",
            order=ORDER,
            shipments=[],
            left_to_ship=left_to_ship,
            awaits_approval=awaits_approval,
            failed={},
        )


def test_the_form_offers_what_the_record_leaves_and_no_more():
    html = _shipping_tab(
        _left_to_ship({"lines": [{"line_id": "a", "quantity": 40, "shipped": 30}]})
    )

    assert "(10 left)" in html
    assert 'max="10"' in html


def test_no_form_when_everything_is_shipped_or_the_record_is_unknown():
    shipped = {"lines": [{"line_id": "a", "quantity": 40, "shipped": 40}]}

    assert "Create a shipment" not in _shipping_tab(_left_to_ship(shipped))
    assert "Create a shipment" not in _shipping_tab(_left_to_ship(None))


def test_an_order_awaiting_approval_offers_no_form_and_says_why():
    record = {"awaits_approval": True, "lines": [{"line_id": "a", "quantity": 40, "shipped": 0}]}

    html = _shipping_tab(_left_to_ship(record), awaits_approval=True)

    assert "Create a shipment" not in html
    assert "once the approval has reached shipping" in html
