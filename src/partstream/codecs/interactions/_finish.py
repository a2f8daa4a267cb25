"""Finish reasons: Interaction status → the AI SDK's unified finish reason."""

from __future__ import annotations

from typing import Any, Final

from ...parts import FinishReason

__all__ = ["finish_reason", "map_finish_reason"]

_UNIFIED: Final = {
    "requires_action": "tool-calls",
    "failed": "error",
    "incomplete": "length",
    "cancelled": "other",
    "in_progress": "other",
}


def map_finish_reason(status: Any, *, has_function_call: bool) -> str:
    """The unified finish reason for an interaction ``status``.

    ``completed`` is ``tool-calls`` when the output holds a client-side function
    call (the API signals that with ``requires_action``, but ``completed`` plus a
    function call happens too), else ``stop``. Unknown or missing statuses are ``other``.
    """
    if status == "completed" and type(status) is str:
        return "tool-calls" if has_function_call else "stop"
    if type(status) is not str:
        return "other"
    return _UNIFIED.get(status, "other")


def finish_reason(status: Any, *, has_function_call: bool) -> FinishReason:
    """``{unified, raw}``: the mapped reason plus the raw status when it is a string."""
    return FinishReason(
        unified=map_finish_reason(status, has_function_call=has_function_call),
        raw=status if type(status) is str else None,
    )
