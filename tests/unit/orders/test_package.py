"""A services order carries its package as agreed: shown on the order, its revisions counted."""

from datetime import UTC, datetime

import pytest

from contracts.errors import InvalidRequest
from contracts.rpc import orders as requests
from orders import domain
from orders.workflow import load_workflows

BUYER = domain.Actor(user_id="erin", role="buyer", org="studio")
PACKAGE = {
    "name": "Standard",
    "features": ["Responsive layout", "Source files"],
    "delivery_days": 7,
    "revisions_included": 2,
    "price": 15000,
}
REQUEST = {
    "supplier_org": "pixel",
    "title": "Landing page",
    "currency": "EUR",
    "workflow": "services",
    "kind": "service",
    "lines": [{"sku": "GIG-1", "description": "Landing page", "quantity": 1, "unit_price": 15000}],
    "package": PACKAGE,
}
NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


def place(request):
    requests.check(requests.PLACE_ORDER, request)
    workflow = load_workflows()[("services", 1)]
    order, _ = domain.place_order(workflow, "o-1", BUYER, request, NOW)
    return order


def test_the_package_is_kept_on_the_order_and_its_revisions_are_the_orders():
    order = place(REQUEST).to_dict()
    assert order["package"] == PACKAGE
    assert order["revisions_allowed"] == PACKAGE["revisions_included"]


def test_revisions_that_contradict_the_package_are_refused():
    with pytest.raises(InvalidRequest) as refused:
        place({**REQUEST, "revisions_allowed": 5})
    assert refused.value.details["errors"] == {
        "revisions_allowed": ["must equal package.revisions_included"]
    }


@pytest.mark.parametrize(
    "wrong",
    [{"delivery_days": -1}, {"name": ""}, {"price": "150"}, {"features": ["x"] * 51}],
)
def test_a_malformed_package_is_refused_at_the_door(wrong):
    with pytest.raises(InvalidRequest) as refused:
        place({**REQUEST, "package": {**PACKAGE, **wrong}})
    assert "package" in refused.value.details["errors"]
