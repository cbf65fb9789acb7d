"""The therapist's private session notes: written from when the room opens, editable until
SESSION_NOTES_EDITABLE_HOURS after the planned end, then locked with dated addenda; encrypted at
rest; read by the appointment's own therapist only (not the patient, not another therapist,
not an unvetted or suspended one, not staff in the admin), who keeps them after the patient
moved on; re-encrypted with a rotated key."""

import html
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import TherapistProfile
from core import crypto
from core.keyvault import VaultError
from matching.models import Match
from scheduling.models import Appointment, SessionNote, SessionNoteAddendum
from scheduling.selectors import notes as selectors_notes
from scheduling.services import notes as services
from tests.factories.matching import MatchFactory
from tests.factories.scheduling import session_of
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# The session: Monday 4 March 2030, 11:00–11:50 in Paris (the factories' zone), 10:00 UTC.
STARTS = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(minutes=50)
OPENS = STARTS - timedelta(minutes=10)  # SESSION_ROOM_OPENS_MINUTES_BEFORE
LOCKS = ENDS + timedelta(hours=24)  # SESSION_NOTES_EDITABLE_HOURS
DURING = STARTS + timedelta(minutes=20)
TEXT = "Slept badly this week; we worked on the evening routine."


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(DURING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def appointment(patient, therapist) -> Appointment:
    return session(patient, therapist, STARTS)


def session(patient, therapist, starts_at, minutes=50, **fields) -> Appointment:
    return session_of(patient, therapist.therapist_profile, starts_at, minutes, **fields)


def notes_url(appointment) -> str:
    return reverse("session_notes", kwargs={"pk": appointment.pk})


def save_url(appointment) -> str:
    return reverse("session_note_save", kwargs={"pk": appointment.pk})


def addendum_url(appointment) -> str:
    return reverse("session_note_addendum_add", kwargs={"pk": appointment.pk})


def text(response) -> str:
    return html.unescape(response.content.decode())


def saved_body(appointment) -> str:
    return crypto.decrypt_text(SessionNote.objects.get(appointment=appointment).body_encrypted)


def write(appointment, body=TEXT, version=0, at=None) -> SessionNote:
    return services.session_note_save(
        therapist=appointment.therapist,
        appointment=appointment,
        body=body,
        version=version,
        now=at,
    )


# --- Writing and editing -----------------------------------------------------------------------


def test_the_therapist_writes_then_edits_a_note_without_javascript(appointment, therapist_client):
    page = therapist_client.get(notes_url(appointment))
    assert page.status_code == 200
    body = text(page)
    assert "<title>Session notes ·" in body
    assert "Only you can read these notes" in body
    assert "Monday 4 March 2030, 11:00</time> · Robin" in body
    assert 'name="version" value="0"' in body
    assert "Editable until Tuesday 5 March 2030, 11:50." in body
    assert "no-store" in page["Cache-Control"]

    response = therapist_client.post(save_url(appointment), {"body": TEXT, "version": "0"})

    assert response.status_code == 302
    assert response.url == notes_url(appointment) + "#notes"
    assert saved_body(appointment) == TEXT
    page = text(therapist_client.get(response.url))
    assert "Note saved at 11:20." in page  # the therapist's clock
    assert TEXT in page
    assert 'name="version" value="1"' in page
    assert "Last saved Monday 4 March, 11:20." in page

    therapist_client.post(save_url(appointment), {"body": TEXT + " Better.", "version": "1"})

    note = SessionNote.objects.get()
    assert (note.version, saved_body(appointment)) == (2, TEXT + " Better.")
    assert note.therapist == appointment.therapist


def test_saving_with_htmx_answers_the_notes_part_and_a_status_line(appointment, therapist_client):
    response = therapist_client.post(
        save_url(appointment), {"body": TEXT, "version": "0"}, headers=HTMX
    )

    assert response.status_code == 200
    # The editor stays untouched (its text, the caret): its version, when it was saved and the
    # status line change, out of band.
    assert response["HX-Reswap"] == "none"
    body = text(response)
    assert "<html" not in body
    assert "<textarea" not in body
    assert (
        '<input type="hidden" name="version" value="1" id="id_version" hx-swap-oob="true">' in body
    )
    assert 'id="note-saved-at" class="small text-body-secondary" hx-swap-oob="true"' in body
    assert "Last saved Monday 4 March, 11:20." in body
    assert 'id="notes-status" hx-swap-oob="innerHTML"' in body
    assert "Note saved at 11:20." in body
    assert saved_body(appointment) == TEXT


def test_an_empty_note_is_refused_and_nothing_is_written(appointment, therapist_client):
    for htmx in ({}, HTMX):
        response = therapist_client.post(
            save_url(appointment), {"body": "  \r\n  ", "version": "0"}, headers=htmx
        )
        assert response.status_code == 422
        assert "Write something before saving." in text(response)
    assert not SessionNote.objects.exists()


def test_a_note_too_long_is_refused_and_shown_back_whole(appointment, therapist_client):
    too_long = "a" * 19_990 + " the end."  # 20,001 characters with no end-of-line change
    assert len(too_long) == 19_999
    too_long += "!!"

    response = therapist_client.post(save_url(appointment), {"body": too_long, "version": "0"})

    assert response.status_code == 422
    body = text(response)
    assert "This is 20,001 characters long: the most is 20,000. Nothing was saved" in body
    assert too_long in body  # nothing lost: the whole text is back in the editor
    assert "maxlength" not in body  # the browser cuts nothing either
    assert not SessionNote.objects.exists()

    response = therapist_client.post(save_url(appointment), {"body": too_long[:-1], "version": 0})
    assert response.status_code == 302
    assert len(saved_body(appointment)) == 20_000


def test_a_save_from_another_window_is_not_overwritten_silently(appointment, therapist_client):
    write(appointment, "Written in the first window.")
    write(appointment, "Saved from the second window.", version=1)

    response = therapist_client.post(
        save_url(appointment), {"body": "Typed in the first window.", "version": "1"}
    )

    assert response.status_code == 409
    body = text(response)
    assert "saved from another window since you opened it" in body
    assert "Saved from the second window." in body  # the saved note, shown above
    assert ">\nTyped in the first window.</textarea>" in body  # what they typed, in the editor
    assert 'name="version" value="2"' in body  # saving again replaces the saved note
    assert saved_body(appointment) == "Saved from the second window."

    therapist_client.post(save_url(appointment), {"body": "Typed again.", "version": "2"})
    assert saved_body(appointment) == "Typed again."


def test_a_form_without_its_version_is_refused_with_the_text_kept(appointment, therapist_client):
    response = therapist_client.post(save_url(appointment), {"body": TEXT})

    assert response.status_code == 422
    assert "reload the page" in text(response)
    assert TEXT in text(response)
    assert not SessionNote.objects.exists()


# --- Time: the room opens, the note locks ------------------------------------------------------


def test_before_the_room_opens_there_is_nothing_to_write(appointment, therapist_client, clock):
    clock.move_to(OPENS - timedelta(seconds=1))

    page = text(therapist_client.get(notes_url(appointment)))
    assert "You can write notes from Monday 4 March 2030, 10:50" in page
    assert "<textarea" not in page

    response = therapist_client.post(save_url(appointment), {"body": TEXT, "version": "0"})
    assert response.status_code == 422
    assert "Notes can be written from when the session's room opens." in text(response)
    assert TEXT in text(response)  # kept, to copy
    assert not SessionNote.objects.exists()

    clock.move_to(OPENS)
    assert (
        therapist_client.post(save_url(appointment), {"body": TEXT, "version": "0"}).status_code
        == 302
    )
    assert saved_body(appointment) == TEXT


def test_the_note_locks_exactly_at_the_planned_end_plus_the_editable_hours(appointment, clock):
    note = write(appointment)
    assert selectors_notes.notes_lock_at(appointment) == LOCKS

    clock.move_to(LOCKS - timedelta(microseconds=1))
    note = write(appointment, "Last change.", version=note.version)
    assert note.version == 2

    clock.move_to(LOCKS)
    with pytest.raises(services.NoteLocked):
        write(appointment, "Too late.", version=2)
    assert saved_body(appointment) == "Last change."


def test_the_editable_hours_are_a_setting(appointment, settings, clock):
    settings.SESSION_NOTES_EDITABLE_HOURS = 2
    assert selectors_notes.notes_lock_at(appointment) == ENDS + timedelta(hours=2)
    clock.move_to(ENDS + timedelta(hours=2))
    with pytest.raises(services.NoteLocked):
        write(appointment)


def test_an_edit_sent_after_the_lock_is_refused_and_offered_as_an_addendum(
    appointment, therapist_client, clock
):
    write(appointment)
    clock.move_to(LOCKS)

    response = therapist_client.post(
        save_url(appointment), {"body": TEXT + " And one more thing.", "version": "1"}
    )

    assert response.status_code == 409
    body = text(response)
    assert "This note is locked: the time to edit it has passed" in body
    # Nothing lost: the words typed wait in the addendum form, one click from being added.
    assert 'name="addendum-body"' in body
    assert f">\n{TEXT} And one more thing.</textarea>" in body
    assert saved_body(appointment) == TEXT
    assert not SessionNoteAddendum.objects.exists()

    response = therapist_client.post(
        save_url(appointment), {"body": "Again.", "version": "1"}, headers=HTMX
    )
    assert response.status_code == 422  # the status the site's htmx swaps in
    assert "This note is locked" in text(response)
    assert ">\nAgain.</textarea>" in text(response)


def test_once_locked_the_note_is_read_only_with_dated_addenda(appointment, therapist_client, clock):
    write(appointment)
    clock.move_to(LOCKS + timedelta(hours=1))

    response = therapist_client.post(addendum_url(appointment), {"addendum-body": "Called back."})
    assert response.status_code == 302
    clock.move_to(LOCKS + timedelta(days=3))
    response = therapist_client.post(
        addendum_url(appointment), {"addendum-body": "Referred on."}, headers=HTMX
    )
    assert response.status_code == 200
    assert "Addendum added." in text(response)

    page = text(therapist_client.get(notes_url(appointment)))
    assert "Locked on Tuesday 5 March 2030, 11:50." in page
    assert TEXT in page
    assert 'name="body"' not in page  # no editor any more
    first = page.index("Added on Tuesday 5 March 2030, 12:50")
    second = page.index("Added on Friday 8 March 2030, 11:50")
    assert first < page.index("Called back.") < second
    assert page.index("Referred on.") > second
    assert [a.created_at for a in SessionNoteAddendum.objects.order_by("pk")] == [
        LOCKS + timedelta(hours=1),
        LOCKS + timedelta(days=3),
    ]
    assert saved_body(appointment) == TEXT


def test_an_addendum_is_refused_while_the_note_can_still_be_edited(appointment, therapist_client):
    write(appointment)

    response = therapist_client.post(addendum_url(appointment), {"addendum-body": "Early."})

    assert response.status_code == 422
    assert "The note can still be edited: change the note itself." in text(response)
    assert "Early." in text(response)
    assert not SessionNoteAddendum.objects.exists()


def test_empty_and_too_long_addenda_are_refused(appointment, therapist_client, clock):
    write(appointment)
    clock.move_to(LOCKS)
    for body, message in (("   ", "Write something before saving."), ("x" * 20_001, "20,001")):
        response = therapist_client.post(addendum_url(appointment), {"addendum-body": body})
        assert response.status_code == 422
        assert message in text(response)
    assert not SessionNoteAddendum.objects.exists()


def test_a_note_never_written_in_time_gets_dated_words_as_an_addendum(
    appointment, therapist_client, clock
):
    clock.move_to(LOCKS + timedelta(hours=2))
    page = text(therapist_client.get(notes_url(appointment)))
    assert "No note was written while it could be edited." in page

    therapist_client.post(addendum_url(appointment), {"addendum-body": "Written late."})

    page = text(therapist_client.get(notes_url(appointment)))
    assert "Added on Tuesday 5 March 2030, 13:50" in page
    assert "Written late." in page
    assert saved_body(appointment) == ""


def test_a_cancelled_session_has_no_notes(appointment, therapist_client):
    Appointment.objects.filter(pk=appointment.pk).update(
        status=Appointment.Status.CANCELLED, cancelled_at=STARTS - timedelta(days=1)
    )

    assert "This session was cancelled: it has no notes." in text(
        therapist_client.get(notes_url(appointment))
    )
    response = therapist_client.post(save_url(appointment), {"body": TEXT, "version": "0"})
    assert response.status_code == 422
    assert TEXT in text(response)
    response = therapist_client.post(addendum_url(appointment), {"addendum-body": TEXT})
    assert response.status_code == 422
    assert not SessionNote.objects.exists()


def test_a_note_written_before_a_cancellation_locks_with_it(appointment, clock):
    clock.move_to(OPENS)
    write(appointment)
    cancelled_at = OPENS + timedelta(minutes=5)
    Appointment.objects.filter(pk=appointment.pk).update(
        status=Appointment.Status.CANCELLED, cancelled_at=cancelled_at
    )
    appointment.refresh_from_db()
    clock.move_to(cancelled_at + timedelta(minutes=1))

    assert selectors_notes.notes_lock_at(appointment) == cancelled_at
    with pytest.raises(services.NoteLocked):
        write(appointment, "More.", version=1)
    services.session_note_addendum_add(
        therapist=appointment.therapist, appointment=appointment, body="Cancelled by phone."
    )
    assert SessionNoteAddendum.objects.count() == 1


def test_dates_are_in_the_therapists_own_zone(appointment, therapist, therapist_client, clock):
    therapist.time_zone = "America/New_York"
    therapist.save()
    write(appointment)
    clock.move_to(LOCKS + timedelta(hours=1))
    therapist_client.post(addendum_url(appointment), {"addendum-body": "Later."})

    page = text(therapist_client.get(notes_url(appointment)))

    assert "Times are in America/New_York." in page
    assert "Monday 4 March 2030, 05:00" in page
    assert "Locked on Tuesday 5 March 2030, 05:50." in page
    assert "Added on Tuesday 5 March 2030, 06:50" in page
    assert '<time datetime="2030-03-05T06:50:00-05:00">' in page


# --- Who reads them ----------------------------------------------------------------------------


def _outsiders_get_404(appointment, *users) -> None:
    for user in users:
        client = client_for(user)
        assert client.get(notes_url(appointment)).status_code == 404, user.email
        assert client.post(save_url(appointment), {"body": "x", "version": "0"}).status_code == 404
        assert client.post(addendum_url(appointment), {"addendum-body": "x"}).status_code == 404


def test_the_patient_and_other_therapists_get_404_and_write_nothing(
    appointment, patient, other_therapist, unvetted_therapist, other_patient
):
    write(appointment)

    _outsiders_get_404(appointment, patient, other_patient, other_therapist, unvetted_therapist)

    assert saved_body(appointment) == TEXT
    assert not SessionNoteAddendum.objects.exists()


def test_a_suspended_therapist_sees_not_even_their_own_notes(appointment, therapist):
    write(appointment)
    TherapistProfile.objects.filter(user=therapist).update(vetting_status="suspended")

    _outsiders_get_404(appointment, therapist)


def test_someone_logged_out_is_sent_to_log_in(appointment, client):
    response = client.get(notes_url(appointment))
    assert response.status_code == 302
    assert "/login/" in response.url


def test_the_services_check_the_therapist_themselves(appointment, other_therapist):
    with pytest.raises(PermissionDenied):
        services.session_note_save(
            therapist=other_therapist.therapist_profile,
            appointment=appointment,
            body=TEXT,
            version=0,
        )
    assert not SessionNote.objects.exists()


def test_staff_cannot_reach_notes_through_the_admin(appointment, staff, staff_client, clock):
    write(appointment)
    clock.move_to(LOCKS)
    services.session_note_addendum_add(
        therapist=appointment.therapist, appointment=appointment, body="Addendum words."
    )

    index = staff_client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "/admin/scheduling/appointment/" in index.text  # the admin is there...
    assert "sessionnote" not in index.text.lower()  # ...without the notes
    assert "session note" not in index.text.lower()
    assert "addend" not in index.text.lower()
    for path in (
        "/admin/scheduling/sessionnote/",
        f"/admin/scheduling/sessionnote/{SessionNote.objects.get().pk}/change/",
        "/admin/scheduling/sessionnoteaddendum/",
    ):
        assert staff_client.get(path).status_code == 404, path
    appointment_page = staff_client.get(
        reverse("admin:scheduling_appointment_change", args=[appointment.pk])
    )
    assert appointment_page.status_code == 200
    assert TEXT not in text(appointment_page)
    assert staff_client.get(notes_url(appointment)).status_code == 404


def test_the_database_holds_no_plaintext(appointment, clock):
    write(appointment)
    clock.move_to(LOCKS)
    services.session_note_addendum_add(
        therapist=appointment.therapist, appointment=appointment, body="Addendum words."
    )

    for table, words in (
        (SessionNote._meta.db_table, TEXT),
        (SessionNoteAddendum._meta.db_table, "Addendum words."),
    ):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (our own table names)
            rows = cursor.fetchall()
        assert rows
        assert words not in repr(rows)
        assert "Slept" not in repr(rows)
        assert "Addendum" not in repr(rows)
        text_columns = [
            column.name
            for column in connection.introspection.get_table_description(connection.cursor(), table)
            if column.type_code == 25  # PostgreSQL's text
        ]
        assert text_columns == ["body_encrypted"]
    token = SessionNoteAddendum.objects.get().body_encrypted
    assert crypto.decrypt_text(token) == "Addendum words."


def test_the_therapist_keeps_their_notes_after_the_patient_moved_on(
    appointment, patient, therapist, other_therapist, clock
):
    write(appointment)
    Match.objects.filter(patient=patient).update(status=Match.Status.ENDED, ended_at=timezone.now())
    MatchFactory(patient=patient, therapist=other_therapist.therapist_profile)
    clock.move_to(LOCKS)

    former = client_for(therapist)
    page = former.get(notes_url(appointment))
    assert page.status_code == 200
    assert TEXT in text(page)
    assert (
        former.post(addendum_url(appointment), {"addendum-body": "Handed over."}).status_code == 302
    )

    _outsiders_get_404(appointment, other_therapist)
    new_session = session(patient, other_therapist, LOCKS + timedelta(days=1))
    assert client_for(therapist).get(notes_url(new_session)).status_code == 404


# --- Links -------------------------------------------------------------------------------------


def test_the_therapists_pages_link_the_notes_and_the_patients_do_not(
    appointment, therapist_client, patient_client
):
    url = notes_url(appointment)
    detail = reverse("session_detail", kwargs={"pk": appointment.pk})

    assert url in therapist_client.get(detail).text
    assert url in therapist_client.get(reverse("practice_calendar"), {"week": "2030-03-04"}).text
    patient_page = patient_client.get(detail)
    assert patient_page.status_code == 200
    assert url not in patient_page.text
    assert "Session notes" not in patient_page.text


def test_a_cancelled_session_links_notes_only_if_some_were_written(
    appointment, patient, therapist, therapist_client
):
    other = session(patient, therapist, STARTS + timedelta(days=1))
    write(appointment)
    Appointment.objects.filter(pk__in=[appointment.pk, other.pk]).update(
        status=Appointment.Status.CANCELLED, cancelled_at=DURING
    )

    calendar = therapist_client.get(reverse("practice_calendar"), {"week": "2030-03-04"}).text
    assert notes_url(appointment) in calendar
    assert notes_url(other) not in calendar
    assert (
        notes_url(other)
        not in therapist_client.get(reverse("session_detail", kwargs={"pk": other.pk})).text
    )


# --- Re-encryption -----------------------------------------------------------------------------

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_reencrypting_lets_the_old_key_go(appointment, settings, therapist_client, clock, capsys):
    """Notes are under the patient's data key: the rotation re-wraps that key, not each note."""
    # The therapist's two-factor secret is under the default key: kept until the command ran.
    default = list(settings.MESSAGE_ENCRYPTION_KEYS)
    settings.MESSAGE_ENCRYPTION_KEYS = [OLD, *default]
    write(appointment)
    clock.move_to(LOCKS)
    services.session_note_addendum_add(
        therapist=appointment.therapist, appointment=appointment, body="Addendum words."
    )
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW, OLD, *default]

    call_command("reencrypt", batch_size=1)
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW]

    out = capsys.readouterr().out
    assert "1 data keys and the key vault" in out
    assert "0 session notes, 0 note addenda" in out
    page = text(therapist_client.get(notes_url(appointment)))
    assert TEXT in page
    assert "Addendum words." in page
    assert services.session_notes_reencrypt() == (0, 0)  # again: harmless


