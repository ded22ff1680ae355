"""``chassis.locks.hold``: a second holder of a name waits until the first one's transaction
ends."""

import eventlet
import pytest
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from chassis import locks
from chassis.database import make_engine
from support.waiting import eventually


@pytest.mark.postgresql_only
@pytest.mark.parametrize("with_next", [False, True], ids=["at once", "with the next statement"])
def test_a_held_name_is_waited_for_until_its_holder_commits(backend, database_of, with_next):
    engine = make_engine(database_of(MetaData()))
    steps = []

    def hold(session, namespace, names):
        locks.hold(session, namespace, names, with_next=with_next)
        if with_next:  # then what follows the call in the database happens under the locks
            session.execute(text("SELECT 1"))

    def second_holder():
        with Session(engine) as session, session.begin():
            hold(session, "tracking", ["T-2", "T-1"])  # one of them is held
            steps.append("second holds")

    with Session(engine) as session, session.begin():
        hold(session, "tracking", ["T-1"])
        waiter = eventlet.spawn(second_holder)
        with Session(engine) as other, other.begin():
            hold(other, "order", ["T-1"])  # another namespace: not the same lock
            hold(other, "tracking", ["T-3"])
        eventually(lambda: waiting_for_advisory_lock(engine))
        steps.append("first commits")
    waiter.wait()
    engine.dispose()
    assert steps == ["first commits", "second holds"]


def test_names_map_to_a_bounded_number_of_locks_per_namespace():
    keys = {locks.lock_key("tracking", f"T-{n}") for n in range(20_000)}
    assert len(keys) == locks.STRIPES
    assert not keys & {locks.lock_key("order", f"T-{n}") for n in range(100)}
    assert all(-(2**63) <= key < 2**63 for key in keys)


def waiting_for_advisory_lock(engine) -> bool:
    with engine.connect() as connection:
        waiting = text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return connection.execute(waiting).scalar() > 0


@pytest.mark.parametrize(
    "take",
    [
        lambda session: locks.hold(session, "order", ["o-1"]),
        locks.serialise_on_sqlite,  # what a row read to be written back takes on SQLite
    ],
    ids=["hold", "serialise_on_sqlite"],
)
def test_on_sqlite_a_holder_has_the_database_write_lock_until_it_commits(tmp_path, take):
    url = f"sqlite:///{tmp_path}/locks.db"
    engine = make_engine(url)
    impatient = create_engine(url, connect_args={"timeout": 0})  # fails at once when locked
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE seen (name TEXT)")

    def write_elsewhere():
        with impatient.begin() as connection:
            connection.exec_driver_sql("INSERT INTO seen VALUES ('elsewhere')")

    with Session(engine) as session, session.begin():
        session.execute(text("SELECT count(*) FROM seen"))  # a read takes no lock
        take(session)
        with pytest.raises(OperationalError, match="locked"):
            write_elsewhere()
        session.execute(text("INSERT INTO seen VALUES ('holder')"))
    write_elsewhere()
    with engine.connect() as connection:
        names = connection.exec_driver_sql("SELECT name FROM seen").scalars().all()
    engine.dispose()
    impatient.dispose()
    assert names == ["holder", "elsewhere"]
