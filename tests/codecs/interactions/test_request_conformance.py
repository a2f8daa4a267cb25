"""Request building against the recorded reference behaviour (``../shared/conformance``).

* ``request-body__convert-input__*`` / ``request-body__prepare-tools__*``: the unit
  functions are called with the recorded arguments; the normalised result (or
  error) must equal ``reference_output`` and pass the case's ``expected`` checks.
* ``request-body__lm__*``: :func:`prepare_request` gets the recorded model, prompt
  and call options; its body must equal each recorded ``POST /interactions`` body,
  its warnings the reference's (``result.warnings`` or the ``stream-start`` part),
  and the ``expected`` checks about the request body / warnings must pass.
  (Checks on headers or responses belong to the provider's end-to-end run.)
* Every other language-model case (``generate__lm__*``, ``stream__lm__*``) that
  recorded a ``POST /interactions`` has its body and warnings checked the same way.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.call_options import BODY_OPTION_NAMES
from tests.conformance.known_failures import KNOWN_FAILURES as ALL_KNOWN_FAILURES

from partstream import errors
from partstream.codecs.interactions import (
    InteractionsTarget,
    convert_to_interactions_input,
    prepare_interactions_tools,
    prepare_request,
)

# Cases that cannot pass, with the reason. Each must really fail (strict xfail).
KNOWN_FAILURES: dict[str, str] = ALL_KNOWN_FAILURES["request-body"]

ROOT = Path(__file__).resolve().parents[3]
CASES = ROOT.parent / "shared" / "conformance" / "interactions" / "cases"

if not CASES.is_dir():
    pytest.skip(
        f"conformance data not found at {CASES} (expected ../shared/conformance next to the repo)",
        allow_module_level=True,
    )

MISSING: Any = object()  # JavaScript's undefined in observations


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _revive(value: Any) -> Any:
    """Conformance markers to Python values: ``{"$bytes_base64": ...}`` is bytes."""
    if isinstance(value, dict):
        if set(value) == {"$bytes_base64"}:
            return base64.b64decode(value["$bytes_base64"])
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def _params(pattern: str) -> Iterator[Any]:
    for path in sorted(CASES.glob(pattern)):
        name = path.stem
        marks = []
        if name in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(reason=KNOWN_FAILURES[name], strict=True))
        yield pytest.param(path, id=name, marks=marks)


# --- JSON comparison and the `expected` selector language -------------------------------


def json_equal(a: Any, b: Any) -> bool:
    """Deep equality where booleans are not numbers and absent equals absent."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        keys = {k for k, v in a.items() if v is not MISSING} | {
            k for k, v in b.items() if v is not MISSING
        }
        return all(json_equal(a.get(k, MISSING), b.get(k, MISSING)) for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if a is MISSING or b is MISSING:
        return a is b
    return type(a) is type(b) and bool(a == b)


def _subset(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            _subset(actual.get(k, MISSING), v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_subset(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return json_equal(actual, expected)


_TOKEN = re.compile(r"\.?([A-Za-z0-9_$\-]+)|\[([^\]]*)\]")
_FILTER = re.compile(r"^([A-Za-z0-9_$\-.]+)(\^=|\$=|\*=|=)(.*)$")


_FILTER_TESTS: dict[str, Callable[[str, str], bool]] = {
    "=": lambda a, b: a == b,
    "^=": str.startswith,
    "$=": str.endswith,
    "*=": lambda a, b: b in a,
}


def _get(value: Any, key: str) -> Any:
    return value.get(key, MISSING) if isinstance(value, dict) else MISSING


def select(root: Any, selector: str) -> Any:
    """Evaluate a selector of the conformance README on an observation."""
    path, *pipes = selector.split("|")
    value, mapped = root, False
    for match in _TOKEN.finditer(path):
        key, bracket = match.groups()
        if key is not None:
            value = [_get(v, key) for v in value] if mapped else _get(value, key)
        elif bracket == "*":
            mapped = True
        elif bracket.lstrip("-").isdigit():
            index = int(bracket)
            value = (
                value[index]
                if isinstance(value, list) and -len(value) <= index < len(value)
                else MISSING
            )
        else:
            filt = _FILTER.match(bracket)
            assert filt is not None, f"unknown selector {bracket!r}"
            field, op, wanted = filt.groups()
            options = wanted.split("|") if op == "=" else [wanted]

            def keep(
                item: Any, field: str = field, op: str = op, options: list[str] = options
            ) -> bool:
                got = _get(item, field)
                return isinstance(got, str | int | float) and any(
                    _FILTER_TESTS[op](str(got).lower() if isinstance(got, bool) else str(got), o)
                    for o in options
                )

            value = [item for item in value if keep(item)] if isinstance(value, list) else MISSING
    for pipe in pipes:
        name, _, arg = pipe.partition(":")
        if name == "join":
            value = "".join(value)
        elif name == "length":
            value = len(value)
        elif name == "typeof":
            value = _typeof(value)
        elif name == "pick":
            value = {k: value[k] for k in arg.split(",") if k in value}
        else:
            raise AssertionError(f"unknown pipe {name!r}")
    return value


def _typeof(value: Any) -> str:
    if value is MISSING:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def check(observation: Any, expectation: dict[str, Any]) -> None:
    op, selector = expectation["op"], expectation["path"]
    wanted: Any = expectation.get("value")
    if op == "throws":
        assert select(observation, selector) not in (MISSING, None), f"{selector}: did not throw"
        return
    got = select(observation, selector)
    assert _holds(op, got, wanted), f"{selector} {op} {wanted!r}: got {got!r}"


def _holds(op: str, got: Any, wanted: Any) -> bool:
    if op == "equals":
        return json_equal(got, wanted)
    if op in ("absent", "present"):
        return (got is MISSING or got is None) == (op == "absent")
    if op in ("nonempty", "empty"):
        return isinstance(got, list) and (len(got) > 0) == (op == "nonempty")
    if op == "contains":
        return wanted in got if isinstance(got, str) else any(json_equal(g, wanted) for g in got)
    if op == "matches":
        return re.search(wanted["regex"], got, _flags(wanted)) is not None
    if op == "all_match":
        return all(re.search(wanted["regex"], g, _flags(wanted)) for g in got)
    if op == "subset":
        return _subset(got, wanted)
    if op == "contains_subset":
        return all(any(_subset(g, w) for g in got) for w in wanted)
    if op == "gt":
        return bool(got > wanted)
    if op == "unique":
        return len({json.dumps(g, sort_keys=True) for g in got}) == len(got)
    if op == "all_equal":
        return all(json_equal(g, got[0]) for g in got)
    raise AssertionError(f"unknown op {op!r}")


def _flags(spec: dict[str, Any]) -> int:
    flags = 0
    for letter in spec.get("flags", ""):
        flags |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}.get(letter, 0)
    return flags


# --- unit cases ------------------------------------------------------------------------


def _error_json(exc: errors.PartstreamError) -> dict[str, Any]:
    return {"name": type(exc).__name__, "message": str(exc)}


def _run_convert(args: dict[str, Any]) -> dict[str, Any]:
    converted = convert_to_interactions_input(
        args["prompt"],
        previous_interaction_id=args.get("previousInteractionId"),
        store=args.get("store"),
        media_resolution=args.get("mediaResolution"),
    )
    out: dict[str, Any] = {"input": converted.input}
    if converted.system_instruction is not None:
        out["systemInstruction"] = converted.system_instruction
    out["warnings"] = [w.to_dict() for w in converted.warnings]
    return out


def _run_tools(args: dict[str, Any]) -> dict[str, Any]:
    prepared = prepare_interactions_tools(args.get("tools"), args.get("toolChoice"))
    out: dict[str, Any] = {}
    if prepared.tools is not None:
        out["tools"] = prepared.tools
    if prepared.tool_choice is not None:
        out["toolChoice"] = prepared.tool_choice
    out["toolWarnings"] = [w.to_dict() for w in prepared.warnings]
    return out


UNITS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "convertToGoogleInteractionsInput": _run_convert,
    "prepareGoogleInteractionsTools": _run_tools,
}


@pytest.mark.parametrize(
    "path",
    [
        *_params("request-body__convert-input__*.json"),
        *_params("request-body__prepare-tools__*.json"),
    ],
)
def test_unit_case(path: Path) -> None:
    case = _load(path)
    reference = case["reference_output"]
    results: list[Any] = []
    error: dict[str, Any] | None = None
    for call in case["input"]["calls"]:
        (args,) = _revive(call["args"])
        try:
            results.append(UNITS[call["function"]](args))
        except errors.PartstreamError as exc:
            error = _error_json(exc)
            results.append(None)
            break
    observation: dict[str, Any] = {"result": results[0] if len(results) == 1 else MISSING}
    if len(results) > 1:
        observation["results"] = results
    if error is not None:
        observation["error"] = error
        assert "error" in reference, f"raised {error} but the reference returned"
        assert error["name"] == reference["error"]["name"].removeprefix("AI_")
        assert error["message"] == reference["error"]["message"]
    else:
        assert "error" not in reference, f"the reference raised {reference['error']}"
        key = "results" if "results" in reference else "result"
        assert json_equal(observation[key], reference[key])
    for expectation in case["expected"]:
        check(observation, expectation)


# --- language-model cases: the POST body and the warnings --------------------------------

_OPTION_NAMES = BODY_OPTION_NAMES
# Call options that do not shape the body (transport concerns).
_NOT_BODY = {"includeRawChunks", "abortSignal", "headers"}


def _target(model: dict[str, str]) -> InteractionsTarget:
    if "modelId" in model:
        return InteractionsTarget(model["modelId"])
    if "agent" in model:
        return InteractionsTarget(agent=model["agent"])
    return InteractionsTarget(managed_agent=model["managedAgent"])


def _calls(case: dict[str, Any]) -> list[dict[str, Any]]:
    data = case["input"]
    if "calls" in data:
        return list(data["calls"])
    method = case["input"]["entry"].rpartition(".")[2]
    return [
        {
            "method": method,
            "model": data["model"],
            "prompt": data["prompt"],
            "options": case["options"],
        }
    ]


def _prepare(call: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    options = _revive(call["options"])
    unknown = set(options) - set(_OPTION_NAMES) - _NOT_BODY
    assert not unknown, f"unmapped call options {unknown}"
    kwargs = {_OPTION_NAMES[k]: v for k, v in options.items() if k in _OPTION_NAMES}
    prepared = prepare_request(
        _target(call["model"]),
        prompt=_revive(call["prompt"]),
        stream=call["method"] == "doStream",
        **kwargs,
    )
    json.dumps(prepared.body)  # the body is plain JSON
    return prepared.body, [w.to_dict() for w in prepared.warnings]


def _reference_warnings(reference: dict[str, Any], index: int, method: str) -> Any:
    if method == "doStream":
        starts = [p for p in reference.get("parts", []) if p["type"] == "stream-start"]
        return starts[0]["warnings"] if starts else MISSING
    result = reference["results"][index] if "results" in reference else reference.get("result")
    return result.get("warnings", MISSING) if isinstance(result, dict) else MISSING


def _posts(reference: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r
        for r in reference.get("requests", [])
        if r["method"] == "POST" and r["path"].endswith("/interactions")
    ]


def _body_checks(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The `expected` checks that concern the request body or the warnings."""
    return [
        e
        for e in case["expected"]
        if re.match(r"requests\[\d+\]\.body", e["path"])
        or e["path"].startswith(("result.request", "result.warnings"))
    ]


def _run_lm_case(path: Path) -> None:
    case = _load(path)
    reference = case["reference_output"]
    calls = _calls(case)
    bodies, all_warnings = zip(*(_prepare(call) for call in calls), strict=True)
    if reference is not None:
        posts = _posts(reference)
        assert len(posts) == len(calls), "one POST /interactions per call"
        for i, (call, body, warnings) in enumerate(zip(calls, bodies, all_warnings, strict=True)):
            assert json_equal(body, posts[i]["body"]), f"body of call {i}"
            expected_warnings = _reference_warnings(reference, i, call["method"])
            if expected_warnings is not MISSING:
                assert json_equal(warnings, expected_warnings), f"warnings of call {i}"
    observation = {
        "requests": [{"body": b} for b in bodies],
        "result": {"request": {"body": bodies[0]}, "warnings": all_warnings[0]},
    }
    checks = _body_checks(case)
    for expectation in checks:
        check(observation, expectation)
    assert reference is not None or checks, "nothing to compare"


@pytest.mark.parametrize("path", list(_params("request-body__lm__*.json")))
def test_lm_request_body_case(path: Path) -> None:
    _run_lm_case(path)


def _other_lm_cases() -> Iterator[Any]:
    for param in [*_params("generate__lm__*.json"), *_params("stream__lm__*.json")]:
        (path,) = param.values
        reference = _load(path)["reference_output"]
        if reference is not None and _posts(reference):
            yield param


@pytest.mark.parametrize("path", list(_other_lm_cases()))
def test_lm_case_request_body(path: Path) -> None:
    _run_lm_case(path)


def test_case_counts() -> None:
    assert len(list(CASES.glob("request-body__*.json"))) == 95
    assert len(list(_params("request-body__convert-input__*.json"))) == 42
    assert len(list(_params("request-body__prepare-tools__*.json"))) == 18
    assert len(list(_params("request-body__lm__*.json"))) == 35
    assert set(KNOWN_FAILURES) <= {p.stem for p in CASES.glob("*.json")}
