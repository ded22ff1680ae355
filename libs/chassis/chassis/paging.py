"""Keyset paging: a page of rows in (sort key, id) order, and an opaque cursor to the next one.

A page never scans past the rows before it (no OFFSET): the cursor carries the last row's sort
key and id, and the next page starts after that row by a row-value comparison, which an index
on (sort key, id) serves as a range however deep the page. The cursor is base64 JSON of those
two values; a client may send anything back, so decoding checks it and ``parse_key`` turns the
sort key back into the column's type.
"""

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, FromClause, Row, Select, select, tuple_
from sqlalchemy.orm import Session

from contracts.errors import InvalidRequest

DEFAULT_PAGE = 25
MAX_PAGE = 100

Key = TypeVar("Key")


def page_size(query: Mapping[str, Any], maximum: int = MAX_PAGE) -> int:
    """The page size a query asks for (``limit``), the default if none, at most ``maximum``."""
    return min(int(query.get("limit") or DEFAULT_PAGE), maximum)


def encode_cursor(sort_key: Any, row_id: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_key, row_id], default=str).encode()).decode()


def decode_cursor(cursor: str, parse_key: Callable[[Any], Key]) -> tuple[Key, str]:
    """The (sort key, id) a cursor carries, checked: a client may send anything."""
    try:
        last_key, last_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return parse_key(last_key), str(last_id)
    except (ValueError, TypeError):
        raise InvalidRequest(
            "cursor is not one this service issued for this sort",
            {"errors": {"cursor": ["invalid cursor"]}},
        ) from None


def keyset_statement(
    item: ColumnElement[Any] | FromClause,
    key: ColumnElement[Any],
    row_id: ColumnElement[Any],
    *,
    filters: list[ColumnElement[bool]],
    descending: bool,
    limit: int,
    cursor: str | None,
    parse_key: Callable[[Any], Any],
) -> Select[Any]:
    """SELECT ``item`` (a column, or a table's every column), ``key`` (as sort_key) and
    ``row_id`` (as row_id) of the rows matching ``filters`` after ``cursor``, in (key, id) order:
    one row more than ``limit``, to tell whether there is a next page (``keyset_page`` runs it)."""
    where = list(filters)
    if cursor:
        last_key, last_id = decode_cursor(cursor, parse_key)
        position, last = tuple_(key, row_id), tuple_(last_key, last_id)
        where.append(position < last if descending else position > last)
    order_by = [key.desc(), row_id.desc()] if descending else [key.asc(), row_id.asc()]
    return (
        select(item, key.label("sort_key"), row_id.label("row_id"))
        .where(*where)
        .order_by(*order_by)
        .limit(limit + 1)
    )


def keyset_page(
    session: Session,
    statement: Select[Any],
    limit: int,
    item: Callable[[Row[Any]], Any] = lambda row: row[0],
) -> dict[str, Any]:
    """Run a ``keyset_statement``: ``{"items": [``item`` of each row: its first column unless
    told], "next_cursor": the cursor to the next page, or None on the last}``."""
    rows = session.execute(statement).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].sort_key, rows[-1].row_id) if more else None
    return {"items": [item(row) for row in rows], "next_cursor": next_cursor}
