"""The ``partstream`` command line (also ``python -m partstream``).

::

    partstream stream "prompt" [--model M | --agent A] [--background] [--search] [--json]
    partstream realtime "text" [--model M] [--audio] [--json]
    partstream emulator [--port N]
    partstream bench [benchmark arguments...]

The embedded emulator's pacing can be changed with ``PARTSTREAM_EMULATOR_SCRIPT``
(the ``x-emulator-script`` syntax, e.g. ``deltas=40; interval=0.01``).

``stream`` talks to Google when ``GOOGLE_GENERATIVE_AI_API_KEY`` is set, and
``realtime`` to the AI Gateway when ``AI_GATEWAY_API_KEY`` is set; otherwise
(or with ``--emulator``) they start the embedded emulator on loopback and say
so on stderr. ``--base-url`` points either at any other server (an emulator
you run, for instance). Common options: ``--backend asyncio|trio``, ``--debug``
(tracebacks), ``--no-color``.

Exit codes: 0 success, 1 an error (one line on stderr), 2 a usage error,
130 interrupted (Ctrl-C; a background interaction is cancelled first).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Final, NoReturn

import anyio

from . import errors, parts
from ._cli_output import _DIM, _note, _Out, _PartPrinter, _use_color

__all__ = ["main"]

DEFAULT_MODEL: Final = "gemini-2.5-flash"
DEFAULT_REALTIME_MODEL: Final = "openai/gpt-realtime"
GOOGLE_KEY_ENV: Final = "GOOGLE_GENERATIVE_AI_API_KEY"
GATEWAY_KEY_ENV: Final = "AI_GATEWAY_API_KEY"
SCRIPT_ENV: Final = "PARTSTREAM_EMULATOR_SCRIPT"

EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130


class UsageError(Exception):
    """A bad command line (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit status 2) and no usage dump."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog.split()[0]} --help)")


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On a subcommand the defaults are suppressed so the top-level values stand.
    parser.add_argument(
        "--backend",
        choices=("asyncio", "trio"),
        default="asyncio" if top else argparse.SUPPRESS,
        help="event loop to run on (default: asyncio)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="print tracebacks on errors",
    )
    parser.add_argument(
        "--no-color",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="no ANSI colours (also when NO_COLOR is set or stdout is not a terminal)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="partstream",
        description="AI model streams as backpressured stream parts (Google Interactions, "
        "AI Gateway realtime), with a local emulator of both APIs.",
    )
    _common(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    stream = commands.add_parser(
        "stream",
        help="stream an Interactions API answer",
        description="Stream an answer from the Google Interactions API (or the embedded "
        f"emulator when {GOOGLE_KEY_ENV} is not set).",
    )
    stream.add_argument("prompt", help="the prompt")
    who = stream.add_mutually_exclusive_group()
    who.add_argument("--model", help=f"model id (default: {DEFAULT_MODEL})")
    who.add_argument("--agent", help="an agent name instead of a model")
    stream.add_argument("--background", action="store_true", help="run as a background interaction")
    stream.add_argument("--search", action="store_true", help="declare the google_search tool")
    stream.add_argument(
        "--json", action="store_true", help="one stream part per line (AI SDK JSON)"
    )
    _endpoint_options(stream, "the Interactions base URL, e.g. http://127.0.0.1:8787/v1beta")
    _common(stream, top=False)

    realtime = commands.add_parser(
        "realtime",
        help="one turn of an AI Gateway realtime session",
        description="Send a text message over an AI Gateway realtime session and print the "
        f"server events (the embedded emulator unless {GATEWAY_KEY_ENV} is set).",
    )
    realtime.add_argument("text", help="the user message")
    realtime.add_argument(
        "--model", default=DEFAULT_REALTIME_MODEL, help=f"default: {DEFAULT_REALTIME_MODEL}"
    )
    realtime.add_argument("--audio", action="store_true", help="ask for audio (and a transcript)")
    realtime.add_argument("--json", action="store_true", help="one server event per line")
    _endpoint_options(realtime, "the Gateway base URL, e.g. http://127.0.0.1:8787/v4/ai")
    _common(realtime, top=False)

    emulator = commands.add_parser(
        "emulator",
        help="serve the local emulator of both APIs",
        description="Serve the Interactions API and Gateway realtime emulator on loopback.",
    )
    emulator.add_argument("--port", type=int, default=8787, help="default: 8787 (0: any free)")
    emulator.add_argument("--host", default="127.0.0.1", help="a loopback address")
    _common(emulator, top=False)

    bench = commands.add_parser(
        "bench",
        help="run the benchmarks (python -m benchmarks)",
        description="Run the benchmarks and print their table; arguments pass through.",
        add_help=False,
    )
    del bench  # its arguments are passed through untouched (see main)
    return parser


def _endpoint_options(parser: argparse.ArgumentParser, base_help: str) -> None:
    parser.add_argument("--base-url", help=base_help)
    parser.add_argument("--api-key", help="the API key (default: from the environment)")
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="use the embedded emulator even when an API key is set",
    )


