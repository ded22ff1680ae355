"""Order events as the orders service publishes them, for the payments tests."""

import uuid
from datetime import UTC, datetime

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)

CONFIG = {
    "COMMISSION": {
        "default": {"bps": 1000, "fixed": {}},
        "services": {"bps": 2000, "fixed": {"EUR": 100}},
    },
    "REFUNDS_TO_WALLET": ["services"],
}


def order_event(event_type, order_id, amount, workflow, **extra):
    """``(event_type, event_id, data)`` of an order event carrying the order's money."""
    data = {
        "order_id": order_id,
        "buyer_org": "acme",
        "supplier_org": "forge",
        "workflow": workflow,
        "workflow_version": 1,
        "status": "any",
        "currency": "EUR",
        "amount": amount,
        "buyer_user": "alice",
        "lines": [],
        "by": "buyer",
        **extra,
    }
    return event_type, str(uuid.uuid4()), data
