"""``--profile``: where each process's CPU time goes while a part measures.

The services and the gateway sample their own stacks every 2 ms of CPU they spend
(``profiling/cpu_sampler.py``, loaded through ``profiling/sitecustomize.py`` on their
PYTHONPATH). A part calls ``start`` as its measurement begins and ``stop`` as it ends; each
process's samples are then written to ``bench/results/profile/<part>.<process>.stacks``
(collapsed stacks, for a flame graph) and summarised in ``<part>.txt``: the share of the
process's CPU per layer (the leaf frame's library) and its own functions that cost the most,
everything they called included.
"""

import collections
import os
import signal
import time
from pathlib import Path

from report import RESULTS

HERE = Path(__file__).resolve().parent
DIRECTORY = RESULTS / "profile"
# The library a sample's innermost frame belongs to, first match wins. psycopg2's C code runs
# inside SQLAlchemy's ``do_execute`` frame and eventlet's wait callback: the round trips.
LAYERS = (
    ("psycopg2 (statements sent, answers read)", ("do_execute ", "do_executemany ", "psycopg2")),
    ("SQLAlchemy", ("sqlalchemy",)),
    ("nameko, kombu, amqp", ("nameko/", "kombu/", "amqp/", "vine/")),
    ("eventlet (green threads, sockets)", ("eventlet/", "greenlet")),
    (
        "marshmallow, Flask, webargs (schemas, HTTP)",
        ("flask/", "werkzeug/", "webargs/", "flask_smorest/", "marshmallow/", "apispec/"),
    ),
    ("JSON", ("/json/", "simplejson")),
    ("ours", ("/libs/", "/services/", "/gateway/")),
)
OURS = ("/libs/", "/services/", "/gateway/")
TOP = 12


class Profiler:
    """Does nothing unless enabled (``--profile``)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        if enabled:
            DIRECTORY.mkdir(parents=True, exist_ok=True)
            self.close()  # an earlier run's markers name processes long gone

    def env(self) -> dict[str, str]:
        """What the system's processes need in their environment to sample themselves."""
        if not self.enabled:
            return {}
        path = os.pathsep.join(
            p for p in (str(HERE / "profiling"), os.environ.get("PYTHONPATH")) if p
        )
        return {"BENCH_PROFILE_DIR": str(DIRECTORY), "PYTHONPATH": path}

    def start(self, system) -> None:
        """Forget what each process sampled so far: the measurement begins."""
        for child in self._sampling(system):
            child.proc.send_signal(signal.SIGUSR2)

    def stop(self, system, part: str) -> None:
        """Collect each process's samples since ``start``, write them and their summary."""
        if not self.enabled:
            return
        summaries = []
        for child in self._sampling(system):
            dumped = DIRECTORY / f"{child.proc.pid}.stacks"
            dumped.unlink(missing_ok=True)
            child.proc.send_signal(signal.SIGUSR1)
            deadline = time.monotonic() + 10
            while not dumped.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            if not dumped.exists():  # its stderr says why; the part's figures still count
                summaries.append(f"{child.name}: wrote no samples")
                continue
            kept = DIRECTORY / f"{part}.{child.name.replace('#', '_')}.stacks"
            dumped.replace(kept)
            summaries.append(summarise(child.name, kept.read_text()))
        text = "\n\n".join(summaries) + "\n"
        (DIRECTORY / f"{part}.txt").write_text(text)
        print(f"bench: where each process's CPU went during {part}:\n{text}", flush=True)

    def close(self) -> None:
        """Forget which processes sample: their pids mean nothing after the run."""
        for marker in DIRECTORY.glob("*.armed"):
            marker.unlink()

    def _sampling(self, system):
        if not self.enabled or system is None:
            return []
        return [c for c in system.children if (DIRECTORY / f"{c.proc.pid}.armed").exists()]


def summarise(name: str, stacks: str) -> str:
    layers: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0.0
    for line in stacks.splitlines():
        stack, _, seconds = line.rpartition(" ")
        frames, n = stack.split(";"), float(seconds)
        total += n
        layers[_layer(frames[-1])] += n
        for function in {_function(f) for f in frames if any(o in f for o in OURS)}:
            inclusive[function] += n
    if not total:
        return f"{name}: no samples"
    lines = [f"{name}: {total:.1f} s of CPU sampled", "  by layer:"]
    lines += [f"    {_share(n, total)}  {layer}" for layer, n in layers.most_common()]
    lines.append("  its own functions, with what they call:")
    lines += [f"    {_share(n, total)}  {f}" for f, n in inclusive.most_common(TOP)]
    return "\n".join(lines)


def _share(part: float, total: float) -> str:
    return f"{100 * part / total:4.1f}%"


def _layer(frame: str) -> str:
    for layer, marks in LAYERS:
        if any(mark in frame for mark in marks):
            return layer
    return "other (the standard library, ...)"


def _function(frame: str) -> str:
    """``qualname (path:line)`` as ``qualname (path)``, the path from the project's root."""
    qualname, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    for root in OURS:
        if root in path:
            path = root.strip("/") + "/" + path.split(root, 1)[1]
            break
    return f"{qualname} ({path})"
