"""Reading a WebSocket frame from a browser, safely, before any consumer looks at it.

A socket must never crash on what a client sends: a binary frame, a frame too big, JSON nested
thousands deep (``json.loads`` recurses: ``"[" * 30000`` is a RecursionError) or text with a
lone surrogate (``"\\ud800"``, which cannot be encoded, so it would crash whatever stores it).
``frame_read`` turns any of those into a ``BadFrame`` with the close code to answer, and gives
back a JSON object otherwise.
"""

import json
from dataclasses import dataclass

from core.realtime import CLOSE_INVALID_FRAME, CLOSE_MESSAGE_TOO_BIG, CLOSE_UNSUPPORTED_DATA

MAX_DEPTH = 8  # the deepest message any socket of the platform expects is 3


@dataclass(frozen=True)
class BadFrame(Exception):
    close_code: int
    reason: str  # for the log: which rule, never the content


def _depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (strings and escapes skipped), read
    without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_lone_surrogates(value) -> None:
    if isinstance(value, str):
        value.encode("utf-8")  # UnicodeEncodeError on a lone surrogate
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_lone_surrogates(key)
            _no_lone_surrogates(item)
    elif isinstance(value, list):
        for item in value:
            _no_lone_surrogates(item)


def frame_read(
    text_data: str | None, bytes_data: bytes | None, *, max_bytes: int, max_depth: int = MAX_DEPTH
) -> dict:
    """The JSON object a client sent, or ``BadFrame`` saying which rule it broke."""
    if text_data is None:
        raise BadFrame(CLOSE_UNSUPPORTED_DATA, "binary frame")
    if len(text_data) > max_bytes:
        raise BadFrame(CLOSE_MESSAGE_TOO_BIG, "too big")
    try:
        size = len(text_data.encode("utf-8"))
    except UnicodeEncodeError:
        raise BadFrame(CLOSE_INVALID_FRAME, "invalid unicode") from None
    if size > max_bytes:
        raise BadFrame(CLOSE_MESSAGE_TOO_BIG, "too big")
    # No deeper than the brackets it holds (those in strings counted too): most frames hold
    # two or three, and are not walked character by character.
    brackets = text_data.count("{") + text_data.count("[")
    if brackets > max_depth and _depth(text_data) > max_depth:
        raise BadFrame(CLOSE_INVALID_FRAME, "nested too deep")
    try:
        content = json.loads(text_data)
        _no_lone_surrogates(content)  # "\ud800" escaped in JSON decodes to a lone surrogate
    except (ValueError, RecursionError, UnicodeEncodeError):
        raise BadFrame(CLOSE_INVALID_FRAME, "not JSON") from None
    if not isinstance(content, dict):
        raise BadFrame(CLOSE_INVALID_FRAME, "not an object")
    return content
