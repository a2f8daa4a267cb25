"""A sans-IO permessage-deflate sender and receiver for the tests (the server's side).

``ServerDeflater`` writes compressed server frames (RFC 7692 section 7.2.1) the
way a server with the given settings would: one zlib stream across messages
with context takeover, a fresh one per message without; a message can be split
into any number of frames (RSV1 only on the first), sent uncompressed (RSV1
clear), or ended with a final (BFINAL) block. ``ServerInflater`` reads the
client's frames back.
"""

from __future__ import annotations

import struct
import zlib

from tests.transports._ws_peers import frame, unmask

TAIL = b"\x00\x00\xff\xff"


def bomb(gib: int = 1) -> bytes:
    """``gib`` GiB of zeros as one raw DEFLATE stream of about 1 MiB per GiB.

    Built from one sync-flushed MiB repeated: each copy is byte-aligned, holds no
    final block and refers only to itself, so the copies concatenate into a valid
    stream (built in milliseconds instead of compressing a GiB).
    """
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = z.compress(bytes(1 << 20)) + z.flush(zlib.Z_SYNC_FLUSH)
    return segment * (1024 * gib)


class ServerDeflater:
    def __init__(self, *, window_bits: int = 15, no_context_takeover: bool = False) -> None:
        self.window_bits = window_bits
        self.no_context_takeover = no_context_takeover
        self._z = self._new()
        self._history = b""  # every byte compressed so far (tests send little)

    def _new(self, zdict: bytes = b"") -> zlib._Compress:
        bits = -max(self.window_bits, 9)
        if zdict:
            return zlib.compressobj(6, zlib.DEFLATED, bits, zdict=zdict)
        return zlib.compressobj(6, zlib.DEFLATED, bits)

    def compress(self, data: bytes, *, final_block: bool = False) -> bytes:
        """The payload of one compressed message (the sync-flush tail removed)."""
        if self.no_context_takeover:
            self._z = self._new()
        self._history += data
        if final_block:
            # RFC 7692 section 7.2.3.3: a BFINAL block ends the stream; with context
            # takeover the next stream starts from the same sliding window.
            out = self._z.compress(data) + self._z.flush(zlib.Z_FINISH)
            window = self._history[-(1 << max(self.window_bits, 9)) :]
            self._z = self._new(b"" if self.no_context_takeover else window)
            return out
        out = self._z.compress(data) + self._z.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(TAIL)
        return out[:-4]

    def message(
        self,
        message: str | bytes,
        *,
        cuts: list[int] | tuple[int, ...] = (),
        compressed: bool = True,
        final_block: bool = False,
    ) -> bytes:
        """The frames of one message: its payload cut at ``cuts`` (RSV1 on the first)."""
        opcode = 0x1 if isinstance(message, str) else 0x2
        raw = message.encode() if isinstance(message, str) else message
        payload = self.compress(raw, final_block=final_block) if compressed else raw
        points = sorted({c for c in cuts if 0 < c < len(payload)})
        pieces = [payload[a:b] for a, b in zip([0, *points], [*points, len(payload)], strict=True)]
        frames = []
        for i, piece in enumerate(pieces):
            frames.append(
                frame(
                    opcode if i == 0 else 0x0,
                    piece,
                    fin=i == len(pieces) - 1,
                    rsv=4 if compressed and i == 0 else 0,
                )
            )
        return b"".join(frames)


class ServerInflater:
    """Reads masked client frames, inflating the compressed ones."""

    def __init__(self, *, window_bits: int = 15, no_context_takeover: bool = False) -> None:
        self.window_bits = window_bits
        self.no_context_takeover = no_context_takeover
        self._z = zlib.decompressobj(-window_bits)

    def frames(self, data: bytes) -> list[tuple[int, int, bytes]]:
        """[(first byte, opcode, unmasked payload)] of the client frames in ``data``."""
        out = []
        while data:
            assert data[1] & 0x80, "client frames are masked"
            n, pos = data[1] & 0x7F, 2
            if n == 126:
                n, pos = struct.unpack("!H", data[2:4])[0], 4
            elif n == 127:
                n, pos = struct.unpack("!Q", data[2:10])[0], 10
            mask = data[pos : pos + 4]
            payload = unmask(data[pos + 4 : pos + 4 + n], mask)
            out.append((data[0], data[0] & 0x0F, payload))
            data = data[pos + 4 + n :]
        return out

    def messages(self, data: bytes) -> list[str | bytes]:
        """The client's single-frame messages, inflated when RSV1 says so."""
        result: list[str | bytes] = []
        for first, opcode, payload in self.frames(data):
            assert first & 0x80, "the client sends each message as one frame"
            if opcode >= 8:
                assert not first & 0x40, "RSV1 on a control frame"
                continue
            if first & 0x40:
                if self.no_context_takeover:
                    self._z = zlib.decompressobj(-self.window_bits)
                payload = self._z.decompress(payload + TAIL)
            result.append(payload.decode() if opcode == 0x1 else payload)
        return result
