"""Run the benchmarks: ``python -m benchmarks [names...] [--size smoke|full] [--json F] [--png F]``.

Every registered benchmark is a module ``benchmarks.bench_<name>`` with
``run(size) -> dict`` (see ``benchmarks/_common.py`` for the result shape). A
module that is not there yet is listed as missing and skipped. The runner
prints one table (benchmark, variant, backend, metric, partstream, peer, ratio,
target, met?), and can write the results as JSON and a PNG chart of the
throughput ratios and of the RSS-over-time series.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.util
import json
import math
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from ._common import SIZES

#: name -> module, in the order they run; any other ``bench_*.py`` found is appended.
REGISTRY: dict[str, str] = {
    "pipeline": "benchmarks.bench_pipeline",
    "decoder": "benchmarks.bench_decoder",
    "codec": "benchmarks.bench_codec",
    "stream": "benchmarks.bench_stream",
    "websocket": "benchmarks.bench_websocket",
    "realtime": "benchmarks.bench_realtime",
    "memory": "benchmarks.bench_memory",
    "concurrency": "benchmarks.bench_concurrency",
    "latency": "benchmarks.bench_latency",
    "ui": "benchmarks.bench_ui",
    "resumable": "benchmarks.bench_resumable",
    "chat": "benchmarks.bench_chat",
}

for _path in sorted(Path(__file__).parent.glob("bench_*.py")):
    REGISTRY.setdefault(_path.stem.removeprefix("bench_"), f"benchmarks.{_path.stem}")

COLUMNS = (
    "benchmark",
    "variant",
    "backend",
    "metric",
    "partstream",
    "peer",
    "peer value",
    "ratio",
    "target",
    "met?",
)


def available() -> dict[str, str]:
    """The registered benchmarks whose module exists."""
    return {
        name: module
        for name, module in REGISTRY.items()
        if importlib.util.find_spec(module) is not None
    }


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def normalize(name: str, raw: Any) -> dict[str, Any]:
    """Bring a benchmark's result into the common shape, tolerating near variants."""
    if not isinstance(raw, dict):
        raise TypeError(f"benchmark {name!r} returned {type(raw).__name__}, not a dict")
    rows_in = raw.get("rows", raw.get("results", []))
    rows: list[dict[str, Any]] = []
    for r in rows_in if isinstance(rows_in, list) else []:
        if not isinstance(r, dict):
            continue
        value = _float(r.get("value", r.get("partstream")))
        peer_value = _float(r.get("peer_value"))
        ratio = _float(r.get("ratio"))
        higher = bool(r.get("higher_is_better", True))
        if (
            ratio is None
            and value is not None
            and peer_value is not None
            and value > 0 < peer_value
        ):
            ratio = value / peer_value if higher else peer_value / value
        met = r.get("met")
        rows.append(
            {
                "variant": str(r.get("variant", "")),
                "backend": str(r.get("backend", "-")),
                "metric": str(r.get("metric", "")),
                "value": value,
                "peer": str(r.get("peer", "") or ""),
                "peer_value": peer_value,
                "ratio": ratio,
                "target": str(r.get("target", "") or ""),
                "met": met if isinstance(met, bool) else None,
                "higher_is_better": higher,
            }
        )
    series = raw.get("series", {})
    notes = raw.get("notes", [])
    out = dict(raw)
    out.update(
        name=str(raw.get("name", name)),
        rows=rows,
        series=series if isinstance(series, dict) else {},
        notes=[str(n) for n in notes] if isinstance(notes, list) else [str(notes)],
    )
    return out


def run_one(name: str, module: str, size: str) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        mod = importlib.import_module(module)
        res = normalize(name, mod.run(size))
    except Exception as exc:
        traceback.print_exc()
        res = {"name": name, "rows": [], "series": {}, "notes": [], "error": repr(exc)}
    res["seconds"] = round(time.perf_counter() - start, 2)
    return res


# -- reporting --------------------------------------------------------------------------


