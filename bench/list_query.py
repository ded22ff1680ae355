"""5. The list query's latency at 1,000,000 orders in PostgreSQL (target: p99 <= 20 ms for any
page of any tab).

A fresh orders database (migrated with Alembic) is bulk-loaded straight into the orders table:
rows generated here, one template order per workflow made by orders.domain.place_order (so the
`state` JSON is what the service writes and Order.from_dict accepts), copied with new ids, orgs
(~100 buyer orgs, ~100 supplier orgs), placed_at and a status of that workflow with its group.
Loading: TRUNCATE + COPY ... FREEZE in one transaction with the secondary indexes dropped, then
the very same index definitions (read from pg_indexes before dropping) rebuilt, then ANALYZE.

Then orders.repository.list_page(session, actor, query) is timed directly on a SQLAlchemy
session (no RPC): random actors (buyer / supplier of one org, admin), random tabs (all, one
status, one group), the first page and pages deeper through next_cursor.
"""

import io
import json
import random
import re
import time
import uuid
from datetime import UTC, datetime

import psycopg2
import psycopg2.extensions
from report import RESULTS, percentile
from sqlalchemy.orm import Session

from chassis import paging
from chassis.database import make_engine

NAME = "list"
N_ORGS = 100
BATCH = 20_000
SEED = 20261122
COLUMNS = (
    "id",
    "buyer_org",
    "buyer_user",
    "supplier_org",
    "workflow",
    "workflow_version",
    "status",
    "status_group",
    "title",
    "search_text",
    "currency",
    "total",
    "placed_at",
    "updated_at",
    "next_deadline_at",
    "version",
    "state",
)
REQUESTS = {  # what each workflow's placement requires
    "manufacturing": {"committed_ship_by": "2031-05-01", "committed_deliver_by": "2031-05-15"},
    "services": {"kind": "service", "revisions_allowed": 2},
    "factory": {},
    "retail": {},
}
# Sentinels replaced per row in the template JSON.
S_ID, S_BO, S_BU, S_SO, S_ST = "ZZIDZZ", "ZZBOZZ", "ZZBUZZ", "ZZSOZZ", "ZZSTZZ"
S_AT = datetime(1999, 9, 9, 9, 9, 9, tzinfo=UTC)
S_AT_ISO = S_AT.isoformat()


def _copy_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


class Templates:
    """Per workflow: the row's constant parts and the state JSON cut at the sentinels."""

    def __init__(self):
        from orders import domain, repository
        from orders.workflow import load_workflows

        self.workflows = {}
        for (name, version), workflow in sorted(load_workflows().items()):
            request = {
                "supplier_org": S_SO,
                "title": f"Bench {name} order",
                "currency": "EUR",
                "lines": [
                    {"sku": "SKU-1", "description": "Part", "quantity": 4, "unit_price": 2500}
                ],
                **REQUESTS.get(name, {}),
            }
            order, _ = domain.place_order(
                workflow, S_ID, domain.Actor(S_BU, "buyer", S_BO), request, S_AT
            )
            order.status = S_ST
            columns = repository._columns(order, workflow.group_of(workflow.initial), None)
            state = json.dumps(columns["state"])
            pieces = re.split(f"({S_ID}|{S_BO}|{S_BU}|{S_SO}|{S_ST}|{re.escape(S_AT_ISO)})", state)
            states = list(workflow.states)
            # Most orders of a marketplace are finished: terminal states weigh 4, others 1.
            weights = [4 if workflow.states[s].terminal else 1 for s in states]
            self.workflows[name] = {
                "version": version,
                "pieces": [_copy_escape(p) for p in pieces],
                "states": [(s, workflow.group_of(s)) for s in states],
                "weights": weights,
                "title": columns["title"],
                "search_tail": columns["search_text"].split(" ", 1)[1],
                "currency": columns["currency"],
                "total": columns["total"],
                "version_no": columns["version"],
            }
        self.names = sorted(self.workflows)
        self.statuses = sorted({s for w in self.workflows.values() for s, _ in w["states"]})
        self.groups = sorted({g for w in self.workflows.values() for _, g in w["states"]})

    def rows(self, n: int, rng: random.Random, now: datetime):
        """n COPY text lines."""
        span = 730 * 86400
        base = now.timestamp()
        out = []
        for _ in range(n):
            name = self.names[rng.randrange(len(self.names))]
            w = self.workflows[name]
            status, group = rng.choices(w["states"], w["weights"])[0]
            oid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            bo = f"buyer-{rng.randrange(N_ORGS):03d}"
            so = f"supplier-{rng.randrange(N_ORGS):03d}"
            bu = f"{bo}-user-{rng.randrange(10)}"
            at = datetime.fromtimestamp(base - rng.random() * span, UTC).isoformat()
            values = {S_ID: oid, S_BO: bo, S_BU: bu, S_SO: so, S_ST: status, S_AT_ISO: at}
            state = "".join(values.get(p, p) for p in w["pieces"])
            out.append(
                "\t".join(
                    (
                        oid,
                        bo,
                        bu,
                        so,
                        name,
                        str(w["version"]),
                        status,
                        group,
                        w["title"],
                        f"{oid} {w['search_tail']}",
                        w["currency"],
                        str(w["total"]),
                        at,
                        at,
                        "\\N",
                        str(w["version_no"]),
                        state,
                    )
                )
            )
        return "\n".join(out) + "\n"


