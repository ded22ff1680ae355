"""CPU seconds spent by each process of the system (and the broker, PostgreSQL, this client and
everything else on the machine) over a measured phase: where the cost of one operation goes."""

import os
import subprocess

TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


def _pids_of_user(user: str) -> list[int]:
    out = subprocess.run(["pgrep", "-u", user], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _machine_busy() -> float:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICK


def snapshot(system) -> dict[str, float]:
    groups = {child.name: [child.proc.pid] for child in system.children}
    groups["bench-client"] = [os.getpid()]
    groups["rabbitmq"] = _pids_of_user("rabbitmq")
    groups["postgres"] = _pids_of_user("postgres")
    cpu = {name: sum(_proc_cpu(p) for p in pids) for name, pids in groups.items()}
    cpu["machine"] = _machine_busy()
    return cpu


def report_per_op(report, prefix, before, after, ops, elapsed):
    """CPU ms per operation for each process, and how busy the machine was."""
    if not ops:
        return
    ours = 0.0
    for name in before:
        if name == "machine":
            continue
        spent = max(0.0, after.get(name, 0) - before[name])
        ours += spent
        report.metric(f"{prefix}.cpu_ms_per_op.{name}", spent * 1000 / ops, "ms")
    machine = after["machine"] - before["machine"]
    report.metric(
        f"{prefix}.cpu_ms_per_op.other_processes", max(0.0, machine - ours) * 1000 / ops, "ms"
    )
    report.metric(
        f"{prefix}.machine_busy",
        100 * machine / (elapsed * os.cpu_count()),
        "%",
        cpus=os.cpu_count(),
    )
