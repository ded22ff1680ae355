"""The ledger's rules: balanced entries, partial posts of a hold, derived balances."""

import pytest

from payments import ledger
from payments.ledger import Balance, Entry


def test_a_move_balances_and_an_unbalanced_transaction_is_refused():
    ledger.check_balanced(ledger.move("a", "b", "EUR", 500))
    with pytest.raises(ledger.Unbalanced, match="EUR"):
        ledger.check_balanced([Entry("a", "EUR", -500), Entry("b", "EUR", 499)])
    with pytest.raises(ledger.Unbalanced, match="USD"):  # zero per currency, not overall
        ledger.check_balanced([Entry("a", "EUR", -5), Entry("b", "USD", 5)])
    with pytest.raises(ledger.Unbalanced, match="integer"):
        ledger.check_balanced([Entry("a", "EUR", -0.5), Entry("b", "EUR", 0.5)])
    with pytest.raises(ValueError):
        ledger.move("a", "b", "EUR", -1)


def test_part_of_a_hold_is_posted_and_never_more_than_it_holds():
    hold = ledger.move("clearing", "escrow", "EUR", 1_000)
    assert ledger.part_posted(hold, 600) == ledger.move("clearing", "escrow", "EUR", 600)
    with pytest.raises(ValueError):
        ledger.part_posted(hold, 1_001)


def test_balances_count_pending_holds_against_what_is_available():
    balance = ledger.balance([(1_000, False), (-300, True), (200, True)])
    assert balance == Balance(posted=1_000, pending_in=200, pending_out=-300)
    assert (balance.available, balance.pending) == (700, -100)
    ledger.check_can_spend("wallet", balance, 700)
    with pytest.raises(ledger.InsufficientFunds) as refused:
        ledger.check_can_spend("wallet", balance, 701)
    assert refused.value.available == 700
