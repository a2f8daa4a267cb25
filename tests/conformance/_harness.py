"""Reusable helpers for the recorded AI SDK conformance cases.

The cases live in ``<repo>/../shared/conformance/interactions/`` (see the README
there). This module knows the case format and nothing about partstream's API:

- :func:`conformance_dir` / :func:`load_cases` find and load the cases (the caller
  skips when :func:`conformance_dir` returns ``None``);
- :func:`decode_markers` turns the recorded argument markers (``$generateId``,
  ``$bytes_base64``, ``$abortSignal``) into Python values;
- :func:`make_generate_id` builds the id generator a case's ``harness`` describes;
- :func:`fixture_sse_lines` / :func:`fixture_json` read a response's fixture with
  its ``fixture_patch`` applied;
- :func:`to_json` normalises our outputs to the plain JSON the reference recorded;
- :func:`evaluate` / :func:`failed_checks` run the ``expected`` selector + op
  language; :func:`json_equal` is the strict deep equality both use.

Other test modules may extend this file additively.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

__all__ = [
    "UNDEFINED",
    "AbortSignalMarker",
    "Case",
    "Check",
    "conformance_dir",
    "decode_markers",
    "evaluate",
    "failed_checks",
    "fixture_json",
    "fixture_sse_events",
    "fixture_sse_lines",
    "json_dumps",
    "json_equal",
    "load_cases",
    "make_generate_id",
    "select",
    "to_json",
]

REPO_ROOT: Final = Path(__file__).resolve().parents[2]


class _Undefined:
    """JavaScript's ``undefined``: what a selector gives for a missing key."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()


# ---------------------------------------------------------------------------------------
# Loading


def conformance_dir() -> Path | None:
    """``<repo>/../shared/conformance/interactions`` if it exists, else ``None``."""
    path = REPO_ROOT.parent / "shared" / "conformance" / "interactions"
    return path if (path / "cases").is_dir() else None


SKIP_REASON: Final = (
    "conformance data not found at ../shared/conformance/interactions "
    "(relative to the repository root)"
)


@attrs.frozen
class Case:
    """One recorded case: ``slug`` is the file name without ``.json``."""

    slug: str
    data: dict[str, Any]
    root: Path

    @property
    def name(self) -> str:
        return str(self.data["name"])

    @property
    def kind(self) -> str:
        return str(self.data["kind"])

    @property
    def input(self) -> dict[str, Any]:
        return dict(self.data.get("input") or {})

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.data.get("options") or {})

    @property
    def harness(self) -> dict[str, Any]:
        return dict(self.data.get("harness") or {})

    @property
    def expected(self) -> list[dict[str, Any]]:
        return list(self.data.get("expected") or [])

    @property
    def reference_output(self) -> dict[str, Any] | None:
        out = self.data.get("reference_output")
        return out if isinstance(out, dict) else None


def load_cases(*prefixes: str) -> list[Case]:
    """Every case whose slug starts with one of ``prefixes`` (all when none), sorted."""
    root = conformance_dir()
    if root is None:
        return []
    cases = []
    for path in sorted((root / "cases").glob("*.json")):
        slug = path.stem
        if prefixes and not slug.startswith(prefixes):
            continue
        cases.append(Case(slug=slug, data=json.loads(path.read_text("utf-8")), root=root))
    return cases


# ---------------------------------------------------------------------------------------
# Argument markers and id generators


@attrs.frozen
class AbortSignalMarker:
    """``{"$abortSignal": {"aborted_at_call": bool}}``: an AbortSignal in the recorded call."""

    aborted_at_call: bool


