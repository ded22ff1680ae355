"""``chassis.pg_transactions``: on PostgreSQL a transaction's BEGIN travels with its first
statement and its COMMIT with its final statements, and a transaction stays all or nothing."""

from datetime import UTC, datetime

import pytest
from psycopg2.extensions import TRANSACTION_STATUS_IDLE
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from chassis.database import ignoring_duplicates, make_engine, normalise_url
from chassis.pg_transactions import (
    BEGIN,
    LATER,
    ONE_SNAPSHOT,
    final_commit,
    send_with_next,
    write_later,
)

pytestmark = pytest.mark.postgresql_only

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True))
# Checked as the transaction commits: so its COMMIT is what fails.
tags = Table(
    "tags",
    metadata,
    Column("name", String(10)),
    UniqueConstraint("name", deferrable=True, initially="DEFERRED"),
)
# Values SQLAlchemy turns into what psycopg2 adapts, and a default made in Python.
documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("body", JSON),
    Column("at", DateTime(timezone=True)),
    Column("stamp", String(20), default=lambda: "made in Python"),
)
_REVISE = update(documents).where(documents.c.id == bindparam("key_id"))
# A key the server makes: an INSERT that leaves it out asks for it back unless told not to.
stamps = Table(
    "stamps",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("name", String(10), unique=True),
)
AT = datetime(2031, 5, 1, 12, 30, tzinfo=UTC)


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
        if cursor.query is not None:  # None: a LATER write, not sent yet
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


def test_a_failed_commit_sent_with_the_final_statements_commits_nothing(engine):
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.execute(insert(tags).values(name="a"))
        connection = session.connection()
        connection.exec_driver_sql(
            f"INSERT INTO tags (name) VALUES ('a'){final_commit(connection)}"
        )
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(tags)).scalar_one() == 0


def test_a_transaction_in_one_snapshot_reads_as_it_began(engine, sent):
    with Session(engine) as session:
        session.connection(execution_options=ONE_SNAPSHOT)
        assert session.execute(select(func.count()).select_from(notes)).scalar_one() == 0
        with engine.begin() as other:
            other.execute(insert(notes).values(id=1))
        assert session.execute(select(func.count()).select_from(notes)).scalar_one() == 0
        session.rollback()
    assert sent[0].startswith("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*)")
    assert count(engine) == 1


@pytest.mark.parametrize("options", [{}, ONE_SNAPSHOT], ids=["read committed", "one snapshot"])
def test_a_connection_the_server_dropped_fails_once_then_the_pool_renews_it(database_of, options):
    url = database_of(metadata)
    engine = make_engine(url, max_workers=0)  # a pool of one connection
    with Session(engine) as session:
        session.connection(execution_options=options)
        backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        session.rollback()
    with create_engine(normalise_url(url)).begin() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})

    def read():
        with Session(engine) as session:
            session.connection(execution_options=options)
            return session.execute(select(func.count()).select_from(notes)).scalar_one()

    with pytest.raises(DBAPIError):
        read()
    assert read() == 0
    engine.dispose()


def test_a_commit_on_a_connection_closed_under_it_fails_instead_of_pretending(engine):
    with Session(engine) as session:
        session.execute(insert(notes).values(id=1))
        session.connection().connection.dbapi_connection.close()  # as libpq finds a dead one
        with pytest.raises(DBAPIError):
            session.commit()
    assert count(engine) == 0


def test_a_statement_sent_with_the_next_goes_in_front_of_it(engine, sent):
    with Session(engine) as session, session.begin():
        session.execute(insert(notes).values(id=1))
        assert send_with_next(session.connection(), "INSERT INTO notes (id) VALUES (2)")
        assert session.execute(select(func.count()).select_from(notes)).scalar_one() == 2
    assert sent[-1].startswith("INSERT INTO notes (id) VALUES (2); SELECT count(*)")
    assert count(engine) == 2


@pytest.mark.parametrize("first", [True, False], ids=["after a statement", "alone"])
def test_what_waits_for_a_next_statement_goes_with_the_commit_not_a_rollback(engine, first):
    for end, rows in (("rollback", 0), ("commit", 1)):
        with Session(engine) as session:
            if first:
                session.execute(select(notes))
            send_with_next(session.connection(), "INSERT INTO notes (id) VALUES (1)")
            getattr(session, end)()
        assert count(engine) == rows


def test_a_later_write_goes_with_the_next_statement_which_reads_it(engine, sent):
    with Session(engine) as session, session.begin():
        session.execute(insert(notes).values(id=1), execution_options=LATER)
        assert sent == []
        assert session.execute(select(func.count()).select_from(notes)).scalar_one() == 1
    assert (
        sent[0]
        == f"{BEGIN}; INSERT INTO notes (id) VALUES (1); SELECT count(*) AS count_1 \nFROM notes"
    )
    assert count(engine) == 1


def test_a_later_write_goes_with_the_commit_when_nothing_follows_it(engine):
    with Session(engine) as session, session.begin():
        session.execute(insert(notes).values(id=1), execution_options=LATER)
    assert count(engine) == 1


def test_a_later_write_whose_values_hold_a_percent_sign_is_sent_at_once(engine, sent):
    with Session(engine) as session, session.begin():
        session.execute(insert(tags).values(name="5% off"), execution_options=LATER)
        assert sent == [f"{BEGIN}; INSERT INTO tags (name) VALUES ('5% off')"]
    with engine.connect() as connection:
        assert connection.execute(select(tags.c.name)).scalar_one() == "5% off"


def test_later_rows_written_at_once_are_sent_at_once_in_the_transaction(engine, sent):
    with Session(engine) as session:
        session.execute(insert(notes), [{"id": 1}, {"id": 2}], execution_options=LATER)
        assert any("INSERT INTO notes" in query for query in sent)
        session.rollback()
    assert count(engine) == 0


