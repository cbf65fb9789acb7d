"""Session rooms: the room of a booked session, at a fixed time the room tests travel to."""

from datetime import UTC, datetime, timedelta

from sessions_video import services
from tests.factories.accounts import PatientFactory, TherapistFactory
from tests.factories.matching import MatchFactory
from tests.factories.scheduling import AppointmentFactory

# The session: 10:00-10:50 in Paris (09:00-09:50 UTC) on Monday 4 March 2030.
STARTS_AT = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
ENDS_AT = STARTS_AT + timedelta(minutes=50)
DURING = STARTS_AT + timedelta(minutes=5)


def a_room(modality="video", patient=None, therapist=None, starts_at=STARTS_AT, admitted=True):
    """A booked session's room: returns (patient, therapist, room). A call's patient has been
    let in from the waiting room, unless ``admitted`` is false."""
    patient = patient or PatientFactory(time_zone="Europe/Paris", patient_profile__nickname="Robin")
    therapist = therapist or TherapistFactory(therapist_profile__display_name="Ana Ruiz")
    match = MatchFactory(patient=patient, therapist=therapist.therapist_profile)
    appointment = AppointmentFactory(
        match=match,
        starts_at=starts_at,
        ends_at=starts_at + (ENDS_AT - STARTS_AT),
        modality=modality,
    )
    room = services.room_for(appointment=appointment)
    if admitted and room.has_waiting_room:
        room.admitted_at = starts_at - timedelta(minutes=5)
        room.save(update_fields=["admitted_at"])
    return patient, therapist, room