def decode_markers(value: Any, generate_id: Callable[[], str] | None = None) -> Any:
    """Replace the recorded markers inside ``value`` (recursively).

    ``{"$generateId": true}`` → ``generate_id``; ``{"$bytes_base64": s}`` → ``bytes``;
    ``{"$abortSignal": {...}}`` → :class:`AbortSignalMarker`. Any other ``$`` key is
    plain data (JSON Schema ``$schema`` and the like).
    """
    if isinstance(value, list):
        return [decode_markers(v, generate_id) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        if value.get("$generateId") is True:
            if generate_id is None:
                raise ValueError("case uses $generateId but no generate_id was given")
            return generate_id
        if "$bytes_base64" in value:
            return base64.b64decode(value["$bytes_base64"])
        if "$abortSignal" in value:
            return AbortSignalMarker(bool(value["$abortSignal"].get("aborted_at_call")))
    return {k: decode_markers(v, generate_id) for k, v in value.items()}


def make_generate_id(spec: Mapping[str, Any] | None) -> Callable[[], str]:
    """The id generator a case's ``harness.generateId`` describes.

    ``{"kind": "constant", "value": v}`` always gives ``v``;
    ``{"kind": "counter", "format": "id-{n}", "first": 1}`` gives id-1, id-2, ...
    """
    if not spec:
        return lambda: "test-id"
    kind = spec.get("kind")
    if kind == "constant":
        constant = str(spec["value"])
        return lambda: constant
    if kind == "counter":
        fmt = str(spec.get("format", "id-{n}"))
        counter = iter(range(int(spec.get("first", 1)), 1 << 62))
        return lambda: fmt.replace("{n}", str(next(counter)))
    raise ValueError(f"unknown generateId kind: {kind!r}")


# ---------------------------------------------------------------------------------------
# Fixtures


def _apply_patch(target: Any, patch: Sequence[Mapping[str, Any]]) -> Any:
    for edit in patch:
        path = list(edit["path"])
        node = target
        for key in path[:-1]:
            node = node[key]
        if edit["op"] == "set":
            node[path[-1]] = edit["value"]
        elif edit["op"] == "delete":
            del node[path[-1]]
        else:
            raise ValueError(f"unknown fixture_patch op: {edit['op']!r}")
    return target


def fixture_sse_lines(root: Path, response: Mapping[str, Any]) -> list[str]:
    """The ``data:`` payloads a recorded SSE response serves, patch applied.

    Each non-empty fixture line is one event; inline ``sse_events`` are serialised
    compactly. A patched event is re-serialised compactly (as JSON.stringify does).
    """
    if "sse_events" in response:
        return [
            e if isinstance(e, str) else json.dumps(e, separators=(",", ":"), ensure_ascii=False)
            for e in response["sse_events"]
        ]
    text = (root / response["sse_fixture"]).read_text("utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    patch = response.get("fixture_patch") or []
    if not patch:
        return lines
    touched = {edit["path"][0] for edit in patch}
    events: list[Any] = [json.loads(line) for line in lines]
    _apply_patch(events, patch)
    return [
        json.dumps(events[i], separators=(",", ":"), ensure_ascii=False) if i in touched else line
        for i, line in enumerate(lines)
    ]


def json_dumps(value: Any) -> str:
    """Compact JSON text, as ``JSON.stringify`` writes it (for serving fixture bodies)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def fixture_sse_events(root: Path, response: Mapping[str, Any]) -> list[Any]:
    """The parsed JSON events of :func:`fixture_sse_lines`."""
    return [json.loads(line) for line in fixture_sse_lines(root, response)]


def fixture_json(root: Path, response: Mapping[str, Any]) -> Any:
    """The JSON body a recorded response serves (``json`` inline or ``json_fixture``)."""
    if "json" in response:
        return response["json"]
    body = json.loads((root / response["json_fixture"]).read_text("utf-8"))
    return _apply_patch(body, response.get("fixture_patch") or [])


# ---------------------------------------------------------------------------------------
# Normalising our outputs


def to_json(value: Any) -> Any:
    """Plain JSON in the reference's normalisation.

    Objects with ``to_dict()`` (parts, content, warnings, usage) use it; attrs
    instances become dicts of their fields, ``None`` fields dropped (``undefined``
    is omitted); datetimes become ISO strings (as ``Date.toISOString``); tuples
    become lists; exceptions become ``{name, message}``. ``None`` inside a plain
    mapping or list is JSON ``null`` and stays.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_json(to_dict())
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, _dt.datetime):
        from partstream.parts import format_timestamp

        return format_timestamp(value)
    if isinstance(value, BaseException):
        return {"name": type(value).__name__, "message": str(value)}
    if attrs.has(type(value)):
        fields = attrs.asdict(value, recurse=False)
        return {k: to_json(v) for k, v in fields.items() if v is not None}
    raise TypeError(f"cannot normalise {type(value).__name__} to JSON")


def json_equal(a: Any, b: Any) -> bool:
    """Deep equality of JSON values with JavaScript's rules.

    ``True`` is not ``1`` (unlike Python's ``==``), ``1 == 1.0``, ``UNDEFINED`` only
    equals itself, and a dict key whose value is ``UNDEFINED`` counts as absent.
    """
    if a is UNDEFINED or b is UNDEFINED:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a + b))
    if isinstance(a, dict) and isinstance(b, dict):
        ka = {k for k, v in a.items() if v is not UNDEFINED}
        kb = {k for k, v in b.items() if v is not UNDEFINED}
        return ka == kb and all(json_equal(a[k], b[k]) for k in ka)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is not type(b):
        return False
    return bool(a == b)


