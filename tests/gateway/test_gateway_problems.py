import uuid

import pytest

STANDARD_MEMBERS = {"type", "title", "status", "detail", "instance", "correlation_id"}


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert problem.keys() >= STANDARD_MEMBERS
    assert problem["status"] == status
    assert problem["correlation_id"] == response.headers["X-Correlation-ID"]
    return problem


def test_unknown_route_is_a_404_problem(client):
    problem = assert_problem(client.get("/api/v1/nothing-here"), 404)

    # The same type as the orders service's NotFound: a client handles one 404, not two.
    assert problem["type"] == "urn:marketplace:problem:not-found"
    assert problem["instance"] == "/api/v1/nothing-here"


def test_a_services_not_found_has_the_same_type_as_the_gateways(client, bearer):
    problem = assert_problem(client.get("/api/v1/orders/ord-404", headers=bearer()), 404)

    assert problem["type"] == "urn:marketplace:problem:not-found"


def test_wrong_method_is_a_405_problem_naming_the_allowed_ones(client):
    response = client.put("/healthz")

    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_invalid_body_is_a_422_problem_with_field_errors(client, bearer, order_request):
    body = order_request(
        currency="euro", lines=[{"sku": "A", "description": "x", "quantity": 0, "unit_price": 1.5}]
    )
    del body["title"]

    problem = assert_problem(client.post("/api/v1/orders", json=body, headers=bearer()), 422)

    assert problem["title"] == "Invalid request"
    assert set(problem["errors"]) == {"currency", "lines", "title"}
    assert set(problem["errors"]["lines"]["0"]) == {"quantity", "unit_price"}


def test_unknown_body_fields_are_rejected(client, bearer, order_request):
    body = order_request(buyer_org="someone-else")

    problem = assert_problem(client.post("/api/v1/orders", json=body, headers=bearer()), 422)

    assert "buyer_org" in problem["errors"]


def test_malformed_json_is_a_400_problem(client, bearer):
    response = client.post(
        "/api/v1/orders", data="{not json", headers={**bearer(), "Content-Type": "application/json"}
    )

    assert_problem(response, 400)


def test_invalid_query_is_a_422_problem(client, bearer):
    problem = assert_problem(client.get("/api/v1/orders?limit=1000", headers=bearer()), 422)

    assert "limit" in problem["errors"]


def test_a_service_error_keeps_its_status_title_and_details(client, place, bearer):
    order_id = place().json["id"]

    response = client.post(
        f"/api/v1/orders/{order_id}/actions/ship", json={}, headers=bearer("supplier", "forge")
    )

    problem = assert_problem(response, 409)
    assert problem["type"] == "urn:marketplace:problem:illegal-transition"
    assert problem["title"] == "Action not allowed in this state"
    assert problem["detail"] == "Cannot ship an order that is ordered"
    assert problem["state"] == "ordered"
    assert problem["allowed"] == ["approve"]


def test_an_unexpected_error_is_a_500_problem_that_leaks_nothing(app, cluster, bearer):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode(actor):
        raise RuntimeError("password=hunter2 at db.internal:5432")

    cluster.orders.count_orders = explode

    response = app.test_client().get("/api/v1/orders/counts", headers=bearer())

    problem = assert_problem(response, 500)
    assert "hunter2" not in response.get_data(as_text=True)
    assert "correlation_id" in problem["detail"]


@pytest.mark.parametrize(
    "break_it, detail",
    [
        (lambda cluster: cluster.silent.add("orders"), "The orders service did not answer in time"),
        (lambda cluster: cluster.services.pop("orders"), "The orders service is not running"),
        (
            lambda cluster: setattr(cluster, "broker_up", False),
            "The message broker cannot be reached",
        ),
    ],
)
def test_an_unreachable_service_is_a_503_problem_with_retry_after(
    client, cluster, bearer, break_it, detail
):
    break_it(cluster)

    response = client.get("/api/v1/orders/counts", headers=bearer())

    problem = assert_problem(response, 503)
    assert problem["type"] == "urn:marketplace:problem:service-unavailable"
    assert problem["detail"] == detail
    assert int(response.headers["Retry-After"]) > 0


def test_the_callers_correlation_id_is_kept_and_sent_to_the_services(client, cluster, bearer):
    response = client.get("/api/v1/orders/counts", headers={**bearer(), "X-Request-ID": "req-42"})

    assert response.headers["X-Correlation-ID"] == "req-42"
    *_, context_data = cluster.calls[-1]
    assert context_data["correlation_id"] == "req-42"


def test_an_unusable_correlation_id_is_replaced(client, cluster, bearer):
    response = client.get(
        "/api/v1/orders/counts", headers={**bearer(), "X-Correlation-ID": "bad id; <script>"}
    )

    minted = response.headers["X-Correlation-ID"]
    assert uuid.UUID(minted)
    *_, context_data = cluster.calls[-1]
    assert context_data["correlation_id"] == minted
