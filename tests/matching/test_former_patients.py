"""A former therapist's record (issue 18, item 4): after a patient changes therapist, the one
before keeps what was shared with them while they were the therapist, as it was then, and
nothing after; the new therapist sees only what is shared with them. Nobody else reaches it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from audit.models import AccessEntry
from matching import selectors, services
from matching.models import Match
from matching.services import goals
from tests.factories import PatientFactory, StaffFactory, TherapistFactory
from tests.factories.matching import IntakeFactory, MatchFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


@pytest.fixture
def pair():
    therapist = TherapistFactory(therapist_profile__display_name="Ana Ruiz")
    patient = PatientFactory(patient_profile__nickname="Robin")
    IntakeFactory(patient=patient)
    return MatchFactory(patient=patient, therapist=therapist.therapist_profile, started_at=NOW)


def write(patient, body, at=NOW, mood=5):
    return services.journal_entry_write(patient=patient, body=body, mood=mood, tags=[], now=at)


def switch(match, at):
    """The patient changes therapist at ``at`` (the real service), then is matched again."""
    services.match_switch(patient=match.patient, reason="", share_earlier_history=False, now=at)
    match.refresh_from_db()
    assert match.status == Match.Status.ENDED
    return MatchFactory(patient=match.patient, started_at=at)


def record_page(therapist, match):
    return client_for(therapist).get(reverse("former_patient", kwargs={"match_id": match.pk}))


def test_the_former_therapist_keeps_what_was_shared_and_nothing_after(pair):
    kept = write(pair.patient, "The walk by the river helped.")
    services.journal_entry_share(entry=kept, now=NOW + timedelta(hours=1))
    taken_back = write(pair.patient, "A letter I never sent.")
    services.journal_entry_share(entry=taken_back, now=NOW + timedelta(hours=1))
    services.journal_entry_unshare(entry=taken_back, now=NOW + timedelta(hours=2))
    write(pair.patient, "Never shared.")
    new = switch(pair, NOW + timedelta(days=1))
    after = write(pair.patient, "Written with the new therapist.", at=NOW + timedelta(days=2))
    services.journal_entry_share(entry=after, now=NOW + timedelta(days=2))

    page = record_page(pair.therapist.user, pair)

    assert page.status_code == 200
    text = page.content.decode()
    assert "The walk by the river helped." in text
    for unseen in ("A letter I never sent.", "Never shared.", "Written with the new therapist."):
        assert unseen not in text
    assert "Robin" in text
    # The new therapist reads only what is shared with them.
    assert [
        e.body for e in selectors.journal_shared_with(match=new, reader=new.therapist.user)
    ] == ["Written with the new therapist."]
    # Taking an entry back from the new therapist does not reach the former one's record...
    services.journal_entry_unshare(entry=kept, now=NOW + timedelta(days=3))
    assert (
        "The walk by the river helped." in record_page(pair.therapist.user, pair).content.decode()
    )


def test_the_record_holds_the_goals_set_then_and_not_the_new_therapists(pair):
    goals.goal_set(
        match=pair,
        title="Walk every morning",
        why="",
        target_date=None,
        steps=["Ten minutes"],
        today=NOW.date(),
        now=NOW,
    )
    new = switch(pair, NOW + timedelta(days=1))
    goals.goal_set(
        match=new,
        title="Sleep by eleven",
        why="",
        target_date=None,
        steps=[],
        today=NOW.date(),
        now=NOW + timedelta(days=2),
    )

    text = record_page(pair.therapist.user, pair).content.decode()

    assert "Walk every morning" in text
    assert "Sleep by eleven" not in text
    assert reverse("goal_edit", kwargs={"pk": pair.goals.get().pk}) not in text  # read only


def test_a_change_after_the_switch_takes_the_entry_out_of_the_record(pair):
    entry = write(pair.patient, "As it was then.")
    services.journal_entry_share(entry=entry, now=NOW)
    switch(pair, NOW + timedelta(days=1))

    services.journal_entry_change(
        entry=entry, body="Rewritten later.", mood=2, tags=[], now=NOW + timedelta(days=2)
    )

    text = record_page(pair.therapist.user, pair).content.decode()
    assert "Rewritten later." not in text
    assert "As it was then." not in text
    assert "Nothing was shared with you." in text


def test_deleting_the_entry_takes_it_out_of_the_record(pair):
    entry = write(pair.patient, "Gone when I delete it.")
    services.journal_entry_share(entry=entry, now=NOW)
    switch(pair, NOW + timedelta(days=1))

    services.journal_entry_delete(entry=entry)

    assert "Gone when I delete it." not in record_page(pair.therapist.user, pair).content.decode()


def test_the_patient_is_told_who_keeps_an_entry(pair):
    entry = write(pair.patient, "Kept by Ana.")
    services.journal_entry_share(entry=entry, now=NOW)
    switch(pair, NOW + timedelta(days=1))

    page = client_for(pair.patient).get(reverse("journal")).content.decode()

    assert "Your former therapist, Ana Ruiz, keeps it in their record" in page
    assert "Private: only you can read it." not in page


def test_the_read_is_in_the_patients_access_log(pair):
    entry = write(pair.patient, "Logged.")
    services.journal_entry_share(entry=entry, now=NOW)
    switch(pair, NOW + timedelta(days=1))
    before = AccessEntry.objects.count()

    record_page(pair.therapist.user, pair)

    kinds = set(AccessEntry.objects.order_by("pk")[before:].values_list("kind", flat=True))
    assert kinds == {AccessEntry.Kind.PATIENT_PAGE, AccessEntry.Kind.JOURNAL}


def test_the_list_of_former_patients(pair):
    switch(pair, NOW + timedelta(days=1))
    still = MatchFactory(therapist=pair.therapist)
    client = client_for(pair.therapist.user)

    page = client.get(reverse("former_patients")).content.decode()

    assert reverse("former_patient", kwargs={"match_id": pair.pk}) in page
    assert "Robin" in page
    assert reverse("former_patient", kwargs={"match_id": still.pk}) not in page
    dashboard = client.get(reverse("home")).content.decode()
    assert reverse("former_patients") in dashboard


def test_an_active_match_has_no_former_record(pair):
    assert record_page(pair.therapist.user, pair).status_code == 404


@pytest.mark.parametrize(
    "who", ["the patient", "the new therapist", "another therapist", "unvetted", "staff"]
)
def test_nobody_else_reaches_the_record(pair, who):
    services.journal_entry_share(entry=write(pair.patient, "Only Ana's record."), now=NOW)
    new = switch(pair, NOW + timedelta(days=1))
    user = {
        "the patient": lambda: pair.patient,
        "the new therapist": lambda: new.therapist.user,
        "another therapist": TherapistFactory,
        "unvetted": lambda: TherapistFactory(therapist_profile__vetting_status="submitted"),
        "staff": StaffFactory,
    }[who]()

    answer = record_page(user, pair)

    assert answer.status_code == 404
    assert "Only Ana's record." not in answer.content.decode()
    listing = client_for(user).get(reverse("former_patients"))
    assert "Robin" not in listing.content.decode()


def test_a_suspended_former_therapist_reads_nothing(pair):
    services.journal_entry_share(entry=write(pair.patient, "Not while suspended."), now=NOW)
    switch(pair, NOW + timedelta(days=1))
    pair.therapist.vetting_status = "suspended"
    pair.therapist.save(update_fields=["vetting_status"])

    assert record_page(pair.therapist.user, pair).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, pair):
    answer = client.get(reverse("former_patient", kwargs={"match_id": pair.pk}))
    assert answer.status_code == 302
    assert reverse("account_login") in answer["Location"]