def test_what_waits_survives_a_statement_psycopg2_refused_before_sending_it(engine):
    with Session(engine) as session, session.begin():
        session.execute(insert(notes).values(id=1), execution_options=LATER)
        with pytest.raises(DBAPIError):  # psycopg2 cannot adapt the value: nothing was sent
            session.execute(select(notes).where(notes.c.id == bindparam("id")), {"id": object()})
    assert count(engine) == 1


def test_nothing_that_waited_outlives_its_transaction(database_of):
    engine = make_engine(database_of(metadata), max_workers=0)  # a pool of one connection
    with Session(engine) as session:
        session.execute(insert(notes).values(id=1), execution_options=LATER)
        send_with_next(session.connection(), "INSERT INTO notes (id) VALUES (2)")
    # closed without a commit: the next transaction on the connection starts clean
    assert count(engine) == 0
    engine.dispose()


def test_a_commit_after_a_failed_statement_fails_instead_of_pretending(engine):
    with Session(engine) as session:
        session.execute(insert(notes).values(id=1))
        with pytest.raises(IntegrityError):
            session.execute(insert(notes).values(id=1))
        with pytest.raises(DBAPIError, match="failed earlier"):
            session.commit()
    assert count(engine) == 0


def test_a_statement_sent_with_the_next_may_not_hold_a_percent_sign(engine):
    with Session(engine) as session, pytest.raises(ValueError):
        send_with_next(session.connection(), "SELECT '100%'")


def test_a_rollback_to_a_savepoint_drops_what_waited_inside_it(engine):
    with Session(engine) as session, session.begin():
        session.execute(insert(notes).values(id=1))
        with pytest.raises(KeyError), session.begin_nested():
            # it would fail, but the savepoint is rolled back before it is ever sent
            session.execute(insert(notes).values(id=1), execution_options=LATER)
            raise KeyError("given up")
    assert count(engine) == 1


def _written(engine, sent, write) -> list[str]:
    sent.clear()
    with Session(engine) as session, session.begin():
        write(
            session, insert(documents), {"id": 1, "body": {"a": [1, "é"]}, "at": AT, "stamp": "s"}
        )
        write(session, _REVISE, {"key_id": 1, "body": {"b": None}})
        assert sent == []
        assert session.execute(select(documents)).one() == (1, {"b": None}, AT, "s")
        session.execute(documents.delete())
    return list(sent)


def test_write_later_writes_what_sqlalchemy_would_and_sends_it_with_the_next_statement(
    engine, sent
):
    def through_sqlalchemy(session, statement, parameters):
        session.execute(statement, parameters, execution_options=LATER)

    queries = _written(engine, sent, write_later)
    assert queries == _written(engine, sent, through_sqlalchemy)
    assert queries[0].startswith(f"{BEGIN}; INSERT INTO documents")


def test_write_later_writes_a_plain_statement_in_without_sqlalchemy_executing_it(engine):
    executed = []
    event.listen(engine, "before_cursor_execute", lambda *args: executed.append(args[2]))
    with Session(engine) as session, session.begin():
        session.connection()
        write_later(session, insert(documents), {"id": 1, "body": {"a": 1}, "at": AT, "stamp": "s"})
        write_later(session, _REVISE, {"key_id": 1, "stamp": "t"})
        assert executed == []


def test_write_later_leaves_a_default_made_in_python_to_sqlalchemy(engine):
    with Session(engine) as session, session.begin():
        write_later(session, insert(documents), {"id": 1})
    with engine.connect() as connection:
        assert connection.execute(select(documents.c.stamp)).scalar_one() == "made in Python"


def test_an_insert_that_skips_duplicates_can_wait_for_the_next_statement(engine, sent):
    new_name = ignoring_duplicates("postgresql", stamps, ("name",))
    with Session(engine) as session, session.begin():
        write_later(session, new_name, {"name": "a"})
        write_later(session, new_name, {"name": "a"})
        assert sent == []
        assert session.execute(select(stamps.c.name)).scalars().all() == ["a"]
    assert "RETURNING" not in sent[0]


def test_write_later_leaves_a_parameter_rendered_as_it_executes_to_sqlalchemy(engine, sent):
    rendered = update(documents).where(documents.c.id == bindparam("key_id", literal_execute=True))
    with Session(engine) as session, session.begin():
        session.execute(insert(documents), {"id": 1})
        write_later(session, rendered, {"key_id": 1, "stamp": "s"})
        assert session.execute(select(documents.c.stamp)).scalar_one() == "s"


def test_a_value_write_later_cannot_write_in_fails_as_sqlalchemy_reports_it(engine):
    with Session(engine) as session, session.begin():
        with pytest.raises(DBAPIError, match="can't adapt"):
            write_later(session, insert(notes), {"id": object()})
        session.rollback()


def test_write_later_sends_several_rows_or_a_percent_sign_at_once(engine, sent):
    with Session(engine) as session, session.begin():
        write_later(session, insert(notes), [{"id": 1}, {"id": 2}])
        write_later(session, insert(tags), {"name": "5% off"})
        assert any("INSERT INTO notes" in query for query in sent)
        assert any("INSERT INTO tags (name) VALUES ('5% off')" in query for query in sent)
    assert count(engine) == 2


def test_write_later_on_sqlite_writes_at_once(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'later.db'}")
    documents.create(engine)
    with Session(engine) as session, session.begin():
        write_later(session, insert(documents), {"id": 1, "body": {"a": 1}, "at": AT})
        assert session.execute(select(documents.c.body)).scalar_one() == {"a": 1}
    engine.dispose()
