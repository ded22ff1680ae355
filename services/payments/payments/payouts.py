"""Payouts: an organisation's available balance paid out through the provider.

A request holds the amount (a pending transaction from the wallet to the provider's clearing
account), so it can be neither spent twice nor paid out twice. The provider is called later,
outside the request, with the payout's id as its idempotency key: once it answers, the hold is
posted (paid) or voided (failed: the money is back in the wallet).

A payout above ``PAYOUT_APPROVAL_OVER`` (minor units, any currency) first waits for staff: an
admin approves it (it is then paid as any other), holds it with a reason (it keeps its hold and
stays in the queue until approved or rejected) or rejects it with a reason (the hold is voided:
the money is back in the wallet). Every decision is keyed by the payout and its state, so a
repeated decision finds it decided.
"""

import uuid
from datetime import datetime

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import desc, insert, select, update
from sqlalchemy.orm import Session

from chassis.access import is_staff
from chassis.paging import keyset_page, keyset_statement
from contracts.errors import (
    Forbidden,
    IllegalTransition,
    InsufficientFunds,
    InvalidRequest,
    NotFound,
)
from payments import ledger
from payments.books import CLEARING, WALLET, Books
from payments.models import payouts
from payments.provider import PROCESSING, SUCCEEDED, PaymentProvider

REQUESTED = "requested"
PAID = "paid"
FAILED = "failed"
AWAITING_APPROVAL = "awaiting_approval"
ON_HOLD = "on_hold"
REJECTED = "rejected"
IN_REVIEW = (AWAITING_APPROVAL, ON_HOLD)
MAY_PAY_OUT = ("buyer", "supplier")
DECISIONS = {"approve": REQUESTED, "hold": ON_HOLD, "reject": REJECTED}
QUEUE_LIMIT = 200


class PayoutRequest(Schema):
    currency = fields.String(required=True, validate=validate.Regexp(r"\A[A-Z]{3}\Z"))
    amount = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1))
    destination = fields.String(required=True, validate=validate.Regexp(r"\Atok_\w{1,60}\Z"))


class PayoutDecision(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(tuple(DECISIONS)))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class PayoutQuery(Schema):
    status = fields.String(validate=validate.OneOf((*IN_REVIEW, REQUESTED, PAID, FAILED, REJECTED)))
    org = fields.String(validate=validate.Length(min=1, max=100))
    currency = fields.String(validate=validate.Regexp(r"\A[A-Z]{3}\Z"))
    after = fields.String(validate=validate.Length(min=1, max=500))
    limit = fields.Integer(strict=True, load_default=50, validate=validate.Range(1, QUEUE_LIMIT))


_REQUEST = PayoutRequest()
_DECISION = PayoutDecision()


def request(
    session: Session,
    now: datetime,
    actor: dict,
    request: dict,
    provider: PaymentProvider,
    publish,
    approval_over: int | None = None,
) -> dict:
    """``approval_over``: a larger payout waits for staff's approval (None: none waits)."""
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
        "status": REQUESTED
        if approval_over is None or amount <= approval_over
        else AWAITING_APPROVAL,
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


def decide(
    session: Session, now: datetime, actor: dict, payout_id: str, request: dict, publish
) -> dict:
    """An admin's decision on a payout awaiting approval (or on hold): approve, hold, reject."""
    if not is_staff(actor) or actor["role"] != "admin":
        raise Forbidden("only a platform admin decides payouts: they move money")
    try:
        request = _DECISION.load(request)
    except ValidationError as error:
        raise InvalidRequest("invalid decision", {"errors": error.messages}) from None
    row = session.execute(
        select(payouts).where(payouts.c.id == payout_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"payout {payout_id} not found")
    status = DECISIONS[request["decision"]]
    if row.status not in IN_REVIEW or row.status == status:
        raise IllegalTransition(
            f"payout {payout_id} is {row.status}: nothing to {request['decision']}",
            {"state": row.status},
        )
    if status == REJECTED:
        Books(session, now).record(
            f"payout:{payout_id}:void",
            "void",
            [],
            cause=("payout.rejected", payout_id),
            resolves=row.hold_id,
            currency=row.currency,
        )
        # payout.requested told the world the money left the wallet: say it came back.
        publish("payout.failed", {**_event(row._asdict()), "reason": REJECTED})
    review = {
        "status": status,
        "review_reason": request["reason"],
        "reviewed_by": actor["user_id"],
        "reviewed_at": now,
        "updated_at": now,
    }
    session.execute(update(payouts).where(payouts.c.id == payout_id).values(**review))
    return view({**row._asdict(), **review})


def queue(session: Session, actor: dict, query: dict) -> dict:
    """Payouts for staff, oldest first: those awaiting a decision unless ``status`` says which;
    by ``org`` and ``currency``; ``after`` is the previous page's ``next_cursor``."""
    if not is_staff(actor):
        raise Forbidden("only platform staff see every organisation's payouts")
    try:
        query = PayoutQuery().load(query)
    except ValidationError as error:
        raise InvalidRequest("invalid payout query", {"errors": error.messages}) from None
    statuses = [query["status"]] if query.get("status") else list(IN_REVIEW)
    filters = [payouts.c.status.in_(statuses)]
    filters += [payouts.c[name] == query[name] for name in ("org", "currency") if query.get(name)]
    statement = keyset_statement(
        payouts,
        payouts.c.requested_at,
        payouts.c.id,
        filters=filters,
        descending=False,
        limit=query["limit"],
        cursor=query.get("after"),
        parse_key=datetime.fromisoformat,
    )
    return keyset_page(session, statement, query["limit"], lambda row: view(row._asdict()))


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
        "review": None
        if row.get("reviewed_at") is None
        else {
            "reason": row["review_reason"],
            "by": row["reviewed_by"],
            "at": row["reviewed_at"].isoformat(),
        },
    }


def _event(row: dict) -> dict:
    return {
        "payout_id": row["id"],
        "org": row["org"],
        "currency": row["currency"],
        "amount": row["amount"],
    }
