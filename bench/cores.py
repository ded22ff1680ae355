"""The bench on some of the machine's CPUs only (``--cpus 0``): what one core carries, so that a
run on all of them says what the others buy.

This process is pinned before it starts the system, whose processes inherit its CPUs; the
local RabbitMQ (every thread of it) and PostgreSQL (every process; the backends it forks
meanwhile inherit the postmaster's CPUs) are pinned too. At the end every thread of the broker
and every process of PostgreSQL, those forked meanwhile included, gets back the CPUs its
server had. Pinning another user's processes takes root (or CAP_SYS_NICE); run one such bench
at a time, or the second takes the first's pinning for the servers' own.
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
        "broker": lambda: cpu.broker_pids(broker_port),
        "postgres": lambda: cpu.pids_of_user("postgres"),
    }
    theirs = {name: _affinity(pids()) for name, pids in servers.items()}
    try:
        os.sched_setaffinity(0, cpus)
        for pids in servers.values():
            _pin(pids(), cpus)
        yield
    finally:
        for name, pids in servers.items():
            if theirs[name]:
                _pin(pids(), theirs[name])


def _affinity(pids: list[int]) -> set[int]:
    """The CPUs of the oldest of ``pids`` (a server's first process); none if it has none."""
    for pid in sorted(pids):
        with suppress(ProcessLookupError):
            return os.sched_getaffinity(pid)
    return set()


def _pin(pids: list[int], cpus: set[int]) -> None:
    for tid in (t for pid in pids for t in _threads(pid)):
        with suppress(ProcessLookupError):  # gone meanwhile
            os.sched_setaffinity(tid, cpus)


def _threads(pid: int) -> list[int]:
    try:
        return [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
    except FileNotFoundError:
        return []
