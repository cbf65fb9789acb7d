"""Progress check-ins: retaking PHQ-9 and GAD-7, when one is due, the invitations, who sees what."""

import re
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from matching import selectors, services, tasks
from matching.models import CheckinInvitation, Match, SafetyFlag, ScreeningResult
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.matching import CheckinFactory, IntakeFactory, MatchFactory
from tests.helpers import client_for, link_in, outbox_to, run_together

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # the intake: PHQ-9 8 (mild), GAD-7 14 (moderate)
DUE = NOW + timedelta(days=28)
# Every item answered: PHQ-9 1 × 8 + 0 (score 8), GAD-7 2 × 7 (score 14).
ANSWERS = {f"phq9-q{n}": "1" for n in range(1, 9)} | {"phq9-q9": "0"}
ANSWERS |= {f"gad7-q{n}": "2" for n in range(1, 8)}


def match_with(patient, therapist, *, started_at=NOW) -> Match:
    return cast(
        Match,
        MatchFactory(patient=patient, therapist=therapist.therapist_profile, started_at=started_at),
    )


@pytest.fixture
def matched(patient, therapist):
    """The patient, after their intake at NOW, working with ``therapist`` since then."""
    IntakeFactory(patient=patient, created_at=NOW)
    return match_with(patient, therapist)


def checkin(patient, answers=ANSWERS, *, at):
    """Post the check-in at ``at``, logged in then (a session from today's clock would have
    expired weeks later)."""
    with time_machine.travel(at, tick=False):
        return client_for(patient).post(reverse("checkin"), answers)


def get_as(user, url, *, at) -> str:
    with time_machine.travel(at, tick=False):
        response = client_for(user).get(url)
    assert response.status_code == 200
    return response.text


# --- The check-in page -------------------------------------------------------------------------


def test_the_page_asks_both_questionnaires_one_question_per_fieldset(patient_client, matched):
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        page = patient_client.get(reverse("checkin"))
    assert page.status_code == 200
    text = page.text
    assert text.count("<fieldset") == 16  # 9 items of PHQ-9, 7 of GAD-7
    assert text.count("<legend") == 16
    assert text.count('type="radio"') == 16 * 4
    for name in ("phq9-q1", "phq9-q9", "gad7-q1", "gad7-q7"):
        assert f'name="{name}"' in text
    assert "Little interest or pleasure in doing things" in text
    assert "Feeling nervous, anxious, or on edge" in text
    assert "Over the last 2 weeks, how often have you been bothered" in text
    assert "Your therapist sees your scores" in text
    # Retaking early is allowed; the page says when the next one is due.
    assert "Your next check-in is due on Dec. 21, 2026." in text


def test_a_checkin_is_kept_as_new_results_and_shown_on_progress(patient, matched):
    taken_at = NOW + timedelta(days=28, hours=2)
    answers = ANSWERS | {"phq9-q1": "3", "gad7-q1": "0"}

    with time_machine.travel(taken_at, tick=False):
        client = client_for(patient)
        response = client.post(reverse("checkin"), answers)
        page = client.get(response.url)

    assert response.status_code == 302
    assert response.url == reverse("my_progress")
    new = ScreeningResult.objects.filter(patient=patient, intake=None)
    assert sorted(new.values_list("instrument", "score", "band", "taken_at")) == [
        ("gad7", 12, "moderate", taken_at),
        ("phq9", 10, "moderate", taken_at),
    ]
    assert new.get(instrument="phq9").answers == [3, 1, 1, 1, 1, 1, 1, 1, 0]
    assert ScreeningResult.objects.filter(patient=patient).count() == 4  # the intake's stay
    assert not SafetyFlag.objects.exists()
    assert "Your check-in is saved" in page.text
    assert page.text.count('role="img"') == 2


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (["phq9-q4"], "One question needs an answer."),
        (["phq9-q9", "gad7-q7"], "2 questions need an answer."),
        ([f"gad7-q{n}" for n in range(1, 8)], "7 questions need an answer."),
    ],
)
def test_an_incomplete_checkin_saves_nothing_and_says_what_is_missing(
    patient, matched, missing, message
):
    answers = {name: value for name, value in ANSWERS.items() if name not in missing}

    response = checkin(patient, answers, at=NOW + timedelta(days=30))

    assert response.status_code == 422
    assert message in response.text
    assert "Nothing has been saved yet" in response.text
    assert response.text.count("Please choose an answer.") == len(missing)
    assert f'href="#id_{missing[0]}_0"' in response.text  # "Go to the first one"
    assert ScreeningResult.objects.filter(patient=patient).count() == 2
    # The answers given are kept on the page, checked.
    assert re.search(r'name="phq9-q2" value="1"[^>]*checked', response.text)


