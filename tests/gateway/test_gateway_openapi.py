import re

import jsonschema_rs
import pytest

from contracts.rpc.limits import LIMITS
from gateway.schemas import PLACEMENT_RULES

UNDOCUMENTED = {
    "static",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
    "docs_assets.asset",
}


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def test_the_document_is_openapi_3_0_3_with_bearer_auth(spec):
    assert spec["openapi"] == "3.0.3"
    assert spec["info"]["title"] and spec["info"]["version"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/healthz"]["get"]["security"] == []


def test_every_route_is_documented(app, spec):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNDOCUMENTED:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in spec["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = spec["paths"][path][method.lower()]
            assert operation["summary"] and operation["responses"]


def test_every_reference_resolves(spec):
    def references(node):
        if isinstance(node, dict):
            yield from ([node["$ref"]] if "$ref" in node else [])
            for value in node.values():
                yield from references(value)
        elif isinstance(node, list):
            for value in node:
                yield from references(value)

    for ref in set(references(spec)):
        target = spec
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]


def test_errors_are_documented_as_problems(spec):
    for response in spec["components"]["responses"].values():
        assert list(response["content"]) == ["application/problem+json"]
    get_order = spec["paths"]["/api/v1/orders/{order_id}"]["get"]["responses"]
    assert get_order["404"] == {"$ref": "#/components/responses/NOT_FOUND"}


def test_the_action_endpoint_documents_its_examples(spec):
    operation = spec["paths"]["/api/v1/orders/{order_id}/actions/{action}"]
    (action,) = [p for p in operation["parameters"] if p["name"] == "action"]
    assert {"approve", "start_production"} <= set(action["examples"])
    assert {"Idempotency-Key", "If-Match"} <= {p["name"] for p in operation["post"]["parameters"]}


def test_the_docs_page_loads_the_document(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)

    assert "/api/v1/openapi.json" in page


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_the_document_validates_as_openapi_3_0(spec):
    # The OpenAPI Initiative's 3.0 schema, as the pinned schemathesis ships it.
    from schemathesis.specs.openapi.definitions import OPENAPI_30

    errors = [
        error.message for error in jsonschema_rs.Draft4Validator(OPENAPI_30).iter_errors(spec)
    ]

    assert errors == []


def test_every_operation_documents_every_status_it_answers_and_no_default(spec):
    ids = []
    for path, method, operation in operations(spec):
        statuses = set(operation["responses"])
        public = operation.get("security") == []
        calls_services = path != "/healthz"
        expected = {"400", "413", "414", "422"}
        expected |= set() if public else {"401"}
        expected |= {"503"} if calls_services else set()
        assert expected <= statuses, (method, path, expected - statuses)
        assert "default" not in statuses
        assert any(status.startswith("2") for status in statuses)
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids)) >= 9


def test_actions_document_403_404_409_and_412(spec):
    action = spec["paths"]["/api/v1/orders/{order_id}/actions/{action}"]["post"]

    assert {"403", "404", "409", "412"} <= set(action["responses"])
    assert {"ETag", "Idempotent-Replayed", "X-Correlation-ID"} <= set(
        action["responses"]["200"]["headers"]
    )


def test_response_headers_are_documented(spec):
    placed = spec["paths"]["/api/v1/orders"]["post"]["responses"]

    assert {"Location", "ETag", "Idempotent-Replayed", "X-Correlation-ID"} <= set(
        placed["201"]["headers"]
    )
    responses = spec["components"]["responses"]
    assert "Retry-After" in responses["SERVICE_UNAVAILABLE"]["headers"]
    assert "WWW-Authenticate" in responses["UNAUTHORIZED"]["headers"]
    assert all("X-Correlation-ID" in response["headers"] for response in responses.values())


def test_the_order_documents_every_field_it_returns_and_marks_the_nullable_ones(spec):
    from orders.domain import Line, Order

    schemas = spec["components"]["schemas"]
    order, line = schemas["Order"]["properties"], schemas["OrderLine"]["properties"]

    returned = {f for f in Order.__dataclass_fields__ if f != "timeline"}
    assert returned | {"total", "status_group", "allowed_actions"} <= set(order)
    assert set(Line.__dataclass_fields__) <= set(line)
    for name in (
        "kind",
        "committed_ship_by",
        "committed_deliver_by",
        "estimated_ship_by",
        "estimated_deliver_by",
        "closed_at",
        "revisions_allowed",
        "inspection",
    ):
        assert order[name].get("nullable") is True, name
    assert line["status"]["nullable"] is True
    assert schemas["OrderList"]["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/Order"
    }


def test_the_placement_rules_are_those_of_the_workflow_files(spec):
    from orders.workflow import load_workflows

    rules = {
        workflow.name: {
            "required": sorted(workflow.placement.required),
            "kinds": sorted(workflow.placement.kinds),
            "by_kind": sorted(
                f"{kind}: {field}"
                for kind, fields in workflow.placement.required_by_kind.items()
                for field in fields
            ),
        }
        for workflow in load_workflows().values()
    }
    workflow = spec["components"]["schemas"]["PlaceOrder"]["properties"]["workflow"]

    assert sorted(workflow["enum"]) == sorted(rules)
    assert {
        name: {key: sorted(values) for key, values in rule.items()}
        for name, rule in PLACEMENT_RULES.items()
    } == rules
    for name, rule in rules.items():
        assert all(field in workflow["description"] for field in rule["required"]), name


def test_limits_are_documented(spec):
    schemas = spec["components"]["schemas"]
    place = schemas["PlaceOrder"]["properties"]

    assert place["lines"]["maxItems"] == LIMITS.max_order_lines
    assert place["supplier_org"]["maxLength"] == 100
    assert place["currency"]["pattern"] == "^[A-Z]{3}$"
    assert schemas["OrderLineRequest"]["properties"]["quantity"]["maximum"] == LIMITS.max_quantity


def test_the_docs_page_loads_nothing_from_elsewhere(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)

    assert sources and all(source.startswith("/api/v1/docs/assets/") for source in sources)
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.data) > 1000, source


@pytest.mark.parametrize("path", ["/api/v1/carriers/aftership", "/api/v1/carriers/easypost"])
def test_the_aggregators_doors_document_the_body_they_read(spec, path):
    body = spec["paths"][path]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["example"]
