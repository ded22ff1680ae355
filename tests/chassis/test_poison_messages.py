"""A message no consumer can decode is parked with the reason, never dropped, and replayable.

Real broker; the fulfillment service's ``order.approved`` consumer stands in for any consumer.
"""

import pickle

import pytest
from kombu import Connection, Producer, Queue

from chassis.deadletters import list_parked, replay
from fulfillment.models import fulfillments
from fulfillment.service import FulfillmentService
from support.events import APPROVED, publish
from support.services import count
from support.waiting import eventually

QUEUE = "fulfillment--order.approved"
POISONS = {
    "invalid JSON": (b'{"event_id": "e-1", ', "application/json", "utf-8"),
    "non-UTF-8 bytes": (b'{"event_id": "\xff\xfe"}', "application/json", "utf-8"),
    "text/plain": (b"order o-9 was approved", "text/plain", "utf-8"),
    "pickle": (pickle.dumps({"order_id": "o-9"}), "application/x-python-serialize", "binary"),
}


def send_raw(amqp_uri, body, content_type, content_encoding):
    with Connection(amqp_uri) as connection:
        Producer(connection.default_channel).publish(
            body,
            routing_key=QUEUE,
            content_type=content_type,
            content_encoding=content_encoding,
            headers={"nameko.correlation_id": "poison-1"},
        )


def take_raw(amqp_uri):
    with Connection(amqp_uri) as connection:
        message = Queue(QUEUE, no_declare=True)(connection.default_channel).get(no_ack=True)
        if message is None:
            return None
        body = message.body  # py-amqp hands over text for a utf-8 content encoding
        return body.encode() if isinstance(body, str) else body, message.content_type


# Nothing here touches the database: one backend is enough (dead letters run on both elsewhere).
@pytest.mark.postgresql_only
@pytest.mark.parametrize("kind", POISONS)
def test_a_message_that_cannot_be_decoded_is_parked_with_the_reason_and_replayed_as_it_came(
    kind, container_factory, service_config, declared_topology, caplog
):
    body, content_type, encoding = POISONS[kind]
    config = service_config("fulfillment")
    amqp = config["AMQP_URI"]
    container = container_factory(FulfillmentService, config)
    container.start()

    send_raw(amqp, body, content_type, encoding)
    [parked] = eventually(lambda: list_parked(amqp, [f"{QUEUE}.dead"]))

    assert parked.original_queue == QUEUE
    assert parked.error and parked.error_type
    assert parked.content_type == content_type
    assert parked.attempts == 0
    [logged] = [r for r in caplog.records if r.getMessage().startswith("parking message")]
    assert logged.correlation_id == "poison-1"
    # The consumer goes on with the next message.
    publish(amqp, "order.approved", APPROVED, "orders")
    assert eventually(lambda: count(config["DATABASE_URL"], fulfillments) == 1)
    container.stop()

    assert replay(amqp, f"{QUEUE}.dead") == 1
    assert eventually(lambda: take_raw(amqp)) == (body, content_type)
    assert list_parked(amqp, [f"{QUEUE}.dead"]) == []
