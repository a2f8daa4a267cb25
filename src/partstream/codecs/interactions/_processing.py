"""Agentic video processing steps -> ``custom`` parts (sans-IO; AI SDK 4.0.63).

When Gemini explores a video itself (``processing: "agentic"`` on a video input),
the interaction gains ``processing_call`` / ``processing_result`` steps. The AI SDK
surfaces each as one ``custom`` part, ``kind`` ``google.processing_call`` or
``google.processing_result``, whose ``providerMetadata.google`` holds the step's
``signature``, the ``interactionId`` and the step id (``processingId``) or the id
of the call it answers (``processingCallId``); a step without an id gets the
block id (streams) or a generated one (``generate``). Sent back in a later
prompt, such a part becomes the step again (:func:`processing_step`).

How a video input is processed is the file part's ``providerOptions.google.processing``
(:func:`video_processing`): ``"agentic"``, ``"static"`` or ``{"type": "static",
"startOffset"?, "endOffset"?, "fps"?}`` (offsets in seconds, sent as duration strings).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final, final

from ...parts import Custom, OtherWarning, Warning
from ._javascript_json import js_number

__all__ = [
    "PROCESSING_STEPS",
    "ProcessingBlock",
    "processing_content",
    "processing_step",
    "video_processing",
]

#: The step types, and the provider-metadata key that carries each one's id.
PROCESSING_STEPS: Final = {
    "processing_call": "processingId",
    "processing_result": "processingCallId",
}
# ... and the step field the id is read from.
_ID_FIELD: Final = {"processing_call": "id", "processing_result": "call_id"}


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def _metadata(
    step: Mapping[str, Any], step_type: str, interaction_id: str | None, fallback_id: str
) -> dict[str, str]:
    """``providerMetadata.google`` of a processing step: signature, interaction, step id."""
    google: dict[str, str] = {}
    signature = _str(step.get("signature"))
    if signature is not None:
        google["signature"] = signature
    if interaction_id is not None:
        google["interactionId"] = interaction_id
    google[PROCESSING_STEPS[step_type]] = _str(step.get(_ID_FIELD[step_type])) or fallback_id
    return google


@final
class ProcessingBlock:
    """An open processing step of a stream: its part is emitted at ``step.stop``."""

    __slots__ = ("google", "id", "step_type")

    def __init__(self, block_id: str, step_type: str, google: dict[str, str]) -> None:
        self.id = block_id
        self.step_type = step_type
        self.google = google

    @classmethod
    def start(
        cls, block_id: str, step_type: str, step: Mapping[str, Any], interaction_id: str | None
    ) -> ProcessingBlock:
        return cls(block_id, step_type, _metadata(step, step_type, interaction_id, block_id))

    def delta(self, delta: Mapping[str, Any]) -> None:
        """A ``step.delta`` of the same type updates the signature and the id."""
        if delta.get("type") != self.step_type:
            return
        signature = _str(delta.get("signature"))
        if signature is not None:
            self.google["signature"] = signature
        step_id = _str(delta.get(_ID_FIELD[self.step_type]))
        if step_id:
            self.google[PROCESSING_STEPS[self.step_type]] = step_id

    def part(self) -> Custom:
        return Custom(kind=f"google.{self.step_type}", provider_metadata={"google": self.google})

    def state(self) -> dict[str, Any]:
        return {"kind": "processing", "id": self.id, "step_type": self.step_type, **self.google}

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> ProcessingBlock | None:
        """The block of a :meth:`state`, or ``None`` when ``data`` is not one."""
        step_type = data.get("step_type")
        block_id = data.get("id")
        if step_type not in PROCESSING_STEPS or type(block_id) is not str:
            return None
        google = {
            k: v
            for k, v in data.items()
            if k in ("signature", "interactionId", PROCESSING_STEPS[step_type])
        }
        if not all(type(v) is str for v in google.values()):
            return None
        return cls(block_id, step_type, google)


def processing_content(
    step: Mapping[str, Any], interaction_id: str | None, generate_id: Callable[[], str]
) -> Custom:
    """A finished processing step of a ``generate`` answer as its ``custom`` content."""
    step_type = str(step.get("type"))
    step_id = _str(step.get(_ID_FIELD[step_type])) or generate_id()
    google = _metadata(step, step_type, interaction_id, step_id)
    return Custom(kind=f"google.{step_type}", provider_metadata={"google": google})


def processing_step(kind: str, google: Any) -> dict[str, Any] | None:
    """The input step for an assistant ``custom`` part, or ``None`` when it is not one."""
    if not isinstance(google, Mapping):
        return None
    signature = _str(google.get("signature"))
    extra = {"signature": signature} if signature is not None else {}
    if kind == "google.processing_call":
        step_id = _str(google.get("processingId"))
        return {"type": "processing_call", "id": step_id, **extra} if step_id is not None else None
    if kind == "google.processing_result":
        call_id = _str(google.get("processingCallId"))
        if call_id is None:
            return None
        return {"type": "processing_result", "call_id": call_id, **extra}
    return None


def _is_number(value: Any) -> bool:
    # A finite JSON number (NaN and the infinities cannot reach the API as JSON anyway).
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _seconds(value: int | float) -> str:
    # A Google duration string: the number as JavaScript prints it, then "s".
    return f"{value if type(value) is int else js_number(float(value))}s"


def video_processing(provider_options: Any, warnings: list[Warning]) -> dict[str, Any]:
    """The ``processing`` field of a video block (``{}`` when none), warning on a bad one."""
    google = provider_options.get("google") if isinstance(provider_options, Mapping) else None
    processing = google.get("processing") if isinstance(google, Mapping) else None
    if processing is None:
        return {}
    if processing in ("agentic", "static"):
        return {"processing": processing}
    if isinstance(processing, Mapping) and processing.get("type") == "static":
        config: dict[str, Any] = {"type": "static"}
        for key, field in (("startOffset", "start_offset"), ("endOffset", "end_offset")):
            if _is_number(processing.get(key)):
                config[field] = _seconds(processing[key])
        if _is_number(processing.get("fps")):
            config["fps"] = processing["fps"]
        return {"processing": config}
    warnings.append(
        OtherWarning(
            message="google.interactions: invalid providerOptions.google.processing on video "
            'file part; expected "agentic", "static", or a static processing configuration. '
            "Option dropped."
        )
    )
    return {}
