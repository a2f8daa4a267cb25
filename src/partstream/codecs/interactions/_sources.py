"""Citations → ``source`` parts: text annotations and built-in tool results.

Grounding sources reach the client two ways: ``annotations`` on text content
(``url_citation``, ``file_citation``, ``place_citation``) and the ``result`` of a
built-in tool step (``google_search_result``, ``url_context_result``,
``google_maps_result``, ``file_search_result``). Both map onto url or document
sources. ``generate_id`` is called once per source built, before any
de-duplication, as the reference does (ids stay in step with it).

Values of the wrong JSON type (a non-string url, a non-list result) are treated
as absent, where the reference would sometimes throw.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from ...parts import DocumentSource, Source, UrlSource

__all__ = [
    "annotation_to_source",
    "annotations_to_sources",
    "builtin_tool_result_to_sources",
    "source_key",
]

GenerateId = Callable[[], str]

_DOC_MEDIA_TYPES: Final = (
    ("pdf", "application/pdf"),
    ("txt", "text/plain"),
    ("md", "text/markdown"),
    ("markdown", "text/markdown"),
    ("doc", "application/msword"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
)


def _doc_media_type(uri_or_name: str) -> str:
    lower = uri_or_name.lower()
    for ext, media_type in _DOC_MEDIA_TYPES:
        if lower.endswith("." + ext):
            return media_type
    return "application/octet-stream"


def _basename(uri_or_name: str) -> str | None:
    return uri_or_name.rsplit("/", 1)[-1] or None


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def _first_present(entry: dict[str, Any], *keys: str) -> Any:
    # JavaScript's `a ?? b ?? c`: the first value that is not null/undefined.
    for key in keys:
        value = entry.get(key)
        if value is not None:
            return value
    return None


def _is_http(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def source_key(source: Source) -> str:
    """The de-duplication key: the url, or the document's filename (else title)."""
    if isinstance(source, UrlSource):
        return "url:" + source.url
    return "doc:" + (source.filename if source.filename is not None else source.title)


def _document(
    uri: str, file_name: str | None, title: str | None, generate_id: GenerateId
) -> DocumentSource:
    filename = file_name if file_name is not None else _basename(uri)
    return DocumentSource(
        id=generate_id(),
        media_type=_doc_media_type(uri),
        title=title if title is not None else (filename if filename is not None else uri),
        filename=filename,
    )


def annotation_to_source(annotation: Any, generate_id: GenerateId) -> Source | None:
    """One text annotation as a source, or ``None`` when it cannot form one."""
    if not isinstance(annotation, dict):
        return None
    kind = annotation.get("type")
    if kind == "url_citation" or kind == "place_citation":
        url = _str(annotation.get("url"))
        if not url:
            return None
        title = _str(annotation.get("title" if kind == "url_citation" else "name"))
        return UrlSource(id=generate_id(), url=url, title=title)
    if kind == "file_citation":
        uri = _first_present(annotation, "url", "document_uri", "file_name")
        if type(uri) is not str or not uri:
            return None
        file_name = _str(annotation.get("file_name"))
        if _is_http(uri):
            return UrlSource(id=generate_id(), url=uri, title=file_name)
        return _document(uri, file_name, file_name, generate_id)
    return None


def annotations_to_sources(annotations: Any, generate_id: GenerateId) -> list[Source]:
    """The sources of a text block's ``annotations``, de-duplicated by :func:`source_key`."""
    if not isinstance(annotations, list):
        return []
    seen: set[str] = set()
    sources: list[Source] = []
    for annotation in annotations:
        source = annotation_to_source(annotation, generate_id)
        if source is None:
            continue
        key = source_key(source)
        if key not in seen:
            seen.add(key)
            sources.append(source)
    return sources


def builtin_tool_result_to_sources(block: Any, generate_id: GenerateId) -> list[Source]:
    """The sources in a built-in tool result block (``{type, call_id, result}``).

    ``url_context_result``: each fetched url whose ``status`` is absent or ``success``;
    ``google_search_result``: each entry with a url (search-suggestion widgets skipped);
    ``google_maps_result``: each place with a url; ``file_search_result``: a url
    source for an http(s) uri, else a document source. Other results give none.
    """
    if not isinstance(block, dict):
        return []
    kind = block.get("type")
    result = block.get("result")
    if not isinstance(result, list):
        return []
    sources: list[Source] = []
    if kind == "url_context_result":
        for entry in result:
            if not isinstance(entry, dict):
                continue
            url = _str(entry.get("url"))
            status = entry.get("status")
            if url and (status is None or status == "success"):
                sources.append(UrlSource(id=generate_id(), url=url))
    elif kind == "google_search_result":
        for entry in result:
            if not isinstance(entry, dict):
                continue
            url = _str(entry.get("url"))
            if url:
                sources.append(UrlSource(id=generate_id(), url=url, title=_str(entry.get("title"))))
    elif kind == "google_maps_result":
        for entry in result:
            places = entry.get("places") if isinstance(entry, dict) else None
            if not isinstance(places, list):
                continue
            for place in places:
                if not isinstance(place, dict):
                    continue
                url = _str(place.get("url"))
                if url:
                    sources.append(
                        UrlSource(id=generate_id(), url=url, title=_str(place.get("name")))
                    )
    elif kind == "file_search_result":
        for entry in result:
            if not isinstance(entry, dict):
                continue
            uri = _first_present(entry, "url", "document_uri", "file_name")
            if type(uri) is not str or not uri:
                continue
            title = _str(entry.get("title"))
            if _is_http(uri):
                sources.append(UrlSource(id=generate_id(), url=uri, title=title))
                continue
            file_name = _str(entry.get("file_name"))
            sources.append(
                _document(uri, file_name, title if title is not None else file_name, generate_id)
            )
    return sources
