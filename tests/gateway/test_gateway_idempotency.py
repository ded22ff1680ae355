from datetime import UTC, datetime, timedelta

import eventlet
import eventlet.event
from nameko.exceptions import RpcTimeout
from sqlalchemy import event

from gateway import idempotency


def placed(cluster):
    return [call for call in cluster.calls if call[1] == "place_order"]


def hold_placing(cluster):
    """Make the fake service's place_order stop until released: (reached, release) events."""
    reached, release = eventlet.event.Event(), eventlet.event.Event()

    def hold():
        reached.send()
        release.wait()

    cluster.orders.before_place = hold
    return reached, release


def test_a_retry_replays_the_first_response(place, cluster):
    first = place(headers={"Idempotency-Key": "k-1"})

    retry = place(headers={"Idempotency-Key": "k-1"})

    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json == first.json
    assert retry.headers["Location"] == first.headers["Location"]
    assert len(placed(cluster)) == 1


def test_requests_without_a_key_are_not_deduplicated(place, cluster):
    place(), place()

    assert len(placed(cluster)) == 2
    assert len({call[3]["command_id"] for call in placed(cluster)}) == 2


def test_a_key_is_sent_as_a_command_id_of_its_owner_alone(client, cluster, bearer, order_request):
    for org in ("acme", "globex", "acme"):
        client.post(
            "/api/v1/orders",
            json=order_request(),
            headers={**bearer(org=org), "Idempotency-Key": "k-1"},
        )

    acme, globex = [call[3]["command_id"] for call in placed(cluster)]  # the third is replayed
    assert acme != globex


def test_the_same_key_with_another_body_is_422(place, cluster):
    place(headers={"Idempotency-Key": "k-1"})

    response = place(headers={"Idempotency-Key": "k-1"}, title="Something else")

    assert response.status_code == 422
    assert response.json["type"] == "urn:marketplace:problem:idempotency-key-reused"
    assert len(placed(cluster)) == 1


def test_the_same_key_with_another_if_match_is_422(client, cluster, place, bearer):
    order_id = place().json["id"]
    headers = {**bearer("supplier", "forge"), "Idempotency-Key": "approve-1"}
    path = f"/api/v1/orders/{order_id}/actions/approve"

    first = client.post(path, json={}, headers={**headers, "If-Match": "*"})
    other = client.post(path, json={}, headers={**headers, "If-Match": first.headers["ETag"]})

    assert first.status_code == 200
    assert other.status_code == 422
    assert other.json["type"] == "urn:marketplace:problem:idempotency-key-reused"
    assert [call[1] for call in cluster.calls].count("perform_action") == 1


def test_keys_belong_to_their_user(client, cluster, bearer, order_request):
    for user in ("u-1", "u-2"):
        response = client.post(
            "/api/v1/orders",
            json=order_request(),
            headers={**bearer(sub=user), "Idempotency-Key": "k-1"},
        )
        assert "Idempotent-Replayed" not in response.headers

    assert len(placed(cluster)) == 2


def test_a_duplicate_while_the_first_is_in_flight_is_409(place, cluster):
    reached, release = hold_placing(cluster)
    first = eventlet.spawn(place, headers={"Idempotency-Key": "k-1"})
    reached.wait()

    duplicate = place(headers={"Idempotency-Key": "k-1"})
    release.send()

    assert duplicate.status_code == 409
    assert duplicate.json["type"] == "urn:marketplace:problem:idempotency-key-in-progress"
    assert first.wait().status_code == 201
    assert len(placed(cluster)) == 1


def test_a_failure_that_surely_changed_nothing_frees_the_key_for_a_retry(place, cluster):
    orders = cluster.services.pop("orders")
    assert place(headers={"Idempotency-Key": "k-1"}).status_code == 503  # not running
    cluster.services["orders"] = orders

    retry = place(headers={"Idempotency-Key": "k-1"})

    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry.headers


def test_a_retry_after_a_timeout_gets_the_outcome_of_the_first_request_once(
    place, cluster, monkeypatch
):
    orders = cluster.orders
    place_order = orders.place_order

    def acts_then_times_out(*args, **kwargs):
        place_order(*args, **kwargs)
        monkeypatch.setattr(orders, "place_order", place_order)
        raise RpcTimeout(1)

    monkeypatch.setattr(orders, "place_order", acts_then_times_out)
    assert place(headers={"Idempotency-Key": "k-1"}).status_code == 503  # it may have acted

    retry = place(headers={"Idempotency-Key": "k-1"})

    assert retry.status_code == 201
    assert len(orders.orders) == 1
    first_call, retried_call = [call[3]["command_id"] for call in placed(cluster)]
    assert first_call == retried_call


