"""The ``partstream`` command line, run as a subprocess (``python -m partstream``)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from partstream import parts
from partstream.cli import main
from partstream.emulator import Faults, Script, run_emulator

ROOT = Path(__file__).resolve().parents[1]
FAST = "deltas=4; interval=0; background-interval=0.005"


def cli_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GOOGLE_GENERATIVE_AI_API_KEY", "AI_GATEWAY_API_KEY", "NO_COLOR")
    }
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    env["PARTSTREAM_EMULATOR_SCRIPT"] = FAST
    env.update(extra)
    return env


def run_cli(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "partstream", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(**env),
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_stream_defaults_to_the_embedded_emulator_and_says_so(backend: str) -> None:
    result = run_cli("stream", "Explain backpressure.", "--backend", backend)
    assert result.returncode == 0, result.stderr
    assert "GOOGLE_GENERATIVE_AI_API_KEY is not set" in result.stderr
    assert "embedded emulator at http://127.0.0.1:" in result.stderr
    assert "You asked: Explain backpressure." in result.stdout
    assert "thinking" in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        r"— finish: stop \(completed\) · usage: \d+ in / \d+ out \(\d+ reasoning\) · "
        r"\d+ parts in [\d.]+ s \([\d,]+ parts/s\)",
        last,
    ), last
    assert "\x1b[" not in result.stdout  # not a terminal: no colour


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_json_prints_one_parsable_part_per_line(backend: str) -> None:
    result = run_cli("stream", "hello", "--json", "--search", "--backend", backend)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    decoded = [json.loads(line) for line in lines]
    for item in decoded:
        assert parts.from_dict(item).to_dict() == item
    kinds = [d["type"] for d in decoded]
    assert kinds[0] == "stream-start"
    assert kinds[-1] == "finish"
    assert "reasoning-delta" in kinds
    assert kinds.count("text-delta") == 4
    assert any(d["type"] == "source" and d["url"].startswith("https://") for d in decoded)
    assert decoded[-1]["finishReason"]["unified"] == "stop"


def test_background_run_streams_to_the_end() -> None:
    result = run_cli("stream", "long job", "--background", "--json")
    assert result.returncode == 0, result.stderr
    decoded = [json.loads(line) for line in result.stdout.splitlines()]
    assert decoded[-1]["type"] == "finish"
    assert "".join(d["delta"] for d in decoded if d["type"] == "text-delta").startswith(
        "You asked: long job."
    )


def test_a_bad_flag_is_one_line_and_exit_2() -> None:
    result = run_cli("stream", "x", "--bogus")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "partstream: unrecognized arguments: --bogus (see partstream --help)"
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["stream"],
        ["stream", "x", "--model", "m", "--agent", "a"],
        ["stream", "x", "--backend", "curio"],
        ["frobnicate"],
        [],
        ["emulator", "--port", "70000"],
        ["emulator", "--host", "192.0.2.1"],
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("partstream")


def test_errors_are_one_line_without_traceback_unless_debug() -> None:
    # Nothing listens on the discard port on loopback: the connection is refused.
    args = ["stream", "x", "--base-url", "http://127.0.0.1:9/v1beta"]
    result = run_cli(*args)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("partstream: error:")
    assert "could not connect" in result.stderr
    assert "Traceback" not in result.stderr
    debug = run_cli(*args, "--debug")
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1].startswith("partstream: error:")


def test_a_bad_emulator_script_is_a_usage_error() -> None:
    result = run_cli("stream", "x", PARTSTREAM_EMULATOR_SCRIPT="deltas=zero")
    assert result.returncode == 2
    assert "PARTSTREAM_EMULATOR_SCRIPT" in result.stderr


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_realtime_defaults_to_the_emulator(backend: str) -> None:
    result = run_cli("realtime", "hello there", "--backend", backend)
    assert result.returncode == 0, result.stderr
    assert "AI_GATEWAY_API_KEY is not set" in result.stderr
    assert 'You said "hello there".' in result.stdout
    assert "[session-created]" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[response-done] (completed)"


def test_realtime_json_and_audio() -> None:
    result = run_cli("realtime", "hi", "--json", "--audio")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "session-created"
    assert "audio-delta" in kinds
    assert "audio-transcript-done" in kinds
    assert kinds[-1] == "response-done"


def test_bench_runs_the_benchmarks_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "partstream", "bench", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env(),
        cwd="/",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "benchmarks" in result.stdout


# --- against an emulator the test runs (async, both backends) ----------------------------------


async def read_lines_until(stream: Any, predicate: Any, buffer: list[str]) -> None:
    pending = b""
    while True:
        chunk = await stream.receive()
        pending += chunk
        *lines, rest = pending.split(b"\n")
        pending = rest
        for line in lines:
            buffer.append(line.decode())
            if predicate(buffer[-1]):
                return


@pytest.mark.anyio
async def test_sigint_during_a_background_stream_cancels_the_interaction(
    anyio_backend: str,
) -> None:
    cli_backend = anyio_backend  # the CLI runs on the same backend as this test's emulator
    async with run_emulator(script=Script(background_interval=5)) as emulator:
        process = await anyio.open_process(
            [
                sys.executable,
                "-m",
                "partstream",
                "stream",
                "slow job",
                "--background",
                "--json",
                "--base-url",
                emulator.interactions_base_url,
                "--backend",
                cli_backend,
            ],
            env=cli_env(),
            cwd=ROOT,
        )
        async with process:
            assert process.stdout is not None
            assert process.stderr is not None
            seen: list[str] = []
            with anyio.fail_after(30):
                await read_lines_until(
                    process.stdout, lambda line: "response-metadata" in line, seen
                )
                # The GET stream is open: the CLI is waiting for the next event.
                while not any(r.method == "GET" for r in emulator.app.requests):
                    await anyio.sleep(0.02)
            interaction_id = json.loads(seen[-1])["id"]
            process.send_signal(signal.SIGINT)
            with anyio.fail_after(30):
                code = await process.wait()
                errors = b""
                async for chunk in process.stderr:
                    errors += chunk
        cancels = emulator.app.requests_to("POST", f"/v1beta/interactions/{interaction_id}/cancel")
        assert code == 130
        assert errors.decode().strip().splitlines()[-1] == "partstream: interrupted"
        assert len(cancels) == 1
        status = emulator.app.interactions[interaction_id].status()
        assert status == "cancelled"


@pytest.mark.anyio
async def test_stream_with_base_url_and_agent_reaches_that_server(anyio_backend: str) -> None:
    async with run_emulator(script=Script(deltas=2, background_interval=0)) as emulator:
        with anyio.fail_after(60):
            result = await anyio.run_process(
                [
                    sys.executable,
                    "-m",
                    "partstream",
                    "stream",
                    "research this",
                    "--agent",
                    "deep-research-pro-preview-12-2025",
                    "--background",
                    "--base-url",
                    emulator.interactions_base_url,
                    "--backend",
                    anyio_backend,
                ],
                env=cli_env(),
                cwd=ROOT,
                check=False,
            )
        assert result.returncode == 0, result.stderr
        assert b"embedded emulator" not in result.stderr
        posted = emulator.app.requests_to("POST", "/v1beta/interactions")
        assert posted[0].body["agent"] == "deep-research-pro-preview-12-2025"
        assert posted[0].body["background"] is True
        assert posted[0].headers["x-goog-api-key"] == emulator.api_key


@pytest.mark.anyio
async def test_an_http_error_shows_the_server_message_and_the_status(anyio_backend: str) -> None:
    async with run_emulator(faults=Faults(status=429)) as emulator:
        with anyio.fail_after(60):
            command = [sys.executable, "-m", "partstream", "stream", "x", "--base-url"]
            result = await anyio.run_process(
                [*command, emulator.interactions_base_url, "--backend", anyio_backend],
                env=cli_env(),
                cwd=ROOT,
                check=False,
            )
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [
        "partstream: error: emulated fault: HTTP 429 (HTTP 429)"
    ]


@pytest.mark.anyio
async def test_emulator_command_serves_until_ctrl_c(anyio_backend: str) -> None:
    process = await anyio.open_process(
        [sys.executable, "-m", "partstream", "emulator", "--port", "0", "--backend", anyio_backend],
        env=cli_env(),
        cwd=ROOT,
    )
    async with process:
        assert process.stdout is not None
        seen: list[str] = []
        with anyio.fail_after(30):
            await read_lines_until(process.stdout, lambda line: "listening on" in line, seen)
        url = seen[-1].rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient() as client:
            health = await client.get(f"{url}/healthz")
            assert health.json()["emulator"] == "partstream"
            answer = await client.post(
                f"{url}/v1beta/interactions",
                json={"model": "m", "input": "ping"},
                headers={"x-goog-api-key": "emulator-key"},
            )
            assert answer.json()["status"] == "completed"
        process.send_signal(signal.SIGINT)
        with anyio.fail_after(30):
            assert await process.wait() == 0


@pytest.mark.parametrize("args", [["stream", "x"], ["realtime", "x"], ["emulator"]])
def test_without_hypercorn_the_error_says_what_to_install(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GOOGLE_GENERATIVE_AI_API_KEY", raising=False)
    monkeypatch.delenv("AI_GATEWAY_API_KEY", raising=False)
    monkeypatch.setitem(sys.modules, "hypercorn", None)
    assert main(args) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert "pip install 'partstream[emulator]'" in lines[0]
