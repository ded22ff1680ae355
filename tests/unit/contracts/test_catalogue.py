"""The contracts are the published language: they must say what the services really do."""

import importlib
import inspect

import pytest

from chassis.consumer import EventConsumer
from contracts.catalogue import CONTRACTS, render_markdown
from orders.workflow.events import EMITTED_EVENTS, REACTED_EVENTS
from support.components import ROOT, SERVICES


def service_class(name):
    return getattr(importlib.import_module(f"{name}.service"), f"{name.capitalize()}Service")


def consumed_events(cls) -> set[str]:
    return {
        entrypoint.event_type
        for _, member in inspect.getmembers(cls)
        for entrypoint in getattr(member, "nameko_entrypoints", ())
        if isinstance(entrypoint, EventConsumer)
    }


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_consumes_exactly_the_events_its_contracts_list(service):
    listed = {name for name, c in CONTRACTS.items() if service in c.consumers}
    assert consumed_events(service_class(service)) == listed


def test_every_event_the_orders_domain_emits_has_a_contract_published_by_orders():
    for event_type in EMITTED_EVENTS:
        assert CONTRACTS[event_type].producer == "orders", event_type


def test_every_event_the_orders_domain_reacts_to_has_a_contract_from_another_service():
    for event_type in REACTED_EVENTS:
        assert CONTRACTS[event_type].producer != "orders", event_type


def test_events_are_named_aggregate_dot_past_tense_verb():
    for name in CONTRACTS:
        aggregate, _, verb = name.partition(".")
        assert aggregate.isidentifier() and verb and name == name.lower(), name


def test_the_event_catalogue_in_docs_is_up_to_date():
    assert (ROOT / "docs" / "events.md").read_text() == render_markdown(), (
        "docs/events.md is stale: run `make catalogue`"
    )
