from support.components import SERVICES


def test_liveness_checks_nothing_else(client, cluster):
    cluster.broker_up = False

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "alive"}


def test_ready_when_every_service_answers(client, cluster):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": dict.fromkeys(SERVICES, "ok")}
    assert {(call[0], call[1]) for call in cluster.calls} == {(s, "health") for s in SERVICES}


def test_not_ready_names_the_services_that_failed(client, cluster):
    cluster.silent.add("payments")
    del cluster.services["chat"]

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert sorted(problem["failed"]) == ["chat", "payments"]
    assert problem["checks"]["chat"] == "The chat service is not running"
    assert problem["checks"]["payments"] == "The payments service did not answer in time"
    assert problem["checks"]["orders"] == "ok"


def test_not_ready_without_a_broker(client, cluster):
    cluster.broker_up = False

    response = client.get("/readyz")

    assert response.status_code == 503
    assert sorted(response.json["failed"]) == SERVICES
    assert set(response.json["checks"].values()) == {"The message broker cannot be reached"}


def test_services_are_checked_concurrently(client, cluster):
    for service in SERVICES:
        cluster.delay(f"{service}.health", 0.2)

    assert client.get("/readyz").status_code == 200

    spans = [cluster.spans[f"{service}.health"] for service in SERVICES]
    assert max(start for start, _ in spans) < min(end for _, end in spans), "they did not overlap"
