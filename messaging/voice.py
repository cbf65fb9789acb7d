"""What a voice message's file really is, read from its bytes: Opus in WebM (what Chromium's
MediaRecorder writes) or in Ogg (Firefox's), and how long it lasts.

Pure functions, no Django. The duration is never the browser's word: a WebM file says it in its
Segment Info (``Duration``) when the muxer knew it, which MediaRecorder's live muxer does not
(its Segment and Clusters have an unknown size, and no Duration), so it is read from the last
block's time plus that block's own length; an Ogg file says it in its last page's granule
position (48 kHz samples, less the encoder's pre-skip). The work is bounded by the file's size
(the caller bounds that) and by a count of elements read.

``with_duration`` writes the Duration read into a WebM file that has none: Chromium plays a
file without one as of unknown length (``Infinity``) and scrubbing does not work; with it, it
does. ``AudioUnreadable`` is the one error: anything that is not Opus in one of those
containers, or is damaged.
"""

import struct
from dataclasses import dataclass

WEBM = "audio/webm"
OGG = "audio/ogg"
EXTENSIONS = {WEBM: ".webm", OGG: ".ogg"}

_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_OGG_MAGIC = b"OggS"

# A file of a few MB holds some tens of thousands of elements or pages; far beyond is not a
# voice message (or is built to make the parser work).
MAX_ELEMENTS = 400_000
MAX_PAGES = 100_000


class AudioUnreadable(ValueError):
    """Not Opus audio in WebM or Ogg, or damaged. ``code``: ``not_audio`` or ``damaged``."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code


@dataclass(frozen=True)
class AudioFile:
    content_type: str  # WEBM or OGG
    duration: float  # seconds, read from the file


def sniff(data: bytes) -> str | None:
    """WEBM or OGG from the first bytes (the container only), None for anything else."""
    if data.startswith(_EBML_MAGIC):
        return WEBM
    if data.startswith(_OGG_MAGIC):
        return OGG
    return None


def inspect(data: bytes) -> AudioFile:
    """The container and the duration of a voice message's bytes, or ``AudioUnreadable``."""
    content_type = sniff(data)
    if content_type == WEBM:
        return AudioFile(WEBM, _WebM(data).duration())
    if content_type == OGG:
        return AudioFile(OGG, _ogg_duration(data))
    raise AudioUnreadable("not_audio")


def minutes_seconds(seconds: float) -> str:
    """A length as m:ss (1:05), in whole seconds counted down as the browser's player and the
    recorder's timer count them (2.6 s is 0:02 beside a player that says 0:02); a recording
    shorter than a second is 0:01, not 0:00."""
    whole = max(0, int(seconds))
    if seconds > 0:
        whole = max(whole, 1)
    return f"{whole // 60}:{whole % 60:02d}"


# --- WebM (Matroska's EBML) ----------------------------------------------------------------------

_SEGMENT = 0x18538067
_SEEK_HEAD = 0x114D9B74
_INFO = 0x1549A966
_TIMECODE_SCALE = 0x2AD7B1
_DURATION = 0x4489
_TRACKS = 0x1654AE6B
_TRACK_ENTRY = 0xAE
_TRACK_NUMBER = 0xD7
_TRACK_TYPE = 0x83
_CODEC_ID = 0x86
_CLUSTER = 0x1F43B675
_CLUSTER_TIMECODE = 0xE7
_SIMPLE_BLOCK = 0xA3
_BLOCK_GROUP = 0xA0
_BLOCK = 0xA1
_BLOCK_DURATION = 0x9B
_DOC_TYPE = 0x4282
# What may follow a Cluster of unknown size in a Segment: it ends where one of them starts.
_SEGMENT_CHILDREN = {
    _SEEK_HEAD,
    _INFO,
    _TRACKS,
    _CLUSTER,
    0x1C53BB6B,  # Cues
    0x1941A469,  # Attachments
    0x1043A770,  # Chapters
    0x1254C367,  # Tags
}
_AUDIO_TRACK = 2


