"""Provider option edges: every enumerated value, bounds, nested shapes, paths in the errors."""

from __future__ import annotations

from typing import Any

import pytest

from partstream.codecs.interactions import (
    InteractionsProviderOptions,
    parse_interactions_provider_options,
)
from partstream.errors import InvalidArgumentError


def parse(**options: Any) -> InteractionsProviderOptions:
    parsed = parse_interactions_provider_options({"google": options})
    assert parsed is not None
    return parsed


def error(**options: Any) -> str:
    with pytest.raises(InvalidArgumentError) as info:
        parse_interactions_provider_options({"google": options})
    assert info.value.argument == "providerOptions"
    return str(info.value)


# The enumerations of the reference schema (google-interactions-language-model-options.ts).
ASPECT_RATIOS = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
ASPECT_RATIOS += ["1:8", "8:1", "1:4", "4:1"]
IMAGE_SIZES = ["1K", "2K", "4K", "512"]


@pytest.mark.parametrize(
    ("key", "attribute", "values"),
    [
        ("thinkingLevel", "thinking_level", ["minimal", "low", "medium", "high", "xhigh"]),
        ("thinkingSummaries", "thinking_summaries", ["auto", "none"]),
        ("mediaResolution", "media_resolution", ["low", "medium", "high", "ultra_high"]),
        ("serviceTier", "service_tier", ["flex", "standard", "priority"]),
    ],
)
def test_every_enumerated_value_is_accepted_and_a_near_miss_is_not(
    key: str, attribute: str, values: list[str]
) -> None:
    for value in values:
        assert getattr(parse(**{key: value}), attribute) == value
        assert f"{key}: expected one of" in error(**{key: value.upper() + "x"})


def test_every_modality_aspect_ratio_and_image_size() -> None:
    modalities = ["text", "image", "audio", "video", "document"]
    assert parse(responseModalities=modalities).response_modalities == tuple(modalities)
    assert parse(responseModalities=("text",)).response_modalities == ("text",)
    for ratio in ASPECT_RATIOS:
        assert parse(imageConfig={"aspectRatio": ratio}).image_config == {"aspectRatio": ratio}
        entry = {"type": "image", "aspectRatio": ratio}
        assert parse(responseFormat=[entry]).response_format == (entry,)
    for size in IMAGE_SIZES:
        assert parse(imageConfig={"imageSize": size}).image_config == {"imageSize": size}
        entry = {"type": "image", "imageSize": size, "mimeType": "image/png"}
        assert parse(responseFormat=[entry]).response_format == (entry,)
    assert "imageConfig.imageSize: expected one of" in error(imageConfig={"imageSize": "8K"})
    assert "responseFormat[0].imageSize" in error(
        responseFormat=[{"type": "image", "imageSize": "8K"}]
    )


def test_arrays_must_be_arrays() -> None:
    # A mapping iterates like a list of its keys: still not an array.
    assert "responseModalities: expected an array" in error(responseModalities={"text": 1})
    assert "responseFormat: expected an array" in error(responseFormat={"type": "text"})


def test_string_fields() -> None:
    parsed = parse(
        agent="deep-research-pro",
        signature="sig",
        interactionId="v1_i",
        systemInstruction="be brief",
        previousInteractionId="v1_p",
    )
    assert (parsed.agent, parsed.signature, parsed.interaction_id) == (
        "deep-research-pro",
        "sig",
        "v1_i",
    )
    assert (parsed.system_instruction, parsed.previous_interaction_id) == ("be brief", "v1_p")
    # A top-level field's path is its own name (no leading dot).
    assert "invalid google provider options: agent: expected a string, got int" in error(agent=5)
    assert "signature: expected a string" in error(signature=["s"])


def test_polling_timeout_bounds() -> None:
    assert parse(pollingTimeoutMs=1).polling_timeout_ms == 1
    assert parse(pollingTimeoutMs=2**53 - 1).polling_timeout_ms == 2**53 - 1
    assert parse(pollingTimeoutMs=float(2**52)).polling_timeout_ms == 2**52
    for bad in (0, -1, 2**53, 0.5, float("inf"), float("nan"), "10"):
        assert "pollingTimeoutMs: expected a positive integer" in error(pollingTimeoutMs=bad)


