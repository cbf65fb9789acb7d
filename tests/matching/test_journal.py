"""The patient's journal (issue 18, item 2): entries private by default, shared entry by entry
with the current therapist and taken back at once; a mood chart for the patient, and for the
therapist over shared entries only; kept under the patient's data key; in their export, gone
with their account. Nobody else reads an entry: not another patient, not another therapist, not
staff; a former therapist only what their record keeps (``test_former_patients``)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AccessEntry
from matching import selectors, services
from matching.models import JournalEntry, JournalShare, Match
from matching.services import erasure
from tests.factories import PatientFactory, StaffFactory, TherapistFactory
from tests.factories.matching import MatchFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


@pytest.fixture
def pair():
    """A patient (Robin) and their therapist, matched."""
    therapist = TherapistFactory(therapist_profile__display_name="Ana Ruiz")
    patient = PatientFactory(patient_profile__nickname="Robin")
    return MatchFactory(patient=patient, therapist=therapist.therapist_profile)


def write(patient, body="Slept badly, but the walk helped.", mood=4, tags=("sleep",), at=NOW):
    return services.journal_entry_write(
        patient=patient, body=body, mood=mood, tags=list(tags), now=at
    )


# --- Writing ------------------------------------------------------------------------------


def test_an_entry_is_kept_encrypted_and_private(pair):
    entry = write(pair.patient)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT body_encrypted, details_encrypted FROM matching_journalentry WHERE id = %s",
            [entry.pk],
        )
        body, details = cursor.fetchone()
    assert "Slept badly" not in body
    assert body.startswith("dk1.")
    assert "sleep" not in details
    assert details.startswith("dk1.")
    kept = JournalEntry.objects.get(pk=entry.pk)
    assert (kept.body, kept.mood, kept.tags) == ("Slept badly, but the walk helped.", 4, ["sleep"])
    assert not JournalShare.objects.exists()


def test_writing_from_the_page(pair):
    client = client_for(pair.patient)

    answer = client.post(
        reverse("journal"),
        {"body": "  A calmer day.  ", "mood": "7", "tags": ["work", "gratitude"]},
    )

    assert answer.status_code == 302
    entry = JournalEntry.objects.get()
    assert (entry.body, entry.mood, entry.tags) == ("A calmer day.", 7, ["gratitude", "work"])
    page = client.get(reverse("journal")).content.decode()
    assert "A calmer day." in page
    assert "Private: only you can read it." in page
    assert "mood 7/10" in page
    assert 'id="mood-chart-mine-title"' in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"body": "   "}, "body", "Write something first: an empty entry is not kept."),
        ({"body": "x" * 10_001}, "body", "Ensure this value has at most 10000 characters"),
        ({"body": "ok", "mood": "11"}, "mood", "Select a valid choice."),
        ({"body": "ok", "mood": "zero"}, "mood", "Select a valid choice."),
        ({"body": "ok", "tags": ["diagnosis"]}, "tags", "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_nothing_kept(pair, data, field, message):
    answer = client_for(pair.patient).post(reverse("journal"), data)

    assert answer.status_code == 422
    assert message in answer.content.decode()
    assert not JournalEntry.objects.exists()


def test_the_service_checks_the_same_as_the_form(pair):
    for body, mood, tags in (("", None, []), ("ok", 0, []), ("ok", None, ["nope"])):
        with pytest.raises(ValidationError):
            write(pair.patient, body=body, mood=mood, tags=tags)
    assert not JournalEntry.objects.exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.text(max_size=50),
    mood=st.text(max_size=4) | st.integers().map(str),
    tags=st.lists(st.text(max_size=12), max_size=3),
)
def test_no_input_gives_a_500(pair, body, mood, tags):
    clean = [value.replace("\x00", "") for value in (body, mood)]
    answer = client_for(pair.patient).post(
        reverse("journal"),
        {"body": clean[0], "mood": clean[1], "tags": [t.replace("\x00", "") for t in tags]},
    )

    assert answer.status_code in (302, 422)


def test_changing_and_deleting_an_entry(pair):
    entry = write(pair.patient)
    client = client_for(pair.patient)
    address = reverse("journal_entry", kwargs={"pk": entry.pk})
    assert "Slept badly" in client.get(address).content.decode()

    assert client.post(address, {"body": "Slept well.", "mood": "8"}).status_code == 302
    entry.refresh_from_db()
    assert (entry.body, entry.mood, entry.tags) == ("Slept well.", 8, [])
    assert client.post(address, {"body": ""}).status_code == 422
    entry.refresh_from_db()
    assert entry.body == "Slept well."  # nothing half-written

    delete = reverse("journal_entry_delete", kwargs={"pk": entry.pk})
    assert client.post(delete).status_code == 302
    assert not JournalEntry.objects.exists()


# --- Sharing ------------------------------------------------------------------------------


def test_shared_then_taken_back_the_therapist_sees_it_then_not(pair):
    entry = write(pair.patient)
    client = client_for(pair.patient)
    share = reverse("journal_entry_share", kwargs={"pk": entry.pk})
    therapist = pair.therapist.user
    assert "Slept badly" not in patient_page_of(therapist, pair)

    assert client.post(share, {"share": "yes"}).status_code == 302
    page = patient_page_of(therapist, pair)
    assert "Slept badly, but the walk helped." in page
    assert "Shared:" in page
    assert 'id="mood-chart-shared-title"' in page
    assert "Shared with your therapist:" in client.get(reverse("journal")).content.decode()
    assert AccessEntry.objects.filter(
        patient_id=pair.patient_id, kind=AccessEntry.Kind.JOURNAL, accessor_id=therapist.pk
    ).exists()

    assert client.post(share, {"share": "no"}).status_code == 302
    assert "Slept badly" not in patient_page_of(therapist, pair)
    assert "Nothing shared with you yet." in patient_page_of(therapist, pair)


def test_the_therapist_sees_only_what_is_shared_and_the_chart_only_over_it(pair):
    write(pair.patient, body="Private thoughts.", mood=2)
    shared = write(pair.patient, body="For our session.", mood=6, at=NOW + timedelta(days=1))
    services.journal_entry_share(entry=shared, now=NOW + timedelta(days=1))

    entries = selectors.journal_shared_with(match=pair, reader=pair.therapist.user)

    assert [entry.body for entry in entries] == ["For our session."]
    page = patient_page_of(pair.therapist.user, pair)
    assert "Private thoughts." not in page
    assert "1 mood" in page or "One mood" in page


def test_sharing_twice_changes_nothing_and_without_a_therapist_it_says_so(pair):
    entry = write(pair.patient)
    services.journal_entry_share(entry=entry, now=NOW)
    services.journal_entry_share(entry=entry, now=NOW + timedelta(hours=1))
    assert JournalShare.objects.count() == 1

    alone = PatientFactory()
    own = write(alone)
    answer = client_for(alone).post(
        reverse("journal_entry_share", kwargs={"pk": own.pk}), {"share": "yes"}, follow=True
    )
    assert "You have no therapist to share it with yet." in answer.content.decode()
    assert not JournalShare.objects.filter(entry=own).exists()


def test_after_a_change_of_therapist_the_new_one_sees_only_what_is_shared_with_them(pair):
    entry = write(pair.patient)
    services.journal_entry_share(entry=entry, now=NOW)
    Match.objects.filter(pk=pair.pk).update(status=Match.Status.ENDED, ended_at=NOW)
    new = MatchFactory(patient=pair.patient)

    assert selectors.journal_shared_with(match=new, reader=new.therapist.user) == []
    # The former therapist's share stays tied to their match (their record)...
    assert JournalShare.objects.filter(match=pair, unshared_at__isnull=True).exists()
    # ...but they read nothing of the patient any more (their patient page is a 404).
    assert patient_page_status(pair.therapist.user, pair) == 404
    # The patient's page shows the entry private again, for the new therapist.
    assert selectors.journal_entries_for_patient(patient=pair.patient)[0].shared_at is None


# --- Nobody else ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["another patient", "their therapist", "another therapist", "staff"]
)
def test_nobody_else_reaches_an_entrys_pages(pair, who):
    entry = write(pair.patient)
    user = {
        "another patient": PatientFactory,
        "their therapist": lambda: pair.therapist.user,
        "another therapist": TherapistFactory,
        "staff": StaffFactory,
    }[who]()
    client = client_for(user)
    for name in ("journal_entry", "journal_entry_delete", "journal_entry_share"):
        address = reverse(name, kwargs={"pk": entry.pk})
        assert client.post(address, {"body": "mine now", "share": "yes"}).status_code == 404
    if who != "another patient":
        assert client.get(reverse("journal")).status_code == 404
    entry.refresh_from_db()
    assert entry.body == "Slept badly, but the walk helped."
    assert not JournalShare.objects.exists()


def test_another_therapist_never_sees_a_shared_entry(pair):
    entry = write(pair.patient)
    services.journal_entry_share(entry=entry, now=NOW)
    other = TherapistFactory()

    assert patient_page_status(other, pair) == 404
    assert selectors.journal_entries_for_patient(patient=PatientFactory()) == []
    # Their own patient's match reads nothing of another patient's shares.
    own = MatchFactory(therapist=other.therapist_profile)
    assert selectors.journal_shared_with(match=own, reader=other) == []


def test_an_unvetted_therapist_gets_404(pair):
    unvetted = TherapistFactory(therapist_profile__vetting_status="submitted")
    assert client_for(unvetted).get(reverse("journal")).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    answer = client.get(reverse("journal"))
    assert answer.status_code == 302
    assert reverse("account_login") in answer["Location"]


# --- Data rights ----------------------------------------------------------------------------


def test_the_journal_is_in_the_export_and_gone_with_the_account(pair):
    entry = write(pair.patient)
    services.journal_entry_share(entry=entry, now=NOW)

    exported = selectors.person_export(user=pair.patient)["journal"]

    assert exported == [
        {
            "written_at": NOW,
            "changed_at": NOW,
            "text": "Slept badly, but the walk helped.",
            "mood": 4,
            "tags": ["sleep"],
            "shared": [{"with": "Ana Ruiz", "shared_at": NOW, "taken_back_at": None}],
        }
    ]
    erasure.patient_matching_erase(patient=pair.patient, now=timezone.now())
    assert not JournalEntry.objects.exists()
    assert not JournalShare.objects.exists()


def patient_page_of(therapist, match) -> str:
    answer = client_for(therapist).get(
        reverse("therapist_patient", kwargs={"patient_id": match.patient_id})
    )
    assert answer.status_code == 200
    return answer.content.decode()


def patient_page_status(therapist, match) -> int:
    return (
        client_for(therapist)
        .get(reverse("therapist_patient", kwargs={"patient_id": match.patient_id}))
        .status_code
    )


def test_the_mood_chart_draws_each_mood_oldest_first_with_a_table(pair):
    for days, mood in ((0, 3), (2, 5), (5, 8)):
        write(pair.patient, mood=mood, at=NOW + timedelta(days=days))
    write(pair.patient, mood=None, at=NOW + timedelta(days=6))  # no mood: not drawn

    page = client_for(pair.patient).get(reverse("journal")).content.decode()

    chart = page[page.index('<figure class="mood-chart') : page.index("</figure>")]
    assert chart.count("<circle") == 3
    assert "3 moods from" in chart
    points = chart.split('<polyline points="')[1].split('"')[0].split()
    heights = [float(point.split(",")[1]) for point in points]
    assert heights == sorted(heights, reverse=True)  # 3, 5, 8: higher on the page each time
    rows = chart.split("<tbody>")[1]
    assert [cell for cell in ("<td>3</td>", "<td>5</td>", "<td>8</td>") if cell in rows] == [
        "<td>3</td>",
        "<td>5</td>",
        "<td>8</td>",
    ]
    assert rows.index("<td>3</td>") < rows.index("<td>8</td>")