def load(url: str, n: int, templates: Templates) -> dict:
    """Bulk-load n orders; returns the phases' durations in seconds."""
    dsn = url.replace("postgresql+psycopg2://", "postgresql://")
    connection = psycopg2.connect(dsn)
    timings = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("""SELECT i.indexname, i.indexdef FROM pg_indexes i
                              WHERE i.tablename = 'orders' AND NOT EXISTS (
                                SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""")
            secondary = cursor.fetchall()
            started = time.perf_counter()
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("TRUNCATE orders")
            for name, _ in secondary:
                cursor.execute(f'DROP INDEX "{name}"')
            rng = random.Random(SEED)
            now = datetime.now(UTC)
            sql = f"COPY orders ({', '.join(COLUMNS)}) FROM STDIN WITH (FREEZE)"
            done = 0
            while done < n:
                size = min(BATCH, n - done)
                cursor.copy_expert(sql, io.StringIO(templates.rows(size, rng, now)))
                done += size
            connection.commit()
            timings["copy"] = time.perf_counter() - started
            t0 = time.perf_counter()
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute("SET max_parallel_maintenance_workers = 2")
            for _, definition in secondary:
                cursor.execute(definition)
            connection.commit()
            timings["indexes"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            connection.autocommit = True
            cursor.execute("VACUUM (ANALYZE) orders")
            timings["analyze"] = time.perf_counter() - t0
            timings["total"] = time.perf_counter() - started
            cursor.execute("SELECT pg_total_relation_size('orders'), pg_relation_size('orders')")
            timings["total_bytes"], timings["heap_bytes"] = cursor.fetchone()
    finally:
        connection.close()
    return timings


def _queries(templates: Templates, rng: random.Random, sequences: int, pages: int):
    """(role, actor, query, pages) for each sequence."""
    for _ in range(sequences):
        role = rng.choice(("buyer", "supplier", "admin"))
        org = {
            "buyer": f"buyer-{rng.randrange(N_ORGS):03d}",
            "supplier": f"supplier-{rng.randrange(N_ORGS):03d}",
            "admin": "platform",
        }[role]
        actor = {"user_id": f"{role}-bench", "role": role, "org": org}
        kind = rng.choice(("all", "status", "group"))
        query = {
            "all": {},
            "status": {"status": rng.choice(templates.statuses)},
            "group": {"group": rng.choice(templates.groups)},
        }[kind]
        yield role, kind, actor, query, pages


def run(infra, report, quick):
    from orders import repository
    from orders.domain import Order

    n = 50_000 if quick else 1_000_000
    # Blocking psycopg2 here, not eventlet's green waits: nothing else runs meanwhile, and the
    # timings should not include the hub's scheduling.
    previous_wait = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        url = infra.database("orders", key="orders-list")
        templates = Templates()
        timings = load(url, n, templates)
        report.metric("list.load_rows", n, "rows")
        report.metric("list.load_copy_s", timings["copy"], "s")
        report.metric("list.load_indexes_s", timings["indexes"], "s")
        report.metric("list.load_analyze_s", timings["analyze"], "s")
        report.metric("list.load_total_s", timings["total"], "s")
        report.metric(
            "list.table_size",
            timings["total_bytes"] / 2**20,
            "MiB",
            heap_mib=round(timings["heap_bytes"] / 2**20, 1),
        )

        engine = make_engine(url, 1)
        rng = random.Random(SEED + 1)
        samples = []  # (ms, role, kind, page_no, actor, query)
        with Session(engine) as session:

            def page(actor, query, session=session):
                t0 = time.perf_counter()
                result = repository.list_page(session, actor, query)
                ms = (time.perf_counter() - t0) * 1000
                session.rollback()
                return ms, result

            for _role, _kind, actor, query, _ in _queries(templates, rng, 30, 1):  # warm-up
                _, result = page(actor, query)
                for state in result["items"][:1]:  # the loaded JSON is what the service reads
                    Order.from_dict(state)
            plan = list(_queries(templates, rng, 40 if quick else 300, 5 if quick else 10))
            # A few long walks: how a page costs as the cursor goes deeper.
            plan += [
                (r, "all", a, {}, 30 if quick else 100)
                for r, _, a, _, _ in _queries(templates, rng, 3 if quick else 9, 1)
            ]
            deadline = time.monotonic() + (60 if quick else 180)
            for role, kind, actor, query, pages in plan:
                cursor = None
                for page_no in range(1, pages + 1):
                    q = {**query, **({"cursor": cursor} if cursor else {})}
                    ms, result = page(actor, q)
                    samples.append((ms, role, kind, page_no, actor, q))
                    cursor = result["next_cursor"]
                    if cursor is None:
                        break
                if time.monotonic() > deadline:
                    break
        _report(report, samples)
        _deep_cursors(engine, report, page, quick)
        _explain_slowest(engine, samples)
        engine.dispose()
    finally:
        psycopg2.extensions.set_wait_callback(previous_wait)
    return {}


def _report(report, samples):
    def both(prefix, selected):
        if selected:
            values = [s[0] for s in selected]
            report.metric(f"{prefix}.p50", percentile(values, 50), "ms")
            report.metric(
                f"{prefix}.p99", percentile(values, 99), "ms", 20, "<=", samples=len(values)
            )

    for kind in ("all", "status", "group"):
        both(f"list.tab_{kind}", [s for s in samples if s[2] == kind])
    for role in ("buyer", "supplier", "admin"):
        both(f"list.role_{role}", [s for s in samples if s[1] == role])
    both("list.first_page", [s for s in samples if s[3] == 1])
    both("list.pages_2_10", [s for s in samples if 2 <= s[3] <= 10])
    both("list.pages_11_100", [s for s in samples if s[3] > 10])
    both("list.overall", samples)
    worst = max(samples, key=lambda s: s[0])
    report.metric(
        "list.max",
        worst[0],
        "ms",
        role=worst[1],
        tab=worst[2],
        page=worst[3],
        query={k: v for k, v in worst[5].items() if k != "cursor"},
    )


def _deep_cursors(engine, report, page, quick):
    """One page right after a cursor `depth` rows into a tab (what a client reaches by following
    next_cursor that far): the keyset's cost as a function of depth."""
    from sqlalchemy import text

    cases = [
        (
            "admin",
            {"user_id": "a", "role": "admin", "org": "platform"},
            "TRUE",
            (1_000, 10_000, 100_000) if not quick else (1_000, 10_000),
        ),
        (
            "buyer",
            {"user_id": "b", "role": "buyer", "org": "buyer-007"},
            "buyer_org = 'buyer-007'",
            (1_000, 5_000) if not quick else (100,),
        ),
    ]
    for role, actor, scope, depths in cases:
        for depth in depths:
            with engine.connect() as connection:
                row = connection.execute(
                    text(
                        f"SELECT placed_at, id FROM orders WHERE {scope} "
                        f"ORDER BY placed_at DESC, id DESC OFFSET {depth} LIMIT 1"
                    )
                ).first()
            if row is None:
                continue
            cursor = paging.encode_cursor(row.placed_at, row.id)
            times = [page(actor, {"cursor": cursor})[0] for _ in range(5)]
            report.metric(f"list.deep_{role}_all_at_{depth}", percentile(times, 50), "ms", 20, "<=")


def _explain_slowest(engine, samples):
    """EXPLAIN (ANALYZE, BUFFERS) of the five slowest pages.

    Written to bench/results/list_query_slowest.txt.
    """
    from orders import repository

    lines = []
    for ms, role, kind, page_no, actor, query in sorted(samples, key=lambda s: -s[0])[:5]:
        statement, _ = repository.page_statement(actor, query)
        compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
        with engine.connect() as connection:
            plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}").all()
        lines += [
            (
                f"--- {ms:.1f} ms: role={role} org={actor['org']} tab={kind} page={page_no} "
                f"query={ {k: v for k, v in query.items() if k != 'cursor'} }"
            ),
            str(compiled),
        ]
        lines += [row[0] for row in plan] + [""]
    (RESULTS / "list_query_slowest.txt").write_text("\n".join(lines))
