"""Part sequences for the UI tests: what the Interactions transform produces, and worse."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from partstream import parts as p
from partstream.codecs.interactions import InteractionsStreamTransform, Parsed
from partstream.testing import interactions_feeds, interactions_streams
from partstream.testing import parts as any_part

__all__ = ["STREAM_PART_TYPES", "part_sequences", "transform_parts"]

#: The stream part classes (``parts()`` also draws generate-result content).
STREAM_PART_TYPES = (
    p.StreamStart,
    p.ResponseMetadata,
    p.TextStart,
    p.TextDelta,
    p.TextEnd,
    p.ReasoningStart,
    p.ReasoningDelta,
    p.ReasoningEnd,
    p.ToolInputStart,
    p.ToolInputDelta,
    p.ToolInputEnd,
    p.ToolApprovalRequest,
    p.ToolCall,
    p.ToolResult,
    p.Custom,
    p.File,
    p.ReasoningFile,
    p.UrlSource,
    p.DocumentSource,
    p.Error,
    p.Raw,
    p.Finish,
)


def transform_parts(events: list[Any]) -> list[p.Part]:
    """The parts the Interactions transform makes of a feed of events."""
    transform = InteractionsStreamTransform(
        warnings=[], generate_id=lambda: "id", include_raw_chunks=True
    )
    out = list(transform.start())
    for event in events:
        out += transform.feed(Parsed(value=event, raw=event) if isinstance(event, dict) else event)
    out += transform.finish()
    return out


_ids = st.sampled_from(["a", "b", "c"])
# Small id sets make starts, deltas and ends of the same part meet.
_tight = st.one_of(
    st.builds(p.TextStart, id=_ids),
    st.builds(p.TextDelta, id=_ids, delta=st.sampled_from(["", "x", "yz"])),
    st.builds(p.TextEnd, id=_ids),
    st.builds(p.ReasoningStart, id=_ids),
    st.builds(p.ReasoningDelta, id=_ids, delta=st.sampled_from(["", "r"])),
    st.builds(p.ReasoningEnd, id=_ids),
    st.builds(
        p.ToolCall,
        tool_call_id=_ids,
        tool_name=st.sampled_from(["getWeather", "x"]),
        input=st.sampled_from(["{}", "", " ", '{"a":1}', "[1", '{"__proto__":1}']),
    ),
    st.builds(p.ToolApprovalRequest, approval_id=_ids, tool_call_id=_ids),
)


def part_sequences() -> st.SearchStrategy[list[p.Part]]:
    """Interactions streams through the transform, arbitrary feeds, arbitrary parts."""
    arbitrary = any_part().filter(lambda part: isinstance(part, STREAM_PART_TYPES))
    return st.one_of(
        interactions_streams().map(lambda s: transform_parts(s.events)),
        interactions_feeds().map(transform_parts),
        st.lists(arbitrary | _tight, max_size=12),
    )
