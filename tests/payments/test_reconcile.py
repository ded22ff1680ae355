"""The operator's reconciliation report, run as its console script on a payments database."""

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from chassis.database import make_engine
from payments.escrow import Escrow
from payments.models import entries, metadata
from payments.provider import SandboxProvider
from support.escrow import CONFIG, NOW, order_event

SCRIPT = Path(sys.executable).parent / "payments-reconcile"


def run(url):
    done = subprocess.run(
        [SCRIPT, "--database-url", url, "--json"], capture_output=True, text=True, timeout=60
    )
    return done.returncode, json.loads(done.stdout)


def test_the_report_sums_each_day_and_order_and_flags_an_escrow_left_over(tmp_path):
    url = f"sqlite:///{tmp_path / 'payments.db'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    card = {"method": "card", "token": "tok_visa"}
    with Session(engine) as session, session.begin():
        escrow = Escrow(session, NOW, CONFIG, SandboxProvider(), lambda *event: None)
        for event_type, event_id, data in [
            order_event("order.placed", "o-1", 10_000, "manufacturing", payment=card),
            order_event(
                "order.partly_accepted", "o-1", 10_000, "manufacturing", accepted_amount=7_000
            ),
            order_event("order.placed", "o-2", 4_000, "retail", payment=card),
        ]:
            if event_type == "order.placed":
                escrow.placed(event_id, data)
            else:
                escrow.decided(event_id, event_type, data)

    status, report = run(url)
    assert status == 0 and report["problems"] == []
    assert report["days"] == [
        {
            "day": "2026-01-05",
            "currency": "EUR",
            "held": 14_000,
            "released": 7_000,
            "refunded": 3_000,
            "commission": 700,
        }
    ]
    assert [row["order_id"] for row in report["orders"]] == ["o-1", "o-2"]

    # Money that appears in a settled order's escrow from nowhere is caught.
    with engine.begin() as connection:
        hold_id = connection.exec_driver_sql(
            "SELECT id FROM ledger_transactions WHERE kind = 'release'"
        ).scalar()
        connection.execute(
            insert(entries).values(
                transaction_id=hold_id, account_id="escrow:o-1:EUR", currency="EUR", amount=5
            )
        )
    engine.dispose()
    status, report = run(url)
    assert status == 1
    assert any("does not balance" in problem for problem in report["problems"])
    assert "order o-1 is final but its escrow holds 5" in report["problems"]
