"""The scripted model and the knob parser: pure units and hypothesis properties."""

from __future__ import annotations

import json
import random
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partstream.emulator import EmulatorApp, Faults, KnobError, Script
from partstream.emulator._asgi import FaultSchedule
from partstream.emulator._model import (
    RequestError,
    build_events,
    fold_steps,
    parse_turn,
    split_text,
    synthesize_value,
)
from partstream.emulator._realtime import RealtimeSession
from partstream.emulator._script_and_faults import parse_knobs

OWNER = {"model": "gemini-2.5-flash"}


def events_for(body: dict[str, Any], script: Script | None = None) -> list[dict[str, Any]]:
    events, _ = build_events(
        body,
        interaction_id="v1_x",
        owner=OWNER,
        script=script or Script(),
        created="2026-01-01T00:00:00Z",
    )
    return events


@given(text=st.text(min_size=1, max_size=300), deltas=st.integers(1, 60))
def test_split_text_keeps_the_text_in_the_requested_number_of_nonempty_pieces(
    text: str, deltas: int
) -> None:
    pieces = split_text(text, Script(deltas=deltas))
    assert len(pieces) == deltas
    assert all(pieces)
    joined = "".join(pieces)
    # The text is kept whole (doubled only when shorter than the number of pieces).
    assert joined.startswith(text) or len(text) < deltas


@given(text=st.text(min_size=1, max_size=50), deltas=st.integers(1, 40), size=st.integers(1, 30))
def test_split_text_with_delta_chars_gives_equal_pieces(text: str, deltas: int, size: int) -> None:
    pieces = split_text(text, Script(deltas=deltas, delta_chars=size))
    assert [len(p) for p in pieces] == [size] * deltas


def test_basic_event_sequence_matches_the_recorded_api_shape() -> None:
    events = events_for({"model": "m", "input": "Hello, how are you?"}, Script(deltas=3))
    kinds = [
        (e["event_type"], e.get("index"), (e.get("step") or e.get("delta") or {}).get("type"))
        for e in events
    ]
    assert kinds == [
        ("interaction.created", None, None),
        ("interaction.status_update", None, None),
        ("step.start", 0, "thought"),
        ("step.delta", 0, "thought_summary"),
        ("step.delta", 0, "thought_signature"),
        ("step.stop", 0, None),
        ("step.start", 1, "model_output"),
        ("step.delta", 1, "text"),
        ("step.delta", 1, "text"),
        ("step.delta", 1, "text"),
        ("step.stop", 1, None),
        ("interaction.completed", None, None),
    ]
    final = events[-1]["interaction"]
    assert final["status"] == "completed"
    assert final["usage"]["total_tokens"] == sum(
        final["usage"][k]
        for k in (
            "total_input_tokens",
            "total_output_tokens",
            "total_thought_tokens",
            "total_tool_use_tokens",
        )
    )
    text = "".join(e["delta"]["text"] for e in events if e.get("delta", {}).get("type") == "text")
    assert "Hello, how are you?" in text


def test_thought_summary_can_be_turned_off_by_request_or_knob() -> None:
    def has_summary(body: dict[str, Any], script: Script) -> bool:
        return any(
            e.get("delta", {}).get("type") == "thought_summary" for e in events_for(body, script)
        )

    assert has_summary({"model": "m", "input": "x"}, Script())
    assert not has_summary({"model": "m", "input": "x"}, Script(thought_summary=False))
    body = {"model": "m", "input": "x", "generation_config": {"thinking_summaries": "none"}}
    assert not has_summary(body, Script())


WEATHER_TOOL = {
    "type": "function",
    "name": "getWeather",
    "description": "weather",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["location", "days"],
    },
}


def test_a_declared_function_tool_gets_called_and_the_run_requires_action() -> None:
    events = events_for({"model": "m", "input": "Weather in Paris?", "tools": [WEATHER_TOOL]})
    start = next(e for e in events if e.get("step", {}).get("type") == "function_call")
    assert start["step"]["name"] == "getWeather"
    args_delta = next(e for e in events if e.get("delta", {}).get("type") == "arguments_delta")
    arguments = json.loads(args_delta["delta"]["arguments"])
    assert set(arguments) == {"location", "days"}
    assert isinstance(arguments["days"], int)
    assert events[-1]["interaction"]["status"] == "requires_action"
    steps = fold_steps(events)
    assert steps[1]["type"] == "function_call"
    assert steps[1]["arguments"] == arguments


def test_a_function_result_in_the_latest_turn_gets_a_text_answer() -> None:
    body = {
        "model": "m",
        "tools": [WEATHER_TOOL],
        "input": [
            {"type": "user_input", "content": [{"type": "text", "text": "Weather?"}]},
            {"type": "function_call", "id": "c1", "name": "getWeather", "arguments": {}},
            {
                "type": "user_input",
                "content": [
                    {
                        "type": "function_result",
                        "call_id": "c1",
                        "name": "getWeather",
                        "result": "sunny",
                    }
                ],
            },
        ],
    }
    events = events_for(body)
    assert events[-1]["interaction"]["status"] == "completed"
    text = "".join(e["delta"]["text"] for e in events if e.get("delta", {}).get("type") == "text")
    assert "getWeather tool returned sunny" in text


