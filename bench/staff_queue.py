"""6. The staff queues' latency at 100,000 disputes (and 20,000 claims) in PostgreSQL (target:
p99 <= 20 ms for any page).

A fresh disputes database (migrated with Alembic) is bulk-loaded with COPY: each row's `state`
is what disputes.domain writes (a Dispute or Claim made by the domain, then varied), over ~100
buyer and ~100 supplier organisations, two years of opening dates, mostly closed (resolved or
withdrawn, as a live platform's are). Then disputes.repository.queue is timed directly on a
SQLAlchemy session (no RPC): random filters (status, reason, kind, an organisation), both sorts
(oldest first, largest first), the first page and the pages after it through next_cursor.

The admin order list across organisations is list.role_admin in the list measurement: the
admin gateway's list is orders.list_orders with a staff actor, the same query.
"""

import io
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg2
import psycopg2.extensions
from report import percentile
from sqlalchemy.orm import Session

from chassis.database import make_engine

N_ORGS = 100
SEED = 20261203
DISPUTE_STATUSES = (("resolved", 70), ("withdrawn", 10), ("open", 15), ("escalated", 5))
CLAIM_STATUSES = (("approved", 50), ("rejected", 30), ("pending", 20))


def _dispute_rows(n: int, rng: random.Random, now: datetime) -> str:
    from disputes import domain

    statuses, weights = zip(*DISPUTE_STATUSES, strict=True)
    out = []
    active = set()
    for _ in range(n):
        order_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        status = rng.choices(statuses, weights)[0]
        if status in domain.ACTIVE:
            active.add(order_id)
        opened = now - timedelta(seconds=rng.random() * 730 * 86400)
        dispute = domain.Dispute(
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            order_id=order_id,
            buyer_org=f"buyer-{rng.randrange(N_ORGS):03d}",
            supplier_org=f"supplier-{rng.randrange(N_ORGS):03d}",
            currency="EUR",
            amount=rng.randrange(1_000, 5_000_000),
            opened_by={"user_id": "u", "role": "buyer", "org": "b"},
            reason=rng.choice(domain.REASONS),
            description="Bench dispute",
            evidence=[],
            status=status,
            opened_at=opened,
            respond_by=opened + timedelta(days=3),
            awaiting=None if status != "open" else rng.choice((None, "supplier", "buyer")),
        )
        state = json.dumps(dispute.to_dict()).replace("\\", "\\\\")
        out.append(
            "\t".join(
                (
                    dispute.id,
                    dispute.order_id,
                    dispute.buyer_org,
                    dispute.supplier_org,
                    dispute.status,
                    dispute.reason,
                    dispute.currency,
                    str(dispute.amount),
                    opened.isoformat(),
                    dispute.respond_by.isoformat(),
                    dispute.awaiting or "\\N",
                    state,
                )
            )
        )
    return "\n".join(out) + "\n"


def _claim_rows(n: int, rng: random.Random, now: datetime) -> str:
    from disputes import domain

    statuses, weights = zip(*CLAIM_STATUSES, strict=True)
    out = []
    for _ in range(n):
        opened = now - timedelta(seconds=rng.random() * 730 * 86400)
        claim = domain.Claim(
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            order_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            kind=rng.choice((domain.UNSCANNED, domain.WRONG_ITEM)),
            supplier_org=f"supplier-{rng.randrange(N_ORGS):03d}",
            buyer_org=f"buyer-{rng.randrange(N_ORGS):03d}",
            currency="NGN",
            reference=f"JG-{rng.getrandbits(40)}",
            description="Bench claim",
            evidence=[],
            opened_by={"user_id": "u", "role": "supplier", "org": "s"},
            opened_at=opened,
            status=rng.choices(statuses, weights)[0],
        )
        state = json.dumps(claim.to_dict()).replace("\\", "\\\\")
        out.append(
            "\t".join(
                (
                    claim.id,
                    claim.order_id,
                    claim.kind,
                    claim.reference,
                    claim.buyer_org,
                    claim.supplier_org,
                    claim.status,
                    claim.currency,
                    str(rng.randrange(1_000, 5_000_000)),
                    opened.isoformat(),
                    state,
                )
            )
        )
    return "\n".join(out) + "\n"


