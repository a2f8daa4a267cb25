"""How the ``partstream`` command line shows things: parts as they stream, notes, colour.

Private to :mod:`partstream.cli`. Human output goes to stdout (colour only on a
terminal, never with ``--no-color`` or ``NO_COLOR``); notes go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import IO, Final

from . import parts

_DIM: Final = "\x1b[2m"
_BOLD: Final = "\x1b[1m"
_CYAN: Final = "\x1b[36m"
_RESET: Final = "\x1b[0m"


class _Out:
    """Writes human output to stdout, with colour only on a terminal."""

    def __init__(self, stream: IO[str], *, color: bool) -> None:
        self.stream = stream
        self.color = color

    def style(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text

    def write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _use_color(args: argparse.Namespace) -> bool:
    return not args.no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def _note(message: str) -> None:
    print(f"partstream: {message}", file=sys.stderr, flush=True)


def _format_usage(usage: parts.Usage) -> str:
    pieces = []
    if usage.input_tokens.total is not None:
        pieces.append(f"{usage.input_tokens.total} in")
    if usage.output_tokens.total is not None:
        out = f"{usage.output_tokens.total} out"
        if usage.output_tokens.reasoning:
            out += f" ({usage.output_tokens.reasoning} reasoning)"
        pieces.append(out)
    return " / ".join(pieces) or "not reported"


class _PartPrinter:
    """Human rendering of stream parts: text as it streams, reasoning dimmed, tools, sources."""

    def __init__(self, out: _Out) -> None:
        self.out = out
        self.column = 0  # characters on the current line (0: at a line start)

    def _line(self, text: str) -> None:
        if self.column:
            self.out.write("\n")
        self.out.write(text + "\n")
        self.column = 0

    def _inline(self, text: str) -> None:
        self.out.write(text)
        self.column = 0 if text.endswith("\n") else self.column + len(text)

    def show(self, part: parts.Part) -> None:
        out = self.out
        if isinstance(part, parts.TextDelta):
            self._inline(part.delta)
        elif isinstance(part, parts.TextEnd):
            if self.column:
                self._inline("\n")
        elif isinstance(part, parts.ReasoningStart):
            self._line(out.style("thinking…", _DIM))
        elif isinstance(part, parts.ReasoningDelta):
            self._inline(out.style(part.delta, _DIM))
        elif isinstance(part, parts.ReasoningEnd):
            if self.column:
                self._inline("\n")
        elif isinstance(part, parts.ToolCall):
            where = " (run by the provider)" if part.provider_executed else ""
            self._line(out.style(f"→ tool call {part.tool_name}({part.input}){where}", _CYAN))
        elif isinstance(part, parts.ToolResult):
            shown = json.dumps(part.result)
            if len(shown) > 200:
                shown = shown[:199] + "…"
            self._line(out.style(f"← tool result {part.tool_name}: {shown}", _CYAN))
        elif isinstance(part, parts.UrlSource):
            title = f"{part.title} " if part.title else ""
            self._line(out.style(f"[source] {title}<{part.url}>", _CYAN))
        elif isinstance(part, parts.DocumentSource):
            self._line(out.style(f"[source] {part.title} ({part.media_type})", _CYAN))
        elif isinstance(part, parts.File):
            self._line(out.style(f"[file] {part.media_type}", _CYAN))
        elif isinstance(part, parts.Error):
            self._line(out.style(f"[error part] {part.error}", _BOLD))

    def finish(self, finish: parts.Finish | None, count: int, seconds: float) -> None:
        rate = f"{count / seconds:,.0f} parts/s" if seconds > 0 else "-"
        if finish is None:
            summary = f"— ended without a finish part · {count} parts in {seconds:.2f} s ({rate})"
        else:
            reason = finish.finish_reason.unified
            if finish.finish_reason.raw and finish.finish_reason.raw != reason:
                reason += f" ({finish.finish_reason.raw})"
            summary = (
                f"— finish: {reason} · usage: {_format_usage(finish.usage)} · "
                f"{count} parts in {seconds:.2f} s ({rate})"
            )
        self._line(self.out.style(summary, _DIM))
