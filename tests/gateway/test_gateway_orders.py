import json

import pytest

from contracts.errors import PreconditionFailed


def test_a_buyer_places_an_order(place, cluster):
    response = place(headers={"Idempotency-Key": "k-1"})

    assert response.status_code == 201
    order = response.json
    assert response.headers["Location"].endswith(f"/api/v1/orders/{order['id']}")
    assert response.headers["ETag"] == '"1"'
    ((_, method, (actor, request), kwargs, _),) = cluster.calls
    assert method == "place_order"
    assert actor == {"user_id": "u-1", "role": "buyer", "org": "acme"}
    assert request["committed_deliver_by"] == "2030-05-10"  # JSON on the wire, not a date
    assert list(kwargs) == ["command_id"]


def test_listing_passes_the_query_and_returns_the_page(client, place, bearer):
    place()

    response = client.get("/api/v1/orders?group=active&q=bracket&limit=10", headers=bearer())

    assert response.status_code == 200
    assert [order["title"] for order in response.json["items"]] == ["Brackets"]
    assert response.json["next_cursor"] is None
    assert response.json["query"] == {"group": "active", "q": "bracket", "limit": 10}


def test_counts_per_status(client, place, bearer):
    place(), place(), place(org="other")

    response = client.get("/api/v1/orders/counts", headers=bearer())

    assert response.json == {"ordered": 2}


def test_the_order_page_has_the_order_and_its_fulfillment(client, place, bearer):
    order_id = place().json["id"]

    response = client.get(f"/api/v1/orders/{order_id}", headers=bearer())

    assert response.status_code == 200
    page = response.json
    assert page["order"]["id"] == order_id
    assert page["fulfillment"] == {
        "id": "ful-1",
        "order_id": order_id,
        "status": "open",
        "lines": [],
    }
    assert page["payments"] is None  # the payments service has not heard of it yet
    assert page["warnings"] == []


def test_the_timeline(client, place, bearer):
    order_id = place().json["id"]

    response = client.get(f"/api/v1/orders/{order_id}/timeline", headers=bearer())

    assert response.status_code == 200
    assert [entry["action"] for entry in response.json] == ["place"]


def test_an_action_passes_payload_and_expected_version(client, cluster, place, bearer):
    order_id = place().json["id"]

    response = client.post(
        f"/api/v1/orders/{order_id}/actions/approve",
        json={"note": "ok"},
        headers={**bearer("supplier", "forge"), "If-Match": '"1"'},
    )

    assert response.status_code == 200
    assert response.json["status"] == "approved"
    assert response.headers["ETag"] == '"2"'
    _, method, args, _, _ = cluster.calls[-1]
    assert method == "perform_action"
    assert args[1:] == (order_id, "approve", {"note": "ok"}, 1)


def test_an_empty_json_body_is_no_body(client, cluster, place, bearer):
    """Clients often send ``Content-Type: application/json`` with nothing after it."""
    order_id = place().json["id"]
    empty = {"data": b"", "content_type": "application/json"}

    action = client.post(
        f"/api/v1/orders/{order_id}/actions/approve", **empty, headers=bearer("supplier", "forge")
    )
    order = client.post("/api/v1/orders", **empty, headers=bearer())

    assert action.status_code == 200, action.json
    assert order.status_code == 422
    assert "lines" in json.dumps(order.json["errors"]), order.json  # what is missing, named


def test_an_action_without_body_or_if_match(client, cluster, place, bearer):
    order_id = place().json["id"]

    response = client.post(
        f"/api/v1/orders/{order_id}/actions/approve", headers=bearer("supplier", "forge")
    )

    assert response.status_code == 200
    _, _, args, _, _ = cluster.calls[-1]
    assert args[3:] == ({}, None)


def test_if_match_must_be_a_version(client, place, bearer):
    order_id = place().json["id"]

    response = client.post(
        f"/api/v1/orders/{order_id}/actions/approve",
        json={},
        headers={**bearer("supplier", "forge"), "If-Match": "yesterday"},
    )

    assert response.status_code == 422
    assert "If-Match" in response.json["errors"]


class TestOrgScoping:
    @pytest.fixture(params=["scoped service", "service that forgets to scope"])
    def cluster(self, request, cluster):
        cluster.orders.scoped = request.param == "scoped service"
        return cluster

    @pytest.fixture
    def order_id(self, place):
        return place(org="acme", supplier_org="forge").json["id"]

    @pytest.mark.parametrize(
        "role, org",
        [
            ("buyer", "acme"),
            ("supplier", "forge"),
            ("admin", "platform"),
            ("support", "platform"),
        ],
    )
    def test_parties_and_staff_see_the_order(self, client, bearer, order_id, role, org):
        headers = bearer(role, org)

        assert client.get(f"/api/v1/orders/{order_id}", headers=headers).status_code == 200
        assert client.get(f"/api/v1/orders/{order_id}/timeline", headers=headers).status_code == 200
        listed = client.get("/api/v1/orders", headers=headers).json["items"]
        assert [order["id"] for order in listed] == [order_id]

    @pytest.mark.parametrize(
        "role, org",
        [
            ("buyer", "globex"),
            ("supplier", "globex"),
            ("buyer", "forge"),  # the supplier's org, but acting as a buyer
            ("supplier", "acme"),  # the buyer's org, but acting as a supplier
        ],
    )
    def test_anyone_else_gets_404_never_403(self, client, bearer, order_id, role, org):
        headers = bearer(role, org)

        for response in (
            client.get(f"/api/v1/orders/{order_id}", headers=headers),
            client.get(f"/api/v1/orders/{order_id}/timeline", headers=headers),
            client.post(f"/api/v1/orders/{order_id}/actions/approve", json={}, headers=headers),
        ):
            assert response.status_code == 404
            assert response.json["type"] == "urn:marketplace:problem:not-found"
        assert client.get("/api/v1/orders", headers=headers).json["items"] == []


@pytest.mark.parametrize("if_match, expected", [("*", None), ('"7"', 7)])
def test_if_match_star_acts_on_any_version(client, cluster, place, bearer, if_match, expected):
    order_id = place().json["id"]

    response = client.post(
        f"/api/v1/orders/{order_id}/actions/approve",
        headers={**bearer("supplier", "forge"), "If-Match": if_match},
    )

    assert response.status_code == 200
    assert cluster.calls[-1][2][4] == expected


def test_a_weak_or_listed_if_match_is_refused(client, place, bearer):
    order_id = place().json["id"]
    for if_match in ('W/"1"', '"1", "2"'):
        response = client.post(
            f"/api/v1/orders/{order_id}/actions/approve",
            headers={**bearer("supplier", "forge"), "If-Match": if_match},
        )
        assert response.status_code == 422


def test_a_stale_if_match_is_412_precondition_failed(client, cluster, place, bearer):
    order_id = place().json["id"]

    def stale(actor, order_id, action, payload, expected_version, **command):
        raise PreconditionFailed("order is at version 2, not 1", {"version": 2})

    cluster.orders.perform_action = stale
    response = client.post(
        f"/api/v1/orders/{order_id}/actions/approve",
        headers={**bearer("supplier", "forge"), "If-Match": '"1"'},
    )

    assert response.status_code == 412
    assert response.mimetype == "application/problem+json"
    assert response.json["type"] == "urn:marketplace:problem:precondition-failed"
    assert response.json["version"] == 2
