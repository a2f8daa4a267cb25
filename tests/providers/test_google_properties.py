"""Hypothesis properties of the provider's own logic.

- resuming from any position of any well-formed event stream, however the events
  are batched, gives exactly the rest of the parts (the cursor's replay logic);
- the same end to end, over a loopback server that also drops connections;
- cursors round-trip and arbitrary input only ever raises InvalidArgumentError;
- any error body becomes an APICallError that never carries the API key.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conformance._replay import BackgroundInteraction, run_server
from tests.providers._google_support import (
    AGENT,
    BACKGROUND,
    FAST_RESUME,
    INTERACTION_ID,
    PROMPT,
    drain,
    provider_for,
)

from partstream import errors
from partstream.codecs.interactions import InteractionsStreamTransform
from partstream.providers._google_http import ApiConfig, Secret, api_call_error
from partstream.providers._google_stream import _Tracker
from partstream.providers.google import InteractionCursor
from partstream.testing import InteractionsStream, interactions_streams, json_values

pytestmark = pytest.mark.anyio


def _batches(events: list[dict[str, Any]], cuts: list[int]) -> list[list[dict[str, Any]]]:
    points = sorted({c % (len(events) + 1) for c in cuts} | {0, len(events)})
    return [events[a:b] for a, b in itertools.pairwise(points) if b > a]


def _run(tracker: _Tracker, batches: list[list[dict[str, Any]]]) -> list[Any]:
    out = list(tracker.start())
    for batch in batches:
        out += tracker.feed(batch)
    return out + tracker.finish()


def _transform() -> InteractionsStreamTransform:
    return InteractionsStreamTransform(warnings=[], generate_id=lambda: "gid")


@given(interactions_streams(), st.data())
def test_a_replay_from_any_position_gives_exactly_the_rest(
    stream: InteractionsStream, data: st.DataObject
) -> None:
    cuts = st.lists(st.integers(0, 100), max_size=6)
    full_tracker = _Tracker(_transform())
    full = _run(full_tracker, _batches(stream.events, data.draw(cuts)))
    bounds = list(full_tracker.bounds)
    k = data.draw(st.integers(0, len(full)))
    # What the consumer side reports after k parts: the last event fully delivered.
    passed = [event_id for end, event_id in bounds if end <= k]
    expect = passed[-1] if passed else None
    resumed = _run(
        _Tracker(_transform(), skip=k, expect=expect), _batches(stream.events, data.draw(cuts))
    )
    assert full[:k] + resumed == full
    if passed:
        with pytest.raises(errors.StreamResumeError, match="does not match"):
            _run(_Tracker(_transform(), skip=k, expect="not-an-event"), [stream.events])


@given(
    json_values(6)
    | st.dictionaries(st.sampled_from(["version", "interactionId", "parts"]), json_values(2))
)
def test_arbitrary_cursor_data_is_refused_cleanly(data: Any) -> None:
    try:
        cursor = InteractionCursor.from_dict(data)
    except errors.InvalidArgumentError:
        return
    assert InteractionCursor.from_json(cursor.to_json()) == cursor


@given(
    st.builds(
        InteractionCursor,
        interaction_id=st.text(min_size=1),
        last_event_id=st.none() | st.text(),
        parts=st.integers(0, 2**40),
        include_raw_chunks=st.booleans(),
        service_tier=st.none() | st.text(),
        warnings=st.lists(
            st.builds(lambda m: {"type": "other", "message": m}, st.text()), max_size=2
        ).map(tuple),
    )
)
def test_cursors_round_trip(cursor: InteractionCursor) -> None:
    assert InteractionCursor.from_json(cursor.to_json()) == cursor
    assert InteractionCursor.from_dict(json.loads(json.dumps(cursor.to_dict()))) == cursor


@given(
    status=st.integers(400, 599),
    body=st.binary(max_size=200)
    | json_values(4).map(lambda v: json.dumps(v).encode())
    | st.text(max_size=60).map(
        lambda m: json.dumps({"error": {"code": 400, "message": m + KEY, "status": "X"}}).encode()
    ),
)
def test_any_error_body_is_an_api_call_error_without_the_key(status: int, body: bytes) -> None:
    config = ApiConfig(
        base_url="http://127.0.0.1/v1beta", api_key=Secret(KEY), headers={}, http_client=None
    )
    exc = api_call_error(
        config, "http://127.0.0.1/v1beta/interactions", status, httpx.Headers(), body
    )
    assert isinstance(exc, errors.APICallError)
    assert exc.status_code == status
    assert KEY not in str(exc)
    assert KEY not in (exc.response_body or "")


KEY = "k3y-Secret-Value"


def _finished(stream: InteractionsStream) -> bool:
    return stream.final_status is not None


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(interactions_streams(max_steps=3).filter(_finished), st.data())
async def test_stop_anywhere_and_resume_over_a_flaky_server(
    stream: InteractionsStream, data: st.DataObject
) -> None:
    events = stream.events
    drops = st.lists(st.integers(1, max(1, len(events) - 1)).map(lambda n: ("drop", n)), max_size=2)
    full_run = BackgroundInteraction(INTERACTION_ID, events=events)
    run = BackgroundInteraction(INTERACTION_ID, events=events, stream_plan=data.draw(drops))
    async with run_server() as server:
        full_run.install(server)
        model = provider_for(server).interactions(agent=AGENT, resume=FAST_RESUME)
        async with model.stream(PROMPT, provider_options=BACKGROUND) as s:
            full = await drain(s)
    k = data.draw(st.integers(0, len(full)))
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT, resume=FAST_RESUME)
        first: list[dict[str, Any]] = []
        async with model.stream(PROMPT, provider_options=BACKGROUND) as s:
            while len(first) < k:
                first.append((await s.__anext__()).to_dict())
            cursor = s.detach()
        assert cursor is not None
        async with model.resume(cursor.to_json()) as resumed:
            rest = await drain(resumed)
        assert run.cancelled == 0
    assert first + rest == full