def test_tool_choice_none_and_allowed_tools_are_honoured() -> None:
    other = {**WEATHER_TOOL, "name": "getTime"}
    body = {"model": "m", "input": "x", "tools": [WEATHER_TOOL, other]}
    none = events_for({**body, "generation_config": {"tool_choice": "none"}})
    assert none[-1]["interaction"]["status"] == "completed"
    allowed = events_for(
        {
            **body,
            "generation_config": {
                "tool_choice": {"allowed_tools": {"mode": "validated", "tools": ["getTime"]}}
            },
        }
    )
    call = next(e for e in allowed if e.get("step", {}).get("type") == "function_call")
    assert call["step"]["name"] == "getTime"


def test_google_search_gives_citations_then_call_and_result_steps() -> None:
    events = events_for({"model": "m", "input": "news?", "tools": [{"type": "google_search"}]})
    annotation = next(
        e for e in events if e.get("delta", {}).get("type") == "text_annotation_delta"
    )
    urls = [a["url"] for a in annotation["delta"]["annotations"]]
    assert urls
    assert all(u.startswith("https://") for u in urls)
    step_types = [e["step"]["type"] for e in events if e["event_type"] == "step.start"]
    assert step_types == ["thought", "model_output", "google_search_call", "google_search_result"]
    steps = fold_steps(events)
    assert steps[2]["arguments"] == {"queries": ["news?"]}
    assert steps[3]["call_id"] == steps[2]["id"]
    assert [r["url"] for r in steps[3]["result"]] == urls
    assert steps[1]["content"][0]["annotations"] == annotation["delta"]["annotations"]
    assert events[-1]["interaction"]["usage"]["total_tool_use_tokens"] > 0


def test_json_response_format_answers_with_json_fitting_the_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["name", "age", "tags"],
    }
    body = {
        "model": "m",
        "input": "a person",
        "response_format": [{"type": "text", "mime_type": "application/json", "schema": schema}],
    }
    steps = fold_steps(events_for(body))
    value = json.loads(steps[1]["content"][0]["text"])
    assert isinstance(value["name"], str)
    assert isinstance(value["age"], float)
    assert isinstance(value["tags"], list)


def test_fold_steps_rebuilds_the_text_of_the_deltas() -> None:
    events = events_for({"model": "m", "input": "fold me"}, Script(deltas=7))
    text = "".join(e["delta"]["text"] for e in events if e.get("delta", {}).get("type") == "text")
    steps = fold_steps(events)
    assert steps[0]["type"] == "thought"
    assert steps[0]["signature"]
    assert steps[1] == {"type": "model_output", "content": [{"text": text, "type": "text"}]}


@pytest.mark.parametrize(
    "value",
    [
        None,
        3,
        "",
        [],
        [1],
        [{"no": "type"}],
        [{"type": "user_input", "content": "x"}],
        [{"type": "user_input", "content": []}],
    ],
)
def test_bad_inputs_are_request_errors(value: Any) -> None:
    with pytest.raises(RequestError) as info:
        parse_turn(value)
    assert info.value.code == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=60)
@given(value=json_values)
def test_parse_turn_only_raises_request_errors(value: Any) -> None:
    code = 0
    try:
        turn = parse_turn(value)
    except RequestError as exc:
        code = exc.code
    else:
        assert turn.text or turn.function_results
    assert code in (0, 400)


@settings(max_examples=60)
@given(schema=json_values)
def test_synthesize_value_never_raises(schema: Any) -> None:
    json.dumps(synthesize_value(schema, "hint"))


@settings(max_examples=100)
@given(text=st.text(max_size=80))
def test_knob_parsing_raises_only_knob_errors(text: str) -> None:
    for kwargs in (
        {"script_text": text, "fault_text": None},
        {"script_text": None, "fault_text": text},
    ):
        try:
            script, faults = parse_knobs(Script(), None, **kwargs)
        except KnobError:
            continue
        assert isinstance(script, Script)
        assert faults is None or isinstance(faults, Faults)


def test_knob_parsing_reads_both_spellings_and_rejects_unknown_keys() -> None:
    script, faults = parse_knobs(
        Script(),
        None,
        script_text="deltas=12; delta-chars=4, interval=0.5; thought_summary=off",
        fault_text="drop-after=3; close_code=4001",
    )
    assert script == Script(deltas=12, delta_chars=4, interval=0.5, thought_summary=False)
    assert faults == Faults(drop_after=3, close_code=4001)
    with pytest.raises(KnobError, match="unknown knob"):
        parse_knobs(Script(), None, script_text="speed=3", fault_text=None)
    with pytest.raises(KnobError, match="status"):
        parse_knobs(Script(), None, script_text=None, fault_text="status=200")
    with pytest.raises(KnobError, match="close_code"):
        Faults(close_code=1006)
    with pytest.raises(KnobError, match="deltas"):
        Script(deltas=0)


