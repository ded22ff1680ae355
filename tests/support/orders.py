"""A valid placement request, for tests that need one to vary."""

MANUFACTURING_ORDER = {
    "workflow": "manufacturing",
    "supplier_org": "forge",
    "title": "Brackets",
    "currency": "EUR",
    "committed_ship_by": "2031-03-10",
    "committed_deliver_by": "2031-03-14",
    "lines": [{"sku": "BRKT-7", "description": "Bracket", "quantity": 40, "unit_price": 1250}],
}
