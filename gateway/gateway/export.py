"""Orders as CSV, streamed: one page of orders in memory at a time, however many there are.

``export_rows`` walks the order list with its keyset cursor (the same filters as
``GET /orders``) and, per page, asks payments and fulfillment at once for the page's payment
status, fulfillment status and tracking numbers (one batch call each). ``csv_chunks`` turns the
rows into CSV text, one chunk per page, with every cell that a spreadsheet would run as a
formula escaped (OWASP CSV injection).
"""

import csv
from collections.abc import Iterable, Iterator
from functools import partial

from gateway.auth import may_see
from gateway.rpc import concurrently

COLUMNS = (
    "Order",
    "Title",
    "Workflow",
    "Kind",
    "Placed at",
    "Updated at",
    "Ship by",
    "Deliver by",
    "Buyer",
    "Buyer user",
    "Supplier",
    "Status",
    "Status group",
    "Lines",
    "SKUs",
    "Quantity",
    "Total (minor units)",
    "Currency",
    "Payment status",
    "Fulfillment status",
    "Tracking numbers",
)
# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "; "


def escaped(value) -> str:
    """The cell as text, with a leading quote when it would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def pages(rpc, actor, query: dict, page_size: int) -> Iterator[list[dict]]:
    """The orders the query selects, one visible page at a time, in keyset order."""
    cursor = None
    while True:
        paged = {**query, "limit": page_size, **({"cursor": cursor} if cursor else {})}
        page = rpc.call("orders.list_orders", actor, paged)
        yield [order for order in page["items"] if may_see(actor, order)]
        cursor = page["next_cursor"]
        if not cursor:
            return


def export_rows(rpc, actor, orders_pages: Iterable[list[dict]]) -> Iterator[list]:
    """Each order's row, with its page's payment and fulfillment statuses read in one batch."""
    for orders in orders_pages:
        if not orders:
            continue
        ids = [order["id"] for order in orders]
        found, failures = concurrently(
            {
                "payments": partial(rpc.call, "payments.payment_statuses", actor, ids),
                "fulfillment": partial(rpc.call, "fulfillment.fulfillment_statuses", actor, ids),
            }
        )
        if failures:
            # Headers are sent: abort the download rather than write rows that lack a column.
            raise next(iter(failures.values()))
        for order in orders:
            yield order_row(
                order, found["payments"].get(order["id"]), found["fulfillment"].get(order["id"])
            )


def order_row(order: dict, payment_status: str | None, fulfillment: dict | None) -> list:
    lines = order.get("lines") or []
    fulfillment = fulfillment or {}
    return [
        order["id"],
        order.get("title"),
        order.get("workflow"),
        order.get("kind"),
        order.get("placed_at"),
        order.get("updated_at"),
        order.get("committed_ship_by"),
        order.get("committed_deliver_by"),
        order.get("buyer_org"),
        order.get("buyer_user"),
        order.get("supplier_org"),
        order.get("status"),
        order.get("status_group"),
        LIST_SEPARATOR.join(
            f"{line['sku']} x {line['quantity']} @ {line['unit_price']}" for line in lines
        ),
        LIST_SEPARATOR.join(line["sku"] for line in lines),
        sum(line["quantity"] for line in lines),
        order.get("total"),
        order.get("currency"),
        payment_status,
        fulfillment.get("status"),
        LIST_SEPARATOR.join(fulfillment.get("tracking_numbers") or []),
    ]


class _Chunk:
    """A file the csv writer writes to, keeping one page's text."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def take(self) -> str:
        text, self.parts = "".join(self.parts), []
        return text


def csv_chunks(rows: Iterable[list], flush_every: int) -> Iterator[str]:
    """The header, then the rows as CSV text, ``flush_every`` rows to a chunk."""
    out = _Chunk()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for number, row in enumerate(rows, 1):
        writer.writerow([escaped(cell) for cell in row])
        if number % flush_every == 0:
            yield out.take()
    yield out.take()
