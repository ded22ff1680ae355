"""Where a process's CPU time goes: the Python stack sampled every 2 ms of CPU it spends.

``ITIMER_PROF`` counts the process's own CPU time (user and system), so a sample is taken only
while it runs: a process waiting for a core, for the database or for the broker is never
sampled, unlike with a wall-clock sampler (py-spy), which weighs the points where a process
wakes up. Time in C (psycopg2, a socket's send) counts for the Python frame that called it.

Driven by signals from the bench: ``SIGUSR2`` forgets what was sampled (a measurement
begins), ``SIGUSR1`` writes the samples to ``<dir>/<pid>.stacks``, one ``frame;frame;... count``
line per distinct stack, outermost frame first (what flame-graph tools read).
"""

import collections
import os
import signal
from pathlib import Path
from types import FrameType

INTERVAL_S = 0.002
_samples: collections.Counter[tuple[str, ...]] = collections.Counter()
_busy = False


def install(directory: str) -> None:
    out = Path(directory)
    signal.signal(signal.SIGUSR2, lambda *_: _samples.clear())
    signal.signal(signal.SIGUSR1, lambda *_: _dump(out / f"{os.getpid()}.stacks"))
    signal.signal(signal.SIGPROF, _sample)
    signal.setitimer(signal.ITIMER_PROF, INTERVAL_S, INTERVAL_S)
    (out / f"{os.getpid()}.armed").touch()  # the bench signals only processes that sample


def _sample(_signum: int, frame: FrameType | None) -> None:
    global _busy
    if _busy:  # a signal while the last sample or a dump is being taken
        return
    _busy = True
    try:
        stack = []
        while frame is not None:
            code = frame.f_code
            where = code.co_filename.rpartition("site-packages/")[2]
            stack.append(f"{code.co_qualname} ({where}:{frame.f_lineno})")
            frame = frame.f_back
        _samples[tuple(reversed(stack))] += 1
    finally:
        _busy = False


def _dump(path: Path) -> None:
    global _busy
    _busy = True
    try:
        partial = path.with_suffix(".partial")
        partial.write_text("".join(f"{';'.join(s)} {n}\n" for s, n in _samples.items()))
        partial.rename(path)  # the bench waits for the whole file
    finally:
        _busy = False
