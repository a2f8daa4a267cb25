"""What @ai-sdk/google changed after 4.0.50 in the Interactions model, followed here.

Each test names the release that brought the behaviour. The differential test
(``tests/reference``) checks the same behaviours end to end against the published
package; these pin them in the codecs, including the inputs the emulator cannot send.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partstream import errors, parts
from partstream.codecs.interactions import (
    InteractionsStreamTransform,
    InteractionsTarget,
    convert_to_interactions_input,
    generate_outputs,
    prepare_interactions_tools,
    prepare_request,
)
from partstream.codecs.interactions._reasoning import (
    REASONING_VALUES,
    map_reasoning_to_thinking_level,
    thinking_levels,
)

MODEL = InteractionsTarget("gemini-2.5-flash")
GEMINI_3 = InteractionsTarget("gemini-3-flash-preview")
AGENT = InteractionsTarget(agent="deep-research-pro-preview-12-2025")
IID = "v1_abc"
WEATHER = {"type": "function", "name": "weather", "inputSchema": {"type": "object"}}
SEARCH = {"type": "provider", "id": "google.google_search", "name": "google_search", "args": {}}


def google(**options: Any) -> dict[str, Any]:
    return {"google": options}


# --- 4.0.114: labels -------------------------------------------------------------------


def test_labels_go_into_the_body() -> None:
    labels = {"safety_identifier": "user-42", "team": "search"}
    body = prepare_request(MODEL, prompt="hi", provider_options=google(labels=labels)).body
    assert body["labels"] == labels
    agent_body = prepare_request(AGENT, prompt="hi", provider_options=google(labels=labels)).body
    assert agent_body["labels"] == labels  # agents take them too
    assert "labels" not in prepare_request(MODEL, prompt="hi").body


@pytest.mark.parametrize("labels", [["a"], {"a": 1}, "x"])
def test_labels_must_be_a_string_record(labels: Any) -> None:
    with pytest.raises(errors.InvalidArgumentError, match="labels"):
        prepare_request(MODEL, prompt="hi", provider_options=google(labels=labels))


# --- 4.0.111: toolChoice none ----------------------------------------------------------


def test_tool_choice_none_omits_every_tool() -> None:
    prepared = prepare_interactions_tools([WEATHER, SEARCH], {"type": "none"})
    assert (prepared.tools, prepared.tool_choice, prepared.warnings) == (None, None, [])
    body = prepare_request(
        MODEL, prompt="hi", tools=[WEATHER, SEARCH], tool_choice={"type": "none"}
    ).body
    assert "tools" not in body
    assert "generation_config" not in body
    # The other choices still map as before.
    assert prepare_interactions_tools([WEATHER], {"type": "required"}).tool_choice == "any"


# --- 4.0.121 / 4.0.119: reasoning, xhigh -------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "levels"),
    [
        ("gemini-2.5-flash", ()),
        ("gemini-2.0-flash", ()),
        ("deep-research-pro-preview-12-2025", ()),
        ("gemini-3-flash-preview", ("minimal", "low", "medium", "high")),
        ("gemini-3.5-flash", ("minimal", "low", "medium", "high")),
        ("gemini-3.7-flash", ("low", "medium", "high")),
        ("gemini-3.5-flash-lite", ("minimal", "low", "medium", "high")),
        ("gemini-3-pro-preview", ("low", "medium", "high")),
        ("gemini-3-pro-image-preview", ()),
        ("gemini-flash-latest", ("low", "medium", "high")),
        ("gemini-4-argon", ("minimal", "low", "medium", "high")),
        ("gemini-4-hydrogen", ("low", "medium", "high", "xhigh")),
        ("models/gemini-4-hydrogen-preview", ("low", "medium", "high", "xhigh")),
    ],
)
def test_thinking_levels_follow_the_model_catalog(model_id: str, levels: tuple[str, ...]) -> None:
    assert thinking_levels(model_id) == levels


def test_reasoning_maps_down_and_warns() -> None:
    request = prepare_request(GEMINI_3, prompt="hi", reasoning="xhigh")
    assert request.body["generation_config"] == {"thinking_level": "high"}
    assert request.warnings == [
        parts.CompatibilityWarning(
            feature="reasoning",
            details='reasoning "xhigh" is not directly supported by this model. '
            'mapped to effort "high".',
        )
    ]
    # `none` is never a fallback: the lowest level is sent instead.
    low = prepare_request(InteractionsTarget("gemini-3-pro-preview"), prompt="hi", reasoning="none")
    assert low.body["generation_config"] == {"thinking_level": "low"}
    # An exact level is sent without a warning.
    exact = prepare_request(GEMINI_3, prompt="hi", reasoning="medium")
    assert (exact.body["generation_config"], exact.warnings) == ({"thinking_level": "medium"}, [])


def test_reasoning_on_a_model_without_levels_warns_and_sends_nothing() -> None:
    request = prepare_request(MODEL, prompt="hi", reasoning="high")
    assert "generation_config" not in request.body
    assert request.warnings == [
        parts.UnsupportedWarning(
            feature="reasoning", details='reasoning "high" is not supported by this model.'
        )
    ]


def test_thinking_level_option_wins_and_default_reasoning_sends_nothing() -> None:
    request = prepare_request(
        GEMINI_3, prompt="hi", reasoning="low", provider_options=google(thinkingLevel="xhigh")
    )
    assert (request.body["generation_config"], request.warnings) == (
        {"thinking_level": "xhigh"},
        [],
    )
    default = prepare_request(GEMINI_3, prompt="hi", reasoning="provider-default")
    assert ("generation_config" in default.body, default.warnings) == (False, [])


def test_an_agent_drops_reasoning_with_the_other_settings() -> None:
    request = prepare_request(AGENT, prompt="hi", reasoning="high", max_output_tokens=5)
    assert "generation_config" not in request.body
    [warning] = request.warnings
    assert isinstance(warning, parts.OtherWarning)
    assert warning.message.startswith("google.interactions: maxOutputTokens, reasoning are not")


def test_an_unknown_reasoning_value_is_refused() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="reasoning") as info:
        prepare_request(MODEL, prompt="hi", reasoning="extreme")
    assert info.value.argument == "reasoning"


_LEVELS = ("minimal", "low", "medium", "high", "xhigh", "max")


@given(
    st.sampled_from(REASONING_VALUES),
    st.lists(st.sampled_from(_LEVELS[:5]), unique=True).map(
        lambda ls: tuple(sorted(ls, key=_LEVELS.index))
    ),
)
def test_reasoning_mapping_properties(reasoning: str, levels: tuple[str, ...]) -> None:
    warnings: list[parts.Warning] = []
    level = map_reasoning_to_thinking_level(
        reasoning, levels=levels, thinking_level=None, warnings=warnings
    )
    if reasoning == "provider-default":
        assert (level, warnings) == (None, [])
    elif not levels:
        assert level is None
        assert [w.type for w in warnings] == ["unsupported"]
    else:
        assert level in levels
        assert len(warnings) == (level != reasoning)
        if reasoning in levels:
            assert level == reasoning
        elif reasoning != "none" and any(
            _LEVELS.index(x) < _LEVELS.index(reasoning) for x in levels
        ):
            # Rounded down to the nearest lower level ...
            lower = [x for x in levels if _LEVELS.index(x) < _LEVELS.index(reasoning)]
            assert level == lower[-1]
        else:
            # ... else up to the lowest level there is.
            assert level == levels[0]


# --- 4.0.59: video response formats -------------------------------------------------------


def test_video_response_format_entries() -> None:
    entry = {
        "type": "video",
        "aspectRatio": "9:16",
        "resolution": "1080p",
        "duration": "8s",
        "delivery": "uri",
        "gcsUri": "gs://bucket/out",
    }
    body = prepare_request(MODEL, prompt="hi", provider_options=google(responseFormat=[entry])).body
    assert body["response_format"] == [
        {
            "type": "video",
            "aspect_ratio": "9:16",
            "resolution": "1080p",
            "duration": "8s",
            "delivery": "uri",
            "gcs_uri": "gs://bucket/out",
        }
    ]
    with pytest.raises(errors.InvalidArgumentError, match="resolution"):
        prepare_request(
            MODEL,
            prompt="hi",
            provider_options=google(responseFormat=[{"type": "video", "resolution": "8k"}]),
        )


# --- 4.0.63 / 4.0.81: agentic video processing ---------------------------------------------


def _video(processing: Any) -> list[dict[str, Any]]:
    return [
        {
            "role": "user",
            "content": [
                {
                    "type": "file",
                    "mediaType": "video/mp4",
                    "data": "gs://bucket/clip.mp4",
                    "providerOptions": {"google": {"processing": processing}},
                }
            ],
        }
    ]


@pytest.mark.parametrize(
    ("processing", "expected"),
    [
        ("agentic", "agentic"),
        ("static", "static"),
        (
            {"type": "static", "startOffset": 1.5, "endOffset": 10, "fps": 2},
            {"type": "static", "start_offset": "1.5s", "end_offset": "10s", "fps": 2},
        ),
        ({"type": "static"}, {"type": "static"}),
    ],
)
def test_video_processing_option(processing: Any, expected: Any) -> None:
    converted = convert_to_interactions_input(_video(processing))
    [block] = converted.input[0]["content"]
    assert block["processing"] == expected
    assert converted.warnings == []


def test_a_bad_video_processing_option_is_dropped_with_a_warning() -> None:
    converted = convert_to_interactions_input(_video("dynamic"))
    [block] = converted.input[0]["content"]
    assert "processing" not in block
    assert [w.message for w in converted.warnings if isinstance(w, parts.OtherWarning)] == [
        "google.interactions: invalid providerOptions.google.processing on video file part; "
        'expected "agentic", "static", or a static processing configuration. Option dropped.'
    ]


def _processing_events() -> list[dict[str, Any]]:
    return [
        {"event_type": "interaction.created", "interaction": {"id": IID}},
        {
            "event_type": "step.start",
            "index": 0,
            "step": {"type": "processing_call", "id": "p1", "signature": "s0"},
        },
        {
            "event_type": "step.delta",
            "index": 0,
            "delta": {"type": "processing_call", "signature": "s1"},
        },
        {"event_type": "step.stop", "index": 0},
        {
            "event_type": "step.start",
            "index": 1,
            "step": {"type": "processing_result", "call_id": ""},
        },
        {
            "event_type": "step.delta",
            "index": 1,
            "delta": {"type": "processing_result", "call_id": "p1"},
        },
        {"event_type": "step.stop", "index": 1},
        {"event_type": "step.start", "index": 2, "step": {"type": "processing_call"}},
        {"event_type": "step.stop", "index": 2},
        {"event_type": "interaction.completed", "interaction": {"id": IID, "status": "completed"}},
    ]


_CUSTOM_PARTS = [
    {
        "type": "custom",
        "kind": "google.processing_call",
        "providerMetadata": {
            "google": {"signature": "s1", "interactionId": IID, "processingId": "p1"}
        },
    },
    {
        "type": "custom",
        "kind": "google.processing_result",
        "providerMetadata": {"google": {"interactionId": IID, "processingCallId": "p1"}},
    },
    {
        "type": "custom",
        "kind": "google.processing_call",
        # No id on the step: the block id stands in.
        "providerMetadata": {"google": {"interactionId": IID, "processingId": f"{IID}:2"}},
    },
]


def test_processing_steps_stream_as_custom_parts() -> None:
    t = InteractionsStreamTransform(generate_id=lambda: "gen")
    out = t.start()
    for event in _processing_events():
        out += t.feed(event)
    out += t.finish()
    assert [p.to_dict() for p in out if p.type == "custom"] == _CUSTOM_PARTS
    assert out[-1].to_dict()["finishReason"] == {"unified": "stop", "raw": "completed"}


@given(st.integers(min_value=0, max_value=len(_processing_events())))
def test_a_restored_transform_continues_inside_a_processing_step(cut: int) -> None:
    events = _processing_events()
    whole = InteractionsStreamTransform(generate_id=lambda: "gen")
    expected = [p.to_dict() for e in events for p in whole.feed(e)] + [
        p.to_dict() for p in whole.finish()
    ]
    first = InteractionsStreamTransform(generate_id=lambda: "gen")
    got = [p.to_dict() for e in events[:cut] for p in first.feed(e)]
    second = InteractionsStreamTransform.restore(first.snapshot(), generate_id=lambda: "gen")
    got += [p.to_dict() for e in events[cut:] for p in second.feed(e)]
    got += [p.to_dict() for p in second.finish()]
    assert got == expected


def test_processing_steps_of_a_generate_answer() -> None:
    response = {
        "id": IID,
        "status": "completed",
        "steps": [
            {"type": "processing_call", "id": "p1", "signature": "s1"},
            {"type": "processing_result", "call_id": "p1"},
            {"type": "processing_result", "call_id": ""},
        ],
    }
    content = generate_outputs(response, generate_id=lambda: "gen").content
    assert [c.to_dict() for c in content] == [
        _CUSTOM_PARTS[0],
        _CUSTOM_PARTS[1],
        {
            "type": "custom",
            "kind": "google.processing_result",
            "providerMetadata": {"google": {"interactionId": IID, "processingCallId": "gen"}},
        },
    ]


def test_custom_parts_sent_back_become_processing_steps() -> None:
    assistant = [
        {**part, "providerOptions": part["providerMetadata"]}
        for part in (_CUSTOM_PARTS[0], _CUSTOM_PARTS[1])
    ] + [{"type": "custom", "kind": "acme.other", "providerOptions": {}}]
    converted = convert_to_interactions_input(
        [
            {"role": "user", "content": [{"type": "text", "text": "Watch this."}]},
            {"role": "assistant", "content": [{"type": "text", "text": "Watching."}, *assistant]},
        ]
    )
    assert converted.input[1:] == [
        {"type": "model_output", "content": [{"type": "text", "text": "Watching."}]},
        {"type": "processing_call", "id": "p1", "signature": "s1"},
        {"type": "processing_result", "call_id": "p1"},
    ]
    assert [w.message for w in converted.warnings if isinstance(w, parts.OtherWarning)] == [
        'google.interactions: unsupported or invalid custom assistant content part "acme.other"; '
        "part dropped."
    ]


# --- deliberate: both completion event names (docs/deviations.md, completion-event-names) ---


@pytest.mark.parametrize("event_type", ["interaction.completed", "interaction.complete"])
def test_the_earlier_completion_event_name_is_accepted(event_type: str) -> None:
    usage = {"total_input_tokens": 2, "total_output_tokens": 3}
    t = InteractionsStreamTransform()
    t.start()
    t.feed(
        {
            "event_type": event_type,
            "interaction": {"id": IID, "status": "completed", "usage": usage},
        }
    )
    [finish] = t.finish()
    assert finish.to_dict()["finishReason"] == {"unified": "stop", "raw": "completed"}
    assert finish.to_dict()["usage"]["outputTokens"]["total"] == 3
