"""The events of an order come from their contracts: the lists, and each payload's shape."""

from dataclasses import fields
from datetime import UTC, datetime

from contracts.catalogue import CONTRACTS
from orders.domain import Actor, Order, place_order
from orders.workflow import latest, load_workflows
from orders.workflow.events import EMITTED_EVENTS, REACTED_EVENTS, payload

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REQUEST = {
    "supplier_org": "forge",
    "title": "Brackets",
    "currency": "EUR",
    "lines": [{"sku": "BRKT-7", "description": "Bracket", "quantity": 4, "unit_price": 250}],
}


def placed() -> Order:
    workflow = latest(load_workflows(), "retail")
    order, _ = place_order(workflow, "o-1", Actor("u-1", "buyer", "acme"), REQUEST, NOW)
    return order


def test_the_event_lists_are_what_the_contracts_say():
    assert set(EMITTED_EVENTS) == {n for n, c in CONTRACTS.items() if c.producer == "orders"}
    assert set(REACTED_EVENTS) == {n for n, c in CONTRACTS.items() if "orders" in c.consumers}


def test_every_fact_a_contract_takes_from_the_order_is_an_attribute_of_the_order():
    attributes = {f.name for f in fields(Order)} | {"total"}
    for name in EMITTED_EVENTS:
        contract = CONTRACTS[name]
        for field_name, declared in contract.schema(contract.version).fields.items():
            fact = declared.metadata.get("order")
            assert fact is None or fact in attributes, (name, field_name, fact)


def test_a_payload_is_what_the_action_stated_completed_with_the_orders_facts():
    order = placed()

    approved = payload(order, "order.approved", {})
    assert approved == {
        "order_id": "o-1",
        "buyer_org": "acme",
        "supplier_org": "forge",
        "workflow": "retail",
        "workflow_version": 1,
        "status": "pending",
        "lines": [
            {
                "line_id": "L1",
                "sku": "BRKT-7",
                "description": "Bracket",
                "quantity": 4,
                "unit_price": 250,
            }
        ],
    }
    accepted = payload(order, "order.accepted", {})
    assert (accepted["currency"], accepted["amount"], accepted["accepted_amount"]) == (
        "EUR",
        1000,
        1000,
    )
    assert payload(order, "order.accepted", {"accepted_amount": 250})["accepted_amount"] == 250
    assert "amount" not in payload(order, "order.ready_to_ship", {"tracking_number": "T"})


def test_the_placement_says_whether_the_order_waits_for_an_approval_before_it_ships():
    # Fulfillment refuses a supplier's shipment until order.approved when the workflow has one.
    workflows = load_workflows()
    awaits = {name: latest(workflows, name).awaits_approval for name, _ in workflows}
    assert awaits == {"manufacturing": True, "retail": False, "factory": False, "services": False}

    retail = latest(workflows, "retail")
    _, outcome = place_order(retail, "o-1", Actor("u-1", "buyer", "acme"), REQUEST, NOW)
    [(event_type, data)] = outcome.events
    assert (event_type, data["awaits_approval"]) == ("order.placed", False)
