"""Does permessage-deflate pay on the Gateway realtime paths? Bytes and CPU per message.

The realtime session's traffic, message by message as the Gateway protocol
shapes it:

* received ``audio-delta`` events: base64 PCM16 mono 24 kHz, in chunks of 20,
  100 and 500 ms;
* received ``audio-transcript-delta`` / ``text-delta`` events (a few words each);
* sent ``input-audio-append`` events: base64 microphone audio, 20 and 100 ms.

For each: the payload bytes on the wire uncompressed and compressed (one zlib
stream over the whole sequence, context takeover, as a session would run), and
the client's CPU per message, sans-IO (``ClientProtocol.receive_data`` on the
frames, ``send_text`` for the sent events), compressed against uncompressed:
the best of several repeats of ``time.process_time`` over the sequence.

Audio: speech from ``espeak-ng`` when it is installed (resampled to 24 kHz),
else a synthetic voiced signal (harmonics under formants, syllable envelopes,
pauses); each also with a noise floor at about -60 dBFS, as a real microphone
or a codec's output has (synthetic speech with digital silence between words is
the most compressible case there is).

Run: ``python -m benchmarks.measure_realtime_deflate`` (prints a Markdown table).
"""

from __future__ import annotations

import array
import base64
import json
import math
import random
import shutil
import subprocess
import sys
import tempfile
import time
import wave
import zlib
from collections.abc import Callable
from pathlib import Path

from partstream.transports._ws_protocol import ClientProtocol
from partstream.transports.websocket import DeflateParameters

RATE = 24_000
SENTENCES = (
    "Hello, this is the realtime assistant. The weather in Paris today is sunny with a "
    "light breeze, and tomorrow rain is expected in the afternoon. Would you like me to "
    "book a table for two at seven? I found three restaurants near the river; the first "
    "one has a terrace and a vegetarian menu, the second is quieter, and the third is "
    "open late. Your order of two notebooks and a pen shipped this morning."
)


def _espeak() -> list[int] | None:
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "speech.wav"
        subprocess.run([exe, "-w", str(path), SENTENCES], check=True, capture_output=True)
        with wave.open(str(path)) as w:
            rate, frames = w.getframerate(), w.readframes(w.getnframes())
    samples = array.array("h", frames)
    # Linear resampling to 24 kHz.
    n = int(len(samples) * RATE / rate)
    step = rate / RATE
    out = []
    for i in range(n):
        x = i * step
        j = int(x)
        a = samples[j]
        b = samples[j + 1] if j + 1 < len(samples) else a
        out.append(int(a + (b - a) * (x - j)))
    return out


def _synthetic(seconds: float = 12.0) -> list[int]:
    """Voiced syllables (f0 120-220 Hz, 3 formants) with pauses, deterministic."""
    rng = random.Random(3)
    out: list[int] = []
    while len(out) < seconds * RATE:
        if rng.random() < 0.2:  # a pause between words
            out.extend([0] * int(rng.uniform(0.08, 0.3) * RATE))
            continue
        f0 = rng.uniform(120, 220)
        formants = (rng.uniform(300, 800), rng.uniform(900, 2200), rng.uniform(2400, 3200))
        n = int(rng.uniform(0.12, 0.3) * RATE)
        harmonics = [
            (k * f0, sum(math.exp(-((((k * f0) - f) / 120) ** 2)) for f in formants) / k**0.5)
            for k in range(1, int(4000 / f0))
        ]
        for i in range(n):
            t = i / RATE
            env = math.sin(math.pi * i / n) ** 0.5
            v = sum(a * math.sin(2 * math.pi * f * t) for f, a in harmonics)
            out.append(int(max(-32767, min(32767, 6000 * env * v))))
    return out


def _with_noise(samples: list[int], sigma: float = 30.0) -> list[int]:
    rng = random.Random(11)
    return [max(-32768, min(32767, int(s + rng.gauss(0, sigma)))) for s in samples]


def _chunks(samples: list[int], ms: int) -> list[str]:
    pcm = array.array("h", samples).tobytes()
    size = RATE * 2 * ms // 1000
    return [base64.b64encode(pcm[i : i + size]).decode() for i in range(0, len(pcm), size)]


def _frame(payload: bytes, first: int) -> bytes:
    n = len(payload)
    if n < 126:
        return bytes((first, n)) + payload
    if n < 65536:
        return bytes((first, 126)) + n.to_bytes(2, "big") + payload
    return bytes((first, 127)) + n.to_bytes(8, "big") + payload


