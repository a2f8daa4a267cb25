"""The Google Interactions codec: request body, stream transform, outputs (sans-IO)."""

from __future__ import annotations

from ._api import INTERACTION_STATUSES as INTERACTION_STATUSES
from ._api import TERMINAL_STATUSES as TERMINAL_STATUSES
from ._api import Parsed as Parsed
from ._api import ParseFailure as ParseFailure
from ._api import ParseResult as ParseResult
from ._api import decode_event as decode_event
from ._api import is_terminal_status as is_terminal_status
from ._api import parse_event as parse_event
from ._api import parse_response as parse_response
from ._api import validate_event as validate_event
from ._api import validate_response as validate_response
from ._finish import finish_reason as finish_reason
from ._finish import map_finish_reason as map_finish_reason
from ._input import ConvertedInput as ConvertedInput
from ._input import convert_to_interactions_input as convert_to_interactions_input
from ._options import InteractionsProviderOptions as InteractionsProviderOptions
from ._options import parse_interactions_provider_options as parse_interactions_provider_options
from ._outputs import GenerateOutputs as GenerateOutputs
from ._outputs import GoogleProviderMetadata as GoogleProviderMetadata
from ._outputs import InteractionOutputs as InteractionOutputs
from ._outputs import generate_outputs as generate_outputs
from ._outputs import parse_outputs as parse_outputs
from ._request import InteractionsTarget as InteractionsTarget
from ._request import PreparedRequest as PreparedRequest
from ._request import prepare_request as prepare_request
from ._sources import annotation_to_source as annotation_to_source
from ._sources import annotations_to_sources as annotations_to_sources
from ._sources import builtin_tool_result_to_sources as builtin_tool_result_to_sources
from ._stream_from_response import synthesize_stream as synthesize_stream
from ._tools import PreparedTools as PreparedTools
from ._tools import prepare_interactions_tools as prepare_interactions_tools
from ._transform import InteractionsStreamTransform as InteractionsStreamTransform
from ._transform import default_generate_id as default_generate_id
from ._usage import convert_usage as convert_usage
from ._usage import output_tokens_by_modality as output_tokens_by_modality

__all__ = [
    "ConvertedInput",
    "GenerateOutputs",
    "GoogleProviderMetadata",
    "INTERACTION_STATUSES",
    "InteractionOutputs",
    "InteractionsProviderOptions",
    "InteractionsStreamTransform",
    "InteractionsTarget",
    "ParseFailure",
    "ParseResult",
    "Parsed",
    "PreparedRequest",
    "PreparedTools",
    "TERMINAL_STATUSES",
    "annotation_to_source",
    "annotations_to_sources",
    "builtin_tool_result_to_sources",
    "convert_to_interactions_input",
    "convert_usage",
    "decode_event",
    "default_generate_id",
    "finish_reason",
    "generate_outputs",
    "is_terminal_status",
    "map_finish_reason",
    "output_tokens_by_modality",
    "parse_event",
    "parse_interactions_provider_options",
    "parse_outputs",
    "parse_response",
    "prepare_interactions_tools",
    "prepare_request",
    "synthesize_stream",
    "validate_event",
    "validate_response",
]
