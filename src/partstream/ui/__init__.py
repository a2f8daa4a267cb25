"""The Python backend of AI SDK UI: ``useChat``'s requests in, the UI message stream out.

The browser side of the AI SDK (``useChat`` from ``@ai-sdk/react``, the ``Chat``
class and ``DefaultChatTransport`` of ``ai`` 7.x) POSTs the chat's UI messages and
reads back a *UI message stream*: server-sent events of JSON chunks
(``x-vercel-ai-ui-message-stream: v1``). This package speaks both ends of that,
exactly as the ``ai`` package's own server helpers do (``streamText(...)
.toUIMessageStream()``, ``convertToModelMessages``, ``createUIMessageStreamResponse``),
checked chunk for chunk and byte for byte against the published package in Node.

* **Chunks** (:class:`TextDeltaChunk`, :class:`ToolInputAvailableChunk`, ... one
  class per chunk type, :data:`UIMessageChunk`) and **UI messages**
  (:class:`UIMessage` and its parts, tool parts in every state) as frozen attrs
  classes with ``to_dict()`` (the reference's JSON, key for key) and
  ``from_dict()`` (its validation; strict about unknown keys unless
  ``strict=False``).
* **Parts -> chunks**: :class:`UIMessageStreamConverter`, sans-IO, a pipeline stage
  (``start()``/``feed(parts)``/``finish()``, ``abort()``/``fail()``, ``feed_sse()``
  for bytes, ``snapshot()``/``restore()`` to continue elsewhere).
* **The wire**: :func:`encode_sse` (``JSON.stringify``'s exact bytes),
  :data:`DONE_FRAME`, :data:`UI_MESSAGE_STREAM_HEADERS`.
* **HTTP**: :class:`UIMessageStreamResponse` (an ASGI app and a Starlette/FastAPI
  response; errors before the first part become HTTP errors, see
  :func:`default_error_response`; the upstream stops when the browser leaves),
  :func:`read_chat_request` (the request body read with :class:`ChatRequestLimits`).
* **Messages -> prompt**: :func:`convert_to_model_messages` and :func:`to_prompt`
  (the LanguageModelV4 prompt ``model.stream(prompt=...)`` takes).

A chat endpoint (Starlette; FastAPI alike)::

    async def chat(request):
        try:
            chat = await read_chat_request(request)
            prompt = to_prompt(chat.messages, system="You are a helpful assistant.")
        except PartstreamError as exc:  # a 400 that names the problem
            return TextResponse.for_error(default_error_response(exc))
        converter = UIMessageStreamConverter(
            tools=tools_from_call_options(TOOLS), send_sources=True
        )
        return UIMessageStreamResponse(
            model.stream(prompt, tools=TOOLS), converter=converter
        )

Where partstream deliberately differs from the reference (the one table of them):

=========================  ================================  ================================
behaviour                  the reference                     partstream, and why
=========================  ================================  ================================
unknown keys in            kept (chunks: ``looseObject``)    refused by default (a typo is a
``from_dict``              or dropped (messages:             bug); ``strict=False`` does as
                           ``z.object``)                     the reference, and chat
                                                             requests default to it
the model call fails       a 200 with an ``error`` chunk     a non-2xx answer with a short
(HTTP 401/429/5xx, no                                        text (429 keeps Retry-After);
connection)                                                  ``useChat`` shows the text
the stream breaks after    the body aborts (merged in        an ``error`` chunk, then
the start                  ``createUIMessageStream``: an     ``[DONE]`` (the latter)
                           ``error`` chunk)
generated files by URL     downloaded, sent as a data URL    the URL is sent on (no hidden
                                                             IO); ``download=`` on the
                                                             response does as the reference
URLs in the prompt         normalised by ``new URL()``;      passed on as written; the
                           downloaded when the model does    Google model takes every URL
                           not take them
a tool call's JSON         V8's ``SyntaxError`` text         Python's ``json`` text (the rest
syntax error text                                            of the message is the same)
tools                      executed (``execute``), further   one model call per stream (the
                           steps, input checked by the       application runs its tools);
                           tool's schema                     ``ToolSpec.validate`` optional;
                                                             provider tools keep their input
                                                             (Google's ``z.object({})``
                                                             schemas would empty it)
``messageMetadata``        called with ``TextStreamPart``s   called with partstream parts and
                                                             :class:`StreamEvent` (start,
                                                             steps, finish, abort)
warnings (call warnings,   logged                            not logged (the caller has them)
differing tool errors)
=========================  ================================  ================================
"""

