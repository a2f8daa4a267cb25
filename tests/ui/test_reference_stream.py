"""(a) Parts -> UI chunks -> SSE bytes, against the reference in Node, chunk for chunk.

The matrix: every stream of parts the conformance cases recorded (the reference's
own Google Interactions output), under several option sets, plus hand-made
sequences for the corners (repeated ids, parts never started, invalid tool calls,
provider tool errors, approvals, files, sources, escapes), plus hypothesis batches
of what the Interactions transform produces and of arbitrary part sequences. The
reference runs all of a batch in one Node process (``ui_stream.mjs``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.ui._matrix import MATRIX, VARIANTS, conformance_streams
from tests.ui._reference import make_case, normalise, run_python, run_reference
from tests.ui._strategies import part_sequences

from partstream.ui import UI_MESSAGE_STREAM_HEADERS


@pytest.fixture
def reference(reference_matrix: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return reference_matrix


def _assert_same(case: Mapping[str, Any], node: Mapping[str, Any]) -> None:
    assert "error" not in node, node.get("error")
    ours, theirs = normalise(run_python(case)), normalise(node)
    assert ours["chunks"] == theirs["chunks"]
    assert ours["sse"] == theirs["sse"]  # byte for byte (after the id renumbering)


@pytest.mark.parametrize("index", range(len(MATRIX)), ids=[name for name, _ in MATRIX])
def test_matches_the_reference(index: int, reference: list[dict[str, Any]]) -> None:
    _assert_same(MATRIX[index][1], reference[index])


def test_matrix_covers_every_conformance_stream(reference: list[dict[str, Any]]) -> None:
    assert len(conformance_streams()) >= 30
    assert len(reference) == len(MATRIX)
    kinds = {chunk["type"] for r in reference for chunk in r["chunks"]}
    # The matrix exercises (almost) every chunk type the conversion can make.
    assert kinds >= {
        "start", "start-step", "finish-step", "finish", "error", "message-metadata",
        "text-start", "text-delta", "text-end", "reasoning-start", "reasoning-delta",
        "reasoning-end", "tool-input-start", "tool-input-delta", "tool-input-available",
        "tool-input-error", "tool-output-available", "tool-output-error",
        "tool-approval-request", "source-url", "source-document", "file", "reasoning-file",
        "custom",
    }  # fmt: skip
    assert {k.lower(): v for k, v in reference[0]["headers"].items()} == UI_MESSAGE_STREAM_HEADERS


_VARIANT_NAMES = st.sampled_from([name for name, _ in VARIANTS])
#: Generated sequences compared per run (all in one Node process).
GENERATED = 150


def test_generated_sequences_match_the_reference() -> None:
    # Hypothesis generates the batch (one Node run compares all of it); a mismatch
    # prints the case as JSON for a reproduction.
    variants = dict(VARIANTS)
    cases: list[dict[str, Any]] = []

    @settings(max_examples=GENERATED, deadline=None, database=None)
    @given(part_sequences(), _VARIANT_NAMES)
    def collect(parts: list[Any], name: str) -> None:
        dicts = [part.to_dict() for part in parts]
        cases.append(make_case(dicts, **variants[name](dicts)))

    collect()
    for case, node in zip(cases, run_reference(cases), strict=True):
        try:
            _assert_same(case, node)
        except AssertionError:
            print(json.dumps(case)[:4000])
            raise
