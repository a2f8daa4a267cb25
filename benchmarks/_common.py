"""Shared shapes and helpers for the benchmarks.

Every benchmark module exposes ``run(size) -> dict`` with ``size`` in
``{"smoke", "full"}``. The runner understands the shape built here:

``{"name": str, "size": str, "rows": [Row, ...], "series": {label: [[t, v], ...]},
"notes": [str, ...]}``

A *row* compares partstream with its peer measured in the same run: the value
is the median of several rounds, and ``ratio`` is ``value / peer_value`` for
higher-is-better metrics (throughput) and ``peer_value / value`` for
lower-is-better ones (latency, memory), so a ratio above 1 always means
"partstream is better".
"""

from __future__ import annotations

import math
import statistics
from typing import Any, Literal, TypedDict

Size = Literal["smoke", "full"]
SIZES: tuple[Size, ...] = ("smoke", "full")
BACKENDS: tuple[str, ...] = ("asyncio", "trio")


class Row(TypedDict, total=False):
    variant: str
    backend: str
    metric: str
    value: float
    peer: str
    peer_value: float | None
    ratio: float | None
    target: str
    met: bool | None
    higher_is_better: bool


def check_size(size: str) -> Size:
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, not {size!r}")
    return "smoke" if size == "smoke" else "full"


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


def row(
    *,
    variant: str,
    backend: str,
    metric: str,
    value: float,
    peer: str = "",
    peer_value: float | None = None,
    target: str = "",
    min_ratio: float | None = None,
    max_value: float | None = None,
    min_value: float | None = None,
    higher_is_better: bool = True,
) -> Row:
    """A comparison row; ``met`` checks ``min_ratio`` / ``max_value`` / ``min_value`` if given."""
    ratio: float | None = None
    if peer_value is not None and value > 0 and peer_value > 0:
        ratio = value / peer_value if higher_is_better else peer_value / value
    met: bool | None = None
    checks: list[bool] = []
    if min_ratio is not None:
        checks.append(ratio is not None and ratio >= min_ratio)
    if max_value is not None:
        checks.append(value <= max_value)
    if min_value is not None:
        checks.append(value >= min_value)
    if checks:
        met = all(checks)
    return Row(
        variant=variant,
        backend=backend,
        metric=metric,
        value=value,
        peer=peer,
        peer_value=peer_value,
        ratio=ratio,
        target=target,
        met=met,
        higher_is_better=higher_is_better,
    )


def result(
    name: str,
    size: Size,
    rows: list[Row],
    *,
    series: dict[str, list[list[float]]] | None = None,
    notes: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "size": size,
        "rows": [dict(r) for r in rows],
        "series": series or {},
        "notes": notes or [],
    }
    if extra:
        out.update(extra)
    return out
