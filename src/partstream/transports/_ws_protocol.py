"""The sans-IO core of the WebSocket client after the opening handshake (RFC 6455).

``ClientProtocol`` speaks the h11/wsproto verbs: ``receive_data(bytes)`` returns
the whole messages the bytes completed (``str`` for text, ``bytes`` for
binary), ``data_to_send()`` returns the frames the protocol owes the peer
(pongs, the close reply, the close that fails the connection) and the
``send_*`` methods return the frames for the caller to write.

Outgoing frames are built by wsproto's frame serializer (masked, as a client
must). Incoming frames are parsed here rather than by wsproto's
``Connection``: wsproto handles one frame per several Python calls and
allocations (about 11 µs for a 150 B message), which makes a client on top
of it slower than the ``websockets`` client on small messages. This parser
takes whole unfragmented frames in one tight loop and streams large frames in
chunks. It also closes two gaps: a UTF-8 sequence that can never be valid
(a surrogate such as ``ED A0``) fails at once even when the frame or message
ends in the middle of it, and a data frame whose declared length would take
the message past ``max_message_size`` fails on its header, before its
payload arrives.

permessage-deflate (RFC 7692), when negotiated: a frame with RSV1 starts a
compressed message (``_compressed_frame``, off the hot loop: the loop's one
test of the reserved bits sends it there), its payload and its continuation
frames are inflated within ``max_message_size`` (``_ws_deflate_codec``);
messages sent are compressed by the serializer.
"""

from __future__ import annotations

import codecs
from typing import Final, final

from ..errors import InvalidArgumentError, LimitExceededError, ProtocolError
from ._ws_deflate import DeflateParameters
from ._ws_deflate_codec import _DeflateFrames, _Inflater, _serializer
from ._ws_frames import (
    _BINARY,
    _CONT,
    _TEXT,
    _WHOLE_FRAME_LIMIT,
    CLOSE_ABNORMAL,
    CLOSE_INVALID_DATA,
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_NO_STATUS,
    CLOSE_NORMAL,
    CLOSE_PROTOCOL_ERROR,
    Message,
    State,
    _bytes_to_complete,
    _close_code_is_valid,
    _Decoder,
    _Fail,
    _utf8_prefix_is_valid,
    _utf_8_decode,
    check_close_code,
)

__all__ = ["ClientProtocol"]

# Opcodes (RFC 6455 section 5.2); data opcodes in _ws_frames.
_CLOSE: Final = 0x8
_PING: Final = 0x9
_PONG: Final = 0xA

_MAX_CONTROL_PAYLOAD: Final = 125


