"""permessage-deflate (RFC 7692) for the WebSocket client: the codec, sans-IO.

* :class:`_Inflater`: the receive side. It inflates with a size limit
  (``decompress(data, max_length)``): no call produces more than the room left
  under ``max_message_size`` plus one byte, so a decompression bomb costs at
  most ``max_message_size`` of memory before it fails the connection with 1009;
* :class:`_Deflater`: the send side, plugged into wsproto's frame serializer as
  an extension, so data frames get compressed payloads and RSV1 and control
  frames stay as they are (RFC 7692 section 6);
* :class:`_DeflateFrames`: the frame parser's RFC 7692 part, a base of
  ``ClientProtocol``: what a frame with reserved bits set is (the first frame of
  a compressed message when the extension was negotiated; otherwise, and on a
  control or continuation frame, a violation), and how its payload is inflated.
  The parser's hot loop tests the reserved bits once, as it did before, and only
  a frame with one set comes here.
"""

from __future__ import annotations

import zlib
from collections import deque
from typing import TYPE_CHECKING, Final, final

from wsproto.extensions import Extension
from wsproto.frame_protocol import FrameDecoder, FrameProtocol, Opcode, RsvBits

from ..errors import LimitExceededError
from ._ws_deflate import EXTENSION_NAME, DeflateParameters
from ._ws_frames import (
    _BINARY,
    _CONT,
    _TEXT,
    _WHOLE_FRAME_LIMIT,
    CLOSE_INVALID_DATA,
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_PROTOCOL_ERROR,
    Message,
    _Fail,
)

# RFC 7692 section 7.2.1: the tail a sync flush ends with, removed by the sender and
# appended again by the receiver before inflating.
_TAIL: Final = b"\x00\x00\xff\xff"


# -- receiving --------------------------------------------------------------------------------


@final
class _Inflater:
    """Inflates compressed messages (RFC 7692 section 7.2.2), never past the size limit.

    ``begin()`` starts a message; ``inflate(data, final, room)`` returns the bytes
    ``data`` inflates to and raises ``_TooBig`` once they would exceed ``room``.
    Every zlib call gets ``max_length = room + 1``, so it allocates at most that
    much: ``produced`` (this message) and ``peak`` (any message) stay <= ``room + 1``.
    """

    __slots__ = (
        "_bits",
        "_history",
        "_history_size",
        "_reset",
        "_window",
        "_z",
        "consumed",
        "peak",
        "produced",
    )

    def __init__(self, window_bits: int, no_context_takeover: bool) -> None:
        # A window of 8 bits is inflated with 9: zlib writes raw 8-bit streams as 9-bit
        # ones (and refuses 8 for deflate), and a larger window reads every smaller one.
        bits = max(window_bits, 9)
        self._bits = -bits
        self._window = 1 << bits
        self._reset = no_context_takeover
        self._z: zlib._Decompress | None = None
        # With context takeover: the last window of output (references, no copies), for
        # a sender that ends a message with a final block (see begin()).
        self._history: deque[bytes] = deque()
        self._history_size = 0
        #: Compressed bytes fed and bytes produced for the current message.
        self.consumed = 0
        self.produced = 0
        #: The most bytes any message produced so far (the memory the inflater used).
        self.peak = 0

    def begin(self) -> None:
        z = self._z
        if z is None or self._reset:
            self._z = zlib.decompressobj(self._bits)
        elif z.eof:
            # RFC 7692 section 7.2.3.3: the sender ended the stream with a BFINAL block;
            # with context takeover the next message still uses the sliding window of
            # the messages before it, so the new stream starts from it.
            window = b"".join(self._history)[-self._window :]
            self._z = zlib.decompressobj(self._bits, zdict=window)
        self.consumed = 0
        self.produced = 0

    def inflate(self, data: bytes | memoryview, final: bool, room: int) -> bytes:
        z = self._z
        assert z is not None
        self.consumed += len(data)
        if final:
            data = b"".join((data, _TAIL))
        try:
            # After a final block the rest of the message (our appended tail) is unused.
            out = z.decompress(data, room + 1) if not z.eof else b""
        except zlib.error:
            raise _BadData from None
        produced = self.produced + len(out)
        self.produced = produced
        if produced > self.peak:
            self.peak = produced
        if len(out) > room:
            raise _TooBig(produced)
        if out and not self._reset:
            self._remember(out)
        return out

    def _remember(self, out: bytes) -> None:
        history = self._history
        window = self._window
        if len(out) >= window:
            history.clear()
            # A reference costs nothing; a huge message is cut so it is not held on to.
            history.append(out if len(out) <= 4 * window else out[-window:])
            self._history_size = len(history[0])
            return
        history.append(out)
        self._history_size += len(out)
        while self._history_size - len(history[0]) >= window:
            self._history_size -= len(history.popleft())


@final
class _TooBig(Exception):
    """Internal: the message inflates past the room left (``produced`` bytes so far)."""

    def __init__(self, produced: int) -> None:
        super().__init__(produced)
        self.produced = produced


@final
class _BadData(Exception):
    """Internal: the payload is not a valid DEFLATE stream."""


# -- sending ----------------------------------------------------------------------------------


