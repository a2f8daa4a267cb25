"""Hypothesis properties of the provider's own logic.

- a cursor taken at any position of any well-formed event stream, however the
  events are batched and whenever the consumer side catches up, resumes with
  exactly the rest of the parts (restored transform, the events after its id);
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
from partstream.providers._google_cursor import _constant_id, _Follower, _Tracker
from partstream.providers._google_http import ApiConfig, Secret, api_call_error
from partstream.providers.google import InteractionCursor
from partstream.testing import InteractionsStream, interactions_streams, json_values, warnings

pytestmark = pytest.mark.anyio

_STATE = InteractionsStreamTransform().snapshot()


def _batches(events: list[dict[str, Any]], cuts: list[int]) -> list[list[dict[str, Any]]]:
    points = sorted({c % (len(events) + 1) for c in cuts} | {0, len(events)})
    return [events[a:b] for a, b in itertools.pairwise(points) if b > a]


def _transform() -> InteractionsStreamTransform:
    return InteractionsStreamTransform(warnings=[], generate_id=lambda: "gid")


def _run(tracker: _Tracker, batches: list[list[dict[str, Any]]]) -> list[Any]:
    out = list(tracker.start())
    for batch in batches:
        out += tracker.feed(batch)
    return out + tracker.finish()


def _follow(
    batches: list[list[dict[str, Any]]], k: int, data: st.DataObject
) -> tuple[list[Any], InteractionCursor]:
    """Run the events as the provider does, the consumer reading up to ``k`` parts and
    the cursor's transform following at arbitrary moments; the cursor at ``k``."""
    tracker = _Tracker(_transform())
    follower = _Follower(
        InteractionsStreamTransform.restore(tracker.transform.snapshot(), generate_id=_constant_id)
    )
    out = list(tracker.start())
    for batch in batches:
        out += tracker.feed(batch)
        if data.draw(st.booleans()):  # the consumer catches up (as far as it reads)
            follower.advance(tracker.log, min(k, len(out)))
    out += tracker.finish()
    follower.advance(tracker.log, k)
    cursor = InteractionCursor(
        interaction_id="v1_x",
        state=follower.snapshot(),
        last_event_id=follower.event_id,
        skip=k - follower.end,
        parts=k,
        complete=follower.complete,
    )
    return out, cursor


@given(interactions_streams(), st.data())
def test_a_cursor_at_any_position_gives_exactly_the_rest(
    stream: InteractionsStream, data: st.DataObject
) -> None:
    cuts = st.lists(st.integers(0, 100), max_size=6)
    full = _run(_Tracker(_transform()), _batches(stream.events, data.draw(cuts)))
    k = data.draw(st.integers(0, len(full)))
    followed, cursor = _follow(_batches(stream.events, data.draw(cuts)), k, data)
    assert followed == full
    cursor = InteractionCursor.from_json(cursor.to_json())  # it travels as JSON

    # What model.resume does: restore, ask for the events after the cursor's, skip.
    ids = [e["event_id"] for e in stream.events]
    after = 0 if cursor.last_event_id is None else ids.index(cursor.last_event_id) + 1
    assert cursor.complete == (after == len(ids) and stream.final_status is not None)
    rest = [] if cursor.complete else stream.events[after:]
    resumed = _run(
        _Tracker(
            cursor._transform(lambda: "gid"),
            origin=cursor.parts - cursor.skip,
            skip_to=cursor.parts,
            started=cursor.last_event_id is not None,
        ),
        _batches(rest, data.draw(cuts)),
    )
    assert full[:k] + resumed == full


@given(
    json_values(6)
    | st.dictionaries(
        st.sampled_from(["v", "interactionId", "parts", "skip", "lastEventId", "state"]),
        json_values(2),
    )
    | st.fixed_dictionaries(
        {"v": st.just(2), "interactionId": st.just("x"), "state": st.just(_STATE)},
        optional={
            "parts": st.integers(-1, 3) | json_values(1),
            "skip": st.integers(-1, 3) | json_values(1),
            "lastEventId": st.none() | st.text(max_size=2) | json_values(1),
            "complete": json_values(1),
        },
    )
)
def test_arbitrary_cursor_data_is_refused_cleanly(data: Any) -> None:
    try:
        cursor = InteractionCursor.from_dict(data)
    except errors.InvalidArgumentError:
        return
    assert InteractionCursor.from_json(cursor.to_json()) == cursor


@st.composite
def _cursors(draw: st.DrawFn) -> InteractionCursor:
    stream = draw(interactions_streams(max_steps=3))
    transform = InteractionsStreamTransform(
        warnings=draw(st.lists(warnings(), max_size=2)),
        include_raw_chunks=draw(st.booleans()),
        service_tier=draw(st.none() | st.text()),
        generate_id=lambda: "gid",
    )
    for event in stream.events[: draw(st.integers(0, len(stream.events)))]:
        transform.feed(event)
    count = draw(st.integers(0, 2**40))
    last = draw(st.none() | st.text(min_size=1))
    return InteractionCursor(
        interaction_id=draw(st.text(min_size=1)),
        state=transform.snapshot(),
        last_event_id=last,
        skip=draw(st.integers(0, count)) if last is not None else count,
        parts=count,
        complete=draw(st.booleans()) if last is not None else False,
    )


@given(_cursors())
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
        before = len(server.requests)
        async with model.resume(cursor.to_json()) as resumed:
            rest = await drain(resumed)
        assert run.cancelled == 0
    assert first + rest == full
    resume_requests = server.requests[before:]
    if cursor.complete:
        assert resume_requests == []  # the server has nothing left to send
    else:
        # The first request asks for what follows the cursor's event, nothing before.
        assert resume_requests[0].query.get("last_event_id") == cursor.last_event_id
