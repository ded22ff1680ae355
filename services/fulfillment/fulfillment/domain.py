"""Fulfillment records: what must be shipped for an approved order. Pure rules, no I/O."""

import uuid
from datetime import datetime

OPEN = "open"
CANCELLED = "cancelled"


def open_fulfillment(approved: dict, now: datetime) -> dict:
    """The record an ``order.approved`` payload opens: every line, nothing shipped yet."""
    return {
        **_record(approved, OPEN, now),
        "lines": [
            {
                "line_id": line["line_id"],
                "sku": line["sku"],
                "quantity": line["quantity"],
                "shipped": 0,
            }
            for line in approved["lines"]
        ],
    }


def cancelled_before_approval(cancelled: dict, now: datetime) -> dict:
    """What a cancellation leaves when it overtook the approval (a retried event arrives late):
    a cancelled record, so that the late approval opens nothing."""
    return {**_record(cancelled, CANCELLED, now), "lines": []}


def may_cancel(record: dict) -> bool:
    return record["status"] == OPEN


def _record(order_event: dict, status: str, now: datetime) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "order_id": order_event["order_id"],
        "buyer_org": order_event["buyer_org"],
        "supplier_org": order_event["supplier_org"],
        "status": status,
        "opened_at": now,
        "updated_at": now,
    }
