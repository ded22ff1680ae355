"""The delivery note renders what goes in the box, in any script, and reads back as text."""

import io
from datetime import UTC, datetime

import segno
from PIL import Image
from pypdf import PdfReader

from fulfillment import delivery_note

AT = datetime(2031, 3, 7, 10, tzinfo=UTC)
RECORD = {
    "order_id": "o-42",
    "title": "Brackets",
    "buyer_org": "acme",
    "supplier_org": "forge",
    "currency": "JPY",
    "opened_at": AT,
    "lines": [
        {"line_id": "L1", "sku": "BRKT-7", "description": "Kühlkörper 散热器", "quantity": 40},
        {"line_id": "L2", "sku": "BOLT-3", "description": "Bolt", "quantity": 100},
    ],
    "shipping": {
        "ship_to": {"name": "Zoë Ångström", "street": "Straße 1", "city": "Łódź", "country": "PL"},
        "payment_terms": "Net 30",
        "shipping_fee": 2500,
    },
}
SHIPMENT = {
    "id": "s-1",
    "number": 2,
    "carrier": "dhl",
    "tracking_number": "JD0001",
    "lines": [{"line_id": "L1", "quantity": 25}],
    "updated_at": AT,
}


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_shipments_note_lists_its_lines_ship_to_and_tracking_number():
    text = text_of(delivery_note.render(RECORD, [SHIPMENT], whole_order=False))
    for expected in ("shipment #2", "o-42", "Zoë Ångström", "Łódź", "Kühlkörper", "JD0001", "25"):
        assert expected in text, expected
    assert "BOLT-3" not in text
    assert "2500 JPY" in text  # a currency without minor units prints as it is


def test_the_whole_orders_note_lists_every_line_and_shipment_and_is_the_same_each_time():
    draft = {**SHIPMENT, "id": "s-2", "number": 3, "tracking_number": None}
    note = delivery_note.render(RECORD, [SHIPMENT, draft], whole_order=True)
    text = text_of(note)
    assert "BOLT-3" in text and "100" in text and "tracking number not yet given" in text
    assert delivery_note.render(RECORD, [SHIPMENT, draft], whole_order=True) == note


def test_an_order_placed_without_an_address_says_so():
    text = text_of(delivery_note.render({**RECORD, "shipping": None}, [], whole_order=True))
    assert "no address given at placement" in text


def test_each_shipments_qr_code_is_its_tracking_number():
    note = delivery_note.render(RECORD, [SHIPMENT], whole_order=False)
    [embedded] = PdfReader(io.BytesIO(note)).pages[0].images
    expected = io.BytesIO()
    segno.make("JD0001", error="m").save(expected, kind="png", scale=6, border=2)

    drawn = embedded.image.convert("L")
    assert drawn.tobytes() == Image.open(expected).convert("L").tobytes()
