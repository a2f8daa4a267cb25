"""A worker process for the cross-process tests (run as a script; prints JSON lines).

``produce <backend> <url> <prefix> <chat> <interval> <lease_ttl>``: produce chunks
``{"type": "text-delta", "id": "0", "delta": "w<i>"}`` forever, each with the state
``{"next": i + 1}``, printing ``{"logged": n}`` after each flush; on an error print
``{"error": "<class name>"}`` and exit.
``stop <backend> <url> <prefix> <chat>``: ask for a stop from this process, print
``{"stopped": bool}``.
"""

from __future__ import annotations

import json
import sys

import anyio

from partstream import errors
from partstream.resumable import RedisStore


def say(value: object) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


async def produce(url: str, prefix: str, chat: str, interval: float, lease_ttl: float) -> None:
    async with RedisStore(url, key_prefix=prefix, lease_ttl=lease_ttl) as store:
        try:
            async with store.produce(chat, message_id="m1", state={"next": 0}) as writer:
                i = 0
                while True:
                    chunk = {"type": "text-delta", "id": "0", "delta": f"w{i}"}
                    await writer.append([chunk], state={"next": i + 1})
                    i += 1
                    await writer.flush()
                    say({"logged": writer.logged_offset})
                    await anyio.sleep(interval)
        except errors.PartstreamError as exc:
            say({"error": type(exc).__name__})


async def stop(url: str, prefix: str, chat: str) -> None:
    async with RedisStore(url, key_prefix=prefix) as store:
        say({"stopped": await store.request_stop(chat)})


def main() -> None:
    mode, backend, url, prefix, chat, *rest = sys.argv[1:]
    if mode == "produce":
        anyio.run(produce, url, prefix, chat, float(rest[0]), float(rest[1]), backend=backend)
    else:
        anyio.run(stop, url, prefix, chat, backend=backend)


if __name__ == "__main__":
    main()
