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


def job_terms(revisions: int, amount: int = 15000, **changes) -> dict:
    """A job order's agreed terms (the services workflow's job kind requires them)."""
    return {
        "scope": "Landing page copy: hero, three feature blurbs, a call to action",
        "deliverables": ["Hero headline", "Feature blurbs"],
        "budget": "fixed",
        "amount": amount,
        "start_date": "2031-03-03",
        "due_date": "2031-03-17",
        "revisions_included": revisions,
        **changes,
    }
