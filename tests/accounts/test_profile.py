"""The profile: a patient's nickname, country, language and time zone; a therapist's
preferences; saved in place with htmx; bad input refused; each person edits only their own;
switching language, logged in or not."""

import pytest
import time_machine
from django.urls import reverse

from accounts.models import User
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

PROFILE = reverse("profile")
HTMX = {"HX-Request": "true"}


def patient_form(**overrides):
    return {
        "nickname": "Robin",
        "country": "PT",
        "language": "en",
        "time_zone": "Europe/Lisbon",
    } | overrides


def test_the_profile_needs_login(client):
    assert client.get(PROFILE).url.startswith(reverse("account_login"))


def test_a_patient_edits_their_profile(patient_client, patient):
    response = patient_client.post(PROFILE, patient_form(nickname="Robin B."))

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.patient_profile.nickname == "Robin B."
    assert patient.patient_profile.country.code == "PT"
    assert patient.time_zone == "Europe/Lisbon"


def test_htmx_saves_in_place(patient_client, patient):
    response = patient_client.post(PROFILE, patient_form(time_zone="Asia/Tokyo"), headers=HTMX)

    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<form id="profile-form"')
    assert b"Your profile is saved." in response.content
    patient.refresh_from_db()
    assert patient.time_zone == "Asia/Tokyo"


def test_a_new_language_reloads_the_whole_page_in_it(patient_client, patient):
    response = patient_client.post(PROFILE, patient_form(language="fr"), headers=HTMX)

    assert response.headers["HX-Redirect"] == PROFILE
    page = patient_client.get(PROFILE)
    assert page.headers["Content-Language"] == "fr"
    assert "Votre profil est enregistré.".encode() in page.content


@pytest.mark.parametrize(
    ("field", "value"),
    [("time_zone", "Mars/Olympus_Mons"), ("language", "xx"), ("country", "ZZ"), ("nickname", " ")],
)
def test_bad_input_is_refused_and_nothing_changes(patient_client, patient, field, value):
    before = (patient.time_zone, patient.language, patient.patient_profile.nickname)

    page = patient_client.post(PROFILE, patient_form(**{field: value}))
    fragment = patient_client.post(PROFILE, patient_form(**{field: value}), headers=HTMX)

    assert page.status_code == fragment.status_code == 422
    assert b'aria-invalid="true"' in page.content
    assert fragment.content.lstrip().startswith(b'<form id="profile-form"')
    patient.refresh_from_db()
    assert (patient.time_zone, patient.language, patient.patient_profile.nickname) == before


def test_a_therapist_has_no_nickname_to_set(therapist_client, therapist):
    page = therapist_client.get(PROFILE)
    response = therapist_client.post(PROFILE, {"language": "fr", "time_zone": "Europe/Rome"})

    assert b'name="nickname"' not in page.content
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert (therapist.language, therapist.time_zone) == ("fr", "Europe/Rome")


def test_each_person_edits_only_their_own_profile(patient, other_patient):
    client_for(other_patient).post(PROFILE, patient_form(nickname="Changed", patient=patient.pk))

    patient.refresh_from_db()
    other_patient.refresh_from_db()
    assert patient.patient_profile.nickname == "Robin"
    assert other_patient.patient_profile.nickname == "Changed"


@time_machine.travel("2026-07-01 12:00Z", tick=False)
def test_the_profile_shows_the_time_in_the_chosen_zone(patient_client, patient):
    User.objects.filter(pk=patient.pk).update(time_zone="America/New_York")

    page = patient_client.get(PROFILE)

    # Noon UTC is 8 a.m. in New York in summer.
    assert b"<time data-local-time>08:00</time> in America/New_York" in page.content


def test_switching_language_is_kept_for_a_logged_in_user(patient_client, patient):
    response = patient_client.post(
        reverse("language_set"), {"language": "fr", "next": reverse("home")}
    )

    assert response.url == reverse("home")
    patient.refresh_from_db()
    assert patient.language == "fr"
    assert patient_client.get(reverse("home")).headers["Content-Language"] == "fr"


def test_switching_language_before_logging_in_uses_a_cookie(client):
    client.post(reverse("language_set"), {"language": "fr", "next": "/"})

    assert client.get("/").headers["Content-Language"] == "fr"


def test_an_unknown_language_changes_nothing(patient_client, patient):
    patient_client.post(reverse("language_set"), {"language": "xx", "next": "/"})

    patient.refresh_from_db()
    assert patient.language == "en"


def test_switching_language_never_redirects_elsewhere(client):
    response = client.post(
        reverse("language_set"), {"language": "fr", "next": "https://evil.example/"}
    )

    assert response.url == "/"


@time_machine.travel("2026-07-01 12:00Z", tick=False)
def test_saving_a_zone_shows_the_time_in_the_new_zone_at_once(patient_client):
    response = patient_client.post(PROFILE, patient_form(time_zone="Asia/Tokyo"), headers=HTMX)

    assert b"<time data-local-time>21:00</time> in Asia/Tokyo" in response.content
