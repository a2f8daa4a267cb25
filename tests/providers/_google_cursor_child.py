"""Child process of the portable-cursor test (run as a script, prints JSON lines).

``first <base_url> <backend> <k>``: start a background stream, print each part; after
the k-th part print the cursor, then wait forever (the parent kills the process).
``second <base_url> <backend> <cursor JSON>``: resume from the cursor, print each
part, then ``{"done": true}``.
"""

from __future__ import annotations

import json
import sys

import anyio

from partstream.providers.google import create_google

AGENT = "deep-research-pro-preview-12-2025"


def say(value: object) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


async def main(mode: str, base_url: str, arg: str) -> None:
    provider = create_google(api_key="child-key", base_url=base_url, generate_id=lambda: "gen-id")
    model = provider.interactions(agent=AGENT)
    if mode == "first":
        k = int(arg)
        options = {"google": {"background": True}}
        async with model.stream("Research backpressure.", provider_options=options) as stream:
            count = 0
            async for part in stream:
                say({"part": part.to_dict()})
                count += 1
                if count == k:
                    cursor = stream.cursor
                    assert cursor is not None
                    say({"cursor": cursor.to_json()})
                    await anyio.sleep_forever()
        return
    async with model.resume(arg) as stream:
        async for part in stream:
            say({"part": part.to_dict()})
    say({"done": True})


if __name__ == "__main__":
    mode, base_url, backend, arg = sys.argv[1:5]
    anyio.run(main, mode, base_url, arg, backend=backend)
