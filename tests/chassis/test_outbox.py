"""The outbox relay and pruning on PostgreSQL (as several replicas would run them) and SQLite."""

from datetime import timedelta

import eventlet
import pytest
from sqlalchemy import insert, select

from chassis.clock import utc_now
from chassis.database import make_engine
from chassis.envelope import new_envelope
from chassis.outbox import Outbox
from chassis.publishing import ConfirmedBatches, EventPublisher
from fulfillment.models import metadata

outbox = metadata.tables["outbox"]
OPENED = {"order_id": "o-1", "fulfillment_id": "f-1"}


def add_rows(engine, *published_ats, age=timedelta(minutes=5)):
    rows = []
    for published_at in published_ats:
        envelope = new_envelope("fulfillment.opened", OPENED, "fulfillment")
        rows.append(
            {
                "event_id": envelope["event_id"],
                "event_type": envelope["event_type"],
                "envelope": envelope,
                "created_at": utc_now() - age,
                "published_at": published_at,
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(outbox), rows)


def remaining(engine):
    with engine.connect() as connection:
        return connection.execute(select(outbox.c.published_at)).scalars().all()


# Replicas share a PostgreSQL database; the embedded default runs one process per service.
@pytest.mark.postgresql_only
def test_two_relays_never_publish_the_same_rows_at_once(service_config, declared_topology):
    config = service_config("fulfillment")
    engine = make_engine(config["DATABASE_URL"])
    add_rows(engine, None, None, None)
    published = []

    class SlowPublisher(EventPublisher):
        def publish_event(self, envelope):
            published.append(envelope["event_id"])
            eventlet.sleep(0.05)  # hold the batch's row locks while the other relay looks
            super().publish_event(envelope)

    relays = [Outbox(engine, outbox, SlowPublisher(config["AMQP_URI"])) for _ in range(2)]
    counts = [t.wait() for t in [eventlet.spawn(relay.relay_once) for relay in relays]]

    assert sum(counts) == 3  # however the rows were split between them
    assert len(published) == len(set(published)) == 3
    assert all(remaining(engine))
    engine.dispose()


def test_published_rows_older_than_the_retention_are_pruned_and_nothing_else(service_config):
    config = service_config("fulfillment")
    engine = make_engine(config["DATABASE_URL"])
    now = utc_now()
    add_rows(
        engine, now - timedelta(days=8), now - timedelta(days=9), now - timedelta(days=1), None
    )
    relay = Outbox(engine, outbox, EventPublisher(config["AMQP_URI"]))

    assert relay.purge_published(now - timedelta(days=7), batch_size=1000) == 2

    left = remaining(engine)
    assert len(left) == 2 and None in left
    engine.dispose()


def test_the_relay_leaves_alone_what_the_fast_path_holds_however_late(
    service_config, declared_topology
):
    config = service_config("fulfillment")
    engine = make_engine(config["DATABASE_URL"])
    add_rows(engine, None, None)  # both past the grace
    with engine.connect() as connection:
        held, left = connection.execute(select(outbox.c.envelope).order_by(outbox.c.id)).scalars()
    relayed = []

    class RecordingPublisher(EventPublisher):
        def publish_event(self, envelope):
            relayed.append(envelope["event_id"])
            super().publish_event(envelope)

    # Pages of one row: the held row, first, must not hide the row behind it.
    relay = Outbox(engine, outbox, RecordingPublisher(config["AMQP_URI"]), batch_size=1)
    relay.batches = ConfirmedBatches(config["AMQP_URI"])  # not running yet: nothing heard back
    relay.publish_committed([held])

    assert relay.relay_once() == 1
    assert relayed == [left["event_id"]]  # the row left behind, not the one in flight
    publishing = eventlet.spawn(relay.batches.run)
    relay.batches.flush(timeout=10)
    relay.mark_published()
    assert relay.relay_once() == 0
    assert relayed == [left["event_id"]]
    assert all(remaining(engine))  # the held row published by the fast path alone
    publishing.kill()
    relay.batches.close()
    engine.dispose()
