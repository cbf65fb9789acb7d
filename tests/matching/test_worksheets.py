"""Worksheets (issue 18, item 3 and the access rules of item 4): a library staff keep in the
admin (four seeded, fr and en), given by the patient's current therapist, filled in by the
patient and saved as they type, marked done, read by the therapist on the patient page (in the
access log). Answers under the patient's data key; staff never read them. Only the pair; a
former therapist keeps what was given in their match, read-only; in the export, gone with the
account."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AccessEntry
from matching import selectors, worksheet_fields
from matching.models import Match, Worksheet, WorksheetAssignment
from matching.services import erasure
from matching.services import worksheets as services
from tests.factories import PatientFactory, StaffFactory, TherapistFactory
from tests.factories.goals import WorksheetAssignmentFactory, WorksheetFactory, seeded_worksheet
from tests.factories.matching import MatchFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
TODAY = timezone.localdate()


@pytest.fixture
def pair():
    therapist = TherapistFactory(therapist_profile__display_name="Ana Ruiz")
    patient = PatientFactory(patient_profile__nickname="Robin")
    return MatchFactory(patient=patient, therapist=therapist.therapist_profile)


@pytest.fixture
def sheet():
    return WorksheetFactory(slug="check-in-sheet")


@pytest.fixture
def given_sheet(pair, sheet):
    return services.worksheet_assign(
        match=pair, worksheet=sheet, due_date=None, note="Try it after work.", today=TODAY, now=NOW
    )


def save(client, assignment, data):
    return client.post(reverse("worksheet_save", kwargs={"pk": assignment.pk}), data)


# --- The library ----------------------------------------------------------------------------


def test_four_worksheets_are_seeded_in_english_and_french():
    slugs = ["thought-record", "behavioural-activation", "sleep-diary", "grounding-54321"]
    for slug in slugs:
        sheet = seeded_worksheet(slug)
        assert worksheet_fields.fields_problems(sheet.fields) == []
        assert sheet.title_en
        assert sheet.title_fr != sheet.title_en
        assert sheet.instructions_en
        assert sheet.instructions_fr
        sheet.full_clean()
    assert seeded_worksheet("sleep-diary").rows == 7
    assert {f["kind"] for f in seeded_worksheet("thought-record").fields} >= {"longtext", "scale"}


@pytest.mark.parametrize(
    "fields",
    [
        [],
        "not a list",
        [{"key": "A b", "kind": "text", "label_en": "x", "label_fr": "x"}],
        [{"key": "a", "kind": "essay", "label_en": "x", "label_fr": "x"}],
        [{"key": "a", "kind": "text", "label_en": "x"}],
        [
            {"key": "a", "kind": "text", "label_en": "x", "label_fr": "x"},
            {"key": "a", "kind": "text", "label_en": "y", "label_fr": "y"},
        ],
    ],
)
def test_staff_cannot_save_a_worksheet_with_broken_fields(fields):
    sheet = Worksheet(
        slug="broken", title_en="t", title_fr="t", instructions_en="i", instructions_fr="i"
    )
    sheet.fields = fields
    with pytest.raises(ValidationError) as refused:
        sheet.full_clean()
    assert "fields" in refused.value.message_dict


def test_staff_manage_the_library_but_have_no_page_on_answers_or_goals(given_sheet):
    admin = client_for(StaffFactory(is_superuser=True))
    library = admin.get(reverse("admin:matching_worksheet_changelist"))
    assert library.status_code == 200
    assert "Check-in sheet" in library.content.decode()
    for name in ("worksheetassignment", "goal", "goalstep"):
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:matching_{name}_changelist")
    page = admin.get(reverse("admin:matching_worksheet_change", args=[given_sheet.worksheet_id]))
    assert "Try it after work." not in page.content.decode()


# --- Giving a worksheet ----------------------------------------------------------------------


def test_the_therapist_gives_a_worksheet_from_the_library(pair, sheet):
    client = client_for(pair.therapist.user)
    address = reverse("worksheet_assign", kwargs={"patient_id": pair.patient_id})
    form = client.get(address).content.decode()
    assert "Check-in sheet" in form
    assert "Thought record" in form  # the seeded ones are offered too

    due = TODAY + timedelta(days=3)
    answer = client.post(
        address, {"worksheet": sheet.pk, "due_date": due.isoformat(), "note": "After work."}
    )

    assert answer.status_code == 302
    given_ = WorksheetAssignment.objects.get()
    assert (given_.patient_id, given_.due_date, given_.note) == (
        pair.patient_id,
        due,
        "After work.",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT note_encrypted FROM matching_worksheetassignment WHERE id = %s", [given_.pk]
        )
        assert cursor.fetchone()[0].startswith("dk1.")
    patient_page = client.get(
        reverse("therapist_patient", kwargs={"patient_id": pair.patient_id})
    ).content.decode()
    assert "Not started" in patient_page
    mine = client_for(pair.patient).get(reverse("exercises")).content.decode()
    assert "Check-in sheet" in mine


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose an exercise of the library."),
        ({"worksheet": "999999"}, "Choose an exercise of the library."),
        ({"worksheet": "SHEET", "due_date": "2020-01-01"}, "Choose a due date from today on"),
        ({"worksheet": "SHEET", "due_date": "31/31/31"}, "Give a date, such as 2026-12-31."),
        ({"worksheet": "SHEET", "note": "n" * 2001}, "at most 2000 characters"),
        ({"worksheet": "RETIRED"}, "Choose an exercise of the library."),
    ],
)
def test_bad_input_when_giving_a_worksheet(pair, sheet, data, message):
    retired = WorksheetFactory(slug="retired", active=False)
    data = {
        key: {"SHEET": str(sheet.pk), "RETIRED": str(retired.pk)}.get(value, value)
        for key, value in data.items()
    }
    answer = client_for(pair.therapist.user).post(
        reverse("worksheet_assign", kwargs={"patient_id": pair.patient_id}), data
    )

    assert answer.status_code == 422
    assert message in answer.content.decode()
    assert not WorksheetAssignment.objects.exists()


def test_a_therapist_cannot_give_a_worksheet_to_someone_not_their_patient(pair, sheet):
    for patient_id in (PatientFactory().pk, MatchFactory().patient_id, 999_999):
        answer = client_for(pair.therapist.user).post(
            reverse("worksheet_assign", kwargs={"patient_id": patient_id}),
            {"worksheet": sheet.pk},
        )
        assert answer.status_code == 404
    assert not WorksheetAssignment.objects.exists()


# --- Filling it in --------------------------------------------------------------------------


def test_a_worksheets_name_stays_out_of_the_page_title(pair, given_sheet):
    """The browser's history and tabs keep page titles: "Exercise", never what it is about."""
    pages = [
        client_for(pair.patient).get(reverse("worksheet_fill", kwargs={"pk": given_sheet.pk})),
        client_for(pair.therapist.user).get(
            reverse("worksheet_answers", kwargs={"pk": given_sheet.pk})
        ),
    ]
    for page in pages:
        body = page.content.decode()
        title = body[body.index("<title>") : body.index("</title>")]
        assert "Exercise" in title
        assert given_sheet.worksheet.title_en not in title
        assert given_sheet.worksheet.title_en in body  # on the page itself


