"""The Redis connection of a RedisStore: coredis entered, calls bounded and retried,
errors translated, secrets scrubbed, and the one stop listener.

coredis (6.x, anyio) runs the same on asyncio and trio. Its client must be entered
in a parent task before other tasks use it; its exit wraps the block's exception in
an ExceptionGroup, so the block's exception is not handed to it. Its own retry
policy is off: a write retried blindly could be applied twice, so the retries are
ours and every script recognises its own retry.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar, final
from urllib.parse import unquote, urlsplit

import anyio
import anyio.abc

from ..errors import (
    ConnectError,
    InvalidArgumentError,
    MissingDependencyError,
    PartstreamError,
    ResumableError,
    TransportError,
)
from . import _redis_scripts as lua

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
    "RedisLink",
    "leaf_of",
]

#: Seconds one Redis command may take (a blocking read waits at most half of it).
DEFAULT_COMMAND_TIMEOUT: Final = 5.0
#: Seconds to open a connection to Redis.
DEFAULT_CONNECT_TIMEOUT: Final = 2.0
#: Seconds a failing call is retried (reconnecting) before its TransportError is raised.
DEFAULT_RETRY_TIMEOUT: Final = 5.0
#: Connections the pool opens at most (every blocked reader holds one).
DEFAULT_MAX_CONNECTIONS: Final = 512
SCRIPTS: Final = ("BEGIN", "APPEND", "RENEW", "RELEASE", "ACQUIRE", "FIND", "PROBE", "STOP")

logger = logging.getLogger("partstream.resumable")
T = TypeVar("T")


def leaf_of(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


@final
class RedisLink:
    """One coredis client, used through ``call``/``script`` only."""

    def __init__(
        self,
        url: str,
        *,
        channel: str,
        command_timeout: float,
        connect_timeout: float,
        retry_timeout: float,
        max_connections: int,
    ) -> None:
        if coredis is None:
            raise MissingDependencyError("RedisStore", package="coredis", extra="redis")
        for name, value in (
            ("command_timeout", command_timeout),
            ("connect_timeout", connect_timeout),
        ):
            if not 0 < value < float("inf"):
                raise InvalidArgumentError(f"{name} must be positive", argument=name)
        if not 0 <= retry_timeout < float("inf"):
            raise InvalidArgumentError("retry_timeout must be >= 0", argument="retry_timeout")
        self.channel = channel
        self.command_timeout = float(command_timeout)
        self._retry_timeout = float(retry_timeout)
        self.location, self._secrets = self._parse_url(url)
        self.client = coredis.Redis.from_url(
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
        self.stop_events: dict[bytes, anyio.Event] = {}

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

    async def open(self) -> None:
        if self._tg is not None:
            raise RuntimeError("a RedisStore can be entered only once at a time")
        error: PartstreamError | None = None
        try:
            await self.client.__aenter__()
        except Exception as exc:
            error = self.translate("connect", exc)[0]
        if error is not None:
            raise error
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._tg = tg
        self._scripts = {name: self.client.register_script(getattr(lua, name)) for name in SCRIPTS}
        try:
            await self.call("PING", self.client.ping)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        tg, self._tg = self._tg, None
        self._listener = None
        if tg is None:
            return
        # No scope around these: each exits a scope entered by __aenter__, in order.
        tg.cancel_scope.cancel()
        await tg.__aexit__(None, None, None)
        try:
            # The block's own exception is not handed on: coredis would wrap it in a group.
            await self.client.__aexit__(None, None, None)
        except Exception as exc:  # closing must not mask the block's outcome
            logger.debug("closing the Redis pool failed: %s", self.scrub(repr(leaf_of(exc))))

    def scrub(self, text: str) -> str:
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
            if self.scrub(text) != text:
                return False
            todo += [item.__cause__, item.__context__]
            if isinstance(item, BaseExceptionGroup):
                todo += list(item.exceptions)
        return True

    def translate(self, what: str, exc: BaseException) -> tuple[PartstreamError, bool]:
        """Our exception for a coredis/OS failure, and whether retrying may help."""
        leaf = leaf_of(exc)
        if isinstance(leaf, PartstreamError):
            return leaf, False
        detail = self.scrub(str(leaf) or type(leaf).__name__)
        where = f"Redis at {self.location}"
        error: PartstreamError
        retry = False
        if isinstance(leaf, redis_errors.AuthenticationError | redis_errors.AuthorizationError):
            error = ConnectError(f"{where} refused the credentials ({what}): {detail}")
        elif isinstance(leaf, redis_errors.ConnectionError | OSError):
            cls = ConnectError if "establish" in detail else TransportError
            error, retry = cls(f"{where} failed during {what}: {detail}"), True
        elif isinstance(leaf, TimeoutError):
            error = TransportError(
                f"{where} did not answer {what} within {self.command_timeout:g} s: {detail}"
            )
            retry = True
        elif isinstance(leaf, redis_errors.RedisError):
            error = ResumableError(f"{where} refused {what}: {detail}")
        else:
            error = ResumableError(f"{where}: {what} failed: {type(leaf).__name__}: {detail}")
        if self._clean(leaf):
            error.__cause__ = leaf
        return error, retry

    async def call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run one Redis call, retrying transport failures while ``retry_timeout`` lasts."""
        if self._tg is None:
            raise RuntimeError("use the RedisStore inside 'async with'")
        deadline: float | None = None
        delay = 0.05
        while True:
            try:
                return await call()
            except Exception as exc:
                error, retry = self.translate(what, exc)
            now = anyio.current_time()
            if deadline is None:
                deadline = now + self._retry_timeout
            if not retry or now >= deadline:
                raise error
            logger.debug("retrying %s after: %s", what, error)
            await anyio.sleep(min(delay, deadline - now))
            delay = min(delay * 2, 1.0)

    async def script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        script = self._scripts[name]
        return await self.call(name, lambda: script(keys=keys, args=args))

    async def ensure_listener(self) -> None:
        if self._tg is None:
            raise RuntimeError("use the RedisStore inside 'async with'")
        if self._listener is None:
            self._listener = anyio.Event()
            self._tg.start_soon(self._listen, self._listener)
        # Subscribed before the caller looks at the flag, so no stop falls between the two.
        with anyio.move_on_after(self.command_timeout):
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
                    self.client.connection_pool,
                    channels=[self.channel],
                    ignore_subscribe_messages=True,
                    retry_policy=policy,
                    unsubscription_timeout=0.01,  # closing need not wait for the acks
                ) as pubsub:
                    ready.set()
                    delay = 0.05
                    async for message in pubsub:
                        if message["type"] == "message":
                            data = message["data"]
                            event = self.stop_events.get(
                                data if isinstance(data, bytes) else str(data).encode()
                            )
                            if event is not None:
                                event.set()
            except Exception as exc:
                # The writers' lease renewals read the stop flag too; keep trying quietly.
                logger.debug("stop listener: %s", self.scrub(repr(leaf_of(exc))))
            ready.set()
            await anyio.sleep(delay)
            delay = min(delay * 2, 2.0)
