"""AI SDK prompt -> Interactions ``input`` steps and ``system_instruction`` (sans-IO).

The prompt is the AI SDK LanguageModelV4 prompt as JSON-like dicts with the AI
SDK's camelCase keys. Messages become steps:

* ``system`` texts are joined with a blank line into ``system_instruction``;
* a ``user`` message is one ``user_input`` step (adjacent text blocks merged
  with a blank line between them);
* an ``assistant`` message fans out: runs of text/file parts form one
  ``model_output`` step, each reasoning part a ``thought`` step and each tool
  call a ``function_call`` step, in order;
* a ``tool`` message is one ``user_input`` step of ``function_result`` blocks.

File data is the V4 tagged union (``{"type": "data", "data": base64 str | bytes}``,
``{"type": "url", "url": ...}``, ``{"type": "reference", "reference": {...}}``,
``{"type": "text", "text": ...}``); bare ``bytes``, a base64 ``str`` or a URL string
(``https://...``, ``gs://...``, ``data:...;base64,...``) are accepted as ``data`` too.

With ``previous_interaction_id`` (and ``store`` not ``False``) the history the
server already holds is left out: assistant messages carrying that interaction
id in a part's ``providerOptions.google.interactionId``, and the tool results
answering their tool calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, final

import attrs

from partstream import parts
from partstream.errors import InvalidArgumentError

from ._input_blocks import (
    _MEDIA_RESOLUTIONS,
    _PREFIX,
    _bad,
    _field,
    _file_block,
    _function_result,
    _google,
    _tool_arguments,
)
from ._processing import processing_step

__all__ = ["ConvertedInput", "convert_to_interactions_input", "normalize_prompt"]


Prompt = str | Sequence[Mapping[str, Any]]


@final
@attrs.frozen
class ConvertedInput:
    """The ``input`` steps, the joined system text (or ``None``) and the warnings."""

    input: list[dict[str, Any]]
    system_instruction: str | None
    warnings: list[parts.Warning]


def normalize_prompt(prompt: Prompt) -> list[dict[str, Any]]:
    """Check the prompt's shape; a plain string becomes one user text message.

    A ``str`` message content (user or assistant) is taken as one text part.
    """
    if isinstance(prompt, str):
        return [{"role": "user", "content": [{"type": "text", "text": prompt}]}]
    if not isinstance(prompt, Sequence):
        raise InvalidArgumentError(
            f"prompt must be a string or a list of messages, got {type(prompt).__name__}",
            argument="prompt",
        )
    messages: list[dict[str, Any]] = []
    for i, message in enumerate(prompt):
        path = f"prompt[{i}]"
        if not isinstance(message, Mapping):
            raise _bad(path, f"expected a message object, got {type(message).__name__}")
        role = message.get("role")
        content = message.get("content")
        if role == "system":
            if not isinstance(content, str):
                raise _bad(f"{path}.content", "a system message's content must be a string")
        elif role in ("user", "assistant", "tool"):
            if isinstance(content, str) and role != "tool":
                content = [{"type": "text", "text": content}]
            elif not isinstance(content, Sequence) or isinstance(content, str | bytes):
                raise _bad(f"{path}.content", "expected an array of parts")
            for j, part in enumerate(content):
                if not isinstance(part, Mapping) or not isinstance(part.get("type"), str):
                    raise _bad(f"{path}.content[{j}]", "expected a part object with a type")
        else:
            raise _bad(
                f"{path}.role", f"expected 'system', 'user', 'assistant' or 'tool', got {role!r}"
            )
        messages.append({**message, "content": content})
    return messages


def _compact(messages: list[dict[str, Any]], previous_interaction_id: str) -> list[dict[str, Any]]:
    """Drop what the linked interaction already holds on the server."""
    out: list[dict[str, Any]] = []
    dropped_calls: set[str] = set()
    for message in messages:
        role = message["role"]
        if role == "assistant":
            content = message["content"]
            if any(_google(p, "interactionId") == previous_interaction_id for p in content):
                dropped_calls.update(
                    p.get("toolCallId")
                    for p in content
                    if p["type"] == "tool-call" and isinstance(p.get("toolCallId"), str)
                )
                continue
        elif role == "tool":
            remaining = [
                p
                for p in message["content"]
                if p["type"] != "tool-result"
                or not isinstance(p.get("toolCallId"), str)
                or p["toolCallId"] not in dropped_calls
            ]
            if not remaining:
                continue
            message = {**message, "content": remaining}
        out.append(message)
    return out


def _merge_adjacent_text(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join runs of plain text blocks with a blank line (annotated text stays apart)."""
    merged: list[dict[str, Any]] = []
    for block in content:
        last = merged[-1] if merged else None
        if (
            block["type"] == "text"
            and last is not None
            and last["type"] == "text"
            and last.get("annotations") is None
            and block.get("annotations") is None
        ):
            merged[-1] = {"type": "text", "text": f"{last['text']}\n\n{block['text']}"}
        else:
            merged.append(block)
    return merged