@dataclass
class _Element:
    id: int
    start: int  # of its header
    data: int  # of its content
    end: int | None  # None: unknown size (a live muxer's Segment or Cluster)


class _WebM:
    def __init__(self, data: bytes):
        self.data = data
        self.elements = 0
        self.scale = 1_000_000  # nanoseconds per timecode unit (the default)
        self.declared: float | None = None  # Info's Duration, in timecode units
        self.opus_tracks: set[int] = set()
        self.last_end = -1.0  # in timecode units: the end of the latest block seen
        self.info: _Element | None = None
        self.segment: _Element | None = None
        self.seek_head = False

    # EBML variable-length integers: an element id keeps its length marker, a size does not.
    def _vint(self, at: int, *, keep_marker: bool) -> tuple[int, int, bool]:
        if at >= len(self.data):
            raise AudioUnreadable("damaged", "cut short")
        first = self.data[at]
        length = 9 - first.bit_length() if first else 9
        if length > 8 or at + length > len(self.data):
            raise AudioUnreadable("damaged", "bad variable-length integer")
        value = first if keep_marker else first & (0xFF >> length)
        for byte in self.data[at + 1 : at + length]:
            value = (value << 8) | byte
        unknown = not keep_marker and value == (1 << (7 * length)) - 1
        return value, at + length, unknown

    def _element(self, at: int, limit: int) -> _Element:
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise AudioUnreadable("damaged", "too many elements")
        ident, at_size, _ = self._vint(at, keep_marker=True)
        size, data, unknown = self._vint(at_size, keep_marker=False)
        if unknown:
            return _Element(ident, at, data, None)
        end = data + size
        if end > limit:
            raise AudioUnreadable("damaged", "element past its parent")
        return _Element(ident, at, data, end)

    def _children(self, parent_start: int, parent_end: int):
        at = parent_start
        while at < parent_end:
            element = self._element(at, parent_end)
            yield element
            if element.end is None:
                return  # the caller reads it and goes on from where it ends
            at = element.end

    def _uint(self, element: _Element) -> int:
        assert element.end is not None
        raw = self.data[element.data : element.end]
        if len(raw) > 8:
            raise AudioUnreadable("damaged", "integer too long")
        return int.from_bytes(raw, "big")

    def _float(self, element: _Element) -> float:
        raw = self.data[element.data : element.end]
        if len(raw) == 4:
            return struct.unpack(">f", raw)[0]
        if len(raw) == 8:
            return struct.unpack(">d", raw)[0]
        raise AudioUnreadable("damaged", "bad float")

    def duration(self) -> float:
        size = len(self.data)
        header = self._element(0, size)
        if header.end is None:
            raise AudioUnreadable("damaged", "EBML header of unknown size")
        doc_type = b""
        for child in self._children(header.data, header.end):
            if child.id == _DOC_TYPE and child.end is not None:
                doc_type = self.data[child.data : child.end].rstrip(b"\x00")
        if doc_type not in (b"webm", b"matroska"):
            raise AudioUnreadable("not_audio", "not a WebM document")
        segment = self._element(header.end, size)
        if segment.id != _SEGMENT:
            raise AudioUnreadable("damaged", "no Segment")
        self.segment = segment
        self._segment(segment.data, size if segment.end is None else segment.end)
        if not self.opus_tracks:
            raise AudioUnreadable("not_audio", "no Opus audio track")
        scale = self.scale / 1e9
        if self.declared is not None and self.declared > 0:
            seconds = self.declared * scale
        else:
            seconds = max(self.last_end, 0.0) * scale
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            raise AudioUnreadable("damaged", "duration is not a number")
        return seconds

    def _segment(self, start: int, end: int) -> None:
        at = start
        while at < end:
            element = self._element(at, end)
            if element.id == _INFO and element.end is not None:
                self.info = element
                self._info(element)
            elif element.id == _SEEK_HEAD:
                self.seek_head = True
            elif element.id == _TRACKS and element.end is not None:
                self._tracks(element)
            elif element.id == _CLUSTER:
                at = self._cluster(element, end)
                continue
            if element.end is None:
                raise AudioUnreadable("damaged", "unknown size where none may be")
            at = element.end

    def _info(self, info: _Element) -> None:
        assert info.end is not None
        for child in self._children(info.data, info.end):
            if child.end is None:
                raise AudioUnreadable("damaged", "unknown size in Info")
            if child.id == _TIMECODE_SCALE:
                self.scale = self._uint(child)
                if not 1 <= self.scale <= 10**10:
                    raise AudioUnreadable("damaged", "bad timecode scale")
            elif child.id == _DURATION:
                self.declared = self._float(child)

    def _tracks(self, tracks: _Element) -> None:
        assert tracks.end is not None
        for entry in self._children(tracks.data, tracks.end):
            if entry.end is None:
                raise AudioUnreadable("damaged", "unknown size in Tracks")
            if entry.id != _TRACK_ENTRY:
                continue
            number, kind, codec = 0, 0, b""
            for child in self._children(entry.data, entry.end):
                if child.end is None:
                    raise AudioUnreadable("damaged", "unknown size in a track")
                if child.id == _TRACK_NUMBER:
                    number = self._uint(child)
                elif child.id == _TRACK_TYPE:
                    kind = self._uint(child)
                elif child.id == _CODEC_ID:
                    codec = self.data[child.data : child.end]
            if kind == _AUDIO_TRACK and codec == b"A_OPUS" and number:
                self.opus_tracks.add(number)

    def _cluster(self, cluster: _Element, segment_end: int) -> int:
        """Read a Cluster's blocks; where the next element of the Segment starts."""
        end = segment_end if cluster.end is None else cluster.end
        timecode = 0
        at = cluster.data
        while at < end:
            element = self._element(at, end)
            if cluster.end is None and element.id in _SEGMENT_CHILDREN:
                return at  # a Cluster of unknown size ends where the next one starts
            if element.end is None:
                raise AudioUnreadable("damaged", "unknown size in a Cluster")
            if element.id == _CLUSTER_TIMECODE:
                timecode = self._uint(element)
            elif element.id == _SIMPLE_BLOCK:
                self._block(element.data, element.end, timecode, None)
            elif element.id == _BLOCK_GROUP:
                self._block_group(element, timecode)
            at = element.end
        return end

    def _block_group(self, group: _Element, timecode: int) -> None:
        assert group.end is not None
        block, length = None, None
        for child in self._children(group.data, group.end):
            if child.end is None:
                raise AudioUnreadable("damaged", "unknown size in a BlockGroup")
            if child.id == _BLOCK:
                block = child
            elif child.id == _BLOCK_DURATION:
                length = self._uint(child)
        if block is not None and block.end is not None:
            self._block(block.data, block.end, timecode, length)

    def _block(self, start: int, end: int, timecode: int, length: int | None) -> None:
        track, at, _ = self._vint(start, keep_marker=False)
        if at + 3 > end:
            raise AudioUnreadable("damaged", "block cut short")
        if track not in self.opus_tracks:
            return
        relative = struct.unpack(">h", self.data[at : at + 2])[0]
        begins = timecode + relative
        if length is None:
            # The block's own length, from its Opus packet (assumed unlaced, as muxers write).
            samples = opus_packet_samples(self.data[at + 3 : end])
            length_units = samples / 48_000 * 1e9 / self.scale
        else:
            length_units = length
        self.last_end = max(self.last_end, begins + length_units)


