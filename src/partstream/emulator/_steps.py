"""Folding an interaction's ``step.*`` events into the ``steps`` of its resource (pure)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["fold_steps"]


def fold_steps(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Accumulate ``step.*`` events into the ``steps`` of a GET/POST response body."""
    steps: dict[int, dict[str, Any]] = {}
    pending_args: dict[int, str] = {}
    for event in events:
        kind = event.get("event_type")
        index = event.get("index")
        if not isinstance(index, int):
            continue
        if kind == "step.start":
            step = copy.deepcopy(dict(event["step"]))
            if step.get("type") == "model_output":
                step.setdefault("content", [])
            steps[index] = step
        elif kind == "step.delta" and index in steps:
            _apply_delta(steps[index], dict(event["delta"]), index, pending_args)
        elif kind == "step.stop" and index in pending_args:
            try:
                steps[index]["arguments"] = json.loads(pending_args.pop(index))
            except ValueError:
                steps[index]["arguments"] = {}
    return [steps[i] for i in sorted(steps)]


def _apply_delta(
    step: dict[str, Any], delta: dict[str, Any], index: int, pending_args: dict[int, str]
) -> None:
    kind = delta.get("type")
    if kind == "text":
        content = step.setdefault("content", [])
        if content and content[-1].get("type") == "text":
            content[-1]["text"] += delta["text"]
        else:
            content.append({"text": delta["text"], "type": "text"})
    elif kind in ("text_annotation_delta", "text_annotation"):
        content = step.setdefault("content", [])
        if content and content[-1].get("type") == "text":
            content[-1].setdefault("annotations", []).extend(delta.get("annotations") or [])
    elif kind == "thought_summary":
        step.setdefault("summary", []).append(delta.get("content"))
    elif kind == "thought_signature":
        step["signature"] = delta.get("signature")
    elif kind == "arguments_delta":
        pending_args[index] = pending_args.get(index, "") + str(delta.get("arguments") or "")
    else:
        step.update({k: v for k, v in delta.items() if k != "type"})
