"""Small helpers over SQLAlchemy rows shared by chat's stores."""

import functools
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite


def plain(row) -> dict:
    """A row as a JSON-ready dict (datetimes as ISO-8601)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in row._mapping.items()
    }


def upsert(session, table, values: dict, keys: tuple[str, ...], update: dict):
    """INSERT, or UPDATE ``update`` where a row with the same ``keys`` exists (one statement)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    return session.execute(statement.on_conflict_do_update(index_elements=keys, set_=update))


def insert_ignoring_duplicates(session, table, values: dict, keys: tuple[str, ...]):
    """INSERT unless a row with the same ``keys`` exists; True when a row was inserted."""
    statement = _ignoring_duplicates(session.get_bind().dialect.name, table, keys)
    return session.execute(statement, values).rowcount == 1


@functools.cache
def _ignoring_duplicates(dialect: str, table, keys: tuple[str, ...]):
    # Built once: every notice runs it, and building costs more than running it from the cache.
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    return insert(table).on_conflict_do_nothing(index_elements=keys)
