"""Output: one JSON line per metric (stdout and bench/results/latest.jsonl), then a table."""

import json
import math
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


class Report:
    def __init__(self, path: Path = RESULTS / "latest.jsonl"):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = open(path, "w")
        self.rows: list[dict] = []

    def metric(self, name, value, unit, target=None, op=None, **extra):
        """op: '<=' (value must not exceed target) or '>=' (value must reach it)."""
        value = round(value, 3) if isinstance(value, float) else value
        row = {"metric": name, "value": value, "unit": unit}
        if target is not None:
            ok = value <= target if op == "<=" else value >= target
            row.update(target=target, target_op=op, ok=bool(ok))
        row.update(extra)
        line = json.dumps(row)
        print(line, flush=True)
        self._file.write(line + "\n")
        self._file.flush()
        self.rows.append(row)
        return row

    def latency(self, prefix, samples_ms, p50_target=None, p99_target=None):
        """p50/p99 (and count) of samples in milliseconds."""
        self.metric(
            f"{prefix}.p50",
            percentile(samples_ms, 50),
            "ms",
            p50_target,
            "<=" if p50_target is not None else None,
        )
        self.metric(
            f"{prefix}.p99",
            percentile(samples_ms, 99),
            "ms",
            p99_target,
            "<=" if p99_target is not None else None,
        )
        self.metric(f"{prefix}.samples", len(samples_ms), "count")

    def close(self):
        self._file.close()

    def table(self) -> str:
        if not self.rows:
            return "(no metrics)"
        head = ("metric", "value", "unit", "target", "ok")
        body = []
        for r in self.rows:
            target = f"{r['target_op']} {r['target']}" if "target" in r else ""
            ok = ("yes" if r["ok"] else "NO") if "ok" in r else ""
            value = r["value"]
            value = f"{value:,.2f}" if isinstance(value, float) else str(value)
            body.append((r["metric"], value, r["unit"], target, ok))
        widths = [max(len(row[i]) for row in body + [head]) for i in range(len(head))]

        def fmt(row: tuple[str, ...]) -> str:
            return "  ".join(
                cell.rjust(w) if i == 1 else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=False))
            )

        return "\n".join([fmt(head), fmt(tuple("-" * w for w in widths))] + [fmt(r) for r in body])
