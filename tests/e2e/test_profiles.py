"""Profiles through the gateway: a factory order's outcome and its two-way reviews reach both
organisations' profiles, each review sealed until the other side has answered."""

import uuid

from e2e.walk import act, problem
from support.waiting import eventually

ORDER = {
    "workflow": "factory",
    "title": "Injection-moulded housings",
    "currency": "USD",
    "lines": [{"sku": "HSG-3", "description": "ABS housing", "quantity": 50, "unit_price": 420}],
}


def profile(client, org):
    response = client.get(f"/profiles/{org}")
    assert response.status_code == 200, response.text
    return response.json()


def received(client, org, side):
    return [
        (r["reviewer_org"], r["rating"]) for r in profile(client, org)[side]["reviews"]["items"]
    ]


def test_reviews_reach_both_profiles_once_both_sides_have_reviewed(market, as_user):
    m = market("profiles")
    outsider = as_user("olga", "buyer", "profiles-outsider")
    order = m.place(ORDER)
    for _ in range(3):
        order = act(m.supplier, order, "advance")
    act(m.buyer, order, "confirm_receipt")
    act(m.buyer, order, "post_review", {"rating": 4, "comment": "Good parts"})

    def completed():
        return profile(outsider, m.supplier.org)["supplier"]["completed_orders"]["count"] == 1

    assert eventually(completed)
    # The buyer's review is sealed until the factory has reviewed the buyer: staff see it, once
    # it has arrived, and nobody else does.
    staff = as_user("sue", "support", "platform")
    assert eventually(lambda: received(staff, m.supplier.org, "supplier") == [(m.buyer.org, 4)])
    assert received(outsider, m.supplier.org, "supplier") == []
    assert received(m.supplier, m.supplier.org, "supplier") == []

    act(m.supplier, order, "post_review", {"rating": 5, "comment": "Clear specs"})
    assert eventually(lambda: received(outsider, m.buyer.org, "buyer") == [(m.supplier.org, 5)])
    assert received(outsider, m.supplier.org, "supplier") == [(m.buyer.org, 4)]
    [item] = profile(outsider, m.supplier.org)["supplier"]["reviews"]["items"]
    assert item["order_title"] == ORDER["title"]

    review_id = item["review_id"]
    reported = m.supplier.post(f"/reviews/{review_id}/reports", {"reason": "Not our parts"})
    assert reported.status_code == 201, reported.text
    problem(m.supplier.post(f"/reviews/{review_id}/hide", {"reason": "mine"}), 403, "forbidden")
    problem(outsider.post("/reviews/nobody:buyer/reports", {"reason": "x"}), 404, "not-found")
    hidden = m.admin.post(f"/reviews/{review_id}/hide", {"reason": "Off-topic"})
    assert hidden.status_code == 200, hidden.text
    assert received(outsider, m.supplier.org, "supplier") == []
    [moderated] = profile(m.admin, m.supplier.org)["moderation"]
    assert (moderated["hidden_reason"], len(moderated["reports"])) == ("Off-topic", 1)


def test_a_retail_buyers_address_reaches_the_parties_only_and_never_a_profile(market, as_user):
    """Seed 003: the seller sees the customer and the Ship-To on the order; another
    organisation gets a 404 wherever the order is, and no profile carries the address."""
    m = market("retail-address")
    street = f"{uuid.uuid4().hex[:8]} Allen Avenue"
    ship_to = {
        "name": "Ngozi Okafor",
        "street": street,
        "city": "Lagos",
        "country": "NG",
        "phone": "+234 803 123 4567",
    }
    order = m.place(
        {
            "workflow": "retail",
            "title": "Electric kettle",
            "currency": "NGN",
            "lines": [{"sku": "KTL-1", "description": "Kettle", "quantity": 1, "unit_price": 1500}],
            "shipping": {"ship_to": ship_to},
        }
    )
    for party in (m.buyer, m.supplier, m.admin):
        seen = party.get(f"/orders/{order['id']}")
        assert seen.status_code == 200
        assert seen.json()["order"]["shipping"]["ship_to"].items() >= ship_to.items()

    others = (
        as_user("olga", "buyer", f"{m.buyer.org}-other"),
        as_user("sid", "supplier", f"{m.supplier.org}-other"),
        as_user("oz", "admin", m.buyer.org),  # an admin of the buyer's organisation: no staff
    )
    for outsider in others:
        for path in ("", "/timeline", "/shipments", "/documents"):
            problem(outsider.get(f"/orders/{order['id']}{path}"), 404, "not-found")
        listed = outsider.get("/orders")
        assert listed.status_code == 200 and street not in listed.text

    def counted():
        return profile(m.admin, m.buyer.org)["buyer"]["workflows"].get("retail") is not None

    assert eventually(counted)  # the profiles service has the order's events
    for reader in (*others, m.buyer, m.supplier, m.admin):
        for org in (m.buyer.org, m.supplier.org):
            shown = reader.get(f"/profiles/{org}")
            assert shown.status_code == 200
            assert street not in shown.text and "Okafor" not in shown.text
