"""Recorded AI SDK unit cases for the response side, run through our codec functions.

Covers ``stream__transform__*`` (the transform fed with parse results),
``stream__sources__*``, ``stream__finish-reason__*`` and ``generate__parse-outputs__*``.
Each output must equal the case's ``reference_output`` exactly and satisfy every
``expected`` check. The language-model cases are run end to end elsewhere; their
transform/generate parts are checked directly in ``test_transform_fixtures.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.conformance import _harness as h
from tests.conformance.known_failures import KNOWN_FAILURES as ALL_KNOWN_FAILURES

from partstream import parts
from partstream.codecs.interactions import (
    InteractionsStreamTransform,
    Parsed,
    annotation_to_source,
    annotations_to_sources,
    builtin_tool_result_to_sources,
    map_finish_reason,
    parse_outputs,
)

PREFIXES = (
    "stream__transform__",
    "stream__sources__",
    "stream__finish-reason__",
    "generate__parse-outputs__",
)
CASES = h.load_cases(*PREFIXES)

#: Cases that cannot pass, with the reason. Every case listed here must fail.
KNOWN_FAILURES: dict[str, str] = ALL_KNOWN_FAILURES["units"]

pytestmark = pytest.mark.skipif(h.conformance_dir() is None, reason=h.SKIP_REASON)


def _call(function: str, args: dict[str, Any]) -> Any:
    generate_id: Callable[[], str] = args.get("generateId") or (lambda: "unused")
    if function == "mapGoogleInteractionsFinishReason":
        return map_finish_reason(args.get("status"), has_function_call=args["hasFunctionCall"])
    if function == "annotationToSource":
        return annotation_to_source(args["annotation"], generate_id)
    if function == "annotationsToSources":
        return annotations_to_sources(args.get("annotations"), generate_id)
    if function == "builtinToolResultToSources":
        return builtin_tool_result_to_sources(args["block"], generate_id)
    if function == "parseGoogleInteractionsOutputs":
        return parse_outputs(
            args.get("steps"), generate_id=generate_id, interaction_id=args.get("interactionId")
        )
    raise AssertionError(f"no binding for {function}")


def observe(case: h.Case) -> dict[str, Any]:
    """Run a unit case through our functions; the plain-JSON observation."""
    generate_id = h.make_generate_id(case.harness.get("generateId"))
    if case.input.get("entry") == "buildGoogleInteractionsStreamTransform":
        options = case.options
        transform = InteractionsStreamTransform(
            warnings=[parts.warning_from_dict(w) for w in options.get("warnings", [])],
            generate_id=generate_id,
            include_raw_chunks=bool(options.get("includeRawChunks")),
        )
        out = transform.start()
        for event in case.input["events"]:
            out += transform.feed(Parsed(value=event, raw=event))
        out += transform.finish()
        return {"parts": h.to_json(out)}
    results = []
    for call in case.input["calls"]:
        (args,) = h.decode_markers(call["args"], generate_id)
        results.append(h.to_json(_call(call["function"], args)))
    return {"result": results[0]} if len(results) == 1 else {"results": results}


def _problems(case: h.Case) -> list[str]:
    observation = observe(case)
    reference = case.reference_output
    assert reference is not None
    problems = []
    for key, expected in reference.items():
        if not h.json_equal(observation.get(key, h.UNDEFINED), expected):
            problems.append(f"{key} differs:\n  ours: {observation.get(key)}\n  ref:  {expected}")
    problems += h.failed_checks(case.expected, observation)
    return problems


def test_the_case_set_is_complete() -> None:
    # 5 transform + 13 sources + 7 finish-reason + 13 parse-outputs cases.
    assert len(CASES) == 38
    assert set(KNOWN_FAILURES) <= {c.slug for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.slug for c in CASES])
def test_case(case: h.Case) -> None:
    problems = _problems(case)
    if case.slug in KNOWN_FAILURES:
        assert problems, f"listed as a known failure but passes: {KNOWN_FAILURES[case.slug]}"
        return
    assert not problems, "\n".join(problems)
