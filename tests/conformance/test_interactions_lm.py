"""Every recorded language-model case, end to end through the public API.

For each ``stream__lm__*``, ``generate__lm__*`` and ``request-body__lm__*`` case the
case's ``http_responses`` are served by a real HTTP server on 127.0.0.1
(:mod:`tests.conformance._replay`), a provider made with ``create_google`` points
its ``base_url`` at it, and the call runs through ``model.generate`` /
``model.stream``. The observation (the requests the server received, the parts or
the result) is normalised to plain JSON and compared with the case's complete
``reference_output``, then the case's own ``expected`` checks are evaluated on it.

Where partstream's traffic differs from the reference's *by design*, the difference
is normalised here, in :data:`HEADER_DIFFERENCES` and :func:`_expected_requests`,
and nowhere else. Cases that cannot pass are in :data:`KNOWN_FAILURES` with the
reason; they run as strict xfails, so each must genuinely fail. Four image-output
fixtures missing from the shared data are served from our own hand-written
stand-ins (:data:`STANDIN_FIXTURES`), so those cases' ``expected`` checks run.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import anyio
import pytest
from tests.conformance import _harness as h
from tests.conformance._replay import JsonReply, Request, Route, SSEReply, run_server
from tests.conformance.known_failures import KNOWN_FAILURES as ALL_KNOWN_FAILURES

from partstream.providers.google import create_google

pytestmark = pytest.mark.anyio

CASES: Final = h.load_cases("stream__lm__", "generate__lm__", "request-body__lm__")

#: The reference's base URL; our requests are rewritten onto it for comparison.
REFERENCE_ORIGIN: Final = "https://generativelanguage.googleapis.com"

#: Cases that cannot pass, and why: the end-to-end section of the one list.
KNOWN_FAILURES: Final = ALL_KNOWN_FAILURES["end-to-end"]

#: How our request headers differ from the reference's, by design. The reference's
#: recorded headers exclude ``user-agent``; we drop the same plus what httpx adds on
#: its own (transport framing, its default ``accept: */*``), then expect exactly the
#: reference's headers (no ``api-revision``: like the AI SDK, partstream sends one only
#: when ``create_google(api_revision=...)`` pins it).
HEADER_DIFFERENCES: Final[dict[str, Any]] = {
    "dropped_from_ours": ("host", "user-agent", "accept-encoding", "connection", "content-length"),
    "dropped_when_value": {"accept": "*/*"},
    "added_to_reference": {},
}

#: Our own stand-ins for fixtures the shared data lacks (the image-output ones): written
#: by hand for partstream, not recorded traffic; see the README in that folder. Served
#: only when the shared fixture is missing, so the cases' ``expected`` checks run on a
#: real image response.
STANDIN_FIXTURES: Final = Path(__file__).with_name("standin_fixtures")


def _fixture_root(root: Path, response: Mapping[str, Any]) -> tuple[Path, Mapping[str, Any]]:
    """Where a response's fixture is: the shared data, else our stand-in of that name."""
    for key in ("sse_fixture", "json_fixture"):
        if key in response and not (root / response[key]).is_file():
            name = Path(response[key]).name
            if not (STANDIN_FIXTURES / name).is_file():
                raise AssertionError(
                    f"fixture {response[key]} is neither in the shared data nor a stand-in"
                )
            return STANDIN_FIXTURES, {**response, key: name}
    return root, response


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _reply(root: Any, response: Mapping[str, Any]) -> JsonReply | SSEReply:
    status = int(response.get("status", 200))
    headers = [(str(k), str(v)) for k, v in (response.get("headers") or {}).items()]
    root, response = _fixture_root(root, response)
    if "sse_fixture" in response or "sse_events" in response:
        lines = h.fixture_sse_lines(root, response)
        frames = [b"data: " + line.encode() + b"\n\n" for line in lines]
        return SSEReply(
            frames, status=status, headers=headers, hold_open=bool(response.get("hold_open"))
        )
    if "json_fixture" in response or "json" in response:
        body = h.fixture_json(root, response)
        return JsonReply(body, status=status, headers=headers)
    if "network_error" in response:
        # Only the abort-signal case has one, and it never reaches the network here.
        return JsonReply(None, status=599)
    raise AssertionError(f"unsupported http_response: {sorted(response)}")