def test_answers_are_saved_as_typed_encrypted_and_shown_again(pair, given_sheet):
    client = client_for(pair.patient)

    first = save(client, given_sheet, {"a-0-moment": "Monday meeting"})
    second = save(client, given_sheet, {"a-0-level": " 7 ", "a-0-story": "My chest was tight."})

    assert (first.status_code, first.json()) == (200, {"saved": ["a-0-moment"]})
    assert second.status_code == 200
    given_sheet.refresh_from_db()
    assert given_sheet.answers == {
        "0:moment": "Monday meeting",
        "0:level": "7",
        "0:story": "My chest was tight.",
    }
    assert given_sheet.answers_encrypted.startswith("dk1.")
    assert "Monday" not in given_sheet.answers_encrypted
    page = client.get(reverse("worksheet_fill", kwargs={"pk": given_sheet.pk})).content.decode()
    assert 'value="Monday meeting"' in page
    assert "My chest was tight.</textarea>" in page
    assert 'id="save-status"' in page
    assert 'aria-live="polite"' in page
    # Emptying a field clears it.
    assert save(client, given_sheet, {"a-0-moment": ""}).status_code == 200
    given_sheet.refresh_from_db()
    assert "0:moment" not in given_sheet.answers


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"a-0-level": "11"}, "a-0-level", "Give a whole number from 0 to 10."),
        ({"a-0-level": "-1"}, "a-0-level", "Give a whole number from 0 to 10."),
        ({"a-0-level": "²"}, "a-0-level", "Give a whole number from 0 to 10."),
        ({"a-0-day": "2026-02-30"}, "a-0-day", "Give a date, such as 2026-12-31."),
        ({"a-0-moment": "m" * 501}, "a-0-moment", "At most 500 characters here."),
        ({"a-0-story": "s" * 5001}, "a-0-story", "At most 5000 characters here."),
        ({"a-0-nothing": "x"}, "a-0-nothing", "This exercise has no such field."),
        ({"a-1-moment": "x"}, "a-1-moment", "This exercise has no such field."),
    ],
)
def test_a_refused_answer_says_why_and_nothing_of_the_batch_is_kept(
    pair, given_sheet, data, field, message
):
    answer = save(client_for(pair.patient), given_sheet, {"a-0-story": "kept?", **data})

    assert answer.status_code == 422
    assert answer.json() == {"errors": {field: message}}
    given_sheet.refresh_from_db()
    assert given_sheet.answers is None
    assert given_sheet.changed_at is None


