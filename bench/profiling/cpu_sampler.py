"""Where a process's CPU time goes: its Python stack, sampled every 2 ms of CPU it spends.

``ITIMER_PROF`` counts the process's own CPU time (user and system), so a sample is taken only
while it runs: a process waiting for a core, for the database or for the broker is never
sampled, unlike with a wall-clock sampler (py-spy), which weighs the points where a process
wakes up. Time in C (psycopg2, a socket's send) counts for the Python frame that called it.
Python runs the handler between two bytecodes, so a long C call delays it and signals arrive
merged: each sample weighs the CPU time spent since the one before, not one interval.

Driven by signals from the bench: ``SIGUSR2`` forgets what was sampled (a measurement
begins), ``SIGUSR1`` writes it to ``<dir>/<pid>.stacks``, one ``frame;frame;... seconds`` line
per distinct stack, outermost frame first (what flame-graph tools read). A handler never
raises: it runs inside whatever the process was doing.
"""

import collections
import os
import signal
import time
from pathlib import Path
from types import FrameType

INTERVAL_S = 0.002
_seconds: collections.Counter[tuple[str, ...]] = collections.Counter()
_last = time.process_time()
_busy = False


def install(directory: str) -> None:
    out = Path(directory)
    signal.signal(signal.SIGUSR2, _guarded(_forget, always=True))
    dump = _guarded(lambda _: _dump(out / f"{os.getpid()}.stacks"), always=True)
    signal.signal(signal.SIGUSR1, dump)
    signal.signal(signal.SIGPROF, _guarded(_sample, always=False))
    signal.setitimer(signal.ITIMER_PROF, INTERVAL_S, INTERVAL_S)
    (out / f"{os.getpid()}.armed").touch()  # the bench signals only processes that sample


def _guarded(step, always: bool):
    """``step`` as a signal handler that never raises into the code it interrupted. A sample
    is skipped while another handler runs (handlers can interrupt one another); the bench's
    requests (``always``) never are."""

    def handler(_signum: int, frame: FrameType | None) -> None:
        global _busy
        if _busy and not always:
            return
        was_busy, _busy = _busy, True
        try:
            step(frame)
        except Exception as error:
            os.write(2, f"cpu_sampler: {error!r}\n".encode())  # print() may not re-enter
        finally:
            _busy = was_busy

    return handler


def _forget(_frame: FrameType | None) -> None:
    global _last
    _seconds.clear()
    _last = time.process_time()


def _sample(frame: FrameType | None) -> None:
    global _last
    now = time.process_time()
    spent, _last = now - _last, now
    stack = []
    while frame is not None:
        code = frame.f_code
        where = code.co_filename.rpartition("site-packages/")[2]
        stack.append(f"{code.co_qualname} ({where}:{frame.f_lineno})")
        frame = frame.f_back
    _seconds[tuple(reversed(stack))] += spent


def _dump(path: Path) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text("".join(f"{';'.join(s)} {t:.6f}\n" for s, t in _seconds.items()))
    partial.rename(path)  # the bench waits for the whole file
