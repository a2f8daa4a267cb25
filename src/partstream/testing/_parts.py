"""Hypothesis strategies for stream parts and generate content (``partstream.parts``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from .. import parts as p

__all__ = ["json_values", "parts", "provider_metadata", "warnings"]

_text = st.text(max_size=20)
_ids = st.text(min_size=1, max_size=12)


def json_values(max_leaves: int = 10) -> st.SearchStrategy[Any]:
    """Arbitrary JSON values (no NaN/inf, string keys)."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | _text
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
        max_leaves=max_leaves,
    )


def provider_metadata() -> st.SearchStrategy[dict[str, dict[str, Any]] | None]:
    """``providerMetadata`` values: a provider name to a JSON object, or absent."""
    return st.none() | st.dictionaries(
        st.sampled_from(["google", "gateway"]),
        st.dictionaries(_text, json_values(4), max_size=3),
        max_size=2,
    )


def warnings() -> st.SearchStrategy[p.Warning]:
    """Any of the four warning types."""
    opt = st.none() | _text
    return st.one_of(
        st.builds(p.UnsupportedWarning, feature=_text, details=opt),
        st.builds(p.CompatibilityWarning, feature=_text, details=opt),
        st.builds(p.DeprecatedWarning, setting=_text, message=_text),
        st.builds(p.OtherWarning, message=_text),
    )


_count = st.none() | st.integers(min_value=0, max_value=2**40)
_usage = st.builds(
    p.Usage,
    input_tokens=st.builds(
        p.InputTokens, total=_count, no_cache=_count, cache_read=_count, cache_write=_count
    ),
    output_tokens=st.builds(p.OutputTokens, total=_count, text=_count, reasoning=_count),
    raw=st.none() | st.dictionaries(_text, json_values(4), max_size=3),
)
_finish_reason = st.builds(
    p.FinishReason,
    unified=st.sampled_from(["stop", "length", "content-filter", "tool-calls", "error", "other"]),
    raw=st.none() | _text,
)
_file_data = st.builds(p.DataContent, data=_text) | st.builds(p.UrlContent, url=_text)
# Millisecond precision in UTC: what a JavaScript Date can carry.
_timestamps = st.datetimes(
    min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(9999, 1, 1)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000, tzinfo=dt.UTC))
_pm = provider_metadata()
_flag = st.none() | st.booleans()
_non_null_json = json_values(6).filter(lambda v: v is not None)


def parts() -> st.SearchStrategy[p.Part | p.Content]:
    """Every stream part and content type with arbitrary field values."""
    return st.one_of(
        st.builds(p.StreamStart, warnings=st.lists(warnings(), max_size=3).map(tuple)),
        st.builds(
            p.ResponseMetadata,
            id=st.none() | _ids,
            timestamp=st.none() | _timestamps,
            model_id=st.none() | _ids,
        ),
        *(
            st.builds(cls, id=_ids, provider_metadata=_pm)
            for cls in (p.TextStart, p.TextEnd, p.ReasoningStart, p.ReasoningEnd, p.ToolInputEnd)
        ),
        *(
            st.builds(cls, id=_ids, delta=_text, provider_metadata=_pm)
            for cls in (p.TextDelta, p.ReasoningDelta, p.ToolInputDelta)
        ),
        st.builds(
            p.ToolInputStart,
            id=_ids,
            tool_name=_ids,
            provider_metadata=_pm,
            provider_executed=_flag,
            dynamic=_flag,
            title=st.none() | _text,
        ),
        st.builds(
            p.ToolApprovalRequest, approval_id=_ids, tool_call_id=_ids, provider_metadata=_pm
        ),
        st.builds(
            p.ToolCall,
            tool_call_id=_ids,
            tool_name=_ids,
            input=_text,
            provider_executed=_flag,
            dynamic=_flag,
            provider_metadata=_pm,
        ),
        st.builds(
            p.ToolResult,
            tool_call_id=_ids,
            tool_name=_ids,
            result=_non_null_json,
            is_error=_flag,
            preliminary=_flag,
            dynamic=_flag,
            provider_metadata=_pm,
        ),
        st.builds(p.Custom, kind=_ids, provider_metadata=_pm),
        st.builds(p.File, media_type=_ids, data=_file_data, provider_metadata=_pm),
        st.builds(p.ReasoningFile, media_type=_ids, data=_file_data, provider_metadata=_pm),
        st.builds(p.UrlSource, id=_ids, url=_text, title=st.none() | _text, provider_metadata=_pm),
        st.builds(
            p.DocumentSource,
            id=_ids,
            media_type=_ids,
            title=_text,
            filename=st.none() | _text,
            provider_metadata=_pm,
        ),
        st.builds(p.Error, error=_non_null_json),
        st.builds(p.Raw, raw_value=_non_null_json),
        st.builds(p.Finish, usage=_usage, finish_reason=_finish_reason, provider_metadata=_pm),
        st.builds(p.Text, text=_text, provider_metadata=_pm),
        st.builds(p.Reasoning, text=_text, provider_metadata=_pm),
    )