from ._asgi import Download as Download
from ._asgi import UIMessageStreamResponse as UIMessageStreamResponse
from ._chunks import FINISH_REASONS as FINISH_REASONS
from ._chunks import AbortChunk as AbortChunk
from ._chunks import CustomChunk as CustomChunk
from ._chunks import DataChunk as DataChunk
from ._chunks import ErrorChunk as ErrorChunk
from ._chunks import FileChunk as FileChunk
from ._chunks import FinishChunk as FinishChunk
from ._chunks import FinishReason as FinishReason
from ._chunks import FinishStepChunk as FinishStepChunk
from ._chunks import MessageMetadataChunk as MessageMetadataChunk
from ._chunks import ReasoningDeltaChunk as ReasoningDeltaChunk
from ._chunks import ReasoningEndChunk as ReasoningEndChunk
from ._chunks import ReasoningFileChunk as ReasoningFileChunk
from ._chunks import ReasoningStartChunk as ReasoningStartChunk
from ._chunks import ResetStepChunk as ResetStepChunk
from ._chunks import SourceDocumentChunk as SourceDocumentChunk
from ._chunks import SourceUrlChunk as SourceUrlChunk
from ._chunks import StartChunk as StartChunk
from ._chunks import StartStepChunk as StartStepChunk
from ._chunks import SteeringMessageChunk as SteeringMessageChunk
from ._chunks import TextDeltaChunk as TextDeltaChunk
from ._chunks import TextEndChunk as TextEndChunk
from ._chunks import TextStartChunk as TextStartChunk
from ._chunks import ToolApprovalRequestChunk as ToolApprovalRequestChunk
from ._chunks import ToolApprovalResponseChunk as ToolApprovalResponseChunk
from ._chunks import ToolInputAvailableChunk as ToolInputAvailableChunk
from ._chunks import ToolInputDeltaChunk as ToolInputDeltaChunk
from ._chunks import ToolInputErrorChunk as ToolInputErrorChunk
from ._chunks import ToolInputStartChunk as ToolInputStartChunk
from ._chunks import ToolOutputAvailableChunk as ToolOutputAvailableChunk
from ._chunks import ToolOutputDeniedChunk as ToolOutputDeniedChunk
from ._chunks import ToolOutputErrorChunk as ToolOutputErrorChunk
from ._chunks import UIMessageChunk as UIMessageChunk
from ._chunks import chunk_from_dict as chunk_from_dict
from ._convert import SNAPSHOT_VERSION as SNAPSHOT_VERSION
from ._convert import UIMessageStreamConverter as UIMessageStreamConverter
from ._convert import default_generate_id as default_generate_id
from ._core import DEFAULT_ERROR_TEXT as DEFAULT_ERROR_TEXT
from ._core import StreamEvent as StreamEvent
from ._http import ErrorResponse as ErrorResponse
from ._http import TextResponse as TextResponse
from ._http import default_error_response as default_error_response
from ._http import read_chat_request as read_chat_request
from ._messages import CustomUIPart as CustomUIPart
from ._messages import DataUIPart as DataUIPart
from ._messages import DynamicToolUIPart as DynamicToolUIPart
from ._messages import FileUIPart as FileUIPart
from ._messages import ReasoningFileUIPart as ReasoningFileUIPart
from ._messages import ReasoningUIPart as ReasoningUIPart
from ._messages import SourceDocumentUIPart as SourceDocumentUIPart
from ._messages import SourceUrlUIPart as SourceUrlUIPart
from ._messages import SteeringMessageUIPart as SteeringMessageUIPart
from ._messages import StepStartUIPart as StepStartUIPart
from ._messages import TextUIPart as TextUIPart
from ._messages import ToolApproval as ToolApproval
from ._messages import ToolState as ToolState
from ._messages import ToolUIPart as ToolUIPart
from ._messages import UIMessage as UIMessage
from ._messages import UIMessagePart as UIMessagePart
from ._messages import ui_message_part_from_dict as ui_message_part_from_dict
from ._messages import validate_ui_messages as validate_ui_messages
from ._model_prompt import to_prompt as to_prompt
from ._prompt import convert_to_model_messages as convert_to_model_messages
from ._request import DEFAULT_CHAT_REQUEST_LIMITS as DEFAULT_CHAT_REQUEST_LIMITS
from ._request import ChatRequest as ChatRequest
from ._request import ChatRequestLimits as ChatRequestLimits
from ._request import ChatRequestReader as ChatRequestReader
from ._request import parse_chat_request as parse_chat_request
from ._tools import ToolSpec as ToolSpec
from ._tools import get_error_message as get_error_message
from ._tools import tools_from_call_options as tools_from_call_options
from ._wire import DONE_FRAME as DONE_FRAME
from ._wire import KEEP_ALIVE_FRAME as KEEP_ALIVE_FRAME
from ._wire import STREAM_OPEN_FRAME as STREAM_OPEN_FRAME
from ._wire import UI_MESSAGE_STREAM_HEADERS as UI_MESSAGE_STREAM_HEADERS
from ._wire import encode_chunk as encode_chunk
from ._wire import encode_sse as encode_sse
from ._wire import sse_frame as sse_frame

