"""The outbox's fast path publisher on a real broker: batches confirmed once, failures left to
the relay."""

import eventlet
import pytest
from kombu import Connection, Queue

from chassis.envelope import new_envelope
from chassis.publishing import ConfirmedBatches
from chassis.topology import event_exchange
from support.waiting import eventually

OPENED = {"order_id": "o-1", "fulfillment_id": "f-1"}


def opened():
    return new_envelope("fulfillment.opened", OPENED, "fulfillment", correlation_id="c-1")


@pytest.fixture
def batches(rabbit_config):
    """A running ``ConfirmedBatches`` on the test's vhost, with fulfillment's exchange."""
    uri = rabbit_config["AMQP_URI"]
    with Connection(uri) as connection:
        event_exchange("fulfillment")(connection.default_channel).declare()
    publisher = ConfirmedBatches(uri, confirm_timeout=5)
    publishing = eventlet.spawn(publisher.run)
    yield publisher
    publishing.kill()
    publisher.close()


def test_batches_reach_the_broker_intact_and_only_confirmed_ids_are_reported(
    rabbit_config, batches
):
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        queue = Queue(
            "test-opened", exchange=event_exchange("fulfillment"), routing_key="fulfillment.opened"
        )(connection.default_channel)
        queue.declare()
        confirmed = []
        first, second = [opened(), opened()], [opened()]
        batches.submit(first, confirmed.append)
        batches.submit(second, confirmed.append)
        batches.flush(timeout=10)

        # One report per transaction, with the ids of its own envelopes.
        assert sorted(confirmed) == sorted(
            [[e["event_id"] for e in first], [e["event_id"] for e in second]]
        )
        received = [queue.get(no_ack=True) for _ in range(3)]
        assert [m.payload for m in received] == first + second
        assert all(m.headers["nameko.correlation_id"] == "c-1" for m in received)
        assert all(m.properties["delivery_mode"] == 2 for m in received)


def test_a_refused_batch_is_not_reported_and_the_next_one_goes_through(batches):
    confirmed = []
    nowhere = {**opened(), "producer": "nobody"}  # its exchange does not exist: refused
    batches.submit([nowhere], confirmed.extend)
    batches.flush(timeout=10)
    assert confirmed == []

    later = opened()
    batches.submit([later], confirmed.extend)
    assert eventually(lambda: confirmed == [later["event_id"]])


def test_confirms_read_while_a_batch_is_still_being_published_are_not_lost(batches):
    """py-amqp reads whatever the broker has sent while it publishes (a blocked-connection
    check), so the confirm of a batch's first event may arrive before its last is sent."""
    confirmed = []
    for _ in range(20):
        batch = [opened() for _ in range(5)]
        batches.submit(batch, confirmed.extend)
        batches.flush(timeout=10)
        assert confirmed[-5:] == [e["event_id"] for e in batch]