text_blocks = st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=20)})
steps = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("user_input"), "content": st.lists(text_blocks | json_values, max_size=3)}
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["function_call", "thought", "model_output", "text"])},
        optional={"text": json_values, "name": json_values, "id": json_values},
    ),
    json_values,
)
tools = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("function"), "name": st.text(max_size=8)},
            optional={"parameters": json_values},
        ),
        st.just({"type": "google_search"}),
        json_values,
    ),
    max_size=3,
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "model": st.text(max_size=8) | json_values,
        "agent": st.text(max_size=8),
        "input": st.text(max_size=30) | st.lists(steps, max_size=4) | json_values,
        "tools": tools | json_values,
        "stream": st.booleans(),
        "background": st.booleans(),
        "store": st.booleans() | json_values,
        "generation_config": st.fixed_dictionaries(
            {}, optional={"tool_choice": json_values, "thinking_summaries": json_values}
        )
        | json_values,
        "response_format": json_values,
        "previous_interaction_id": json_values,
    },
)


@settings(max_examples=60)
@given(body=bodies)
def test_request_validation_answers_a_4xx_or_a_complete_interaction(body: dict[str, Any]) -> None:
    app = EmulatorApp()
    code = 0
    try:
        interaction = app._new_interaction(body, Script(deltas=2))
    except RequestError as exc:
        code = exc.code
    else:
        assert interaction.events[-1]["event_type"] == "interaction.completed"
        assert interaction.events[-1]["interaction"]["status"] in ("completed", "requires_action")
        json.dumps(interaction.body(with_input=True))
        assert len({e["event_id"] for e in interaction.events}) == len(interaction.events)
    assert code == 0 or 400 <= code < 500


client_events = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                [
                    "session-update",
                    "input-audio-append",
                    "input-audio-commit",
                    "input-audio-clear",
                    "conversation-item-create",
                    "conversation-item-truncate",
                    "response-cancel",
                    "nonsense",
                ]
            )
        },
        optional={
            "config": json_values,
            "audio": json_values,
            "item": json_values,
            "itemId": json_values,
        },
    ),
    json_values,
)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@settings(max_examples=40)
@given(events=st.lists(client_events, max_size=6))
def test_realtime_client_events_only_ever_get_events_back(backend: str, events: list[Any]) -> None:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        raise AssertionError("not used")

    async def send(message: Any) -> None:
        sent.append(dict(message))

    async def main() -> None:
        session = RealtimeSession(
            EmulatorApp().next_id,
            receive,
            send,
            model="m",
            team=None,
            script=Script(deltas=2),
            schedule=FaultSchedule(None, random.Random(0)),
        )
        for event in events:
            await session._on_message({"type": "websocket.receive", "text": json.dumps(event)})

    anyio.run(main, backend=backend)
    for message in sent:
        assert message["type"] == "websocket.send"
        event = json.loads(message["text"])
        assert isinstance(event["type"], str)
        if event["type"] == "error":
            assert event["code"]
            assert event["message"]


def _video_input(processing: str | None) -> list[dict[str, Any]]:
    video: dict[str, Any] = {"type": "video", "uri": "gs://b/clip.mp4"}
    if processing is not None:
        video["processing"] = processing
    return [{"type": "user_input", "content": [video, {"type": "text", "text": "What?"}]}]


def test_an_agentic_video_gets_processing_steps_before_the_answer() -> None:
    events = events_for({"model": "m", "input": _video_input("agentic")})
    steps = fold_steps(events)
    assert [s["type"] for s in steps] == [
        "thought",
        "processing_call",
        "processing_result",
        "model_output",
    ]
    assert steps[2]["call_id"] == steps[1]["id"]
    assert steps[1]["signature"]
    # Without agentic processing the answer follows the thought directly.
    for processing in (None, "static"):
        plain = fold_steps(events_for({"model": "m", "input": _video_input(processing)}))
        assert [s["type"] for s in plain] == ["thought", "model_output"]


@pytest.mark.parametrize("labels", [["x"], {"a": 1}, "s"])
def test_labels_must_be_a_record_of_strings(labels: Any) -> None:
    with pytest.raises(RequestError, match="labels") as info:
        events_for({"model": "m", "input": "hi", "labels": labels})
    assert info.value.code == 400
    assert events_for({"model": "m", "input": "hi", "labels": {"safety_identifier": "u"}})


def test_the_error_after_knob_parses() -> None:
    _, faults = parse_knobs(Script(), None, script_text=None, fault_text="error-after=2")
    assert faults == Faults(error_after=2)
    assert faults.active
    with pytest.raises(KnobError):
        Faults(error_after=-1)
