"""CPU seconds spent by each process of the system (and the broker, PostgreSQL, this client and
everything else on the machine) over a measured phase: where the cost of one operation goes.

PostgreSQL counts only the backends connected to this run's databases, plus the server's own
background processes, so that other databases on a shared server do not inflate it. RabbitMQ is
one process for every vhost: on a shared broker its figure includes other users' traffic (see
BENCH_BROKER in system.py for a broker of the bench's own).
"""

import os
import re
import subprocess

import psycopg2

TICK = os.sysconf("SC_CLK_TCK")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# Our services and gateway: what the targets call "our own processes".
OURS_EXCLUDED = {"bench-client", "rabbitmq", "postgres", "machine"}


def _proc_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


def pids_of_user(user: str) -> list[int]:
    out = subprocess.run(["pgrep", "-u", user], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def broker_pids(port: int) -> list[int]:
    """The process listening on the broker's port, else every process of the rabbitmq user."""
    out = subprocess.run(
        ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True
    ).stdout
    return sorted({int(p) for p in re.findall(r"pid=(\d+)", out)}) or pids_of_user("rabbitmq")


def _postgres_pids(databases: list[str]) -> list[int]:
    """The backends serving ``databases`` and the server's background processes."""
    if not databases:
        return pids_of_user("postgres")
    connection = psycopg2.connect(PG_ADMIN)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) "
                "OR (datname IS NULL AND backend_type <> 'client backend')",
                (databases,),
            )
            pids = {row[0] for row in cursor.fetchall()}
    finally:
        connection.close()
    out = subprocess.run(["pgrep", "-u", "postgres", "-o"], capture_output=True, text=True).stdout
    pids.update(int(p) for p in out.split())  # the postmaster
    return sorted(pids)


def _machine_busy() -> float:
    """CPU seconds the CPUs this run may use (``--cpus``) have been busy, whoever ran."""
    mine = {f"cpu{n}" for n in os.sched_getaffinity(0)}
    busy = 0
    with open("/proc/stat") as f:
        for line in f:
            name, *fields = line.split()
            if name in mine:
                values = [int(v) for v in fields]
                busy += sum(values[:8]) - values[3] - values[4]  # less idle and iowait
    return busy / TICK


def snapshot(system, broker_port: int = 5672, databases: list[str] = ()) -> dict[str, float]:
    """CPU so far per process group; replicas of a component count as that component.

    The PostgreSQL backends are looked up at each snapshot, so ``report_per_op`` adds up each
    pid's own difference (a backend that exits in between loses its last slice)."""
    groups: dict[str, list[int]] = {}
    for child in system.children:
        groups.setdefault(child.name.split("#")[0], []).append(child.proc.pid)
    groups["bench-client"] = [os.getpid()]
    groups["rabbitmq"] = broker_pids(broker_port)
    cpu = {name: sum(_proc_cpu(p) for p in pids) for name, pids in groups.items()}
    cpu["postgres"] = {pid: _proc_cpu(pid) for pid in _postgres_pids(list(databases))}
    cpu["machine"] = _machine_busy()
    return cpu


def _spent(name, before, after) -> float:
    if isinstance(before[name], dict):  # per pid: only the pids seen both times
        pids = before[name].keys() & after[name].keys()
        return sum(max(0.0, after[name][p] - before[name][p]) for p in pids)
    return max(0.0, after.get(name, 0) - before[name])


def spent(before, after) -> dict[str, float]:
    """CPU seconds each group spent between two snapshots, and the machine's (``machine``)."""
    return {name: _spent(name, before, after) for name in before}


def report_per_op(report, prefix, before, after, ops, elapsed) -> dict[str, float]:
    """CPU ms per operation for each process, and how busy the machine was; returns them."""
    if not ops:
        return {}
    per_op, total = {}, 0.0
    for name in before:
        if name == "machine":
            continue
        spent = _spent(name, before, after)
        total += spent
        per_op[name] = spent * 1000 / ops
        report.metric(f"{prefix}.cpu_ms_per_op.{name}", per_op[name], "ms")
    machine = after["machine"] - before["machine"]
    report.metric(
        f"{prefix}.cpu_ms_per_op.other_processes", max(0.0, machine - total) * 1000 / ops, "ms"
    )
    report.metric(
        f"{prefix}.machine_busy",
        100 * machine / (elapsed * len(os.sched_getaffinity(0))),
        "%",
        cpus=len(os.sched_getaffinity(0)),  # this run's: --cpus may take fewer
    )
    return per_op


def ours(per_op: dict[str, float]) -> float:
    """CPU per operation of the gateway and the services together."""
    return sum(v for name, v in per_op.items() if name not in OURS_EXCLUDED)


def ours_busy(before: dict, after: dict, seconds: float) -> float:
    """How many cores our processes kept busy between two snapshots."""
    names = [name for name in before if name not in OURS_EXCLUDED]
    return sum(_spent(name, before, after) for name in names) / seconds


def broker_and_database(per_op: dict[str, float]) -> float:
    return per_op.get("rabbitmq", 0.0) + per_op.get("postgres", 0.0)
