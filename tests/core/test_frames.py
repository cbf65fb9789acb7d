"""Reading socket frames: whatever a client sends gives a JSON object or a BadFrame with an
application close code (4000-4999), never an exception a consumer would die of."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import realtime
from core.frames import BadFrame, _depth, frame_read

MAX = 4096


@pytest.mark.parametrize(
    ("text", "data", "code"),
    [
        (None, b"\x00\x01", realtime.CLOSE_UNSUPPORTED_DATA),
        ("x" * (MAX + 1), None, realtime.CLOSE_MESSAGE_TOO_BIG),
        ("é" * (MAX // 2 + 1), None, realtime.CLOSE_MESSAGE_TOO_BIG),  # bytes, not characters
        ("[" * 30000, None, realtime.CLOSE_MESSAGE_TOO_BIG),
        ("[" * 3000, None, realtime.CLOSE_INVALID_FRAME),
        ('{"a":' * 20 + "1" + "}" * 20, None, realtime.CLOSE_INVALID_FRAME),
        ('{"type": "chat", "text": "\ud800"}', None, realtime.CLOSE_INVALID_FRAME),
        ('{"type": "chat", "text": "\\ud800"}', None, realtime.CLOSE_INVALID_FRAME),
        ("not json", None, realtime.CLOSE_INVALID_FRAME),
        ("[1, 2]", None, realtime.CLOSE_INVALID_FRAME),
        ('"a string"', None, realtime.CLOSE_INVALID_FRAME),
    ],
)
def test_bad_frames_are_refused_with_an_application_code(text, data, code):
    with pytest.raises(BadFrame) as refused:
        frame_read(text, data, max_bytes=MAX)
    assert refused.value.close_code == code
    assert 4000 <= refused.value.close_code <= 4999


def test_brackets_inside_strings_do_not_count_as_depth():
    text = json.dumps({"type": "chat", "text": "[[[[[[[[[[[[[[[[[[[[{{{{{{{{{"})
    assert frame_read(text, None, max_bytes=MAX)["text"].startswith("[[[")


def test_a_message_as_the_rooms_send_it_is_read():
    message = {
        "type": "candidate",
        "candidate": {"candidate": "candidate:1 1 udp 1 192.0.2.1 5 typ host", "sdpMid": "0"},
    }
    assert frame_read(json.dumps(message), None, max_bytes=MAX) == message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


def _read(text: str):
    """The object read, or the close code of the refusal."""
    try:
        return frame_read(text, None, max_bytes=MAX)
    except BadFrame as refused:
        return refused.close_code


@given(st.text(max_size=5000))
def test_any_text_is_read_or_refused(text):
    result = _read(text)
    assert isinstance(result, dict) or 4000 <= result <= 4999


@given(json_values)
def test_any_json_is_read_or_refused(value):
    result = _read(json.dumps(value))
    if isinstance(result, dict):
        assert result == value
    else:  # not an object, or too big or too deep for a socket
        assert 4000 <= result <= 4999


@given(st.binary(max_size=200))
def test_any_binary_frame_is_refused(data):
    with pytest.raises(BadFrame):
        frame_read(None, data, max_bytes=MAX)


@pytest.mark.parametrize(("depth", "read"), [(8, True), (9, False)])
def test_the_deepest_frame_read_is_eight_deep(depth, read):
    text = '{"a":' * depth + "1" + "}" * depth
    assert isinstance(_read(text), dict) is read


@given(st.text(alphabet='[]{}"\\ab:,1', max_size=60))
def test_a_frame_is_never_deeper_than_the_brackets_it_holds(text):
    """What lets ``frame_read`` skip the walk for a frame of few brackets."""
    assert _depth(text) <= text.count("{") + text.count("[")
