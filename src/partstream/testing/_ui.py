"""Hypothesis strategies for :mod:`partstream.ui`: chunks, UI messages, chat requests.

- :func:`ui_message_chunks`: any UI message chunk, valid for the reference schema;
- :func:`ui_message_parts`: any part of a UI message (tool parts in every state);
- :func:`ui_messages`: valid :class:`~partstream.ui.UIMessage` objects;
- :func:`chat_request_bodies`: the JSON bodies ``DefaultChatTransport`` sends.

Values stay within what JSON carries between Python and JavaScript (finite
numbers, string keys) and what the reference's schemas keep as they are (no
``__proto__`` key in a record); URLs come from a set that includes invalid ones and data
URLs whose bytes carry image signatures, to exercise the prompt conversion.
"""

from __future__ import annotations

import base64
from typing import Any, get_args

from hypothesis import strategies as st

from .. import ui
from ._parts import json_values, provider_metadata

__all__ = ["chat_request_bodies", "ui_message_chunks", "ui_message_parts", "ui_messages"]

_text = st.text(max_size=16)
_ids = st.text(min_size=1, max_size=10)
_flag = st.none() | st.booleans()


def _no_proto(value: Any) -> Any:
    # zod's records drop "__proto__" keys: these values are kept as they are.
    if isinstance(value, dict):
        return {k: _no_proto(v) for k, v in value.items() if k != "__proto__"}
    if isinstance(value, list):
        return [_no_proto(v) for v in value]
    return value


_pm = provider_metadata().map(_no_proto)
_opt_text = st.none() | _text
_json = json_values(6)
_tool_names = st.sampled_from(["getWeather", "google_search", "lookup", "a-b"])
_tool_metadata = st.none() | st.dictionaries(_text, json_values(3), max_size=2).map(_no_proto)

_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"%PDF-1.7", b"ID3\x03")


@st.composite
def _data_url(draw: st.DrawFn) -> str:
    media_type = draw(st.sampled_from(["image/png", "image/jpeg", "application/pdf", "text/plain"]))
    head = draw(st.sampled_from((b"", *_SIGNATURES)))
    payload = base64.b64encode(head + draw(st.binary(max_size=24))).decode()
    return f"data:{media_type};base64,{payload}"


_urls = st.one_of(
    _data_url(),
    st.sampled_from(
        [
            "https://example.com/cat.png",
            "https://example.com/doc.pdf?x=1",
            "gs://bucket/file.mp4",
            "https://www.youtube.com/watch?v=abc",
            "data:text/plain,hello",  # not base64: the reference cannot decode it
            "data:image/png;base64,@@@",  # invalid base64
        ]
    ),
)


def _approval(kind: str) -> st.SearchStrategy[ui.ToolApproval | None]:
    approved: st.SearchStrategy[bool | None] = {
        "requested": st.none(),
        "responded": st.booleans(),
        "granted": st.just(True),
        "denied": st.just(False),
    }[kind]
    reason = st.none() if kind == "requested" else _opt_text
    return st.builds(
        ui.ToolApproval,
        id=_ids,
        approved=approved,
        descriptor=st.none() | _json,
        request_reason=_opt_text,
        reason=reason,
        is_automatic=_flag,
        signature=_opt_text,
        input_schema_input=st.none() | _json,
    )


@st.composite
def _tool_fields(draw: st.DrawFn) -> dict[str, Any]:
    state = draw(st.sampled_from(get_args(ui.ToolState)))
    fields: dict[str, Any] = {
        "tool_call_id": draw(_ids),
        "state": state,
        "title": draw(_opt_text),
        "tool_metadata": draw(_tool_metadata),
        "provider_executed": draw(_flag),
        "call_provider_metadata": draw(_pm),
    }
    if state == "input-streaming":
        fields["input"] = draw(st.none() | _json)
        fields["raw_input"] = draw(_opt_text)
        fields["input_encoding"] = draw(st.sampled_from([None, "json", "text"]))
    elif state == "output-error":
        fields["input"] = draw(st.none() | _json)
        fields["raw_input"] = draw(st.none() | _json)
        fields["error_text"] = draw(_text)
        fields["result_provider_metadata"] = draw(_pm)
        fields["approval"] = draw(st.none() | _approval("granted"))
    else:
        fields["input"] = draw(_json)
    if state == "output-available":
        fields["output"] = draw(_json)
        fields["result_provider_metadata"] = draw(_pm)
        fields["preliminary"] = draw(_flag)
        fields["approval"] = draw(st.none() | _approval("granted"))
    elif state == "approval-requested":
        fields["approval"] = draw(_approval("requested"))
    elif state == "approval-responded":
        fields["approval"] = draw(_approval("responded"))
    elif state == "output-denied":
        fields["approval"] = draw(_approval("denied"))
    return fields


