"""Action forms drawn from a workflow's description, and the payloads they send back."""

import re

import pytest
from flask import render_template

from web.actions import FormProblem, action_forms, form_for, payload_of
from web.app import create_app
from web.settings import load_settings

WORKFLOW = {
    "actions": [
        {"name": "approve", "payload": {}},
        {
            "name": "update_estimate",
            "payload": {
                "estimated_deliver_by": {"type": "date"},
                "reason": {"type": "string", "required": True},
            },
        },
        {
            "name": "partly_accept",
            "payload": {
                "lines": {"type": "inspection_lines", "required": True},
                "feedback": {"type": "text"},
            },
        },
        {
            "name": "request_rework",
            "payload": {
                "feedback": {"type": "string", "required": True},
                "lines": {"type": "line_quantities"},
            },
        },
        {"name": "settle", "payload": {"outcome": {"type": "string", "choices": ["a", "b"]}}},
        {"name": "rate", "payload": {"rating": {"type": "integer", "min": 1, "max": 5}}},
    ]
}
ORDER = {
    "allowed_actions": ["request_rework", "approve", "partly_accept"],
    "lines": [{"line_id": "L1", "quantity": 10}, {"line_id": "L2", "quantity": 4}],
}


def action(name):
    return next(a for a in WORKFLOW["actions"] if a["name"] == name)


def test_the_forms_are_the_allowed_actions_in_the_workflows_order():
    forms = action_forms(WORKFLOW, ORDER)
    assert [f.name for f in forms] == ["approve", "partly_accept", "request_rework"]
    assert forms[0].one_click and not forms[1].one_click
    assert forms[0].title == "Approve" and forms[2].title == "Request rework"


def test_each_payload_type_gets_its_widget_and_line_fields_carry_the_orders_lines():
    widgets = {f.name: f.widget for f in form_for(action("partly_accept"), ORDER).fields}
    assert widgets == {"lines": "inspection_lines", "feedback": "textarea"}
    [lines, _] = form_for(action("partly_accept"), ORDER).fields
    assert [line["line_id"] for line in lines.lines] == ["L1", "L2"]
    [outcome] = form_for(action("settle"), ORDER).fields
    assert outcome.choices == ("a", "b")
    [rating] = form_for(action("rate"), ORDER).fields
    assert (rating.widget, rating.min, rating.max) == ("number", 1, 5)


def test_a_submitted_form_becomes_the_payload_leaving_blank_optional_fields_out():
    form = form_for(action("update_estimate"), ORDER)
    assert payload_of(form, {"reason": " Material late ", "estimated_deliver_by": ""}) == {
        "reason": "Material late"
    }


def test_line_quantities_and_verdicts_keep_only_the_lines_filled_in():
    rework = form_for(action("request_rework"), ORDER)
    assert payload_of(rework, {"feedback": "Burrs", "lines.L2": "3", "lines.L1": ""}) == {
        "feedback": "Burrs",
        "lines": [{"line_id": "L2", "quantity": 3}],
    }
    partly = form_for(action("partly_accept"), ORDER)
    submitted = {"lines.L1.accepted": "9", "lines.L1.rejected": "1", "lines.L2.accepted": ""}
    assert payload_of(partly, submitted) == {
        "lines": [{"line_id": "L1", "accepted": 9, "rejected": 1, "rework": 0}]
    }


def test_missing_required_fields_and_bad_numbers_are_named():
    with pytest.raises(FormProblem) as missing:
        payload_of(form_for(action("update_estimate"), ORDER), {})
    assert missing.value.errors == {"reason": "required"}
    with pytest.raises(FormProblem) as bad:
        payload_of(form_for(action("rate"), ORDER), {"rating": "five"})
    assert bad.value.errors == {"rating": "'five' is not a whole number"}


def test_one_click_buttons_that_move_money_or_end_an_order_ask_first():
    app = create_app(load_settings({"WEB_SECRET_KEY": "k" * 32}))
    order = {
        "id": "o-1",
        "title": "Chairs",
        "lines": [{"quantity": 2}],
        "total": 1000,
        "currency": "EUR",
        "buyer_org": "b",
        "supplier_org": "s",
        "status": "placed",
        "allowed_actions": ["accept", "record_payment", "cancel", "mark_packed"],
    }
    quick = set(order["allowed_actions"])
    with app.test_request_context():
        html = render_template(
            "partials/card.html",
            order=order,
            one_click=quick,
            unread={},
            workflow={"name": "standard"},
            filters={},
        )
    asking = re.findall(r'hx-confirm="([^"]+)"', html)
    assert asking == [
        "Accept order Chairs?",
        "Record payment order Chairs?",
        "Cancel order Chairs?",
    ]
