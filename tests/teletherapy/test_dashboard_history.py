"""A patient's history does not make the dashboard heavier: of their check-ins the caseload
reads the two latest of each questionnaire, of their sessions booked ahead the next one alone,
and finds what it found when it read them all (a year of fortnightly check-ins and weekly
sessions booked months ahead, ties of time included); of their exercises, those not done and
those done in the last two weeks (the patient's page keeps the others)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from matching import selectors as matching
from matching.models import ScreeningResult
from scheduling import selectors as scheduling
from scheduling.models import Appointment
from tests.factories import PatientFactory
from tests.factories.goals import WorksheetAssignmentFactory, WorksheetFactory
from tests.helpers import client_for, instances_made

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def _trends_read_in_full(patient_ids):
    """What the caseload showed when it read every result: (latest score, change) by patient
    and questionnaire."""
    history: dict = {}
    for result in ScreeningResult.objects.filter(patient_id__in=patient_ids).order_by(
        "taken_at", "pk"
    ):
        history.setdefault((result.patient_id, result.instrument), []).append(result)
    return {
        key: (taken[-1].pk, taken[-1].score - taken[-2].score if len(taken) > 1 else None)
        for key, taken in history.items()
    }


def _trends_shown(patient_ids):
    return {
        (patient_id, instrument): (trend.latest.pk, trend.change)
        for patient_id, by_instrument in matching.screening_trends(patient_ids=patient_ids).items()
        for instrument, trend in by_instrument.items()
    }


def test_a_year_of_check_ins_reads_the_two_latest_of_each_questionnaire(now, make_score):
    robin, kim = PatientFactory(), PatientFactory()
    for fortnight in range(26):  # a year, oldest last
        make_score(robin, "phq9", fortnight % 20, now - timedelta(weeks=2 * fortnight))
        make_score(
            robin, "gad7", (fortnight * 3) % 21, now - timedelta(weeks=2 * fortnight, days=1)
        )
    make_score(kim, "phq9", 9, now - timedelta(weeks=3))

    with instances_made() as made:
        trends = matching.screening_trends(patient_ids=[robin.pk, kim.pk])

    assert made[ScreeningResult] == 2 + 2 + 1  # Robin's two latest of each, Kim's one
    assert (trends[robin.pk]["phq9"].latest.score, trends[robin.pk]["phq9"].change) == (0, -1)
    assert (trends[robin.pk]["gad7"].latest.score, trends[robin.pk]["gad7"].change) == (0, -3)
    assert trends[kim.pk]["phq9"].change is None  # a first score has no trend
    assert _trends_shown([robin.pk, kim.pk]) == _trends_read_in_full([robin.pk, kim.pk])


def test_another_patients_results_never_make_a_trend(now, make_score):
    robin, kim = PatientFactory(), PatientFactory()
    make_score(robin, "phq9", 15, now - timedelta(weeks=4))
    make_score(kim, "phq9", 3, now - timedelta(weeks=2))

    trends = matching.screening_trends(patient_ids=[robin.pk])

    assert list(trends) == [robin.pk]
    assert (trends[robin.pk]["phq9"].latest.score, trends[robin.pk]["phq9"].change) == (15, None)


# (patient, questionnaire, score, days before now): days collide on purpose, so that ties of
# time are decided by the key, as the full read decided them.
HISTORIES = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(["phq9", "gad7"]),
        st.integers(0, 27),
        st.integers(0, 6),
    ),
    max_size=25,
)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=HISTORIES)
def test_any_history_shows_the_trends_a_full_read_shows(now, history):
    with transaction.atomic():
        patients = [PatientFactory() for _ in range(3)]
        ScreeningResult.objects.bulk_create(
            ScreeningResult(
                patient=patients[n],
                instrument=instrument,
                answers_encrypted=b"",
                score=score,
                band="mild",
                taken_at=now - timedelta(days=days),
            )
            for n, instrument, score, days in history
        )
        ids = [patient.pk for patient in patients]
        assert _trends_shown(ids) == _trends_read_in_full(ids)
        transaction.set_rollback(True)


def test_sessions_booked_months_ahead_read_the_next_one_per_patient(
    therapist, other_therapist, now, make_match, make_session
):
    robin, kim, sam = (make_match(therapist, name) for name in ("Robin", "Kim", "Sam"))
    for week in range(12):
        make_session(robin, now + timedelta(days=2 + 7 * week))
        make_session(kim, now + timedelta(days=3 + 7 * week, hours=2))
    make_session(robin, now + timedelta(days=1), status="cancelled")  # sooner, not booked
    started = make_session(kim, now - timedelta(minutes=20))  # under way: still the next
    make_session(sam, now - timedelta(days=7))  # over
    elsewhere = make_match(other_therapist, "Alex")
    make_session(elsewhere, now + timedelta(hours=2))  # another therapist's patient

    with instances_made() as made:
        upcoming = scheduling.next_sessions_by_patient(
            therapist=therapist.therapist_profile, now=now
        )

    assert made[Appointment] == 2
    assert upcoming[robin.patient_id].starts_at == now + timedelta(days=2)
    assert upcoming[kim.patient_id].pk == started.pk
    assert sam.patient_id not in upcoming
    assert elsewhere.patient_id not in upcoming


def test_exercises_done_long_ago_leave_the_dashboard_not_the_patients_page(
    therapist, other_therapist, now, make_match
):
    robin = make_match(therapist, "Robin")
    sheets = {
        title: WorksheetFactory(title_en=title)
        for title in ("Done last year", "Done 15 days ago", "Done 13 days ago", "Overdue", "Open")
    }

    def given(title, done_days_ago=None, due=None):
        done_at = None if done_days_ago is None else now - timedelta(days=done_days_ago)
        return WorksheetAssignmentFactory(
            match=robin, worksheet=sheets[title], done_at=done_at, due_date=due
        )

    for week in range(52):  # a year of weekly exercises, each done
        given("Done last year", done_days_ago=30 + 7 * week)
    given("Done 15 days ago", done_days_ago=15)
    given("Done 13 days ago", done_days_ago=13)
    given("Overdue", due=now.date() - timedelta(days=40))
    given("Open")
    elsewhere = make_match(other_therapist, "Alex")
    WorksheetAssignmentFactory(match=elsewhere, worksheet=sheets["Open"])

    with instances_made() as made:
        response = client_for(therapist).get(reverse("home"))
    care = response.content.decode().split('id="care-section"')[1]

    assert [line.title for line in response.context["dashboard"].care] == [
        "Overdue",
        "Open",
        "Done 13 days ago",
    ]
    assert "Done last year" not in care
    assert "Done 15 days ago" not in care
    assert "Exercises done more than two weeks ago stay on each patient's page only." in care
    assert made[WorksheetAssignmentFactory._meta.model] == 3
    patient_page = client_for(therapist).get(
        reverse("therapist_patient", kwargs={"patient_id": robin.patient_id})
    )
    assert patient_page.content.decode().count("Done last year") == 52
