"""When no therapist can see someone at all (their country and languages), they are told before
signing up, may join the waiting list, and are emailed once when a therapist who can see them is
approved; staff see who waits, by country and language."""

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
import time_machine
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from matching import services, tasks
from matching.models import Intake, MatchRequest, Offer
from tests.factories import PASSWORD, TherapistFactory
from tests.factories.accounts import signup_consents
from tests.factories.matching import IntakeFactory, MatchRequestFactory, make_eligible
from tests.helpers import client_for, link_in, outbox_to, run_together

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
# The questionnaire of someone French living in Japan, step by step.
ANSWERS = {
    "concerns": {"concerns": "anxiety", "in_danger": "no"},
    "goals": {"previous_therapy": "never"},
    "phq9": {f"q{n}": "1" for n in range(1, 9)} | {"q9": "0"},
    "gad7": {f"q{n}": "1" for n in range(1, 8)},
    "preferences": {},
    "place": {
        "language_1": "fr",
        "country": "JP",
        "home_country": "FR",
        "time_zone": "Asia/Tokyo",
    },
    "practical": {"modality": "video"},
    "nickname": {"nickname": "Camille"},
}


def answer_all(client: Client, place: dict | None = None) -> None:
    for step, answers in ANSWERS.items():
        if step == "place" and place is not None:
            answers = answers | place
        response = client.post(reverse("intake_step", args=[step]), answers)
        assert response.status_code == 302, response.text


@pytest.fixture
def waiting(patient, django_capture_on_commit_callbacks) -> MatchRequest:
    """The named patient, French, living in Japan, on the waiting list since NOW."""
    intake = cast(
        Intake, IntakeFactory(patient=patient, country="JP", home_country="FR", created_at=NOW)
    )
    with django_capture_on_commit_callbacks(execute=True):
        request = services.match_request_open(patient=patient, intake=intake, now=NOW)
    assert request is not None
    return request


# --- Told before signing up ---------------------------------------------------------------------


def test_the_last_step_says_honestly_that_nobody_can_see_them_yet():
    visitor = Client()
    answer_all(visitor)

    page = visitor.get(reverse("intake_done"))

    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "No therapist here can see you yet" in text
    assert "lives where you do (Japan) and speaks French" in text
    assert "Create my account and join the waiting list" in text
    assert "you will hear from us within 24 hours" not in text  # no promise it cannot keep
    numbers = page.text[page.text.index('id="numbers-heading"') :]
    assert numbers.index('href="tel:119"') < numbers.index('href="tel:112"')  # Japan, then France


def test_the_last_step_promises_24_hours_when_someone_can_see_them(therapist):
    make_eligible(therapist, licensed_countries=["JP"])
    visitor = Client()
    answer_all(visitor)

    page = visitor.get(reverse("intake_done")).text

    assert "No therapist here can see you yet" not in page
    assert "you will hear from us within 24 hours" in page


def test_without_a_home_country_the_page_suggests_giving_one():
    visitor = Client()
    answer_all(visitor, place={"home_country": ""})

    page = visitor.get(reverse("intake_done")).text

    assert "tell us the country you come from" in page
    assert reverse("intake_step", args=["place"]) in page


def test_signing_up_puts_them_on_the_waiting_list(django_capture_on_commit_callbacks):
    visitor = Client()
    answer_all(visitor)
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(
            reverse("signup_patient"),
            {
                "nickname": "Camille",
                "email": "camille@example.test",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "time_zone": "Asia/Tokyo",
            }
            | signup_consents(),
        )

    request = MatchRequest.objects.get(patient__email="camille@example.test")
    assert request.status == MatchRequest.Status.OPEN
    assert request.waiting_since is not None
    assert request.intake.home_country.code == "FR"
    assert not Offer.objects.exists()


def test_a_logged_in_patient_joins_the_waiting_list_and_is_told(patient_client):
    answer_all(patient_client)

    response = patient_client.post(reverse("intake_submit"), follow=True)

    assert "you are on the waiting list" in response.text
    assert MatchRequest.objects.get().waiting_since is not None


def test_the_search_status_says_waiting_list_not_a_deadline(waiting):
    html = render_to_string("matching/_search_status.html", {"request": waiting})

    assert "You are on our waiting list" in html
    assert "at the latest" not in html


