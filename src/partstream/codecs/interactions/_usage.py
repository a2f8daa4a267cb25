"""Token usage: Interactions ``usage`` → the AI SDK's LanguageModelV4Usage."""

from __future__ import annotations

from typing import Any

from ...parts import InputTokens, OutputTokens, Usage

__all__ = ["convert_usage", "output_tokens_by_modality"]


def _count(usage: dict[str, Any], key: str) -> int | None:
    value = usage.get(key)
    if type(value) is int:
        return value
    # A count written as 7.0 is 7 (JSON has one number type); anything else is absent.
    if type(value) is float and value.is_integer():
        return int(value)
    return None


def convert_usage(usage: Any) -> Usage:
    """Convert an Interactions ``usage`` object (``None``: nothing reported).

    input: ``total`` = ``total_input_tokens``, ``noCache`` = total minus
    ``total_cached_tokens``, ``cacheRead`` = ``total_cached_tokens``; output:
    ``total`` = ``total_output_tokens`` + ``total_thought_tokens`` (absent when both
    are), ``text`` = ``total_output_tokens``, ``reasoning`` = ``total_thought_tokens``;
    ``raw`` = the usage object itself.
    """
    if not isinstance(usage, dict):
        return Usage()
    total_input = _count(usage, "total_input_tokens")
    total_output = _count(usage, "total_output_tokens")
    total_thought = _count(usage, "total_thought_tokens")
    total_cached = _count(usage, "total_cached_tokens")
    return Usage(
        input_tokens=InputTokens(
            total=total_input,
            no_cache=None if total_input is None else total_input - (total_cached or 0),
            cache_read=total_cached,
        ),
        output_tokens=OutputTokens(
            total=(
                None
                if total_output is None and total_thought is None
                else (total_output or 0) + (total_thought or 0)
            ),
            text=total_output,
            reasoning=total_thought,
        ),
        raw=usage,
    )


def output_tokens_by_modality(usage: Any) -> dict[str, int] | None:
    """``output_tokens_by_modality`` as ``{modality: tokens}``; ``None`` when empty or absent."""
    if not isinstance(usage, dict):
        return None
    entries = usage.get("output_tokens_by_modality")
    if not isinstance(entries, list):
        return None
    result: dict[str, int] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        modality = entry.get("modality")
        if type(modality) is str:
            count = _count(entry, "tokens")
            if count is not None:
                result[modality] = count
    return result or None
