"""The Google Interactions codec: request body, stream transform, outputs (sans-IO)."""

from __future__ import annotations

from ._input import ConvertedInput as ConvertedInput
from ._input import convert_to_interactions_input as convert_to_interactions_input
from ._options import InteractionsProviderOptions as InteractionsProviderOptions
from ._options import parse_interactions_provider_options as parse_interactions_provider_options
from ._request import InteractionsTarget as InteractionsTarget
from ._request import PreparedRequest as PreparedRequest
from ._request import prepare_request as prepare_request
from ._tools import PreparedTools as PreparedTools
from ._tools import prepare_interactions_tools as prepare_interactions_tools

__all__ = [
    "ConvertedInput",
    "InteractionsProviderOptions",
    "InteractionsTarget",
    "PreparedRequest",
    "PreparedTools",
    "convert_to_interactions_input",
    "parse_interactions_provider_options",
    "prepare_interactions_tools",
    "prepare_request",
]