def _routes(case: h.Case) -> dict[tuple[str, str], Route]:
    routes: dict[tuple[str, str], Route] = {}
    for response in case.input.get("http_responses") or []:
        target = response["for"]
        key = (str(target["method"]), urlsplit(str(target["url"])).path)
        route = routes.setdefault(key, Route([]))
        route.replies.append(_reply(case.root, response))
        route.repeat = route.repeat or bool(response.get("repeat"))
    return routes


def _normalise_request(request: Request) -> dict[str, Any]:
    dropped = HEADER_DIFFERENCES["dropped_from_ours"]
    when_value = HEADER_DIFFERENCES["dropped_when_value"]
    assert isinstance(when_value, dict)
    headers = {
        k: v for k, v in request.headers.items() if k not in dropped and when_value.get(k) != v
    }
    out: dict[str, Any] = {
        "method": request.method,
        "url": REFERENCE_ORIGIN + request.target,
        "path": request.path,
        "query": request.query,
        "headers": headers,
    }
    if request.body:
        out["body"] = request.json()
    return out


def _expected_requests(case: h.Case, reference: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reference's requests as partstream must send them (see HEADER_DIFFERENCES)."""
    added = HEADER_DIFFERENCES["added_to_reference"]
    assert isinstance(added, dict)
    if _aborted_at_call(case.options):
        # The reference's mock fetch recorded the request before rejecting the aborted
        # signal; a real client sends nothing, and neither do we (Python cancellation).
        return []
    return [{**r, "headers": {**r["headers"], **added}} for r in reference]


def _aborted_at_call(options: Mapping[str, Any]) -> bool:
    marker = h.decode_markers(options.get("abortSignal"))
    return isinstance(marker, h.AbortSignalMarker) and marker.aborted_at_call


def _model_kwargs(spec: Mapping[str, Any]) -> dict[str, Any]:
    if "modelId" in spec:
        return {"model_id": spec["modelId"]}
    if "agent" in spec:
        return {"agent": spec["agent"]}
    if "managedAgent" in spec:
        return {"managed_agent": spec["managedAgent"]}
    raise AssertionError(f"unknown model spec {spec!r}")


def _call_options(options: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in h.decode_markers(dict(options)).items():
        if key == "abortSignal":
            continue  # becomes Python cancellation
        out[_camel_to_snake(key)] = value
    return out


def _calls(case: h.Case) -> list[dict[str, Any]]:
    inp = case.input
    if "calls" in inp:
        return [
            {
                "entry": "GoogleInteractionsLanguageModel." + str(call["method"]),
                "model": call["model"],
                "prompt": call["prompt"],
                "options": call.get("options") or {},
            }
            for call in inp["calls"]
        ]
    return [
        {
            "entry": inp["entry"],
            "model": inp["model"],
            "prompt": inp["prompt"],
            "options": case.options,
        }
    ]


def _result_json(result: Any) -> dict[str, Any]:
    out = h.to_json(result)
    assert isinstance(out, dict)
    # The recorded doGenerate results drop response.headers (see the README).
    out.get("response", {}).pop("headers", None)
    return out


async def _observe(case: h.Case) -> dict[str, Any]:
    harness = case.harness
    provider_settings = harness.get("provider") or {}
    observation: dict[str, Any] = {}
    results: list[Any] = []
    async with run_server(_routes(case)) as server:
        provider = create_google(
            api_key=provider_settings.get("apiKey", "test-api-key"),
            base_url=server.base_url,
            generate_id=h.make_generate_id(harness.get("generateId")),
        )
        for call in _calls(case):
            model = provider.interactions(**_model_kwargs(call["model"]))
            prompt = h.decode_markers(call["prompt"])
            options = _call_options(call["options"])
            aborted = _aborted_at_call(call["options"])
            try:
                with anyio.CancelScope() as scope:
                    if aborted:
                        scope.cancel()  # an AbortSignal aborted before the call
                    if call["entry"].endswith("doStream"):
                        async with model.stream(prompt, **options) as stream:
                            observation["parts"] = [h.to_json(p) async for p in stream]
                        results.append({"request": {"body": stream.request_body}})
                    else:
                        results.append(_result_json(await model.generate(prompt, **options)))
                if scope.cancelled_caught:
                    observation["error"] = {"name": "Cancelled", "message": "cancelled"}
            except Exception as exc:
                observation["error"] = {"name": type(exc).__name__, "message": str(exc)}
        observation["requests"] = [_normalise_request(r) for r in server.requests]
    if len(results) == 1:
        observation["result"] = results[0]
    elif results:
        observation["results"] = results
    return observation


def _first_difference(ours: Any, theirs: Any, path: str = "") -> str | None:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs)):
            if key not in ours:
                return f"{path}.{key}: missing (reference: {json.dumps(theirs[key])[:300]})"
            if key not in theirs:
                return f"{path}.{key}: unexpected {json.dumps(ours[key])[:300]}"
            found = _first_difference(ours[key], theirs[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(ours, list) and isinstance(theirs, list):
        for i, (a, b) in enumerate(zip(ours, theirs, strict=False)):
            found = _first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(ours) != len(theirs):
            return f"{path}: {len(ours)} items, reference has {len(theirs)}"
        return None
    if not h.json_equal(ours, theirs):
        return f"{path}: {json.dumps(ours)[:300]} != reference {json.dumps(theirs)[:300]}"
    return None


def _case_params() -> list[Any]:
    params = []
    for case in CASES:
        marks = []
        if case.slug in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(reason=KNOWN_FAILURES[case.slug], strict=True))
        params.append(pytest.param(case, id=case.slug, marks=marks))
    return params


def test_the_lm_cases_are_all_here() -> None:
    if h.conformance_dir() is None:
        pytest.skip(h.SKIP_REASON)
    assert len(CASES) == 79
    assert set(KNOWN_FAILURES) <= {c.slug for c in CASES}


def test_the_standin_fixtures_carry_real_images() -> None:
    signatures = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
    seen = set()
    for path in sorted(STANDIN_FIXTURES.glob("image-output*")):
        text = path.read_text("utf-8")
        lines = text.splitlines() if path.suffix == ".txt" else [text]
        values = [json.loads(line) for line in lines]  # JSON bodies, or one event a line
        images = re.findall(r'"data": ?"([^"]+)"', text)
        assert images, path.name
        for image in images:
            data = base64.b64decode(image, validate=True)
            kind = next(k for k, sig in signatures.items() if data.startswith(sig))
            seen.add((path.name, kind))
        assert all(isinstance(v, dict) for v in values)
        assert re.search(r'"id": ?"v1_', text), path.name
    assert seen == {
        ("image-output.json", "image/png"),
        ("image-output.chunks.txt", "image/png"),
        ("image-output-modify.json", "image/jpeg"),
        ("image-output-modify.chunks.txt", "image/jpeg"),
    }


def test_a_shared_fixture_wins_over_a_standin(tmp_path: Path) -> None:
    response = {"json_fixture": "fixtures/image-output.json"}
    # Missing from the shared data: our stand-in of that name.
    assert _fixture_root(tmp_path, response) == (
        STANDIN_FIXTURES,
        {"json_fixture": "image-output.json"},
    )
    # Present: the shared one, untouched.
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "image-output.json").write_text("{}")
    assert _fixture_root(tmp_path, response) == (tmp_path, response)
    with pytest.raises(AssertionError, match="neither in the shared data nor a stand-in"):
        _fixture_root(tmp_path, {"sse_fixture": "fixtures/nothing.chunks.txt"})


@pytest.mark.skipif(h.conformance_dir() is None, reason=h.SKIP_REASON)
@pytest.mark.parametrize("case", _case_params())
async def test_case(case: h.Case) -> None:
    observation = await _observe(case)
    problems: list[str] = []
    reference = case.reference_output
    if reference is not None:
        if "requests" in reference:
            expected = _expected_requests(case, reference["requests"])
            diff = _first_difference(observation.get("requests"), expected, "requests")
            if diff:
                problems.append(diff)
        for key in ("parts", "result", "results"):
            if key in reference:
                diff = _first_difference(observation.get(key), reference[key], key)
                if diff:
                    problems.append(diff)
        if ("error" in reference) != ("error" in observation):
            problems.append(
                f"error: ours {observation.get('error')!r}, reference {reference.get('error')!r}"
            )
    elif "error" in observation:
        problems.append(f"the call failed: {observation['error']}")
    problems += h.failed_checks(case.expected, observation)
    assert problems == []
