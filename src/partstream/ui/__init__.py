"""The Python backend of AI SDK UI."""

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
