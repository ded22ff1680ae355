"""Payouts: an organisation's available balance paid out through the provider.

A request holds the amount (a pending transaction from the wallet to the provider's clearing
account), so it can be neither spent twice nor paid out twice. The provider is called later,
outside the request, with the payout's id as its idempotency key: once it answers, the hold is
posted (paid) or voided (failed: the money is back in the wallet).
"""

import uuid
from datetime import datetime

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import desc, insert, select, update
from sqlalchemy.orm import Session

from contracts.errors import Forbidden, InsufficientFunds, InvalidRequest
from payments import ledger
from payments.books import CLEARING, WALLET, Books
from payments.models import payouts
from payments.provider import PROCESSING, SUCCEEDED, PaymentProvider

REQUESTED = "requested"
PAID = "paid"
FAILED = "failed"
MAY_PAY_OUT = ("buyer", "supplier")


class PayoutRequest(Schema):
    currency = fields.String(required=True, validate=validate.Regexp(r"\A[A-Z]{3}\Z"))
    amount = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1))
    destination = fields.String(required=True, validate=validate.Regexp(r"\Atok_\w{1,60}\Z"))


_REQUEST = PayoutRequest()


def request(
    session: Session, now: datetime, actor: dict, request: dict, provider: PaymentProvider, publish
) -> dict:
    if actor["role"] not in MAY_PAY_OUT:
        raise Forbidden("only an organisation's own user may pay out its wallet")
    try:
        request = _REQUEST.load(request)
    except ValidationError as error:
        raise InvalidRequest("invalid payout", {"errors": error.messages}) from None
    currency, amount = request["currency"], request.get("amount")
    books = Books(session, now)
    wallet = books.account(WALLET, actor["org"], currency)
    clearing = books.account(CLEARING, provider.name, currency)
    available = books.balance(wallet).available
    amount = available if amount is None else amount
    if amount <= 0:
        raise InvalidRequest("nothing to pay out", {"errors": {"amount": ["must be positive"]}})
    payout_id = str(uuid.uuid4())
    try:
        hold_id = books.record(
            f"payout:{payout_id}:hold",
            "payout",
            ledger.move(wallet, clearing, currency, amount),
            cause=("payout.requested", payout_id),
            pending=True,
        )
    except ledger.InsufficientFunds as error:
        raise InsufficientFunds(
            f"{error.available} {currency} available, {amount} asked",
            {"available": error.available},
        ) from None
    row = {
        "id": payout_id,
        "org": actor["org"],
        "currency": currency,
        "amount": amount,
        "destination": request["destination"],
        "status": REQUESTED,
        "hold_id": hold_id,
        "requested_by": actor["user_id"],
        "requested_at": now,
        "updated_at": now,
    }
    session.execute(insert(payouts).values(**row))
    publish("payout.requested", _event(row))
    return view(row)


def settle(
    session: Session, now: datetime, payout_id: str, provider: PaymentProvider, publish
) -> None:
    """Ask the provider to pay a requested payout, and post or void its hold on the answer."""
    row = session.execute(
        select(payouts).where(payouts.c.id == payout_id).with_for_update()
    ).first()
    if row is None or row.status != REQUESTED:
        return
    outcome = provider.payout(row.destination, row.amount, row.currency, key=payout_id)
    if outcome.status == PROCESSING:
        # Not decided yet: voiding now could return money the provider still pays out. The
        # hold stays and a later tick asks again under the same key.
        return
    books = Books(session, now)
    hold = books.entries_of(row.hold_id)
    paid = outcome.status == SUCCEEDED
    books.record(
        f"payout:{payout_id}:{'post' if paid else 'void'}",
        "post" if paid else "void",
        ledger.part_posted(hold, row.amount) if paid else [],
        cause=("payout.paid" if paid else "payout.failed", payout_id),
        resolves=row.hold_id,
        currency=row.currency,
    )
    status = PAID if paid else FAILED
    reason = None if paid else outcome.reason
    session.execute(
        update(payouts)
        .where(payouts.c.id == payout_id)
        .values(status=status, failure_reason=reason, updated_at=now)
    )
    event = _event(row._asdict())
    if paid:
        publish("payout.paid", event)
    else:
        publish("payout.failed", {**event, "reason": reason})


def waiting(session: Session) -> list[str]:
    return list(session.scalars(select(payouts.c.id).where(payouts.c.status == REQUESTED)))


def of_org(session: Session, org: str) -> list[dict]:
    rows = session.execute(
        select(payouts).where(payouts.c.org == org).order_by(desc(payouts.c.requested_at))
    ).all()
    return [view(row._asdict()) for row in rows]


def view(row: dict) -> dict:
    return {
        "id": row["id"],
        "org": row["org"],
        "currency": row["currency"],
        "amount": row["amount"],
        "status": row["status"],
        "failure_reason": row.get("failure_reason"),
        "requested_by": row["requested_by"],
        "requested_at": row["requested_at"].isoformat(),
    }


def _event(row: dict) -> dict:
    return {
        "payout_id": row["id"],
        "org": row["org"],
        "currency": row["currency"],
        "amount": row["amount"],
    }
