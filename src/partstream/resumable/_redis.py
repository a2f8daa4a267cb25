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

import logging
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Final, TypeVar, final
from urllib.parse import unquote, urlsplit

import anyio
import anyio.abc

from ..errors import (
    ActiveRunError,
    ConnectError,
    InvalidArgumentError,
    LeaseHeldError,
    LeaseLostError,
    LogGoneError,
    LogTrimmedError,
    MissingDependencyError,
    NoActiveRunError,
    PartstreamError,
    ResumableError,
    TransportError,
)
from . import _redis_scripts as lua
from ._base import StoreBase, new_run_id
from ._reader import DEFAULT_BATCH_ENTRIES, DEFAULT_POLL_INTERVAL
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

try:
    import coredis
    import coredis.exceptions as redis_errors
    from coredis.patterns.pubsub import PubSub
    from coredis.retry import (
        CompositeRetryPolicy,
        ConstantRetryPolicy,
        ExponentialBackoffRetryPolicy,
        NoRetryPolicy,
    )
except ImportError:  # pragma: no cover - exercised by a test in a subprocess
    coredis = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_COMMAND_TIMEOUT",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_RETRY_TIMEOUT",
    "RedisStore",
]

#: Seconds one Redis command may take (a blocking read waits at most half of it).
DEFAULT_COMMAND_TIMEOUT: Final = 5.0
#: Seconds to open a connection to Redis.
DEFAULT_CONNECT_TIMEOUT: Final = 2.0
#: Seconds a failing call is retried (reconnecting) before its TransportError is raised.
DEFAULT_RETRY_TIMEOUT: Final = 5.0
#: Connections the pool opens at most (every blocked reader holds one).
DEFAULT_MAX_CONNECTIONS: Final = 512

