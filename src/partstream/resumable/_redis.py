"""The Redis store: Redis Streams through coredis (anyio: asyncio and trio alike).

Each primitive is one Lua script (``_redis_scripts``), so appending chunks,
storing the state that follows them and checking the fencing token are one
atomic step on the server. Reads are ``XREAD COUNT n BLOCK ms`` from the
reader's offset. Stops are a flag in the run hash plus a pub/sub message that
one listener per store (a task of the store) hands to the local writers.

Failures of the Redis connection become :class:`~partstream.errors.TransportError`
(:class:`~partstream.errors.ConnectError` when it cannot be set up). Every call
is bounded (``command_timeout``) and retried while ``retry_timeout`` lasts, so
a Redis restart under a stream is ridden out or reported, never waited on
forever. Every write recognises its own retry, so none is applied twice. The
password of the URL never appears in an error, a repr or a log line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar, final

import anyio
import anyio.abc

from ..errors import (
    ActiveRunError,
    InvalidArgumentError,
    LeaseHeldError,
    LeaseLostError,
    LogGoneError,
    LogTrimmedError,
    NoActiveRunError,
    ResumableError,
)
from ._base import StoreBase, new_run_id
from ._reader import DEFAULT_BATCH_ENTRIES, DEFAULT_POLL_INTERVAL
from ._redis_link import (
    DEFAULT_COMMAND_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_RETRY_TIMEOUT,
    RedisLink,
)
from ._types import (
    DEFAULT_LEASE_TTL,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CHUNKS,
    DEFAULT_TTL,
    AppendResult,
    EndKind,
    Lease,
    LogEnd,
    LogSlice,
    RunInfo,
    RunStatus,
    check_chat_id,
    check_reason,
    check_text,
    decode_state,
)
from ._writer import (
    DEFAULT_CLEANUP_TIMEOUT,
    DEFAULT_FLUSH_INTERVAL,
    DEFAULT_MAX_PENDING_BYTES,
)

T = TypeVar("T")


def _text(value: bytes | str | None) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else (value or "")


def _flat(values: Any) -> dict[bytes, bytes]:
    items = list(values or ())
    return {bytes(k): v for k, v in zip(items[::2], items[1::2], strict=True)}


@final
class RedisStore(StoreBase):
    """A :class:`~partstream.resumable.ResumableStore` on a Redis server (6.2+).

    ``url`` is ``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` (TLS)
    or ``unix://``. Use it as ``async with RedisStore(url) as store`` (it owns a
    connection pool and a stop listener; entering checks the server answers).
    ``key_prefix`` namespaces every key and the stop channel.
    """

    def __init__(
        self,
        url: str,
        *,
        key_prefix: str = "partstream",
        ttl: float = DEFAULT_TTL,
        lease_ttl: float = DEFAULT_LEASE_TTL,
        max_chunks: int = DEFAULT_MAX_CHUNKS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES,
        batch_entries: int = DEFAULT_BATCH_ENTRIES,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        cleanup_timeout: float = DEFAULT_CLEANUP_TIMEOUT,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        retry_timeout: float = DEFAULT_RETRY_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        super().__init__(
            ttl=ttl,
            lease_ttl=lease_ttl,
            max_chunks=max_chunks,
            max_bytes=max_bytes,
            max_pending_bytes=max_pending_bytes,
            batch_entries=batch_entries,
            poll_interval=poll_interval,
            flush_interval=flush_interval,
            cleanup_timeout=cleanup_timeout,
        )
        if "{" in check_text("key_prefix", key_prefix):
            raise InvalidArgumentError(
                "key_prefix must be a non-empty string without '{'", argument="key_prefix"
            )
        self._prefix = key_prefix
        self._link = RedisLink(
            url,
            channel=f"{key_prefix}:stop",
            command_timeout=command_timeout,
            connect_timeout=connect_timeout,
            retry_timeout=retry_timeout,
            max_connections=max_connections,
        )
        self._client = self._link.client

    def __repr__(self) -> str:
        return f"<RedisStore {self._link.location} prefix={self._prefix!r}>"

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> RedisStore:
        await self._link.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._link.close()

    # -- calling Redis ----------------------------------------------------------------------

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        return await self._link.call(what, call)

    async def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self._link.script(name, keys, args)

    # -- keys -------------------------------------------------------------------------------

    def _tag(self, chat_id: str) -> str:
        return f"{self._prefix}:{{{check_chat_id(chat_id)}}}"

    def _log_key(self, chat_id: str, run_id: str) -> str:
        return f"{self._tag(chat_id)}:log:{run_id}"

    def _ms(self, seconds: float) -> int:
        return max(1, round(seconds * 1000))

    def _info(self, chat_id: str, flat: Any, lease: bytes | None) -> RunInfo:
        h = _flat(flat)
        status: RunStatus = "ended" if h.get(b"status") == b"ended" else "active"
        seq = int(h.get(b"seq", b"0"))
        end = None
        if status == "ended":
            end = LogEnd(
                kind=_text(h.get(b"end")) or "abort",  # type: ignore[arg-type]
                offset=seq,
                reason=_text(h.get(b"reason")) or None,
            )
        return RunInfo(
            chat_id=chat_id,
            run_id=_text(h.get(b"run")),
            message_id=_text(h.get(b"message")),
            log_key=_text(h.get(b"log")),
            status=status,
            offset=seq,
            start=int(h.get(b"start", b"0")),
            token=int(h.get(b"token", b"0")),
            owner=_text(h.get(b"owner")),
            lease_alive=status == "active" and bool(lease) and lease == h.get(b"token"),
            stop_requested=h.get(b"stop") == b"1",
            interaction_id=_text(h.get(b"iid")) or None,
            state=decode_state(h.get(b"state")),
            state_offset=int(h.get(b"state_at", b"0")),
            end=end,
        )

    # -- primitives -------------------------------------------------------------------------

    async def begin_run(
        self,
        chat_id: str,
        *,
        message_id: str,
        owner: str,
        interaction_id: str | None = None,
        state: bytes | None = None,
        replace: bool = False,
        lease_ttl: float | None = None,
    ) -> tuple[Lease, RunInfo]:
        check_text("message_id", message_id)
        tag = self._tag(chat_id)
        ttl = self._lease_ttl_for(lease_ttl)
        run_id = new_run_id()
        log = f"{tag}:log:{run_id}"
        keys = [f"{tag}:run", f"{tag}:lease", f"{tag}:fence", log]
        args: list[Any] = [run_id, message_id, owner, interaction_id or "", state or b""]
        args += [self._ms(ttl), self._ms(self._ttl), int(replace)]
        res = await self._script("BEGIN", keys, args)
        if res[0] == b"active":
            alive = bool(res[2])
            raise ActiveRunError(
                f"chat {chat_id!r} has an active run ({_text(res[1])!r}, "
                f"{'its producer lives' if alive else 'its lease expired'})",
                chat_id=chat_id,
                run_id=_text(res[1]),
                lease_alive=alive,
            )
        token = int(res[1])
        lease = Lease(chat_id=chat_id, run_id=run_id, token=token, owner=owner, ttl=ttl)
        info = RunInfo(
            chat_id=chat_id,
            run_id=run_id,
            message_id=message_id,
            log_key=log,
            status="active",
            offset=0,
            start=0,
            token=token,
            owner=owner,
            lease_alive=True,
            stop_requested=False,
            interaction_id=interaction_id,
            state=decode_state(state),
        )
        return lease, info

    async def acquire_lease(
        self,
        chat_id: str,
        *,
        owner: str,
        run_id: str | None = None,
        lease_ttl: float | None = None,
    ) -> tuple[Lease, RunInfo]:
        tag = self._tag(chat_id)
        ttl = self._lease_ttl_for(lease_ttl)
        keys = [f"{tag}:run", f"{tag}:lease", f"{tag}:fence"]
        args = [owner, self._ms(ttl), self._ms(self._ttl), run_id or "", new_run_id()]
        res = await self._script("ACQUIRE", keys, args)
        tag_ = res[0]
        if tag_ == b"none":
            named = f"run {run_id!r}" if run_id is not None else "active run"
            raise NoActiveRunError(
                f"chat {chat_id!r} has no {named} to take over", chat_id=chat_id, run_id=run_id
            )
        if tag_ == b"ended":
            raise NoActiveRunError(
                f"run {_text(res[1])!r} of chat {chat_id!r} has ended ({_text(res[2])})",
                chat_id=chat_id,
                run_id=_text(res[1]),
            )
        if tag_ == b"held":
            raise LeaseHeldError(
                f"run {_text(res[1])!r} of chat {chat_id!r} is held by {_text(res[2])!r}",
                chat_id=chat_id,
                run_id=_text(res[1]),
                owner=_text(res[2]),
            )
        token = int(res[1])
        info = self._info(chat_id, res[2], str(token).encode())
        lease = Lease(chat_id=chat_id, run_id=info.run_id, token=token, owner=owner, ttl=ttl)
        return lease, info

    async def renew_lease(self, lease: Lease) -> bool:
        tag = self._tag(lease.chat_id)
        log = self._log_key(lease.chat_id, lease.run_id)
        keys = [f"{tag}:run", f"{tag}:lease", f"{tag}:fence", log]
        args = [lease.token, self._ms(lease.ttl), self._ms(self._ttl)]
        res = await self._script("RENEW", keys, args)
        if res[0] != b"ok":
            raise self._lost(lease)
        return bool(res[1] == b"1")

    def _lost(self, lease: Lease, holder: bytes | None = None) -> LeaseLostError:
        now = f" (token {_text(holder)} holds it)" if holder else ""
        return LeaseLostError(
            f"the lease on chat {lease.chat_id!r} (token {lease.token}) expired or was taken "
            f"over{now}; the write was refused",
            chat_id=lease.chat_id,
            run_id=lease.run_id,
        )

    async def release_lease(self, lease: Lease) -> None:
        tag = self._tag(lease.chat_id)
        await self._script("RELEASE", [f"{tag}:lease", f"{tag}:run"], [lease.token])

    async def append(
        self,
        lease: Lease,
        chunks: Sequence[bytes],
        *,
        offset: int,
        state: bytes | None = None,
        state_offset: int | None = None,
        interaction_id: str | None = None,
        end: EndKind | None = None,
        reason: str | None = None,
    ) -> AppendResult:
        tag = self._tag(lease.chat_id)
        n = len(chunks)
        keys = [f"{tag}:run", f"{tag}:lease", self._log_key(lease.chat_id, lease.run_id)]
        keys.append(f"{tag}:fence")
        args: list[Any] = [lease.token, lease.run_id, offset, n, b"\n".join(chunks)]
        at = offset + n if state_offset is None else state_offset
        args += [int(state is not None), state or b"", at, interaction_id or ""]
        args += [end or "", check_reason(reason) or "", self._max_chunks, self._max_bytes]
        args.append(self._ms(self._ttl))
        res = await self._script("APPEND", keys, args)
        verdict = res[0]
        if verdict == b"ok":
            return AppendResult(offset=int(res[1]), start=int(res[2]))
        if verdict == b"lost":
            raise self._lost(lease, res[1])
        if verdict == b"gone":
            raise LeaseLostError(
                f"run {lease.run_id!r} of chat {lease.chat_id!r} is gone (expired, replaced, "
                "or the Redis server lost its data); the write was refused",
                chat_id=lease.chat_id,
                run_id=lease.run_id,
            )
        if verdict == b"conflict" and int(res[1]) < offset:
            raise LogGoneError(
                f"the log of run {lease.run_id!r} lost chunks: it holds {int(res[1])}, "
                f"the writer had logged {offset} (the Redis server lost writes)",
                chat_id=lease.chat_id,
                run_id=lease.run_id,
            )
        detail = "has ended" if verdict == b"ended" else f"holds {int(res[1])} chunks"
        raise ResumableError(
            f"append at offset {offset} refused: the log of run {lease.run_id!r} {detail}",
            chat_id=lease.chat_id,
            run_id=lease.run_id,
        )

    async def find_run(self, chat_id: str) -> RunInfo | None:
        tag = self._tag(chat_id)
        res = await self._script("FIND", [f"{tag}:run", f"{tag}:lease"], [])
        if not res[0]:
            return None
        return self._info(chat_id, res[0], res[1] or None)

    async def read_log(
        self, chat_id: str, run_id: str, *, offset: int, limit: int, wait: float
    ) -> LogSlice:
        log = self._log_key(chat_id, run_id)
        block = self._ms(min(wait, self._link.command_timeout / 2))
        # Entry E-1 holds the chunks up to offset E, so "after X-1" starts at chunk X.
        streams = {log: f"{offset}-1"}
        got = await self._call(
            "XREAD", lambda: self._client.xread(streams, count=limit, block=block)
        )
        if got:
            entries = next(iter(got.values()))
            return await self._parse(chat_id, run_id, offset, entries)
        tag = self._tag(chat_id)
        probe = await self._script("PROBE", [f"{tag}:run", f"{tag}:lease", log], [run_id])
        if not probe[0]:
            raise LogGoneError(
                f"the log of run {run_id!r} of chat {chat_id!r} is gone (it expired, or the "
                "Redis server lost its data)",
                chat_id=chat_id,
                run_id=run_id,
            )
        if 0 <= int(probe[2]) < offset:
            raise LogGoneError(
                f"the log of run {run_id!r} holds {int(probe[2])} chunks, fewer than offset "
                f"{offset} (the Redis server lost writes)",
                chat_id=chat_id,
                run_id=run_id,
            )
        return LogSlice(chunks=[], offset=offset, producer_alive=bool(probe[1]))

    async def _parse(self, chat_id: str, run_id: str, offset: int, entries: Any) -> LogSlice:
        chunks: list[bytes] = []
        end = None
        for entry in entries:
            stop, _, kind = entry.identifier.partition(b"-")
            fields = entry.field_values
            if kind == b"1":
                last = int(stop)
                first = last - int(fields[b"n"])
                if first > offset:
                    raise await self._trimmed(chat_id, offset, first)
                texts = fields[b"d"].split(b"\n")
                chunks += texts[offset - first :] if offset > first else texts
                offset = last
            elif kind == b"2":
                if int(stop) > offset:
                    raise await self._trimmed(chat_id, offset, int(stop))
                end = LogEnd(
                    kind=_text(fields.get(b"e")) or "abort",  # type: ignore[arg-type]
                    offset=offset,
                    reason=_text(fields.get(b"r")) or None,
                )
                break
        return LogSlice(chunks=chunks, offset=offset, end=end)

    async def _trimmed(self, chat_id: str, offset: int, start: int) -> LogTrimmedError:
        tag = self._tag(chat_id)
        trim = await self._call("HGET", lambda: self._client.hget(f"{tag}:run", "trim"))
        option = "max_bytes" if trim == b"max_bytes" else "max_chunks"
        value = self._max_bytes if option == "max_bytes" else self._max_chunks
        unit = "bytes" if option == "max_bytes" else "chunks"
        return LogTrimmedError(value=value, option=option, offset=offset, start=start, unit=unit)

    async def request_stop(self, chat_id: str, *, run_id: str | None = None) -> bool:
        tag = self._tag(chat_id)
        res = await self._script(
            "STOP", [f"{tag}:run"], [run_id or "", self._link.channel, chat_id]
        )
        return bool(res)

    async def wait_for_stop(self, lease: Lease) -> None:
        key = f"{lease.chat_id}\n{lease.run_id}".encode()
        events = self._link.stop_events
        event = events.get(key)
        if event is None:
            event = events[key] = anyio.Event()
        try:
            await self._link.ensure_listener()
            tag = self._tag(lease.chat_id)
            run, stop = await self._call(
                "HMGET", lambda: self._client.hmget(f"{tag}:run", ["run", "stop"])
            )
            if run == lease.run_id.encode() and stop == b"1":
                return
            await event.wait()
        finally:
            if events.get(key) is event:
                del events[key]