@final
class _Deflater(Extension):
    """Compresses outgoing data frames inside wsproto's serializer (RFC 7692 section 7.2.1).

    Every message is sent as one frame, so each frame is a whole message: compress,
    sync-flush, drop the 4-byte tail, set RSV1. Control frames pass unchanged.
    """

    name = EXTENSION_NAME

    def __init__(self, params: DeflateParameters) -> None:
        self._bits = -params.client_max_window_bits
        self._reset = params.client_no_context_takeover
        self._level = params.level
        self._mem_level = params.mem_level
        self._z: zlib._Compress | None = None

    def offer(self) -> bool:  # not used: the offer is _OfferExtension's
        return False

    def enabled(self) -> bool:
        return True

    def frame_outbound(
        self,
        proto: FrameDecoder | FrameProtocol,
        opcode: Opcode,
        rsv: RsvBits,
        data: bytes,
        fin: bool,
    ) -> tuple[RsvBits, bytes]:
        if opcode.iscontrol():
            return rsv, data  # RFC 7692 section 6.1: control frames are never compressed
        z = self._z
        if z is None or self._reset:
            z = self._z = zlib.compressobj(self._level, zlib.DEFLATED, self._bits, self._mem_level)
        out = z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)
        # A sync flush ends with the empty stored block 00 00 ff ff; an empty message
        # leaves the single 00 octet RFC 7692 section 7.2.3.6 asks for.
        return RsvBits(True, rsv.rsv2, rsv.rsv3), out[:-4]


def _serializer(params: DeflateParameters | None) -> FrameProtocol:
    """wsproto's client frame writer, compressing data frames when deflate was agreed."""
    extensions: list[Extension] = [] if params is None else [_Deflater(params)]
    return FrameProtocol(client=True, extensions=extensions)


# -- the parser's part ------------------------------------------------------------------------


class _DeflateFrames:
    """Frames with reserved bits set, and compressed payloads (a base of ClientProtocol)."""

    # Set here, so they live here; ClientProtocol holds the rest of the parser's state.
    __slots__ = ("_frame_fin", "_frame_remaining", "_msg_compressed")

    _inflater: _Inflater | None
    _max_message_size: int
    _msg_opcode: int
    _msg_compressed: bool
    _frame_remaining: int
    _frame_fin: bool

    if TYPE_CHECKING:  # provided by ClientProtocol

        def _begin_message(self, opcode: int) -> None: ...
        def _add_chunk(
            self, chunk: bytes | memoryview, message_done: bool, out: list[Message]
        ) -> None: ...
        def _stream_payload(self, buf: bytes, pos: int, out: list[Message]) -> int: ...

    def _compressed_frame(
        self, buf: bytes, start: int, end: int, length: int, b0: int, b1: int, out: list[Message]
    ) -> int:
        """A frame with reserved bits set; the position after it, or -1 while incomplete.

        RFC 7692 section 6: permessage-deflate gives RSV1 to the first frame of a
        compressed data message; RSV1 on a control or continuation frame, RSV2/3,
        or RSV1 without the extension fail the connection.
        """
        if self._inflater is None or b0 & 0x30:
            raise _Fail(CLOSE_PROTOCOL_ERROR, "reserved bit set")
        if b1 & 0x80:
            raise _Fail(CLOSE_PROTOCOL_ERROR, "masked frame from server")
        opcode = b0 & 0x0F
        if opcode >= 8:
            raise _Fail(CLOSE_PROTOCOL_ERROR, "RSV1 set on a control frame")
        if opcode == _CONT:
            raise _Fail(CLOSE_PROTOCOL_ERROR, "RSV1 set on a continuation frame")
        if opcode not in (_TEXT, _BINARY):
            raise _Fail(CLOSE_PROTOCOL_ERROR, f"reserved opcode {opcode:#x}")
        if self._msg_opcode:
            raise _Fail(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
        fin = bool(b0 & 0x80)
        stop = start + length
        if stop <= end:
            payload = memoryview(buf)[start:stop]
            if fin:
                self._inflate_message(opcode, payload, out)
            else:
                self._begin_compressed(opcode)
                self._add_chunk(payload, False, out)
            return stop
        if length <= _WHOLE_FRAME_LIMIT:
            return -1
        self._begin_compressed(opcode)
        self._frame_remaining = length
        self._frame_fin = fin
        return self._stream_payload(buf, start, out)

    def _begin_compressed(self, opcode: int) -> None:
        self._begin_message(opcode)
        self._msg_compressed = True
        inflater = self._inflater
        assert inflater is not None
        inflater.begin()

    def _inflate_message(self, opcode: int, payload: memoryview, out: list[Message]) -> None:
        """A whole compressed message in one frame: inflate, then decode it at once."""
        inflater = self._inflater
        assert inflater is not None
        inflater.begin()
        data = self._inflate(payload, True, self._max_message_size)
        if opcode == _TEXT:
            try:
                out.append(data.decode())
            except UnicodeDecodeError:
                raise _Fail(CLOSE_INVALID_DATA, "invalid UTF-8 in text") from None
        else:
            out.append(data)

    def _inflate(self, chunk: bytes | memoryview, final: bool, room: int) -> bytes:
        inflater = self._inflater
        assert inflater is not None
        try:
            return inflater.inflate(chunk, final, room)
        except _TooBig as big:
            max_size = self._max_message_size
            raise _Fail(
                CLOSE_MESSAGE_TOO_BIG,
                "message too big",
                LimitExceededError(
                    limit="WebSocket message size",
                    value=max_size,
                    option="max_message_size",
                    detail=f"a compressed message inflated to more than that "
                    f"({big.produced} bytes when inflating stopped)",
                ),
            ) from None
        except _BadData:
            raise _Fail(CLOSE_PROTOCOL_ERROR, "invalid permessage-deflate data") from None
