import re

import pytest

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
