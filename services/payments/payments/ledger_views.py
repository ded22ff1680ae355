"""Staff's views of the whole ledger, across organisations: its entries, newest first, and its
accounts' balances. Both filter by the account's owner (an organisation, an order's escrow, the
platform), its kind and currency, and page by keyset (an entry's id, an account's id), so a page
deep in a large ledger costs what the first one does. Each sorts by its own unique id, so the
cursor is that id alone (``before``, an integer; ``after``, an account id: the admin API's
documented parameters), not chassis.paging's (sort key, id) pair, which would repeat it.
"""

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from chassis.access import is_staff
from contracts.errors import Forbidden, InvalidRequest
from payments import ledger
from payments.books import balances
from payments.models import accounts, entries, ledger_transactions

MAX_PAGE = 200
_ID = validate.Length(min=1, max=200)


class _AccountFilter(Schema):
    org = fields.String(validate=_ID, metadata={"description": "the account's owner"})
    kind = fields.String(validate=validate.Length(min=1, max=20))
    currency = fields.String(validate=validate.Regexp(r"\A[A-Z]{3}\Z"))
    limit = fields.Integer(strict=True, load_default=50, validate=validate.Range(1, MAX_PAGE))


class EntryQuery(_AccountFilter):
    order_id = fields.String(validate=_ID)
    cause = fields.String(validate=validate.Length(min=1, max=100))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    before = fields.Integer(strict=True, validate=validate.Range(min=1))


class BalanceQuery(_AccountFilter):
    after = fields.String(validate=_ID)


def _load(schema: Schema, actor: dict, query: dict) -> dict:
    if not is_staff(actor):
        raise Forbidden("only platform staff see the ledger across organisations")
    try:
        return schema.load(query)
    except ValidationError as error:
        raise InvalidRequest("invalid ledger query", {"errors": error.messages}) from None


def _by_account(statement, query: dict):
    for name, column in (("org", "owner"), ("kind", "kind"), ("currency", "currency")):
        if name in query:
            statement = statement.where(accounts.c[column] == query[name])
    return statement


def entries_of(session: Session, actor: dict, query: dict) -> dict:
    query = _load(EntryQuery(), actor, query)
    transaction = ledger_transactions
    resolution = aliased(ledger_transactions)
    statement = _by_account(
        select(
            entries.c.id,
            entries.c.account_id,
            accounts.c.kind.label("account_kind"),
            accounts.c.owner,
            entries.c.currency,
            entries.c.amount,
            transaction.c.id.label("transaction_id"),
            transaction.c.kind,
            transaction.c.pending,
            exists().where(resolution.c.resolves == transaction.c.id).label("resolved"),
            transaction.c.order_id,
            transaction.c.cause_type,
            transaction.c.cause_id,
            transaction.c.created_at,
        )
        .join(transaction, transaction.c.id == entries.c.transaction_id)
        .join(accounts, accounts.c.id == entries.c.account_id)
        .order_by(entries.c.id.desc())
        .limit(query["limit"] + 1),
        query,
    )
    conditions = {
        "order_id": lambda value: transaction.c.order_id == value,
        "cause": lambda value: transaction.c.cause_type == value,
        "since": lambda value: transaction.c.created_at >= value,
        "until": lambda value: transaction.c.created_at < value,
        "before": lambda value: entries.c.id < value,
    }
    for name, condition in conditions.items():
        if name in query:
            statement = statement.where(condition(query[name]))
    rows = session.execute(statement).all()
    page = rows[: query["limit"]]
    return {
        "items": [
            {
                "id": row.id,
                "at": row.created_at.isoformat(),
                "account": row.account_id,
                "account_kind": row.account_kind,
                "owner": row.owner,
                "currency": row.currency,
                "amount": row.amount,
                "transaction_id": row.transaction_id,
                "transaction_kind": row.kind,
                # A pending entry stops counting once its hold is posted or voided.
                "status": "posted"
                if not row.pending
                else ("resolved" if row.resolved else "pending"),
                "order_id": row.order_id,
                "cause": row.cause_type,
                "cause_id": row.cause_id,
            }
            for row in page
        ],
        "next_cursor": str(page[-1].id) if len(rows) > len(page) else None,
    }


def balances_of(session: Session, actor: dict, query: dict) -> dict:
    query = _load(BalanceQuery(), actor, query)
    statement = _by_account(
        select(accounts.c.id, accounts.c.kind, accounts.c.owner, accounts.c.currency)
        .order_by(accounts.c.id)
        .limit(query["limit"] + 1),
        query,
    )
    if "after" in query:
        statement = statement.where(accounts.c.id > query["after"])
    rows = session.execute(statement).all()
    page = rows[: query["limit"]]
    current = balances(session, [row.id for row in page])
    items = []
    for row in page:
        balance = current.get(row.id, ledger.Balance())
        items.append(
            {
                "account": row.id,
                "kind": row.kind,
                "owner": row.owner,
                "currency": row.currency,
                "posted": balance.posted,
                "pending_in": balance.pending_in,
                "pending_out": balance.pending_out,
                "available": balance.available,
            }
        )
    return {"items": items, "next_cursor": page[-1].id if len(rows) > len(page) else None}