__all__ = [
    "AbortChunk",
    "ChatRequest",
    "ChatRequestLimits",
    "ChatRequestReader",
    "CustomChunk",
    "CustomUIPart",
    "DEFAULT_CHAT_REQUEST_LIMITS",
    "DEFAULT_ERROR_TEXT",
    "DONE_FRAME",
    "DataChunk",
    "DataUIPart",
    "Download",
    "DynamicToolUIPart",
    "ErrorChunk",
    "ErrorResponse",
    "FINISH_REASONS",
    "FileChunk",
    "FileUIPart",
    "FinishChunk",
    "FinishReason",
    "FinishStepChunk",
    "KEEP_ALIVE_FRAME",
    "MessageMetadataChunk",
    "ReasoningDeltaChunk",
    "ReasoningEndChunk",
    "ReasoningFileChunk",
    "ReasoningFileUIPart",
    "ReasoningStartChunk",
    "ReasoningUIPart",
    "ResetStepChunk",
    "SNAPSHOT_VERSION",
    "STREAM_OPEN_FRAME",
    "SourceDocumentChunk",
    "SourceDocumentUIPart",
    "SourceUrlChunk",
    "SourceUrlUIPart",
    "StartChunk",
    "StartStepChunk",
    "SteeringMessageChunk",
    "SteeringMessageUIPart",
    "StepStartUIPart",
    "StreamEvent",
    "TextDeltaChunk",
    "TextEndChunk",
    "TextResponse",
    "TextStartChunk",
    "TextUIPart",
    "ToolApproval",
    "ToolApprovalRequestChunk",
    "ToolApprovalResponseChunk",
    "ToolInputAvailableChunk",
    "ToolInputDeltaChunk",
    "ToolInputErrorChunk",
    "ToolInputStartChunk",
    "ToolOutputAvailableChunk",
    "ToolOutputDeniedChunk",
    "ToolOutputErrorChunk",
    "ToolSpec",
    "ToolState",
    "ToolUIPart",
    "UIMessage",
    "UIMessageChunk",
    "UIMessagePart",
    "UIMessageStreamConverter",
    "UIMessageStreamResponse",
    "UI_MESSAGE_STREAM_HEADERS",
    "chunk_from_dict",
    "convert_to_model_messages",
    "default_error_response",
    "default_generate_id",
    "encode_chunk",
    "encode_sse",
    "get_error_message",
    "parse_chat_request",
    "read_chat_request",
    "sse_frame",
    "to_prompt",
    "tools_from_call_options",
    "ui_message_part_from_dict",
    "validate_ui_messages",
]
