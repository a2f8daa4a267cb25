"""Citation edges, each a named vector: wrong JSON types, skipped entries, de-duplication keys."""

from __future__ import annotations

from typing import Any

import pytest

from partstream import parts
from partstream.codecs.interactions import (
    annotation_to_source,
    annotations_to_sources,
    builtin_tool_result_to_sources,
)
from partstream.codecs.interactions._sources import source_key


def gen() -> Any:
    n = iter(range(1, 100))
    return lambda: f"id-{next(n)}"


def url(i: int, link: str, title: str | None = None) -> parts.UrlSource:
    return parts.UrlSource(id=f"id-{i}", url=link, title=title)


def test_titles_of_the_wrong_json_type_are_absent() -> None:
    cited = {"type": "url_citation", "url": "https://a", "title": 5}
    assert annotation_to_source(cited, gen()) == url(1, "https://a")
    place = {"type": "place_citation", "url": "https://p", "name": ["P"]}
    assert annotation_to_source(place, gen()) == url(1, "https://p")
    assert annotation_to_source({"type": "url_citation", "url": 7}, gen()) is None


def test_unknown_annotation_types_give_no_source() -> None:
    for kind in ("foo", "file_citations", None, 3):
        assert annotation_to_source({"type": kind, "url": "https://x"}, gen()) is None
    assert annotation_to_source(["type", "url_citation"], gen()) is None


def test_a_file_citation_keeps_its_file_name_over_the_uri_basename() -> None:
    cited = {"type": "file_citation", "document_uri": "gs://b/abc123", "file_name": "Nice.pdf"}
    assert annotation_to_source(cited, gen()) == parts.DocumentSource(
        id="id-1", media_type="application/octet-stream", title="Nice.pdf", filename="Nice.pdf"
    )


def test_invalid_annotations_are_skipped_not_the_end_of_the_list() -> None:
    annotations = [
        "junk",
        {"type": "url_citation"},
        {"type": "url_citation", "url": "https://a"},
        {"type": "file_citation", "file_name": "x.md"},
        {"type": "file_citation", "file_name": "x.md"},  # the same document
        {"type": "file_citation", "document_uri": "gs://b/x.md"},  # the same file name
    ]
    assert annotations_to_sources(annotations, gen()) == [
        url(1, "https://a"),
        parts.DocumentSource(id="id-2", media_type="text/markdown", title="x.md", filename="x.md"),
    ]


def test_documents_without_a_file_name_are_told_apart_by_title() -> None:
    annotations = [
        {"type": "file_citation", "document_uri": "gs://a/"},
        {"type": "file_citation", "document_uri": "gs://b/"},
        {"type": "file_citation", "document_uri": "gs://a/"},
    ]
    assert annotations_to_sources(annotations, gen()) == [
        parts.DocumentSource(id="id-1", media_type="application/octet-stream", title="gs://a/"),
        parts.DocumentSource(id="id-2", media_type="application/octet-stream", title="gs://b/"),
    ]


def test_source_keys() -> None:
    doc = parts.DocumentSource(id="1", media_type="text/plain", title="T", filename="a.txt")
    other_title = parts.DocumentSource(id="2", media_type="text/plain", title="U", filename="a.txt")
    untitled = parts.DocumentSource(id="3", media_type="text/plain", title="a.txt")
    assert source_key(doc) == source_key(other_title)  # the file name decides
    assert source_key(untitled) == source_key(doc)  # no file name: the title
    assert source_key(url(1, "a.txt")) != source_key(doc)  # urls and documents never mix
    assert source_key(url(1, "https://a", "x")) == source_key(url(2, "https://a", "y"))


@pytest.mark.parametrize("block", [None, "x", [], 3, {"type": "url_context_result"}])
def test_a_block_that_is_not_a_result_object_gives_nothing(block: Any) -> None:
    assert builtin_tool_result_to_sources(block, gen()) == []


def test_unknown_result_types_give_nothing() -> None:
    result = [{"url": "https://x", "document_uri": "gs://d/a.pdf", "places": [{"url": "u"}]}]
    for kind in ("other_result", "file_search", "", None):
        assert builtin_tool_result_to_sources({"type": kind, "result": result}, gen()) == []


@pytest.mark.parametrize(
    ("kind", "entries", "expected"),
    [
        (
            "url_context_result",
            ["junk", {"url": "https://a", "status": "error"}, {"url": "https://b"}],
            [url(1, "https://b")],
        ),
        (
            "url_context_result",
            [{"url": "https://a", "status": "success"}, 5, {"url": ""}, {"url": "https://c"}],
            [url(1, "https://a"), url(2, "https://c")],
        ),
        (
            "google_search_result",
            [3, {"title": "no url"}, {"url": "https://s", "title": "S"}],
            [url(1, "https://s", "S")],
        ),
        (
            "google_maps_result",
            [
                {"places": "not a list"},
                "junk",
                {"places": ["junk", {"name": "no url"}, {"url": "https://m", "name": "M"}]},
                {"places": [{"url": "https://n"}]},
            ],
            [url(1, "https://m", "M"), url(2, "https://n")],
        ),
    ],
)
def test_bad_entries_are_skipped_not_the_end_of_the_result(
    kind: str, entries: list[Any], expected: list[parts.Source]
) -> None:
    assert builtin_tool_result_to_sources({"type": kind, "result": entries}, gen()) == expected


def test_file_search_entries() -> None:
    block = {
        "type": "file_search_result",
        "result": [
            "junk",
            {"title": "no uri"},
            {"url": "https://h/x", "title": "H"},
            {"document_uri": "gs://b/abc", "file_name": "Real.docx"},
            {"document_uri": "gs://b/notes.TXT", "title": "Notes"},
        ],
    }
    assert builtin_tool_result_to_sources(block, gen()) == [
        url(1, "https://h/x", "H"),
        parts.DocumentSource(
            id="id-2",
            media_type="application/octet-stream",
            title="Real.docx",
            filename="Real.docx",
        ),
        parts.DocumentSource(
            id="id-3", media_type="text/plain", title="Notes", filename="notes.TXT"
        ),
    ]