@final
class ClientProtocol(_DeflateFrames):
    """Client side of an open WebSocket connection, without I/O.

    After ``receive_data`` check ``state``: once it is ``CLOSED`` the outcome is
    in ``close_received`` (the peer's close frame), ``close_sent`` (ours) and
    ``failure`` (the ProtocolError or LimitExceededError the peer caused).
    """

    __slots__ = (
        "_buffer",
        "_closing_reply",
        "_decoder",
        "_inflater",
        "_max_message_size",
        "_more",
        "_more_need",
        "_msg_chunks",
        "_msg_opcode",
        "_msg_size",
        "_out",
        "_serializer",
        "close_received",
        "close_sent",
        "deflate",
        "eof_received",
        "failed_with",
        "failure",
        "pongs",
        "state",
    )

    def __init__(self, *, max_message_size: int, deflate: DeflateParameters | None = None) -> None:
        self._max_message_size = max_message_size
        #: The permessage-deflate agreement, or None: no compression either way.
        self.deflate = deflate
        self._serializer = _serializer(deflate)
        self._inflater = (
            None
            if deflate is None
            else _Inflater(deflate.server_max_window_bits, deflate.server_no_context_takeover)
        )
        # Whether the message being reassembled is compressed (its first frame had RSV1).
        self._msg_compressed = False
        self._buffer: bytes | memoryview = b""
        # Later reads of the frame that starts ``_buffer``, and the bytes it still needs.
        self._more: list[bytes] = []
        self._more_need = 0
        # Message being reassembled: opcode of its first frame, chunks so far, byte count.
        self._msg_opcode = 0
        self._msg_chunks: list[bytes] | list[str] = []
        self._msg_size = 0
        self._decoder: _Decoder | None = None
        # A data frame whose payload is still arriving (streamed): bytes left and its FIN bit.
        self._frame_remaining = 0
        self._frame_fin = False
        self._out: list[bytes] = []
        self._closing_reply = False
        self.state = State.OPEN
        #: Payloads of the pongs received since the caller last cleared this list.
        self.pongs: list[bytes] = []
        #: (code, reason) of the peer's close frame, once received.
        self.close_received: tuple[int, str] | None = None
        #: (code, reason) of the close frame this side sent, once sent.
        self.close_sent: tuple[int, str] | None = None
        #: What the peer did wrong, when this side failed the connection.
        self.failure: ProtocolError | LimitExceededError | None = None
        #: (code, reason) this side failed the connection with, if it did.
        self.failed_with: tuple[int, str] | None = None
        #: Whether the transport reported end of stream.
        self.eof_received = False

    # -- outcome ----------------------------------------------------------------------

    @property
    def close_code(self) -> int | None:
        """RFC 6455 section 7.1.5: the code of the first close frame received.

        When this side failed the connection it is the code it failed it with;
        when the connection ended without a close frame it is 1006.
        """
        if self.close_received is not None:
            return self.close_received[0]
        if self.failed_with is not None:
            return self.failed_with[0]
        if self.state is State.CLOSED:
            return CLOSE_ABNORMAL
        return None

    @property
    def close_reason(self) -> str | None:
        if self.close_received is not None:
            return self.close_received[1]
        if self.failed_with is not None:
            return self.failed_with[1]
        if self.state is State.CLOSED:
            return ""
        return None

    # -- receiving --------------------------------------------------------------------

    def receive_eof(self) -> None:
        """The transport ended. Without a close handshake that is an abnormal closure."""
        self.eof_received = True
        self._buffer = b""
        self._more.clear()
        self.state = State.CLOSED

    def data_to_send(self) -> bytes:
        """Frames the protocol owes the peer (pongs, a close reply or failure close)."""
        if not self._out:
            return b""
        out = b"".join(self._out)
        self._out.clear()
        return out

    def receive_data(self, data: bytes) -> list[Message]:
        """Feed bytes read from the socket; return the messages they completed, in order."""
        if self._finished():
            return []  # RFC 6455 section 5.5.1: nothing after a close frame is processed
        out: list[Message] = []
        try:
            pending = self._buffer
            if not pending:
                self._parse(data, 0, out)
                return out
            # Complete the frame left over from the last read without copying all of ``data``.
            more = self._more
            if more:
                need = self._more_need
            else:
                needed = _bytes_to_complete(pending, data)
                if needed is None:  # even its header is incomplete (a few bytes): start over
                    self._buffer = b""
                    self._parse(b"".join((pending, data)), 0, out)
                    return out
                need = needed
            if need > len(data):
                # Still incomplete: keep the pieces and join them once, when the frame is
                # whole, so a frame that trickles in through small reads is copied once.
                more.append(data)
                self._more_need = need - len(data)
                return out
            self._buffer = b""
            whole = b"".join((pending, *more, memoryview(data)[:need]))
            more.clear()
            self._parse(whole, 0, out)
            if self._finished():
                return out
            rest = self._buffer
            if rest:  # not expected: the head did not end on a frame boundary
                self._buffer = b""
                self._parse(b"".join((rest, memoryview(data)[need:])), 0, out)
            else:
                self._parse(data, need, out)
        except _Fail as fail:
            self._fail(fail.code, fail.reason, fail.error)
        return out

    def _finished(self) -> bool:
        return self.close_received is not None or self.state is State.CLOSED

    def _parse(self, buf: bytes, pos: int, out: list[Message]) -> None:
        """Parse frames from ``buf[pos:]`` into ``out``; keep an incomplete tail for later."""
        end = len(buf)
        max_size = self._max_message_size
        view: memoryview | None = None
        if self._frame_remaining:
            pos = self._stream_payload(buf, pos, out)
        while pos < end:
            if end - pos < 2:
                break
            b0 = buf[pos]
            b1 = buf[pos + 1]
            length = b1 & 0x7F
            start = pos + 2
            if length == 126:
                start = pos + 4
                if start > end:
                    break
                length = int.from_bytes(buf[pos + 2 : start], "big")
                if length < 126:
                    raise _Fail(CLOSE_PROTOCOL_ERROR, "non-minimal frame length")
            elif length == 127:
                start = pos + 10
                if start > end:
                    break
                length = int.from_bytes(buf[pos + 2 : start], "big")
                if length < 65536 or length >> 63:
                    raise _Fail(CLOSE_PROTOCOL_ERROR, "invalid 64-bit frame length")
            # RFC 6455 section 5.2: RSV1-3 MUST be 0 unless an extension gives them a meaning.
            if b0 & 0x70:
                stop = self._compressed_frame(buf, start, end, length, b0, b1, out)
                if stop < 0:
                    break  # wait for the rest of this small frame
                pos = stop
                continue
            # RFC 6455 section 5.1: a client MUST fail on a masked frame from the server.
            if b1 & 0x80:
                raise _Fail(CLOSE_PROTOCOL_ERROR, "masked frame from server")
            opcode = b0 & 0x0F
            fin = b0 & 0x80
            if opcode >= 8:
                # RFC 6455 section 5.5: control frames are unfragmented, payload <= 125.
                if not fin:
                    raise _Fail(CLOSE_PROTOCOL_ERROR, "fragmented control frame")
                if length > _MAX_CONTROL_PAYLOAD:
                    raise _Fail(CLOSE_PROTOCOL_ERROR, "control frame payload > 125 bytes")
                stop = start + length
                if stop > end:
                    break
                pos = stop
                if opcode == _PING:
                    self._on_ping(buf[start:stop])
                elif opcode == _PONG:
                    self.pongs.append(buf[start:stop])
                elif opcode == _CLOSE:
                    self._on_close(buf[start:stop])
                    return
                else:
                    raise _Fail(CLOSE_PROTOCOL_ERROR, f"reserved opcode {opcode:#x}")
                continue
            # Data frames (RFC 6455 section 5.4 fragmentation rules).
            if opcode == _CONT:
                if not self._msg_opcode:
                    raise _Fail(CLOSE_PROTOCOL_ERROR, "continuation frame outside a message")
            elif opcode in (_TEXT, _BINARY):
                if self._msg_opcode:
                    raise _Fail(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
            else:
                raise _Fail(CLOSE_PROTOCOL_ERROR, f"reserved opcode {opcode:#x}")
            if self._msg_size + length > max_size and not self._msg_compressed:
                raise _Fail(
                    CLOSE_MESSAGE_TOO_BIG,
                    "message too big",
                    LimitExceededError(
                        limit="WebSocket message size",
                        value=max_size,
                        option="max_message_size",
                        detail=f"a frame announced {self._msg_size + length} bytes",
                    ),
                )
            stop = start + length
            if stop <= end:
                pos = stop
                if fin and opcode:
                    # The common case: a whole unfragmented message.
                    if opcode == _TEXT:
                        try:
                            if length < 4096:
                                out.append(buf[start:stop].decode())
                            else:  # decode in place, without a copy of the payload first
                                if view is None:
                                    view = memoryview(buf)
                                out.append(_utf_8_decode(view[start:stop], None, True)[0])
                        except UnicodeDecodeError:
                            raise _Fail(CLOSE_INVALID_DATA, "invalid UTF-8 in text") from None
                    else:
                        out.append(buf[start:stop])
                else:
                    self._data_frame(opcode, buf[start:stop], bool(fin), out)
                continue
            if length <= _WHOLE_FRAME_LIMIT:
                break  # wait for the rest of this small frame
            # A large frame: take its payload as it arrives.
            self._begin_message(opcode)
            self._frame_remaining = length
            self._frame_fin = bool(fin)
            pos = self._stream_payload(buf, start, out)
        if pos < end:
            # The start of a frame still arriving: a view, not a copy, of this read's bytes.
            self._buffer = memoryview(buf)[pos:] if view is None else view[pos:]

    def _begin_message(self, opcode: int) -> None:
        if opcode:  # a first frame: TEXT or BINARY
            self._msg_opcode = opcode
            self._msg_size = 0
            self._msg_chunks = []
            self._decoder = codecs.getincrementaldecoder("utf-8")() if opcode == _TEXT else None

    def _data_frame(self, opcode: int, payload: bytes, fin: bool, out: list[Message]) -> None:
        """A whole data frame that is part of a fragmented message."""
        self._begin_message(opcode)
        self._add_chunk(payload, fin, out)

    def _stream_payload(self, buf: bytes, pos: int, out: list[Message]) -> int:
        """Consume payload of the streamed frame from ``buf[pos:]``; return the new position."""
        take = min(self._frame_remaining, len(buf) - pos)
        self._frame_remaining -= take
        last = self._frame_remaining == 0
        self._add_chunk(buf[pos : pos + take], last and self._frame_fin, out)
        return pos + take

    def _add_chunk(self, chunk: bytes | memoryview, message_done: bool, out: list[Message]) -> None:
        if self._msg_compressed:
            chunk = self._inflate(chunk, message_done, self._max_message_size - self._msg_size)
        self._msg_size += len(chunk)
        decoder = self._decoder
        if decoder is not None:
            try:
                text = decoder.decode(chunk, message_done)
            except UnicodeDecodeError:
                raise _Fail(CLOSE_INVALID_DATA, "invalid UTF-8 in text") from None
            # RFC 6455 section 8.1: fail fast on a sequence that cannot become valid,
            # even when it is cut by a frame or chunk boundary.
            pending = decoder.getstate()[0]
            if pending and not _utf8_prefix_is_valid(pending):
                raise _Fail(CLOSE_INVALID_DATA, "invalid UTF-8 in text")
            if text:
                self._msg_chunks.append(text)  # type: ignore[arg-type]
        elif chunk:
            self._msg_chunks.append(chunk)  # type: ignore[arg-type]
        if message_done:
            chunks = self._msg_chunks
            message: Message = (
                "".join(chunks)  # type: ignore[arg-type]
                if decoder is not None
                else b"".join(chunks)  # type: ignore[arg-type]
            )
            out.append(message)
            self._msg_opcode = 0
            self._msg_compressed = False
            self._msg_size = 0
            self._msg_chunks = []
            self._decoder = None

    def _on_ping(self, payload: bytes) -> None:
        # RFC 6455 section 5.5.2: answer with a pong carrying the same payload,
        # unless this side already sent a close frame.
        if self.state is State.OPEN:
            self._out.append(bytes(self._serializer.pong(payload)))

    def _on_close(self, payload: bytes) -> None:
        # RFC 6455 section 5.5.1: code (2 bytes) and an optional UTF-8 reason.
        if not payload:
            code, reason = CLOSE_NO_STATUS, ""
        elif len(payload) == 1:
            raise _Fail(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte payload")
        else:
            code = int.from_bytes(payload[:2], "big")
            if not _close_code_is_valid(code):
                raise _Fail(CLOSE_PROTOCOL_ERROR, f"invalid close code {code}")
            try:
                reason = payload[2:].decode()
            except UnicodeDecodeError:
                raise _Fail(CLOSE_INVALID_DATA, "invalid UTF-8 in close reason") from None
        self.close_received = (code, reason)
        self._buffer = b""
        self._more.clear()
        if self.state is State.OPEN:
            # RFC 6455 section 5.5.1: reply with a close frame, echoing the status code.
            reply = None if code == CLOSE_NO_STATUS else code
            self._out.append(bytes(self._serializer.close(reply)))
            self.close_sent = (code, "")
        self.state = State.CLOSED

    def _fail(self, code: int, reason: str, error: ProtocolError | LimitExceededError) -> None:
        """RFC 6455 section 7.1.7: fail the connection after a violation by the peer."""
        self.failure = error
        self._out.append(self.abort(code, reason))

    def abort(self, code: int, reason: str) -> bytes:
        """Fail the connection with ``code``; return the close frame to send (b"" if none is due).

        RFC 6455 section 7.1.7: send a close frame unless one was sent already,
        then nothing more is read or sent.
        """
        self._buffer = b""
        self._more.clear()
        self._msg_chunks = []
        self._decoder = None
        self._msg_compressed = False
        self._frame_remaining = 0
        self.failed_with = (code, reason)
        frame = b""
        if self.state is State.OPEN:
            frame = bytes(self._serializer.close(code, reason))
            self.close_sent = (code, reason)
        self.state = State.CLOSED
        return frame

    # -- sending ----------------------------------------------------------------------

    def send_text(self, text: str) -> bytes:
        return bytes(self._serializer.send_data(text, True))

    def send_bytes(self, data: bytes | bytearray | memoryview) -> bytes:
        return bytes(self._serializer.send_data(bytes(data), True))

    def send_ping(self, payload: bytes) -> bytes:
        if len(payload) > _MAX_CONTROL_PAYLOAD:
            raise InvalidArgumentError(
                f"a ping payload is at most {_MAX_CONTROL_PAYLOAD} bytes", argument="payload"
            )
        return bytes(self._serializer.ping(payload))

    def send_close(self, code: int = CLOSE_NORMAL, reason: str = "") -> bytes:
        """Start the closing handshake (RFC 6455 section 7.1.2); b"" when already closing."""
        check_close_code(code, reason)
        if self.state is not State.OPEN:
            return b""
        self.state = State.CLOSING
        self.close_sent = (code, reason)
        return bytes(self._serializer.close(code, reason))
