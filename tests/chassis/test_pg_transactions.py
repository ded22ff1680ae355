"""``chassis.pg_transactions``: on PostgreSQL a transaction's BEGIN travels with its first
statement and its COMMIT with its final statements, and a transaction stays all or nothing."""

import pytest
from psycopg2.extensions import TRANSACTION_STATUS_IDLE
from sqlalchemy import Column, Integer, MetaData, Table, event, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chassis.database import make_engine
from chassis.pg_transactions import BEGIN, final_commit

pytestmark = pytest.mark.postgresql_only

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True))


@pytest.fixture
def engine(database_of):
    engine = make_engine(database_of(metadata))
    yield engine
    engine.dispose()


@pytest.fixture
def sent(engine):
    """Each query as psycopg2 sent it to the server (``cursor.query``), in order."""
    queries = []

    def record(_conn, cursor, *_):
        queries.append(cursor.query.decode())

    event.listen(engine, "after_cursor_execute", record)
    return queries


def count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(notes)).scalar_one()


def test_begin_travels_with_the_first_statement_only(engine, sent):
    with Session(engine) as session, session.begin():
        session.execute(insert(notes).values(id=1))
        session.execute(insert(notes).values(id=2))
    assert sent[0].startswith(f"{BEGIN}; INSERT INTO notes")
    assert sent[1].startswith("INSERT INTO notes")
    assert count(engine) == 2


def test_a_failed_statement_undoes_the_transactions_earlier_ones(engine):
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.execute(insert(notes).values(id=1))
        session.execute(insert(notes).values(id=1))
    assert count(engine) == 0
    with engine.connect() as connection:  # the pool's connection was left without a transaction
        raw = connection.connection.dbapi_connection
        assert raw.get_transaction_status() == TRANSACTION_STATUS_IDLE


def test_a_rollback_undoes_a_transaction_opened_by_several_rows_at_once(engine):
    with Session(engine) as session:
        session.execute(insert(notes), [{"id": 1}, {"id": 2}])
        session.rollback()
    assert count(engine) == 0


def test_final_statements_that_commit_leave_nothing_for_the_commit_to_send(engine, sent):
    with Session(engine) as session, session.begin():
        session.execute(insert(notes).values(id=1))
        connection = session.connection()
        raw = connection.connection.dbapi_connection
        end = final_commit(connection)
        connection.exec_driver_sql(f"INSERT INTO notes (id) VALUES (2){end}")
        assert raw.get_transaction_status() == TRANSACTION_STATUS_IDLE
    assert end == "; COMMIT"
    assert sent[-1] == "INSERT INTO notes (id) VALUES (2); COMMIT"
    assert count(engine) == 2
    # A COMMIT sent after it would have found no transaction, and the server would have said so.
    assert raw.notices == []


def test_a_connection_in_another_isolation_level_is_left_to_psycopg2(engine):
    with Session(engine) as session:
        connection = session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        connection.execute(select(notes))
        assert final_commit(connection) == ""
        session.rollback()