@st.composite
def _tool_part(draw: st.DrawFn) -> ui.ToolUIPart | ui.DynamicToolUIPart:
    fields = draw(_tool_fields())
    name = draw(_tool_names)
    if draw(st.booleans()):
        return ui.ToolUIPart(type=f"tool-{name}", **fields)
    return ui.DynamicToolUIPart(
        tool_name=name, dynamic=draw(st.sampled_from([None, False])), **fields
    )


_text_part = st.builds(
    ui.TextUIPart,
    text=_text,
    provider_metadata=_pm,
    state=st.sampled_from([None, "streaming", "done"]),
)
_file_part = st.builds(
    ui.FileUIPart,
    media_type=st.sampled_from(["image/png", "application/pdf", "image", "text/plain"]),
    url=_urls,
    filename=_opt_text,
    provider_reference=st.none() | st.dictionaries(st.just("google"), _ids, min_size=1),
    provider_metadata=_pm,
)


def ui_message_parts() -> st.SearchStrategy[ui.UIMessagePart]:
    """Any part of a UI message, every tool state included."""
    return st.one_of(
        _text_part,
        st.builds(
            ui.ReasoningUIPart,
            text=_text,
            id=st.none() | _ids,
            provider_metadata=_pm,
            state=st.sampled_from([None, "streaming", "done"]),
        ),
        st.builds(ui.CustomUIPart, kind=_ids, provider_metadata=_pm),
        st.builds(
            ui.SourceUrlUIPart, source_id=_ids, url=_text, title=_opt_text, provider_metadata=_pm
        ),
        st.builds(
            ui.SourceDocumentUIPart,
            source_id=_ids,
            media_type=_ids,
            title=_text,
            filename=_opt_text,
            provider_metadata=_pm,
        ),
        _file_part,
        st.builds(ui.ReasoningFileUIPart, media_type=_ids, url=_data_url(), provider_metadata=_pm),
        st.builds(ui.StepStartUIPart),
        st.builds(
            ui.DataUIPart, type=_ids.map(lambda n: f"data-{n}"), data=_json, id=st.none() | _ids
        ),
        st.builds(
            ui.SteeringMessageUIPart,
            id=_ids,
            parts=st.lists(
                st.builds(ui.TextUIPart, text=_text, provider_metadata=_pm) | _file_part,
                max_size=2,
            ).map(tuple),
        ),
        _tool_part(),
    )


@st.composite
def ui_messages(draw: st.DrawFn, roles: tuple[str, ...] = ("system", "user", "assistant")) -> Any:
    """A valid UI message (non-assistant messages have at least one part)."""
    role: Any = draw(st.sampled_from(roles))
    parts = draw(st.lists(ui_message_parts(), min_size=0 if role == "assistant" else 1, max_size=6))
    return ui.UIMessage(
        id=draw(_ids), role=role, parts=tuple(parts), metadata=draw(st.none() | _json)
    )


