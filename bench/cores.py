"""The bench on some of the machine's CPUs only (``--cpus 0``): what one core carries, so that a
run on all of them says what the others buy.

This process is pinned before it starts the system, whose processes inherit its CPUs; the
local RabbitMQ (every thread of it) and PostgreSQL (the postmaster, whose new backends inherit
its CPUs, and every process already running) are pinned too, and given back the CPUs they had
when the run ends.
"""

import os
from contextlib import suppress
from pathlib import Path

import cpu


def parse(text: str) -> set[int]:
    """``"0"``, ``"0,1"`` or ``"0-2"`` as a set of CPU numbers this machine has."""
    cpus: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    unknown = cpus - os.sched_getaffinity(0)
    if not cpus or unknown:
        raise ValueError(f"no such CPU here: {sorted(unknown) or text!r}")
    return cpus


class Pinned:
    """Everything the bench measures runs on ``cpus`` until ``release()``."""

    def __init__(self, cpus: set[int], broker_port: int):
        self._given_back: dict[int, set[int]] = {}
        os.sched_setaffinity(0, cpus)
        outside = cpu.broker_pids(broker_port) + cpu.pids_of_user("postgres")
        for tid in (t for pid in outside for t in _threads(pid)):
            try:
                self._given_back[tid] = os.sched_getaffinity(tid)
                os.sched_setaffinity(tid, cpus)
            except ProcessLookupError:  # gone meanwhile: nothing to pin or give back
                self._given_back.pop(tid, None)

    def release(self) -> None:
        for tid, cpus in self._given_back.items():
            with suppress(ProcessLookupError):  # gone: nothing to give back
                os.sched_setaffinity(tid, cpus)


def _threads(pid: int) -> list[int]:
    try:
        return [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
    except FileNotFoundError:
        return []
