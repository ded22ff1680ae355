"""The ledger on SQLAlchemy: accounts opened on first use, transactions recorded once per key,
balances derived from the entries.

Concurrency: a movement out of an account that must not go negative locks the account's row
first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers), then checks what is
available. The unique transaction key makes a redelivered movement a no-op, and the unique
``resolves`` column lets a pending hold be posted or voided once, whoever races for it.
"""

import uuid
from datetime import datetime

from sqlalchemy import and_, case, exists, func, insert, select
from sqlalchemy.orm import Session, aliased

from chassis.database import insert_ignoring_duplicates
from payments import ledger
from payments.models import accounts, entries, ledger_transactions

ESCROW = "escrow"
WALLET = "wallet"
EARNINGS = "earnings"
COMMISSION = "commission"
CLEARING = "clearing"
# What the platform pays sellers for approved claims: its expense.
COMPENSATION = "compensation"
# The owner of the platform's own accounts (commission, compensation).
PLATFORM = "platform"
# Accounts of the outside world (the provider) and of the platform may go negative; the money
# of an order, a buyer or a supplier never may.
NON_NEGATIVE = {ESCROW, WALLET, EARNINGS}

_resolution = aliased(ledger_transactions)


def account_id(kind: str, owner: str, currency: str) -> str:
    return f"{kind}:{owner}:{currency}"


def kind_of(account: str) -> str:
    return account.split(":", 1)[0]


class Books:
    def __init__(self, session: Session, now: datetime):
        self.session = session
        self.now = now

    def account(self, kind: str, owner: str, currency: str) -> str:
        """The account's id, opening the account on first use."""
        identifier = account_id(kind, owner, currency)
        insert_ignoring_duplicates(
            self.session,
            accounts,
            {
                "id": identifier,
                "kind": kind,
                "owner": owner,
                "currency": currency,
                "non_negative": kind in NON_NEGATIVE,
                "created_at": self.now,
            },
        )
        return identifier

    def recorded(self, key: str) -> dict | None:
        row = self.session.execute(
            select(ledger_transactions).where(ledger_transactions.c.key == key)
        ).first()
        return None if row is None else row._asdict()

    def record(
        self,
        key: str,
        kind: str,
        movement: list[ledger.Entry],
        *,
        cause: tuple[str, str],
        order_id: str | None = None,
        pending: bool = False,
        resolves: str | None = None,
        currency: str | None = None,
    ) -> str | None:
        """Record a transaction once: its id, or None if ``key`` was recorded before.

        Raises ``ledger.InsufficientFunds`` if it would overdraw a non-negative account.
        """
        ledger.check_balanced(movement)
        if self.recorded(key) is not None:
            return None
        if resolves is None:
            self._check_funds(movement)
        transaction_id = str(uuid.uuid4())
        amount = sum(entry.amount for entry in movement if entry.amount > 0)
        self.session.execute(
            insert(ledger_transactions).values(
                id=transaction_id,
                key=key,
                kind=kind,
                order_id=order_id,
                pending=pending,
                resolves=resolves,
                currency=currency or movement[0].currency,
                amount=amount,
                cause_type=cause[0],
                cause_id=cause[1],
                created_at=self.now,
            )
        )
        if movement:
            self.session.execute(
                insert(entries),
                [
                    {
                        "transaction_id": transaction_id,
                        "account_id": entry.account,
                        "currency": entry.currency,
                        "amount": entry.amount,
                    }
                    for entry in movement
                ],
            )
        return transaction_id

    def entries_of(self, transaction_id: str) -> list[ledger.Entry]:
        rows = self.session.execute(
            select(entries.c.account_id, entries.c.currency, entries.c.amount).where(
                entries.c.transaction_id == transaction_id
            )
        ).all()
        return [ledger.Entry(*row) for row in rows]

    def resolution_of(self, transaction_id: str) -> dict | None:
        row = self.session.execute(
            select(ledger_transactions).where(ledger_transactions.c.resolves == transaction_id)
        ).first()
        return None if row is None else row._asdict()

    def balance(self, account: str) -> ledger.Balance:
        return balances(self.session, [account]).get(account, ledger.Balance())

    def _check_funds(self, movement: list[ledger.Entry]) -> None:
        for entry in movement:
            # Only guarded accounts are locked: the provider's clearing account and the
            # platform's commission take every order's money and would serialise them all.
            if entry.amount >= 0 or kind_of(entry.account) not in NON_NEGATIVE:
                continue
            # NO KEY UPDATE: entries already written in this transaction hold KEY SHARE on
            # the account (their foreign key); a plain FOR UPDATE would deadlock two of them.
            self.session.execute(
                select(accounts.c.id)
                .where(accounts.c.id == entry.account)
                .with_for_update(key_share=True)
            )
            ledger.check_can_spend(entry.account, self.balance(entry.account), -entry.amount)


def live_entries():
    """Entries that count: posted ones, and pending ones whose hold is still unresolved."""
    transaction = ledger_transactions
    unresolved = ~exists().where(_resolution.c.resolves == transaction.c.id)
    return (
        select(entries, transaction.c.pending)
        .join(transaction, entries.c.transaction_id == transaction.c.id)
        .where(~transaction.c.pending | unresolved)
    )


def balances(session: Session, account_ids) -> dict[str, ledger.Balance]:
    live = live_entries().where(entries.c.account_id.in_(list(account_ids))).subquery()
    posted = func.sum(case((~live.c.pending, live.c.amount), else_=0))
    pending_in = func.sum(case((and_(live.c.pending, live.c.amount > 0), live.c.amount), else_=0))
    pending_out = func.sum(case((and_(live.c.pending, live.c.amount < 0), live.c.amount), else_=0))
    rows = session.execute(
        select(live.c.account_id, posted, pending_in, pending_out).group_by(live.c.account_id)
    ).all()
    return {row[0]: ledger.Balance(int(row[1]), int(row[2]), int(row[3])) for row in rows}
