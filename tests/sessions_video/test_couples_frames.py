"""The frame parsers of a couples room's socket (issue 19, item 5), on any input: whom a frame
of the call is for (``to``: a participant id, or nobody), whom the therapist lets in, and the
frame relayed — rebuilt from its known fields, so never with a ``from`` of the client's."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions_video.consumers import addressee, admit_who, relayable


@settings(max_examples=300, deadline=None)
@given(
    content=st.dictionaries(
        st.sampled_from(["type", "to", "who", "sdp", "candidate", "from"]),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner),
            max_leaves=6,
        ),
    )
)
def test_the_frame_parsers_never_fail_but_as_they_say(content):
    message = relayable(content)
    assert message is None or "from" not in message  # never taken from the frame
    try:
        to = addressee(content)
    except ValueError:
        pass
    else:
        assert to is None or (isinstance(to, int) and to > 0)
    assert admit_who(content) in (None, "patient", "partner", "all")
