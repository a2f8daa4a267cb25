"""Non-streaming outputs: an Interaction's ``steps[]`` → generate-result content.

:func:`parse_outputs` walks ``steps`` like the reference's
``parseGoogleInteractionsOutputs``:

- ``model_output``: each ``text`` block (its ``annotations`` → sources), ``image``
  and ``video`` blocks (inline data, else a URL) → text and file content;
- ``thought``: one reasoning part, the summary texts joined with newlines;
- ``function_call``: a tool call (``has_function_call`` becomes true);
- built-in ``*_call`` / ``*_result`` steps: provider-executed tool calls and tool
  results (result sources follow the result);
- ``user_input`` (the server echoing the client's turn) and unknown steps: skipped.

Every part carries ``providerMetadata.google.interactionId`` when an id is given,
and ``signature`` where the step has one, so the next turn can round-trip them.

:func:`generate_outputs` adds what ``doGenerate`` derives from the rest of the
response: finish reason, usage, provider metadata, response id/timestamp/model.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from typing import Any, TypedDict, final

import attrs

from ...errors import InvalidArgumentError, InvalidResponseDataError
from ...parts import (
    Content,
    DataContent,
    File,
    FinishReason,
    ProviderMetadata,
    Reasoning,
    Text,
    ToolCall,
    ToolResult,
    UrlContent,
    Usage,
    parse_timestamp,
)
from ._api import BUILTIN_TOOL_CALL_TYPES, BUILTIN_TOOL_RESULT_TYPES
from ._finish import finish_reason
from ._javascript_json import js_stringify
from ._processing import PROCESSING_STEPS, processing_content
from ._sources import annotations_to_sources, builtin_tool_result_to_sources
from ._url import url_href
from ._usage import convert_usage, output_tokens_by_modality

__all__ = [
    "GenerateOutputs",
    "GoogleProviderMetadata",
    "InteractionOutputs",
    "builtin_tool_name",
    "generate_outputs",
    "google_metadata",
    "interaction_id_of",
    "parse_outputs",
    "parse_created",
]

GenerateId = Callable[[], str]


class GoogleProviderMetadata(TypedDict, total=False):
    """What this codec writes under ``providerMetadata["google"]`` (and reads back).

    ``interactionId``: the server's interaction id; pass it back as
    ``previousInteractionId`` to chain stateful turns (absent with ``store: false``).
    ``serviceTier``: the tier that served the call. ``outputTokensByModality``:
    output tokens per modality (``{"video": 57920}``), when the API reports them.
    ``signature``: a reasoning or tool-call block's signature, round-tripped on input.
    """

    interactionId: str
    serviceTier: str
    outputTokensByModality: dict[str, int]
    signature: str


@final
@attrs.frozen
class InteractionOutputs:
    """What :func:`parse_outputs` returns: the content and whether a function was called."""

    content: tuple[Content, ...]
    has_function_call: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "content": [part.to_dict() for part in self.content],
            "hasFunctionCall": self.has_function_call,
        }


def google_metadata(
    *, signature: str | None = None, interaction_id: str | None = None
) -> ProviderMetadata | None:
    """``{"google": {signature?, interactionId?}}``, or ``None`` when both are absent."""
    google: dict[str, Any] = {}
    if signature is not None:
        google["signature"] = signature
    if interaction_id is not None:
        google["interactionId"] = interaction_id
    return {"google": google} if google else None


def interaction_id_of(value: Any) -> str | None:
    """An interaction id, with ``""`` (``store: false``) and non-strings as absent."""
    return value if type(value) is str and value else None


def parse_created(value: Any) -> _dt.datetime | None:
    """The ``created`` timestamp as a datetime; ``None`` when absent or unparseable."""
    if type(value) is not str:
        return None
    try:
        return parse_timestamp(value)
    except InvalidArgumentError:
        return None


def builtin_tool_name(step_type: str, name: Any) -> str:
    """``google_search_call`` → ``google_search``; MCP steps use their ``name``."""
    if step_type.startswith("mcp_server_tool_"):
        return name if type(name) is str else "mcp_server_tool"
    return step_type.removesuffix("_call").removesuffix("_result")


def file_part(
    block: Mapping[str, Any],
    default_media_type: str,
    provider_metadata: ProviderMetadata | None,
) -> File | None:
    """A file part for an image/video block or delta: inline data, else a URL.

    Raises :class:`~partstream.errors.InvalidResponseDataError` for a ``uri`` that
    is not a valid URL (the reference's ``new URL`` throws there).
    """
    media_type = block.get("mime_type")
    if type(media_type) is not str:
        media_type = default_media_type
    data = block.get("data")
    if type(data) is str and data:
        return File(
            media_type=media_type, data=DataContent(data=data), provider_metadata=provider_metadata
        )
    uri = block.get("uri")
    if type(uri) is str and uri:
        href = url_href(uri)
        if href is None:
            raise InvalidResponseDataError(f"Invalid URL: {uri!r}", data=uri)
        return File(
            media_type=media_type, data=UrlContent(url=href), provider_metadata=provider_metadata
        )
    return None


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def _model_output(
    step: dict[str, Any],
    content: list[Content],
    generate_id: GenerateId,
    metadata: ProviderMetadata | None,
) -> None:
    blocks = step.get("content")
    if not isinstance(blocks, list):
        return
    for block in blocks:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
            content.append(Text(text=text if type(text) is str else "", provider_metadata=metadata))
            content.extend(annotations_to_sources(block.get("annotations"), generate_id))
        elif kind == "image" or kind == "video":
            part = file_part(block, "image/png" if kind == "image" else "video/mp4", metadata)
            if part is not None:
                content.append(part)


def parse_outputs(
    steps: Any, *, generate_id: GenerateId, interaction_id: str | None = None
) -> InteractionOutputs:
    """Content parts for an Interaction's ``steps`` (``None`` → no content)."""
    content: list[Content] = []
    has_function_call = False
    if not isinstance(steps, list):
        return InteractionOutputs(content=(), has_function_call=False)
    plain = google_metadata(interaction_id=interaction_id)
    for step in steps:
        if not isinstance(step, dict):
            continue
        kind = step.get("type")
        if type(kind) is not str or kind == "user_input":
            continue
        if kind == "model_output":
            _model_output(step, content, generate_id, plain)
        elif kind == "thought":
            summary = step.get("summary")
            texts = [
                item["text"]
                for item in (summary if isinstance(summary, list) else ())
                if isinstance(item, dict)
                and item.get("type") == "text"
                and type(item.get("text")) is str
            ]
            content.append(
                Reasoning(
                    text="\n".join(texts),
                    provider_metadata=google_metadata(
                        signature=_str(step.get("signature")), interaction_id=interaction_id
                    ),
                )
            )
        elif kind == "function_call":
            has_function_call = True
            arguments = step.get("arguments")
            call_id = _str(step.get("id"))
            name = _str(step.get("name"))
            content.append(
                ToolCall(
                    # The schema requires id and name; the reference would pass
                    # `undefined` on, we generate an id and name the tool "unknown".
                    tool_call_id=call_id if call_id is not None else generate_id(),
                    tool_name=name if name is not None else "unknown",
                    input=js_stringify({} if arguments is None else arguments),
                    provider_metadata=google_metadata(
                        signature=_str(step.get("signature")), interaction_id=interaction_id
                    ),
                )
            )
        elif kind in PROCESSING_STEPS:
            content.append(processing_content(step, interaction_id, generate_id))
        elif kind in BUILTIN_TOOL_CALL_TYPES:
            arguments = step.get("arguments")
            content.append(
                ToolCall(
                    tool_call_id=_str(step.get("id")) or generate_id(),
                    tool_name=builtin_tool_name(kind, step.get("name")),
                    input=js_stringify({} if arguments is None else arguments),
                    provider_executed=True,
                )
            )
        elif kind in BUILTIN_TOOL_RESULT_TYPES:
            content.append(
                ToolResult(
                    tool_call_id=_str(step.get("call_id")) or generate_id(),
                    tool_name=builtin_tool_name(kind, step.get("name")),
                    result=step.get("result"),
                )
            )
            content.extend(builtin_tool_result_to_sources(step, generate_id))
    return InteractionOutputs(content=tuple(content), has_function_call=has_function_call)


@final
@attrs.frozen
class GenerateOutputs:
    """Everything ``doGenerate`` derives from a (terminal) Interaction response body."""

    content: tuple[Content, ...]
    finish_reason: FinishReason
    usage: Usage
    provider_metadata: ProviderMetadata
    interaction_id: str | None
    timestamp: _dt.datetime | None
    model_id: str | None


def finish_metadata(
    *, interaction_id: str | None, service_tier: Any, usage: Any, by_modality: bool
) -> ProviderMetadata:
    """``{"google": {interactionId?, serviceTier?, outputTokensByModality?}}``."""
    google: dict[str, Any] = {}
    if interaction_id is not None:
        google["interactionId"] = interaction_id
    if service_tier is not None:
        google["serviceTier"] = service_tier
    if by_modality:
        modality = output_tokens_by_modality(usage)
        if modality is not None:
            google["outputTokensByModality"] = modality
    return {"google": google}


def generate_outputs(
    response: Mapping[str, Any],
    *,
    generate_id: GenerateId,
    header_service_tier: str | None = None,
) -> GenerateOutputs:
    """The generate result's parts for a validated response body.

    ``header_service_tier`` is the ``x-gemini-service-tier`` response header; the
    body's ``service_tier`` wins over it.
    """
    interaction_id = interaction_id_of(response.get("id"))
    outputs = parse_outputs(
        response.get("steps"), generate_id=generate_id, interaction_id=interaction_id
    )
    status = response.get("status")
    usage = response.get("usage")
    tier = response.get("service_tier")
    return GenerateOutputs(
        content=outputs.content,
        finish_reason=finish_reason(status, has_function_call=outputs.has_function_call),
        usage=convert_usage(usage),
        provider_metadata=finish_metadata(
            interaction_id=interaction_id,
            service_tier=tier if tier is not None else header_service_tier,
            usage=usage,
            by_modality=True,
        ),
        interaction_id=interaction_id,
        timestamp=parse_created(response.get("created")),
        model_id=_str(response.get("model")),
    )