def test_the_page_without_javascript_saves_everything_or_says_why_beside_the_field(
    pair, given_sheet
):
    client = client_for(pair.patient)
    address = reverse("worksheet_fill", kwargs={"pk": given_sheet.pk})

    refused = client.post(address, {"a-0-moment": "Lunch", "a-0-level": "12"})

    assert refused.status_code == 422
    body = refused.content.decode()
    assert 'id="id_a-0-level_error" class="text-danger small" data-field-error>Give a whole' in body
    assert 'value="Lunch"' in body  # what was typed stays on the page
    given_sheet.refresh_from_db()
    assert given_sheet.answers is None

    assert client.post(address, {"a-0-moment": "Lunch", "a-0-level": "3"}).status_code == 302
    given_sheet.refresh_from_db()
    assert given_sheet.answers == {"0:moment": "Lunch", "0:level": "3"}


def test_a_diary_repeats_its_fields_row_by_row(pair):
    diary = services.worksheet_assign(
        match=pair,
        worksheet=seeded_worksheet("sleep-diary"),
        due_date=None,
        note="",
        today=TODAY,
        now=NOW,
    )
    client = client_for(pair.patient)
    assert save(client, diary, {"a-6-rested": "4", "a-0-to_bed": "23:40"}).status_code == 200
    assert save(client, diary, {"a-7-rested": "4"}).status_code == 422
    page = client.get(reverse("worksheet_fill", kwargs={"pk": diary.pk})).content.decode()
    assert page.count("<fieldset") == 7
    assert "Night 7" in page


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.dictionaries(
        st.sampled_from(["a-0-moment", "a-0-story", "a-0-level", "a-0-day", "a-9-x", "other"])
        | st.text(max_size=12),
        st.text(max_size=40) | st.integers().map(str) | st.dates().map(str),
        max_size=5,
    )
)
def test_no_autosave_input_gives_a_500(pair, given_sheet, data):
    clean = {k.replace("\x00", ""): v.replace("\x00", "") for k, v in data.items()}
    answer = save(client_for(pair.patient), given_sheet, clean)

    assert answer.status_code in (200, 422)