@pytest.mark.parametrize("bad", [{"phq9-q3": "4"}, {"gad7-q2": "-1"}, {"phq9-q1": "often"}])
def test_an_answer_off_the_scale_saves_nothing(patient, matched, bad):
    response = checkin(patient, ANSWERS | bad, at=NOW + timedelta(days=30))
    assert response.status_code == 422
    assert "Select a valid choice" in response.text
    assert ScreeningResult.objects.filter(patient=patient).count() == 2


def test_the_service_writes_both_or_neither(patient, matched):
    with pytest.raises(ValueError, match="gad7"):
        services.checkin_record(patient=patient, phq9_answers=[1] * 9, gad7_answers=[1] * 6)
    assert ScreeningResult.objects.filter(patient=patient).count() == 2


def test_phq9_item_9_above_zero_shows_help_and_flags_the_case(
    patient_client, patient, matched, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = checkin(patient, ANSWERS | {"phq9-q9": "2"}, at=NOW + timedelta(days=29))

    assert response.url == reverse("checkin_help")
    flag = SafetyFlag.objects.get()
    assert (flag.patient, flag.reason, flag.intake) == (patient, "phq9_item9", None)
    assert ScreeningResult.objects.filter(patient=patient, intake=None).count() == 2
    alert = outbox_to(staff.email)
    assert len(alert) == 1
    assert "check-in" in alert[0].body
    for secret in ("PHQ", "Robin", patient.email, "item"):
        assert secret not in alert[0].body
    assert outbox_to(patient.email) == []
    page = patient_client.get(response.url).text
    numbers = page[page.index('id="numbers-heading"') : page.index("</section>")]
    assert 'href="tel:112"' in numbers
    assert 'href="tel:3114"' in numbers  # the patient lives in France
    assert reverse("my_progress") in page


def test_staff_see_that_a_flag_came_from_a_check_in(patient, matched, staff_client):
    checkin(patient, ANSWERS | {"phq9-q9": "3"}, at=NOW + timedelta(days=29))
    page = staff_client.get("/admin/matching/safetyflag/?reviewed=no").text
    assert "Robin" in page
    assert "a check-in" in page


def test_the_therapist_sees_a_positive_item_9_on_the_patient_page(
    therapist_client, patient, matched
):
    url = reverse("therapist_patient", kwargs={"patient_id": patient.pk})
    assert "They were shown the emergency numbers" not in therapist_client.get(url).text

    checkin(patient, ANSWERS | {"phq9-q9": "1"}, at=NOW + timedelta(days=29))

    page = therapist_client.get(url).text
    assert "They were shown the emergency numbers" in page
    assert "“Several days”" in page


def test_only_patients_check_in(client, therapist_client, staff_client, matched):
    for url in (reverse("checkin"), reverse("my_progress"), reverse("checkin_help")):
        assert therapist_client.get(url).status_code == 404
        assert staff_client.get(url).status_code == 404
        assert client.get(url).url.startswith(reverse("account_login"))
    assert therapist_client.post(reverse("checkin"), ANSWERS).status_code == 404
    assert not ScreeningResult.objects.filter(intake=None).exists()


# --- When a check-in is due --------------------------------------------------------------------


def test_a_checkin_is_due_the_interval_after_the_last_one_that_instant_included(patient, matched):
    status = selectors.checkin_status(patient=patient, now=NOW)
    assert (status.last_taken_at, status.due_at, status.is_due) == (NOW, DUE, False)
    with time_machine.travel(DUE - timedelta(microseconds=1), tick=False):
        assert selectors.checkin_due(patient=patient) is False
    with time_machine.travel(DUE, tick=False):
        assert selectors.checkin_due(patient=patient) is True


def test_the_interval_is_a_setting(patient, matched, settings):
    settings.CHECKIN_INTERVAL_DAYS = 14
    assert selectors.checkin_status(patient=patient).due_at == NOW + timedelta(days=14)
    assert settings.CHECKIN_INTERVAL_DAYS == 14


def test_the_default_interval_is_four_weeks():
    assert settings.CHECKIN_INTERVAL_DAYS == 28


def test_retaking_early_moves_the_next_due_date(patient, matched):
    early = NOW + timedelta(days=10)
    checkin(patient, at=early)

    assert selectors.checkin_status(patient=patient).due_at == early + timedelta(days=28)
    assert selectors.checkin_due(patient=patient, now=DUE) is False
    page = get_as(patient, reverse("my_progress"), at=DUE)
    assert "Your next check-in is due on Dec. 31, 2026." in page


def test_the_pages_say_when_the_checkin_is_due(patient, matched):
    before = get_as(patient, reverse("my_progress"), at=DUE - timedelta(minutes=1))
    assert "Your next check-in is due on Dec. 21, 2026." in before
    assert f'class="btn btn-outline-primary" href="{reverse("checkin")}"' in before

    progress, checkin_page = (
        get_as(patient, reverse(name), at=DUE) for name in ("my_progress", "checkin")
    )
    for page in (progress, checkin_page):
        assert "Your check-in is due: a few minutes" in page
        assert "Your next check-in is due on" not in page
    assert f'class="btn btn-primary" href="{reverse("checkin")}"' in progress


def test_the_older_of_the_two_latest_questionnaires_counts(patient, matched):
    CheckinFactory(
        patient=patient,
        instrument="phq9",
        answers=[0] * 9,
        band="minimal",
        taken_at=NOW + timedelta(days=20),
    )
    assert selectors.checkin_status(patient=patient).due_at == DUE  # GAD-7 is from NOW


def test_without_any_result_the_match_start_counts(patient, therapist):
    match_with(patient, therapist, started_at=NOW)
    assert selectors.checkin_status(patient=patient).due_at == DUE


def test_no_checkin_is_due_without_a_current_therapist(patient, therapist, matched):
    with time_machine.travel(DUE + timedelta(days=100), tick=False):
        assert selectors.checkin_due(patient=patient) is True
        Match.objects.filter(pk=matched.pk).update(status=Match.Status.ENDED)
        assert selectors.checkin_status(patient=patient) is None
        assert selectors.checkin_due(patient=patient) is False


def test_a_patient_waiting_for_a_therapist_may_still_check_in(patient):
    IntakeFactory(patient=patient, created_at=NOW)
    page = get_as(patient, reverse("checkin"), at=DUE)
    assert "due on" not in page
    assert "is due" not in page

    response = checkin(patient, at=DUE)

    assert response.status_code == 302
    assert ScreeningResult.objects.filter(patient=patient, intake=None).count() == 2
    with time_machine.travel(DUE, tick=False):
        progress = response.client.get(response.url).text
    assert "Your check-in is saved." in progress  # and no therapist to see it yet
    assert "your therapist sees it" not in progress


# --- Invitations -------------------------------------------------------------------------------


def invitations_to(patient) -> list:
    return [message for message in outbox_to(patient.email) if "check-in" in message.subject]


def sweep(at, capture):
    with capture(execute=True), time_machine.travel(at, tick=False):
        return tasks.sweep_checkin_invitations.delay().get()


def test_the_sweep_runs_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["matching.sweep_checkin_invitations"]
    assert entry == {"task": "matching.tasks.sweep_checkin_invitations", "schedule": 60.0}


def test_a_patient_is_invited_once_when_due_and_the_email_says_nothing_else(
    patient, matched, django_capture_on_commit_callbacks
):
    assert sweep(DUE - timedelta(seconds=1), django_capture_on_commit_callbacks) == 0
    assert invitations_to(patient) == []

    assert sweep(DUE, django_capture_on_commit_callbacks) == 1
    assert sweep(DUE, django_capture_on_commit_callbacks) == 0
    assert sweep(DUE + timedelta(days=6), django_capture_on_commit_callbacks) == 0

    [email] = invitations_to(patient)
    assert email.subject.endswith("Your check-in is available")
    assert link_in(email.body, "/") == reverse("checkin")
    body = email.body.lower()
    for word in ("phq", "gad", "score", "mild", "moderate", "severe", "depress", "anxi", "mood"):
        assert word not in body
        assert word not in email.subject.lower()
    assert not re.search(r"\b(8|14)\b", email.body)
    assert "robin" not in body
    invitation = CheckinInvitation.objects.get()
    assert (invitation.patient, invitation.period_start, invitation.sent_at) == (patient, NOW, DUE)


def test_after_a_checkin_the_next_period_brings_one_more_invitation(
    patient, matched, django_capture_on_commit_callbacks
):
    sweep(DUE, django_capture_on_commit_callbacks)
    retaken = DUE + timedelta(days=2)
    checkin(patient, at=retaken)
    assert sweep(retaken + timedelta(days=27), django_capture_on_commit_callbacks) == 0

    assert sweep(retaken + timedelta(days=28), django_capture_on_commit_callbacks) == 1
    assert sweep(retaken + timedelta(days=29), django_capture_on_commit_callbacks) == 0
    assert len(invitations_to(patient)) == 2


def test_nobody_without_a_current_therapist_is_invited(
    patient, therapist, matched, other_patient, django_capture_on_commit_callbacks
):
    IntakeFactory(patient=other_patient, created_at=NOW)  # still waiting for a therapist
    Match.objects.filter(pk=matched.pk).update(status=Match.Status.ENDED)  # between therapists
    inactive = PatientFactory(is_active=False)
    IntakeFactory(patient=inactive, created_at=NOW)
    match_with(inactive, TherapistFactory())

    assert sweep(DUE + timedelta(days=60), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    assert not CheckinInvitation.objects.exists()


def test_a_new_therapist_does_not_mean_a_second_invitation_for_the_same_period(
    patient, therapist, other_therapist, matched, django_capture_on_commit_callbacks
):
    sweep(DUE, django_capture_on_commit_callbacks)
    Match.objects.filter(pk=matched.pk).update(status=Match.Status.ENDED)
    match_with(patient, other_therapist, started_at=DUE + timedelta(days=1))

    assert sweep(DUE + timedelta(days=2), django_capture_on_commit_callbacks) == 0
    assert len(invitations_to(patient)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_invite_each_patient_once():
    therapist = TherapistFactory()
    patients = [PatientFactory() for _ in range(6)]
    for patient in patients:
        IntakeFactory(patient=patient, created_at=NOW)
        match_with(patient, therapist)

    results = run_together([lambda: services.checkin_invitations_sweep(now=DUE)] * 2)

    assert sum(results) == len(patients)
    for patient in patients:
        assert len(invitations_to(patient)) == 1
    assert CheckinInvitation.objects.count() == len(patients)
    assert services.checkin_invitations_sweep(now=DUE + timedelta(minutes=1)) == 0
    assert len(mail.outbox) == len(patients)


# --- Who sees whose progress -------------------------------------------------------------------


def test_the_patient_sees_their_own_progress(patient_client, patient, matched):
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        page = patient_client.get(reverse("my_progress")).text
    assert "PHQ-9 scores over time" in page
    assert "GAD-7 scores over time" in page
    assert "One score, on Nov. 23, 2026: 8 out of 27 (Mild)." in page
    assert "One score, on Nov. 23, 2026: 14 out of 21 (Moderate)." in page
    assert reverse("checkin") in page


def test_another_patient_never_sees_this_patients_progress(patient, matched, other_patient):
    page = client_for(other_patient).get(reverse("my_progress")).text
    assert "No PHQ-9 score yet." in page
    assert "No GAD-7 score yet." in page
    assert "Nov. 23, 2026" not in page
    url = reverse("therapist_patient", kwargs={"patient_id": patient.pk})
    assert client_for(other_patient).get(url).status_code == 404


def test_my_therapist_links_to_my_progress(patient_client, matched):
    assert reverse("my_progress") in patient_client.get(reverse("my_therapist")).text


def test_the_therapist_sees_the_charts_on_the_patient_page(therapist, patient, matched):
    checkin(patient, ANSWERS | {"phq9-q1": "3"}, at=NOW + timedelta(days=28))
    url = reverse("therapist_patient", kwargs={"patient_id": patient.pk})

    page = get_as(therapist, url, at=NOW + timedelta(days=29))

    assert page.count('role="img"') == 2
    assert "2 scores from Nov. 23, 2026 to Dec. 21, 2026; the latest is 10 out of 27" in page
    assert "Their next check-in is due on Jan. 18, 2027" in page
    assert "style=" not in page.split("<main", 1)[1]


def test_other_and_unvetted_therapists_get_404_on_the_patient_page(
    patient, matched, other_therapist, unvetted_therapist
):
    url = reverse("therapist_patient", kwargs={"patient_id": patient.pk})
    for outsider in (other_therapist, unvetted_therapist):
        assert client_for(outsider).get(url).status_code == 404


def test_after_a_switch_the_former_therapist_loses_the_charts_the_next_one_sees_them(
    therapist_client, patient, matched, other_therapist
):
    url = reverse("therapist_patient", kwargs={"patient_id": patient.pk})
    assert "PHQ-9 scores over time" in therapist_client.get(url).text

    services.match_switch(patient=patient, reason="", share_earlier_history=False)
    assert therapist_client.get(url).status_code == 404

    match_with(patient, other_therapist)
    assert "PHQ-9 scores over time" in client_for(other_therapist).get(url).text
    assert therapist_client.get(url).status_code == 404
