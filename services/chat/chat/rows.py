"""Small helpers over SQLAlchemy rows shared by chat's stores."""

from datetime import datetime

from chassis.database import upserting_insert


def plain(row) -> dict:
    """A row as a JSON-ready dict (datetimes as ISO-8601)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in row._mapping.items()
    }


def upsert(session, table, values: dict, keys: tuple[str, ...], update: dict):
    """INSERT, or UPDATE ``update`` where a row with the same ``keys`` exists (one statement)."""
    statement = upserting_insert(session.get_bind().dialect.name)(table).values(**values)
    return session.execute(statement.on_conflict_do_update(index_elements=keys, set_=update))
