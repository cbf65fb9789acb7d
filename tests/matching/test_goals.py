"""Goals (issue 18, item 3 and the access rules of item 4): the patient's current therapist sets
goals with ordered steps; the patient ticks them off; the therapist sees the progress on the
patient page and the dashboard, changes and puts goals away. The words are under the patient's
data key. Only the pair sees them; a former therapist keeps what was set in their match,
read-only, and nothing after; in the export, gone with the account."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AccessEntry
from matching import selectors
from matching.models import Goal, GoalStep, Match
from matching.services import erasure
from matching.services import goals as services
from tests.factories import PatientFactory, StaffFactory, TherapistFactory
from tests.factories.goals import GoalFactory
from tests.factories.matching import MatchFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
TODAY = NOW.date()
NEXT_MONTH = timezone.localdate() + timedelta(days=30)


@pytest.fixture
def pair():
    therapist = TherapistFactory(therapist_profile__display_name="Ana Ruiz")
    patient = PatientFactory(patient_profile__nickname="Robin")
    return MatchFactory(patient=patient, therapist=therapist.therapist_profile)


def set_goal(match, title="Sleep before midnight", steps=("No screens after 23:00", "Read")):
    return services.goal_set(
        match=match,
        title=title,
        why="Mornings are hard.",
        target_date=TODAY + timedelta(days=14),
        steps=list(steps),
        today=TODAY,
        now=NOW,
    )


def page(user, name, **kwargs) -> str:
    answer = client_for(user).get(reverse(name, kwargs=kwargs))
    assert answer.status_code == 200
    return answer.content.decode()


# --- Setting a goal ---------------------------------------------------------------------------


def test_a_goal_is_kept_encrypted_with_its_steps_in_order(pair):
    goal = set_goal(pair)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT title_encrypted, why_encrypted FROM matching_goal WHERE id = %s", [goal.pk]
        )
        title, why = cursor.fetchone()
        cursor.execute("SELECT text_encrypted FROM matching_goalstep WHERE goal_id = %s", [goal.pk])
        steps = [row[0] for row in cursor.fetchall()]
    assert title.startswith("dk1.")
    assert "midnight" not in title
    assert why.startswith("dk1.")
    assert all(step.startswith("dk1.") and "screens" not in step for step in steps)
    kept = Goal.objects.get()
    assert (kept.title, kept.why, kept.patient_id) == (
        "Sleep before midnight",
        "Mornings are hard.",
        pair.patient_id,
    )
    assert [s.text for s in kept.steps.order_by("position")] == ["No screens after 23:00", "Read"]


def test_the_therapist_sets_a_goal_from_the_patient_page(pair):
    client = client_for(pair.therapist.user)
    address = reverse("goal_new", kwargs={"patient_id": pair.patient_id})
    assert "Set a goal" in client.get(address).content.decode()

    answer = client.post(
        address,
        {
            "title": "Walk three times a week",
            "why": "",
            "target_date": NEXT_MONTH.isoformat(),
            "steps": "Find shoes\n\n  First walk  \nThird walk",
        },
    )

    assert answer.status_code == 302
    goal = Goal.objects.get()
    assert goal.target_date == NEXT_MONTH
    assert [s.text for s in goal.steps.order_by("position")] == [
        "Find shoes",
        "First walk",
        "Third walk",
    ]
    therapist_page = page(pair.therapist.user, "therapist_patient", patient_id=pair.patient_id)
    assert "Walk three times a week" in therapist_page
    assert "0 of 3 steps done" in therapist_page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "  "}, "Give the goal a title."),
        ({"title": "x" * 201}, "Ensure this value has at most 200 characters"),
        ({"title": "Rest", "target_date": "2020-01-01"}, "Choose a target date from today on"),
        ({"title": "Rest", "target_date": "someday"}, "Give a date, such as 2026-12-31."),
        ({"title": "Rest", "steps": "y" * 301}, "Each step holds at most 300 characters"),
        ({"title": "Rest", "steps": "\n".join("s" for _ in range(21))}, "At most 20 steps."),
        ({"title": "Rest", "why": "w" * 2001}, "Ensure this value has at most 2000 characters"),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_nothing_kept(pair, data, message):
    answer = client_for(pair.therapist.user).post(
        reverse("goal_new", kwargs={"patient_id": pair.patient_id}), data
    )

    assert answer.status_code == 422
    assert message in answer.content.decode()
    assert not Goal.objects.exists()
    assert not GoalStep.objects.exists()


def test_a_nul_character_is_refused_at_the_edge_and_by_the_service(pair):
    """The site refuses NUL in any form with a 400 (core.middleware.RejectNulMiddleware); the
    service refuses it too, beside the field, for any other caller."""
    answer = client_for(pair.therapist.user).post(
        reverse("goal_new", kwargs={"patient_id": pair.patient_id}), {"title": "Rest\x00"}
    )
    assert answer.status_code == 400
    with pytest.raises(ValidationError) as refused:
        services.goal_set(
            match=pair, title="ok", why="a\x00", target_date=None, steps=[], today=TODAY, now=NOW
        )
    assert refused.value.message_dict == {
        "why": ["This text holds a character that cannot be kept."]
    }
    assert not Goal.objects.exists()


def test_the_service_checks_the_same_as_the_form(pair):
    for title, target in (("", None), ("ok", TODAY - timedelta(days=1)), ("a\x00", None)):
        with pytest.raises(ValidationError):
            services.goal_set(
                match=pair, title=title, why="", target_date=target, steps=[], today=TODAY, now=NOW
            )
    assert not Goal.objects.exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=st.text(max_size=30),
    why=st.text(max_size=30),
    target=st.text(max_size=12) | st.dates().map(str),
    steps=st.text(max_size=60),
)
def test_no_goal_input_gives_a_500(pair, title, why, target, steps):
    title, why, target, steps = (v.replace("\x00", "") for v in (title, why, target, steps))
    answer = client_for(pair.therapist.user).post(
        reverse("goal_new", kwargs={"patient_id": pair.patient_id}),
        {"title": title, "why": why, "target_date": target, "steps": steps},
    )

    assert answer.status_code in (302, 422)


# --- The patient ticks steps off ------------------------------------------------------------


def test_the_patient_sees_their_goals_and_ticks_a_step_off_and_back(pair):
    goal = set_goal(pair)
    first = goal.steps.get(position=0)
    client = client_for(pair.patient)
    listed = client.get(reverse("exercises")).content.decode()
    assert "Sleep before midnight" in listed
    assert "0 of 2 steps done" in listed

    address = reverse("goal_step_mark", kwargs={"pk": first.pk})
    assert client.post(address, {"done": "yes"}).status_code == 302
    first.refresh_from_db()
    assert first.done_at is not None
    assert "1 of 2 steps done" in page(
        pair.therapist.user, "therapist_patient", patient_id=pair.patient_id
    )

    # From htmx: the goal's card alone, with the step undone.
    card = client.post(address, {"done": "no"}, headers={"HX-Request": "true"})
    assert card.status_code == 200
    body = card.content.decode()
    assert body.lstrip().startswith("<article")
    assert "0 of 2 steps done" in body
    first.refresh_from_db()
    assert first.done_at is None


def test_changing_a_goal_keeps_done_steps_whose_words_stay_and_archiving_hides_it(pair):
    goal = set_goal(pair)
    services.goal_step_mark(step=goal.steps.get(position=1), done=True, now=NOW)
    client = client_for(pair.therapist.user)
    address = reverse("goal_edit", kwargs={"pk": goal.pk})
    assert "No screens after 23:00" in client.get(address).content.decode()

    answer = client.post(
        address, {"title": "Sleep better", "steps": "Read\nLights out at 23:30", "why": ""}
    )

    assert answer.status_code == 302
    goal.refresh_from_db()
    assert goal.title == "Sleep better"
    steps = list(goal.steps.order_by("position"))
    assert [(s.text, s.done_at is not None) for s in steps] == [
        ("Read", True),
        ("Lights out at 23:30", False),
    ]
    # An empty title on change: refused, nothing half-written.
    assert client.post(address, {"title": "", "steps": "x"}).status_code == 422
    goal.refresh_from_db()
    assert goal.title == "Sleep better"
    assert goal.steps.count() == 2

    assert client.post(reverse("goal_archive", kwargs={"pk": goal.pk})).status_code == 302
    assert "Sleep better" not in client_for(pair.patient).get(reverse("exercises")).content.decode()
    assert "Put away" in page(pair.therapist.user, "therapist_patient", patient_id=pair.patient_id)


def test_the_dashboard_lists_each_patients_goals_with_their_progress(pair):
    goal = set_goal(pair)
    services.goal_step_mark(step=goal.steps.first(), done=True, now=NOW)

    dashboard = page(pair.therapist.user, "home")

    section = dashboard[dashboard.index('id="care-section"') :]
    assert "Robin" in section
    assert "Sleep before midnight" in section
    assert "1 of 2 steps" in section
    assert AccessEntry.objects.filter(
        patient_id=pair.patient_id, kind=AccessEntry.Kind.GOALS, accessor_id=pair.therapist.pk
    ).exists()


def test_reading_the_goals_is_in_the_patients_access_log(pair):
    set_goal(pair)
    page(pair.therapist.user, "therapist_patient", patient_id=pair.patient_id)

    assert AccessEntry.objects.filter(
        patient_id=pair.patient_id,
        kind=AccessEntry.Kind.GOALS,
        accessor_id=pair.therapist.pk,
        record_id=pair.pk,
    ).exists()


# --- Nobody else ----------------------------------------------------------------------------


def suspended_therapist():
    return TherapistFactory(therapist_profile__vetting_status="suspended")


def unvetted_therapist():
    return TherapistFactory(therapist_profile__vetting_status="submitted")


OUTSIDERS = {
    "another patient": PatientFactory,
    "another therapist": TherapistFactory,
    "an unvetted therapist": unvetted_therapist,
    "a suspended therapist": suspended_therapist,
    "staff": StaffFactory,
}


@pytest.mark.parametrize("who", list(OUTSIDERS))
def test_nobody_else_reaches_a_goal(pair, who):
    goal = set_goal(pair)
    step = goal.steps.first()
    client = client_for(OUTSIDERS[who]())
    posts = [
        reverse("goal_step_mark", kwargs={"pk": step.pk}),
        reverse("goal_new", kwargs={"patient_id": pair.patient_id}),
        reverse("goal_edit", kwargs={"pk": goal.pk}),
        reverse("goal_archive", kwargs={"pk": goal.pk}),
    ]
    for address in posts:
        assert client.post(address, {"done": "yes", "title": "mine"}).status_code == 404, address
    for address in (
        reverse("goal_edit", kwargs={"pk": goal.pk}),
        reverse("care_record", kwargs={"match_id": pair.pk}),
        reverse("goal_new", kwargs={"patient_id": pair.patient_id}),
    ):
        assert client.get(address).status_code == 404, address
    if who != "another patient":
        assert client.get(reverse("exercises")).status_code == 404
    else:
        assert "Sleep before midnight" not in client.get(reverse("exercises")).content.decode()
    goal.refresh_from_db()
    step.refresh_from_db()
    assert (goal.title, goal.archived_at, step.done_at) == ("Sleep before midnight", None, None)
    assert Goal.objects.count() == 1


def test_the_therapist_of_the_pair_cannot_tick_the_patients_steps(pair):
    step = set_goal(pair).steps.first()
    answer = client_for(pair.therapist.user).post(
        reverse("goal_step_mark", kwargs={"pk": step.pk}), {"done": "yes"}
    )
    assert answer.status_code == 404


def test_a_therapist_cannot_set_a_goal_for_someone_not_their_patient(pair):
    stranger = PatientFactory()
    answer = client_for(pair.therapist.user).post(
        reverse("goal_new", kwargs={"patient_id": stranger.pk}), {"title": "Hello"}
    )
    assert answer.status_code == 404
    assert not Goal.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client, pair):
    goal = set_goal(pair)
    for address in (
        reverse("exercises"),
        reverse("goal_edit", kwargs={"pk": goal.pk}),
        reverse("care_record", kwargs={"match_id": pair.pk}),
    ):
        answer = client.get(address)
        assert answer.status_code == 302
        assert reverse("account_login") in answer["Location"]


def test_after_a_change_of_therapist(pair):
    """The former therapist keeps what was set in their match, read-only, and nothing after;
    the new one sees only their own goals; the patient sees both, the old one read-only."""
    old = set_goal(pair, title="From the first therapy")
    Match.objects.filter(pk=pair.pk).update(status=Match.Status.ENDED, ended_at=NOW)
    new_match = MatchFactory(patient=pair.patient)
    newer = set_goal(new_match, title="With the new therapist")
    former = client_for(pair.therapist.user)

    record = former.get(reverse("care_record", kwargs={"match_id": pair.pk}))
    assert record.status_code == 200
    assert "From the first therapy" in record.content.decode()
    assert "With the new therapist" not in record.content.decode()
    assert "You see nothing set after." in record.content.decode()
    # Nothing new, no change: a 404 for a new goal, the record instead of the edit page.
    assert former.get(reverse("goal_new", kwargs={"patient_id": pair.patient_id})).status_code == (
        404
    )
    edit = former.post(reverse("goal_edit", kwargs={"pk": old.pk}), {"title": "Changed"})
    assert edit.status_code == 302
    old.refresh_from_db()
    assert old.title == "From the first therapy"
    assert former.get(reverse("goal_edit", kwargs={"pk": newer.pk})).status_code == 404
    with pytest.raises(ValidationError):
        services.goal_archive(goal=old, now=NOW)

    new_therapist = new_match.therapist.user
    assert (
        client_for(new_therapist)
        .get(reverse("care_record", kwargs={"match_id": pair.pk}))
        .status_code
        == 404
    )
    new_page = page(new_therapist, "therapist_patient", patient_id=pair.patient_id)
    assert "With the new therapist" in new_page
    assert "From the first therapy" not in new_page

    # The patient still reads the old goal, and can no longer tick it.
    mine = client_for(pair.patient).get(reverse("exercises")).content.decode()
    assert "From the first therapy" in mine
    assert "Set with your former therapist" in mine
    old_step = old.steps.first()
    client_for(pair.patient).post(
        reverse("goal_step_mark", kwargs={"pk": old_step.pk}), {"done": "yes"}
    )
    old_step.refresh_from_db()
    assert old_step.done_at is None


# --- Data rights ----------------------------------------------------------------------------


def test_goals_are_in_the_export_and_gone_with_the_account(pair):
    goal = set_goal(pair)
    services.goal_step_mark(step=goal.steps.get(position=0), done=True, now=NOW)

    exported = selectors.care_export(user=pair.patient)["goals"]

    assert exported == [
        {
            "therapist": "Ana Ruiz",
            "title": "Sleep before midnight",
            "why": "Mornings are hard.",
            "target_date": TODAY + timedelta(days=14),
            "set_at": NOW,
            "archived_at": None,
            "steps": [
                {"text": "No screens after 23:00", "done_at": NOW},
                {"text": "Read", "done_at": None},
            ],
        }
    ]
    assert selectors.care_export(user=pair.therapist.user) == {}
    erasure.patient_matching_erase(patient=pair.patient, now=timezone.now())
    assert not Goal.objects.exists()
    assert not GoalStep.objects.exists()


def test_the_factory_makes_a_readable_goal(pair):
    goal = GoalFactory(match=pair, words={"title": "Rest"}, steps=["One"])
    assert Goal.objects.get(pk=goal.pk).title == "Rest"
    assert date.today() is not None
