"""The AI Gateway realtime contract: auth subprotocols, URLs and the identity event codec.

Client side::

    protocols = get_gateway_realtime_protocols(token, team_id_or_slug="my-team")
    url = gateway_realtime_url("https://ai-gateway.vercel.sh/v4/ai", "openai/gpt-realtime")

Server side (the raw ``Sec-WebSocket-Protocol`` header value)::

    token = get_gateway_realtime_auth_token(header)          # or None
    team = get_gateway_realtime_team_id_or_slug(header)      # or None

Events: :func:`decode_server_message` / :func:`server_event_from_dict` type the
normalized server events losslessly; :func:`encode_client_event` writes a client
event (typed or a plain mapping) as one JSON text message.
"""

from ._gateway_auth import (
    GATEWAY_AUTH_SUBPROTOCOL_PREFIX as GATEWAY_AUTH_SUBPROTOCOL_PREFIX,
)
from ._gateway_auth import (
    GATEWAY_REALTIME_SUBPROTOCOL as GATEWAY_REALTIME_SUBPROTOCOL,
)
from ._gateway_auth import (
    GATEWAY_TEAM_SUBPROTOCOL_PREFIX as GATEWAY_TEAM_SUBPROTOCOL_PREFIX,
)
from ._gateway_auth import gateway_client_secrets_url as gateway_client_secrets_url
from ._gateway_auth import gateway_realtime_url as gateway_realtime_url
from ._gateway_auth import get_gateway_realtime_auth_token as get_gateway_realtime_auth_token
from ._gateway_auth import get_gateway_realtime_protocols as get_gateway_realtime_protocols
from ._gateway_auth import (
    get_gateway_realtime_team_id_or_slug as get_gateway_realtime_team_id_or_slug,
)
from ._gateway_auth import is_subprotocol_token as is_subprotocol_token
from ._gateway_client_events import AudioFormat as AudioFormat
from ._gateway_client_events import AudioMessage as AudioMessage
from ._gateway_client_events import ClientEvent as ClientEvent
from ._gateway_client_events import ConversationItemCreate as ConversationItemCreate
from ._gateway_client_events import ConversationItemTruncate as ConversationItemTruncate
from ._gateway_client_events import FunctionCallOutput as FunctionCallOutput
from ._gateway_client_events import InputAudioAppend as InputAudioAppend
from ._gateway_client_events import InputAudioClear as InputAudioClear
from ._gateway_client_events import InputAudioCommit as InputAudioCommit
from ._gateway_client_events import ResponseCancel as ResponseCancel
from ._gateway_client_events import ResponseCreate as ResponseCreate
from ._gateway_client_events import SessionConfig as SessionConfig
from ._gateway_client_events import SessionUpdate as SessionUpdate
from ._gateway_client_events import TextMessage as TextMessage
from ._gateway_client_events import ToolDefinition as ToolDefinition
from ._gateway_client_events import TranscriptionConfig as TranscriptionConfig
from ._gateway_client_events import TurnDetection as TurnDetection
from ._gateway_client_events import UnknownClientEvent as UnknownClientEvent
from ._gateway_codec import build_session_config as build_session_config
from ._gateway_codec import client_event_from_dict as client_event_from_dict
from ._gateway_codec import decode_server_message as decode_server_message
from ._gateway_codec import encode_client_event as encode_client_event
from ._gateway_codec import parse_server_event as parse_server_event
from ._gateway_codec import serialize_client_event as serialize_client_event
from ._gateway_codec import server_event_from_dict as server_event_from_dict
from ._gateway_server_events import AudioCommitted as AudioCommitted
from ._gateway_server_events import AudioDelta as AudioDelta
from ._gateway_server_events import AudioDone as AudioDone
from ._gateway_server_events import AudioTranscriptDelta as AudioTranscriptDelta
from ._gateway_server_events import AudioTranscriptDone as AudioTranscriptDone
from ._gateway_server_events import ContentPartAdded as ContentPartAdded
from ._gateway_server_events import ContentPartDone as ContentPartDone
from ._gateway_server_events import ConversationItemAdded as ConversationItemAdded
from ._gateway_server_events import CustomEvent as CustomEvent
from ._gateway_server_events import ErrorEvent as ErrorEvent
from ._gateway_server_events import FunctionCallArgumentsDelta as FunctionCallArgumentsDelta
from ._gateway_server_events import FunctionCallArgumentsDone as FunctionCallArgumentsDone
from ._gateway_server_events import InputTranscriptionCompleted as InputTranscriptionCompleted
from ._gateway_server_events import OutputItemAdded as OutputItemAdded
from ._gateway_server_events import OutputItemDone as OutputItemDone
from ._gateway_server_events import ResponseCreated as ResponseCreated
from ._gateway_server_events import ResponseDone as ResponseDone
from ._gateway_server_events import ServerEvent as ServerEvent
from ._gateway_server_events import SessionCreated as SessionCreated
from ._gateway_server_events import SessionUpdated as SessionUpdated
from ._gateway_server_events import SpeechStarted as SpeechStarted
from ._gateway_server_events import SpeechStopped as SpeechStopped
from ._gateway_server_events import TextDelta as TextDelta
from ._gateway_server_events import TextDone as TextDone
from ._gateway_server_events import UnknownServerEvent as UnknownServerEvent

__all__ = [
    "AudioCommitted",
    "AudioDelta",
    "AudioDone",
    "AudioFormat",
    "AudioMessage",
    "AudioTranscriptDelta",
    "AudioTranscriptDone",
    "ClientEvent",
    "ContentPartAdded",
    "ContentPartDone",
    "ConversationItemAdded",
    "ConversationItemCreate",
    "ConversationItemTruncate",
    "CustomEvent",
    "ErrorEvent",
    "FunctionCallArgumentsDelta",
    "FunctionCallArgumentsDone",
    "FunctionCallOutput",
    "GATEWAY_AUTH_SUBPROTOCOL_PREFIX",
    "GATEWAY_REALTIME_SUBPROTOCOL",
    "GATEWAY_TEAM_SUBPROTOCOL_PREFIX",
    "InputAudioAppend",
    "InputAudioClear",
    "InputAudioCommit",
    "InputTranscriptionCompleted",
    "OutputItemAdded",
    "OutputItemDone",
    "ResponseCancel",
    "ResponseCreate",
    "ResponseCreated",
    "ResponseDone",
    "ServerEvent",
    "SessionConfig",
    "SessionCreated",
    "SessionUpdate",
    "SessionUpdated",
    "SpeechStarted",
    "SpeechStopped",
    "TextDelta",
    "TextDone",
    "TextMessage",
    "ToolDefinition",
    "TranscriptionConfig",
    "TurnDetection",
    "UnknownClientEvent",
    "UnknownServerEvent",
    "build_session_config",
    "client_event_from_dict",
    "decode_server_message",
    "encode_client_event",
    "gateway_client_secrets_url",
    "gateway_realtime_url",
    "get_gateway_realtime_auth_token",
    "get_gateway_realtime_protocols",
    "get_gateway_realtime_team_id_or_slug",
    "is_subprotocol_token",
    "parse_server_event",
    "serialize_client_event",
    "server_event_from_dict",
]
