"""Fulfillment records: what must be shipped for an approved order. Pure rules, no I/O."""
import uuid
from datetime import datetime

OPEN = "open"
CANCELLED = "cancelled"


def open_fulfillment(approved: dict, now: datetime) -> dict:
    """The record an ``order.approved`` payload opens: every line, nothing shipped yet."""
    return {
        "id": str(uuid.uuid4()),
        "order_id": approved["order_id"],
        "buyer_org": approved["buyer_org"],
        "supplier_org": approved["supplier_org"],
        "status": OPEN,
        "lines": [
            {"line_id": line["line_id"], "sku": line["sku"], "quantity": line["quantity"],
             "shipped": 0}
            for line in approved["lines"]
        ],
        "opened_at": now,
        "updated_at": now,
    }


def may_cancel(record: dict) -> bool:
    return record["status"] == OPEN
