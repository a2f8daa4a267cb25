"""The Redis store against real redis-server processes: data model, TTLs, other worker
processes (fencing, a killed producer, stop), Redis restarts, credentials."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import traceback
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import coredis
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream
from tests._redis_server import RedisServer, free_port

from partstream import errors
from partstream.resumable import LogReader, RedisStore, encode_chunk

pytestmark = pytest.mark.anyio

CHILD = Path(__file__).with_name("_child.py")
REPO = Path(__file__).resolve().parents[2]


def delta(tag: str) -> dict[str, Any]:
    return {"type": "text-delta", "id": "0", "delta": tag}


def prefix() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


async def drain(reader: LogReader) -> list[bytes]:
    return [chunk async for chunk in reader]


@asynccontextmanager
async def raw(url: str) -> AsyncIterator[coredis.Redis[bytes]]:
    async with coredis.Redis.from_url(url) as client:
        yield client


class Child:
    """A worker process running ``_child.py``; ``line()`` reads its next JSON line."""

    def __init__(self, proc: Process) -> None:
        self.proc = proc
        assert proc.stdout is not None
        self._out = BufferedByteReceiveStream(proc.stdout)

    async def line(self, timeout: float = 10) -> dict[str, Any]:
        with anyio.fail_after(timeout):
            value: dict[str, Any] = json.loads(await self._out.receive_until(b"\n", 65536))
            return value

    async def until_logged(self, count: int) -> None:
        while (await self.line()).get("logged", 0) < count:
            pass


@asynccontextmanager
async def child(*args: str) -> AsyncIterator[Child]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    proc = await anyio.open_process(
        [sys.executable, str(CHILD), *args], stdout=subprocess.PIPE, env=env, cwd=REPO
    )
    try:
        yield Child(proc)
    finally:
        if proc.returncode is None:
            proc.kill()
        with anyio.move_on_after(5, shield=True):
            await proc.wait()
        await proc.aclose()


async def test_the_data_model_keys_ids_and_ttls(redis_url: str, anyio_backend: str) -> None:
    p = prefix()
    async with (
        RedisStore(redis_url, key_prefix=p, ttl=30, lease_ttl=5) as store,
        raw(redis_url) as r,
    ):
        async with store.produce("c1", message_id="m1") as writer:
            for i in range(200):  # appended without pause: the flusher joins them
                await writer.append([delta(f"d{i}")], state={"next": i + 1})
            await writer.flush()
            tag = f"{p}:{{c1}}"
            log = f"{tag}:log:{writer.run_id}"
            assert {k.decode() for k in await r.keys(f"{p}:*")} == {
                f"{tag}:run",
                f"{tag}:lease",
                f"{tag}:fence",
                log,
            }
            for key in (f"{tag}:run", f"{tag}:fence", log):
                assert 25_000 < await r.pttl(key) <= 30_000
            assert 0 < await r.pttl(f"{tag}:lease") <= 5_000
            assert int(await r.get(f"{tag}:lease") or 0) == writer.lease.token
            entries = await r.xrange(log)
            assert len(entries) < 200 / 4  # group commit: far fewer writes than appends
        entries = await r.xrange(log)
        ids = [e.identifier.decode() for e in entries if isinstance(e.identifier, bytes)]
        assert ids[0] == "0-1"
        assert ids[-1] == "200-2"
        assert all(i.endswith("-1") for i in ids[1:-1])
        ends = [int(i.split("-")[0]) for i in ids[1:-1]]
        assert ends == sorted(ends)
        assert ends[-1] == 200
        run = {k.decode(): v for k, v in (await r.hgetall(f"{tag}:run")).items()}
        assert run["status"] == b"ended"
        assert run["seq"] == b"200"
        assert run["end"] == b"finish"
        assert json.loads(run["state"]) == {"next": 200}
        assert run["state_at"] == b"200"
        assert await r.exists([f"{tag}:lease"]) == 0  # the end released the lease


async def test_a_paused_worker_loses_its_lease_and_cannot_append(
    redis_url: str, anyio_backend: str
) -> None:
    p = prefix()
    async with (
        RedisStore(redis_url, key_prefix=p) as store,
        child("produce", anyio_backend, redis_url, p, "c1", "0.005", "0.25") as worker,
    ):
        await worker.until_logged(5)
        worker.proc.send_signal(signal.SIGSTOP)  # a long GC pause, a frozen VM...
        with anyio.fail_after(5):
            while not (run := await store.find_run("c1")) or not run.orphaned:
                await anyio.sleep(0.05)
        async with store.take_over("c1", owner="parent") as taker:
            start = taker.offset
            assert taker.run.state == {"next": start}  # the state of exactly these chunks
            worker.proc.send_signal(signal.SIGCONT)
            for i in range(start, start + 5):
                await taker.append([delta(f"p{i}")], state={"next": i + 1})
            while (line := await worker.line()).get("logged"):
                pass  # whatever it flushed before the pause
            assert line == {"error": "LeaseLostError"}
            await taker.append([delta("last")])
        got = [json.loads(c)["delta"] for c in await drain(store.read("c1"))]
    assert got == [f"w{i}" for i in range(start)] + [f"p{i}" for i in range(start, start + 5)] + [
        "last"
    ]


async def test_a_killed_producer_process_is_continued_without_loss_or_repeat(
    redis_url: str, anyio_backend: str
) -> None:
    kill_at = 1 if anyio_backend == "asyncio" else 6  # two kill points, one run each
    p = prefix()
    async with RedisStore(redis_url, key_prefix=p, poll_interval=0.05) as store:
        seen: list[bytes] = []
        async with child("produce", anyio_backend, redis_url, p, "c1", "0.01", "0.3") as worker:
            await worker.until_logged(kill_at)
            reader = store.read("c1", orphan_timeout=10)

            async def follow() -> None:
                seen.extend(await drain(reader))

            async with anyio.create_task_group() as tg:
                tg.start_soon(follow)  # a reader that follows live, across the kill
                await anyio.sleep(0.03)
                worker.proc.kill()
                await worker.proc.wait()
                with anyio.fail_after(5):
                    while not (run := await store.find_run("c1")) or not run.orphaned:
                        await anyio.sleep(0.05)
                async with store.take_over("c1") as taker:
                    state = taker.run.state
                    assert state is not None
                    assert state["next"] == taker.offset >= kill_at
                    assert taker.run.state_offset == taker.offset
                    for i in range(taker.offset, 20):
                        await taker.append([delta(f"w{i}")], state={"next": i + 1})
        expected = [encode_chunk(delta(f"w{i}")) for i in range(20)]
        assert seen == expected  # one uninterrupted message for the reader that followed
        assert await drain(store.read("c1")) == expected  # and for one that comes later


async def test_stop_from_another_process(redis_url: str, anyio_backend: str) -> None:
    p = prefix()
    async with RedisStore(redis_url, key_prefix=p) as store:
        async with store.produce("c1", message_id="m1", abort_chunks=[{"type": "abort"}]) as w:
            await w.append([delta("a")])
            await w.flush()
            async with child("stop", anyio_backend, redis_url, p, "c1") as stopper:
                assert await stopper.line() == {"stopped": True}
            with anyio.fail_after(5):
                await anyio.sleep_forever()  # cancelled by the stop
        reader = store.read("c1")
        assert await drain(reader) == [encode_chunk(delta("a")), b'{"type":"abort"}']
        assert reader.end is not None
        assert reader.end.kind == "abort"


async def test_a_stop_flag_missed_by_pubsub_is_seen_by_the_lease_renewal(
    redis_url: str, anyio_backend: str
) -> None:
    p = prefix()
    async with RedisStore(redis_url, key_prefix=p, lease_ttl=0.3) as store, raw(redis_url) as r:
        async with store.produce("c1", message_id="m1") as writer:
            await r.hset(f"{p}:{{c1}}:run", {"stop": "1"})  # the flag, without the message
            with anyio.fail_after(2):
                await anyio.sleep_forever()
        assert writer.stop_requested
        run = await store.find_run("c1")
        assert run is not None
        assert run.end is not None
        assert run.end.kind == "abort"


async def test_a_redis_restart_with_persistence_is_ridden_out(
    anyio_backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="partstream.resumable")
    with RedisServer(appendonly=True) as server:
        async with RedisStore(server.url, retry_timeout=10, poll_interval=0.05) as store:
            reader = store.read("c1", orphan_timeout=10)
            got: list[bytes] = []
            async with (
                anyio.create_task_group() as tg,
                store.produce("c1", message_id="m1", lease_ttl=5) as writer,
            ):
                await writer.append([delta("w0")])
                await writer.flush()

                async def follow() -> None:
                    got.extend(await drain(reader))

                tg.start_soon(follow)
                for i in range(1, 40):
                    if i == 20:
                        server.kill()  # SIGKILL mid-stream; appendfsync always kept it all
                    if i == 25:  # the writer went on appending while the server was down
                        await anyio.sleep(0.3)
                        server.start()
                    await writer.append([delta(f"w{i}")], state={"next": i + 1})
                    await anyio.sleep(0.005)
            assert got == [encode_chunk(delta(f"w{i}")) for i in range(40)]
            assert reader.end is not None
            assert reader.end.kind == "finish"
    # Both met the restart, and rode it out.
    assert "retrying APPEND" in caplog.text
    assert "retrying XREAD" in caplog.text


async def test_a_redis_restart_that_lost_the_data_gives_clear_errors(anyio_backend: str) -> None:
    with RedisServer() as server:
        async with RedisStore(server.url, retry_timeout=10, poll_interval=0.05) as store:
            reader = store.read("c1")
            with anyio.fail_after(20):
                with pytest.raises(errors.LeaseLostError, match="lost its data"):
                    async with store.produce("c1", message_id="m1") as writer:
                        await writer.append([delta("w0")])
                        await writer.flush()
                        assert await reader.next_batch() == [encode_chunk(delta("w0"))]
                        server.kill()
                        server.start()  # empty: no persistence
                        await writer.append([delta("w1")])
                        await writer.flush()
                with pytest.raises(errors.LogGoneError, match="lost its data"):
                    await drain(reader)


async def test_redis_down_is_a_transport_error_in_bounded_time(anyio_backend: str) -> None:
    port = free_port()
    with anyio.fail_after(10), pytest.raises(errors.ConnectError, match="failed during PING"):
        async with RedisStore(f"redis://127.0.0.1:{port}", retry_timeout=0.1):
            pass
    with RedisServer() as server:
        async with RedisStore(server.url, retry_timeout=0.2, command_timeout=1) as store:
            async with store.produce("c1", message_id="m1") as writer:
                await writer.append([delta("w0")])
            server.kill()
            with anyio.fail_after(10):
                with pytest.raises(errors.TransportError) as down:
                    await store.find_run("c1")
                with pytest.raises(errors.TransportError):
                    await drain(store.read("c1"))
            assert not isinstance(down.value.__cause__, errors.PartstreamError)
            server.start()


async def test_a_stalled_server_times_out_instead_of_hanging(anyio_backend: str) -> None:
    with RedisServer() as server:
        async with RedisStore(server.url, retry_timeout=0, command_timeout=0.3) as store:
            os.kill(server.pid, signal.SIGSTOP)
            try:
                with anyio.fail_after(5), pytest.raises(errors.TransportError, match=r"0\.3 s"):
                    await store.find_run("c1")
            finally:
                os.kill(server.pid, signal.SIGCONT)


def _every_text(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    cause: BaseException | None = exc
    while cause is not None:
        parts += [str(cause), repr(cause), repr(getattr(cause, "args", ""))]
        cause = cause.__cause__ or cause.__context__
    return "\n".join(parts)


async def test_the_password_never_appears_in_errors_reprs_or_logs(
    anyio_backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cret-Pa55word"
    caplog.set_level(logging.DEBUG)
    with RedisServer(password=secret) as server:
        url = server.url
        assert secret in url
        async with RedisStore(url, key_prefix=prefix()) as store:
            assert secret not in repr(store)
            assert "***@" in repr(store)
            async with store.produce("c1", message_id="m1") as writer:
                await writer.append([delta("ok")])
                assert secret not in repr(writer)
        wrong = url.replace(secret, secret + "-nope")
        with pytest.raises(errors.ConnectError, match="refused the credentials") as refused:
            async with RedisStore(wrong):
                pass
        assert secret not in _every_text(refused.value)
        none = url.replace(f":{secret}@", "")
        with pytest.raises(errors.PartstreamError) as noauth:
            async with RedisStore(none):
                pass
        assert secret not in _every_text(noauth.value)
    assert secret not in caplog.text


async def test_a_server_that_echoes_the_password_back_is_scrubbed(
    anyio_backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "echoed-Secret-42"
    caplog.set_level(logging.DEBUG)

    async def echo(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            try:
                while True:  # to each command, an error reply quoting it, password included
                    text = (await stream.receive()).replace(b"\r\n", b" ").decode("latin-1")
                    await stream.send(f"-ERR you sent: {text}\r\n".encode("latin-1"))
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                return

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, echo)
        with pytest.raises(errors.PartstreamError) as echoed:
            async with RedisStore(f"redis://user:{secret}@127.0.0.1:{port}", retry_timeout=0):
                pass
        tg.cancel_scope.cancel()
    text = _every_text(echoed.value)
    assert "you sent" in text
    assert "***" in text
    assert secret not in text
    assert secret not in caplog.text


def test_without_coredis_the_memory_store_works_and_redis_names_the_extra() -> None:
    code = """
import sys
sys.modules["coredis"] = None  # as if it were not installed
import anyio
from partstream import errors
from partstream.resumable import MemoryStore, RedisStore

async def main():
    store = MemoryStore()
    async with store.produce("c", message_id="m") as w:
        await w.append([{"type": "x"}])
    print([c async for c in store.read("c")])
anyio.run(main)
try:
    RedisStore("redis://127.0.0.1:1")
except errors.MissingDependencyError as exc:
    print(exc)
"""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        '[b\'{"type":"x"}\']',
        "RedisStore needs coredis: pip install 'partstream[redis]'",
    ]


def test_urls_are_checked() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="redis://"):
        RedisStore("http://127.0.0.1:6379")
    with pytest.raises(errors.InvalidArgumentError, match="key_prefix"):
        RedisStore("redis://127.0.0.1:6379", key_prefix="a{b")
    store = RedisStore("rediss://:pw@example.invalid:7000/2")
    assert repr(store) == "<RedisStore rediss://***@example.invalid:7000 prefix='partstream'>"
