"""The pages of buyers, suppliers and staff: board, table, order page, notifications.

Each view asks the API for what it shows (several calls at once where a page has sections)
and renders a template; an htmx request gets only the part of the page it swaps.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from contracts.events.fulfillment import DOCUMENT_KINDS
from web.actions import FormProblem, action_forms, find_action, form_for, payload_of
from web.api import ApiError, api, api_path, chunks, idempotency_key
from web.auth import safe_next, signed_in

bp = Blueprint("pages", __name__)

BOARD_CARDS_PER_COLUMN = 20
TABLE_PAGE_SIZES = (10, 25, 50, 100)
SORTS = {"placed_at": "Placed", "updated_at": "Updated", "total": "Amount"}
TABS = ("overview", "activity", "messages", "documents", "shipping", "payments")
WORKFLOWS_TTL_S = 60
EXPORT_PATH = "/orders/export.csv"  # the gateway's CSV export, with the list's own filters
DOWNLOAD_HEADERS = ("Content-Type", "Content-Disposition", "Content-Length")
# What a supplier uploads on the documents tab; return photos go with a return's receipt.
SUPPLIER_DOCUMENT_KINDS = tuple(kind for kind in DOCUMENT_KINDS if kind != "return_photo")


def _partial() -> bool:
    """An htmx request that swaps part of the page (not a boosted whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def workflows() -> dict[str, dict[str, Any]]:
    """The workflows by name: the API's description, kept a minute (it changes on deploys)."""
    cache = current_app.extensions.setdefault("web.workflows", {})
    if cache.get("until", 0) < time.monotonic():
        described = api().get("/workflows")
        cache.update(value={w["name"]: w for w in described}, until=time.monotonic() + 60)
    return cache["value"]


def _filters(*names: str) -> dict[str, str]:
    return {n: v for n in names if (v := request.args.get(n, "").strip())}


@bp.get("/")
@signed_in
def home():
    return redirect(url_for(".board"))


# --- the board ----------------------------------------------------------------------------


@bp.get("/board")
@signed_in
def board():
    return render_template(
        "partials/board.html" if _partial() else "board.html", **_board_context()
    )


def _board_context() -> dict[str, Any]:
    known = workflows()
    shared = _filters("q", "delayed")
    counts = api().get("/orders/counts", params=shared)
    by_workflow = counts.get("by_workflow", {})
    chosen = request.args.get("workflow") or next(
        (name for name in known if by_workflow.get(name, {}).get("all")), next(iter(known))
    )
    if chosen not in known:
        abort(404)
    workflow = known[chosen]
    states = workflow["states"]
    found, failed = api().gather(
        **{
            state["name"]: (
                "/orders",
                {
                    **shared,
                    "workflow": chosen,
                    "status": state["name"],
                    "limit": BOARD_CARDS_PER_COLUMN,
                },
            )
            for state in states
        }
    )
    cards = [order for name in found for order in found[name]["items"]]
    return {
        "workflows": known,
        "workflow": workflow,
        "by_workflow": by_workflow,
        "counts": by_workflow.get(chosen, {}).get("by_status", {}),
        "columns": [
            {"state": s, "orders": found.get(s["name"], {}).get("items", [])} for s in states
        ],
        "failed": {name: error.message for name, error in failed.items()},
        "unread": _unread([order["id"] for order in cards]),
        "filters": shared,
        # Actions that need nothing typed in are buttons on the card (seed 001's Update Status).
        "one_click": {
            a["name"]
            for a in workflow["actions"]
            if not any(spec.get("required") for spec in (a.get("payload") or {}).values())
        },
    }


# The most order ids the API's /unread takes at once; a bigger board asks in batches.
UNREAD_BATCH = 200


def _unread(order_ids: list[str]) -> dict[str, int]:
    """The red badges: unread messages per order (nothing shown if chat is unavailable)."""
    batches = {
        f"batch{start}": ("/unread", {"order_id": order_ids[start : start + UNREAD_BATCH]})
        for start in range(0, len(order_ids), UNREAD_BATCH)
    }
    if not batches:
        return {}
    found, _failed = api().gather(**batches)
    return {
        order: count
        for answer in found.values()
        for order, count in answer.get("orders", {}).items()
    }


@bp.post("/board/orders/<order_id>/actions/<action>")
@signed_in
def board_action(order_id, action):
    """A card's one-click action; the board comes back re-drawn (the card changed column)."""
    try:
        api().post(api_path("orders", order_id, "actions", action), json={})
        flash(f"{_words(action)}: done.", "success")
    except ApiError as error:
        if error.status == 401:
            raise
        flash(f"{_words(action)} failed: {error.message}", "error")
    if _partial():
        return render_template("partials/board.html", **_board_context())
    return redirect(url_for(".board", **request.args))


def _words(name: str) -> str:
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


# --- the table ----------------------------------------------------------------------------


@bp.get("/orders")
@signed_in
def table():
    known = workflows()
    query = _filters("workflow", "status", "group", "q", "delayed", "sort", "cursor")
    if query.get("workflow") and query["workflow"] not in known:
        abort(404)
    limit = request.args.get("limit", type=int) or 25
    if limit not in TABLE_PAGE_SIZES:
        limit = 25
    count_filters = {k: v for k, v in query.items() if k in ("workflow", "q", "delayed")}
    found, failed = api().gather(
        page=("/orders", {**query, "limit": limit}),
        counts=("/orders/counts", count_filters),
    )
    if "page" in failed:
        raise failed["page"]
    orders = found["page"]["items"]
    context = {
        "workflows": known,
        "query": query,
        "limit": limit,
        "orders": orders,
        "next_cursor": found["page"].get("next_cursor"),
        "counts": found.get("counts", {}),
        "tabs": _table_tabs(known.get(query.get("workflow", "")), found.get("counts", {})),
        "unread": _unread([o["id"] for o in orders]),
        "sorts": SORTS,
        "page_sizes": TABLE_PAGE_SIZES,
    }
    return render_template("partials/table.html" if _partial() else "table.html", **context)


def _table_tabs(workflow: dict | None, counts: dict) -> list[dict[str, Any]]:
    """Status tabs: each state of the chosen workflow, or the groups across workflows."""
    tabs = [{"label": "All", "args": {}, "count": counts.get("all", 0)}]
    if workflow:
        by_status = counts.get("by_status", {})
        tabs += [
            {
                "label": s["title"],
                "args": {"status": s["name"]},
                "count": by_status.get(s["name"], 0),
            }
            for s in workflow["states"]
        ]
    else:
        tabs += [
            {"label": name.capitalize(), "args": {"group": name}, "count": n}
            for name, n in counts.get("by_group", {}).items()
        ]
    return tabs


@bp.get("/orders/export")
@signed_in
def export():
    """The gateway's CSV export, streamed through: all matching orders, or the selected ones."""
    params: dict[str, Any] = _filters("workflow", "status", "group", "q", "delayed", "sort")
    if request.args.get("scope") == "selected":
        ids = request.args.getlist("id")
        if not ids:
            flash("Select at least one order to export.", "error")
            return redirect(url_for(".table", **params))
        params = {"ids": ids}
    upstream = api().stream(EXPORT_PATH, params=params)
    return _passed_on(upstream, "orders.csv")


def _passed_on(upstream, filename: str) -> Response:
    headers = {k: upstream.headers[k] for k in DOWNLOAD_HEADERS if k in upstream.headers}
    headers.setdefault("Content-Disposition", f'attachment; filename="{filename}"')
    return Response(chunks(upstream), headers=headers, direct_passthrough=True)


# --- the order page -----------------------------------------------------------------------


@bp.get("/orders/<order_id>")
@signed_in
def order_page(order_id):
    tab = request.args.get("tab", "overview")
    if tab not in TABS:
        abort(404)
    page = api().get(api_path("orders", order_id))
    context = {**_order_context(page), "tab": tab, **_tab_context(order_id, tab, page)}
    if _partial():
        return render_template(f"tabs/{tab}.html", **context)
    return render_template("order.html", **context)


def _order_context(page: dict) -> dict[str, Any]:
    order = page["order"]
    workflow = workflows().get(order["workflow"], {"states": [], "actions": []})
    chat = page.get("chat") or {}
    return {
        "page": page,
        "order": order,
        "workflow": workflow,
        "state_titles": {s["name"]: s["title"] for s in workflow["states"]},
        "forms": action_forms(workflow, order),
        "unread_count": chat.get("unread", 0) if isinstance(chat, dict) else 0,
        "tabs": TABS,
    }


def _tab_context(order_id: str, tab: str, page: dict) -> dict[str, Any]:
    if tab == "messages":
        return _messages_context(order_id)
    if tab == "documents":
        found, failed = api().gather(
            documents=(api_path("orders", order_id, "documents"),),
            attachments=(api_path("orders", order_id, "attachments"),),
        )
        return {
            **found,
            "document_kinds": SUPPLIER_DOCUMENT_KINDS,
            "failed": {k: e.message for k, e in failed.items()},
        }
    if tab == "shipping":
        # The order page carries fulfillment's record, its shipments and their scans: no second
        # call. Without the record there is no form: say why, rather than leave it out.
        fulfillment = page.get("fulfillment")
        return {
            "shipments": (fulfillment or {}).get("shipments", []),
            "returns": (fulfillment or {}).get("returns", []),
            "left_to_ship": _left_to_ship(fulfillment),
            "awaits_approval": bool((fulfillment or {}).get("awaits_approval")),
            "failed": {
                w["section"]: w.get("detail", "")
                for w in page.get("warnings", [])
                if w.get("section") == "fulfillment"
            },
        }
    if tab == "payments":
        try:
            return {"payments": api().get(api_path("orders", order_id, "payments")), "failed": {}}
        except ApiError as error:
            if error.status == 401:
                raise
            # No payment yet is a 404 here: say so rather than fail the page.
            failed = {} if error.status == 404 else {"payments": error.message}
            return {"payments": None, "failed": failed}
    return {}


def _left_to_ship(fulfillment: dict | None) -> dict[str, int]:
    """Quantity per line that a new shipment may take, as fulfillment's record has it: the
    record enforces the limit, counts a shipment in the transaction that creates it (the order's
    ``shipped_qty`` follows ``shipment.created`` a moment later) and takes back what the buyer
    sent for re-work. Nothing, so no form, when the record cannot be read or the order waits
    for the supplier's approval."""
    if not fulfillment or fulfillment.get("awaits_approval"):
        return {}
    return {line["line_id"]: line["quantity"] - line["shipped"] for line in fulfillment["lines"]}


def _messages_context(order_id: str) -> dict[str, Any]:
    conversations = api().get(api_path("orders", order_id, "conversations"))
    names = [c.get("name") for c in conversations]
    chosen = request.args.get("conversation") or (names[0] if names else "order")
    messages = api().get(
        api_path("orders", order_id, "conversations", chosen, "messages"), params={"limit": 50}
    )
    current = next((c for c in conversations if c.get("name") == chosen), {})
    if current.get("unread"):
        # Reading the conversation is what clears its badge.
        api().post(api_path("orders", order_id, "conversations", chosen, "read"), json={})
    return {
        "conversations": conversations,
        "conversation": chosen,
        "messages": list(reversed(messages.get("items", []))),
    }


@bp.post("/orders/<order_id>/actions/<action>")
@signed_in
def take_action(order_id, action):
    page = api().get(api_path("orders", order_id))
    workflow = workflows().get(page["order"]["workflow"], {"actions": []})
    described = find_action(workflow, action)
    if described is None:
        abort(404)
    form = form_for(described, page["order"])
    try:
        payload = payload_of(form, request.form)
        api().post(api_path("orders", order_id, "actions", action), json=payload)
    except FormProblem as problem:
        flash(f"{form.title}: please fix {problem}", "error")
    except ApiError as error:
        if error.status == 401:
            raise
        flash(f"{form.title} failed: {error.message}", "error")
    else:
        flash(f"{form.title}: done.", "success")
    tab = request.form.get("tab", "overview")
    return redirect(url_for(".order_page", order_id=order_id, tab=tab))


@bp.post("/orders/<order_id>/messages")
@signed_in
def post_message(order_id):
    conversation = request.form.get("conversation", "order")
    body = request.form.get("body", "").strip()
    files = [
        ("files", (f.filename, f.stream, f.mimetype or "application/octet-stream"))
        for f in request.files.getlist("files")
        if f.filename
    ]
    error = None
    if not body and not files:
        error = "Write a message or attach a file."
    else:
        try:
            path = api_path("orders", order_id, "conversations", conversation, "messages")
            if files:  # the API takes files as multipart, and a text alone as JSON
                api().post(path, data={"body": body}, files=files, json=None)
            else:
                api().post(path, json={"body": body})
        except ApiError as refused:
            if refused.status == 401:
                raise
            error = refused.message
    if not _partial():
        if error:
            flash(f"Your message was not sent: {error}", "error")
        return redirect(
            url_for(".order_page", order_id=order_id, tab="messages", conversation=conversation)
        )
    page = api().get(api_path("orders", order_id))
    context = {**_order_context(page), "tab": "messages", **_messages_context(order_id)}
    context.update(message_error=error, draft=body if error else "")
    return render_template("tabs/messages.html", **context), 422 if error else 200


@bp.post("/orders/<order_id>/documents")
@signed_in
def upload_document(order_id):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a file to upload.", "error")
    else:
        try:
            api().post(
                api_path("orders", order_id, "documents"),
                data={"kind": request.form.get("kind", "")},
                files={"file": (upload.filename, upload.stream, upload.mimetype)},
                json=None,
            )
            flash(f"{upload.filename} uploaded.", "success")
        except ApiError as error:
            if error.status == 401:
                raise
            flash(f"{upload.filename} was not uploaded: {error.message}", "error")
    return redirect(url_for(".order_page", order_id=order_id, tab="documents"))


@bp.post("/orders/<order_id>/shipments")
@signed_in
def create_shipment(order_id):
    page = api().get(api_path("orders", order_id))
    lines = []
    try:
        for line in page["order"]["lines"]:
            raw = request.form.get(f"qty.{line['line_id']}", "").strip()
            if raw and int(raw) > 0:
                lines.append({"line_id": line["line_id"], "quantity": int(raw)})
    except ValueError:
        flash("Quantities must be whole numbers.", "error")
        return redirect(url_for(".order_page", order_id=order_id, tab="shipping"))
    shipment: dict[str, Any] = {"lines": lines}
    for name in ("carrier", "tracking_number"):
        if value := request.form.get(name, "").strip():
            shipment[name] = value
    shipment["hand_over"] = request.form.get("hand_over") == "on"
    if not lines:
        flash("Enter a quantity for at least one line.", "error")
    else:
        with _refusal_flashed("The shipment was not created"):
            created = api().post(api_path("orders", order_id, "shipments"), json=shipment)
            flash(f"Shipment {created.get('number', '')} created.", "success")
    return redirect(url_for(".order_page", order_id=order_id, tab="shipping"))


@bp.post("/orders/<order_id>/shipments/<shipment_id>/hand-over")
@signed_in
def hand_over(order_id, shipment_id):
    """A draft handed to the carrier, with the tracking number typed in beside the button."""
    path = api_path("orders", order_id, "shipments", shipment_id)
    change = {
        name: value
        for name in ("carrier", "tracking_number")
        if (value := request.form.get(name, "").strip())
    }
    with _refusal_flashed("The shipment was not handed over"):
        if change:
            api().patch(path, json=change)
        handed = api().post(f"{path}/hand-over")
        flash(f"Shipment {handed['number']} handed to the carrier.", "success")
    return redirect(url_for(".order_page", order_id=order_id, tab="shipping"))


@bp.post("/orders/<order_id>/shipments/<shipment_id>/withdraw")
@signed_in
def withdraw_shipment(order_id, shipment_id):
    with _refusal_flashed("The shipment was not withdrawn"):
        api().delete(api_path("orders", order_id, "shipments", shipment_id))
        flash("Shipment withdrawn: its items are left to ship.", "success")
    return redirect(url_for(".order_page", order_id=order_id, tab="shipping"))


@bp.post("/orders/<order_id>/returns/<return_id>/receive")
@signed_in
def receive_return(order_id, return_id):
    """The goods came back: the photos go up as the order's return photos, then the receipt
    names them."""
    photos = [f for f in request.files.getlist("photos") if f.filename]
    with _refusal_flashed("The return was not recorded"):
        documents = api_path("orders", order_id, "documents")
        ids = [
            api().post(
                documents,
                data={"kind": "return_photo"},
                files={"file": (photo.filename, photo.stream, photo.mimetype)},
                json=None,
                # One key per photo: the gateway ties a key to one request to this path.
                headers={"Idempotency-Key": idempotency_key("POST", f"{documents} {number}")},
            )["id"]
            for number, photo in enumerate(photos)
        ]
        receipt = {
            "wrong_item": request.form.get("wrong_item") == "on",
            "note": request.form.get("note", "").strip(),
            "photos": ids,
        }
        api().post(api_path("orders", order_id, "returns", return_id, "receive"), json=receipt)
        flash("Return recorded as received.", "success")
    return redirect(url_for(".order_page", order_id=order_id, tab="shipping"))


@contextmanager
def _refusal_flashed(failure: str) -> Iterator[None]:
    """Flash ``failure`` with the API's reason when a call inside is refused; an expired
    sign-in (401) goes on to the sign-in page instead."""
    try:
        yield
    except ApiError as error:
        if error.status == 401:
            raise
        flash(f"{failure}: {error.message}", "error")


@bp.get("/orders/<order_id>/shipments/<shipment_id>/delivery-note")
@signed_in
def delivery_note(order_id, shipment_id):
    upstream = api().stream(api_path("orders", order_id, "shipments", shipment_id, "delivery-note"))
    return _passed_on(upstream, f"delivery-note-{shipment_id}.pdf")


@bp.get("/orders/<order_id>/delivery-note")
@signed_in
def order_delivery_note(order_id):
    upstream = api().stream(api_path("orders", order_id, "delivery-note"))
    return _passed_on(upstream, f"delivery-note-{order_id}.pdf")


@bp.get("/orders/<order_id>/documents/<document_id>")
@signed_in
def document(order_id, document_id):
    upstream = api().stream(api_path("orders", order_id, "documents", document_id))
    return _passed_on(upstream, document_id)


@bp.get("/attachments/<attachment_id>")
@signed_in
def attachment(attachment_id):
    upstream = api().stream(api_path("attachments", attachment_id, "content"))
    return _passed_on(upstream, attachment_id)


# --- notifications ------------------------------------------------------------------------


@bp.get("/notifications")
@signed_in
def notifications():
    params = {"limit": 50}
    if before := request.args.get("before", type=int):
        params["before"] = before
    if request.args.get("unread_only"):
        params["unread_only"] = "true"
    feed = api().get("/notifications", params=params)
    return render_template(
        "partials/feed.html" if _partial() else "notifications.html",
        feed=feed,
        unread_only=bool(request.args.get("unread_only")),
    )


@bp.get("/notifications/badge")
@signed_in
def notification_badge():
    try:
        count = api().get("/notifications/count").get("unread", 0)
    except ApiError:
        count = None
    return render_template("partials/badge.html", count=count)


@bp.post("/notifications/<int:notification_id>/read")
@signed_in
def read_notification(notification_id):
    api().post(api_path("notifications", notification_id, "read"), json={})
    return redirect(safe_next(request.form.get("next"), url_for(".notifications")))


@bp.post("/notifications/read-all")
@signed_in
def read_all_notifications():
    api().post("/notifications/read-all", json={})
    flash("Every notification is marked read.", "success")
    return redirect(url_for(".notifications"))