def with_duration(data: bytes, seconds: float) -> bytes:
    """The WebM file with ``seconds`` written as its Segment Info's Duration, when it has none
    (what a player needs to show the length and to seek); the file as it is otherwise. Only
    where nothing refers to byte positions after Info (no SeekHead) and the Segment's size is
    unknown or rewritten with it."""
    webm = _WebM(data)
    webm.duration()
    info, segment = webm.info, webm.segment
    if webm.declared is not None or info is None or segment is None or webm.seek_head:
        return data
    assert info.end is not None
    content = data[info.data : info.end]
    content += b"\x44\x89\x88" + struct.pack(">d", seconds * 1e9 / webm.scale)
    new_info = b"\x15\x49\xa9\x66" + _size(len(content)) + content
    grown = len(new_info) - (info.end - info.start)
    head = data[: info.start]
    if segment.end is not None:
        segment_size = segment.end - segment.data + grown
        id_end = segment.start + 4
        head = data[:id_end] + _size(segment_size, width=8) + data[segment.data : info.start]
    return head + new_info + data[info.end :]


def _size(value: int, width: int | None = None) -> bytes:
    """An EBML element size, on ``width`` bytes or the fewest that hold it."""
    if width is None:
        width = 1
        while value >= (1 << (7 * width)) - 1:
            width += 1
    return ((1 << (7 * width)) | value).to_bytes(width, "big")


