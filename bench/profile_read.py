"""6. Reading a profile for an organisation with 100,000 completed orders (p50, p99).

A fresh profiles database (migrated with Alembic) is bulk-loaded with COPY: one supplier
organisation's completed orders across the four workflows (placed, approved, delivered against a
committed date, some cancelled), one inspection verdict per delivered order and a two-way review
pair on every tenth order, and the running totals and medians those rows make (counted by
``profiles.tallies``, the rules the events go through). Then what the service's ``get_profile``
does is timed directly on a SQLAlchemy session (no RPC): the totals, the reviews still sealed,
the newest reviews of each side, and ``figures.side`` for both sides.
"""

import io
import random
import time
from datetime import UTC, datetime, timedelta

import psycopg2
import psycopg2.extensions
from report import percentile
from sqlalchemy.orm import Session

from chassis.database import make_engine

NAME = "profile"
ORG = "bench-supplier"
WORKFLOWS = ("manufacturing", "factory", "services", "retail")
VERDICTS = ("accepted", "accepted", "accepted", "partly_accepted", "rejected", "rework")
SEED = 20261203


def _copy(cursor, table, columns, rows):
    buffer = io.StringIO("".join("\t".join(map(_text, row)) + "\n" for row in rows))
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _text(value):
    return r"\N" if value is None else str(value)


def load(url, n):
    rng = random.Random(SEED)
    start = datetime(2029, 1, 1, tzinfo=UTC)
    orders, verdicts, reviews = [], [], []
    for i in range(n):
        order_id = f"o-{i}"
        placed = start + timedelta(minutes=7 * i)
        committed = (placed + timedelta(days=14)).date()
        delivered = placed + timedelta(days=rng.randint(7, 16))
        workflow = WORKFLOWS[i % len(WORKFLOWS)]
        buyer = f"buyer-{i % 100}"
        cancelled = i % 50 == 0
        orders.append(
            (
                order_id,
                buyer,
                ORG,
                workflow,
                f"Order {i}",
                placed,
                placed + timedelta(hours=rng.randint(1, 48)),
                committed,
                None if cancelled else delivered,
                None if cancelled else delivered,
                placed if cancelled else None,
                "supplier" if cancelled else None,
                cancelled,
            )
        )
        if not cancelled:
            verdicts.append(
                (f"v-{i}", order_id, ORG, buyer, workflow, rng.choice(VERDICTS), delivered)
            )
        if i % 10 == 0 and not cancelled:
            for role, reviewer, reviewee in (("buyer", buyer, ORG), ("supplier", ORG, buyer)):
                reviews.append(
                    (
                        f"{order_id}:{role}",
                        order_id,
                        role,
                        reviewer,
                        reviewee,
                        rng.randint(1, 5),
                        "Fine work",
                        delivered + timedelta(days=1),
                    )
                )
    connection = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with connection, connection.cursor() as cursor:
            _copy(
                cursor,
                "order_facts",
                ORDER_COLUMNS,
                orders,
            )
            _copy(
                cursor,
                "verdicts",
                ("event_id", "order_id", "supplier_org", "buyer_org", "workflow", "verdict", "at"),
                verdicts,
            )
            _copy(
                cursor,
                "reviews",
                (
                    "review_id",
                    "order_id",
                    "reviewer_role",
                    "reviewer_org",
                    "reviewee_org",
                    "rating",
                    "comment",
                    "posted_at",
                ),
                reviews,
            )
            for table, columns, rows in _totals(orders, verdicts, reviews):
                _copy(cursor, table, columns, rows)
            cursor.execute("ANALYZE")
    finally:
        connection.close()
    return len(reviews)


ORDER_COLUMNS = (
    "order_id",
    "buyer_org",
    "supplier_org",
    "workflow",
    "title",
    "placed_at",
    "approved_at",
    "committed_deliver_by",
    "delivered_at",
    "completed_at",
    "cancelled_at",
    "cancelled_by",
    "counts_against_supplier",
)


