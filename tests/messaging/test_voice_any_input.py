"""No bytes sent as a voice message give anything but a refusal that says why: the parser raises
its one domain error on arbitrary input (also input that starts like WebM or Ogg, or is a real
file cut or corrupted anywhere), and the endpoint answers 200 or 422, never a 500, keeping
nothing when it refuses. Property tests."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging import voice
from messaging.models import Attachment
from tests.helpers import client_for
from tests.inputs import answers_without_error
from tests.messaging.audio_files import ogg_opus, webm_opus

REAL = [webm_opus(1.5), webm_opus(1, declared=1), ogg_opus(1.5)]


@st.composite
def damaged(draw) -> bytes:
    """A real recording cut, overwritten or grown anywhere; or bytes after a container's
    magic; or anything at all."""
    kind = draw(st.sampled_from(["cut", "flip", "magic", "any"]))
    if kind == "any":
        return draw(st.binary(max_size=400))
    if kind == "magic":
        magic = draw(st.sampled_from([b"\x1a\x45\xdf\xa3", b"OggS"]))
        return magic + draw(st.binary(max_size=400))
    data = bytearray(draw(st.sampled_from(REAL)))
    if kind == "cut":
        return bytes(data[: draw(st.integers(0, len(data)))])
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    return bytes(data)


@settings(max_examples=600, deadline=None)
@given(data=damaged())
def test_the_parser_raises_only_its_own_error(data):
    try:
        found = voice.inspect(data)
    except voice.AudioUnreadable as error:
        code = error.code
    else:
        code = ""
    if code:
        assert code in ("not_audio", "damaged")
        return
    assert found.content_type in (voice.WEBM, voice.OGG)
    assert found.duration >= 0
    if found.content_type == voice.WEBM:
        voice.with_duration(data, found.duration)  # writing it in never fails either


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=damaged())
def test_the_endpoint_never_fails_on_any_recording(conversation, patient, data):
    url = reverse("voice_send", kwargs={"pk": conversation.pk})
    before = Attachment.objects.count()
    upload = SimpleUploadedFile("voice.webm", data, content_type="audio/webm")
    response = answers_without_error(
        client_for(patient), "post", url, {"voice": upload, "client_id": str(uuid.uuid4())}
    )
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert Attachment.objects.count() == before
