"""After the room's window: who came, who did not, how long the session lasted, shown to both."""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse

from sessions_video import services
from sessions_video.models import Room
from sessions_video.tasks import sweep_rooms
from tests.factories.sessions_video import ENDS_AT, STARTS_AT, a_room
from tests.helpers import client_for

AFTER = ENDS_AT + timedelta(minutes=31)  # the room closes 30 minutes after the end


def _attend(room, user, joined, left=None):
    services.room_join(room=room, user=user, now=joined)
    if left is not None:
        services.room_leave(room=room, user=user, now=left)


def test_a_held_session_records_its_length_and_both_see_it(db):
    patient, therapist, room = a_room()
    _attend(room, therapist, STARTS_AT - timedelta(minutes=3))
    _attend(room, patient, STARTS_AT + timedelta(minutes=2))
    services.room_leave(room=room, user=patient, now=STARTS_AT + timedelta(minutes=46))
    services.room_leave(room=room, user=therapist, now=STARTS_AT + timedelta(minutes=47))

    assert services.rooms_close(now=AFTER) == 1

    room.refresh_from_db()
    assert (room.patient_no_show, room.therapist_no_show) == (False, False)
    assert room.duration_minutes == 45  # both there from 09:02; the last left at 09:47
    for user in (patient, therapist):
        url = reverse("session_detail", kwargs={"pk": room.appointment_id})
        assert "Held: 45 minutes together." in client_for(user).get(url).text


def test_a_party_who_never_came_is_a_no_show(db):
    patient, therapist, room = a_room()
    _attend(room, therapist, STARTS_AT, STARTS_AT + timedelta(minutes=20))

    services.rooms_close(now=AFTER)

    room.refresh_from_db()
    assert (room.patient_no_show, room.therapist_no_show) == (True, False)
    assert room.duration_minutes is None
    page = client_for(patient).get(reverse("session_detail", kwargs={"pk": room.appointment_id}))
    assert "The patient did not come." in page.text


def test_a_session_nobody_opened_still_gets_its_record(db):
    _patient, _therapist, room = a_room()
    Room.objects.filter(pk=room.pk).delete()  # nobody ever clicked "Join"

    services.rooms_close(now=AFTER)

    (closed,) = Room.objects.all()
    assert (closed.patient_no_show, closed.therapist_no_show) == (True, True)


def test_nothing_is_closed_while_the_room_is_open(db):
    _patient, _therapist, room = a_room()
    assert services.rooms_close(now=AFTER - timedelta(minutes=2)) == 0
    room.refresh_from_db()
    assert room.closed_at is None


def test_connections_left_open_end_with_the_window_and_a_room_closes_once(db):
    """A crashed process leaves its connections open: the sweep ends them with the window."""
    patient, therapist, room = a_room()
    _attend(room, therapist, STARTS_AT)
    _attend(room, patient, STARTS_AT)

    assert sweep_rooms.apply().get() == 0  # on the real clock, this 2030 session is to come
    assert services.rooms_close(now=AFTER) == 1
    assert services.rooms_close(now=AFTER + timedelta(minutes=1)) == 0

    room.refresh_from_db()
    assert not room.attendances.filter(left_at__isnull=True).exists()
    assert room.ended_at == ENDS_AT + timedelta(minutes=settings.SESSION_ROOM_CLOSES_MINUTES_AFTER)
    assert room.duration_minutes == 80


def test_a_cancelled_session_has_no_record(db):
    _patient, _therapist, room = a_room()
    appointment = room.appointment
    appointment.status = "cancelled"
    appointment.cancelled_at = STARTS_AT - timedelta(days=1)
    appointment.save()

    assert services.rooms_close(now=AFTER) == 0


def test_the_sweep_runs_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["sessions_video.sweep_rooms"]
    assert (entry["task"], entry["schedule"]) == ("sessions_video.tasks.sweep_rooms", 60.0)
