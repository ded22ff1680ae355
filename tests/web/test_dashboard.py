"""What people do on the dashboard, in Chromium, against the real system: each test signs in
through the sign-in page with an API token and clicks as a person would; the API (as the e2e
``Client``) is the witness of what changed."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from pypdf import PdfReader

from e2e.fulfillment_steps import (
    RETAIL_ORDER,
    SHIPPING,
    carrier,
    known_to_fulfillment,
    returns_of,
    scan,
    ship,
    tracking_number,
    upload,
)
from e2e.walk import act, fetch, status_is, when
from support import files
from support.waiting import eventually

ORDER = {
    "workflow": "manufacturing",
    "title": "Anodised brackets",
    "currency": "EUR",
    "committed_ship_by": "2031-03-10",
    "committed_deliver_by": "2031-03-14",
    "shipping": SHIPPING,
    "lines": [
        {"sku": "BRKT-7", "description": "Bracket", "quantity": 40, "unit_price": 1250},
        {"sku": "PIN-2", "description": "Dowel pin", "quantity": 100, "unit_price": 30},
    ],
}
DOCUMENTS = ("inspection_report", "material_certificate")


def card(page, order):
    return page.locator(f"article.card[data-order='{order['id']}']")


def column(page, status):
    return page.locator(f"section[aria-labelledby='col-{status}']")


def test_a_supplier_approves_on_the_board_uploads_documents_ships_part_and_gets_the_note(
    market, sign_in, artifacts, system
):
    m = market("web-supplier")
    order = m.place(ORDER)
    page = sign_in("sam", "supplier", m.supplier.org)

    page.goto(f"{system.web_url}/board?workflow=manufacturing")
    expect(column(page, "ordered").locator(card(page, order))).to_be_visible()
    expect(card(page, order)).to_contain_text("Anodised brackets")
    expect(card(page, order)).to_contain_text("140")  # the quantity, over both lines
    page.screenshot(path=artifacts / "board.png", full_page=True)

    card(page, order).get_by_role("button", name=re.compile("^Approve")).click()
    expect(column(page, "approved").locator(card(page, order))).to_be_visible()
    assert fetch(m.supplier, order)["status"] == "approved"
    card(page, order).get_by_role("button", name=re.compile("^Start production")).click()
    expect(column(page, "in_production").locator(card(page, order))).to_be_visible()

    card(page, order).get_by_role("link", name="Anodised brackets").click()
    page.get_by_role("link", name="Attachments & documents").click()
    for kind in DOCUMENTS:
        page.get_by_label("Kind").select_option(kind)
        page.get_by_label("File").set_input_files(
            {"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": files.pdf(kind)}
        )
        page.get_by_role("button", name="Upload").click()
        expect(page.get_by_role("link", name=f"{kind}.pdf")).to_be_visible()
    when(m.supplier, order, lambda o: o["documents"] == list(DOCUMENTS))

    page.reload()
    page.get_by_role("button", name="Mark ready").click()
    expect(page.get_by_text("Mark ready: done.")).to_be_visible()
    assert fetch(m.supplier, order)["status"] == "ready_for_delivery"

    known_to_fulfillment(m.supplier, order["id"])  # the approval's event reached fulfillment
    page.get_by_role("link", name="Shipping", exact=True).click()
    number = tracking_number()
    page.get_by_label("BRKT-7 Bracket (40 left)").fill("25")
    page.get_by_label("Carrier", exact=True).fill("dhl")
    page.get_by_label("Tracking number", exact=True).fill(number)
    page.get_by_label("Handed to the carrier now").check()
    page.get_by_role("button", name="Create shipment").click()
    expect(page.get_by_text("Shipment 1 created.")).to_be_visible()
    expect(page.get_by_label("BRKT-7 Bracket (15 left)")).to_be_visible()  # partial: 15 remain
    [shipment] = m.supplier.get(f"/orders/{order['id']}/shipments").json()
    assert shipment["lines"] == [{"line_id": "L1", "quantity": 25}]
    assert shipment["tracking_number"] == number
    page.screenshot(path=artifacts / "order-shipping.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download delivery note (PDF)").click()
    note = download.value.path().read_bytes()
    assert note.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(note)).pages)
    for expected in (order["id"], number, "BRKT-7", "25"):
        assert expected in text, expected
    assert "PIN-2" not in text

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.get_by_role("link", name="Overview", exact=True).click()
    expect(page.get_by_role("heading", name="What you can do now")).to_be_visible()
    page.screenshot(path=artifacts / "order-phone.png", full_page=True)


def test_a_supplier_withdraws_a_draft_and_hands_another_over_with_its_tracking_number(
    market, sign_in, system
):
    m = market("web-draft")
    order = ready_for_delivery(m)
    page = sign_in("sam", "supplier", m.supplier.org)
    page.goto(f"{system.web_url}/orders/{order['id']}?tab=shipping")

    page.get_by_label("BRKT-7 Bracket (40 left)").fill("40")
    page.get_by_role("button", name="Create shipment").click()
    expect(page.get_by_text("Shipment 1 created.")).to_be_visible()
    expect(page.get_by_label("BRKT-7 Bracket (", exact=False)).to_have_count(0)
    page.get_by_role("button", name="Withdraw this shipment").click()
    expect(page.get_by_text("Shipment withdrawn")).to_be_visible()
    expect(page.get_by_label("BRKT-7 Bracket (40 left)")).to_be_visible()
    assert m.supplier.get(f"/orders/{order['id']}/shipments").json() == []

    page.get_by_label("PIN-2 Dowel pin (100 left)").fill("100")
    page.get_by_role("button", name="Create shipment").click()
    # Number 1 may be on a delivery note printed for the withdrawn draft: never given again.
    expect(page.get_by_text("Shipment 2 created.")).to_be_visible()
    number = tracking_number()
    handing = page.get_by_role("form", name="Hand shipment 2 to the carrier")
    handing.get_by_label("Carrier").fill("dhl")
    handing.get_by_label("Tracking number").fill(number)
    handing.get_by_role("button", name="Hand over to the carrier").click()
    expect(page.get_by_text("Shipment 2 handed to the carrier.")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw this shipment")).to_have_count(0)
    [shipment] = m.supplier.get(f"/orders/{order['id']}/shipments").json()
    assert (shipment["status"], shipment["tracking_number"]) == ("handed_over", number)
    when(m.buyer, order, status_is("in_delivery"))

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the whole order's delivery note (PDF)").click()
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(download.value.path().read_bytes())).pages
    )
    assert number in text and "PIN-2" in text


def test_a_supplier_records_a_returned_parcel_with_the_wrong_item_and_a_photo(
    market, sign_in, system
):
    m = market("web-return")
    order = m.place(RETAIL_ORDER)
    number = tracking_number()
    act(m.supplier, order, "ready_to_ship", {"tracking_number": number})
    now = datetime.now(UTC)
    journey = [
        scan(number, "in_transit", now - timedelta(hours=20), location_kind="sorting_centre"),
        scan(number, "delivered", now),
    ]
    assert carrier(system).post_generic("dhl", journey, batch=True).status_code == 202
    when(m.buyer, order, status_is("delivered"))
    act(m.buyer, order, "return", {"reason": "wrong colour"})
    returns_of(m.supplier, order["id"])

    page = sign_in("sam", "supplier", m.supplier.org)
    page.goto(f"{system.web_url}/orders/{order['id']}?tab=shipping")
    receipt = page.get_by_role("form", name="Record the return as received")
    receipt.get_by_label("A different item came back").check()
    receipt.get_by_label("Note").fill("a toaster came back")
    receipt.get_by_label("Photos of what came back").set_input_files(
        {"name": "pickup.jpg", "mimeType": "image/jpeg", "buffer": files.photo_with_gps()}
    )
    receipt.get_by_role("button", name="Record the return as received").click()
    expect(page.get_by_text("Return recorded as received.")).to_be_visible()
    expect(page.get_by_role("form", name="Record the return as received")).to_have_count(0)

    [returned] = m.supplier.get(f"/orders/{order['id']}").json()["fulfillment"]["returns"]
    assert (returned["status"], returned["wrong_item"]) == ("received", True)
    [photo] = returned["photos"]
    kinds = {d["id"]: d["kind"] for d in m.supplier.get(f"/orders/{order['id']}/documents").json()}
    assert kinds[photo] == "return_photo"
    when(m.buyer, order, status_is("returned"))


def test_a_buyer_messages_the_supplier_with_a_file_and_the_unread_badges_clear(
    market, sign_in, artifacts, system
):
    m = market("web-chat")
    order = m.place(ORDER)
    buyer = sign_in("alice", "buyer", m.buyer.org)
    buyer.goto(f"{system.web_url}/orders/{order['id']}?tab=messages")

    # The contact filter's refusal is shown in plain words, and the draft kept.
    buyer.get_by_label("Message", exact=True).fill("Mail me at alice@example.com")
    buyer.get_by_role("button", name="Send").click()
    expect(buyer.get_by_role("alert")).to_contain_text("Your message was not sent")
    expect(buyer.get_by_label("Message", exact=True)).to_have_value("Mail me at alice@example.com")
    assert m.buyer.get(f"/orders/{order['id']}/messages").json()["items"] == []

    buyer.get_by_label("Message", exact=True).fill("The drawing, revision B")
    buyer.get_by_label("Attach files").set_input_files(
        {"name": "drawing.pdf", "mimeType": "application/pdf", "buffer": files.pdf("Rev B")}
    )
    buyer.get_by_role("button", name="Send").click()
    expect(buyer.locator(".messages")).to_contain_text("The drawing, revision B")
    expect(buyer.get_by_role("link", name="drawing.pdf")).to_be_visible()

    supplier = sign_in("sam", "supplier", m.supplier.org)
    supplier.goto(f"{system.web_url}/board?workflow=manufacturing")
    badge = card(supplier, order).locator(".badge.unread")
    expect(badge).to_have_text("1")
    supplier.screenshot(path=artifacts / "board-unread.png", full_page=True)
    badge.click()
    expect(supplier.locator(".messages")).to_contain_text("The drawing, revision B")
    with supplier.expect_download() as download:
        supplier.get_by_role("link", name="drawing.pdf").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    supplier.get_by_label("Message", exact=True).fill("Thanks, we start on Monday")
    supplier.get_by_role("button", name="Send").click()
    expect(supplier.locator(".messages")).to_contain_text("Thanks, we start on Monday")
    supplier.goto(f"{system.web_url}/board?workflow=manufacturing")
    expect(card(supplier, order)).to_be_visible()
    expect(card(supplier, order).locator(".badge.unread")).to_have_count(0)

    # The buyer has the reply unread, and reading it clears the badge.
    buyer.goto(f"{system.web_url}/orders?workflow=manufacturing")
    row = buyer.locator("tr", has=buyer.get_by_role("link", name="Anodised brackets"))
    expect(row.locator(".badge.unread")).to_have_text("1")
    row.get_by_role("link", name="Anodised brackets").click()
    buyer.get_by_role("link", name=re.compile("^Messages")).click()
    expect(buyer.locator(".messages")).to_contain_text("Thanks, we start on Monday")
    assert m.buyer.get("/unread", params={"order_id": order["id"]}).json()["total"] == 0
    buyer.goto(f"{system.web_url}/orders?workflow=manufacturing")
    expect(row.locator(".badge.unread")).to_have_count(0)


def ready_for_delivery(m):
    """An order walked over HTTP alone to ready for delivery: approved, produced, documented,
    and known to fulfillment as approved."""
    order = m.place({**ORDER, "payment": {"method": "card", "token": "tok_visa"}})
    act(m.supplier, order, "approve")
    act(m.supplier, order, "start_production")
    for kind in DOCUMENTS:
        assert upload(m.supplier, order["id"], kind, f"{kind}.pdf", files.pdf()).status_code == 201
    when(m.supplier, order, lambda o: o["documents"] == list(DOCUMENTS))
    act(m.supplier, order, "mark_ready")
    known_to_fulfillment(m.supplier, order["id"])
    return order


def delivered(m, system):
    """An order walked to delivered over HTTP alone: ready, shipped in one parcel and scanned
    delivered by the carrier."""
    order = ready_for_delivery(m)
    number = tracking_number()
    everything = [{"line_id": ln["line_id"], "quantity": ln["quantity"]} for ln in order["lines"]]
    ship(m.supplier, order["id"], everything, number)
    when(m.buyer, order, status_is("in_delivery"))
    arrived = carrier(system).post_generic("dhl", [scan(number, "delivered", datetime.now(UTC))])
    assert arrived.status_code == 202, arrived.text
    return when(m.buyer, order, status_is("delivered"))


def test_a_buyer_accepts_and_the_payments_tab_shows_the_release(market, sign_in, artifacts, system):
    m = market("web-accept")
    order = delivered(m, system)
    held = eventually(
        lambda: (
            (p := m.buyer.get(f"/orders/{order['id']}/payments").json())["status"] == "held" and p
        )
    )
    page = sign_in("alice", "buyer", m.buyer.org)
    page.goto(f"{system.web_url}/orders/{order['id']}?tab=payments")
    expect(page.locator("#payment-status")).to_have_text("Held")
    expect(page.locator("#released")).to_have_text(money(0, held["currency"]))
    page.screenshot(path=artifacts / "order-payments-before.png", full_page=True)

    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_text("Accept: done.")).to_be_visible()
    assert fetch(m.buyer, order)["status"] == "completed"

    settled = eventually(
        lambda: (p := m.buyer.get(f"/orders/{order['id']}/payments").json())["released"] and p,
        timeout=20,
    )
    page.get_by_role("link", name="Payments", exact=True).click()
    expect(page.locator("#released")).to_have_text(money(settled["released"], settled["currency"]))
    expect(page.locator("#payment-status")).to_have_text(settled["status"].capitalize())
    expect(page.locator("table.movements")).to_contain_text("Released")
    page.screenshot(path=artifacts / "order-payments-after.png", full_page=True)


def money(minor, currency):
    return f"{minor / 100:,.2f} {currency}"


def test_exporting_the_selected_rows_downloads_their_csv(market, sign_in, artifacts, system):
    m = market("web-export")
    orders = [m.place({**ORDER, "title": f"Batch {n}"}) for n in range(3)]
    page = sign_in("alice", "buyer", m.buyer.org)
    page.goto(f"{system.web_url}/orders")
    for order in orders:
        expect(page.get_by_role("link", name=order["title"])).to_be_visible()
    page.screenshot(path=artifacts / "table.png", full_page=True)

    chosen = [orders[0], orders[2]]
    for order in chosen:
        page.get_by_label(f"Select {order['title']}").check()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export selected (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    exported = {row["Order"] for row in rows}
    assert exported == {order["id"] for order in chosen}
    assert {row["Title"] for row in rows} == {order["title"] for order in chosen}
