"""(d) Our UI message streams, read by the reference's own client in Node.

``DefaultChatTransport`` parses the bytes with the reference's chunk schema and
``readUIMessageStream`` assembles the assistant message (it refuses a delta or end
of a part that was never started, so every start must have its end and the ids
must agree). For every stream of the matrix the message the reference builds from
our bytes must equal the one it builds from its own; well-formed streams (what the
Interactions transform produces) must read without any error into a message the
reference's ``validateUIMessages`` accepts, every text and reasoning part done.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.ui._matrix import MATRIX
from tests.ui._reference import make_case, renumber, run_client, run_python, run_reference
from tests.ui._strategies import transform_parts

from partstream.errors import InvalidArgumentError
from partstream.testing import interactions_streams, ui_message_chunks
from partstream.ui import UIMessageChunk, chunk_from_dict


@pytest.mark.parametrize("index", range(len(MATRIX)), ids=[name for name, _ in MATRIX])
def test_the_reference_client_reads_our_bytes_as_its_own(
    index: int, client_matrix: dict[str, list[dict[str, Any]]]
) -> None:
    ours, theirs = client_matrix["ours"][index], client_matrix["theirs"][index]
    assert renumber(ours["message"]) == renumber(theirs["message"])
    assert renumber(ours["errors"]) == renumber(theirs["errors"])
    assert renumber(ours["chunks"]) == renumber(theirs["chunks"])
    assert ours["valid"] == theirs["valid"]


def _done(message: dict[str, Any]) -> bool:
    return all(
        part.get("state") == "done"
        for part in message["parts"]
        if part["type"] in ("text", "reasoning")
    ) and all(
        part.get("state") != "input-streaming"
        for part in message["parts"]
        if part["type"].startswith("tool-") or part["type"] == "dynamic-tool"
    )


def test_conformance_streams_read_cleanly(client_matrix: dict[str, list[dict[str, Any]]]) -> None:
    # Streams the reference itself reads without an error (one recorded stream has a
    # tool result whose id matches no call: both readers refuse it, see above).
    checked = 0
    for (name, case), read, own in zip(
        MATRIX, client_matrix["ours"], client_matrix["theirs"], strict=True
    ):
        if name.startswith("corner-") or case.get("throwAfter") or own["errors"]:
            continue  # errors on purpose, or in the reference's own reading
        assert read["errors"] == [], name
        if read["message"] is None:
            continue  # nothing to show (sources that are not sent): no snapshot
        assert read["valid"] is True, name
        assert _done(read["message"]), name
        checked += 1
    assert checked > 100


def test_generated_well_formed_streams_read_cleanly() -> None:
    # What the Interactions transform makes of well-formed event streams: the
    # reference client reads our bytes as it reads the reference's own, and where
    # it reads its own without an error, ours read cleanly into a valid message.
    cases: list[dict[str, Any]] = []

    @settings(max_examples=120, deadline=None, database=None)
    @given(interactions_streams(), st.booleans())
    def collect(stream: Any, sources: bool) -> None:
        parts = [part.to_dict() for part in transform_parts(stream.events)]
        cases.append(make_case(parts, options={"sendSources": sources}))

    collect()
    ours = [run_python(case) for case in cases]
    for result in ours:
        for chunk in result["chunks"]:
            chunk_from_dict(chunk)  # strict shapes: no key the schema does not declare
    theirs = [result["sse"] for result in run_reference(cases)]
    reads = run_client([o["sse"] for o in ours] + theirs)
    clean = 0
    for case, read, own in zip(cases, reads[: len(cases)], reads[len(cases) :], strict=True):
        detail = json.dumps(case)[:2000]
        assert renumber(read["message"]) == renumber(own["message"]), detail
        assert read["errors"] == own["errors"], detail
        if own["errors"] or read["message"] is None:
            continue
        assert read["valid"] is True, detail
        assert _done(read["message"]), detail
        clean += 1
    # Not all: a built-in tool step with an empty id gets generated ids for its call
    # and its result (as in the reference's transform), which no reader can match.
    assert clean > len(cases) // 3


def _mutations(data: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key in list(data):
        if key == "type":
            continue
        dropped = dict(data)
        del dropped[key]
        out.append(dropped)
        values: tuple[Any, ...] = (None, 1, "x", True, [], {})
        for value in values:
            changed = copy.deepcopy(data)
            changed[key] = value
            out.append(changed)
    out.append({**data, "unknownKey": 1})
    out.append({**data, "type": data["type"] + "x"})
    return out


def test_the_chunk_schema_accepts_and_refuses_what_the_reference_does() -> None:
    # Generated chunks and mutations of them (a key dropped, a value of another
    # type, an unknown key, an unknown type): chunk_from_dict(strict=False) must
    # accept exactly what the reference's chunk schema accepts.
    chunks: list[UIMessageChunk] = []

    @settings(max_examples=60, deadline=None, database=None)
    @given(ui_message_chunks())
    def collect(chunk: UIMessageChunk) -> None:
        chunks.append(chunk)

    collect()
    candidates = [c.to_dict() for c in chunks]
    candidates += [m for c in candidates for m in _mutations(c)]
    frames = [b"data: " + json.dumps(c).encode() + b"\n\n" for c in candidates]
    reads = run_client([frame.decode() for frame in frames])
    accepted = 0
    for data, read in zip(candidates, reads, strict=True):
        theirs = not any(error.startswith("chunks:") for error in read["errors"])
        try:
            chunk_from_dict(data, strict=False)
            ours = True
        except InvalidArgumentError:
            ours = False
        assert ours == theirs, (data, read["errors"])
        accepted += ours
    assert 0 < accepted < len(candidates)
