"""chassis.waiting: what the statement that makes a record learns of the events waiting for it."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, MetaData, String, Table, create_engine, insert
from sqlalchemy.orm import Session

from chassis import waiting
from chassis.tables import waiting_events_table

metadata = MetaData()
records = Table("records", metadata, Column("order_id", String, primary_key=True))
waiting_events = waiting_events_table(metadata)
NOW = datetime(2026, 12, 4, tzinfo=UTC)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        yield session


MAKE_RECORD = waiting.record_insert(records, waiting_events)


def _make_record(session, order_id) -> bool:
    return waiting.insert_record(session, MAKE_RECORD, {"order_id": order_id})


def test_the_statement_that_makes_a_record_says_whether_an_event_waits_for_it(session):
    session.execute(
        insert(waiting_events).values(
            order_id="o-1",
            event_id="e-1",
            event_type="order.ready_to_ship",
            occurred_at=NOW,
            envelope={},
            received_at=NOW,
        )
    )

    assert _make_record(session, "o-1") is True
    assert _make_record(session, "o-2") is False  # another order's waiting event is not its
