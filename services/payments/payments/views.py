"""What the parties see of the money: an order's Payments tab and an organisation's wallet."""

from sqlalchemy import desc, select
from sqlalchemy.orm import Session

from chassis.access import visible_to
from contracts.errors import NotFound
from payments import terms
from payments.books import COMMISSION, EARNINGS, ESCROW, WALLET, account_id, balances
from payments.models import accounts, entries, ledger_transactions, order_payments

STAFF = ("admin", "support")
HISTORY_LIMIT = 200


def order_payments_of(session: Session, actor: dict, order_id: str) -> dict:
    order = session.execute(
        select(order_payments).where(
            order_payments.c.order_id == order_id,
            visible_to(actor, order_payments.c.buyer_org, order_payments.c.supplier_org),
        )
    ).first()
    if order is None or not order.placed_at:
        raise NotFound("no payment for this order", {"order_id": order_id})
    transactions = transactions_with_entries(session, ledger_transactions.c.order_id == order_id)
    movements = list(movements_of(transactions))
    totals = {"held": 0, "released": 0, "refunded": 0, "commission": 0}
    for movement in movements:
        totals[movement["kind"]] += movement["amount"]
        totals["commission"] += movement.get("commission", 0)
    escrow = balances(session, [account_id(ESCROW, order_id, order.currency)])
    in_escrow = escrow.get(account_id(ESCROW, order_id, order.currency))
    view = {
        "order_id": order_id,
        "buyer_org": order.buyer_org,
        "supplier_org": order.supplier_org,
        "status": order.status,
        "method": order.method,
        "failure_reason": order.failure_reason,
        "currency": order.currency,
        "amount": order.amount,
        "commission_rate": None
        if order.commission_bps is None
        else {"bps": order.commission_bps, "fixed": order.commission_fixed},
        **totals,
        "in_escrow": 0 if in_escrow is None else in_escrow.posted + in_escrow.pending,
        "movements": movements,
        "invoice": terms.invoice_summary(session, order_id),
        "payable": terms.payable_view(session, order_id),
    }
    if actor["role"] in STAFF:
        view["transactions"] = [_ledger_view(t) for t in transactions]
    return view


def wallet_of(session: Session, org: str) -> dict:
    owned = session.execute(
        select(accounts.c.id, accounts.c.kind, accounts.c.currency).where(
            accounts.c.owner == org, accounts.c.kind.in_((WALLET, EARNINGS))
        )
    ).all()
    current = balances(session, [row.id for row in owned])
    by_currency: dict[str, dict] = {}
    for row in owned:
        balance = current.get(row.id)
        if balance is None:
            continue
        totals = by_currency.setdefault(
            row.currency, {"currency": row.currency, "available": 0, "pending": 0, "reserved": 0}
        )
        if row.kind == WALLET:
            totals["available"] += balance.available
            totals["pending"] += balance.pending_in
            totals["reserved"] -= balance.pending_out
        else:  # earnings not yet payable
            totals["pending"] += balance.posted + balance.pending_in
    history = session.execute(
        select(
            ledger_transactions.c.created_at,
            ledger_transactions.c.kind,
            ledger_transactions.c.order_id,
            ledger_transactions.c.cause_type,
            ledger_transactions.c.pending,
            entries.c.currency,
            entries.c.amount,
            accounts.c.kind.label("account_kind"),
        )
        .join(entries, entries.c.transaction_id == ledger_transactions.c.id)
        .join(accounts, accounts.c.id == entries.c.account_id)
        .where(accounts.c.id.in_([row.id for row in owned]))
        .order_by(desc(ledger_transactions.c.created_at), desc(entries.c.id))
        .limit(HISTORY_LIMIT)
    ).all()
    return {
        "org": org,
        "balances": sorted(by_currency.values(), key=lambda b: b["currency"]),
        "history": [
            {
                "at": row.created_at.isoformat(),
                "kind": row.kind,
                "account": row.account_kind,
                "order_id": row.order_id,
                "cause": row.cause_type,
                "pending": row.pending,
                "currency": row.currency,
                "amount": row.amount,
            }
            for row in history
        ],
    }


def transactions_with_entries(session: Session, *where) -> list[dict]:
    """Ledger transactions (in the order they happened), each with its entries and the
    transaction that resolved it if it was a hold."""
    rows = session.execute(
        select(ledger_transactions)
        .where(*where)
        .order_by(ledger_transactions.c.created_at, ledger_transactions.c.kind.desc())
    ).all()
    transactions = [row._asdict() for row in rows]
    posted = session.execute(
        select(entries)
        .join(ledger_transactions, entries.c.transaction_id == ledger_transactions.c.id)
        .where(*where)
    ).all()
    by_transaction: dict[str, list[dict]] = {}
    for e in posted:
        by_transaction.setdefault(e.transaction_id, []).append(
            {"account": e.account_id, "currency": e.currency, "amount": e.amount}
        )
    resolutions = {t["resolves"]: t for t in transactions if t["resolves"]}
    for transaction in transactions:
        transaction["entries"] = by_transaction.get(transaction["id"], [])
        transaction["resolved_by"] = resolutions.get(transaction["id"])
    return transactions


def movements_of(transactions: list[dict]):
    """The money's story in the parties' words: held, then released and refunded."""
    holds = {t["id"]: t for t in transactions if t["pending"]}
    for t in transactions:
        base = {
            "at": t["created_at"].isoformat(),
            "order_id": t["order_id"],
            "currency": t["currency"],
            "cause": t["cause_type"],
            "cause_id": t["cause_id"],
        }
        if t["pending"]:
            yield {**base, "kind": "held", "amount": t["amount"]}
        elif t["resolves"] in holds and holds[t["resolves"]]["amount"] > t["amount"]:
            returned = holds[t["resolves"]]["amount"] - t["amount"]
            yield {**base, "kind": "refunded", "to": "original", "amount": returned}
        elif t["kind"] == "release":
            commission = sum(
                e["amount"] for e in t["entries"] if e["account"].startswith(f"{COMMISSION}:")
            )
            yield {
                **base,
                "kind": "released",
                "amount": t["amount"],
                "commission": commission,
                "net": t["amount"] - commission,
            }
        elif t["kind"] == "refund":
            yield {**base, "kind": "refunded", "to": "wallet", "amount": t["amount"]}


def _ledger_view(transaction: dict) -> dict:
    if transaction["pending"]:
        resolution = transaction["resolved_by"]
        status = (
            "pending" if resolution is None else ("posted" if resolution["amount"] else "voided")
        )
    else:
        status = "posted"
    return {
        "id": transaction["id"],
        "key": transaction["key"],
        "kind": transaction["kind"],
        "status": status,
        "resolves": transaction["resolves"],
        "at": transaction["created_at"].isoformat(),
        "cause": transaction["cause_type"],
        "cause_id": transaction["cause_id"],
        "currency": transaction["currency"],
        "amount": transaction["amount"],
        "entries": transaction["entries"],
    }


def payment_statuses(session: Session, actor: dict, order_ids: list[str]) -> dict[str, str]:
    """Each named order's payment status, of those the actor may see and payments knows."""
    rows = session.execute(
        select(order_payments.c.order_id, order_payments.c.status).where(
            order_payments.c.order_id.in_(order_ids),
            visible_to(actor, order_payments.c.buyer_org, order_payments.c.supplier_org),
        )
    )
    return dict(rows.all())  # a Result has keys(): dict() would read it as a mapping
