"""The language-model cases' parts, produced by our codec alone (no HTTP).

For each ``stream__lm__*`` case the recorded SSE events (fixture lines, patches
applied) go through :func:`decode_event` and the transform, or a terminal
background response goes through :func:`synthesize_stream`; the parts must equal
``reference_output.parts`` exactly. For each ``generate__lm__*`` case the final
response body goes through :func:`parse_response` and :func:`generate_outputs`;
content, finish reason, usage, provider metadata and response id/timestamp/model
must equal the recorded result. The ``stream-start`` warnings come from request
building, so they are taken from the reference here.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.conformance import _harness as h

from partstream import parts
from partstream.codecs.interactions import (
    InteractionsStreamTransform,
    decode_event,
    generate_outputs,
    is_terminal_status,
    parse_response,
    synthesize_stream,
)
from partstream.codecs.json import loads

STREAM_CASES = [c for c in h.load_cases("stream__lm__") if c.reference_output is not None]
GENERATE_CASES = [
    c
    for c in h.load_cases("generate__lm__")
    if c.reference_output is not None and "result" in c.reference_output
]

pytestmark = pytest.mark.skipif(h.conformance_dir() is None, reason=h.SKIP_REASON)


def _responses(case: h.Case) -> list[dict[str, Any]]:
    return list(case.input.get("http_responses") or [])


def _tier(response: dict[str, Any]) -> str | None:
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return headers.get("x-gemini-service-tier")


def stream_parts(case: h.Case) -> list[Any]:
    reference = case.reference_output
    assert reference is not None
    warnings = [parts.warning_from_dict(w) for w in reference["parts"][0]["warnings"]]
    generate_id = h.make_generate_id(case.harness.get("generateId"))
    include_raw = bool(case.options.get("includeRawChunks"))
    responses = _responses(case)
    post = responses[0]
    sse = [r for r in responses if "sse_fixture" in r or "sse_events" in r]
    if not sse:
        # A background POST that is already terminal: the stream is synthesised.
        body = parse_response(h.json_dumps(h.fixture_json(case.root, post)))
        assert is_terminal_status(body["status"])
        return synthesize_stream(
            body,
            warnings=warnings,
            generate_id=generate_id,
            include_raw_chunks=include_raw,
            header_service_tier=_tier(post),
        )
    transform = InteractionsStreamTransform(
        warnings=warnings,
        generate_id=generate_id,
        include_raw_chunks=include_raw,
        service_tier=_tier(post),
    )
    batch = [decode_event(line) for line in h.fixture_sse_lines(case.root, sse[-1])]
    return transform.start() + transform.feed(batch) + transform.finish()


def test_the_case_sets_are_there() -> None:
    assert len(STREAM_CASES) >= 18
    assert len(GENERATE_CASES) >= 20


@pytest.mark.parametrize("case", STREAM_CASES, ids=[c.slug for c in STREAM_CASES])
def test_stream_case_parts(case: h.Case) -> None:
    reference = case.reference_output
    assert reference is not None
    ours = h.to_json(stream_parts(case))
    assert h.json_equal(ours, reference["parts"]), (ours, reference["parts"])
    part_checks = [c for c in case.expected if c["path"].startswith("parts")]
    assert h.failed_checks(part_checks, {"parts": ours}) == []


@pytest.mark.parametrize("case", GENERATE_CASES, ids=[c.slug for c in GENERATE_CASES])
def test_generate_case_outputs(case: h.Case) -> None:
    reference = case.reference_output
    assert reference is not None
    expected = reference["result"]
    responses = _responses(case)
    final = responses[-1]
    raw_body = h.json_dumps(h.fixture_json(case.root, final))
    body = parse_response(raw_body)
    outputs = generate_outputs(
        body,
        generate_id=h.make_generate_id(case.harness.get("generateId")),
        header_service_tier=_tier(final),
    )
    ours: dict[str, Any] = {
        "content": h.to_json(outputs.content),
        "finishReason": h.to_json(outputs.finish_reason),
        "usage": h.to_json(outputs.usage),
        "providerMetadata": h.to_json(outputs.provider_metadata),
        "response": h.to_json(
            {
                key: value
                for key, value in {
                    "id": outputs.interaction_id,
                    "timestamp": outputs.timestamp,
                    "modelId": outputs.model_id,
                    "body": loads(raw_body),
                }.items()
                if value is not None  # undefined fields are omitted
            }
        ),
    }
    for key, value in ours.items():
        assert h.json_equal(value, expected[key]), (key, value, expected[key])
    result_checks = [
        c
        for c in case.expected
        if c["path"].startswith(
            ("result.content", "result.finishReason", "result.providerMetadata")
        )
    ]
    assert h.failed_checks(result_checks, {"result": ours}) == []
