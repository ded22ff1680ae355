"""The CSV export's rows and cells: formula escaping (OWASP CSV injection) and chunking."""

import csv
import io

import pytest

from gateway.export import COLUMNS, csv_chunks, escaped, order_row

ORDER = {
    "id": "ord-1",
    "title": "Brackets",
    "workflow": "manufacturing",
    "kind": None,
    "placed_at": "2031-03-01T09:30:00+00:00",
    "updated_at": "2031-03-02T09:30:00+00:00",
    "committed_ship_by": "2031-03-10",
    "committed_deliver_by": "2031-03-14",
    "buyer_org": "acme",
    "buyer_user": "alice",
    "supplier_org": "forge",
    "status": "in_delivery",
    "status_group": "active",
    "total": 51200,
    "currency": "EUR",
    "lines": [
        {"sku": "BRKT-7", "quantity": 40, "unit_price": 1250},
        {"sku": "PIN-2", "quantity": 4, "unit_price": 300},
    ],
}


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_would_start_a_formula_starts_with_a_quote(start):
    assert escaped(f'{start}HYPERLINK("http://evil")') == f'\'{start}HYPERLINK("http://evil")'


@pytest.mark.parametrize("value", ["Brackets", "a=b", "", "'quoted", 12, None])
def test_other_cells_are_left_as_they_are(value):
    assert escaped(value) == ("" if value is None else str(value))


def test_a_row_names_lines_skus_quantity_and_the_statuses_from_the_batches():
    row = dict(
        zip(
            COLUMNS,
            order_row(ORDER, "held", {"status": "shipped", "tracking_numbers": ["T1", "T2"]}),
            strict=True,
        )
    )

    assert row["Lines"] == "BRKT-7 x 40 @ 1250; PIN-2 x 4 @ 300"
    assert row["SKUs"] == "BRKT-7; PIN-2"
    assert row["Quantity"] == 44
    assert (row["Total (minor units)"], row["Currency"]) == (51200, "EUR")
    assert (row["Payment status"], row["Fulfillment status"]) == ("held", "shipped")
    assert row["Tracking numbers"] == "T1; T2"


def test_an_order_that_payments_and_fulfillment_do_not_know_has_empty_statuses():
    row = dict(zip(COLUMNS, order_row(ORDER, None, None), strict=True))

    assert (row["Payment status"], row["Fulfillment status"], row["Tracking numbers"]) == (
        None,
        None,
        "",
    )


def test_the_chunks_parse_back_to_the_header_and_escaped_rows():
    hostile = {**ORDER, "title": "=cmd|' /C calc'!A0", "buyer_user": "@SUM(1+1)"}
    rows = [order_row(hostile, None, None) for _ in range(5)]

    chunks = list(csv_chunks(iter(rows), flush_every=2))

    assert len(chunks) == 3  # rows 1-2 with the header, 3-4, then 5
    parsed = list(csv.reader(io.StringIO("".join(chunks))))
    assert parsed[0] == list(COLUMNS)
    assert len(parsed) == 6
    record = dict(zip(COLUMNS, parsed[1], strict=True))
    assert record["Title"] == "'=cmd|' /C calc'!A0"
    assert record["Buyer user"] == "'@SUM(1+1)"


def test_every_column_a_party_writes_is_escaped_through_the_chunks():
    """Not only the title: a carriage-return start, a SKU, the supplier and a tracking number
    each come back quoted from the CSV text."""
    hostile = {
        **ORDER,
        "title": "\r=1+1",
        "supplier_org": "+cmd",
        "lines": [{"sku": "-2+3", "quantity": 1, "unit_price": 100}],
    }
    row = order_row(hostile, None, {"status": "open", "tracking_numbers": ["=T1"]})

    parsed = list(csv.reader(io.StringIO("".join(csv_chunks(iter([row]), flush_every=1)))))

    record = dict(zip(COLUMNS, parsed[1], strict=True))
    assert record["Title"] == "'\r=1+1"
    assert record["Supplier"] == "'+cmd"
    assert record["SKUs"] == "'-2+3"
    assert record["Lines"] == "'-2+3 x 1 @ 100"
    assert record["Tracking numbers"] == "'=T1"
