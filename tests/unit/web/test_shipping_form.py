"""The shipping form offers what is left after the shipments fulfillment already holds."""

from web.pages import _allocated


def test_quantities_already_in_shipments_are_added_up_per_line():
    shipments = [
        {"lines": [{"line_id": "a", "quantity": 25}, {"line_id": "b", "quantity": 10}]},
        {"lines": [{"line_id": "a", "quantity": 5}]},
    ]

    assert _allocated(shipments) == {"a": 30, "b": 10}


def test_no_shipments_allocate_nothing():
    assert _allocated([]) == {}