# --- Released, with one email ------------------------------------------------------------------


def test_no_24_hour_escalation_for_someone_on_the_waiting_list(waiting, staff):
    counts = services.matching_sweep(now=NOW + timedelta(days=3))

    assert counts["escalated"] == 0
    assert mail.outbox == []


def test_approving_a_therapist_who_can_see_them_releases_them_with_one_email(
    waiting, patient, staff, django_capture_on_commit_callbacks
):
    applicant = TherapistFactory(
        therapist_profile__vetting_status="submitted",
        therapist_profile__languages=["fr"],
        therapist_profile__modalities=["video"],
        therapist_profile__credentials=True,
        therapist_profile__credentials__licensed_countries=["JP"],
    )
    later = NOW + timedelta(days=5)

    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        account_services.therapist_vetting_decide(
            profile=applicant.therapist_profile,
            action="approve",
            actor=staff,
            reason="Credentials checked.",
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.matching_sweep(now=later + timedelta(minutes=1))["released"] == 0

    waiting.refresh_from_db()
    assert waiting.waiting_since is None
    assert waiting.deadline == later + timedelta(hours=24)  # the promise starts now
    assert waiting.offers.get().therapist == applicant.therapist_profile
    [email] = outbox_to(patient.email)
    assert "A therapist who may see you has joined" in email.subject
    assert "Japan" not in email.body
    assert "anxiety" not in email.body.lower()
    assert link_in(email.body, reverse("home")) == reverse("home")


def test_the_sweep_releases_them_when_a_therapist_changes_their_countries(
    waiting, patient, therapist, django_capture_on_commit_callbacks
):
    profile = make_eligible(therapist, licensed_countries=["DE"])
    with django_capture_on_commit_callbacks(execute=True):
        assert services.matching_sweep(now=NOW + timedelta(minutes=1))["released"] == 0
    profile.licensed_countries = ["DE", "JP"]
    profile.save()

    with django_capture_on_commit_callbacks(execute=True):
        counts = services.matching_sweep(now=NOW + timedelta(minutes=2))

    assert counts["released"] == 1
    assert counts["offered"] == 0
    assert waiting.offers.get().therapist == profile
    assert len(outbox_to(patient.email)) == 1


def test_nobody_is_released_while_nobody_can_see_them(waiting, therapist):
    make_eligible(therapist)  # France only, no opt-in

    assert services.waiting_list_release(now=NOW + timedelta(hours=1)) == 0
    waiting.refresh_from_db()
    assert waiting.waiting_since == NOW


@pytest.mark.django_db(transaction=True)
def test_two_releases_at_once_email_each_patient_once(therapist):
    patients = [MatchRequestFactory(intake__country="JP", waiting_since=NOW) for _ in range(4)]
    make_eligible(therapist, licensed_countries=["JP"])

    results = run_together([services.waiting_list_release] * 2)

    assert sum(results) == len(patients)
    for request in patients:
        assert len(outbox_to(request.patient.email)) == 1


def test_the_release_task_is_what_approval_queues(waiting, therapist):
    make_eligible(therapist, licensed_countries=["JP"])

    assert tasks.release_waiting_list.delay().get() == 1


# --- Staff -------------------------------------------------------------------------------------


def test_staff_see_waiting_patients_by_country_and_language(waiting, staff_client, other_patient):
    MatchRequestFactory(patient=other_patient, intake__languages=["de"], intake__country="DE")
    url = reverse("admin:matching_waitingpatient_changelist")

    page = staff_client.get(url)
    assert page.status_code == 200
    assert "Robin" in page.text  # the waiting patient
    assert "Kim" not in page.text  # searching, not waiting
    assert "Japan" in page.text
    assert "France" in page.text

    assert "Robin" in staff_client.get(url + "?language=fr").text
    assert "Robin" not in staff_client.get(url + "?language=de").text
    assert "Robin" in staff_client.get(url + "?intake__country=JP").text


def test_the_waiting_list_is_for_staff_only(waiting, patient, therapist):
    url = reverse("admin:matching_waitingpatient_changelist")
    for outsider in (patient, therapist):
        assert client_for(outsider).get(url).status_code == 302  # to the admin's login
