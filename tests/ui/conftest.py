"""Reference runs shared by the UI tests: each batch runs once per session in Node."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conformance._harness import SKIP_REASON, load_cases
from tests.ui._matrix import MATRIX
from tests.ui._reference import run_client, run_python, run_reference


@pytest.fixture(scope="session")
def reference_matrix() -> list[dict[str, Any]]:
    """The reference's chunks and SSE bytes for every case of ``MATRIX``."""
    if not load_cases():
        pytest.skip(SKIP_REASON)
    return run_reference([case for _, case in MATRIX])


@pytest.fixture(scope="session")
def client_matrix(reference_matrix: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The reference client's reading of each ``MATRIX`` stream: its own bytes and ours."""
    ours = [run_python(case)["sse"] for _, case in MATRIX]
    theirs = [result["sse"] for result in reference_matrix]
    read = run_client(theirs + ours)
    return {"theirs": read[: len(MATRIX)], "ours": read[len(MATRIX) :]}
