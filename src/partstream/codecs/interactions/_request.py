"""The body of ``POST {base}/interactions`` from AI SDK call options (sans-IO).

:func:`prepare_request` does what the reference's ``getArgs`` does: it validates
``provider_options["google"]``, converts the prompt and tools, splits the call
settings into ``generation_config`` (models) or drops them with one warning
(agents, which take ``agent_config`` and ``environment`` instead), assembles
``response_format`` from three sources and prunes every absent field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final, final

import attrs

from partstream import parts
from partstream.errors import InvalidArgumentError

from ._input import Prompt, convert_to_interactions_input
from ._javascript_json import check_json
from ._options import InteractionsProviderOptions, parse_interactions_provider_options
from ._reasoning import (
    check_reasoning,
    is_custom_reasoning,
    map_reasoning_to_thinking_level,
    thinking_levels,
)
from ._tools import prepare_interactions_tools

__all__ = ["InteractionsTarget", "PreparedRequest", "prepare_request"]

_PREFIX: Final = "google.interactions: "


def _one_name(instance: InteractionsTarget, attribute: Any, value: str | None) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidArgumentError(
            f"{attribute.name} must be a string, got {type(value).__name__}",
            argument=attribute.name,
        )


@final
@attrs.frozen
class InteractionsTarget:
    """What the interaction runs on: exactly one of a model id, an agent or a managed agent.

    ``agent`` is one of Google's agents (``deep-research-pro-preview-12-2025``, ...);
    ``managed_agent`` is an agent created through the ``/agents`` endpoint. Both are
    sent as the body's ``agent`` field and behave alike.
    """

    model_id: str | None = attrs.field(default=None, validator=_one_name)
    agent: str | None = attrs.field(default=None, validator=_one_name, kw_only=True)
    managed_agent: str | None = attrs.field(default=None, validator=_one_name, kw_only=True)

    def __attrs_post_init__(self) -> None:
        given = [v for v in (self.model_id, self.agent, self.managed_agent) if v is not None]
        if len(given) != 1:
            raise InvalidArgumentError(
                "give exactly one of model_id, agent or managed_agent", argument="model"
            )

    @property
    def is_agent(self) -> bool:
        """True for an agent or a managed agent (the body then carries ``agent``)."""
        return self.model_id is None

    @property
    def name(self) -> str:
        """The model id or agent name (the reference's ``modelId``)."""
        name = self.model_id if self.model_id is not None else (self.agent or self.managed_agent)
        assert name is not None
        return name


@final
@attrs.frozen(kw_only=True)
class PreparedRequest:
    """Everything a transport needs to send one ``POST {base}/interactions``.

    ``body`` is the exact JSON body: for ``stream=True`` without ``background`` it
    carries ``"stream": true``; a background call is POSTed without it, then read
    with ``GET /interactions/{id}`` (polling or ``?stream=true``). ``warnings``
    are the call warnings, in the reference's order and wording.
    """

    body: dict[str, Any]
    warnings: list[parts.Warning]
    provider_options: InteractionsProviderOptions | None
    target: InteractionsTarget
    stream: bool

    @property
    def is_agent(self) -> bool:
        return self.target.is_agent

    @property
    def background(self) -> bool:
        """``providerOptions.google.background`` is ``True``: POST, then poll or stream by GET."""
        return self.provider_options is not None and self.provider_options.background is True

    @property
    def polling_timeout_ms(self) -> int | None:
        """``providerOptions.google.pollingTimeoutMs`` (``None``: the default of 30 min)."""
        return None if self.provider_options is None else self.provider_options.polling_timeout_ms

    @property
    def store(self) -> bool | None:
        return None if self.provider_options is None else self.provider_options.store

    @property
    def previous_interaction_id(self) -> str | None:
        opts = self.provider_options
        return None if opts is None else opts.previous_interaction_id


def _number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidArgumentError(f"{name} must be a finite number, got {value!r}", argument=name)
    return value


def _integer(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{name} must be an integer, got {value!r}", argument=name)
    return value


def _stop_sequences(value: Any) -> list[str] | None:
    if value is None:
        return None
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str | bytes)
        or not all(isinstance(s, str) for s in value)
    ):
        raise InvalidArgumentError(
            "stop_sequences must be a list of strings", argument="stop_sequences"
        )
    return list(value)


def _response_format(value: Any) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or value.get("type") not in ("text", "json"):
        raise InvalidArgumentError(
            "response_format must be {'type': 'text'} or {'type': 'json', 'schema': ...}",
            argument="response_format",
        )
    return value


