"""The benchmark: `make bench` runs `.venv/bin/python bench/run.py`.

    .venv/bin/python bench/run.py [--quick] [--replicas N] [--cpus 0] [--profile]
        [--only broker,propagation,approvals,transitions,consumer,payments,scans,chat,
                page,floor,list,queue,profile]

Everything runs against 127.0.0.1 only, in a fresh RabbitMQ vhost and fresh PostgreSQL
databases that are removed at the end. Each metric is printed as a JSON line (and written to
bench/results/latest.jsonl), then all of them as a table, then the targets missed.

Exit status: 0 when every chosen part ran to its end and printed its figures, whether or not
they meet their targets (a figure is a measurement, not a test: the table says which targets
hold); 1 when a part could not measure (it crashed, timed out waiting for the system, or found
its own measurement impossible, such as a negative latency), named on the last line.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet

# Nameko, kombu, requests and psycopg2 on green threads, like the services and the tests.
eventlet.monkey_patch()

import argparse
import os
import signal
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import approvals
import broker_hop
import chat_messages
import consumer
import cores
import floor
import list_query
import order_page
import payments_ledger
import profile_read
import propagation
import scans
import staff_queue
import transitions
from report import Report
from system import BROKER_PORT, Infra

# In this order: the broker floor before the system starts (nothing else on the broker), the
# measurements through the running system, then, the system stopped, the bare stack (after the
# approvals, whose figures it is set against) and the list query on its own database (so that
# 1M-row loading does not compete with the system, nor the system with the loading).
MEASUREMENTS = {
    "broker": broker_hop,
    "propagation": propagation,
    "approvals": approvals,
    "transitions": transitions,
    "consumer": consumer,
    "payments": payments_ledger,
    "scans": scans,
    "chat": chat_messages,
    "page": order_page,
    "floor": floor,
    "list": list_query,
    "profile": profile_read,
    "queue": staff_queue,
}
ALIASES = {"list_query": "list", "broker_hop": "broker", "profile_read": "profile"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(MEASUREMENTS)}")
    parser.add_argument("--quick", action="store_true", help="smaller counts: a smoke run")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="processes of orders and of fulfillment, sharing their queues (default 1)",
    )
    parser.add_argument(
        "--cpus",
        type=cores.parse,
        help="run the system, the local broker and PostgreSQL on these CPUs only (0, 0-1)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="where each process's CPU goes in approvals, transitions, consumer (cpu_profile.py)",
    )
    args = parser.parse_args(argv)
    chosen = list(MEASUREMENTS)
    if args.only:
        chosen = [ALIASES.get(n.strip(), n.strip()) for n in args.only.split(",") if n.strip()]
        unknown = [n for n in chosen if n not in MEASUREMENTS]
        if unknown:
            parser.error(f"unknown measurement(s) {unknown}; choose from {list(MEASUREMENTS)}")
    # A stopped bench cleans up as an interrupted one does: the databases, the vhost, the CPUs.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if not args.cpus:
        return _measure(args, chosen)
    with cores.pinned(args.cpus, BROKER_PORT):
        return _measure(args, chosen)


def _measure(args, chosen) -> int:
    report = Report()
    infra = Infra(replicas=args.replicas, profile=args.profile)
    report.metric("replicas", args.replicas, "processes", services="orders,fulfillment")
    cpus = sorted(os.sched_getaffinity(0))
    report.metric("cpus", len(cpus), "CPUs", which=",".join(map(str, cpus)))
    context: dict = {}
    failed = []
    started = time.monotonic()
    try:
        for name in MEASUREMENTS:
            if name not in chosen:
                continue
            module = MEASUREMENTS[name]
            if name in ("floor", "list", "queue", "profile"):
                infra.stop_system()  # these need only their own processes and databases
            print(f"bench: --- {name} ---", file=sys.stderr, flush=True)
            infra.settle()  # the last measurement's consumers have caught up
            t0 = time.monotonic()
            # This machine may be shared: say how loaded it was when the measurement began.
            report.metric(f"{name}.loadavg_before", round(os.getloadavg()[0], 2), "procs")
            try:
                context.update(
                    module.run(infra, report, args.quick, **_extra(module, context)) or {}
                )
            except KeyboardInterrupt:
                raise
            except Exception:
                failed.append(name)
                traceback.print_exc()
            print(f"bench: {name} took {time.monotonic() - t0:.1f}s", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("bench: interrupted; cleaning up", file=sys.stderr, flush=True)
        failed.append("interrupted")
    finally:
        infra.close()
        report.close()
    print()
    print(report.table())
    targets = [r for r in report.rows if "ok" in r]
    missed = [r["metric"] for r in targets if not r["ok"]]
    print(
        f"\n{len(report.rows)} metrics in {report.path} ({time.monotonic() - started:.0f}s); "
        f"targets met: {len(targets) - len(missed)} of {len(targets)}"
        f"{' (missed: ' + ', '.join(missed) + ')' if missed else ''}"
    )
    if failed:
        print(f"bench: FAILED to measure: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


def _extra(module, context):
    """Results one measurement passes to a later one (the hop's p50 for the ratio)."""
    wanted = getattr(module, "USES", ())
    return {k: context[k] for k in wanted if k in context}


if __name__ == "__main__":
    sys.exit(main())