# --- commands ----------------------------------------------------------------------------


async def _with_endpoint(
    args: argparse.Namespace,
    key_env: str,
    base_of: Callable[[Any], str],
    key_of: Callable[[Any], str],
    body: Callable[[str | None, str | None], Awaitable[int]],
) -> int:
    """Run ``body(base_url, api_key)`` against the real API, a given URL or the emulator."""
    if args.base_url and not args.emulator:
        return await body(
            args.base_url, args.api_key or os.environ.get(key_env) or _default_key(key_env)
        )
    if not args.emulator and (args.api_key or os.environ.get(key_env)):
        return await body(None, args.api_key)
    _require_server(f"set {key_env} (or pass --base-url), or")
    from .emulator import KnobError, Script, run_emulator
    from .emulator._script_and_faults import parse_knobs

    # Paced a little so that the answer visibly streams; PARTSTREAM_EMULATOR_SCRIPT
    # (the x-emulator-script knob syntax) changes it.
    script = Script(deltas=12, interval=0.03, background_interval=0.03)
    try:
        script, _ = parse_knobs(
            script, None, script_text=os.environ.get(SCRIPT_ENV), fault_text=None
        )
    except KnobError as exc:
        raise UsageError(f"partstream: {SCRIPT_ENV}: {exc}") from None
    async with run_emulator(script=script) as emulator:
        reason = "--emulator was given" if args.emulator else f"{key_env} is not set"
        _note(
            f"{reason}: answering from the embedded emulator at {emulator.url} (offline, scripted)"
        )
        return await body(base_of(emulator), key_of(emulator))


def _require_server(advice: str) -> None:
    if importlib.util.find_spec("hypercorn") is None:
        raise errors.PartstreamError(
            f"the embedded emulator needs hypercorn: {advice + ' ' if advice else ''}"
            "pip install 'partstream[emulator]'"
        )


def _default_key(env: str) -> str:
    from .emulator import DEFAULT_API_KEY, DEFAULT_GATEWAY_API_KEY

    return DEFAULT_API_KEY if env == GOOGLE_KEY_ENV else DEFAULT_GATEWAY_API_KEY


async def _stream(args: argparse.Namespace) -> int:
    from .providers.google import create_google

    async def run(base_url: str | None, api_key: str | None) -> int:
        provider = (
            create_google(api_key=api_key, base_url=base_url)
            if base_url is not None
            else create_google(api_key=api_key)
        )
        model = (
            provider.interactions(agent=args.agent)
            if args.agent
            else provider.interactions(args.model or DEFAULT_MODEL)
        )
        options: dict[str, Any] = {}
        if args.background:
            options["provider_options"] = {"google": {"background": True}}
        if args.search:
            options["tools"] = [
                {
                    "type": "provider",
                    "id": "google.google_search",
                    "name": "google_search",
                    "args": {},
                }
            ]
        out = _Out(sys.stdout, color=_use_color(args))
        printer = _PartPrinter(out)
        finish: parts.Finish | None = None
        count = 0
        started = time.perf_counter()
        async with model.stream(args.prompt, **options) as stream:
            async for part in stream:
                count += 1
                if args.json:
                    out.write(json.dumps(part.to_dict(), ensure_ascii=False) + "\n")
                else:
                    printer.show(part)
                if isinstance(part, parts.Finish):
                    finish = part
        if not args.json:
            printer.finish(finish, count, time.perf_counter() - started)
        if finish is not None and finish.finish_reason.unified == "error":
            return EXIT_ERROR
        return 0

    return await _with_endpoint(
        args,
        GOOGLE_KEY_ENV,
        lambda emulator: emulator.interactions_base_url,
        lambda emulator: emulator.api_key,
        run,
    )