# ---------------------------------------------------------------------------------------
# Selectors: a.b, [n], [*], [field=v|w], [field^=p], [field$=s], [field*=sub], |pipes

_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[([^\]]*)\]")
_FILTER = re.compile(r"^([^=^$*]+)(=|\^=|\$=|\*=)(.*)$")


def _split_pipes(path: str) -> tuple[str, list[str]]:
    depth = 0
    for i, ch in enumerate(path):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "|" and depth == 0:
            return path[:i], path[i + 1 :].split("|")
    return path, []


def _tokens(path: str) -> Iterator[tuple[str, str]]:
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None:
            raise ValueError(f"bad selector {path!r} at {pos}")
        if m.group(1) is not None:
            yield "key", m.group(1)
        else:
            yield "bracket", m.group(2)
        pos = m.end()


def _get(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        return node.get(key, UNDEFINED)
    if isinstance(node, list) and key == "length":
        return len(node)
    return UNDEFINED


def _js_string(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _filter_match(item: Any, field: str, op: str, operand: str) -> bool:
    value = _get(item, field)
    if value is UNDEFINED:
        return False
    text = _js_string(value)
    if op == "=":
        return text in operand.split("|")
    if op == "^=":
        return text.startswith(operand)
    if op == "$=":
        return text.endswith(operand)
    return operand in text


def _step(node: Any, kind: str, token: str) -> Any:
    if kind == "key":
        return _get(node, token)
    if token.lstrip("-").isdigit():
        index = int(token)
        if isinstance(node, list) and -len(node) <= index < len(node):
            return node[index]
        return UNDEFINED
    m = _FILTER.match(token)
    if m is None:
        raise ValueError(f"bad selector bracket [{token}]")
    if not isinstance(node, list):
        return UNDEFINED
    field, op, operand = m.groups()
    return [item for item in node if _filter_match(item, field, op, operand)]


def _js_typeof(value: Any) -> str:
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def _pipe(value: Any, pipe: str) -> Any:
    name, _, arg = pipe.partition(":")
    if name == "join":
        return "".join(_js_string(v) for v in value) if isinstance(value, list) else UNDEFINED
    if name == "length":
        return len(value) if isinstance(value, list | str) else UNDEFINED
    if name == "typeof":
        return _js_typeof(value)
    if name == "pick":
        keys = arg.split(",")
        if not isinstance(value, dict):
            return UNDEFINED
        return {k: value[k] for k in keys if k in value}
    raise ValueError(f"unknown selector pipe |{pipe}")


def select(root: Any, path: str) -> Any:
    """Evaluate a selector against ``root``; missing values are :data:`UNDEFINED`.

    After ``[*]`` the remaining path maps over the list's items.
    """
    body, pipes = _split_pipes(path)
    node: Any = root
    mapped = False
    for kind, token in _tokens(body):
        if kind == "bracket" and token == "*":
            if mapped:
                node = [x for sub in node if isinstance(sub, list) for x in sub]
            elif not isinstance(node, list):
                node = UNDEFINED
                break
            mapped = True
            continue
        node = [_step(item, kind, token) for item in node] if mapped else _step(node, kind, token)
        if node is UNDEFINED:
            break
    for pipe in pipes:
        node = _pipe(node, pipe)
    return node


# ---------------------------------------------------------------------------------------
# Ops


def _subset(actual: Any, expected: Any) -> bool:
    """``toMatchObject``: dicts are matched on the expected keys, arrays item by item."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        return all(_subset(actual.get(k, UNDEFINED), v) for k, v in expected.items())
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_subset(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return json_equal(actual, expected)


def _regex(spec: Mapping[str, Any]) -> re.Pattern[str]:
    flags = 0
    for ch in str(spec.get("flags", "")):
        flags |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "u": 0, "g": 0}.get(ch, 0)
    return re.compile(str(spec["regex"]), flags)


Check = Mapping[str, Any]


def evaluate(check: Check, observation: Mapping[str, Any]) -> tuple[bool, Any]:
    """Evaluate one ``expected`` check; returns ``(passed, actual value)``."""
    op = check["op"]
    value = check.get("value", UNDEFINED)
    actual = select(observation, check["path"])
    ok: bool
    if op == "equals":
        ok = json_equal(actual, value)
    elif op == "absent":
        ok = actual is UNDEFINED or actual is None
    elif op == "present":
        ok = not (actual is UNDEFINED or actual is None)
    elif op == "nonempty":
        ok = isinstance(actual, list | str | dict) and len(actual) > 0
    elif op == "empty":
        ok = isinstance(actual, list | str | dict) and len(actual) == 0
    elif op == "contains":
        if isinstance(actual, str):
            ok = isinstance(value, str) and value in actual
        else:
            ok = isinstance(actual, list) and any(json_equal(a, value) for a in actual)
    elif op == "matches":
        ok = isinstance(actual, str) and _regex(value).search(actual) is not None
    elif op == "all_match":
        pattern = _regex(value)
        ok = isinstance(actual, list) and all(
            isinstance(a, str) and pattern.search(a) is not None for a in actual
        )
    elif op == "subset":
        ok = _subset(actual, value)
    elif op == "contains_subset":
        ok = isinstance(actual, list) and all(any(_subset(a, e) for a in actual) for e in value)
    elif op == "gt":
        ok = isinstance(actual, int | float) and not isinstance(actual, bool) and actual > value
    elif op == "unique":
        ok = isinstance(actual, list) and all(
            not json_equal(a, b) for i, a in enumerate(actual) for b in actual[i + 1 :]
        )
    elif op == "all_equal":
        if not isinstance(actual, list):
            ok = False
        elif value is not UNDEFINED:
            ok = all(json_equal(a, value) for a in actual)
        else:
            ok = all(json_equal(a, actual[0]) for a in actual)
    elif op == "throws":
        ok = actual is not UNDEFINED and actual is not None
    else:
        raise ValueError(f"unknown op {op!r}")
    return ok, actual


def failed_checks(checks: Sequence[Check], observation: Mapping[str, Any]) -> list[str]:
    """A readable line for every check in ``checks`` that does not hold."""
    failures = []
    for check in checks:
        ok, actual = evaluate(check, observation)
        if not ok:
            shown = json.dumps(actual, default=repr)[:500] if actual is not UNDEFINED else "∅"
            failures.append(
                f"{check['path']} {check['op']} {json.dumps(check.get('value'))[:300]}: got {shown}"
            )
    return failures