def test_notes_of_before_data_keys_move_to_the_patients_key(appointment, settings, clock):
    write(appointment)
    clock.move_to(LOCKS)
    addendum = services.session_note_addendum_add(
        therapist=appointment.therapist, appointment=appointment, body="Addendum words."
    )
    SessionNote.objects.update(body_encrypted=crypto.encrypt_text(TEXT))
    type(addendum).objects.update(body_encrypted=crypto.encrypt_text("Addendum words."))

    assert services.session_notes_reencrypt() == (1, 1)

    assert SessionNote.objects.get().body_encrypted.startswith("dk1.")
    assert saved_body(appointment) == TEXT
    assert services.session_notes_reencrypt() == (0, 0)


def test_without_reencrypting_the_old_key_is_still_needed(appointment, settings):
    settings.MESSAGE_ENCRYPTION_KEYS = [OLD]
    write(appointment)
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW]
    with pytest.raises((InvalidToken, VaultError)):
        saved_body(appointment)


def test_reencrypting_never_overwrites_a_note_saved_meanwhile(appointment, monkeypatch):
    """A row is moved only if it still holds the token read: a save in between wins."""
    write(appointment)
    SessionNote.objects.update(body_encrypted=crypto.encrypt_text(TEXT))  # a note of before
    move = crypto.reencrypt_text_for

    def move_while_the_therapist_saves(patient_id: int, token: str) -> str:
        monkeypatch.setattr(crypto, "reencrypt_text_for", move)
        write(appointment, "Saved during the rotation.", version=1)
        return move(patient_id, token)

    monkeypatch.setattr(crypto, "reencrypt_text_for", move_while_the_therapist_saves)

    assert services.session_notes_reencrypt() == (0, 0)
    assert saved_body(appointment) == "Saved during the rotation."


# --- The service's own checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"), [("", "empty"), (" \n ", "empty"), ("y" * 20_001, "too_long")]
)
def test_the_service_checks_the_words(appointment, body, code):
    with pytest.raises(ValidationError) as refused:
        write(appointment, body)
    assert refused.value.error_dict["body"][0].code == code
    assert not SessionNote.objects.exists()
