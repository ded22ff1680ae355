"""chassis.backlog: what a service holds that is not done yet, counted with its oldest item."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, create_engine, insert
from sqlalchemy.orm import Session

from chassis import backlog
from chassis.tables import messaging_tables, waiting_events_table

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def _tables(with_waiting: bool) -> MetaData:
    metadata = MetaData()
    messaging_tables(metadata)
    if with_waiting:
        waiting_events_table(metadata)
    return metadata


@pytest.fixture
def session():
    metadata = _tables(with_waiting=True)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine) as session:
        session.info["metadata"] = metadata
        yield session


def _outbox_row(event_id, created_at, published_at=None):
    return {
        "event_id": event_id,
        "event_type": "order.placed",
        "envelope": {},
        "created_at": created_at,
        "published_at": published_at,
    }


def test_only_what_still_waits_is_counted_with_the_age_of_the_oldest(session):
    metadata = session.info["metadata"]
    session.execute(
        insert(metadata.tables["outbox"]),
        [
            _outbox_row("e-1", NOW - timedelta(minutes=10), published_at=NOW),
            _outbox_row("e-2", NOW - timedelta(seconds=90)),
            _outbox_row("e-3", NOW - timedelta(seconds=30)),
        ],
    )

    found = backlog.report(session, backlog.messaging_held(metadata), NOW)

    assert found["unpublished_events"] == {
        "count": 2,
        "oldest_at": (NOW - timedelta(seconds=90)).isoformat(),
        "oldest_age_s": 90.0,
    }
    assert found["events_waiting_for_their_record"] == {
        "count": 0,
        "oldest_at": None,
        "oldest_age_s": None,
    }


def test_waiting_events_are_held_only_where_the_service_keeps_them():
    with_waiting = backlog.messaging_held(_tables(with_waiting=True))
    without = backlog.messaging_held(_tables(with_waiting=False))

    assert [held.name for held in with_waiting] == [
        "unpublished_events",
        "events_waiting_for_their_record",
    ]
    assert [held.name for held in without] == ["unpublished_events"]