logger = logging.getLogger("partstream.resumable")
T = TypeVar("T")


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


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
        if coredis is None:
            raise MissingDependencyError("RedisStore", package="coredis", extra="redis")
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
        for name, value in (
            ("command_timeout", command_timeout),
            ("connect_timeout", connect_timeout),
        ):
            if not 0 < value < float("inf"):
                raise InvalidArgumentError(f"{name} must be positive", argument=name)
        if not 0 <= retry_timeout < float("inf"):
            raise InvalidArgumentError("retry_timeout must be >= 0", argument="retry_timeout")
        self._prefix = key_prefix
        self._channel = f"{key_prefix}:stop"
        self._command_timeout = float(command_timeout)
        self._retry_timeout = float(retry_timeout)
        self._location, self._secrets = self._parse_url(url)
        self._client = coredis.Redis.from_url(
            url,
            decode_components=True,
            stream_timeout=command_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=command_timeout,
            max_connections=max_connections,
            retry_policy=NoRetryPolicy(),  # retries are ours: writes must know their retry
        )
        self._scripts: dict[str, Any] = {}
        self._tg: anyio.abc.TaskGroup | None = None
        self._listener: anyio.Event | None = None
        self._stop_events: dict[bytes, anyio.Event] = {}

    @staticmethod
    def _parse_url(url: str) -> tuple[str, tuple[str, ...]]:
        if not isinstance(url, str):
            raise InvalidArgumentError("url must be a string", argument="url")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise InvalidArgumentError("url is not a valid Redis URL", argument="url") from None
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise InvalidArgumentError(
                "url must start with redis://, rediss:// or unix://", argument="url"
            )
        secrets = tuple(
            s for s in {parts.password or "", unquote(parts.password or "")} if len(s) > 0
        )
        where = parts.path if parts.scheme == "unix" else f"{parts.hostname}:{port or 6379}"
        auth = "***@" if parts.password else ""
        return f"{parts.scheme}://{auth}{where}", tuple(sorted(secrets, key=len, reverse=True))

    def __repr__(self) -> str:
        return f"<RedisStore {self._location} prefix={self._prefix!r}>"

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> RedisStore:
        if self._tg is not None:
            raise RuntimeError("a RedisStore can be entered only once at a time")
        error: PartstreamError | None = None
        try:
            await self._client.__aenter__()
        except Exception as exc:
            error = self._translate("connect", exc)[0]
        if error is not None:
            raise error
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._tg = tg
        self._scripts = {
            name: self._client.register_script(getattr(lua, name))
            for name in ("BEGIN", "APPEND", "RENEW", "RELEASE", "ACQUIRE", "FIND", "PROBE", "STOP")
        }
        try:
            await self._call("PING", self._client.ping)
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        tg, self._tg = self._tg, None
        self._listener = None
        if tg is None:
            return
        # No scope around these: each exits a scope entered by __aenter__, in order.
        tg.cancel_scope.cancel()
        await tg.__aexit__(None, None, None)
        try:
            # The block's own exception is not handed on: coredis would wrap it in a group.
            await self._client.__aexit__(None, None, None)
        except Exception as exc:  # closing must not mask the block's outcome
            logger.debug("closing the Redis pool failed: %s", self._scrub(repr(_leaf(exc))))

    # -- calling Redis ----------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _clean(self, exc: BaseException) -> bool:
        """True when nothing in the exception's chain quotes a secret."""
        seen: set[int] = set()
        todo: list[BaseException | None] = [exc]
        while todo:
            item = todo.pop()
            if item is None or id(item) in seen:
                continue
            seen.add(id(item))
            text = f"{item!s} {item!r} {getattr(item, 'args', '')!r}"
            if self._scrub(text) != text:
                return False
            todo += [item.__cause__, item.__context__]
            if isinstance(item, BaseExceptionGroup):
                todo += list(item.exceptions)
        return True

    def _translate(self, what: str, exc: BaseException) -> tuple[PartstreamError, bool]:
        """Our exception for a coredis/OS failure, and whether retrying may help."""
        leaf = _leaf(exc)
        if isinstance(leaf, PartstreamError):
            return leaf, False
        detail = self._scrub(str(leaf) or type(leaf).__name__)
        where = f"Redis at {self._location}"
        error: PartstreamError
        retry = False
        if isinstance(leaf, redis_errors.AuthenticationError | redis_errors.AuthorizationError):
            error = ConnectError(f"{where} refused the credentials ({what}): {detail}")
        elif isinstance(leaf, redis_errors.ConnectionError | OSError):
            cls = ConnectError if "establish" in detail else TransportError
            error, retry = cls(f"{where} failed during {what}: {detail}"), True
        elif isinstance(leaf, TimeoutError):
            error = TransportError(
                f"{where} did not answer {what} within {self._command_timeout:g} s: {detail}"
            )
            retry = True
        elif isinstance(leaf, redis_errors.RedisError):
            error = ResumableError(f"{where} refused {what}: {detail}")
        else:
            error = ResumableError(f"{where}: {what} failed: {type(leaf).__name__}: {detail}")
        if self._clean(leaf):
            error.__cause__ = leaf
        return error, retry

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run one Redis call, retrying transport failures while ``retry_timeout`` lasts."""
        if self._tg is None:
            raise RuntimeError("use the RedisStore inside 'async with'")
        deadline: float | None = None
        delay = 0.05
        while True:
            try:
                return await call()
            except Exception as exc:
                error, retry = self._translate(what, exc)
            now = anyio.current_time()
            if deadline is None:
                deadline = now + self._retry_timeout
            if not retry or now >= deadline:
                raise error
            logger.debug("retrying %s after: %s", what, error)
            await anyio.sleep(min(delay, deadline - now))
            delay = min(delay * 2, 1.0)

    async def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        script = self._scripts[name]
        return await self._call(name, lambda: script(keys=keys, args=args))

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
        block = self._ms(min(wait, self._command_timeout / 2))
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
        res = await self._script("STOP", [f"{tag}:run"], [run_id or "", self._channel, chat_id])
        return bool(res)

    async def wait_for_stop(self, lease: Lease) -> None:
        key = f"{lease.chat_id}\n{lease.run_id}".encode()
        event = self._stop_events.get(key)
        if event is None:
            event = self._stop_events[key] = anyio.Event()
        try:
            await self._ensure_listener()
            tag = self._tag(lease.chat_id)
            run, stop = await self._call(
                "HMGET", lambda: self._client.hmget(f"{tag}:run", ["run", "stop"])
            )
            if run == lease.run_id.encode() and stop == b"1":
                return
            await event.wait()
        finally:
            if self._stop_events.get(key) is event:
                del self._stop_events[key]

    async def _ensure_listener(self) -> None:
        if self._tg is None:
            raise RuntimeError("use the RedisStore inside 'async with'")
        if self._listener is None:
            self._listener = anyio.Event()
            self._tg.start_soon(self._listen, self._listener)
        # Subscribed before the caller looks at the flag, so no stop falls between the two.
        with anyio.move_on_after(self._command_timeout):
            await self._listener.wait()

    async def _listen(self, ready: anyio.Event) -> None:
        policy = CompositeRetryPolicy(
            ExponentialBackoffRetryPolicy(
                (redis_errors.ConnectionError,), retries=None, base_delay=0.05, max_delay=1
            ),
            ConstantRetryPolicy((TimeoutError,), retries=2, delay=0.1),
        )
        delay = 0.05
        while True:
            try:
                async with PubSub(
                    self._client.connection_pool,
                    channels=[self._channel],
                    ignore_subscribe_messages=True,
                    retry_policy=policy,
                    unsubscription_timeout=0.01,  # closing need not wait for the acks
                ) as pubsub:
                    ready.set()
                    delay = 0.05
                    async for message in pubsub:
                        if message["type"] == "message":
                            data = message["data"]
                            event = self._stop_events.get(
                                data if isinstance(data, bytes) else str(data).encode()
                            )
                            if event is not None:
                                event.set()
            except Exception as exc:
                # The writers' lease renewals read the stop flag too; keep trying quietly.
                logger.debug("stop listener: %s", self._scrub(repr(_leaf(exc))))
            ready.set()
            await anyio.sleep(delay)
            delay = min(delay * 2, 2.0)
