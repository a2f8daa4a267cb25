"""A few Autobahn|Testsuite cases through ``tests/autobahn/run.py``, so the driver never rots.

The whole suite (517 cases, about ten minutes per backend) runs with
``python3 tasks.py autobahn``; here one case of each family, compressed ones
included, on both backends. The verdicts come from kosoku's fuzzing server.
"""

from __future__ import annotations

import pytest
from tests.autobahn.run import run_backend

CASES = ["1.1.1", "2.10", "3.2", "5.6", "6.2.3", "6.3.1", "7.5.1", "12.1.1", "13.2.1"]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_autobahn_cases_pass(backend: str) -> None:
    tally = run_backend(backend, CASES, report=False)
    assert tally["cases"] == len(CASES)
    counts = tally["counts"]
    assert counts["FAILED"] == 0, tally["not_passed"]
    assert counts["UNIMPLEMENTED"] == 0, tally["not_passed"]  # compression was negotiated
    assert not tally["other"], tally
    # 3.2 (a reserved bit after a message) is NON-STRICT for this client; the rest are OK.
    assert counts["OK"] + counts["NON-STRICT"] == len(CASES)
    assert counts["OK"] >= len(CASES) - 1
