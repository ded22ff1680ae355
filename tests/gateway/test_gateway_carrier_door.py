"""The carrier door on a real broker: a 202 means the scans are in fulfillment's queue, a bad
request publishes nothing, and a broker that does not confirm is a 503 the carrier retries."""

import hashlib
import hmac
import json
import time

import pytest
from kombu import Connection

from chassis.topology import consumer_queue_name
from gateway import events, rpc
from gateway.app import create_app
from gateway.settings import load_settings

from .conftest import SECRET

CARRIER_SECRET = "carrier-secret-long-enough-to-sign-with"
QUEUE = consumer_queue_name("fulfillment", "carrier.scans_received")
SCAN = {
    "event_id": "evt-1",
    "tracking_number": "JD0001",
    "status": "in_transit",
    "occurred_at": "2031-03-07T10:00:00+00:00",
}


def door_app(amqp_uri, databases, **settings):
    return create_app(
        load_settings(
            {
                "JWT_SECRET": SECRET,
                "AMQP_URI": amqp_uri,
                "GATEWAY_DATABASE_URL": databases("gateway"),
                "CARRIER_WEBHOOK_SECRET": CARRIER_SECRET,
                **settings,
            }
        )
    )


@pytest.fixture
def door(rabbit_config, databases):
    """The gateway's test client on the test's own vhost, where no topology was declared."""
    app = door_app(rabbit_config["AMQP_URI"], databases)
    yield app.test_client()
    rpc.close(app)
    events.close(app)


def post(client, body, path="/api/v1/carriers/dhl/scans"):
    raw = json.dumps(body).encode()
    moment = str(int(time.time()))
    digest = hmac.new(CARRIER_SECRET.encode(), moment.encode() + b"." + raw, hashlib.sha256)
    return client.post(
        path,
        data=raw,
        headers={
            "Content-Type": "application/json",
            "X-Carrier-Timestamp": moment,
            "X-Carrier-Signature": f"sha256={digest.hexdigest()}",
        },
    )


def queued(amqp_uri):
    """Every message in fulfillment's queue, taken off it."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        bodies = []
        while (message := channel.basic_get(QUEUE, no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
        channel.close()
    return bodies


def test_a_202_means_the_scans_are_in_fulfillments_queue(door, rabbit_config):
    response = post(door, SCAN)
    assert response.status_code == 202, response.text
    assert response.json["accepted"] == 1
    # The gateway declared the route itself: the vhost had no topology before this request.
    [envelope] = queued(rabbit_config["AMQP_URI"])
    assert (envelope["event_type"], envelope["producer"]) == ("carrier.scans_received", "gateway")
    assert envelope["data"]["carrier"] == "dhl"
    assert envelope["data"]["scans"] == [SCAN]
    assert envelope["data"]["delivery_ids"] == [response.json["delivery_id"]]
    assert envelope["correlation_id"] == response.headers["X-Correlation-ID"]


def test_a_batch_past_the_limit_is_refused_and_a_full_one_is_one_event(door, rabbit_config):
    scans = [{**SCAN, "event_id": f"evt-{i}"} for i in range(1000)]
    refused = post(door, {"scans": [*scans, SCAN]}, "/api/v1/carriers/dhl/scans/batch")
    assert refused.status_code == 422
    accepted = post(door, {"scans": scans}, "/api/v1/carriers/dhl/scans/batch")
    assert accepted.status_code == 202 and accepted.json["accepted"] == 1000
    [envelope] = queued(rabbit_config["AMQP_URI"])
    assert len(envelope["data"]["scans"]) == 1000


@pytest.mark.parametrize(
    "body",
    [
        {**SCAN, "status": "teleported"},
        {key: value for key, value in SCAN.items() if key != "tracking_number"},
        {**SCAN, "occurred_at": "yesterday"},
        {**SCAN, "surprise": 1},
        ["not", "an", "object"],
        {**SCAN, "location": "Hub\u0000"},
    ],
    ids=["status", "missing", "time", "unknown-field", "list", "control-character"],
)
def test_a_bad_body_is_a_422_and_publishes_nothing(door, rabbit_config, body):
    assert post(door, SCAN).status_code == 202  # the route exists, so a publish would show
    queued(rabbit_config["AMQP_URI"])
    response = post(door, body)
    assert response.status_code == 422, response.text
    assert queued(rabbit_config["AMQP_URI"]) == []


def test_a_forged_signature_publishes_nothing(door, rabbit_config):
    assert post(door, SCAN).status_code == 202
    queued(rabbit_config["AMQP_URI"])
    forged = door.post(
        "/api/v1/carriers/dhl/scans",
        json=SCAN,
        headers={"X-Carrier-Timestamp": str(int(time.time())), "X-Carrier-Signature": "sha256=0"},
    )
    assert forged.status_code == 401
    assert queued(rabbit_config["AMQP_URI"]) == []


@pytest.mark.parametrize(
    "path",
    ["/api/v1/carriers/dhl/scans", "/api/v1/carriers/aftership", "/api/v1/carriers/easypost"],
)
@pytest.mark.parametrize(
    "body", [b"{not json", b'{"scans": [NaN]}', b'{"location": "\\u0000"}'], ids=str
)
def test_an_unsigned_body_is_refused_before_anything_reads_it(door, path, body):
    refused = door.post(path, data=body, headers={"Content-Type": "application/json"})
    assert refused.status_code == 401, refused.text
    assert refused.json["type"].endswith("signature-invalid")


def test_a_signed_batch_is_held_to_the_doors_size_limit_not_the_apis(rabbit_config, databases):
    # The API's own limit (GATEWAY_MAX_BODY_BYTES) is for bodies people send; a carrier's batch
    # of up to 1000 scans has the door's.
    app = door_app(rabbit_config["AMQP_URI"], databases, GATEWAY_MAX_BODY_BYTES="1000")
    scans = [{**SCAN, "event_id": f"evt-{i}"} for i in range(50)]
    try:
        accepted = post(app.test_client(), {"scans": scans}, "/api/v1/carriers/dhl/scans/batch")
        assert accepted.status_code == 202, accepted.text
        assert accepted.json["accepted"] == 50
    finally:
        rpc.close(app)
        events.close(app)


def test_no_broker_to_confirm_is_a_503_to_retry(databases):
    app = door_app("amqp://guest:guest@127.0.0.1:1//", databases)  # nothing listens there
    try:
        response = post(app.test_client(), SCAN)
    finally:
        rpc.close(app)
        events.close(app)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(rpc.RETRY_AFTER_SECONDS)
    assert response.json["type"].endswith("service-unavailable")
