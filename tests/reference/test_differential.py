"""partstream against the published AI SDK, case by case (the matrix is ``matrix.py``).

The reference side runs once per session: every case through the pinned packages
in one Node process against one emulator (``run_reference``). Each test then runs
one case through partstream against an emulator of its own, on asyncio and on
trio, and compares the normalised documents (``differential.normalise``): the
requests the emulator received (method, path, query, the headers that matter,
body) and the outcome (stream parts, generate result, error and where it
surfaced, minted secret, WebSocket URL and subprotocols, realtime events).

A case either matches exactly, or differs in a way listed in one of two places:

* :data:`DELIBERATE`: a deviation of ``docs/deviations.md``, with a check that the
  difference is exactly the documented one (the rest of the case must still match);
* ``KNOWN_FAILURES["differential"]`` (tests/conformance/known_failures.py): a
  difference waiting for a fix, run as a strict xfail so it flips when fixed.

``test_every_difference_is_documented_or_pending`` holds the two lists to that.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import attrs
import pytest
from tests.conformance.known_failures import KNOWN_FAILURES
from tests.reference.differential import (
    IGNORED_REQUEST_HEADERS,
    Record,
    ReferenceRun,
    known_ids,
    normalise,
    run_partstream,
    run_reference,
)
from tests.reference.matrix import CASE_HEADER, CASES, CASES_BY_NAME
from tests.reference.node import require_node

from partstream.codecs.gateway import (
    GATEWAY_AUTH_SUBPROTOCOL_PREFIX,
    GATEWAY_REALTIME_SUBPROTOCOL,
    get_gateway_realtime_protocols,
)
from partstream.emulator import run_emulator

ROOT: Final = Path(__file__).resolve().parents[2]
DEVIATIONS_DOC: Final = ROOT / "docs" / "deviations.md"
PENDING: Final = KNOWN_FAILURES["differential"]

Doc = dict[str, Any]


def _diff(theirs: Doc, ours: Doc) -> str:
    a = json.dumps(theirs, indent=1, sort_keys=True).splitlines()
    b = json.dumps(ours, indent=1, sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "reference", "partstream", n=3, lineterm=""))


def assert_same(theirs: Doc, ours: Doc) -> None:
    assert ours == theirs, "partstream differs from the AI SDK:\n" + _diff(theirs, ours)


# --- the deliberate deviations: each check accepts exactly the documented difference ---


def _error(doc: Doc) -> dict[str, Any] | None:
    error: dict[str, Any] | None = doc["outcome"].get("error")
    return error


def check_resume_while_progressing(theirs: Doc, ours: Doc) -> None:
    # The reference gives up at the third drop; partstream resumes and finishes. Up
    # to the reference's failure both did the same, request for request.
    error = _error(theirs)
    assert error is not None, "the reference no longer gives up"
    assert error["phase"] == "read"
    assert error["error"]["name"] == "AI_APICallError"
    assert error["error"]["message"] == "Failed to process successful response"
    assert _error(ours) is None
    seen = theirs["outcome"]["parts"]
    assert ours["outcome"]["parts"][: len(seen)] == seen
    assert ours["outcome"]["parts"][-1]["finishReason"] == {"unified": "stop", "raw": "completed"}
    assert ours["requests"][: len(theirs["requests"])] == theirs["requests"]
    assert len(ours["requests"]) > len(theirs["requests"])


def check_subprotocol_token_check(theirs: Doc, ours: Doc) -> None:
    # Both refuse before any connection; partstream with its own error.
    assert theirs["requests"] == ours["requests"] == []
    assert _error(theirs) == {
        "phase": "open",
        "error": {
            "name": "SyntaxError",
            "message": "An invalid or duplicated subprotocol was specified",
        },
    }
    mine = _error(ours)
    assert mine is not None
    assert mine["phase"] == "open"
    assert mine["error"]["name"] == "InvalidArgumentError"
    assert "not a token" not in mine["error"]["message"]  # the credential is not repeated


_END_PARTS: Final = frozenset({"text-end", "reasoning-end", "tool-input-end"})


def check_balanced_parts(theirs: Doc, ours: Doc) -> None:
    # partstream ends the blocks left open just before `finish`; nothing else differs.
    parts = ours["outcome"]["parts"]
    assert parts[-1]["type"] == "finish"
    cut = len(parts) - 1
    while cut > 0 and parts[cut - 1]["type"] in _END_PARTS:
        cut -= 1
    closed = parts[cut:-1]
    assert closed, "partstream closed no block: the case shows no deviation"
    ended_before = {p["id"] for p in parts[:cut] if p["type"] in _END_PARTS}
    assert all(p["id"] not in ended_before for p in closed)
    assert_same(theirs, {**ours, "outcome": {**ours["outcome"], "parts": parts[:cut] + parts[-1:]}})


_CAUSE: Final = re.compile(r"(\nError message: ).*\Z", re.DOTALL)


def check_json_parse_messages(theirs: Doc, ours: Doc) -> None:
    # The same error parts but for the JSON decoder's own words after "Error message:".
    def without_cause(doc: Doc) -> Doc:
        parts = []
        for part in doc["outcome"]["parts"]:
            if part["type"] == "error" and part["error"].get("name") == "AI_JSONParseError":
                message = _CAUSE.sub(r"\1<cause>", part["error"]["message"])
                part = {**part, "error": {**part["error"], "message": message}}
            parts.append(part)
        return {**doc, "outcome": {**doc["outcome"], "parts": parts}}

    assert any(p["type"] == "error" for p in theirs["outcome"]["parts"])
    assert ours != theirs, "the messages now match: drop the deviation"
    assert_same(without_cause(theirs), without_cause(ours))


#: The reference's wording -> partstream's (docs/deviations.md, python-argument-names).
ARGUMENT_NAMES: Final = (
    ("'apiKey' option", "'api_key' argument"),
    ("to fetch the token.", "to fetch the token into VERCEL_OIDC_TOKEN."),
)


def check_python_argument_names(theirs: Doc, ours: Doc) -> None:
    text = json.dumps(theirs)
    assert "'apiKey' option" in text
    for js, python in ARGUMENT_NAMES:
        text = text.replace(js, python)
    assert_same(json.loads(text), ours)


def check_handshake_headers(theirs: Doc, ours: Doc) -> None:
    # Only the provider's custom headers ride partstream's handshake in addition.
    case = CASES_BY_NAME["realtime-text-turn"]
    custom = {name.lower() for name in {**(case.provider_headers or {}), **case.headers}}
    requests = []
    for request in ours["requests"]:
        if request["path"].endswith("/realtime-model"):
            assert custom <= set(request["headers"])
            headers = {k: v for k, v in request["headers"].items() if k not in custom}
            request = {**request, "headers": headers}
        requests.append(request)
    assert requests != ours["requests"], "no custom header on the handshake: drop the deviation"
    assert_same(theirs, {**ours, "requests": requests})


_HANDSHAKE_AUTH: Final = frozenset(
    {
        "authorization",
        "ai-gateway-auth-method",
        "ai-gateway-protocol-version",
        "x-vercel-ai-gateway-team",
        "sec-websocket-protocol",
    }
)


def check_server_credential_subprotocol(theirs: Doc, ours: Doc) -> None:
    # The same credential and team, carried in subprotocols instead of headers;
    # partstream's custom headers ride along (handshake-headers); all else the same.
    def handshake(doc: Doc) -> dict[str, str]:
        [request] = [r for r in doc["requests"] if r["path"].endswith("/realtime-model")]
        headers: dict[str, str] = request["headers"]
        return headers

    reference, mine = handshake(theirs), handshake(ours)
    credential = reference["authorization"].removeprefix("Bearer ")
    assert "sec-websocket-protocol" not in reference
    assert reference["ai-gateway-auth-method"] == "api-key"
    team = get_gateway_realtime_protocols("t", reference["x-vercel-ai-gateway-team"])[2]
    assert mine["sec-websocket-protocol"].split(",") == [
        GATEWAY_REALTIME_SUBPROTOCOL,
        GATEWAY_AUTH_SUBPROTOCOL_PREFIX + credential,
        team,
    ]
    assert "authorization" not in mine
    assert (theirs["outcome"]["protocol"], ours["outcome"]["protocol"]) == (
        "",
        GATEWAY_REALTIME_SUBPROTOCOL,
    )

    def without_auth(doc: Doc) -> Doc:
        case = CASES_BY_NAME["realtime-server-credential"]
        custom = {name.lower() for name in case.headers}
        requests = [
            {
                **r,
                "headers": {
                    k: v for k, v in r["headers"].items() if k not in _HANDSHAKE_AUTH | custom
                },
            }
            if r["path"].endswith("/realtime-model")
            else r
            for r in doc["requests"]
        ]
        outcome = {k: v for k, v in doc["outcome"].items() if k != "protocol"}
        return {"outcome": outcome, "requests": requests}

    assert_same(without_auth(theirs), without_auth(ours))


@attrs.frozen
class Deviation:
    id: str  # the row of docs/deviations.md
    check: Callable[[Doc, Doc], None]


DELIBERATE: Final[dict[str, Deviation]] = {
    "resume-many-drops-stream": Deviation(
        "resume-while-progressing", check_resume_while_progressing
    ),
    "realtime-invalid-token": Deviation("subprotocol-token-check", check_subprotocol_token_check),
    "error-event-stream": Deviation("balanced-parts", check_balanced_parts),
    "ended-early-stream": Deviation("balanced-parts", check_balanced_parts),
    "malformed-event-stream": Deviation("json-parse-messages", check_json_parse_messages),
    "mint-refused": Deviation("python-argument-names", check_python_argument_names),
    "realtime-text-turn": Deviation("handshake-headers", check_handshake_headers),
    "realtime-server-credential": Deviation(
        "server-credential-subprotocol", check_server_credential_subprotocol
    ),
}


# --- the tests --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def reference() -> ReferenceRun:
    require_node()
    return run_reference()


def _param(name: str) -> Any:
    if name in PENDING:
        return pytest.param(
            name, marks=pytest.mark.xfail(reason=PENDING[name], strict=True, raises=AssertionError)
        )
    return name


def test_the_reference_run_is_the_pinned_packages(reference: ReferenceRun) -> None:
    pins = json.loads((Path(__file__).with_name("package.json")).read_text())["dependencies"]
    for name, version in reference.versions.items():
        assert pins[name] == version, name
    crashed = {n: r.outcome["crash"] for n, r in reference.records.items() if "crash" in r.outcome}
    assert crashed == {}, "the driver failed on these cases"
    # Every case reached the emulator, except the one refused before connecting.
    silent = {n for n, r in reference.records.items() if not r.requests}
    assert silent == {"realtime-invalid-token"}


@pytest.mark.anyio
@pytest.mark.parametrize("name", [_param(case.name) for case in CASES])
async def test_case(name: str, reference: ReferenceRun) -> None:
    case = CASES_BY_NAME[name]
    async with run_emulator() as emulator:
        outcome = await run_partstream(case, emulator)
        record = Record(outcome, list(emulator.app.requests), known_ids(emulator.app))
    ours, theirs = normalise(record), normalise(reference.records[name])
    if name in DELIBERATE:
        DELIBERATE[name].check(theirs, ours)
    else:
        assert_same(theirs, ours)


def _deviation_rows() -> dict[str, str]:
    """Deviation id -> its "Checked by" cell, from the table of docs/deviations.md."""
    rows = {}
    for line in DEVIATIONS_DOC.read_text().splitlines():
        found = re.match(r"\| `([a-z0-9-]+)` \|.*\| ([^|]+) \|$", line)
        if found:
            rows[found.group(1)] = found.group(2).strip()
    return rows


def test_every_difference_is_documented_or_pending() -> None:
    rows = _deviation_rows()
    assert len(rows) >= 5, "the table of docs/deviations.md did not parse"
    names = {case.name for case in CASES}
    # A deliberate difference: a case of the matrix, a row of the table that names it.
    for name, deviation in DELIBERATE.items():
        assert name in names, name
        assert deviation.id in rows, f"{name}: no row {deviation.id!r} in docs/deviations.md"
        assert name in rows[deviation.id], f"row {deviation.id!r} does not name {name}"
        assert name not in PENDING, f"{name} is both deliberate and pending"
    # A pending difference: a case, with the reason it is pending.
    for name, reason in PENDING.items():
        assert name in names, f"known failure {name!r} is not a case of the matrix"
        assert len(reason) > 20, name
    # And every row is checked: by its cases, or by the test it names.
    for deviation_id, checked_by in rows.items():
        if any(d.id == deviation_id for d in DELIBERATE.values()):
            continue
        path, _, test = checked_by.strip("`").partition("::")
        source = (ROOT / path).read_text()
        assert re.search(rf"^(?:def|async def) {test}\b|^{test}\b", source, re.M), checked_by
    # The ignored request headers that are deviations name their row.
    assert "user-agent" in rows
    assert "user-agent" in IGNORED_REQUEST_HEADERS
    assert CASE_HEADER not in IGNORED_REQUEST_HEADERS