def _assistant_steps(
    content: list[Mapping[str, Any]],
    path: str,
    warnings: list[parts.Warning],
    media_resolution: str | None,
) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        if pending:
            steps.append({"type": "model_output", "content": pending.copy()})
            pending.clear()

    for j, part in enumerate(content):
        ppath = f"{path}[{j}]"
        kind = part["type"]
        if kind == "text":
            pending.append({"type": "text", "text": _field(part, "text", ppath, str)})
        elif kind == "reasoning":
            flush()
            text = _field(part, "text", ppath, str)
            step: dict[str, Any] = {"type": "thought"}
            signature = _google(part, "signature")
            if signature is not None:
                step["signature"] = signature
            if text:
                step["summary"] = [{"type": "text", "text": text}]
            steps.append(step)
        elif kind == "file":
            block = _file_block(part, ppath, warnings, media_resolution)
            if block is not None:
                pending.append(block)
        elif kind == "tool-call":
            flush()
            step = {
                "type": "function_call",
                "id": _field(part, "toolCallId", ppath, str),
                "name": _field(part, "toolName", ppath, str),
                "arguments": _tool_arguments(part.get("input"), ppath),
            }
            signature = _google(part, "signature")
            if signature is not None:
                step["signature"] = signature
            steps.append(step)
        elif kind == "custom":
            # A processing step sent back (AI SDK 4.0.63); other custom parts are dropped.
            flush()
            options = part.get("providerOptions")
            google = options.get("google") if isinstance(options, Mapping) else None
            processing = processing_step(str(part.get("kind")), google)
            if processing is None:
                warnings.append(
                    parts.OtherWarning(
                        message=f"{_PREFIX}unsupported or invalid custom assistant content part "
                        f'"{part.get("kind")}"; part dropped.'
                    )
                )
            else:
                steps.append(processing)
        else:
            warnings.append(
                parts.OtherWarning(
                    message=f'{_PREFIX}unsupported assistant content part type "{kind}"; '
                    "part dropped."
                )
            )
    flush()
    return steps


def convert_to_interactions_input(
    prompt: Prompt,
    *,
    previous_interaction_id: str | None = None,
    store: bool | None = None,
    media_resolution: str | None = None,
) -> ConvertedInput:
    """Convert an AI SDK prompt into Interactions ``input`` steps (see the module doc).

    Raises :class:`~partstream.errors.InvalidArgumentError` for a malformed prompt,
    :class:`~partstream.errors.NoSuchProviderReferenceError` for a file reference
    without a ``google`` entry and
    :class:`~partstream.errors.UnsupportedFunctionalityError` for inline data whose
    top-level-only media type cannot be completed from its bytes.
    """
    if media_resolution is not None and media_resolution not in _MEDIA_RESOLUTIONS:
        raise InvalidArgumentError(
            f"media_resolution must be one of {_MEDIA_RESOLUTIONS}, got {media_resolution!r}",
            argument="mediaResolution",
        )
    messages = normalize_prompt(prompt)
    warnings: list[parts.Warning] = []

    if previous_interaction_id is not None and store is False:
        warnings.append(
            parts.OtherWarning(
                message=f"{_PREFIX}providerOptions.google.previousInteractionId was set "
                "together with store: false. These are incoherent (the prior interaction "
                "cannot be referenced when nothing was stored on the server); the full "
                "history will be sent and previous_interaction_id will still be emitted."
            )
        )
    elif previous_interaction_id is not None:
        messages = _compact(messages, previous_interaction_id)

    system_texts: list[str] = []
    steps: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        role = message["role"]
        path = f"prompt[{i}].content"
        if role == "system":
            system_texts.append(message["content"])
        elif role == "user":
            content: list[dict[str, Any]] = []
            for j, part in enumerate(message["content"]):
                if part["type"] == "text":
                    content.append(
                        {"type": "text", "text": _field(part, "text", f"{path}[{j}]", str)}
                    )
                elif part["type"] == "file":
                    block = _file_block(part, f"{path}[{j}]", warnings, media_resolution)
                    if block is not None:
                        content.append(block)
            merged = _merge_adjacent_text(content)
            if merged:
                steps.append({"type": "user_input", "content": merged})
        elif role == "assistant":
            steps.extend(_assistant_steps(message["content"], path, warnings, media_resolution))
        else:
            results: list[dict[str, Any]] = []
            for j, part in enumerate(message["content"]):
                if part["type"] != "tool-result":
                    warnings.append(
                        parts.OtherWarning(
                            message=f'{_PREFIX}unsupported tool message part type "'
                            f'{part["type"]}"; part dropped.'
                        )
                    )
                    continue
                results.append(_function_result(part, f"{path}[{j}]", warnings))
            if results:
                steps.append({"type": "user_input", "content": results})

    system_instruction = "\n\n".join(system_texts) if system_texts else None
    return ConvertedInput(input=steps, system_instruction=system_instruction, warnings=warnings)
