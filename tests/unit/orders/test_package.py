"""A services order carries its agreement: a service order its package, a job order its terms;
shown on the order, their revisions and due date the order's."""

from datetime import UTC, datetime

import pytest

from contracts.errors import InvalidRequest
from contracts.rpc import orders as requests
from orders import domain
from orders.workflow import load_workflows
from support.order_facts import SHIP_TO
from support.orders import job_terms

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


JOB = {**REQUEST, "kind": "job", "package": None, "terms": job_terms(2)}


def test_a_job_order_keeps_its_terms_and_takes_its_revisions_and_due_date_from_them():
    order = place(JOB).to_dict()
    assert order["terms"] == JOB["terms"]
    assert order["revisions_allowed"] == 2
    assert order["committed_deliver_by"] == JOB["terms"]["due_date"]


def test_an_hourly_job_states_its_rate_and_hours_and_they_make_the_amount():
    hourly = job_terms(0, budget="hourly", hourly_rate=5000, hours=3, amount=15000)
    assert place({**JOB, "terms": hourly}).terms["hours"] == 3
    with pytest.raises(InvalidRequest) as refused:
        place({**JOB, "terms": {**hourly, "hours": 4}})
    assert refused.value.details["errors"]["terms"] == {
        "amount": ["must equal hourly_rate times hours"]
    }


def test_a_jobs_agreed_amount_must_be_the_orders_total():
    total = sum(line["quantity"] * line["unit_price"] for line in JOB["lines"])
    assert place(JOB).terms["amount"] == total
    with pytest.raises(InvalidRequest) as refused:
        place({**JOB, "terms": job_terms(2, amount=total + 1)})
    assert refused.value.details["errors"] == {
        "terms": {"amount": [f"must equal the order's total ({total})"]}
    }
    more_lines = [{**line, "quantity": 2} for line in JOB["lines"]]
    with pytest.raises(InvalidRequest) as refused:
        place({**JOB, "lines": more_lines})
    assert "must equal the order's total" in refused.value.details["errors"]["terms"]["amount"][0]


def test_terms_name_no_currency_of_their_own():
    """The terms' amounts are in the order's currency: a currency in them is refused at the
    door, even the order's own, rather than kept beside it to contradict it later."""
    for currency in ("USD", JOB["currency"]):
        with pytest.raises(InvalidRequest) as refused:
            place({**JOB, "terms": {**job_terms(2), "currency": currency}})
        assert "currency" in refused.value.details["errors"]["terms"]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({**JOB, "terms": None}, "terms"),  # a job order carries its terms
        ({**REQUEST, "terms": job_terms(2)}, "terms"),  # a service order has none
        ({**JOB, "revisions_allowed": 5}, "revisions_allowed"),
        ({**JOB, "committed_deliver_by": "2031-04-01"}, "committed_deliver_by"),
        ({**JOB, "terms": job_terms(2, due_date="2031-03-01")}, "terms"),  # due before start
        ({**JOB, "terms": job_terms(2, budget="fixed", hours=3)}, "terms"),
        ({**JOB, "terms": {**job_terms(2), "scope": ""}}, "terms"),
    ],
)
def test_terms_that_are_missing_misplaced_or_inconsistent_are_refused(request_, field):
    with pytest.raises(InvalidRequest) as refused:
        place(request_)
    assert field in refused.value.details["errors"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "Landing page, call +1 415 555 0132"}, "title"),
        (
            {"lines": [{**REQUEST["lines"][0], "description": "see wa.me/4155550132"}]},
            "lines.0.description",
        ),
        (
            {"terms": job_terms(2, scope="Copy; brief at maria dot lopez at gmail dot com")},
            "terms.scope",
        ),
        (
            {"terms": job_terms(2, deliverables=["Hero", "mail me: erin@studio.io"])},
            "terms.deliverables.1",
        ),
        (
            {"kind": "service", "terms": None, "package": {**PACKAGE, "name": "Call 4155550132"}},
            "package.name",
        ),
        (
            {
                "kind": "service",
                "terms": None,
                "package": {**PACKAGE, "features": ["Source files", "skype: pixel.erin"]},
            },
            "package.features.1",
        ),
        (
            {"shipping": {"ship_to": SHIP_TO, "payment_terms": "Net 30, ring +1 415 555 0132"}},
            "shipping.payment_terms",
        ),
    ],
)
def test_free_text_the_supplier_reads_may_carry_no_contact_details(change, field):
    """The placement's title, descriptions, package and job terms and the shipping's payment
    terms are screened as action notes are."""
    with pytest.raises(InvalidRequest) as refused:
        place({**JOB, **change})
    assert {found["field"] for found in refused.value.details["contact_details"]} == {field}
    assert "off the platform is not allowed" in str(refused.value)


def test_ordinary_placement_text_passes():
    terms = job_terms(2, scope="Hero copy, 3 blurbs of 40-60 words, PO# 4500012345, due 2031-03-17")
    assert place({**JOB, "title": "Landing page v2 (EN/DE)", "terms": terms}).title


def test_the_ship_to_phone_is_for_the_carrier_and_passes():
    shipping = {"ship_to": {**SHIP_TO, "phone": "+1 415 555 0132"}, "payment_terms": "Net 30"}
    assert place({**JOB, "shipping": shipping}).shipping["ship_to"]["phone"] == "+1 415 555 0132"
