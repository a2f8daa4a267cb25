"""examples/chat_service.py served by hypercorn over the emulator, for its tests.

The emulator answers with a paced script (a few hundred ms per answer), so that a
client can act mid-answer; :func:`expected_message` derives what an answer must
be from the emulator itself (the same prompt's parts, converted and read by the
reference in Node), never from hard-coded text.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio
import attrs
from examples.chat_service import SYSTEM, call_options, create_app

from partstream.emulator import Emulator, Script, run_emulator, serve_asgi
from partstream.providers.google import create_google
from partstream.ui import to_prompt, tools_from_call_options, validate_ui_messages

#: A few hundred ms per answer: 12 deltas 20 ms apart (plus the thought and the end).
PACED: Final = Script(deltas=12, interval=0.02)
#: Slow enough to act on twice mid-answer (a reload, then the resumed rest).
SLOW: Final = Script(deltas=12, interval=0.08)


@attrs.frozen
class ChatStack:
    emulator: Emulator
    url: str

    def user(self, text: str, message_id: str = "u1") -> dict[str, Any]:
        return {"id": message_id, "role": "user", "parts": [{"type": "text", "text": text}]}

    def cancels(self) -> list[str]:
        """The interactions the service cancelled upstream."""
        return [
            r.path.split("/")[-2]
            for r in self.emulator.app.requests
            if r.method == "POST" and r.path.endswith("/cancel")
        ]


@asynccontextmanager
async def chat_stack(script: Script = PACED, **options: Any) -> AsyncIterator[ChatStack]:
    async with run_emulator(script=script) as emulator:
        app = create_app(
            google_api_key=emulator.api_key,
            google_base_url=emulator.interactions_base_url,
            gateway_api_key=emulator.gateway_api_key,
            gateway_base_url=emulator.gateway_base_url,
            **options,
        )
        async with serve_asgi(app) as served:
            yield ChatStack(emulator=emulator, url=served.url)


_INTERACTION_ID: Final = re.compile(r"int_\d+|v1_[A-Za-z0-9_-]+")


def comparable(message: Any) -> Any:
    """A UI message with what two runs of one prompt draw anew masked: the emulator's
    interaction ids, the ids of sources and tool calls (numbered in order of first
    appearance), the message id."""
    import json

    text = _INTERACTION_ID.sub("<interaction>", json.dumps(message))
    value = json.loads(text)
    seen: dict[str, str] = {}
    for part in value.get("parts", []):
        for key in ("sourceId", "toolCallId"):
            if key in part:
                part[key] = seen.setdefault(part[key], f"<{key} {len(seen)}>")
    value["id"] = "<message>"
    return value


Request = tuple[Sequence[Mapping[str, Any]], Mapping[str, Any]]


async def expected_messages(stack: ChatStack, requests: Sequence[Request]) -> list[dict[str, Any]]:
    """The UI message each answer must be, for ``(messages, body)`` requests: the
    emulator's parts for the same prompt and options, converted by the reference
    (``streamText(...).toUIMessageStream()``) and read by its client
    (``readUIMessageStream``). Two Node runs for all of them."""
    from tests.reference.node import arun_driver
    from tests.ui._reference import make_case

    google = create_google(
        api_key=stack.emulator.api_key, base_url=stack.emulator.interactions_base_url
    )
    cases: list[Any] = [None] * len(requests)

    async def case(index: int, messages: Sequence[Mapping[str, Any]], body: Any) -> None:
        options = call_options(body)
        prompt = to_prompt(validate_ui_messages(list(messages)), system=SYSTEM)
        async with google.interactions(options.pop("model")).stream(prompt, **options) as stream:
            parts = [part.to_dict() async for part in stream]
        tools = None
        if "tools" in options:
            specs = tools_from_call_options(options["tools"])
            tools = {name: {"kind": spec.kind} for name, spec in specs.items()}
        ui_options = {"sendSources": True, "messageId": "expected"}
        cases[index] = make_case(parts, tools=tools, options=ui_options)

    async with anyio.create_task_group() as tg:  # the paced answers at once
        for index, (messages, body) in enumerate(requests):
            tg.start_soon(case, index, messages, body)
    converted = await arun_driver("ui_stream.mjs", {"cases": cases})
    streams = [{"sse": result["sse"]} for result in converted["results"]]
    read = await arun_driver("ui_client.mjs", {"streams": streams})
    out: list[dict[str, Any]] = []
    for result in read["results"]:
        assert result["errors"] == [], result["errors"]
        out.append(result["message"])
    return out


async def expected_message(
    stack: ChatStack, messages: Sequence[Mapping[str, Any]], body: Mapping[str, Any]
) -> dict[str, Any]:
    """:func:`expected_messages` of one request."""
    (message,) = await expected_messages(stack, [(messages, body)])
    return message