def test_agent_configs() -> None:
    dynamic = {"type": "dynamic", "anything": [1], "visualization": "whatever"}
    assert parse(agentConfig=dynamic).agent_config == dynamic  # a loose object, kept whole
    for visualization in ("off", "auto"):
        config = {"type": "deep-research", "visualization": visualization}
        assert parse(agentConfig=config).agent_config == config
    research = {
        "type": "deep-research",
        "thinkingSummaries": "auto",
        "visualization": None,  # nullish: dropped
        "collaborativePlanning": False,
        "extra": 1,  # not declared: stripped
    }
    assert parse(agentConfig=research).agent_config == {
        "type": "deep-research",
        "thinkingSummaries": "auto",
        "collaborativePlanning": False,
    }
    assert "agentConfig.collaborativePlanning: expected a boolean" in error(
        agentConfig={"type": "deep-research", "collaborativePlanning": "yes"}
    )


def test_response_format_entries_keep_undeclared_keys_and_check_declared_ones() -> None:
    text = {"type": "text", "aspectRatio": "any", "schema": {"type": "object"}}
    assert parse(responseFormat=[text]).response_format == (text,)  # no image checks on text
    audio = {"type": "audio", "mimeType": "audio/wav"}
    assert parse(responseFormat=[audio]).response_format == (audio,)
    assert "responseFormat[1].mimeType: expected a string" in error(
        responseFormat=[audio, {"type": "audio", "mimeType": 5}]
    )
    assert "responseFormat[0].type: expected one of" in error(responseFormat=[{"type": "smell"}])
    video = {
        "type": "video",
        "aspectRatio": "9:16",
        "resolution": "4k",
        "duration": "8s",
        "delivery": "uri",
        "gcsUri": "gs://b/v",
        "mimeType": 5,  # not declared for video: kept as given
    }
    assert parse(responseFormat=[video]).response_format == (video,)
    for key, values in (
        ("aspectRatio", ["16:9", "9:16"]),
        ("resolution", ["360p", "720p", "1080p", "4k"]),
        ("delivery", ["inline", "uri"]),
    ):
        for value in values:
            entry = {"type": "video", key: value}
            assert parse(responseFormat=[entry]).response_format == (entry,)
        assert f"responseFormat[0].{key}: expected one of" in error(
            responseFormat=[{"type": "video", key: "bogus"}]
        )
    for key in ("duration", "gcsUri"):
        assert f"responseFormat[0].{key}: expected a string" in error(
            responseFormat=[{"type": "video", key: 5}]
        )


def test_environments() -> None:
    assert parse(environment="python").environment == "python"
    sources = [
        {"type": "gcs", "source": "gs://b/x", "target": "/x"},
        {"type": "repository", "source": "https://git/r"},
        {"type": "inline", "content": "print(1)", "target": "main.py"},
    ]
    network = {"allowlist": [{"domain": "a.com", "transform": [{"k": "v"}]}, {"domain": "b.com"}]}
    environment = {"type": "remote", "sources": sources, "network": network, "other": 1}
    assert parse(environment=environment).environment == {
        "type": "remote",
        "sources": sources,
        "network": network,
    }
    assert parse(environment={"type": "remote"}).environment == {"type": "remote"}
    assert parse(environment={"type": "remote", "network": "disabled"}).environment == {
        "type": "remote",
        "network": "disabled",
    }
    assert "environment.sources[0].source: expected a string" in error(
        environment={"type": "remote", "sources": [{"type": "gcs"}]}
    )
    assert "environment.sources[0].content: expected a string" in error(
        environment={"type": "remote", "sources": [{"type": "inline", "target": "t"}]}
    )
    assert "environment.network.allowlist[0].transform[0].k: expected a string" in error(
        environment={
            "type": "remote",
            "network": {"allowlist": [{"domain": "a", "transform": [{"k": 1}]}]},
        }
    )
    assert "environment.network.allowlist: expected an array" in error(
        environment={"type": "remote", "network": {}}
    )


def test_snake_case_spellings_are_refused_with_the_camel_case_name() -> None:
    message = error(thinking_level="low")
    assert "thinking_level: the option is spelled 'thinkingLevel'" in message
    assert parse(store=False).store is False  # one word: the same in both spellings


def test_provider_options_that_are_not_a_mapping_name_the_argument() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        parse_interactions_provider_options(["google"])  # type: ignore[arg-type]
    assert info.value.argument == "providerOptions"


def test_an_error_message_names_the_full_path_and_the_choices() -> None:
    prefix = "invalid google provider options: "
    assert error(thinkingSummaries="x") == (
        prefix + "thinkingSummaries: expected one of 'auto', 'none', got 'x'"
    )
    assert error(responseFormat=[{"type": "audio"}, {"type": "audio", "mimeType": 5}]).startswith(
        prefix + "responseFormat[1].mimeType: "
    )
    assert error(agentConfig={"type": "deep-research", "visualization": 1}).startswith(
        prefix + "agentConfig.visualization: "
    )
