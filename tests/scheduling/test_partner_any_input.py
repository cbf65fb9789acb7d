"""No input to the couples-session forms gives a 500, and a refused one writes nothing: the
patient's invitation (any address, including none, NUL, 300,000 characters), the booking
page's partner address, and the partner's answer to the invitation (nickname, passwords, the
consent ticks, the time zone), logged out or in. Property tests (Hypothesis) with the values
of tests/inputs.py, plus addresses of every shape."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from scheduling.models import PartnerInvitation
from tests.factories.partners import PartnerFactory, invite
from tests.factories.scheduling import session_of
from tests.helpers import client_for
from tests.inputs import answers_without_error, field_values, form_data

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 10, 19, 0, tzinfo=UTC)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ADDRESSES = st.one_of(
    field_values(["sam@example.test", "patient@example.test", "therapist@example.test"]),
    st.emails().map(str),
    st.tuples(st.text(max_size=20), st.text(max_size=20)).map(lambda parts: "@".join(parts)),
)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def therapist(paris_therapist):
    return paris_therapist


@pytest.fixture
def session(match, patient, therapist):
    return session_of(patient, therapist.therapist_profile, datetime(2030, 3, 13, 9, tzinfo=UTC))


@FUZZ
@given(email=ADDRESSES, extra=form_data({"nickname": None}))
def test_no_invitation_input_gives_a_500(session, patient, email, extra):
    client = client_for(patient)
    url = reverse("session_partner_invite", kwargs={"pk": session.pk})
    response = answers_without_error(client, "post", url, {"email": email, **extra})
    if response.status_code == 302:  # invited: the next example invites afresh
        PartnerInvitation.objects.all().delete()
    else:
        assert response.status_code in (400, 422)
        assert not PartnerInvitation.objects.exists()


@FUZZ
@given(
    data=form_data(
        {
            "starts_at": ["2030-03-11T09:00:00+01:00"],
            "modality": ["video", "phone", "chat"],
            "partner_email": ["sam@example.test", "patient@example.test"],
        }
    )
)
def test_no_couples_booking_input_gives_a_500(match, patient, data):
    answers_without_error(client_for(patient), "post", reverse("book_session"), data)


@FUZZ
@given(
    data=form_data(
        {
            "nickname": ["Sam"],
            "password1": ["a good long secret"],
            "password2": ["a good long secret"],
            "time_zone": ["Europe/Paris", "Mars/Olympus"],
            "accept_privacy": None,
            "accept_terms": None,
            "accept_telehealth": None,
        }
    ),
    logged_in=st.booleans(),
)
def test_no_answer_to_an_invitation_gives_a_500(session, data, logged_in):
    _invitation, token = invite(session, email="sam@example.test", accepted=False)
    client = client_for(PartnerFactory(email="sam@example.test")) if logged_in else Client()
    if logged_in:
        client.get(reverse("partner_sessions"))  # the login's own writes, before
    url = reverse("partner_invitation", kwargs={"token": token})
    response = answers_without_error(client, "post", url, data)
    assert response.status_code in (302, 400, 422)
    PartnerInvitation.objects.all().delete()
    User.objects.filter(email="sam@example.test").delete()
