"""The vetting state machine: exactly the documented moves, each recorded (who, when, from,
to, why) and announced after commit; every other move refused with nothing written; reasons,
staff only, criteria again when reinstating, a complete application to submit."""

from datetime import timedelta

import pytest

from accounts import services
from accounts.models import TherapistDocument, TherapistProfile
from accounts.services import VettingError
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.accounts import (
    DECISION_REASON,
    VETTING_NOW,
    VETTING_TODAY,
    decide,
    make_therapist,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vetting_clock", "in_english")]

Status = TherapistProfile.VettingStatus
Kind = TherapistDocument.Kind


# (from, action, to): every move the vetting may make; "submit" is the therapist's.
LEGAL = [
    (Status.DRAFT, "submit", Status.SUBMITTED),
    (Status.CHANGES_REQUESTED, "submit", Status.SUBMITTED),
    (Status.SUBMITTED, "approve", Status.APPROVED),
    (Status.SUBMITTED, "request_changes", Status.CHANGES_REQUESTED),
    (Status.SUSPENDED, "request_changes", Status.CHANGES_REQUESTED),
    (Status.SUBMITTED, "reject", Status.REJECTED),
    (Status.CHANGES_REQUESTED, "reject", Status.REJECTED),
    (Status.APPROVED, "suspend", Status.SUSPENDED),
    (Status.SUSPENDED, "reinstate", Status.APPROVED),
]
ACTIONS = ["submit", *services.VETTING_ACTIONS]
ILLEGAL = [
    (status, action)
    for status in Status.values
    for action in ACTIONS
    if (status, action) not in {(source, name) for source, name, _to in LEGAL}
]


def act(profile, action, *, staff, reason=DECISION_REASON):
    if action == "submit":
        return services.therapist_application_submit(profile=profile)
    return decide(profile, action, actor=staff, reason=reason)


def test_the_machine_is_exactly_the_documented_one():
    machine = {
        (source, name, action.target)
        for name, action in services.VETTING_ACTIONS.items()
        for source in action.sources
    }

    assert machine == {move for move in LEGAL if move[1] != "submit"}


@pytest.mark.parametrize(("from_status", "action", "to_status"), LEGAL)
def test_each_legal_transition_is_recorded_and_announced_after_commit(
    from_status, action, to_status, staff, vetting_events, django_capture_on_commit_callbacks
):
    profile = make_therapist(from_status)
    actor = profile.user if action == "submit" else staff

    with django_capture_on_commit_callbacks(execute=True):
        decision = act(profile, action, staff=staff)
        assert vetting_events == []  # nothing is announced before the commit

    profile.refresh_from_db()
    assert profile.vetting_status == to_status
    assert profile.vetting_status_changed_at == VETTING_NOW
    assert list(
        profile.vetting_decisions.values("actor", "from_status", "to_status", "reason")
    ) == [
        {
            "actor": actor.pk,
            "from_status": from_status,
            "to_status": to_status,
            "reason": "" if action == "submit" else DECISION_REASON,
        }
    ]
    assert decision.created_at == VETTING_NOW
    assert vetting_events == [
        {"therapist_id": profile.pk, "from_status": from_status, "to_status": to_status}
    ]


@pytest.mark.parametrize(("from_status", "action"), ILLEGAL)
def test_every_other_transition_is_refused_and_writes_nothing(
    assert_refused, from_status, action, staff, vetting_events, django_capture_on_commit_callbacks
):
    profile = make_therapist(from_status)

    assert_refused(
        profile,
        lambda: act(profile, action, staff=staff),
        "already been sent" if action == "submit" else "cannot become",
    )

    assert vetting_events == []
    assert action not in services.vetting_actions_allowed(profile=profile)


def test_a_refused_move_says_from_what_to_what(submitted_application, staff):
    with pytest.raises(VettingError) as refusal:
        decide(submitted_application, "suspend", actor=staff)

    assert "Submitted for review" in str(refusal.value)
    assert "Suspended" in str(refusal.value)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t "])
def test_a_decision_needs_a_reason(
    assert_refused, reason, submitted_application, staff, django_capture_on_commit_callbacks
):
    assert_refused(
        submitted_application,
        lambda: decide(submitted_application, actor=staff, reason=reason),
        "Give a reason",
    )


def test_the_reason_is_kept_trimmed(submitted_application, staff):
    decision = decide(
        submitted_application, "request_changes", actor=staff, reason="  Scan is blurry.\n"
    )

    assert decision.reason == "Scan is blurry."


@pytest.mark.parametrize("who", ["the therapist", "another therapist", "a patient"])
def test_only_staff_decide(
    assert_refused, who, submitted_application, django_capture_on_commit_callbacks
):
    actor = {
        "the therapist": submitted_application.user,
        "another therapist": TherapistFactory(),
        "a patient": PatientFactory(),
    }[who]

    assert_refused(
        submitted_application,
        lambda: decide(submitted_application, actor=actor),
        "Only staff",
    )


def test_an_unknown_decision_is_refused(
    assert_refused, submitted_application, staff, django_capture_on_commit_callbacks
):
    assert_refused(
        submitted_application,
        lambda: decide(submitted_application, "delete", actor=staff),
        "Unknown decision",
    )


def test_reinstating_needs_the_criteria_met_again(
    assert_refused, staff, django_capture_on_commit_callbacks
):
    profile = make_therapist(
        Status.SUSPENDED, credentials={"license_expiry": VETTING_TODAY - timedelta(days=1)}
    )

    assert_refused(
        profile,
        lambda: decide(profile, "reinstate", actor=staff),
        "a license that has not expired",
    )


@pytest.mark.parametrize("from_status", [Status.DRAFT, Status.CHANGES_REQUESTED])
def test_an_incomplete_application_cannot_be_sent(
    assert_refused, from_status, staff, django_capture_on_commit_callbacks
):
    profile = make_therapist(
        from_status, modalities=[], credentials={"license_number": ""}, documents=[Kind.DEGREE]
    )

    message = assert_refused(
        profile,
        lambda: services.therapist_application_submit(profile=profile),
        "Still missing",
        "modalities",
        "license or registration number",
        "a license document",
    )

    assert "a degree document" not in message


def test_a_sent_application_cannot_be_sent_again(
    assert_refused, submitted_application, django_capture_on_commit_callbacks
):
    assert_refused(
        submitted_application,
        lambda: services.therapist_application_submit(profile=submitted_application),
        "already been sent",
    )