async def _realtime(args: argparse.Namespace) -> int:
    from .providers.gateway import create_gateway

    async def run(base_url: str | None, api_key: str | None) -> int:
        gateway = create_gateway(api_key=api_key, base_url=base_url)
        model = gateway.realtime(args.model)
        out = _Out(sys.stdout, color=_use_color(args))
        modalities = ["audio"] if args.audio else ["text"]
        audio_bytes = 0
        column = 0
        async with model.connect(session_config={"outputModalities": modalities}) as session:
            await session.send_text_message(args.text)
            async for event in session:
                data = event.to_dict()
                kind = str(data.get("type"))
                if args.json:
                    out.write(json.dumps(data, ensure_ascii=False) + "\n")
                elif kind in ("text-delta", "audio-transcript-delta"):
                    out.write(str(data.get("delta", "")))
                    column += 1
                elif kind == "audio-delta":
                    audio_bytes += len(str(data.get("delta", ""))) * 3 // 4
                else:
                    if column:
                        out.write("\n")
                        column = 0
                    detail = ""
                    if kind == "error":
                        detail = f" {data.get('code')}: {data.get('message')}"
                    elif kind == "function-call-arguments-done":
                        detail = f" {data.get('name')}({data.get('arguments')})"
                    elif kind == "response-done":
                        detail = f" ({data.get('status')})"
                    out.write(out.style(f"[{kind}]{detail}", _DIM) + "\n")
                if kind == "response-done":
                    break
        if audio_bytes and not args.json:
            out.write(out.style(f"— received about {audio_bytes} bytes of audio", _DIM) + "\n")
        return 0

    return await _with_endpoint(
        args,
        GATEWAY_KEY_ENV,
        lambda emulator: emulator.gateway_base_url,
        lambda emulator: emulator.gateway_api_key,
        run,
    )


async def _emulator(args: argparse.Namespace) -> int:
    from .emulator import run_emulator

    if not 0 <= args.port <= 65535:
        raise UsageError(f"partstream emulator: --port {args.port} is not a TCP port")
    _require_server("")
    try:
        async with run_emulator(host=args.host, port=args.port) as emulator:
            print(
                f"partstream emulator listening on {emulator.url}\n"
                f"  Interactions base URL: {emulator.interactions_base_url}  "
                f"(x-goog-api-key: {emulator.api_key})\n"
                f"  Gateway base URL:      {emulator.gateway_base_url}  "
                f"(token: {emulator.gateway_api_key})\n"
                "  Ctrl-C to stop.",
                flush=True,
            )
            await anyio.sleep_forever()
    except ValueError as exc:
        raise UsageError(f"partstream emulator: {exc}") from None
    return 0  # pragma: no cover - sleep_forever ends by cancellation


def _bench(bench_args: Sequence[str]) -> int:
    # The benchmarks live beside src/ in the source tree (they are not installed).
    root = Path(__file__).resolve().parents[2]
    if not (root / "benchmarks" / "__main__.py").is_file():
        print(
            "partstream: error: the benchmarks ship with the source tree "
            "(run `python3 tasks.py bench` in a clone)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(root / "src"), str(root), env.get("PYTHONPATH", "")) if p
    )
    return subprocess.call([sys.executable, "-m", "benchmarks", *bench_args], cwd=root, env=env)


# --- running -----------------------------------------------------------------------------


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        return _describe(exc.exceptions[0])
    message = str(exc) or type(exc).__name__
    if not isinstance(exc, errors.PartstreamError):
        message = f"{type(exc).__name__}: {message}"
    elif isinstance(exc, errors.APICallError) and exc.status_code is not None:
        # The error's message is the server's own; the status is a field of it.
        message = f"{message} (HTTP {exc.status_code})"
    return " ".join(message.split())


def _unwrap(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


async def _run_interruptible(command: Callable[[], Awaitable[int]]) -> int:
    """Run ``command``; Ctrl-C (SIGINT) or SIGTERM cancels it cleanly (exit 130)."""
    interrupted = False
    result = 0
    work = anyio.CancelScope()
    async with anyio.create_task_group() as tg:

        async def watch() -> None:
            nonlocal interrupted
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    interrupted = True
                    work.cancel()
                    return

        tg.start_soon(watch)
        with work:
            result = await command()
        tg.cancel_scope.cancel()
    return EXIT_INTERRUPTED if interrupted else result


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``partstream``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # `partstream [options] bench ...` hands everything after `bench` to the benchmarks.
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] == "--backend" else 1
    if i < len(argv) and argv[i] == "bench":
        return _bench(argv[i + 1 :])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    if args.command is None:
        print("partstream: a command is required (see partstream --help)", file=sys.stderr)
        return EXIT_USAGE
    commands = {"stream": _stream, "realtime": _realtime, "emulator": _emulator}
    command = commands[args.command]
    try:
        code = anyio.run(_run_interruptible, lambda: command(args), backend=args.backend)
    except KeyboardInterrupt:
        print("partstream: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BaseException as exc:  # one clean line; the traceback only with --debug
        inner = _unwrap(exc)
        if isinstance(inner, UsageError):
            print(inner, file=sys.stderr)
            return EXIT_USAGE
        if isinstance(inner, (SystemExit, KeyboardInterrupt)):
            raise
        if args.debug:
            traceback.print_exception(exc)
        print(f"partstream: error: {_describe(inner)}", file=sys.stderr)
        return EXIT_ERROR
    if code == EXIT_INTERRUPTED:
        if args.command == "emulator":  # Ctrl-C is how the emulator is meant to stop
            print("partstream: emulator stopped", file=sys.stderr)
            return 0
        print("partstream: interrupted", file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