def _pruned(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _response_format_entries(
    call_format: Mapping[str, Any] | None,
    options: InteractionsProviderOptions | None,
    is_agent: bool,
    warnings: list[parts.Warning],
) -> list[dict[str, Any]]:
    """``response_format`` entries: call-level JSON first, then the provider option's."""
    entries: list[dict[str, Any]] = []
    if call_format is not None and call_format["type"] == "json":
        if is_agent:
            warnings.append(
                parts.OtherWarning(
                    message=f"{_PREFIX}structured output (responseFormat) is not supported "
                    "when an agent is set; responseFormat will be ignored."
                )
            )
        else:
            entries.append(
                _pruned(type="text", mime_type="application/json", schema=call_format.get("schema"))
            )
    for entry in (options.response_format if options else None) or ():
        if entry["type"] == "text":
            entries.append(
                _pruned(type="text", mime_type=entry.get("mimeType"), schema=entry.get("schema"))
            )
        elif entry["type"] == "image":
            entries.append(
                _pruned(
                    type="image",
                    mime_type=entry.get("mimeType"),
                    aspect_ratio=entry.get("aspectRatio"),
                    image_size=entry.get("imageSize"),
                )
            )
        elif entry["type"] == "audio":
            entries.append(_pruned(type="audio", mime_type=entry.get("mimeType")))
        else:
            entries.append(
                _pruned(
                    type="video",
                    aspect_ratio=entry.get("aspectRatio"),
                    resolution=entry.get("resolution"),
                    duration=entry.get("duration"),
                    delivery=entry.get("delivery"),
                    gcs_uri=entry.get("gcsUri"),
                )
            )
    return entries


def _agent_config(options: InteractionsProviderOptions | None) -> dict[str, Any] | None:
    config = options.agent_config if options else None
    if config is None:
        return None
    if config["type"] == "deep-research":
        return _pruned(
            type="deep-research",
            thinking_summaries=config.get("thinkingSummaries"),
            visualization=config.get("visualization"),
            collaborative_planning=config.get("collaborativePlanning"),
        )
    return {"type": "dynamic"}


def _environment(environment: str | dict[str, Any]) -> str | dict[str, Any]:
    if isinstance(environment, str):
        return environment
    sources = environment.get("sources") or None
    network = environment.get("network")
    if isinstance(network, dict):
        network = {"allowlist": [dict(entry) for entry in network["allowlist"]]}
    return _pruned(type="remote", sources=sources, network=network)


def prepare_request(
    target: InteractionsTarget,
    *,
    prompt: Prompt,
    stream: bool = False,
    max_output_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: float | None = None,
    presence_penalty: float | None = None,
    frequency_penalty: float | None = None,
    stop_sequences: Sequence[str] | None = None,
    seed: int | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: Mapping[str, Any] | None = None,
    response_format: Mapping[str, Any] | None = None,
    provider_options: Mapping[str, Any] | None = None,
    reasoning: str | None = None,
) -> PreparedRequest:
    """Build the POST body and the call warnings for one Interactions call.

    ``prompt`` is the AI SDK prompt (or a string: one user message); ``tools``,
    ``tool_choice`` and ``response_format`` are in the AI SDK's JSON shape and
    ``provider_options`` is ``{"google": {<camelCase keys>}}``. ``reasoning`` (the
    portable level: ``"provider-default"``, ``"none"``, ``"minimal"`` ... ``"max"``)
    becomes the closest thinking level the model supports. Bad input raises
    :class:`~partstream.errors.InvalidArgumentError` (or a subclass).
    """
    if not isinstance(target, InteractionsTarget):
        raise InvalidArgumentError("target must be an InteractionsTarget", argument="model")
    warnings: list[parts.Warning] = []
    options = parse_interactions_provider_options(provider_options)
    is_agent = target.is_agent

    max_output_tokens = _integer(max_output_tokens, "max_output_tokens")
    seed = _integer(seed, "seed")
    temperature = _number(temperature, "temperature")
    top_p = _number(top_p, "top_p")
    top_k = _number(top_k, "top_k")
    presence_penalty = _number(presence_penalty, "presence_penalty")
    frequency_penalty = _number(frequency_penalty, "frequency_penalty")
    stops = _stop_sequences(stop_sequences) or None
    call_format = _response_format(response_format)
    reasoning = check_reasoning(reasoning)

    if not is_agent:
        if frequency_penalty is not None:
            warnings.append(parts.UnsupportedWarning(feature="frequencyPenalty"))
        if presence_penalty is not None:
            warnings.append(parts.UnsupportedWarning(feature="presencePenalty"))

    body_tools = body_tool_choice = None
    if tools is not None:  # (prepare_interactions_tools checks that it is a list)
        prepared = prepare_interactions_tools(tools, tool_choice)
        body_tools, body_tool_choice = prepared.tools, prepared.tool_choice
        warnings.extend(prepared.warnings)

    response_formats = _response_format_entries(call_format, options, is_agent, warnings)

    converted = convert_to_interactions_input(
        prompt,
        previous_interaction_id=options.previous_interaction_id if options else None,
        store=options.store if options else None,
        media_resolution=options.media_resolution if options else None,
    )
    warnings.extend(converted.warnings)

    system_instruction = converted.system_instruction
    option_system = options.system_instruction if options else None
    if system_instruction is not None and option_system is not None:
        warnings.append(
            parts.OtherWarning(
                message=f"{_PREFIX}both AI SDK system message and providerOptions.google."
                "systemInstruction were set; using the AI SDK system message."
            )
        )
    elif system_instruction is None:
        system_instruction = option_system

    generation_config: dict[str, Any] | None = None
    if is_agent:
        dropped = [
            name
            for name, value in (
                ("temperature", temperature),
                ("topP", top_p),
                ("topK", top_k),
                ("frequencyPenalty", frequency_penalty),
                ("presencePenalty", presence_penalty),
                ("seed", seed),
                ("stopSequences", stops),
                ("maxOutputTokens", max_output_tokens),
                ("reasoning", reasoning if is_custom_reasoning(reasoning) else None),
                ("thinkingLevel", options.thinking_level if options else None),
                ("thinkingSummaries", options.thinking_summaries if options else None),
                ("imageConfig", options.image_config if options else None),
            )
            if value is not None
        ]
        if dropped:
            verb = "is" if len(dropped) == 1 else "are"
            warnings.append(
                parts.OtherWarning(
                    message=f"{_PREFIX}{', '.join(dropped)} {verb} not supported when an agent "
                    "is set; use providerOptions.google.agentConfig instead. Dropped from the "
                    "request body."
                )
            )
    else:
        generation_config = _pruned(
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            seed=seed,
            stop_sequences=stops,
            max_output_tokens=max_output_tokens,
            thinking_level=map_reasoning_to_thinking_level(
                reasoning,
                levels=thinking_levels(target.name),
                thinking_level=options.thinking_level if options else None,
                warnings=warnings,
            ),
            thinking_summaries=options.thinking_summaries if options else None,
            tool_choice=body_tool_choice,
        )
        image_config = options.image_config if options else None
        if image_config is not None:
            # Deprecated fallback: an image entry only when none was given already.
            has_image = any(e["type"] == "image" for e in response_formats)
            warnings.append(
                parts.OtherWarning(
                    message=f"{_PREFIX}providerOptions.google.imageConfig is deprecated and was "
                    "ignored because providerOptions.google.responseFormat already supplies an "
                    "image entry. Use responseFormat exclusively."
                    if has_image
                    else f"{_PREFIX}providerOptions.google.imageConfig is deprecated. Use "
                    'providerOptions.google.responseFormat with a { type: "image", ... } entry '
                    "instead."
                )
            )
            if not has_image:
                response_formats.append(
                    _pruned(
                        type="image",
                        mime_type="image/png",
                        aspect_ratio=image_config.get("aspectRatio"),
                        image_size=image_config.get("imageSize"),
                    )
                )

    agent_config = _agent_config(options) if is_agent else None

    environment = None
    if options is not None and options.environment is not None:
        if is_agent:
            environment = _environment(options.environment)
        else:
            warnings.append(
                parts.OtherWarning(
                    message=f"{_PREFIX}environment is only supported when an agent is set; "
                    "environment will be omitted from the request body."
                )
            )

    body = _pruned(
        **({"agent": target.name} if is_agent else {"model": target.name}),
        input=converted.input,
        labels=dict(options.labels) if options and options.labels is not None else None,
        system_instruction=system_instruction,
        tools=body_tools,
        response_format=response_formats or None,
        response_modalities=(
            list(options.response_modalities)
            if options and options.response_modalities is not None
            else None
        ),
        previous_interaction_id=options.previous_interaction_id if options else None,
        service_tier=options.service_tier if options else None,
        store=options.store if options else None,
        generation_config=generation_config or None,
        agent_config=agent_config,
        environment=environment,
        background=options.background if options else None,
    )
    # Schemas and provider-tool arguments pass through as given: they must be JSON.
    check_json(body, "request body")
    if stream and not (options is not None and options.background is True):
        # A background call cannot be POSTed with stream: true; it is read by GET later.
        body["stream"] = True
    return PreparedRequest(
        body=body, warnings=warnings, provider_options=options, target=target, stream=stream
    )
