"""Every registered benchmark runs at "smoke" size, so none of them rots.

No timing is asserted (the machine is shared and noisy): only that each one
runs, returns the common result shape, and measured something positive.
Benchmarks whose module has not landed yet are reported as skipped.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from benchmarks import __main__ as runner

ROW_KEYS = {"variant", "backend", "metric", "value", "peer", "peer_value", "ratio", "target", "met"}
THROUGHPUT_UNITS = ("/s",)


@pytest.fixture(scope="module")
def present() -> dict[str, str]:
    return runner.available()


@pytest.mark.parametrize("name", list(runner.REGISTRY))
def test_benchmark_runs_at_smoke_size(name: str, present: dict[str, str]) -> None:
    if name not in present:
        pytest.skip(f"{runner.REGISTRY[name]} has not landed yet")
    res = runner.run_one(name, present[name], "smoke")
    assert "error" not in res, res.get("error")
    assert res["name"] == name
    rows: list[dict[str, Any]] = res["rows"]
    assert rows, "a benchmark must report at least one row"
    for r in rows:
        assert set(r) >= ROW_KEYS, sorted(ROW_KEYS - set(r))
        assert r["metric"]
        assert isinstance(r["value"], float)
        assert math.isfinite(r["value"]), r
        if r["met"] is not None:
            assert isinstance(r["met"], bool)
        if r["ratio"] is not None:
            assert r["ratio"] > 0, r
        if r["metric"].endswith(THROUGHPUT_UNITS):
            assert r["value"] > 0, r
            if r["peer_value"] is not None:
                assert r["peer_value"] > 0, r
    # Every benchmark measures throughput, latency or memory of partstream somewhere.
    assert any(r["value"] != 0 for r in rows)


def test_runner_writes_table_json_and_png(tmp_path: Path) -> None:
    out_json = tmp_path / "out.json"
    out_png = tmp_path / "out.png"
    out_md = tmp_path / "out.md"
    code = runner.main(
        [
            "pipeline",
            "--size",
            "smoke",
            "--json",
            str(out_json),
            "--png",
            str(out_png),
            "--markdown",
            str(out_md),
        ]
    )
    assert code == 0
    report = json.loads(out_json.read_text())
    assert report["size"] == "smoke"
    assert report["machine"]["cores"] >= 1
    assert [r["name"] for r in report["results"]] == ["pipeline"]
    assert report["results"][0]["rows"][0]["value"] > 0
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| pipeline |" in out_md.read_text()


def test_normalize_computes_ratio_direction() -> None:
    res = runner.normalize(
        "x",
        {
            "rows": [
                {"variant": "a", "metric": "items/s", "value": 10.0, "peer_value": 5.0},
                {
                    "variant": "b",
                    "metric": "latency",
                    "value": 2.0,
                    "peer_value": 4.0,
                    "higher_is_better": False,
                },
                {"variant": "c", "metric": "MiB", "value": -1.0, "peer_value": 4.0},
            ]
        },
    )
    assert [r["ratio"] for r in res["rows"]] == [2.0, 2.0, None]


def test_unknown_benchmark_is_refused() -> None:
    with pytest.raises(SystemExit):
        runner.main(["no-such-benchmark", "--size", "smoke"])
