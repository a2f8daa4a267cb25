"""The chat page of examples/chat_service.py in a real browser (Debian's chromium, headless).

playwright-core (pinned in tests/reference/package.json) drives chromium through
``tests/reference/ui_browser.mjs``; the service runs here, under hypercorn, over
the emulator, on asyncio and trio. One browser for all the scenarios; between
them the test sets the emulator up (pacing, a fault). Each expected answer comes
from the emulator itself (the same prompt's parts, through the reference), never
from hard-coded text. Screenshots go to ``tests/artifacts/`` (git-ignored; CI
keeps them). Without node or chromium the test is skipped, except in CI
(``CI`` set), where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream
from examples.web.build import NodeMissing, ensure_built
from tests._chat_stack import PACED, SLOW, ChatStack, chat_stack, expected_messages
from tests.reference.node import REFERENCE_DIR, ensure_installed, require_tool

from partstream.emulator import Faults, Script
from partstream.providers.gateway import create_gateway

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844, "mobile": True}
#: A background run slow enough to stop mid-answer.
STOPPABLE = Script(deltas=12, interval=0.05, background_interval=0.05)


class Browser:
    """The driver process: one JSON command per line in, one JSON answer per line out."""

    def __init__(self, process: anyio.abc.Process) -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        self._process = process
        self._stdin = process.stdin
        self._stdout = BufferedByteReceiveStream(process.stdout)

    async def __call__(self, cmd: str, **command: Any) -> dict[str, Any]:
        await self._stdin.send(json.dumps({"cmd": cmd, **command}).encode() + b"\n")
        with anyio.fail_after(60):
            line = await self._stdout.receive_until(b"\n", 16 * 1024 * 1024)
        answer: dict[str, Any] = json.loads(line)
        assert answer["ok"], answer.get("error")
        errors = [log for log in answer["logs"] if "pageerror" in log]
        assert errors == [], errors
        return answer


@asynccontextmanager
async def browser() -> AsyncIterator[Browser]:
    node = require_tool(shutil.which("node"), "node")
    require_tool(shutil.which(CHROMIUM), f"chromium ({CHROMIUM})")
    ensure_installed()
    try:
        ensure_built()
    except NodeMissing as exc:  # pragma: no cover - node was found above
        pytest.fail(str(exc))
    ARTIFACTS.mkdir(exist_ok=True)
    process = await anyio.open_process(
        [node, str(REFERENCE_DIR / "ui_browser.mjs")],
        cwd=REFERENCE_DIR,
        env={**os.environ, "NODE_NO_WARNINGS": "1", "CHROMIUM": CHROMIUM},
    )
    async with process:
        try:
            yield Browser(process)
        finally:
            with anyio.move_on_after(10, shield=True):
                assert process.stdin is not None
                await process.stdin.send(b'{"cmd": "close"}\n')
                await process.stdin.aclose()
                await process.wait()
            if process.returncode is None:
                process.kill()


def _grew(texts: list[str], final: str) -> bool:
    """The text was seen at two partial lengths at least, each a prefix of the final one."""
    partial = [t for t in texts if t and t != final]
    return len(partial) >= 2 and all(final.startswith(t) for t in partial)


def _answer_text(message: dict[str, Any]) -> str:
    return "".join(p["text"] for p in message["parts"] if p["type"] == "text")


async def test_the_chat_page_in_chromium(anyio_backend: str) -> None:
    async with chat_stack() as stack, browser() as run:
        await _scenarios(stack, run, anyio_backend)


PROMPTS = {
    "answer": ("Tell me about SSE", {"search": True}),
    "stop": ("Stop me", {}),
    "reload": ("Reload me", {}),
    "error": ("Anyone there?", {}),
    "phone": ("And on a phone?", {}),
}


async def _scenarios(stack: ChatStack, run: Browser, backend: str) -> None:
    page = f"{stack.url}/?chat="
    shot = str(ARTIFACTS / f"chat-{backend}-%s.png")
    # What each answer must be, from the emulator through the reference (the text does
    # not depend on the pacing the scenarios set below).
    wanted = await expected_messages(
        stack, [([stack.user(text)], body) for text, body in PROMPTS.values()]
    )
    want = dict(zip(PROMPTS, wanted, strict=True))
    text = {name: _answer_text(message) for name, message in want.items()}

    # 1. A prompt with search: the answer streams in; reasoning folded; tool and sources.
    seen = await run(
        "chat",
        url=page + "desktop",
        prompt=PROMPTS["answer"][0],
        settings={"search": True},
        shot=shot % "answer",
    )
    assert seen["status"] == "ready"
    assert seen["text"] == text["answer"]
    assert _grew(seen["texts"], seen["text"]), seen["texts"]
    parts = want["answer"]["parts"]
    reasoning = [p["text"] for p in parts if p["type"] == "reasoning" and p["text"]]
    assert seen["reasoning"] == [{"open": False, "text": t} for t in reasoning]
    assert seen["tools"] == [{"name": "google_search", "state": "done"}]
    assert seen["sources"] == [p["url"] for p in parts if p["type"] == "source-url"]
    assert seen["error"] is None

    # 2. Stop a background answer mid-way: it stops, and the run is cancelled upstream.
    stack.emulator.app.script = STOPPABLE
    stopped = await run(
        "stop",
        url=page + "stop",
        prompt=PROMPTS["stop"][0],
        settings={"background": True},
        shot=shot % "stopped",
    )
    assert stopped["text"] == stopped["atStop"]  # nothing arrived after the stop
    assert 0 < len(stopped["text"]) < len(text["stop"])
    assert text["stop"].startswith(stopped["text"])
    with anyio.fail_after(5):
        while len(stack.cancels()) < 1:
            await anyio.sleep(0.02)
    assert len(stack.cancels()) == 1

    # 3. Reload mid-answer: the page resumes the answer and sees it to its end.
    stack.emulator.app.script = SLOW
    reloaded = await run(
        "reload", url=page + "reload", prompt=PROMPTS["reload"][0], shot=shot % "reloaded"
    )
    assert text["reload"].startswith(reloaded["before"])
    assert len(reloaded["before"]) < len(text["reload"])
    assert reloaded["status"] == "ready"
    assert reloaded["text"] == text["reload"]
    assert _grew(reloaded["texts"], text["reload"]), reloaded["texts"]  # live after the reload
    assert (reloaded["users"], reloaded["assistants"]) == (1, 1)  # no message twice
    assert "chat=reload" in reloaded["url"]

    # 4. An upstream failure is shown; Retry answers once the upstream is back.
    stack.emulator.app.script = PACED
    stack.emulator.app.faults = Faults(status=429, target="create", times=1)
    failed = await run("error", url=page + "error", prompt=PROMPTS["error"][0], shot=shot % "error")
    assert failed["shown"]["error"] == "The model provider is rate limited; try again later."
    assert failed["status"] == "ready"
    assert failed["error"] is None
    assert failed["text"] == text["error"]

    # 5. A phone-width screen, in a new context (fresh storage): no sideways scroll.
    phone = await run(
        "chat", url=page + "phone", prompt=PROMPTS["phone"][0], viewport=PHONE, shot=shot % "phone"
    )
    assert phone["overflow"] is False
    assert (phone["users"], phone["assistants"]) == (1, 1)
    assert phone["text"] == text["phone"]

    # 6. The realtime page: a minted client secret, the Gateway's WebSocket, text back.
    talk = await run(
        "realtime", url=f"{stack.url}/realtime", prompt="hello realtime", shot=shot % "realtime"
    )
    assert talk["status"] == "connected"
    assert talk["roles"] == ["message-user", "message-assistant"]
    assert talk["texts"] == ["hello realtime", await _realtime_answer(stack, "hello realtime")]


async def _realtime_answer(stack: ChatStack, text: str) -> str:
    """What the emulated Gateway answers ``text`` with, asked from Python directly."""
    gateway = create_gateway(
        api_key=stack.emulator.gateway_api_key, base_url=stack.emulator.gateway_base_url
    )
    config = {"outputModalities": ["text"]}
    async with gateway.realtime("openai/gpt-realtime").connect(session_config=config) as session:
        item = {"type": "text-message", "role": "user", "text": text}
        await session.send({"type": "conversation-item-create", "item": item})
        await session.send({"type": "response-create"})
        async for event in session:
            if event.type == "text-done":
                return str(event.to_dict()["text"])
    raise AssertionError("the session ended without a text-done event")
