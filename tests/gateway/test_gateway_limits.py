"""Bad input gets a clear 4xx problem and changes nothing: no service is called and no
idempotency key is stored. One test per kind of input that used to answer 500."""

import base64
import json

import pytest

from contracts.rpc.limits import LIMITS
from gateway.models import IdempotencyKey
from support.services import count

NUL = "\x00"
LONE_SURROGATE = "\ud800"


@pytest.fixture
def unchanged(cluster, settings):
    """Call after the request: asserts that nothing reached a service, and for a request
    refused at the door (before any blueprint), that no idempotency key was stored either."""

    def check(at_the_door=True):
        mutating = [c for c in cluster.calls if c[1] in ("place_order", "perform_action")]
        assert mutating == []
        if at_the_door:
            assert count(settings["GATEWAY_DATABASE_URL"], IdempotencyKey.__table__) == 0

    return check


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status
    return response.json


def post_order(client, bearer, body, **headers):
    return client.post(
        "/api/v1/orders",
        data=json.dumps(body),  # json.dumps escapes lone surrogates as \ud800, as clients do
        content_type="application/json",
        headers={**bearer(), "Idempotency-Key": "k-1", **headers},
    )


def unsafe_anywhere(value):
    """Whether a string in ``value`` holds a character the door refuses in any body."""
    if isinstance(value, str):
        return NUL in value or LONE_SURROGATE in value
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, list) and any(unsafe_anywhere(item) for item in value)


def line(**changes):
    return {"sku": "BRK-7", "description": "Bracket", "quantity": 1, "unit_price": 250, **changes}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": f"Brackets{NUL}"}, "title"),
        ({"title": f"Brackets{LONE_SURROGATE}"}, "title"),
        ({"supplier_org": f"forge{NUL}"}, "supplier_org"),
        ({"supplier_org": "f" * 101}, "supplier_org"),
        ({"currency": "EUR\n"}, "currency"),
        ({"workflow": f"manufacturing{NUL}"}, "workflow"),
        ({"lines": [line(sku=f"BRK{NUL}")]}, "lines"),
        ({"lines": [line(description=f"x{LONE_SURROGATE}")]}, "lines"),
        ({"lines": [line(quantity=10**30)]}, "lines"),
        ({"lines": [line(quantity=1e30)]}, "lines"),
        ({"lines": [line(unit_price=2**63)]}, "lines"),
        ({"lines": [line(quantity=10**9, unit_price=10**9)]}, "lines"),  # total past the limit
        ({"lines": [line()] * (LIMITS.max_order_lines + 1)}, "lines"),
        ({"committed_deliver_by": "9999-12-31"}, "committed_deliver_by"),
        ({"committed_ship_by": "0001-01-01"}, "committed_ship_by"),
        ({"title": "t" * 301}, "title"),
    ],
)
def test_an_invalid_order_is_a_422_naming_the_field(
    client, bearer, order_request, unchanged, changes, field
):
    problem = assert_problem(post_order(client, bearer, order_request(**changes)), 422)

    assert problem["type"] == "urn:marketplace:problem:invalid-request"
    assert field in json.dumps(problem["errors"])
    unchanged(at_the_door=unsafe_anywhere(changes))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_not_json(client, bearer, unchanged, constant):
    body = '{"title": "x", "lines": [{"quantity": CONSTANT}]}'.replace("CONSTANT", constant)

    response = client.post(
        "/api/v1/orders",
        data=body,
        content_type="application/json",
        headers={**bearer(), "Idempotency-Key": "k-1"},
    )

    assert_problem(response, 400)
    unchanged()


@pytest.mark.parametrize(
    "key",
    ["k" * 201, "clé-1", "k 1", "k\t1"],
    ids=["201 characters", "non-ASCII", "space", "tab"],
)
def test_an_unusable_idempotency_key_is_a_422(client, bearer, order_request, unchanged, key):
    response = client.post(
        "/api/v1/orders",
        json=order_request(),
        headers={**bearer(), "Idempotency-Key": key.encode().decode("latin-1")},
    )

    problem = assert_problem(response, 422)
    assert "Idempotency-Key" in problem["errors"]
    unchanged()


def test_a_control_character_in_a_header_is_a_400(client, bearer, order_request, unchanged):
    response = client.post(
        "/api/v1/orders", json=order_request(), headers={**bearer(), "X-Note": "a\x01b"}
    )

    assert_problem(response, 400)
    unchanged()