def fmt_value(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    magnitude = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{value / limit:.2f}{suffix}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def table_rows(results: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for res in results:
        if res.get("error"):
            error = "ERROR: " + res["error"]
            error = error if len(error) <= 100 else error[:97] + "..."
            out.append((res["name"], error, *[""] * (len(COLUMNS) - 2)))
            continue
        for r in res["rows"]:
            met = r["met"]
            out.append(
                (
                    res["name"],
                    r["variant"],
                    r["backend"],
                    r["metric"],
                    fmt_value(r["value"]),
                    r["peer"] or "-",
                    fmt_value(r["peer_value"]),
                    "-" if r["ratio"] is None else f"{r['ratio']:.2f}x",
                    r["target"] or "-",
                    "-" if met is None else ("yes" if met else "NO"),
                )
            )
    return out


def render_table(results: list[dict[str, Any]]) -> str:
    rows = [COLUMNS, *table_rows(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    numeric = {4, 6, 7}
    lines = []
    for n, r in enumerate(rows):
        cells = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(results: list[dict[str, Any]]) -> str:
    rows = table_rows(results)
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }
    try:
        import psutil

        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except Exception:
        pass
    return info


def write_png(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratios = [
        (f"{res['name']}: {r['variant']} [{r['backend']}] {r['metric']}", r["ratio"], r["met"])
        for res in results
        for r in res["rows"]
        if r["ratio"] is not None
    ]
    series = [
        (f"{res['name']}: {label}", points)
        for res in results
        for label, points in res.get("series", {}).items()
        if points
    ]
    bars_height = 1.0 + 0.17 * max(len(ratios), 4)
    fig, axes = plt.subplots(
        2,
        1,
        figsize=(12, bars_height + 5),
        squeeze=False,
        gridspec_kw={"height_ratios": [bars_height, 4]},
    )
    ax = axes[0][0]
    if ratios:
        labels = [r[0] for r in ratios]
        values = [r[1] for r in ratios]
        colors = [
            "tab:green" if met else ("tab:red" if met is False else "tab:gray")
            for _, _, met in ratios
        ]
        ax.barh(range(len(values)), values, color=colors)
        ax.set_yticks(range(len(values)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("partstream vs peer (x, > 1 is better; green = target met)")
    ax.set_title("Throughput / latency / memory ratios (same run)")
    ax = axes[1][0]
    for label, points in series:
        ax.plot([p[0] for p in points], [p[1] for p in points], label=label)
    ax.set_xlabel("seconds")
    ax.set_ylabel("client RSS (MiB)")
    ax.set_title("Client RSS over time, stalled consumer")
    if series:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default: all): {', '.join(REGISTRY)}"
    )
    parser.add_argument("--size", choices=SIZES, default="full")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--png", type=Path, help="write a chart of ratios and RSS here")
    parser.add_argument("--markdown", type=Path, help="write the table as Markdown here")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)

    present = available()
    if args.list:
        for name, module in REGISTRY.items():
            print(f"{name:<12} {module}{'' if name in present else '  (missing)'}")
        return 0
    unknown = [n for n in args.names if n not in REGISTRY]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    names = args.names or list(REGISTRY)
    started = datetime.datetime.now(datetime.UTC)
    results: list[dict[str, Any]] = []
    for name in names:
        if name not in present:
            print(f"-- {name}: {REGISTRY[name]} is not there yet, skipped", flush=True)
            continue
        print(f"-- {name} ({args.size}) ...", flush=True)
        res = run_one(name, present[name], args.size)
        print(f"   {res['seconds']} s", flush=True)
        results.append(res)

    print()
    print(render_table(results))
    for res in results:
        for note in res.get("notes", []):
            print(f"note [{res['name']}]: {note}")
    report = {
        "date": started.isoformat(timespec="seconds"),
        "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
        "size": args.size,
        "machine": machine(),
        "results": results,
    }
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    if args.markdown:
        args.markdown.write_text(render_markdown(results) + "\n")
        print(f"wrote {args.markdown}")
    if args.png:
        write_png(results, args.png)
        print(f"wrote {args.png}")
    return 1 if any(res.get("error") for res in results) else 0


if __name__ == "__main__":
    sys.exit(main())