# --- Opus packets --------------------------------------------------------------------------------


def opus_packet_samples(packet: bytes) -> int:
    """How many 48 kHz samples an Opus packet holds, from its TOC byte (RFC 6716, 3.1)."""
    if not packet:
        return 0
    toc = packet[0]
    config = toc >> 3
    if config < 12:  # SILK: 10, 20, 40, 60 ms
        frame = (480, 960, 1920, 2880)[config % 4]
    elif config < 16:  # hybrid: 10, 20 ms
        frame = (480, 960)[config % 2]
    else:  # CELT: 2.5, 5, 10, 20 ms
        frame = (120, 240, 480, 960)[config % 4]
    code = toc & 0x03
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    else:
        if len(packet) < 2:
            raise AudioUnreadable("damaged", "Opus packet cut short")
        frames = packet[1] & 0x3F
    return frame * frames


# --- Ogg -----------------------------------------------------------------------------------------

_OGG_HEADER = struct.Struct("<4sBBqIIIB")  # magic, version, flags, granule, serial, seq, crc, n


def _ogg_duration(data: bytes) -> float:
    at, pages = 0, 0
    serial = None
    pre_skip = None
    last_granule = -1
    first_packet = b""
    while at < len(data):
        pages += 1
        if pages > MAX_PAGES:
            raise AudioUnreadable("damaged", "too many pages")
        if at + _OGG_HEADER.size > len(data):
            raise AudioUnreadable("damaged", "page cut short")
        magic, version, flags, granule, page_serial, _, _, segments = _OGG_HEADER.unpack_from(
            data, at
        )
        if magic != _OGG_MAGIC or version != 0:
            raise AudioUnreadable("damaged", "not an Ogg page")
        table_start = at + _OGG_HEADER.size
        if table_start + segments > len(data):
            raise AudioUnreadable("damaged", "page cut short")
        body_size = sum(data[table_start : table_start + segments])
        body_start = table_start + segments
        if body_start + body_size > len(data):
            raise AudioUnreadable("damaged", "page cut short")
        if serial is None:
            if not flags & 0x02:
                raise AudioUnreadable("damaged", "no beginning of stream")
            serial = page_serial
            first_packet = data[body_start : body_start + body_size]
            if not first_packet.startswith(b"OpusHead") or len(first_packet) < 19:
                raise AudioUnreadable("not_audio", "not Opus")
            pre_skip = struct.unpack_from("<H", first_packet, 10)[0]
        elif page_serial != serial:
            raise AudioUnreadable("not_audio", "more than one stream")
        if granule != -1:
            last_granule = granule
        at = body_start + body_size
    assert pre_skip is not None
    if last_granule < 0:
        return 0.0
    return max(last_granule - pre_skip, 0) / 48_000
