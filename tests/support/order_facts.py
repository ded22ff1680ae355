"""An order as the orders service announces it, for tests of the services that consume it."""

SHIP_TO = {
    "name": "Zoë Ångström",
    "company": "Acme GmbH",
    "street": "Straße des 17. Juni 135",
    "city": "Berlin",
    "postal_code": "10623",
    "country": "DE",
}
PLACED = {
    "order_id": "o-1",
    "buyer_org": "acme",
    "supplier_org": "forge",
    "workflow": "manufacturing",
    "workflow_version": 1,
    "status": "ordered",
    "currency": "EUR",
    "amount": 65000,
    "buyer_user": "alice",
    "title": "Brackets and bolts",
    "lines": [
        {
            "line_id": "L1",
            "sku": "BRKT-7",
            "description": "Bracket",
            "quantity": 40,
            "unit_price": 1250,
        },
        {
            "line_id": "L2",
            "sku": "BOLT-3",
            "description": "Bolt M8",
            "quantity": 100,
            "unit_price": 150,
        },
    ],
    "shipping": {
        "ship_to": SHIP_TO,
        "carrier_account": "DHL-998877",
        "payment_terms": "Net 30",
        "shipping_fee": 2500,
    },
}
