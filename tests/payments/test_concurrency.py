"""Races on PostgreSQL, in real threads with a connection each: a release racing a refund on one
order, and two orders racing to spend one wallet, never move more than there is."""

import eventlet
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from chassis.database import make_engine, normalise_url
from payments import ledger
from payments.books import CLEARING, ESCROW, WALLET, Books, account_id
from payments.escrow import Escrow
from payments.models import order_payments
from payments.provider import SandboxProvider
from support.databases import truncate_all
from support.escrow import CONFIG, NOW, order_event

threading = eventlet.patcher.original("threading")


@pytest.fixture
def engine(databases):
    url = databases("payments")
    truncate_all(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def apply(session, events):
    escrow = Escrow(session, NOW, CONFIG, SandboxProvider(), lambda *event: None)
    for event_type, event_id, data in events:
        if event_type == "order.placed":
            escrow.placed(event_id, data)
        else:
            escrow.decided(event_id, event_type, data)


def race(url, *event_lists):
    """Apply each list of events in its own thread and transaction, all started together."""
    barrier = threading.Barrier(len(event_lists))
    errors = []

    def run(events):
        local = create_engine(normalise_url(url), poolclass=NullPool)
        try:
            with Session(local) as session, session.begin():
                session.execute(text("SELECT 1"))
                barrier.wait()
                apply(session, events)
        except Exception as error:  # an overdraft refused is an outcome, not a failure
            errors.append(error)
        finally:
            local.dispose()

    threads = [threading.Thread(target=run, args=(events,)) for events in event_lists]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def test_a_release_racing_a_refund_settles_the_escrow_once(engine):
    url = engine.url.render_as_string(hide_password=False)
    placed = order_event(
        "order.placed",
        "o-r",
        10_000,
        "manufacturing",
        payment={"method": "card", "token": "tok_visa"},
    )
    with Session(engine) as session, session.begin():
        apply(session, [placed])

    accepted = order_event("order.accepted", "o-r", 10_000, "manufacturing", accepted_amount=10_000)
    cancelled = order_event("order.cancelled", "o-r", 10_000, "manufacturing")
    assert race(url, [accepted], [cancelled]) == []

    with Session(engine) as session:
        kinds = session.scalars(
            text("SELECT kind FROM ledger_transactions WHERE order_id = 'o-r'")
        ).all()
        escrow = Books(session, NOW).balance(account_id(ESCROW, "o-r", "EUR"))
    assert escrow == ledger.Balance()
    assert sorted(kinds) in (["hold", "payable", "post", "release"], ["hold", "void"])


def test_two_orders_racing_for_one_wallet_never_overdraw_it(engine):
    url = engine.url.render_as_string(hide_password=False)
    with Session(engine) as session, session.begin():
        books = Books(session, NOW)
        books.record(
            "top-up",
            "top_up",
            ledger.move(
                books.account(CLEARING, "sandbox", "EUR"),
                books.account(WALLET, "acme", "EUR"),
                "EUR",
                1_000,
            ),
            cause=("test", "top-up"),
        )
    first = order_event("order.placed", "o-a", 1_000, "services", payment={"method": "wallet"})
    second = order_event("order.placed", "o-b", 1_000, "services", payment={"method": "wallet"})
    errors = race(url, [first], [second])

    with Session(engine) as session:
        statuses = sorted(session.scalars(select(order_payments.c.status)).all())
        wallet = Books(session, NOW).balance(account_id(WALLET, "acme", "EUR"))
    assert wallet.available == 0 and wallet.posted == 1_000
    # One order holds the money; the other was refused (or failed its charge for want of funds).
    assert statuses == ["failed", "held"] or (statuses == ["held"] and len(errors) == 1)


def test_settlements_racing_for_one_suppliers_earnings_all_go_through(engine):
    """Each release credits the supplier's earnings (a foreign key: KEY SHARE on the account)
    and then pays them into the wallet (which locks the account): without care, a deadlock."""
    url = engine.url.render_as_string(hide_password=False)
    card = {"method": "card", "token": "tok_visa"}
    orders = [f"o-s{number}" for number in range(6)]
    with Session(engine) as session, session.begin():
        apply(
            session, [order_event("order.placed", o, 1_000, "retail", payment=card) for o in orders]
        )
    accepted = [
        [order_event("order.accepted", o, 1_000, "retail", accepted_amount=1_000)] for o in orders
    ]

    assert race(url, *accepted) == []

    with Session(engine) as session:
        wallet = Books(session, NOW).balance(account_id(WALLET, "forge", "EUR"))
    assert wallet.available == len(orders) * 900
