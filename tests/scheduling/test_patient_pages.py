"""The patient books in their therapist's calendar, in their own time zone; sees, moves and
cancels sessions; the therapist sees and cancels them with a reason; nobody else sees them."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from scheduling.models import Appointment
from tests.factories import PatientFactory
from tests.factories.matching import MatchFactory
from tests.helpers import client_for

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # Monday 4 March 2030, 10:00 in Paris


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def therapist(paris_therapist):
    """In Paris: Mondays and Wednesdays 09:00-12:00, sessions at 09:00, 10:00 and 11:00."""
    return paris_therapist


@pytest.fixture
def patient(db):
    """Lives in New York: 09:00 in Paris is 03:00 for her in early March 2030."""
    return PatientFactory(
        email="patient@example.test",
        time_zone="America/New_York",
        patient_profile__nickname="Robin",
    )


def _book(client, starts_at: datetime, modality="video"):
    return client.post(
        reverse("book_session"), {"starts_at": starts_at.isoformat(), "modality": modality}
    )


def test_the_week_shows_the_therapists_free_times_in_the_patients_zone(match, patient):
    page = client_for(patient).get(reverse("book_session"))

    assert page.status_code == 200
    assert "America/New_York" in page.text
    assert "Wednesday 6 March" in page.text
    for local in ("03:00", "04:00", "05:00"):
        assert f">{local}</label>" in page.text
    assert "Free times of Ana Ruiz" in page.text
    assert "Previous week" not in page.text  # no going back in time


def test_a_patient_books_and_sees_the_session_at_their_own_time(match, patient):
    client = client_for(patient)
    response = _book(client, paris(6, 10), modality="phone")

    appointment = Appointment.objects.get()
    assert response.url == reverse("session_detail", kwargs={"pk": appointment.pk})
    assert appointment.starts_at == paris(6, 10)
    assert appointment.modality == "phone"
    detail = client.get(response.url).text
    assert "Your session is booked. A confirmation email is on its way." in detail
    assert "Wednesday 6 March 2030, 04:00" in detail
    assert "Ana Ruiz" in detail
    assert reverse("appointment_ics", kwargs={"pk": appointment.pk}) in detail
    # Days before: where and when to join, not yet a way in.
    assert reverse("session_room_enter", kwargs={"pk": appointment.pk}) not in detail
    assert "The room opens at 03:50" in detail
    sessions = client_for(patient).get(reverse("my_sessions")).text
    assert reverse("calendar_settings") in sessions
    assert "Wednesday 6 March 2030, 04:00" in sessions


def test_a_time_just_taken_offers_the_nearest_free_ones(match, patient, therapist):
    other = PatientFactory()
    MatchFactory(patient=other, therapist=therapist.therapist_profile)
    _book(client_for(other), paris(6, 10))

    response = _book(client_for(patient), paris(6, 10))

    assert response.status_code == 409
    assert "This time was just taken." in response.text
    assert "The nearest free times:" in response.text
    assert paris(6, 9).astimezone(UTC).isoformat() in response.text
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"starts_at": "tomorrow", "modality": "video"}, "Choose one of the times shown."),
        ({"starts_at": "", "modality": "video"}, "Choose a time first."),
        ({"starts_at": paris(6, 10, 30).isoformat(), "modality": "video"}, "does not offer this"),
        ({"starts_at": paris(6, 10).isoformat(), "modality": "chat"}, "Select a valid choice."),
        ({"starts_at": paris(6, 10).isoformat()}, "Choose how you will meet."),
    ],
)
def test_bad_bookings_are_refused_and_nothing_is_kept(match, patient, data, message):
    response = client_for(patient).post(reverse("book_session"), data)
    assert response.status_code == 422
    assert message in response.text
    assert not Appointment.objects.exists()


def test_without_a_therapist_there_is_nothing_to_book(patient):
    response = client_for(patient).get(reverse("book_session"))
    assert response.url == reverse("home")


@pytest.mark.parametrize("week", ["not-a-date", "2030-13-01"])
def test_a_bad_week_is_not_found(match, patient, week):
    assert client_for(patient).get(reverse("book_session"), {"week": week}).status_code == 404


def test_the_next_week_can_be_browsed(match, patient):
    page = client_for(patient).get(reverse("book_session"), {"week": "2030-03-11"})
    assert "Wednesday 13 March" in page.text
    assert "Previous week" in page.text


def test_only_the_two_parties_see_a_session(
    match, patient, therapist, other_patient, other_therapist, unvetted_therapist
):
    _book(client_for(patient), paris(6, 10))
    appointment = Appointment.objects.get()
    detail = reverse("session_detail", kwargs={"pk": appointment.pk})

    assert "Robin" in client_for(therapist).get(detail).text  # the nickname only
    assert "Robin" in client_for(therapist).get(reverse("my_sessions")).text
    for outsider in (other_patient, other_therapist, unvetted_therapist):
        client = client_for(outsider)
        assert client.get(detail).status_code == 404
        assert (
            client.post(reverse("session_cancel", kwargs={"pk": appointment.pk})).status_code == 404
        )
        assert client.get(reverse("session_move", kwargs={"pk": appointment.pk})).status_code == 404
        assert "Wednesday 6 March" not in client.get(reverse("my_sessions")).text
    assert client_for(therapist).get(reverse("book_session")).status_code == 404
    appointment.refresh_from_db()
    assert appointment.is_booked


def test_a_patient_cancels_on_time_or_late(match, patient, clock):
    client = client_for(patient)
    _book(client, paris(6, 10))
    _book(client, paris(6, 11))
    early, late = Appointment.objects.order_by("starts_at")

    client.post(reverse("session_cancel", kwargs={"pk": early.pk}))
    clock.move_to(paris(6, 8))  # three hours before the second one
    page = client.get(reverse("session_detail", kwargs={"pk": late.pk}))
    assert "counts as a late cancellation" in page.text
    client.post(reverse("session_cancel", kwargs={"pk": late.pk}))

    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.status, early.late_cancellation) == ("cancelled", False)
    assert (late.status, late.late_cancellation) == ("cancelled", True)


def test_a_therapist_cancels_only_with_a_reason(match, patient, therapist):
    _book(client_for(patient), paris(6, 10))
    appointment = Appointment.objects.get()
    url = reverse("session_cancel", kwargs={"pk": appointment.pk})

    refused = client_for(therapist).post(url, {"reason": " "})
    assert refused.status_code == 422
    assert "Tell your patient why you cancel this session." in refused.text
    appointment.refresh_from_db()
    assert appointment.is_booked

    client_for(therapist).post(url, {"reason": "I am ill."})
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert (
        "I am ill."
        in client_for(patient).get(reverse("session_detail", kwargs={"pk": appointment.pk})).text
    )


def test_a_patient_moves_a_session_to_a_free_time(match, patient):
    client = client_for(patient)
    _book(client, paris(6, 10))
    appointment = Appointment.objects.get()
    move = reverse("session_move", kwargs={"pk": appointment.pk})

    page = client.get(move)
    assert ">04:00</label>" in page.text  # its own time stays on offer
    response = client.post(move, {"starts_at": paris(11, 9).isoformat()})

    moved = Appointment.objects.get()
    assert response.url == reverse("session_detail", kwargs={"pk": appointment.pk})
    assert (moved.uid, moved.starts_at, moved.sequence) == (appointment.uid, paris(11, 9), 1)


def test_within_the_cut_off_a_patient_can_no_longer_move(match, patient, clock):
    client = client_for(patient)
    _book(client, paris(6, 10))
    appointment = Appointment.objects.get()
    clock.move_to(paris(5, 20))  # 14 hours before

    response = client.post(
        reverse("session_move", kwargs={"pk": appointment.pk}),
        {"starts_at": paris(11, 9).isoformat()},
    )

    assert response.url == reverse("session_detail", kwargs={"pk": appointment.pk})
    appointment.refresh_from_db()
    assert appointment.starts_at == paris(6, 10)
