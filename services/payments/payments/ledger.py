"""The double-entry ledger's rules, pure Python: no I/O.

Amounts are signed integers in minor units: a positive entry credits an account (its balance
grows), a negative one debits it. Every transaction's entries sum to zero per currency.

A transaction is posted, or pending (a hold). A pending transaction is resolved exactly once by a
later transaction that references it: a *post* of some part of it (the rest is voided, as
TigerBeetle models it) or a *void* of all of it. Nothing is ever updated: a transaction's status
is derived from whether a resolution exists.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

POSTED = "posted"
PENDING = "pending"
VOIDED = "voided"


class Unbalanced(ValueError):
    """A transaction whose entries do not sum to zero in some currency."""


class InsufficientFunds(ValueError):
    """A movement would take an account that must not go negative below zero."""

    def __init__(self, account: str, available: int, wanted: int):
        super().__init__(f"{account} has {available} available, {wanted} wanted")
        self.account = account
        self.available = available
        self.wanted = wanted


@dataclass(frozen=True)
class Entry:
    account: str
    currency: str
    amount: int


@dataclass(frozen=True)
class Balance:
    posted: int = 0
    pending_in: int = 0
    pending_out: int = 0

    @property
    def pending(self) -> int:
        return self.pending_in + self.pending_out

    @property
    def available(self) -> int:
        """What may be spent now: the posted balance less what pending holds reserve."""
        return self.posted + self.pending_out


def move(source: str, destination: str, currency: str, amount: int) -> list[Entry]:
    """The two entries of moving ``amount`` from ``source`` to ``destination``."""
    if amount < 0:
        raise ValueError(f"cannot move a negative amount ({amount})")
    return [Entry(source, currency, -amount), Entry(destination, currency, amount)]


def check_balanced(entries: Iterable[Entry]) -> None:
    totals: dict[str, int] = defaultdict(int)
    for entry in entries:
        if not isinstance(entry.amount, int) or isinstance(entry.amount, bool):
            raise Unbalanced(f"{entry.account}: amounts are integer minor units")
        totals[entry.currency] += entry.amount
    off = {currency: total for currency, total in totals.items() if total}
    if off:
        raise Unbalanced(f"entries do not sum to zero: {off}")


def part_posted(pending: list[Entry], amount: int) -> list[Entry]:
    """The entries that post ``amount`` of a pending two-legged transfer (the rest is voided)."""
    [source] = [entry for entry in pending if entry.amount < 0]
    [destination] = [entry for entry in pending if entry.amount > 0]
    if not 0 <= amount <= destination.amount:
        raise ValueError(f"cannot post {amount} of a pending {destination.amount}")
    return move(source.account, destination.account, destination.currency, amount)


def balance(entries: Iterable[tuple[int, bool]]) -> Balance:
    """An account's balance from its entries, each given as ``(amount, counts_as_pending)``;
    entries of resolved pending transactions are left out by the caller."""
    posted = pending_in = pending_out = 0
    for amount, pending in entries:
        if not pending:
            posted += amount
        elif amount > 0:
            pending_in += amount
        else:
            pending_out += amount
    return Balance(posted, pending_in, pending_out)


def check_can_spend(account: str, current: Balance, amount: int) -> None:
    if amount > current.available:
        raise InsufficientFunds(account, current.available, amount)
