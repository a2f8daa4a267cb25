"""A realtime session with the AI Gateway over partstream's WebSocket client.

Shape::

    socket ──ws reader task──▶ bounded channel of batches ──▶ session.__anext__
                                                                 │ decode JSON (per message)
                                                                 │ type the event (identity codec)
                                                                 ▼ tool-turn bookkeeping
                                                           async for event in session

The WebSocket reader is the only actor: it turns each socket read into one
batch and blocks on its bounded channel while the consumer is behind, so a
consumer that stops iterating stops the socket reads. Messages are decoded in
the consumer's task, one at a time, as they are handed out: no second buffer.

What ends a session:

* the Gateway closes with 1000, 1001 or no status: ``async for`` ends; the
  code is in ``session.close_code``;
* any other close or a broken connection: the ConnectionClosed subclass the
  transport raises (after every message that arrived before it);
* a message that is not a JSON object with a string ``type``:
  InvalidResponseDataError for that message; the session stays usable;
* an ``error`` event is an event (:class:`ErrorEvent`), not an exception;
* leaving the ``async with`` block closes the WebSocket with 1000.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final, Protocol, final

import anyio

from ..codecs._gateway_auth import GATEWAY_REALTIME_SUBPROTOCOL
from ..codecs._gateway_client_events import (
    ClientEvent,
    ConversationItemCreate,
    FunctionCallOutput,
    InputAudioAppend,
    InputAudioClear,
    InputAudioCommit,
    ResponseCancel,
    ResponseCreate,
    SessionUpdate,
    TextMessage,
)
from ..codecs._gateway_codec import build_session_config, decode_server_message, encode_client_event
from ..codecs._gateway_server_events import FunctionCallArgumentsDone, ResponseDone, ServerEvent
from ..errors import (
    ClosedByPeerError,
    ClosedByYouError,
    ConnectionClosed,
    InvalidArgumentError,
    LimitExceededError,
    ProtocolError,
    WebSocketHandshakeError,
)
from ..transports.websocket import WebSocketConnection, connect_websocket
from ._gateway_credentials import RealtimeToken, WebSocketConfig

__all__ = ["DEFAULT_MAX_TOOL_CALLS", "GatewayRealtimeSession", "RealtimeModelRef", "open_session"]

# RFC 6455 section 7.4.1: the closes after which ``async for`` ends quietly.
_QUIET_CLOSE_CODES: Final = frozenset({1000, 1001, 1005})
# RFC 6455 section 7.4.1: 1002, the endpoint is terminating for a protocol error.
_CLOSE_PROTOCOL_ERROR: Final = 1002
#: Tool calls the session remembers (for their names) until their output is sent.
DEFAULT_MAX_TOOL_CALLS: Final = 1024


class RealtimeModelRef(Protocol):
    """What a session uses of the model that opened it (a ``GatewayRealtimeModel``).

    A protocol, so that this module needs nothing from the provider's: the
    provider imports the session, never the other way round.
    """

    @property
    def model_id(self) -> str: ...

    async def get_token(self) -> RealtimeToken: ...

    def get_websocket_config(self, token: str, url: str | None = None) -> WebSocketConfig: ...


def _json_text(value: Any) -> str:
    """JSON.stringify-like compact JSON of a tool result."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            f"the tool result is not JSON-serializable: {exc}", argument="result"
        ) from None


