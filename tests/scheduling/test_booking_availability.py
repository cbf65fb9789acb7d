"""Booking against the therapist's real calendar: only the slots of their windows, never on
time off, never into their break; and what to offer someone who lost a time."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from scheduling import selectors, services
from scheduling.models import Appointment
from scheduling.services import SlotTaken
from tests.factories.matching import MatchFactory
from tests.factories.scheduling import TimeOffFactory

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # Monday 4 March 2030, 10:00 in Paris


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def therapist(paris_therapist):
    """Works Mondays and Wednesdays 09:00-12:00 Paris time: 50-minute sessions, 10-minute breaks,
    so sessions at 09:00, 10:00 and 11:00."""
    return paris_therapist


def book(patient, starts_at):
    return services.appointment_book(
        patient=patient, starts_at=starts_at, modality="video", now=NOW
    )


def code(error: ValidationError) -> str:
    return str(error.error_dict["starts_at"][0].code)


def test_the_free_slots_are_those_of_the_windows(therapist, match):
    slots = selectors.free_slots_between(
        therapist=therapist.therapist_profile, now=NOW, start=paris(4, 0), end=paris(7, 0)
    )
    # Monday 4: 10:00 is within the 12-hour notice; Wednesday 6: all three.
    assert [s.astimezone(PARIS) for s in slots] == [paris(6, 9), paris(6, 10), paris(6, 11)]


def test_a_slot_of_the_windows_can_be_booked(patient, match):
    appointment = book(patient, paris(6, 10))
    assert appointment.status == Appointment.Status.BOOKED


@pytest.mark.parametrize(
    "starts_at",
    [paris(5, 10), paris(6, 10, 30), paris(6, 11, 30), paris(6, 8)],
    ids=["tuesday", "between-slots", "runs-past-the-window", "before-the-window"],
)
def test_a_time_outside_the_windows_is_not_offered(patient, match, starts_at):
    with pytest.raises(ValidationError) as refused:
        book(patient, starts_at)
    assert code(refused.value) == "not_offered"
    assert not Appointment.objects.exists()


def test_time_off_is_not_offered(patient, match, therapist):
    TimeOffFactory(therapist=therapist.therapist_profile, first_day=date(2030, 3, 6))
    with pytest.raises(ValidationError) as refused:
        book(patient, paris(6, 10))
    assert code(refused.value) == "not_offered"
    assert (
        selectors.free_slots_between(
            therapist=therapist.therapist_profile, now=NOW, start=paris(6, 0), end=paris(7, 0)
        )
        == []
    )


def test_a_taken_slot_is_taken_not_unoffered_and_the_nearest_free_times_are_offered(
    patient, other_patient, match, therapist
):
    MatchFactory(patient=other_patient, therapist=therapist.therapist_profile)
    book(other_patient, paris(6, 10))

    with pytest.raises(SlotTaken):
        book(patient, paris(6, 10))
    nearest = selectors.nearest_free_slots(
        therapist=therapist.therapist_profile, around=paris(6, 10), now=NOW
    )
    assert [s.astimezone(PARIS) for s in nearest] == [paris(6, 9), paris(6, 11), paris(11, 9)]


def test_moving_a_session_follows_the_windows_too(patient, match):
    appointment = book(patient, paris(6, 9))
    with pytest.raises(ValidationError) as refused:
        services.appointment_reschedule(
            appointment=appointment, starts_at=paris(7, 9), by=patient, now=NOW
        )
    assert code(refused.value) == "not_offered"
    moved = services.appointment_reschedule(
        appointment=appointment, starts_at=paris(6, 11), by=patient, now=NOW
    )
    assert moved.starts_at == paris(6, 11)
    # Its old time is free again; its own new time no longer is.
    free = selectors.free_slots_between(
        therapist=moved.therapist, now=NOW, start=paris(6, 0), end=paris(7, 0)
    )
    assert [s.astimezone(PARIS) for s in free] == [paris(6, 9), paris(6, 10)]
