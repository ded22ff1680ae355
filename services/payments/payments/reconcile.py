"""The reconciliation report an operator runs against the payments database::

    payments-reconcile [--since 2026-01-01] [--json]

Per day and per order: everything held, released, refunded and earned as commission; then the
checks: every ledger transaction sums to zero per currency, and every order whose money is
settled (or whose payment failed) has an empty escrow with held = released + refunded. The exit
status is 1 when a check fails, so a scheduler can alert on it.
"""

import argparse
import json
import sys
from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.database import make_engine
from chassis.settings import database_url
from payments.books import ESCROW, account_id, balances
from payments.escrow import FAILED_CHARGE, SETTLED
from payments.models import ledger_transactions, order_payments
from payments.views import movements_of, transactions_with_entries

FIGURES = ("held", "released", "refunded", "commission")


def report(session: Session, since: date | None = None) -> dict:
    touched = select(ledger_transactions.c.order_id)
    if since is not None:
        touched = touched.where(ledger_transactions.c.created_at >= since)
    # Whole histories of the orders touched, so that a refund finds the hold it returns.
    transactions = transactions_with_entries(session, ledger_transactions.c.order_id.in_(touched))
    days: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    orders: dict[str, dict] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for movement in movements_of(transactions):
        day = movement["at"][:10]
        if since is not None and day < since.isoformat():
            continue
        for totals in (days[day, movement["currency"]], orders[movement["order_id"]]):
            totals[movement["kind"]] += movement["amount"]
            totals["commission"] += movement.get("commission", 0)
    return {
        "days": [{"day": d, "currency": c, **days[d, c]} for d, c in sorted(days)],
        "orders": [{"order_id": order_id, **orders[order_id]} for order_id in sorted(orders)],
        "problems": unbalanced(transactions) + unsettled_escrows(session),
    }


def unbalanced(transactions: list[dict]) -> list[str]:
    problems = []
    for transaction in transactions:
        totals: dict[str, int] = defaultdict(int)
        for entry in transaction["entries"]:
            totals[entry["currency"]] += entry["amount"]
        if any(totals.values()):
            problems.append(f"transaction {transaction['key']} does not balance: {dict(totals)}")
    return problems


def unsettled_escrows(session: Session) -> list[str]:
    final = session.execute(
        select(order_payments.c.order_id, order_payments.c.currency).where(
            order_payments.c.status.in_((SETTLED, FAILED_CHARGE))
        )
    ).all()
    escrows = {account_id(ESCROW, order_id, currency): order_id for order_id, currency in final}
    left = balances(session, escrows)
    return [
        f"order {escrows[account]} is final but its escrow holds {b.posted + b.pending}"
        for account, b in left.items()
        if b.posted or b.pending
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--since", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
    parser.add_argument("--json", action="store_true", help="one JSON document instead of tables")
    parser.add_argument("--database-url", default=None, help="default: PAYMENTS_DATABASE_URL")
    options = parser.parse_args(argv)
    engine = make_engine(options.database_url or database_url("payments"))
    try:
        with Session(engine) as session:
            result = report(session, options.since)
    finally:
        engine.dispose()
    if options.json:
        print(json.dumps(result, indent=2))
    else:
        _print_tables(result)
    return 1 if result["problems"] else 0


def _print_tables(result: dict) -> None:
    print(f"{'day':<12}{'cur':<5}" + "".join(f"{name:>14}" for name in FIGURES))
    for row in result["days"]:
        print(f"{row['day']:<12}{row['currency']:<5}" + "".join(f"{row[n]:>14}" for n in FIGURES))
    print()
    print(f"{'order':<38}" + "".join(f"{name:>14}" for name in FIGURES))
    for row in result["orders"]:
        print(f"{row['order_id']:<38}" + "".join(f"{row[n]:>14}" for n in FIGURES))
    print()
    for problem in result["problems"] or ["all checks pass: every final order's escrow is zero"]:
        print(problem)


if __name__ == "__main__":
    sys.exit(main())