@st.composite
def chat_request_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A ``DefaultChatTransport`` request body as decoded JSON."""
    messages = draw(st.lists(ui_messages(), min_size=1, max_size=5))
    body: dict[str, Any] = draw(
        st.dictionaries(st.sampled_from(["model", "background", "x"]), _json)
    )
    body.update(
        id=draw(_ids),
        messages=[m.to_dict() for m in messages],
        trigger=draw(st.sampled_from(["submit-message", "regenerate-message"])),
    )
    message_id = draw(st.none() | _ids)
    if message_id is not None:
        body["messageId"] = message_id
    return body


def ui_message_chunks() -> st.SearchStrategy[ui.UIMessageChunk]:
    """Any UI message chunk, with values the reference's schema accepts."""
    return st.one_of(
        st.builds(ui.StartChunk, message_metadata=st.none() | _json, message_id=st.none() | _ids),
        st.builds(ui.StartStepChunk),
        st.builds(ui.FinishStepChunk),
        st.builds(ui.ResetStepChunk),
        *(
            st.builds(cls, id=_ids, provider_metadata=_pm)
            for cls in (ui.TextStartChunk, ui.ReasoningStartChunk, ui.ReasoningEndChunk)
        ),
        st.builds(ui.TextEndChunk, id=_ids, provider_metadata=_pm),
        *(
            st.builds(cls, id=_ids, delta=_text, provider_metadata=_pm)
            for cls in (ui.TextDeltaChunk, ui.ReasoningDeltaChunk)
        ),
        st.builds(ui.ErrorChunk, error_text=_text),
        st.builds(
            ui.ToolInputStartChunk,
            tool_call_id=_ids,
            tool_name=_tool_names,
            input_encoding=st.sampled_from([None, "json", "text"]),
            provider_executed=_flag,
            provider_metadata=_pm,
            tool_metadata=_tool_metadata,
            dynamic=_flag,
            title=_opt_text,
        ),
        st.builds(ui.ToolInputDeltaChunk, tool_call_id=_ids, input_text_delta=_text),
        st.builds(
            ui.ToolInputAvailableChunk,
            tool_call_id=_ids,
            tool_name=_tool_names,
            input=_json,
            provider_executed=_flag,
            provider_metadata=_pm,
            tool_metadata=_tool_metadata,
            dynamic=_flag,
            title=_opt_text,
        ),
        st.builds(
            ui.ToolInputErrorChunk,
            tool_call_id=_ids,
            tool_name=_tool_names,
            input=_json,
            error_text=_text,
            provider_executed=_flag,
            dynamic=_flag,
        ),
        st.builds(
            ui.ToolApprovalRequestChunk,
            approval_id=_ids,
            tool_call_id=_ids,
            input_schema_input=st.none() | _json,
            reason=_opt_text,
            is_automatic=_flag,
            signature=_opt_text,
        ),
        st.builds(
            ui.ToolApprovalResponseChunk,
            approval_id=_ids,
            approved=st.booleans(),
            reason=_opt_text,
            provider_executed=_flag,
        ),
        st.builds(
            ui.ToolOutputAvailableChunk,
            tool_call_id=_ids,
            output=_json,
            provider_executed=_flag,
            provider_metadata=_pm,
            preliminary=_flag,
            dynamic=_flag,
        ),
        st.builds(
            ui.ToolOutputErrorChunk, tool_call_id=_ids, error_text=_text, provider_executed=_flag
        ),
        st.builds(ui.ToolOutputDeniedChunk, tool_call_id=_ids),
        st.builds(ui.CustomChunk, kind=_ids, provider_metadata=_pm),
        st.builds(
            ui.SourceUrlChunk, source_id=_ids, url=_text, title=_opt_text, provider_metadata=_pm
        ),
        st.builds(
            ui.SourceDocumentChunk,
            source_id=_ids,
            media_type=_ids,
            title=_text,
            filename=_opt_text,
            provider_metadata=_pm,
        ),
        st.builds(ui.FileChunk, media_type=_ids, url=_urls, provider_metadata=_pm),
        st.builds(ui.ReasoningFileChunk, media_type=_ids, url=_urls, provider_metadata=_pm),
        st.builds(
            ui.DataChunk,
            type=_ids.map(lambda n: f"data-{n}"),
            data=_json,
            id=st.none() | _ids,
            transient=_flag,
        ),
        st.builds(
            ui.FinishChunk,
            finish_reason=st.none() | st.sampled_from(ui.FINISH_REASONS),
            message_metadata=st.none() | _json,
        ),
        st.builds(
            ui.SteeringMessageChunk,
            id=_ids,
            parts=st.lists(
                st.builds(ui.TextUIPart, text=_text, provider_metadata=_pm) | _file_part,
                max_size=2,
            ).map(tuple),
        ),
        st.builds(ui.AbortChunk, reason=_opt_text),
        st.builds(ui.MessageMetadataChunk, message_metadata=_json),
    )
