"""Citations → source parts, beyond the recorded cases."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from partstream import parts
from partstream.codecs.interactions import (
    annotation_to_source,
    annotations_to_sources,
    builtin_tool_result_to_sources,
)
from partstream.testing import json_values


def gen() -> Any:
    n = iter(range(1, 100))
    return lambda: f"id-{next(n)}"


@pytest.mark.parametrize(
    ("uri", "media_type", "filename"),
    [
        ("gs://b/Report.PDF", "application/pdf", "Report.PDF"),
        ("store/notes.txt", "text/plain", "notes.txt"),
        ("a.md", "text/markdown", "a.md"),
        ("a.markdown", "text/markdown", "a.markdown"),
        ("a.doc", "application/msword", "a.doc"),
        (
            "a.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "a.docx",
        ),
        ("dir/", "application/octet-stream", None),
    ],
)
def test_document_sources(uri: str, media_type: str, filename: str | None) -> None:
    source = annotation_to_source({"type": "file_citation", "document_uri": uri}, gen())
    assert source == parts.DocumentSource(
        id="id-1", media_type=media_type, title=filename or uri, filename=filename
    )


def test_file_citation_prefers_url_then_document_uri_then_file_name() -> None:
    both = {"type": "file_citation", "url": "https://u/x.pdf", "document_uri": "gs://d/y.pdf"}
    assert annotation_to_source(both, gen()) == parts.UrlSource(id="id-1", url="https://u/x.pdf")
    named = {"type": "file_citation", "file_name": "z.md"}
    assert annotation_to_source(named, gen()) == parts.DocumentSource(
        id="id-1", media_type="text/markdown", title="z.md", filename="z.md"
    )
    assert annotation_to_source({"type": "file_citation", "url": ""}, gen()) is None


def test_file_search_titles() -> None:
    block = {
        "type": "file_search_result",
        "result": [
            {"document_uri": "gs://b/a.pdf", "title": "Title", "file_name": "a.pdf"},
            {"url": "http://h/x", "title": "H"},
            {"file_name": 3},
            "junk",
        ],
    }
    assert builtin_tool_result_to_sources(block, gen()) == [
        parts.DocumentSource(
            id="id-1", media_type="application/pdf", title="Title", filename="a.pdf"
        ),
        parts.UrlSource(id="id-2", url="http://h/x", title="H"),
    ]


def test_ids_are_drawn_for_duplicates_too() -> None:
    # The reference calls generateId before de-duplicating: ids stay in step with it.
    same = {"type": "place_citation", "url": "https://p", "name": "P"}
    sources = annotations_to_sources(
        [same, {"type": "url_citation", "url": "https://p"}, same], gen()
    )
    assert sources == [parts.UrlSource(id="id-1", url="https://p", title="P")]
    assert annotations_to_sources("not a list", gen()) == []


@given(json_values(8), json_values(8))
def test_arbitrary_json_never_raises(annotations: Any, result: Any) -> None:
    for source in annotations_to_sources(annotations, gen()):
        assert parts.from_dict(source.to_dict()) == source
    for kind in (
        "url_context_result",
        "google_search_result",
        "google_maps_result",
        "file_search_result",
    ):
        for source in builtin_tool_result_to_sources({"type": kind, "result": result}, gen()):
            assert parts.from_dict(source.to_dict()) == source
