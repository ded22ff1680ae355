"""The bench on some of the machine's CPUs only (``--cpus 0``): what one core carries, so that a
run on all of them says what the others buy.

This process is pinned before it starts the system, whose processes inherit its CPUs; the
local RabbitMQ (every thread of it) and PostgreSQL (every process; the backends it forks
meanwhile inherit the postmaster's CPUs) are pinned too. At the end each of their threads
gets back its own CPUs (RabbitMQ binds each scheduler to one), and those that appeared
meanwhile, PostgreSQL's new backends, the CPUs of their server's oldest process. Pinning
another user's processes takes root (or CAP_SYS_NICE); run one such bench at a time, or the
second takes the first's pinning for the servers' own.
"""

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import cpu


def parse(text: str) -> set[int]:
    """``"0"``, ``"0,1"`` or ``"0-2"`` as a set of CPU numbers this process may use."""
    try:
        cpus: set[int] = set()
        for part in text.split(","):
            first, _, last = part.strip().partition("-")
            cpus.update(range(int(first), int(last or first) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of CPUs: {text!r}") from None
    unknown = cpus - os.sched_getaffinity(0)
    if not cpus or unknown:
        raise argparse.ArgumentTypeError(f"no such CPU here: {sorted(unknown) or text!r}")
    return cpus


@contextmanager
def pinned(cpus: set[int], broker_port: int) -> Iterator[None]:
    """This process, the broker and PostgreSQL on ``cpus`` inside the block."""
    servers = {
        "RabbitMQ": lambda: cpu.broker_pids(broker_port),
        "PostgreSQL": lambda: cpu.pids_of_user("postgres"),
    }
    # Each thread's own CPUs (RabbitMQ binds each scheduler thread to one), and for threads
    # and backends that appear meanwhile, those of the server's oldest process.
    theirs = {name: _affinities(pids()) for name, pids in servers.items()}
    try:
        os.sched_setaffinity(0, cpus)
        for pids in servers.values():
            _pin(dict.fromkeys(_threads_of(pids()), cpus))
        yield
    finally:
        for name, pids in servers.items():
            own, first = theirs[name]
            try:
                _pin({tid: own.get(tid, first) for tid in _threads_of(pids()) if first})
            except OSError as error:  # say so, and give the other server its CPUs back
                print(f"bench: {name} keeps the CPUs it was pinned to: {error}", flush=True)


def _affinities(pids: list[int]) -> tuple[dict[int, set[int]], set[int]]:
    """The CPUs of each thread of ``pids``, and those of the oldest of them."""
    own: dict[int, set[int]] = {}
    for tid in _threads_of(pids):
        with suppress(ProcessLookupError):
            own[tid] = os.sched_getaffinity(tid)
    oldest = min(pids, key=_started, default=None)
    return own, own.get(oldest, set()) if oldest is not None else set()


def _pin(affinities: dict[int, set[int]]) -> None:
    for tid, cpus in affinities.items():
        with suppress(ProcessLookupError):  # gone meanwhile
            os.sched_setaffinity(tid, cpus)


def _threads_of(pids: list[int]) -> list[int]:
    threads = []
    for pid in pids:
        with suppress(FileNotFoundError):
            threads += [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
    return threads


def _started(pid: int) -> int:
    """When ``pid`` started, in clock ticks since boot (a process gone counts as last)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 1 << 62
