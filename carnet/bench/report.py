"""The table on stdout and the JSON file under bench/results/."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "note": "shared machine: other test suites may run at the same time",
    }


def write_json(result: dict[str, Any], directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    # the run's size in the name: entries, writes, rows or exported rows, whichever it has
    size = next((result[k] for k in ("entries", "writes", "rows", "size") if k in result), None)
    path = directory / (
        f"{name}-{size}-{stamp}.json" if size is not None else f"{name}-{stamp}.json"
    )
    path.write_text(json.dumps(result, indent=2, default=str))
    return path


def _ms(value: float) -> str:
    return f"{value:9.2f}"


def latency_table(backends: dict[str, Any]) -> list[str]:
    lines = [
        f"{'backend':34} {'length':>6} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} "
        f"{'max ms':>9} {'qps':>8} {'errors':>6}"
    ]
    for name, report in backends.items():
        if "skipped" in report:
            lines.append(f"{name:34} skipped: {report['skipped']}")
            continue
        qps = f"{report['qps']:8.0f}" if "qps" in report else f"{'':8}"
        lines.append(
            f"{name:34} {'all':>6} {report['count']:6d} {_ms(report['p50_ms'])} "
            f"{_ms(report['p95_ms'])} {_ms(report['p99_ms'])} {_ms(report['max_ms'])} "
            f"{qps} {report.get('errors', 0):6d}"
        )
        for bucket, part in report["by_length"].items():
            lines.append(
                f"{'':34} {bucket:>6} {part['count']:6d} {_ms(part['p50_ms'])} "
                f"{_ms(part['p95_ms'])} {_ms(part['p99_ms'])} {_ms(part['max_ms'])}"
            )
        if "note" in report:
            lines.append(f"{'':34} note: {report['note']}")
    return lines


def targets_table(targets: dict[str, dict[str, Any]]) -> list[str]:
    lines = [f"{'target':30} {'measured':>12} {'target':>10}  met"]
    for name, check in targets.items():
        lines.append(
            f"{name:30} {check['measured']:12.2f} {check['target']:10.1f}  "
            f"{'yes' if check['met'] else 'NO'}"
        )
    return lines


def families_table(families: dict[str, dict[str, Any]]) -> list[str]:
    """recall@10 per query family and backend, and Carnet's latency per family."""
    names = list(families)
    lines = [
        "recall@10 per query family; Carnet's p99 per family (wall clock, and CPU time)",
        f"{'family':18} " + " ".join(f"{n[:24]:>24}" for n in names) + "  p99 ms  CPU p99 ms",
    ]
    carnet = families.get("carnet_sqlite", {})
    for family in carnet:
        cells = []
        for name in names:
            part = families[name].get(family, {})
            value = part.get("recall_at_10")
            cells.append(f"{value:24.3f}" if value is not None else f"{'-':>24}")
        p99, cpu = carnet[family].get("p99_ms"), carnet[family].get("cpu_p99_ms")
        times = f"  {p99:6.2f}  {cpu:10.2f}" if p99 is not None and cpu is not None else ""
        lines.append(f"{family:18} " + " ".join(cells) + times)
    return lines
