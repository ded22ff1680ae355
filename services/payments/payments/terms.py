"""Payment terms and suppliers' invoices: when a release becomes the supplier's to pay out.

A release credits the supplier's earnings (pending). A workflow's terms say how many days later
the earnings become available in the wallet, counted from the release, or from the supplier's
invoice where the workflow asks for one (seed 000: "upload your invoice to the Payment Terms
section"). Configuration::

    PAYMENT_TERMS: {default: {net_days: 0}, manufacturing: {net_days: 30, invoice: true}}
"""

import base64
import binascii
import uuid
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from chassis.access import visible_to
from chassis.blobs import BlobRejected, BlobStore
from chassis.clock import as_utc
from contracts.errors import Conflict, Forbidden, InvalidRequest, NotFound
from payments import ledger
from payments.books import EARNINGS, WALLET, Books
from payments.models import invoices, order_payments, payables


def terms_of(config: dict, workflow: str) -> tuple[int, bool]:
    """``(net days, invoice required)`` of a workflow."""
    table = config.get("PAYMENT_TERMS") or {}
    chosen = table.get(workflow) or table.get("default") or {}
    return int(chosen.get("net_days", 0)), bool(chosen.get("invoice", False))


def schedule(
    session: Session, now: datetime, config: dict, order: dict, amount: int, cause: tuple
) -> None:
    """Record what a release owes the supplier, and make it available if it is due already."""
    if not amount:
        return
    net_days, invoice_required = terms_of(config, order["workflow"])
    invoice = _invoice(session, order["order_id"])
    start = as_utc(invoice.uploaded_at) if invoice else (None if invoice_required else now)
    session.execute(
        insert(payables).values(
            order_id=order["order_id"],
            supplier_org=order["supplier_org"],
            currency=order["currency"],
            amount=amount,
            net_days=net_days,
            released_at=now,
            due_at=None if start is None else start + timedelta(days=net_days),
        )
    )
    make_available_if_due(session, now, order["order_id"], cause)


def make_available_if_due(session: Session, now: datetime, order_id: str, cause: tuple) -> None:
    payable = session.execute(
        select(payables).where(payables.c.order_id == order_id).with_for_update()
    ).first()
    if payable is None or payable.available_at or payable.due_at is None:
        return
    if as_utc(payable.due_at) > now:
        return
    books = Books(session, now)
    currency = payable.currency
    books.record(
        f"payable:{order_id}",
        "payable",
        ledger.move(
            books.account(EARNINGS, payable.supplier_org, currency),
            books.account(WALLET, payable.supplier_org, currency),
            currency,
            payable.amount,
        ),
        cause=cause,
        order_id=order_id,
    )
    session.execute(
        update(payables).where(payables.c.order_id == order_id).values(available_at=now)
    )


def due(session: Session, now: datetime) -> list[str]:
    return list(
        session.scalars(
            select(payables.c.order_id).where(
                payables.c.available_at.is_(None), payables.c.due_at <= now
            )
        )
    )


def upload_invoice(
    session: Session,
    now: datetime,
    actor: dict,
    order_id: str,
    upload: dict,
    blobs: BlobStore,
) -> dict:
    """The supplier's invoice for an order: stored, and the payment terms' clock started."""
    order = _visible_order(session, actor, order_id)
    if actor["role"] != "supplier":
        raise Forbidden("only the order's supplier uploads its invoice", {"role": actor["role"]})
    if _invoice(session, order_id) is not None:
        raise Conflict("this order already has an invoice", {"order_id": order_id})
    try:
        content = base64.b64decode(upload["content"], validate=True)
        blob = blobs.put(content, filename=upload["filename"])
    except (binascii.Error, KeyError) as error:
        raise InvalidRequest("invalid upload", {"errors": {"file": [str(error)]}}) from None
    except BlobRejected as error:
        raise InvalidRequest(str(error), {"errors": {"file": [str(error)]}}) from None
    row = {
        "id": str(uuid.uuid4()),
        "order_id": order_id,
        "supplier_org": order.supplier_org,
        "blob_key": blob.key,
        "filename": upload["filename"][:255] or f"invoice.{blob.extension}",
        "media_type": blob.media_type,
        "size": blob.size,
        "uploaded_by": actor["user_id"],
        "uploaded_at": now,
    }
    session.execute(insert(invoices).values(**row))
    payable = session.execute(
        select(payables.c.net_days, payables.c.due_at).where(payables.c.order_id == order_id)
    ).first()
    if payable is not None and payable.due_at is None:  # released already, waiting for this
        session.execute(
            update(payables)
            .where(payables.c.order_id == order_id)
            .values(due_at=now + timedelta(days=payable.net_days))
        )
    make_available_if_due(session, now, order_id, ("invoice.uploaded", row["id"]))
    return invoice_view(row)


def invoice_of(session: Session, actor: dict, order_id: str, blobs: BlobStore) -> dict:
    """The invoice's metadata and its content (base64), for the order's parties."""
    _visible_order(session, actor, order_id)
    row = _invoice(session, order_id)
    if row is None:
        raise NotFound("this order has no invoice yet", {"order_id": order_id})
    content = base64.b64encode(blobs.get(row.blob_key)).decode()
    return {**invoice_view(row._asdict()), "content": content}


def payable_view(session: Session, order_id: str) -> dict | None:
    payable = session.execute(select(payables).where(payables.c.order_id == order_id)).first()
    if payable is None:
        return None
    return {
        "amount": payable.amount,
        "net_days": payable.net_days,
        "due_at": None if payable.due_at is None else payable.due_at.isoformat(),
        "available_at": None if payable.available_at is None else payable.available_at.isoformat(),
    }


def invoice_view(row: dict) -> dict:
    return {
        "id": row["id"],
        "order_id": row["order_id"],
        "filename": row["filename"],
        "media_type": row["media_type"],
        "size": row["size"],
        "uploaded_by": row["uploaded_by"],
        "uploaded_at": row["uploaded_at"].isoformat(),
    }


def invoice_summary(session: Session, order_id: str) -> dict | None:
    row = _invoice(session, order_id)
    return None if row is None else invoice_view(row._asdict())


def _invoice(session: Session, order_id: str):
    return session.execute(select(invoices).where(invoices.c.order_id == order_id)).first()


def _visible_order(session: Session, actor: dict, order_id: str):
    order = session.execute(
        select(order_payments).where(
            order_payments.c.order_id == order_id,
            order_payments.c.placed_at.is_not(None),
            visible_to(actor, order_payments.c.buyer_org, order_payments.c.supplier_org),
        )
    ).first()
    if order is None:
        raise NotFound("no such order", {"order_id": order_id})
    return order