def _parses_as_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@final
class GatewayRealtimeSession:
    """An open realtime session: send client events, iterate typed server events.

    Get one from ``model.connect(...)``. Sending and receiving can happen in
    different tasks; sends are serialized (the helpers that send two events send
    them back to back).
    """

    __slots__ = (
        "_end",
        "_index",
        "_max_tool_calls",
        "_raw",
        "_responses_closed",
        "_send_lock",
        "_submitted",
        "_tool_calls",
        "_tool_names",
        "_ws",
        "model",
    )

    def __init__(
        self,
        ws: WebSocketConnection,
        model: RealtimeModelRef,
        *,
        max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS,
    ) -> None:
        self._ws = ws
        self._max_tool_calls = max_tool_calls
        self.model = model
        self._raw: list[str | bytes] = []
        self._index = 0
        self._end: ConnectionClosed | None = None
        self._send_lock = anyio.Lock()
        # The tool turn (AI SDK realtime session): the calls of the tool-bearing
        # response, the outputs submitted for them, and whether that response is done.
        self._tool_calls: dict[str, None] = {}
        self._submitted: set[str] = set()
        self._responses_closed = False
        self._tool_names: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"GatewayRealtimeSession(model_id={self.model.model_id!r}, closed={self.closed})"

    # -- state ------------------------------------------------------------------------

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server selected (the marker) or ``None``."""
        return self._ws.subprotocol

    @property
    def close_code(self) -> int | None:
        """The RFC 6455 close code once the connection is closed."""
        return self._ws.close_code

    @property
    def close_reason(self) -> str | None:
        return self._ws.close_reason

    @property
    def closed(self) -> bool:
        return self._ws.closed

    @property
    def pending_tool_calls(self) -> frozenset[str]:
        """Call ids of the current tool turn that have no output yet."""
        return frozenset(c for c in self._tool_calls if c not in self._submitted)

    # -- receiving --------------------------------------------------------------------

    def __aiter__(self) -> GatewayRealtimeSession:
        return self

    async def __anext__(self) -> ServerEvent:
        index = self._index
        raw = self._raw
        if index >= len(raw):
            raw = await self._next_batch()
            index = 0
        self._index = index + 1
        event = decode_server_message(raw[index])
        kind = type(event)
        if kind is FunctionCallArgumentsDone or kind is ResponseDone:
            await self._observe(event)
        return event

    async def receive(self) -> ServerEvent:
        """The next server event; once the session has ended, the ConnectionClosed error
        that ended it (ClosedByPeerError for the Gateway's close, ClosedByYouError after
        :meth:`aclose`)."""
        try:
            return await self.__anext__()
        except StopAsyncIteration:
            end = self._end
            assert end is not None
            raise end from None

    async def _next_batch(self) -> list[str | bytes]:
        try:
            batch = await self._ws.receive_batch()
        except ConnectionClosed as exc:
            if isinstance(exc, ClosedByYouError) or (
                type(exc) is ClosedByPeerError and exc.code in _QUIET_CLOSE_CODES
            ):
                self._end = exc
                raise StopAsyncIteration from None
            raise
        self._raw = batch
        return batch

    async def _observe(self, event: ServerEvent) -> None:
        if isinstance(event, FunctionCallArgumentsDone):
            known = event.call_id in self._tool_names or event.call_id in self._tool_calls
            most = max(len(self._tool_names), len(self._tool_calls))
            if not known and most >= self._max_tool_calls:
                raise LimitExceededError(
                    limit="tool calls awaiting an output",
                    value=self._max_tool_calls,
                    option="max_tool_calls",
                )
            self._tool_names[event.call_id] = event.name
            # The AI SDK executes (and so counts) a call only when its arguments parse.
            if _parses_as_json(event.arguments):
                self._tool_calls[event.call_id] = None
        elif isinstance(event, ResponseDone) and self._tool_calls:
            # response-done of the tool-bearing response: no more calls come this turn.
            self._responses_closed = True
            await self._maybe_request_tool_response()

    # -- sending ----------------------------------------------------------------------

    async def send(self, event: ClientEvent | Mapping[str, Any]) -> None:
        """Send a client event: a typed event or its JSON as a mapping (sent unchanged)."""
        text = encode_client_event(event)
        async with self._send_lock:
            await self._ws.send_text(text)

    async def _send_all(self, *events: ClientEvent) -> None:
        texts = [encode_client_event(e) for e in events]
        async with self._send_lock:
            for text in texts:
                await self._ws.send_text(text)

    async def update_session(self, config: Mapping[str, Any]) -> None:
        """Send ``session-update`` with a normalized session config."""
        await self.send(SessionUpdate(config=build_session_config(config)))

    async def send_text_message(self, text: str) -> None:
        """Add a user text message and ask for a response."""
        await self._send_all(ConversationItemCreate(item=TextMessage(text=text)), ResponseCreate())

    async def append_audio(self, audio: bytes | bytearray | memoryview | str) -> None:
        """Append input audio: raw bytes (base64-encoded here) or a base64 string."""
        if isinstance(audio, str):
            encoded = audio
        elif isinstance(audio, bytes | bytearray | memoryview):
            encoded = base64.b64encode(audio).decode("ascii")
        else:
            raise InvalidArgumentError("audio must be bytes or a base64 str", argument="audio")
        await self.send(InputAudioAppend(audio=encoded))

    async def commit_audio(self) -> None:
        """Commit the input audio buffer as a user turn."""
        await self.send(InputAudioCommit())

    async def clear_audio(self) -> None:
        """Drop the input audio buffer."""
        await self.send(InputAudioClear())

    async def request_response(self, *, modalities: list[str] | None = None) -> None:
        """Ask the model for a response (``response-create``)."""
        options = {"modalities": list(modalities)} if modalities is not None else None
        await self.send(ResponseCreate(options=options))

    async def cancel_response(self) -> None:
        """Cancel the response in progress (``response-cancel``)."""
        await self.send(ResponseCancel())

    async def add_tool_output(self, call_id: str, result: Any) -> None:
        """Send a tool result (JSON of ``result``) for ``call_id``.

        The follow-up ``response-create`` is sent once, when the tool-bearing
        response is done (``response-done`` was received) and every one of its tool
        calls has an output, as the AI SDK does: asking after each output would let
        the model go on without the whole turn's results.
        """
        output = _json_text(result)
        item = FunctionCallOutput(
            call_id=call_id, output=output, name=self._tool_names.pop(call_id, None)
        )
        await self.send(ConversationItemCreate(item=item))
        self._submitted.add(call_id)
        await self._maybe_request_tool_response()

    async def _maybe_request_tool_response(self) -> None:
        if not self._responses_closed or not self._tool_calls:
            return
        if any(call_id not in self._submitted for call_id in self._tool_calls):
            return
        # Reset before sending so a concurrent caller cannot request it twice.
        self._tool_calls.clear()
        self._submitted.clear()
        self._responses_closed = False
        await self.send(ResponseCreate())

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        """Close the WebSocket (closing handshake, bounded, survives cancellation)."""
        await self._ws.aclose(code, reason)


def _readable_refusal(exc: WebSocketHandshakeError) -> WebSocketHandshakeError:
    """The transport's refusal, with the Gateway's own error message and a hint."""
    status = exc.status_code
    if status is None:
        return exc
    detail = ""
    body = exc.body
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        error = data.get("error") if isinstance(data, Mapping) else None
        message = error.get("message") if isinstance(error, Mapping) else None
        detail = f": {message}" if isinstance(message, str) and message else ""
    hint = ""
    if status in (401, 403):
        hint = (
            " Check the credential: api_key= / AI_GATEWAY_API_KEY / VERCEL_OIDC_TOKEN, "
            "or a client secret from mint_client_secret() that has not expired."
        )
    elif status == 404:
        hint = " Check the base URL and the model id."
    refused = WebSocketHandshakeError(
        f"the AI Gateway refused the realtime connection (HTTP {status}){detail}.{hint}",
        status_code=status,
        headers=exc.headers,
        body=exc.body,
    )
    refused.__cause__ = exc
    return refused


async def _check_subprotocol(ws: WebSocketConnection) -> None:
    chosen = ws.subprotocol
    if chosen is not None and chosen != GATEWAY_REALTIME_SUBPROTOCOL:
        # Only the marker may be echoed; never quote what was chosen (it may be the token).
        await ws.aclose(_CLOSE_PROTOCOL_ERROR, "unexpected subprotocol")
        raise ProtocolError(
            f"the server selected a subprotocol other than {GATEWAY_REALTIME_SUBPROTOCOL!r}",
            close_code=_CLOSE_PROTOCOL_ERROR,
        )


@asynccontextmanager
async def open_session(
    model: RealtimeModelRef,
    *,
    provider_headers: Mapping[str, str],
    session_config: Mapping[str, Any] | None,
    token: str | None,
    url: str | None,
    headers: Mapping[str, str] | None,
    max_batches: int | None,
    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS,
    transport_options: Mapping[str, Any],
) -> AsyncIterator[GatewayRealtimeSession]:
    """Connect, check the negotiated subprotocol, send ``session-update``, yield the session."""
    config = build_session_config(session_config if session_config is not None else {})
    limit: object = max_tool_calls
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidArgumentError("max_tool_calls must be an int >= 1", argument="max_tool_calls")
    if token is None:
        token = (await model.get_token()).token
    ws_config = model.get_websocket_config(token, url)
    all_headers = dict(provider_headers)
    if headers:
        all_headers.update(headers)
    options = dict(transport_options)
    if max_batches is not None:
        options["max_batches"] = max_batches
    connector = connect_websocket(
        ws_config.url, subprotocols=ws_config.protocols, headers=all_headers or None, **options
    )
    try:
        ws = await connector.__aenter__()
    except WebSocketHandshakeError as exc:
        raise _readable_refusal(exc) from None
    try:
        await _check_subprotocol(ws)
        session = GatewayRealtimeSession(ws, model, max_tool_calls=max_tool_calls)
        try:
            await session.send(SessionUpdate(config=config))
        except ClosedByPeerError:
            # The Gateway closed first: what it sent before closing is still to be read,
            # and iterating reports how it ended.
            pass
        yield session
    except BaseException as exc:
        await connector.__aexit__(type(exc), exc, exc.__traceback__)
        raise
    else:
        await connector.__aexit__(None, None, None)