def test_marked_done_the_therapist_sees_it_done_with_the_answers_and_it_is_logged(
    pair, given_sheet
):
    client = client_for(pair.patient)
    save(client, given_sheet, {"a-0-moment": "Monday meeting", "a-0-level": "6"})
    in_progress = client_for(pair.therapist.user).get(
        reverse("therapist_patient", kwargs={"patient_id": pair.patient_id})
    )
    assert "In progress" in in_progress.content.decode()

    done = client.post(reverse("worksheet_done", kwargs={"pk": given_sheet.pk}), {"done": "yes"})

    assert done.status_code == 302
    given_sheet.refresh_from_db()
    assert given_sheet.done_at is not None
    therapist = client_for(pair.therapist.user)
    page = therapist.get(
        reverse("therapist_patient", kwargs={"patient_id": pair.patient_id})
    ).content.decode()
    assert 'data-status="done"' in page
    assert "Monday meeting" in page
    single = therapist.get(reverse("worksheet_answers", kwargs={"pk": given_sheet.pk}))
    assert "Monday meeting" in single.content.decode()
    assert AccessEntry.objects.filter(
        patient_id=pair.patient_id, kind=AccessEntry.Kind.WORKSHEET, accessor_id=pair.therapist.pk
    ).exists()
    dashboard = therapist.get(reverse("home")).content.decode()
    section = dashboard[dashboard.index('id="care-section"') :]
    assert "Check-in sheet" in section
    assert 'data-status="done"' in section
    # Open again: no longer done.
    client.post(reverse("worksheet_done", kwargs={"pk": given_sheet.pk}), {"done": "no"})
    given_sheet.refresh_from_db()
    assert given_sheet.done_at is None


def test_the_status_says_not_started_in_progress_done_or_overdue(pair, sheet):
    today = date(2026, 12, 10)
    given_ = WorksheetAssignmentFactory(match=pair, worksheet=sheet, due_date=today)
    assert given_.status_on(today) == "not_started"
    given_.changed_at = NOW
    assert given_.status_on(today) == "in_progress"
    assert given_.status_on(today + timedelta(days=1)) == "overdue"
    given_.done_at = NOW
    assert given_.status_on(today + timedelta(days=1)) == "done"


# --- Nobody else ----------------------------------------------------------------------------


OUTSIDERS = {
    "another patient": PatientFactory,
    "another therapist": TherapistFactory,
    "an unvetted therapist": lambda: TherapistFactory(
        therapist_profile__vetting_status="submitted"
    ),
    "a suspended therapist": lambda: TherapistFactory(
        therapist_profile__vetting_status="suspended"
    ),
    "staff": StaffFactory,
}


@pytest.mark.parametrize("who", list(OUTSIDERS))
def test_nobody_else_reaches_a_worksheet(pair, given_sheet, sheet, who):
    save(client_for(pair.patient), given_sheet, {"a-0-moment": "Private words"})
    client = client_for(OUTSIDERS[who]())
    pk = {"pk": given_sheet.pk}
    for name in ("worksheet_save", "worksheet_fill", "worksheet_done"):
        assert (
            client.post(reverse(name, kwargs=pk), {"a-0-moment": "x", "done": "yes"}).status_code
            == 404
        )
    for address in (
        reverse("worksheet_fill", kwargs=pk),
        reverse("worksheet_answers", kwargs=pk),
        reverse("care_record", kwargs={"match_id": pair.pk}),
        reverse("worksheet_assign", kwargs={"patient_id": pair.patient_id}),
    ):
        answer = client.get(address)
        assert answer.status_code == 404, address
        assert "Private words" not in answer.content.decode()
    assert (
        client.post(
            reverse("worksheet_assign", kwargs={"patient_id": pair.patient_id}),
            {"worksheet": sheet.pk},
        ).status_code
        == 404
    )
    given_sheet.refresh_from_db()
    assert given_sheet.answers == {"0:moment": "Private words"}
    assert given_sheet.done_at is None
    assert WorksheetAssignment.objects.count() == 1


