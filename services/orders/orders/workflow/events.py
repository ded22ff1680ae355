"""The events of an order, as the contracts declare them: the contract is the one place a
payload's shape is written down, and everything here is derived from it.

- ``EMITTED_EVENTS``: every event the orders service publishes (contracts it produces);
- ``REACTED_EVENTS``: every event it consumes (contracts that list it among their consumers);
- ``payload(order, event_type, details)``: an event's payload: what the action stated
  (``details``), completed with every field the contract marks as one of the order's own facts
  (``contracts.events.base.of_the_order``), such as the order id, the currency and amount of a
  money event, or the lines that fulfillment ships.
"""

import copy
from typing import Any

from contracts.catalogue import CONTRACTS, contract

SERVICE = "orders"

EMITTED_EVENTS = tuple(sorted(name for name, c in CONTRACTS.items() if c.producer == SERVICE))
REACTED_EVENTS = tuple(sorted(name for name, c in CONTRACTS.items() if SERVICE in c.consumers))


def payload(order: Any, event_type: str, details: dict[str, Any]) -> dict[str, Any]:
    """The payload of ``event_type`` for ``order``, in the contract's current version."""
    event = contract(event_type)
    data = copy.deepcopy(details)
    for name, declared in event.schema(event.version).fields.items():
        attribute = declared.metadata.get("order")
        key = declared.data_key or name
        if attribute is not None and key not in data:
            data[key] = declared.serialize(attribute, order)
    return data