DISPUTE_COLUMNS = (
    "id, order_id, buyer_org, supplier_org, status, reason, currency, amount, opened_at, "
    "respond_by, awaiting, state"
)
CLAIM_COLUMNS = (
    "id, order_id, kind, reference, buyer_org, supplier_org, status, currency, amount, "
    "opened_at, state"
)


def load(url: str, disputes: int, claims: int) -> float:
    connection = psycopg2.connect(url)
    rng, now = random.Random(SEED), datetime.now(UTC)
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            for table, columns, rows in (
                ("disputes", DISPUTE_COLUMNS, _dispute_rows(disputes, rng, now)),
                ("claims", CLAIM_COLUMNS, _claim_rows(claims, rng, now)),
            ):
                cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(rows))
            connection.commit()
            connection.autocommit = True
            cursor.execute("VACUUM (ANALYZE) disputes")
            cursor.execute("VACUUM (ANALYZE) claims")
    finally:
        connection.close()
    return time.perf_counter() - started


def _plans(rng: random.Random, sequences: int):
    from disputes import domain

    for _ in range(sequences):
        table = rng.choice(("disputes", "disputes", "claims"))
        statuses = [s for s, _ in (DISPUTE_STATUSES if table == "disputes" else CLAIM_STATUSES)]
        query = {"sort": rng.choice(("opened_at", "-amount"))}
        kind = rng.choice(("status", "status", "all", "org", "detail"))
        if kind in ("status", "detail"):
            query["status"] = rng.choice(statuses)
        if kind == "org":
            query["org"] = f"supplier-{rng.randrange(N_ORGS):03d}"
        if kind == "detail":
            query["reason" if table == "disputes" else "kind"] = (
                rng.choice(domain.REASONS)
                if table == "disputes"
                else rng.choice((domain.UNSCANNED, domain.WRONG_ITEM))
            )
        yield table, kind, query


def run(infra, report, quick):
    from disputes import repository
    from disputes.models import claims, disputes

    n = 10_000 if quick else 100_000
    previous_wait = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        url = infra.database("disputes", key="disputes-queue")
        report.metric("queue.load_s", load(url, n, n // 5), "s", disputes=n, claims=n // 5)
        engine = make_engine(url, 1)
        tables = {"disputes": disputes, "claims": claims}
        rng = random.Random(SEED + 1)
        samples = []  # (ms, table, kind, page)
        with Session(engine) as session:
            for warm_up, sequences in ((True, 20), (False, 60 if quick else 300)):
                for table, kind, query in _plans(rng, sequences):
                    cursor = None
                    for page_no in range(1, 6):
                        q = {**query, **({"cursor": cursor} if cursor else {})}
                        t0 = time.perf_counter()
                        result = repository.queue(session, tables[table], q)
                        ms = (time.perf_counter() - t0) * 1000
                        session.rollback()
                        if not warm_up:
                            samples.append((ms, table, kind, page_no))
                        if (cursor := result["next_cursor"]) is None:
                            break
        engine.dispose()
    finally:
        psycopg2.extensions.set_wait_callback(previous_wait)

    def both(prefix, selected):
        values = [s[0] for s in selected]
        if values:
            report.metric(f"{prefix}.p50", percentile(values, 50), "ms")
            report.metric(
                f"{prefix}.p99", percentile(values, 99), "ms", 20, "<=", samples=len(values)
            )

    for table in ("disputes", "claims"):
        both(f"queue.{table}", [s for s in samples if s[1] == table])
    for kind in ("all", "status", "org", "detail"):
        both(f"queue.filter_{kind}", [s for s in samples if s[2] == kind])
    both("queue.overall", samples)
    return {}
