"""Random sequences of order events, with duplicates and reorderings, through the escrow rules on
a real database: every transaction balances, nothing is overdrawn, nothing moves twice, and every
decided order ends with an empty escrow and held = released + refunded."""

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chassis.database import make_engine
from payments import ledger, reconcile
from payments.books import CLEARING, ESCROW, WALLET, Books, account_id, balances
from payments.escrow import Escrow
from payments.models import accounts, entries, ledger_transactions, metadata, order_payments
from payments.provider import SandboxProvider
from payments.settlement import ALL, refund_decided_by
from support.escrow import CONFIG, NOW, order_event

TOKENS = ["tok_visa", "tok_declined", "tok_fails_later", "wallet"]
DECIDING = [
    "order.accepted",
    "order.partly_accepted",
    "order.cancelled",
    "order.rejected",
    "order.delivery_failed",
    "order.returned",
    "dispute.resolved",
]


@st.composite
def order_histories(draw):
    events = []
    for number in range(draw(st.integers(1, 3))):
        order_id = f"o-{number}"
        amount = draw(st.integers(0, 100_000))
        workflow = draw(st.sampled_from(["manufacturing", "services", "retail"]))
        token = draw(st.sampled_from(TOKENS))
        payment = {"method": "wallet"} if token == "wallet" else {"method": "card", "token": token}
        events.append(order_event("order.placed", order_id, amount, workflow, payment=payment))
        for event_type in draw(st.lists(st.sampled_from(DECIDING), min_size=0, max_size=3)):
            part = draw(st.integers(0, amount))
            events.append(
                order_event(
                    event_type,
                    order_id,
                    amount,
                    workflow,
                    accepted_amount=part,
                    returned_amount=part,
                    refund_amount=part,
                    outcome=draw(st.sampled_from(["refund", "release", "split"])),
                )
            )
    shuffled = draw(st.permutations(events))
    duplicates = draw(st.lists(st.sampled_from(events), max_size=4))
    positions = [draw(st.integers(0, len(shuffled))) for _ in duplicates]
    sequence = list(shuffled)
    for position, duplicate in zip(positions, duplicates, strict=True):
        sequence.insert(position, duplicate)
    return sequence, draw(st.integers(0, 50_000))


class World:
    def __init__(self):
        self.engine = make_engine("sqlite://")
        metadata.create_all(self.engine)
        self.clock = [1000.0]
        self.provider = SandboxProvider(settle_after_s=5, clock=lambda: self.clock[0])
        self.published: list[tuple[str, dict]] = []

    def apply(self, event_type, event_id, data):
        with Session(self.engine) as session, session.begin():
            escrow = self._escrow(session)
            if event_type == "order.placed":
                escrow.placed(event_id, data)
            else:
                escrow.decided(event_id, event_type, data)

    def settle_charges(self):
        self.clock[0] += 10
        with Session(self.engine) as session, session.begin():
            ids = session.scalars(select(order_payments.c.order_id)).all()
            for order_id in ids:
                self._escrow(session).charge_settled(order_id)

    def fund_wallet(self, org, amount):
        with Session(self.engine) as session, session.begin():
            books = Books(session, NOW)
            books.record(
                f"top-up-{org}",
                "top_up",
                ledger.move(
                    books.account(CLEARING, "sandbox", "EUR"),
                    books.account(WALLET, org, "EUR"),
                    "EUR",
                    amount,
                ),
                cause=("test", "top-up"),
            )

    def _escrow(self, session):
        return Escrow(
            session, NOW, CONFIG, self.provider, lambda *event: self.published.append(event)
        )

    def snapshot(self):
        with Session(self.engine) as session:
            transactions = session.execute(select(ledger_transactions)).mappings().all()
            ids = session.scalars(select(accounts.c.id)).all()
            return [dict(t) for t in transactions], balances(session, ids)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order_histories())
def test_random_histories_keep_the_books_right(history):
    sequence, wallet_funds = history
    world = World()
    world.fund_wallet("acme", wallet_funds)
    for event_type, event_id, data in sequence:
        world.apply(event_type, event_id, data)
    world.settle_charges()
    transactions, first_balances = world.snapshot()

    # Everything again, in the same order: nothing moves a second time.
    for event_type, event_id, data in sequence:
        world.apply(event_type, event_id, data)
    world.settle_charges()
    again, second_balances = world.snapshot()
    assert len(again) == len(transactions) and second_balances == first_balances

    with Session(world.engine) as session:
        sums = session.execute(
            select(
                entries.c.transaction_id, entries.c.currency, func.sum(entries.c.amount)
            ).group_by(entries.c.transaction_id, entries.c.currency)
        ).all()
        assert all(total == 0 for _, _, total in sums)
        guarded = session.scalars(select(accounts.c.id).where(accounts.c.non_negative)).all()
        orders = session.execute(select(order_payments)).mappings().all()
    for account in guarded:
        balance = first_balances.get(account, ledger.Balance())
        assert balance.available >= 0 and balance.posted >= 0, account

    for order in orders:
        kinds = [t["kind"] for t in transactions if t["order_id"] == order["order_id"]]
        assert all(kinds.count(kind) <= 1 for kind in set(kinds)), kinds
        held = [t for t in transactions if t["order_id"] == order["order_id"] and t["pending"]]
        if not held:
            assert order["status"] in ("failed", "awaiting"), order
            continue
        [hold] = held
        first = _first_decision(sequence, order["order_id"])
        escrow = first_balances.get(account_id(ESCROW, order["order_id"], "EUR"), ledger.Balance())
        if first is None:
            assert order["status"] == "held" and escrow.pending == hold["amount"]
            continue
        assert order["status"] == "settled" and escrow == ledger.Balance(), order
        released = _amount(transactions, order, "release")
        resolution = next(t for t in transactions if t["resolves"] == hold["id"])
        refunded = hold["amount"] - resolution["amount"] + _amount(transactions, order, "refund")
        assert hold["amount"] == released + refunded
        refund = refund_decided_by(first[0], first[2])
        expected = hold["amount"] if refund == ALL else min(refund, hold["amount"])
        assert refunded == expected

    with Session(world.engine) as session:
        reconciled = reconcile.report(session)
    assert reconciled["problems"] == []
    for row in reconciled["orders"]:
        if row["released"] or row["refunded"]:
            assert row["held"] == row["released"] + row["refunded"]
    event(f"statuses {sorted(order['status'] for order in orders)}")
    held_events = [data["order_id"] for name, data in world.published if name == "payment.held"]
    assert len(held_events) == len(set(held_events))


def _first_decision(sequence, order_id):
    return next(
        (
            event
            for event in sequence
            if event[0] != "order.placed" and event[2]["order_id"] == order_id
        ),
        None,
    )


def _amount(transactions, order, kind):
    return sum(
        t["amount"]
        for t in transactions
        if t["order_id"] == order["order_id"] and t["kind"] == kind
    )
