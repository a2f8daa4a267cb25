"""``provider_options={"google": {...}}`` for the Interactions model: validation and parsing.

The keys are the AI SDK's camelCase ones, so options written for a JavaScript
client can be forwarded unchanged. Every field may be absent or ``None`` (the
reference schema marks them all ``nullish``); unknown keys are ignored, as the
reference's object schema strips them. A value of the wrong type or outside its
enumeration raises :class:`~partstream.errors.InvalidArgumentError` whose message
starts with the reference's ``invalid google provider options`` and names the
offending path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar, final

import attrs

from partstream.errors import InvalidArgumentError

__all__ = ["InteractionsProviderOptions", "parse_interactions_provider_options"]

_PROVIDER: Final = "google"

_THINKING_LEVELS: Final = ("minimal", "low", "medium", "high", "xhigh")
_THINKING_SUMMARIES: Final = ("auto", "none")
_VISUALIZATION: Final = ("off", "auto")
_ASPECT_RATIOS: Final = (
    "1:1",
    "2:3",
    "3:2",
    "3:4",
    "4:3",
    "4:5",
    "5:4",
    "9:16",
    "16:9",
    "21:9",
    "1:8",
    "8:1",
    "1:4",
    "4:1",
)
_IMAGE_SIZES: Final = ("1K", "2K", "4K", "512")
_VIDEO_ASPECT_RATIOS: Final = ("16:9", "9:16")
_VIDEO_RESOLUTIONS: Final = ("360p", "720p", "1080p", "4k")
_VIDEO_DELIVERY: Final = ("inline", "uri")
_MEDIA_RESOLUTIONS: Final = ("low", "medium", "high", "ultra_high")
_MODALITIES: Final = ("text", "image", "audio", "video", "document")
_SERVICE_TIERS: Final = ("flex", "standard", "priority")

T = TypeVar("T")


class _Invalid(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _quote(values: tuple[str, ...]) -> str:
    return ", ".join(repr(v) for v in values)


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _Invalid(path, f"expected a string, got {type(value).__name__}")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(path, f"expected a boolean, got {type(value).__name__}")
    return value


def _enum(choices: tuple[str, ...]) -> Callable[[Any, str], str]:
    def check(value: Any, path: str) -> str:
        if not isinstance(value, str) or value not in choices:
            raise _Invalid(path, f"expected one of {_quote(choices)}, got {value!r}")
        return value

    return check


def _positive_int(value: Any, path: str) -> int:
    # A JavaScript number that is a positive safe integer (1000.0 is the integer 1000).
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(path, f"expected a positive integer, got {type(value).__name__}")
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise _Invalid(path, f"expected a positive integer, got {value!r}")
    number = int(value)
    if number <= 0 or number > 2**53 - 1:
        raise _Invalid(path, f"expected a positive integer, got {value!r}")
    return number


def _obj(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Invalid(path, f"expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _Invalid(path, f"expected an array, got {type(value).__name__}")
    return list(value)


def _opt(data: Mapping[str, Any], key: str, path: str, check: Callable[[Any, str], T]) -> T | None:
    """A nullish field: absent or None is None, anything else must pass ``check``."""
    value = data.get(key)
    return None if value is None else check(value, _join(path, key))


def _picked(
    data: Mapping[str, Any], path: str, fields: dict[str, Callable[[Any, str], Any]]
) -> dict[str, Any]:
    """The declared nullish ``fields`` of ``data``, validated, ``None`` dropped."""
    out: dict[str, Any] = {}
    for key, check in fields.items():
        value = _opt(data, key, path, check)
        if value is not None:
            out[key] = value
    return out


def _type_of(data: Mapping[str, Any], path: str, choices: tuple[str, ...]) -> str:
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in choices:
        raise _Invalid(_join(path, "type"), f"expected one of {_quote(choices)}, got {kind!r}")
    return kind


def _agent_config(value: Any, path: str) -> dict[str, Any]:
    data = _obj(value, path)
    kind = _type_of(data, path, ("dynamic", "deep-research"))
    if kind == "dynamic":
        # A loose object: extra keys are kept (and ignored when the body is built).
        return dict(data)
    return {
        "type": kind,
        **_picked(
            data,
            path,
            {
                "thinkingSummaries": _enum(_THINKING_SUMMARIES),
                "visualization": _enum(_VISUALIZATION),
                "collaborativePlanning": _bool,
            },
        ),
    }


def _response_format_entry(value: Any, path: str) -> dict[str, Any]:
    data = _obj(value, path)
    kind = _type_of(data, path, ("text", "image", "audio", "video"))
    fields: dict[str, Callable[[Any, str], Any]] = {"mimeType": _str}
    if kind == "image":
        fields |= {"aspectRatio": _enum(_ASPECT_RATIOS), "imageSize": _enum(_IMAGE_SIZES)}
    elif kind == "video":
        # Video entries (AI SDK 4.0.59) have no mimeType, but generation controls.
        fields = {
            "aspectRatio": _enum(_VIDEO_ASPECT_RATIOS),
            "resolution": _enum(_VIDEO_RESOLUTIONS),
            "duration": _str,
            "delivery": _enum(_VIDEO_DELIVERY),
            "gcsUri": _str,
        }
    # Loose objects: undeclared keys are kept as given.
    out = {k: v for k, v in data.items() if k not in fields}
    out.update(_picked(data, path, fields))
    return out


def _response_format(value: Any, path: str) -> tuple[dict[str, Any], ...]:
    return tuple(
        _response_format_entry(item, _join(path, i)) for i, item in enumerate(_list(value, path))
    )


def _image_config(value: Any, path: str) -> dict[str, Any]:
    data = _obj(value, path)
    return _picked(
        data, path, {"aspectRatio": _enum(_ASPECT_RATIOS), "imageSize": _enum(_IMAGE_SIZES)}
    )


def _modalities(value: Any, path: str) -> tuple[str, ...]:
    check = _enum(_MODALITIES)
    return tuple(check(item, _join(path, i)) for i, item in enumerate(_list(value, path)))


def _source(value: Any, path: str) -> dict[str, Any]:
    data = _obj(value, path)
    kind = _type_of(data, path, ("gcs", "repository", "inline"))
    if kind == "inline":
        return {
            "type": kind,
            "content": _str(data.get("content"), _join(path, "content")),
            "target": _str(data.get("target"), _join(path, "target")),
        }
    out = {"type": kind, "source": _str(data.get("source"), _join(path, "source"))}
    target = _opt(data, "target", path, _str)
    if target is not None:
        out["target"] = target
    return out


def _string_record(value: Any, path: str) -> dict[str, str]:
    data = _obj(value, path)
    return {_str(k, path): _str(v, _join(path, str(k))) for k, v in data.items()}


def _allowlist_entry(value: Any, path: str) -> dict[str, Any]:
    data = _obj(value, path)
    out: dict[str, Any] = {"domain": _str(data.get("domain"), _join(path, "domain"))}
    transform = data.get("transform")
    if transform is not None:
        tpath = _join(path, "transform")
        out["transform"] = [
            _string_record(item, _join(tpath, i)) for i, item in enumerate(_list(transform, tpath))
        ]
    return out


def _network(value: Any, path: str) -> str | dict[str, Any]:
    if value == "disabled":
        return "disabled"
    if isinstance(value, str):
        raise _Invalid(path, f"expected 'disabled' or an object with an allowlist, got {value!r}")
    data = _obj(value, path)
    apath = _join(path, "allowlist")
    entries = _list(data.get("allowlist"), apath)
    return {"allowlist": [_allowlist_entry(e, _join(apath, i)) for i, e in enumerate(entries)]}


def _environment(value: Any, path: str) -> str | dict[str, Any]:
    if isinstance(value, str):
        return value
    data = _obj(value, path)
    _type_of(data, path, ("remote",))
    out: dict[str, Any] = {"type": "remote"}
    sources = data.get("sources")
    if sources is not None:
        spath = _join(path, "sources")
        out["sources"] = [_source(s, _join(spath, i)) for i, s in enumerate(_list(sources, spath))]
    network = _opt(data, "network", path, _network)
    if network is not None:
        out["network"] = network
    return out


@final
@attrs.frozen(kw_only=True)
class InteractionsProviderOptions:
    """Validated ``provider_options["google"]`` of an Interactions call.

    Nested values (``agent_config``, ``response_format``, ``image_config``,
    ``environment``) stay in their camelCase JSON shape with ``None`` fields removed.
    """

    labels: dict[str, str] | None = None
    previous_interaction_id: str | None = None
    store: bool | None = None
    agent: str | None = None
    agent_config: dict[str, Any] | None = None
    thinking_level: str | None = None
    thinking_summaries: str | None = None
    response_format: tuple[dict[str, Any], ...] | None = None
    image_config: dict[str, Any] | None = None
    media_resolution: str | None = None
    response_modalities: tuple[str, ...] | None = None
    service_tier: str | None = None
    system_instruction: str | None = None
    signature: str | None = None
    interaction_id: str | None = None
    polling_timeout_ms: int | None = None
    background: bool | None = None
    environment: str | dict[str, Any] | None = None


# camelCase key -> (attribute, validator)
_FIELDS: Final[dict[str, tuple[str, Callable[[Any, str], Any]]]] = {
    # Request metadata such as safety_identifier (AI SDK 4.0.114).
    "labels": ("labels", _string_record),
    "previousInteractionId": ("previous_interaction_id", _str),
    "store": ("store", _bool),
    "agent": ("agent", _str),
    "agentConfig": ("agent_config", _agent_config),
    "thinkingLevel": ("thinking_level", _enum(_THINKING_LEVELS)),
    "thinkingSummaries": ("thinking_summaries", _enum(_THINKING_SUMMARIES)),
    "responseFormat": ("response_format", _response_format),
    "imageConfig": ("image_config", _image_config),
    "mediaResolution": ("media_resolution", _enum(_MEDIA_RESOLUTIONS)),
    "responseModalities": ("response_modalities", _modalities),
    "serviceTier": ("service_tier", _enum(_SERVICE_TIERS)),
    "systemInstruction": ("system_instruction", _str),
    "signature": ("signature", _str),
    "interactionId": ("interaction_id", _str),
    "pollingTimeoutMs": ("polling_timeout_ms", _positive_int),
    "background": ("background", _bool),
    "environment": ("environment", _environment),
}


_SNAKE_TO_CAMEL: Final = {attr: key for key, (attr, _) in _FIELDS.items() if attr != key}


def _refuse_snake_case(data: Mapping[str, Any]) -> None:
    """Unknown keys are ignored, as in the reference; a Python spelling of a known key
    would be ignored silently too, so it is refused with the right name instead."""
    for key in data:
        camel = _SNAKE_TO_CAMEL.get(key)
        if camel is not None:
            raise _Invalid(key, f"the option is spelled {camel!r} (camelCase, as in the AI SDK)")


def parse_interactions_provider_options(
    provider_options: Mapping[str, Any] | None,
) -> InteractionsProviderOptions | None:
    """Validate ``provider_options["google"]``; ``None`` when it is absent or ``None``."""
    if provider_options is None:
        return None
    if not isinstance(provider_options, Mapping):
        raise InvalidArgumentError(
            f"provider_options must be a mapping of provider name to options, "
            f"got {type(provider_options).__name__}",
            argument="providerOptions",
        )
    google = provider_options.get(_PROVIDER)
    if google is None:
        return None
    try:
        data = _obj(google, _PROVIDER)
        _refuse_snake_case(data)
        values = {attr: _opt(data, key, "", check) for key, (attr, check) in _FIELDS.items()}
    except _Invalid as exc:
        raise InvalidArgumentError(
            f"invalid {_PROVIDER} provider options: {exc}", argument="providerOptions"
        ) from None
    return InteractionsProviderOptions(**values)
