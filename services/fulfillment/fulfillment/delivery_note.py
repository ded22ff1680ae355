"""The delivery note / packing slip: a PDF that goes in the box (seed 000 "Shipping").

One per shipment, or one for the whole order. It prints the order number, the parties, the
Ship-To address and shipping terms given at placement, the lines and quantities, and the
tracking number as text and as a QR code. Text is set in the bundled DejaVu Sans, so names and
addresses in any script the font covers print as written (fpdf2's core fonts are Latin-1 only).
"""

import io
from datetime import datetime
from pathlib import Path

import segno
from fpdf import FPDF

from contracts.money import minor_unit_digits

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
QR_SIZE_MM = 28


def render(record: dict, chosen: list[dict], whole_order: bool) -> bytes:
    """The PDF for ``chosen`` shipments of the order ``record`` (every shipment, or one)."""
    pdf = FPDF(format="A4")
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_creation_date(_stable_date(record, chosen))  # the same note is the same bytes
    pdf.set_title("Delivery note")
    pdf.set_auto_page_break(True, margin=15)
    if whole_order:
        _page(pdf, record, "Delivery note — whole order", _order_lines(record), chosen)
    for shipment in [] if whole_order else chosen:
        title = f"Delivery note — shipment #{shipment['number']}"
        _page(pdf, record, title, _shipment_lines(record, shipment), [shipment])
    return bytes(pdf.output())


def _page(pdf: FPDF, record: dict, title: str, lines: list[tuple], shipments: list[dict]):
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    _row(pdf, "Order", record["order_id"])
    if record.get("title"):
        _row(pdf, "Title", record["title"])
    _row(pdf, "Buyer", record["buyer_org"])
    _row(pdf, "Supplier", record["supplier_org"])
    shipping = record.get("shipping") or {}
    _ship_to(pdf, shipping.get("ship_to"))
    if shipping.get("carrier_account"):
        _row(pdf, "Ship on buyer's carrier account", shipping["carrier_account"])
    if shipping.get("payment_terms"):
        _row(pdf, "Payment terms", shipping["payment_terms"])
    if shipping.get("shipping_fee") is not None:
        _row(pdf, "Shipping fee", _money(shipping["shipping_fee"], record.get("currency")))
    pdf.ln(3)
    _lines_table(pdf, lines)
    for shipment in shipments:
        _tracking(pdf, shipment)


def _row(pdf: FPDF, label: str, value: str):
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(60, 6, f"{label}:")
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, 6, str(value), new_x="LMARGIN", new_y="NEXT")


def _ship_to(pdf: FPDF, address: dict | None):
    if not address:
        _row(pdf, "Ship to", "(no address given at placement)")
        return
    locality = " ".join(part for part in (address.get("postal_code"), address.get("city")) if part)
    parts = [
        address.get("name"),
        address.get("company"),
        address.get("street"),
        locality,
        address.get("region"),
        address.get("country"),
        address.get("phone"),
    ]
    _row(pdf, "Ship to", "\n".join(part for part in parts if part))


def _lines_table(pdf: FPDF, lines: list[tuple]):
    with pdf.table(col_widths=(20, 40, 90, 30), text_align=("LEFT", "LEFT", "LEFT", "RIGHT")) as t:
        header = t.row()
        for heading in ("Line", "SKU", "Description", "Quantity"):
            header.cell(heading)
        for line_id, sku, description, quantity in lines:
            row = t.row()
            for value in (line_id, sku, description, str(quantity)):
                row.cell(value)


def _tracking(pdf: FPDF, shipment: dict):
    pdf.ln(4)
    number = shipment.get("tracking_number")
    carrier = shipment.get("carrier") or "carrier not given"
    label = f"Shipment #{shipment['number']} ({carrier})"
    if not number:
        _row(pdf, label, "tracking number not yet given")
        return
    _row(pdf, label, f"Tracking number {number}")
    if pdf.get_y() + QR_SIZE_MM > pdf.h - pdf.b_margin:
        pdf.add_page()
    code = io.BytesIO()
    segno.make(number, error="m").save(code, kind="png", scale=6, border=2)
    code.seek(0)
    pdf.image(code, x=pdf.l_margin, y=pdf.get_y(), w=QR_SIZE_MM, h=QR_SIZE_MM)
    pdf.set_y(pdf.get_y() + QR_SIZE_MM + 2)


def _order_lines(record: dict) -> list[tuple]:
    return [
        (line["line_id"], line["sku"], line.get("description", ""), line["quantity"])
        for line in record["lines"]
    ]


def _shipment_lines(record: dict, shipment: dict) -> list[tuple]:
    described = {line["line_id"]: line for line in record["lines"]}
    return [
        (
            item["line_id"],
            described.get(item["line_id"], {}).get("sku", ""),
            described.get(item["line_id"], {}).get("description", ""),
            item["quantity"],
        )
        for item in shipment["lines"]
    ]


def _money(minor_units: int, currency: str | None) -> str:
    decimals = minor_unit_digits(currency)
    return f"{minor_units / 10**decimals:.{decimals}f} {currency or ''}".strip()


def _stable_date(record: dict, chosen: list[dict]) -> datetime:
    moments = [record["opened_at"], *(s["updated_at"] for s in chosen)]
    return max(moments)