def test_a_request_refused_as_invalid_does_not_burn_its_key(place, cluster):
    invalid = place(headers={"Idempotency-Key": "k-1"}, currency="euro")

    corrected = place(headers={"Idempotency-Key": "k-1"})

    assert invalid.status_code == 422 and invalid.mimetype == "application/problem+json"
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected.headers
    assert len(placed(cluster)) == 1


def test_a_refusal_that_settled_the_command_is_replayed(client, cluster, place, bearer):
    order_id = place().json["id"]
    headers = {**bearer("supplier", "forge"), "Idempotency-Key": "ship-1"}

    first = client.post(f"/api/v1/orders/{order_id}/actions/ship", json={}, headers=headers)
    retry = client.post(f"/api/v1/orders/{order_id}/actions/ship", json={}, headers=headers)

    assert first.status_code == retry.status_code == 409
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json == first.json
    assert [call[1] for call in cluster.calls].count("perform_action") == 1


def test_a_key_too_long_is_422(place):
    response = place(headers={"Idempotency-Key": "k" * 256})

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["errors"]


def test_actions_honour_the_key(client, cluster, place, bearer):
    order_id = place().json["id"]
    headers = {**bearer("supplier", "forge"), "Idempotency-Key": "approve-1"}

    first = client.post(f"/api/v1/orders/{order_id}/actions/approve", json={}, headers=headers)
    retry = client.post(f"/api/v1/orders/{order_id}/actions/approve", json={}, headers=headers)

    assert first.status_code == retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert [call[1] for call in cluster.calls].count("perform_action") == 1


def test_a_reservation_abandoned_by_a_dead_gateway_is_taken_over(app, place, cluster, monkeypatch):
    reached, release = hold_placing(cluster)
    abandoned = eventlet.spawn(place, headers={"Idempotency-Key": "k-1"})
    reached.wait()
    monkeypatch.setattr(app.extensions["idempotency"], "abandoned_after", timedelta(0))
    cluster.orders.before_place = None

    retry = place(headers={"Idempotency-Key": "k-1"})

    assert retry.status_code == 201
    release.send()
    abandoned.wait()
    # The service, not this fake, makes the two calls one effect: they carry one command id.
    assert len(placed(cluster)) == 2
    assert len({call[3]["command_id"] for call in placed(cluster)}) == 1


def test_the_abandoned_after_outlasts_twice_the_rpc_timeout(app):
    store = app.extensions["idempotency"]

    assert store.abandoned_after >= idempotency.MIN_ABANDONED_AFTER
    assert store.abandoned_after >= 2 * timedelta(seconds=app.config["RPC_TIMEOUT"])


def test_completed_keys_past_their_retention_are_purged(app, place):
    place(headers={"Idempotency-Key": "old"})
    store = app.extensions["idempotency"]

    kept = store.purge(datetime.now(UTC) + store.retention - timedelta(minutes=1))
    purged = store.purge(datetime.now(UTC) + store.retention + timedelta(minutes=1))

    assert (kept, purged) == (0, 1)


def test_a_purged_key_serves_a_new_request(app, place, cluster):
    first = place(headers={"Idempotency-Key": "k-1"})
    app.extensions["idempotency"].purge(datetime.now(UTC) + timedelta(days=365))

    again = place(headers={"Idempotency-Key": "k-1"})

    assert "Idempotent-Replayed" not in again.headers
    assert again.status_code == first.status_code == 201


def test_a_key_released_between_its_clash_and_its_read_is_reserved_again(app):
    store = app.extensions["idempotency"]
    store.reserve("acme/buyer/u-1", "k-1", "POST", "/api/v1/orders", "first")
    released = []

    def release_before_the_read(connection, cursor, statement, *args):
        # The first request fails (5xx) and frees its key just as the second one reads it.
        # (On PostgreSQL the statement carries its transaction's BEGIN in front: ADR 25.)
        if "UPDATE idempotency_keys" in statement and not released:
            released.append(True)
            store.release("acme/buyer/u-1", "k-1")

    event.listen(store._engine, "before_cursor_execute", release_before_the_read)
    try:
        earlier = store.reserve("acme/buyer/u-1", "k-1", "POST", "/api/v1/orders", "second")
    finally:
        event.remove(store._engine, "before_cursor_execute", release_before_the_read)

    assert released and earlier is None
    again = store.reserve("acme/buyer/u-1", "k-1", "POST", "/api/v1/orders", "third")
    assert again.request_fingerprint == "second"