def _totals(orders, verdicts, reviews):
    """The tallies, samples and medians the events would have built, for COPY."""
    from profiles import tallies
    from profiles.projection import REVIEWED_SIDE

    counted, samples = [], []
    for order in orders:
        made, waits = tallies.of_order(dict(zip(ORDER_COLUMNS, order, strict=True)))
        counted += made
        samples += waits
    for _, _, supplier, buyer, workflow, verdict, at in verdicts:
        parties = {"supplier_org": supplier, "buyer_org": buyer, "workflow": workflow}
        counted += tallies.of_verdict(parties, verdict, at)
    for review in reviews:
        row = dict(zip(("reviewer_role", "reviewer_org", "reviewee_org"), review[2:5], strict=True))
        row.update(rating=review[5], posted_at=review[7])
        counted.append(tallies.of_review(row, REVIEWED_SIDE[row["reviewer_role"]]))
    totals = {}
    for t in counted:
        key = (t.org, t.side, t.workflow, t.name)
        count, total, first, last = totals.get(key, (0, 0, t.at, t.at))
        totals[key] = (count + 1, total + t.amount, min(first, t.at), max(last, t.at))
    by_median = {}
    for sample in samples:
        key = (sample.org, sample.side, sample.workflow, sample.kind)
        by_median.setdefault(key, []).append(sample)
    medians = []
    for key, group in by_median.items():
        ordered = sorted(group, key=lambda s: (s.seconds, s.sample_id))
        low, high = ordered[(len(ordered) - 1) // 2], ordered[len(ordered) // 2]
        moments = [s.at for s in group]
        medians.append(
            (*key, len(group), low.seconds, low.sample_id, high.seconds, high.sample_id)
            + (min(moments), max(moments))
        )
    return [
        (
            "tallies",
            ("org", "side", "workflow", "name", "count", "total", "first_at", "last_at"),
            [(*key, *value) for key, value in totals.items()],
        ),
        (
            "samples",
            ("org", "side", "workflow", "kind", "sample_id", "seconds"),
            [(s.org, s.side, s.workflow, s.kind, s.sample_id, s.seconds) for s in samples],
        ),
        (
            "medians",
            ("org", "side", "workflow", "kind", "count", "low_seconds", "low_id")
            + ("high_seconds", "high_id", "first_at", "last_at"),
            medians,
        ),
    ]


def run(infra, report, quick):
    from profiles import figures, repository

    n = 10_000 if quick else 100_000
    # Blocking psycopg2, as in the list measurement: COPY needs it, and the timings should not
    # include the hub's scheduling.
    previous_wait = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        _measure(infra, report, n, figures, repository)
    finally:
        psycopg2.extensions.set_wait_callback(previous_wait)


def _measure(infra, report, n, figures, repository):
    from profiles.projection import REVIEWED_SIDE

    quick = n < 100_000
    url = infra.database("profiles", key="profiles-read")
    t0 = time.perf_counter()
    load(url, n)
    report.metric("profile.load_s", time.perf_counter() - t0, "s", orders=n)
    engine = make_engine(url, 1)
    samples = []
    now = datetime(2031, 1, 1, tzinfo=UTC)
    window = timedelta(days=14)
    with Session(engine) as session:
        for attempt in range(23 if quick else 53):
            t0 = time.perf_counter()
            # What get_profile reads and computes, for a reader outside the organisation.
            totals = figures.Totals(**repository.totals_of(session, ORG))
            recent = repository.received_since(session, ORG, now - window)
            around = repository.reviews_of_orders(session, {r["order_id"] for r in recent})
            visible = {r["review_id"] for r in figures.visible_reviews(around, now, window)}
            unseen = [r for r in recent if r["review_id"] not in visible]
            unseen += [r for r in repository.moderated_received(session, ORG) if r["hidden_reason"]]
            for side in figures.SIDES:
                reviewer = REVIEWED_SIDE[side]
                skip = {r["review_id"] for r in unseen}
                latest = repository.latest_received(session, ORG, reviewer, skip, 20)
                first = repository.latest_received(session, ORG, reviewer, skip, 1, oldest=True)
                reviews = figures.received_reviews(
                    totals,
                    side,
                    [r for r in unseen if r["reviewer_role"] == reviewer],
                    latest,
                    first[0] if first else None,
                )
                figures.side(totals, side, reviews)
            ms = (time.perf_counter() - t0) * 1000
            session.rollback()
            if attempt >= 3:  # warm-up
                samples.append(ms)
    engine.dispose()
    report.metric("profile.read_p50", percentile(samples, 50), "ms", orders=n)
    report.metric("profile.read_p99", percentile(samples, 99), "ms", orders=n, reads=len(samples))
