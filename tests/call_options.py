"""The AI SDK's call option names and their partstream spelling (shared by test runners)."""

from __future__ import annotations

from typing import Final

__all__ = ["BODY_OPTION_NAMES"]

#: LanguageModelV4 call options that shape the request body -> partstream keywords.
BODY_OPTION_NAMES: Final[dict[str, str]] = {
    "maxOutputTokens": "max_output_tokens",
    "temperature": "temperature",
    "topP": "top_p",
    "topK": "top_k",
    "presencePenalty": "presence_penalty",
    "frequencyPenalty": "frequency_penalty",
    "stopSequences": "stop_sequences",
    "seed": "seed",
    "tools": "tools",
    "toolChoice": "tool_choice",
    "responseFormat": "response_format",
    "providerOptions": "provider_options",
    "reasoning": "reasoning",
}
