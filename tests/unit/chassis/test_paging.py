"""Keyset paging over an in-memory SQLite table (row values, as in PostgreSQL): every row once,
in (sort key, id) order, whichever direction, and a forged cursor refused."""

import base64
import json

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert
from sqlalchemy.orm import Session

from chassis import paging
from contracts.errors import InvalidRequest

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", String, primary_key=True),
    Column("amount", Integer, nullable=False),
    Column("state", String, nullable=False),
)
# Ties on the amount, so the id must break them for no row to be skipped or repeated.
ROWS = [{"id": f"i-{n:02}", "amount": n % 4, "state": f"item {n}"} for n in range(11)]


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine) as session:
        session.execute(insert(items), ROWS)
        yield session


def pages(session, descending, limit):
    seen, cursor = [], None
    while True:
        statement = paging.keyset_statement(
            items.c.state,
            items.c.amount,
            items.c.id,
            filters=[],
            descending=descending,
            limit=limit,
            cursor=cursor,
            parse_key=int,
        )
        page = paging.keyset_page(session, statement, limit)
        assert len(page["items"]) <= limit
        seen.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("limit", [1, 3, 11, 50])
def test_the_pages_hold_every_row_once_in_key_then_id_order(session, descending, limit):
    expected = [
        row["state"]
        for row in sorted(ROWS, key=lambda row: (row["amount"], row["id"]), reverse=descending)
    ]
    seen = pages(session, descending, limit)
    assert [state for page in seen for state in page] == expected
    assert len(seen) == max(1, -(-len(ROWS) // limit))


def test_the_filters_apply_to_every_page(session):
    statement = paging.keyset_statement(
        items.c.id,
        items.c.amount,
        items.c.id,
        filters=[items.c.amount == 2],
        descending=False,
        limit=10,
        cursor=None,
        parse_key=int,
    )
    page = paging.keyset_page(session, statement, 10)
    assert page == {"items": [r["id"] for r in ROWS if r["amount"] == 2], "next_cursor": None}


def test_a_page_of_whole_rows_made_into_items_pages_the_same(session):
    """A table as the item (every column) and ``item`` to shape each row: same order, same
    cursors."""
    seen, cursor = [], None
    while True:
        statement = paging.keyset_statement(
            items,
            items.c.amount,
            items.c.id,
            filters=[],
            descending=False,
            limit=4,
            cursor=cursor,
            parse_key=int,
        )
        page = paging.keyset_page(
            session, statement, 4, lambda row: {name: row._mapping[name] for name in ROWS[0]}
        )
        seen += page["items"]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == sorted(ROWS, key=lambda row: (row["amount"], row["id"]))


def test_a_cursor_carries_the_sort_key_and_the_id():
    assert paging.decode_cursor(paging.encode_cursor(7, "i-03"), int) == (7, "i-03")


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
        base64.urlsafe_b64encode(json.dumps(["yesterday", "i-01"]).encode()).decode(),
    ],
)
def test_a_cursor_the_service_did_not_issue_is_an_invalid_request(cursor):
    with pytest.raises(InvalidRequest) as refused:
        paging.decode_cursor(cursor, int)
    assert refused.value.details == {"errors": {"cursor": ["invalid cursor"]}}


@pytest.mark.parametrize(
    ("query", "size"),
    [({}, paging.DEFAULT_PAGE), ({"limit": 5}, 5), ({"limit": 10_000}, paging.MAX_PAGE)],
)
def test_the_page_size_is_the_limit_asked_for_up_to_the_maximum(query, size):
    assert paging.page_size(query) == size