def test_the_therapist_cannot_fill_in_their_patients_worksheet(pair, given_sheet):
    answer = save(client_for(pair.therapist.user), given_sheet, {"a-0-moment": "x"})
    assert answer.status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, given_sheet):
    for address in (
        reverse("worksheet_fill", kwargs={"pk": given_sheet.pk}),
        reverse("worksheet_answers", kwargs={"pk": given_sheet.pk}),
    ):
        answer = client.get(address)
        assert answer.status_code == 302
        assert reverse("account_login") in answer["Location"]
    assert client.post(reverse("worksheet_save", kwargs={"pk": given_sheet.pk})).status_code == 302


def test_after_a_change_of_therapist(pair, given_sheet, sheet):
    """The former therapist keeps reading what was given in their match, as it was when it
    ended; the patient can no longer change it; the new therapist does not see it."""
    client = client_for(pair.patient)
    save(client, given_sheet, {"a-0-moment": "Before the change"})
    Match.objects.filter(pk=pair.pk).update(status=Match.Status.ENDED, ended_at=NOW)
    new_match = MatchFactory(patient=pair.patient)
    later = services.worksheet_assign(
        match=new_match, worksheet=sheet, due_date=None, note="", today=TODAY, now=NOW
    )

    refused = save(client, given_sheet, {"a-0-moment": "After the change"})
    assert refused.status_code == 422
    assert "former therapist" in refused.json()["errors"]["__all__"]
    save(client, later, {"a-0-moment": "For the new therapist"})

    former = client_for(pair.therapist.user)
    old_answers = former.get(reverse("worksheet_answers", kwargs={"pk": given_sheet.pk}))
    assert old_answers.status_code == 200
    assert "Before the change" in old_answers.content.decode()
    assert former.get(reverse("worksheet_answers", kwargs={"pk": later.pk})).status_code == 404
    record = former.get(reverse("care_record", kwargs={"match_id": pair.pk})).content.decode()
    assert "Before the change" in record
    assert "For the new therapist" not in record
    assert (
        former.post(
            reverse("worksheet_assign", kwargs={"patient_id": pair.patient_id}),
            {"worksheet": sheet.pk},
        ).status_code
        == 404
    )

    new_client = client_for(new_match.therapist.user)
    assert (
        new_client.get(reverse("worksheet_answers", kwargs={"pk": given_sheet.pk})).status_code
        == 404
    )
    new_page = new_client.get(
        reverse("therapist_patient", kwargs={"patient_id": pair.patient_id})
    ).content.decode()
    assert "For the new therapist" in new_page
    assert "Before the change" not in new_page
    assert (
        "kept as it was"
        in client.get(reverse("worksheet_fill", kwargs={"pk": given_sheet.pk})).content.decode()
    )


# --- Data rights ----------------------------------------------------------------------------


def test_worksheets_are_in_the_export_and_gone_with_the_account(pair, given_sheet):
    services.worksheet_answers_save(
        assignment=given_sheet, answers={"a-0-moment": "Monday"}, now=NOW
    )

    exported = selectors.care_export(user=pair.patient)["worksheets"]

    assert exported == [
        {
            "therapist": "Ana Ruiz",
            "worksheet": "Check-in sheet",
            "note": "Try it after work.",
            "given_at": NOW,
            "due_date": None,
            "done_at": None,
            "answers": {"0:moment": "Monday"},
        }
    ]
    erasure.patient_matching_erase(patient=pair.patient, now=timezone.now())
    assert not WorksheetAssignment.objects.exists()
    assert Worksheet.objects.filter(pk=given_sheet.worksheet_id).exists()  # the library stays