@pytest.mark.parametrize(
    "path",
    ["/api/v1/orders/ord%00-1", "/api/v1/orders/" + "o" * 101, "/api/v1/orders/ord%01/timeline"],
)
def test_an_unusable_path_parameter_is_a_400(client, bearer, cluster, path):
    assert_problem(client.get(path, headers=bearer()), 400)
    assert cluster.calls == []


def test_an_action_on_an_unusable_order_id_is_a_400(client, bearer, unchanged):
    response = client.post(
        "/api/v1/orders/ord%00/actions/approve",
        json={},
        headers={**bearer("supplier", "forge"), "Idempotency-Key": "k-1"},
    )

    assert_problem(response, 400)
    unchanged()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"reason": f"late{NUL}"}, "reason"),
        ({"reason": f"late{LONE_SURROGATE}"}, "reason"),
        ({"reason": "x" * 2001}, "reason"),
        ({"lines": [{"line_id": "L1", "quantity": 2**63}]}, "lines"),
        ({"lines": [{"line_id": "L1", "quantity": 1}] * (LIMITS.max_order_lines + 1)}, "lines"),
        ({"a": {"b": {"c": {"d": {"e": 1}}}}}, "a"),
    ],
)
def test_an_unusable_action_payload_is_a_422(client, bearer, cluster, unchanged, payload, field):
    order = {"id": "ord-1"}

    response = client.post(
        f"/api/v1/orders/{order['id']}/actions/update_estimate",
        data=json.dumps(payload),
        content_type="application/json",
        headers={**bearer("supplier", "forge"), "Idempotency-Key": "k-2"},
    )

    problem = assert_problem(response, 422)
    assert field in json.dumps(problem["errors"])
    unchanged(at_the_door=False)


@pytest.mark.parametrize(
    "query",
    [
        {"q": f"x{NUL}"},
        {"status": f"ordered{NUL}"},
        {"cursor": f"abc{NUL}"},
        {"q": "x" * 201},
        {"limit": "1e400"},
    ],
)
def test_an_unusable_query_is_a_422(client, bearer, cluster, query):
    problem = assert_problem(
        client.get("/api/v1/orders", query_string=query, headers=bearer()), 422
    )

    assert problem["errors"]
    assert cluster.calls == []


@pytest.mark.parametrize("sort_key", ["1e400", "Infinity", "NaN", '"x"'])
def test_a_cursor_holding_a_number_no_column_holds_is_a_422(client, bearer, cluster, sort_key):
    cursor = base64.urlsafe_b64encode(f'[{sort_key}, "ord-1"]'.encode()).decode()
    if sort_key == '"x"':
        cursor = "not base64 json"

    response = client.get("/api/v1/orders", query_string={"cursor": cursor}, headers=bearer())

    assert assert_problem(response, 422)["errors"] == {"cursor": ["not a cursor this API issued"]}
    assert cluster.calls == []


@pytest.mark.parametrize(
    "claims",
    [{"org": "o" * 101}, {"sub": "u" * 101}, {"org": f"acme{NUL}"}, {"sub": ""}],
    ids=["long org", "long sub", "NUL in org", "empty sub"],
)
def test_a_token_whose_claims_no_column_holds_is_a_401(
    client, bearer, order_request, unchanged, claims
):
    response = client.post(
        "/api/v1/orders",
        json=order_request(),
        headers={**bearer(**claims), "Idempotency-Key": "k-1"},
    )

    assert_problem(response, 401)
    unchanged()


def test_a_url_over_the_limit_is_a_414_problem(client, bearer, cluster):
    response = client.get("/api/v1/orders", query_string={"q": "x" * 9000}, headers=bearer())

    assert assert_problem(response, 414)["type"] == "urn:marketplace:problem:uri-too-long"
    assert cluster.calls == []


def test_a_body_over_the_limit_is_a_413_problem(client, bearer, settings, unchanged):
    body = {"title": "x" * settings["GATEWAY_MAX_BODY_BYTES"]}

    response = post_order(client, bearer, body)

    assert_problem(response, 413)
    unchanged()


def test_a_valid_order_still_passes_every_check(place, cluster):
    response = place(headers={"Idempotency-Key": "k-1"}, kind=None, committed_ship_by=None)

    assert response.status_code == 201, response.json
    assert [c[1] for c in cluster.calls] == ["place_order"]


def test_the_longest_claims_fit_the_key_store(client, bearer, order_request):
    longest = bearer(org="o" * 100, sub="u" * 100)
    request = {"json": order_request(), "headers": {**longest, "Idempotency-Key": "k" * 200}}

    first = client.post("/api/v1/orders", **request)
    retry = client.post("/api/v1/orders", **request)

    assert first.status_code == 201, first.json
    assert retry.headers["Idempotent-Replayed"] == "true"
