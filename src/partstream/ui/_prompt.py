"""UI messages -> AI SDK model messages (sans-IO).

:func:`convert_to_model_messages` is the ``ai`` package's ``convertToModelMessages``
(``ai/src/ui/convert-to-model-messages.ts``): system texts joined, user text and
files, assistant blocks split at ``step-start`` into assistant content and a
``tool`` message with the results of the application's tools, tool parts in every
state (approvals, denials, errors, provider-executed results kept in the assistant
message), ``providerMetadata`` as ``providerOptions``, data parts through
``convert_data_part`` (dropped without it). URLs are kept as strings (the
reference's ``URL`` objects serialise to them).

:func:`~partstream.ui.to_prompt` (``_model_prompt``) goes on to the prompt a model takes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from ..codecs.interactions._javascript_json import js_stringify, secure_json_parse
from ..errors import InvalidArgumentError
from ._messages import (
    CustomUIPart,
    DataUIPart,
    FileUIPart,
    ReasoningFileUIPart,
    ReasoningUIPart,
    SourceDocumentUIPart,
    SourceUrlUIPart,
    SteeringMessageUIPart,
    StepStartUIPart,
    TextUIPart,
    UIMessage,
    UIMessagePart,
)
from ._tool_parts import DynamicToolUIPart, ToolUIPart
from ._tools import Tools, get_error_message

__all__ = ["ConvertDataPart", "convert_to_model_messages", "user_content_part"]

ConvertDataPart = Callable[[DataUIPart], Mapping[str, Any] | None]
_UNAVAILABLE: Final = "Tool output omitted because the tool is no longer available."
_DENIED: Final = "Tool call execution denied."
_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    """JSON.stringify leaves out undefined values: so do we."""
    return {k: v for k, v in data.items() if v is not None}


def _url(text: str, where: str) -> str:
    # new URL(text) must succeed: the URL needs a scheme (a relative URL is refused).
    if not _URL.match(text):
        raise InvalidArgumentError(f"{where}: Invalid URL: {text!r}", argument="messages")
    return text


def user_content_part(part: TextUIPart | FileUIPart, where: str) -> dict[str, Any]:
    if isinstance(part, TextUIPart):
        return _drop_none(
            {"type": "text", "text": part.text, "providerOptions": part.provider_metadata}
        )
    data = (
        {"type": "reference", "reference": part.provider_reference}
        if part.provider_reference is not None
        else {"type": "url", "url": _url(part.url, where)}
    )
    return _drop_none(
        {
            "type": "file",
            "mediaType": part.media_type,
            "filename": part.filename,
            "data": data,
            "providerOptions": part.provider_metadata,
        }
    )


def _keep(part: UIMessagePart, index: int, last_user: int, ignore_incomplete: bool) -> bool:
    """A later user message supersedes unresolved approval requests; with
    ``ignore_incomplete`` only answered tool calls are kept."""
    if not isinstance(part, ToolUIPart | DynamicToolUIPart):
        return True
    if part.state == "approval-requested" and index < last_user:
        return False
    return not ignore_incomplete or (
        part.state in ("approval-responded", "output-error", "output-denied")
        or (part.state == "output-available" and part.preliminary is not True)
    )


def _model_output(
    part: ToolUIPart | DynamicToolUIPart, output: Any, mode: str, tools: Tools | None
) -> dict[str, Any]:
    """``createToolModelOutput`` (no ``toModelOutput`` hooks)."""
    name = part.tool_name
    tool = tools.get(name) if tools is not None else None
    # A static tool that is no longer registered (a dynamic part marked dynamic=False):
    if (
        mode == "none"
        and tool is None
        and isinstance(part, DynamicToolUIPart)
        and part.dynamic is False
    ):
        return {"type": "text", "value": _UNAVAILABLE}
    if mode == "text":
        return {"type": "error-text", "value": get_error_message(output)}
    if mode == "json":
        return {"type": "error-json", "value": _json(output)}
    if isinstance(output, str):
        return {"type": "text", "value": output}
    return {"type": "json", "value": _json(output)}


def _json(value: Any) -> Any:
    # toJSONValue: a round trip through JSON (undefined becomes null).
    return None if value is None else secure_json_parse(js_stringify(value))


def _assistant_block(
    block: list[UIMessagePart], tools: Tools | None, convert: ConvertDataPart | None
) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in block:
        if isinstance(part, TextUIPart):
            content.append(
                _drop_none(
                    {"type": "text", "text": part.text, "providerOptions": part.provider_metadata}
                )
            )
        elif isinstance(part, CustomUIPart):
            content.append(
                _drop_none(
                    {"type": "custom", "kind": part.kind, "providerOptions": part.provider_metadata}
                )
            )
        elif isinstance(part, FileUIPart):
            content.append(user_content_part(part, "assistant file"))
        elif isinstance(part, ReasoningFileUIPart):
            content.append(
                _drop_none(
                    {
                        "type": "reasoning-file",
                        "data": {"type": "url", "url": _url(part.url, "reasoning file")},
                        "mediaType": part.media_type,
                        "providerOptions": part.provider_metadata,
                    }
                )
            )
        elif isinstance(part, ReasoningUIPart):
            content.append(
                _drop_none(
                    {
                        "type": "reasoning",
                        "text": part.text,
                        "providerOptions": part.provider_metadata,
                    }
                )
            )
        elif isinstance(part, ToolUIPart | DynamicToolUIPart):
            content.extend(_tool_call_content(part, tools))
        elif isinstance(part, DataUIPart) and convert is not None:
            converted = convert(part)
            if converted is not None:
                content.append(dict(converted))
    out = [{"role": "assistant", "content": content}] if content else []
    results = _tool_results(
        [
            part
            for part in block
            if isinstance(part, ToolUIPart | DynamicToolUIPart)
            and (
                part.provider_executed is not True
                or (part.approval is not None and part.approval.approved is not None)
            )
        ],
        tools,
    )
    if results:
        out.append({"role": "tool", "content": results})
    return out


def _tool_call_content(
    part: ToolUIPart | DynamicToolUIPart, tools: Tools | None
) -> list[dict[str, Any]]:
    if part.state == "input-streaming":
        return []
    name = part.tool_name
    call_pm = part.call_provider_metadata
    if call_pm is None and part.state == "output-error":
        call_pm = part.result_provider_metadata
    tool_input = part.input
    if part.state == "output-error" and tool_input is None:
        tool_input = part.raw_input
    call: dict[str, Any] = {"type": "tool-call", "toolCallId": part.tool_call_id, "toolName": name}
    if tool_input is not None or part.state != "output-error":
        call["input"] = tool_input  # JSON null, or left out as the reference's undefined
    if part.provider_executed is not None:
        call["providerExecuted"] = part.provider_executed
    if call_pm is not None:
        call["providerOptions"] = call_pm
    out = [call]
    approval = part.approval
    if approval is not None:
        request: dict[str, Any] = {
            "type": "tool-approval-request",
            "approvalId": approval.id,
            "toolCallId": part.tool_call_id,
        }
        if approval.is_automatic is not None:
            request["isAutomatic"] = approval.is_automatic
        if approval.request_reason is not None:
            request["reason"] = approval.request_reason
        if approval.input_schema_input is not None:
            request["inputSchemaInput"] = approval.input_schema_input
        if approval.signature is not None:
            request["signature"] = approval.signature
        out.append(request)
    if part.provider_executed is True and part.state in ("output-available", "output-error"):
        result_pm = part.result_provider_metadata
        if result_pm is None:
            result_pm = part.call_provider_metadata
        error = part.state == "output-error"
        result: dict[str, Any] = {
            "type": "tool-result",
            "toolCallId": part.tool_call_id,
            "toolName": name,
            "output": _model_output(
                part, part.error_text if error else part.output, "json" if error else "none", tools
            ),
        }
        if result_pm is not None:
            result["providerOptions"] = result_pm
        out.append(result)
    return out


def _tool_results(
    parts: list[ToolUIPart | DynamicToolUIPart], tools: Tools | None
) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in parts:
        name = part.tool_name
        extra = (
            {"providerOptions": part.call_provider_metadata}
            if part.call_provider_metadata is not None
            else {}
        )
        approval = part.approval
        if approval is not None and approval.approved is not None:
            content.append(
                _drop_none(
                    {
                        "type": "tool-approval-response",
                        "approvalId": approval.id,
                        "approved": approval.approved,
                        "reason": approval.reason,
                        "providerExecuted": part.provider_executed,
                    }
                )
            )
        if part.state == "approval-responded" and approval is not None and not approval.approved:
            denied = _drop_none({"type": "execution-denied", "reason": approval.reason})
            content.append(
                {
                    "type": "tool-result",
                    "toolCallId": part.tool_call_id,
                    "toolName": name,
                    "output": denied,
                    **extra,
                }
            )
        if part.provider_executed is True:
            continue  # its result is in the assistant content already
        if part.state == "output-denied":
            reason = approval.reason if approval is not None else None
            output = {"type": "error-text", "value": reason if reason is not None else _DENIED}
        elif part.state in ("output-error", "output-available"):
            error = part.state == "output-error"
            output = _model_output(
                part, part.error_text if error else part.output, "text" if error else "none", tools
            )
        else:
            continue
        content.append(
            {
                "type": "tool-result",
                "toolCallId": part.tool_call_id,
                "toolName": name,
                "output": output,
                **extra,
            }
        )
    return content


def convert_to_model_messages(
    messages: Sequence[UIMessage],
    *,
    tools: Tools | None = None,
    ignore_incomplete_tool_calls: bool = False,
    convert_data_part: ConvertDataPart | None = None,
) -> list[dict[str, Any]]:
    """``convertToModelMessages``: UI messages -> AI SDK model messages (JSON dicts)."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    filtering = ignore_incomplete_tool_calls or last_user > 0
    out: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        parts: Sequence[UIMessagePart] = message.parts
        if filtering:
            parts = [
                part
                for part in parts
                if _keep(part, index, last_user, ignore_incomplete_tool_calls)
            ]
        if message.role == "system":
            texts = [part for part in parts if isinstance(part, TextUIPart)]
            options: dict[str, Any] = {}
            for text in texts:
                if text.provider_metadata is not None:
                    options.update(text.provider_metadata)
            system: dict[str, Any] = {"role": "system", "content": "".join(t.text for t in texts)}
            if options:
                system["providerOptions"] = options
            out.append(system)
        elif message.role == "user":
            content: list[dict[str, Any]] = []
            for i, part in enumerate(parts):
                if isinstance(part, TextUIPart | FileUIPart):
                    content.append(user_content_part(part, f"messages[{index}].parts[{i}]"))
                elif isinstance(part, DataUIPart) and convert_data_part is not None:
                    converted = convert_data_part(part)
                    if converted is not None:
                        content.append(dict(converted))
            out.append({"role": "user", "content": content})
        else:
            block: list[UIMessagePart] = []
            for part in parts:
                if isinstance(part, StepStartUIPart):
                    out.extend(_assistant_block(block, tools, convert_data_part))
                    block = []
                elif isinstance(part, SteeringMessageUIPart):
                    # steering messages were added to the run between two steps:
                    out.extend(_assistant_block(block, tools, convert_data_part))
                    block = []
                    steering = [user_content_part(q, "steering message") for q in part.parts]
                    out.append({"role": "user", "content": steering})
                elif not isinstance(part, SourceUrlUIPart | SourceDocumentUIPart):
                    block.append(part)
            out.extend(_assistant_block(block, tools, convert_data_part))
    return out