def _wire(messages: list[bytes]) -> tuple[bytes, bytes, int]:
    """(plain frames, compressed frames, compressed payload bytes) of the sequence."""
    z = zlib.compressobj(6, zlib.DEFLATED, -15, 8)
    plain, packed, size = [], [], 0
    for m in messages:
        data = z.compress(m) + z.flush(zlib.Z_SYNC_FLUSH)
        size += len(data) - 4
        plain.append(_frame(m, 0x81))
        packed.append(_frame(data[:-4], 0xC1))
    return b"".join(plain), b"".join(packed), size


def _best(fn: Callable[[], None], repeats: int = 7) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def _receive_cost(wire: bytes, params: DeflateParameters | None, count: int) -> float:
    def run() -> None:
        p = ClientProtocol(max_message_size=1 << 24, deflate=params)
        for i in range(0, len(wire), 256 * 1024):
            p.receive_data(wire[i : i + 256 * 1024])

    return _best(run) / count * 1e6


def _send_cost(texts: list[str], params: DeflateParameters | None) -> float:
    def run() -> None:
        p = ClientProtocol(max_message_size=1 << 24, deflate=params)
        for t in texts:
            p.send_text(t)

    return _best(run) / len(texts) * 1e6


def _sent_bytes(texts: list[str], params: DeflateParameters) -> int:
    """Payload bytes of the client's compressed frames (headers and masks left out)."""
    p = ClientProtocol(max_message_size=1 << 24, deflate=params)
    total = 0
    for t in texts:
        frame = p.send_text(t)
        length = frame[1] & 0x7F
        total += len(frame) - 6 - (2 if length == 126 else 8 if length == 127 else 0)
    return total


def _events(kind: str, chunks: list[str]) -> list[str]:
    if kind == "input-audio-append":
        return [json.dumps({"type": kind, "audio": c}, separators=(",", ":")) for c in chunks]
    return [
        json.dumps(
            {"type": kind, "responseId": "resp_7f3a", "itemId": "item_19c2", "delta": c},
            separators=(",", ":"),
        )
        for c in chunks
    ]


def rows() -> list[dict[str, object]]:
    speech = _espeak()
    sources = {"espeak-ng speech" if speech else "synthetic speech": speech or _synthetic()}
    base = next(iter(sources.values()))
    sources["same + noise floor -60 dBFS"] = _with_noise(base)
    words = SENTENCES.split()
    transcript = _events("audio-transcript-delta", [w + " " for w in words] * 20)
    result: list[dict[str, object]] = []
    deflate = DeflateParameters(level=6, mem_level=5)
    cases: list[tuple[str, str, list[str]]] = []
    for source, samples in sources.items():
        for ms in (20, 100, 500):
            events = _events("audio-delta", _chunks(samples, ms))
            cases.append((f"receive audio-delta {ms} ms ({source})", "in", events))
        for ms in (20, 100):
            events = _events("input-audio-append", _chunks(samples, ms))
            cases.append((f"send input-audio-append {ms} ms ({source})", "out", events))
    cases.append(("receive audio-transcript-delta (a word each)", "in", transcript))
    for name, direction, texts in cases:
        encoded = [t.encode() for t in texts]
        plain_bytes = sum(len(e) for e in encoded)
        if direction == "in":
            plain_wire, packed_wire, packed_bytes = _wire(encoded)
            plain_us = _receive_cost(plain_wire, None, len(texts))
            packed_us = _receive_cost(packed_wire, deflate, len(texts))
        else:
            packed_bytes = _sent_bytes(texts, deflate)
            plain_us = _send_cost(texts, None)
            packed_us = _send_cost(texts, deflate)
        result.append(
            {
                "path": name,
                "messages": len(texts),
                "bytes/message": round(plain_bytes / len(texts)),
                "compressed bytes/message": round(packed_bytes / len(texts)),
                "saved": f"{1 - packed_bytes / plain_bytes:.0%}",
                "CPU µs/message plain": round(plain_us, 1),
                "CPU µs/message deflate": round(packed_us, 1),
                "CPU ratio": round(packed_us / plain_us, 1),
                "µs per KiB saved": round(
                    (packed_us - plain_us)
                    / max((plain_bytes - packed_bytes) / len(texts), 1)
                    * 1024,
                    1,
                ),
            }
        )
    return result


def main() -> int:
    table = rows()
    keys = list(table[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in table:
        print("| " + " | ".join(str(r[k]) for k in keys) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
