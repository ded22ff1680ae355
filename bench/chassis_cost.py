"""The chassis's own cost per transaction, without the broker or the rest of the system.

    .venv/bin/python bench/chassis_cost.py [N]

A consumer's transaction shaped like fulfillment's on ``order.approved`` (the inbox row, a
``SELECT ... FOR UPDATE`` of the record, its insert, one event published through the outbox)
and a command shaped like a transition (the claim, a row updated, one event, the outcome), N of
each in a row on a fresh PostgreSQL database, through ``chassis.unit_of_work`` as a service uses
it. Printed per transaction: this process's CPU, its wall time and the statements it sent
(BEGIN and COMMIT included). Publishing after the commit is left out (the outbox rows are
written, not sent), so the figures are the database side of the chassis alone. One process on
a quiet core answers within a few percent from run to run; the whole-system bench does not on a
shared machine, which is why this exists: to compare two versions of the chassis.
"""

import sys
import time
import uuid
from types import SimpleNamespace

import psycopg2
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select, update

from chassis.tables import messaging_tables
from chassis.unit_of_work import UnitOfWork

PG = "postgresql://postgres@127.0.0.1:5432"

metadata = MetaData()
messaging_tables(metadata)
records = Table(
    "records",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False, unique=True),
    Column("version", Integer, nullable=False),
)


class Container:
    service_name = "fulfillment"


def provider_on(url: str) -> UnitOfWork:
    container = Container()
    container.config = {"DATABASE_URL": url, "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/"}
    bound = UnitOfWork(metadata).bind(container, "uow")
    bound.setup()
    bound.outbox.publish_committed = lambda envelopes: None  # the database side only
    return bound


def worker(provider, consumer: str | None):
    ctx = SimpleNamespace(
        entrypoint=SimpleNamespace(inbox_consumer=consumer) if consumer else SimpleNamespace(),
        args=(SimpleNamespace(event_id=str(uuid.uuid4())),),
        context_data={},
        call_id="bench.1",
    )
    return provider.get_dependency(ctx)


def consume_one(provider) -> None:
    order_id = str(uuid.uuid4())
    uow = worker(provider, "fulfillment--order.approved")
    with uow.transaction() as tx:
        found = tx.session.execute(
            select(records).where(records.c.order_id == order_id).with_for_update()
        ).first()
        if found is None:
            record_id = str(uuid.uuid4())
            tx.session.execute(insert(records).values(id=record_id, order_id=order_id, version=1))
            tx.publish("fulfillment.opened", {"order_id": order_id, "fulfillment_id": record_id})


def command_one(provider, record_id: str, order_id: str) -> None:
    def body(tx):
        tx.session.execute(
            update(records).where(records.c.id == record_id).values(version=records.c.version + 1)
        )
        tx.publish("fulfillment.opened", {"order_id": order_id, "fulfillment_id": record_id})
        return {"id": record_id, "status": "advanced", "lines": [{"sku": "BRKT-7", "n": 40}]}

    uow = worker(provider, None)
    uow.run_command("fulfillment.advance", str(uuid.uuid4()), {"id": record_id}, body)


def measure(label, provider, n, step) -> None:
    statements = [0]

    def count(*_args):
        statements[0] += 1

    for name in ("before_cursor_execute", "begin", "commit", "rollback"):
        event.listen(provider.engine, name, count)
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        step(i)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    for name in ("before_cursor_execute", "begin", "commit", "rollback"):
        event.remove(provider.engine, name, count)
    print(
        f"{label}: {cpu / n * 1000:.3f} ms CPU, {wall / n * 1000:.3f} ms wall, "
        f"{statements[0] / n:.1f} statements per transaction (n={n})",
        flush=True,
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    name = f"bench_chassis_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(f"{PG}/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    provider = None
    try:
        provider = provider_on(f"{PG}/{name}")
        metadata.create_all(provider.engine)
        record_id, order_id = str(uuid.uuid4()), str(uuid.uuid4())
        with provider.engine.begin() as connection:
            connection.execute(insert(records).values(id=record_id, order_id=order_id, version=0))
        for _ in range(200):  # warm: pools, statement caches
            consume_one(provider)
            command_one(provider, record_id, order_id)
        for _ in range(2):
            measure("consumer transaction", provider, n, lambda i: consume_one(provider))
            measure(
                "command transaction ",
                provider,
                n,
                lambda i: command_one(provider, record_id, order_id),
            )
    finally:
        if provider is not None:
            provider.engine.dispose()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
