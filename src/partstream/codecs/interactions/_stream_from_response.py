"""A stream synthesised from a terminal Interaction response (sans-IO).

When a background POST already answers with a terminal status there is nothing
to stream, yet the caller asked for a stream: :func:`synthesize_stream` replays
the response's outputs as the parts a live stream would have produced, as the
reference's ``synthesizeGoogleInteractionsAgentStream`` does: each text or
reasoning block as one delta, tool calls as start/delta/end/call, tool results,
sources and files as they are, then ``finish``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ...parts import (
    DocumentSource,
    File,
    Finish,
    Part,
    Raw,
    Reasoning,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningStart,
    ResponseMetadata,
    StreamStart,
    Text,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
    ToolResult,
    UrlSource,
    Warning,
)
from ._finish import finish_reason
from ._outputs import (
    finish_metadata,
    interaction_id_of,
    parse_created,
    parse_outputs,
)
from ._transform import default_generate_id
from ._usage import convert_usage

__all__ = ["synthesize_stream"]


def synthesize_stream(
    response: Mapping[str, Any],
    *,
    warnings: Iterable[Warning] = (),
    generate_id: Callable[[], str] = default_generate_id,
    include_raw_chunks: bool = False,
    header_service_tier: str | None = None,
) -> list[Part]:
    """Every stream part for a validated, terminal response body, ``stream-start`` to ``finish``.

    Block ids are ``<interaction id or "agent">:<n>`` counting text and reasoning
    blocks. ``header_service_tier`` is the POST's ``x-gemini-service-tier`` header;
    the body's ``service_tier`` wins over it. Raises
    :class:`~partstream.errors.InvalidResponseDataError` for an invalid file URL.
    """
    out: list[Part] = [StreamStart(warnings=tuple(warnings))]
    interaction_id = interaction_id_of(response.get("id"))
    model = response.get("model")
    out.append(
        ResponseMetadata(
            id=interaction_id,
            timestamp=parse_created(response.get("created")),
            model_id=model if type(model) is str else None,
        )
    )
    if include_raw_chunks:
        out.append(Raw(raw_value=response))

    outputs = parse_outputs(
        response.get("steps"), generate_id=generate_id, interaction_id=interaction_id
    )
    prefix = interaction_id if interaction_id is not None else "agent"
    counter = 0
    for part in outputs.content:
        if type(part) is Text:
            block_id = f"{prefix}:{counter}"
            counter += 1
            out.append(TextStart(id=block_id))
            if part.text:
                out.append(TextDelta(id=block_id, delta=part.text))
            out.append(TextEnd(id=block_id, provider_metadata=part.provider_metadata))
        elif type(part) is Reasoning:
            block_id = f"{prefix}:{counter}"
            counter += 1
            out.append(ReasoningStart(id=block_id))
            if part.text:
                out.append(ReasoningDelta(id=block_id, delta=part.text))
            out.append(ReasoningEnd(id=block_id, provider_metadata=part.provider_metadata))
        elif type(part) is ToolCall:
            executed = True if part.provider_executed else None
            out.append(
                ToolInputStart(
                    id=part.tool_call_id, tool_name=part.tool_name, provider_executed=executed
                )
            )
            out.append(ToolInputDelta(id=part.tool_call_id, delta=part.input))
            out.append(ToolInputEnd(id=part.tool_call_id))
            out.append(
                ToolCall(
                    tool_call_id=part.tool_call_id,
                    tool_name=part.tool_name,
                    input=part.input,
                    provider_executed=executed,
                    provider_metadata=part.provider_metadata,
                )
            )
        elif type(part) is ToolResult:
            out.append(
                ToolResult(
                    tool_call_id=part.tool_call_id, tool_name=part.tool_name, result=part.result
                )
            )
        elif type(part) is UrlSource or type(part) is DocumentSource or type(part) is File:
            out.append(part)

    status = response.get("status")
    tier = response.get("service_tier")
    usage = response.get("usage")
    out.append(
        Finish(
            usage=convert_usage(usage),
            finish_reason=finish_reason(status, has_function_call=outputs.has_function_call),
            # Unlike the live stream, the reference reports no outputTokensByModality here.
            provider_metadata=finish_metadata(
                interaction_id=interaction_id,
                service_tier=tier if tier is not None else header_service_tier,
                usage=usage,
                by_modality=False,
            ),
        )
    )
    return out
