"""Small, valid Opus recordings built by hand, as the two containers browsers record them in:
WebM the way Chromium's MediaRecorder writes it (a Segment and Clusters of unknown size, no
Duration, 20 ms SimpleBlocks), or with a Duration as a file muxer writes it; and Ogg Opus the
way Firefox writes it (pages with their CRC, the last granule position giving the length). The
Opus packets are silence-sized stand-ins: what the server reads is the containers' timing and
each packet's TOC byte, never the sound. The real thing, recorded by Chromium's fake
microphone, is read in tests/e2e/test_voice_messages.py."""

import struct

# One 20 ms CELT frame (config 31, one frame), as a TOC byte and a few bytes of payload.
OPUS_20MS = bytes([31 << 3]) + b"\xff\xfe" * 4
FRAME_MS = 20


def _size(value: int, width: int | None = None) -> bytes:
    if width is None:
        width = 1
        while value >= (1 << (7 * width)) - 1:
            width += 1
    return ((1 << (7 * width)) | value).to_bytes(width, "big")


def _element(ident: bytes, payload: bytes) -> bytes:
    return ident + _size(len(payload)) + payload


UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def webm_opus(seconds: float, *, declared: float | None = None, codec: bytes = b"A_OPUS") -> bytes:
    """``seconds`` of 20 ms Opus frames in WebM, in clusters of one second. ``declared``:
    a Duration in the Segment Info (seconds), which MediaRecorder never writes."""
    header = _element(b"\x1a\x45\xdf\xa3", _element(b"\x42\x82", b"webm"))
    info = _element(b"\x2a\xd7\xb1", (1_000_000).to_bytes(3, "big"))
    if declared is not None:
        info += _element(b"\x44\x89", struct.pack(">d", declared * 1000))
    track = (
        _element(b"\xd7", b"\x01")
        + _element(b"\x83", b"\x02")
        + _element(b"\x86", codec)
        + _element(b"\x63\xa2", b"OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")
    )
    body = _element(b"\x15\x49\xa9\x66", info) + _element(
        b"\x16\x54\xae\x6b", _element(b"\xae", track)
    )
    frames = round(seconds * 1000 / FRAME_MS)
    cluster_ms = 1000
    for first in range(0, frames, cluster_ms // FRAME_MS):
        timecode = first * FRAME_MS
        cluster = _element(b"\xe7", timecode.to_bytes(4, "big"))
        for frame in range(first, min(frames, first + cluster_ms // FRAME_MS)):
            relative = frame * FRAME_MS - timecode
            block = b"\x81" + struct.pack(">h", relative) + b"\x80" + OPUS_20MS
            cluster += _element(b"\xa3", block)
        body += b"\x1f\x43\xb6\x75" + UNKNOWN_SIZE + cluster
    return header + b"\x18\x53\x80\x67" + UNKNOWN_SIZE + body


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


_CRC = _crc_table()


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) ^ _CRC[((crc >> 24) ^ byte) & 0xFF]) & 0xFFFFFFFF
    return crc


def _ogg_page(flags: int, granule: int, sequence: int, packets: list[bytes]) -> bytes:
    lacing = b""
    for packet in packets:
        lacing += b"\xff" * (len(packet) // 255) + bytes([len(packet) % 255])
    head = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, 0x5EC2E7, sequence, 0, len(lacing))
    page = head + lacing + b"".join(packets)
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


PRE_SKIP = 312


def ogg_opus(seconds: float) -> bytes:
    """``seconds`` of 20 ms Opus frames in Ogg, a second per page; the last granule position
    says the length (plus the pre-skip). ``seconds=0``: the two header pages alone."""
    opus_head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, PRE_SKIP, 48_000, 0, 0)
    vendor = b"hand-built"
    opus_tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    pages = [_ogg_page(0x02, 0, 0, [opus_head]), _ogg_page(0, 0, 1, [opus_tags])]
    frames = round(seconds * 1000 / FRAME_MS)
    per_page = 1000 // FRAME_MS
    sequence = 2
    for first in range(0, frames, per_page):
        count = min(per_page, frames - first)
        granule = PRE_SKIP + (first + count) * 960
        last = first + count >= frames
        pages.append(_ogg_page(0x04 if last else 0, granule, sequence, [OPUS_20MS] * count))
        sequence += 1
    return b"".join(pages)
