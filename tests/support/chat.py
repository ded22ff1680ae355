"""People and order events for the chat tests (unit, interface and end-to-end)."""

BUYER = {"user_id": "alice", "role": "buyer", "org": "acme"}
BUYER_COLLEAGUE = {"user_id": "bob", "role": "buyer", "org": "acme"}
SUPPLIER = {"user_id": "sam", "role": "supplier", "org": "forge"}
OUTSIDER = {"user_id": "eve", "role": "buyer", "org": "other"}
SUPPORT = {"user_id": "sue", "role": "support", "org": "platform"}
ADMIN = {"user_id": "ada", "role": "admin", "org": "platform"}
# Administrators of customer organisations: they manage their organisation's webhook endpoints
# and are no platform staff (docs/adr/0010-platform-staff-identity.md).
SUPPLIER_ADMIN = {"user_id": "fay", "role": "admin", "org": "forge"}
OUTSIDER_ADMIN = {"user_id": "oz", "role": "admin", "org": "other"}


def order_event(order_id, status="ordered", **extra):
    return {
        "order_id": order_id,
        "buyer_org": "acme",
        "supplier_org": "forge",
        "workflow": "manufacturing",
        "workflow_version": 1,
        "status": status,
        **extra,
    }


def placed(order_id):
    return order_event(
        order_id,
        buyer_user="alice",
        title="Brackets",
        currency="EUR",
        amount=5000,
        lines=[{"line_id": "l-1", "sku": "BRKT-7", "quantity": 4, "unit_price": 1250}],
    )
