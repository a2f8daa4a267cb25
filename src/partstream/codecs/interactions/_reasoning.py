"""The call option ``reasoning`` -> ``generation_config.thinking_level`` (sans-IO).

AI SDK 4.0.121: the portable ``reasoning`` level maps to a thinking level the model
supports, rounding down (up only when nothing lower exists; ``"none"`` is never a
fallback). An explicit ``providerOptions.google.thinkingLevel`` wins unchanged. A
level that had to be moved is reported as a ``compatibility`` warning, a model with
no thinking levels at all as an ``unsupported`` one (and nothing is sent).

Which levels a model has follows the reference's model catalog: Gemini 3 and newer
(any ``gemini-`` id that is not a Gemini 1 or 2 one) think in levels, ``low`` to
``high``, with ``minimal`` below for the flash models before 3.7, and ``xhigh``
above for Gemini 4 Hydrogen; other models (Gemini 2.5, agents, custom ids) have none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from partstream import parts
from partstream.errors import InvalidArgumentError

__all__ = [
    "REASONING_VALUES",
    "check_reasoning",
    "is_custom_reasoning",
    "map_reasoning_to_thinking_level",
    "thinking_levels",
]

#: Reasoning levels, lowest first (the reference's ``REASONING_LEVELS``).
_LEVELS: Final = ("minimal", "low", "medium", "high", "xhigh", "max")
#: Every value the ``reasoning`` call option takes.
REASONING_VALUES: Final = ("provider-default", "none", *_LEVELS)

_I = re.IGNORECASE
_GEMINI: Final = re.compile(r"(^|[/.])gemini-", _I)
_GEMINI_1: Final = re.compile(r"(^|[/.])gemini-1(?:[.-]|$)", _I)
_GEMINI_2: Final = re.compile(r"(^|[/.])gemini-2(?:[.-]|$)", _I)
_GEMINI_PRO_1: Final = re.compile(r"(^|[/.])gemini-pro(?:-vision)?$", _I)
_ROBOTICS: Final = re.compile(r"(^|[/.])gemini-robotics-er-1\.5(?:[.-]|$)", _I)
_HYDROGEN: Final = re.compile(r"(^|[/.])gemini-4-hydrogen(?:-|$)", _I)
_NAME: Final = re.compile(r"(?:^|[/.])(gemini-[^/]*)$", _I)
_PRO: Final = re.compile(r"^gemini-(\d+)(?:\.\d+)?-pro(?:$|-)")
_FLASH: Final = re.compile(r"^gemini-(\d+)\.(\d+)-flash(?:$|-(?!lite(?:-|$)))")


def _uses_gemini_3_features(model_id: str) -> bool:
    older = (
        _GEMINI_1.search(model_id)
        or _GEMINI_PRO_1.search(model_id)
        or _ROBOTICS.search(model_id)
        or _GEMINI_2.search(model_id)
    )
    return bool(_GEMINI.search(model_id)) and not older


def _lowest_level(model_id: str) -> str:
    found = _NAME.search(model_id)
    name = found.group(1).lower() if found else ""
    if name == "gemini-flash-latest":
        return "low"
    pro = _PRO.match(name)
    if pro is not None and int(pro.group(1)) >= 3:
        return "low"
    flash = _FLASH.match(name)
    if flash is None:
        return "minimal"
    major, minor = int(flash.group(1)), int(flash.group(2))
    return "low" if major > 3 or (major == 3 and minor >= 7) else "minimal"


def thinking_levels(model_id: str) -> tuple[str, ...]:
    """The thinking levels ``model_id`` accepts (empty: it takes none)."""
    # The reference's check for the image model is case-sensitive.
    if not _uses_gemini_3_features(model_id) or "gemini-3-pro-image" in model_id:
        return ()
    hydrogen = bool(_HYDROGEN.search(model_id))
    lowest = "low" if hydrogen else _lowest_level(model_id)
    return (
        *(("minimal",) if lowest == "minimal" else ()),
        "low",
        "medium",
        "high",
        *(("xhigh",) if hydrogen else ()),
    )


def is_custom_reasoning(reasoning: str | None) -> bool:
    """Whether ``reasoning`` asks for something (not absent, not ``provider-default``)."""
    return reasoning is not None and reasoning != "provider-default"


def check_reasoning(reasoning: object) -> str | None:
    """``reasoning`` if it is one of :data:`REASONING_VALUES` (or ``None``); else raise."""
    if reasoning is None or (isinstance(reasoning, str) and reasoning in REASONING_VALUES):
        return reasoning
    raise InvalidArgumentError(
        f"reasoning must be one of {', '.join(map(repr, REASONING_VALUES))}, got {reasoning!r}",
        argument="reasoning",
    )


def map_reasoning_to_thinking_level(
    reasoning: str | None,
    *,
    levels: Sequence[str],
    thinking_level: str | None,
    warnings: list[parts.Warning],
) -> str | None:
    """The ``thinking_level`` to send (``None``: none), warnings appended as the reference's.

    ``levels`` are the model's (:func:`thinking_levels`); an explicit
    ``thinking_level`` (the provider option) is returned unchanged.
    """
    if thinking_level is not None:
        return thinking_level
    if not is_custom_reasoning(reasoning):
        return None
    assert reasoning is not None
    index = _LEVELS.index(reasoning) if reasoning in _LEVELS else -1
    # The level itself, then the lower ones nearest first, then the higher ones.
    candidates = (reasoning, *reversed(_LEVELS[: max(index, 0)]), *_LEVELS[index + 1 :])
    level = next((c for c in candidates if c in levels), None)
    if level is None:
        warnings.append(
            parts.UnsupportedWarning(
                feature="reasoning",
                details=f'reasoning "{reasoning}" is not supported by this model.',
            )
        )
        return None
    if level != reasoning:
        warnings.append(
            parts.CompatibilityWarning(
                feature="reasoning",
                details=f'reasoning "{reasoning}" is not directly supported by this model. '
                f'mapped to effort "{level}".',
            )
        )
    return level
