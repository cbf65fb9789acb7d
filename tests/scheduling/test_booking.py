"""Booking, cancelling and moving appointments: only with one's current therapist, within the
therapist's policy, and never two booked sessions at once for a therapist or a patient, however
many requests race (PostgreSQL's exclusion constraints hold even when Python is bypassed)."""

from datetime import UTC, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from accounts.models import TherapistProfile
from matching.models import Match
from scheduling import selectors, services
from scheduling.models import Appointment
from scheduling.services import SlotTaken
from scheduling.services import booking as booking_services
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.matching import MatchFactory
from tests.factories.scheduling import AppointmentFactory, AvailabilitySettingsFactory
from tests.helpers import run_together

PARIS = ZoneInfo("Europe/Paris")
# The controlled clock: Monday 4 March 2030, 10:00 in Paris (09:00 UTC).
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


def paris(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment of March 2030 on a Paris clock (the therapist's zone in these tests)."""
    return datetime(2030, 3, day, hour, minute, second, tzinfo=PARIS)


SLOT = paris(6, 10)  # Wednesday 10:00, two days ahead


def match_with(patient, therapist_user, **fields) -> Match:
    return cast(
        Match, MatchFactory(patient=patient, therapist=therapist_user.therapist_profile, **fields)
    )


def book(patient, starts_at=SLOT, modality="video", **kwargs) -> Appointment:
    return services.appointment_book(
        patient=patient,
        starts_at=starts_at,
        modality=modality,
        now=kwargs.pop("now", NOW),
        **kwargs,
    )


def field_code(error: ValidationError, field: str) -> str:
    return str(error.error_dict[field][0].code)


@pytest.fixture(autouse=True)
def _every_time_offered(monkeypatch):
    """These tests are about who may book and about overlaps, at any 5-minute mark: the
    therapist's windows are taken as covering every time. test_booking_availability.py checks
    booking against real windows, time off and breaks."""
    monkeypatch.setattr(booking_services, "_ensure_in_availability", lambda **kwargs: None)


@pytest.fixture
def therapist(db):
    """The patient's therapist, offering video and phone sessions (not chat)."""
    return TherapistFactory(
        email="therapist@example.test", therapist_profile__modalities=["video", "phone"]
    )


@pytest.fixture
def other_match(other_patient, therapist):
    """Another patient of the same therapist."""
    return match_with(other_patient, therapist)


# --- Booking -----------------------------------------------------------------------------------


def test_a_patient_books_a_session_with_their_therapist(match, patient, therapist):
    appointment = book(patient, modality="phone")

    appointment.refresh_from_db()
    assert appointment.match == match
    assert appointment.therapist == therapist.therapist_profile
    assert appointment.patient == patient
    assert appointment.starts_at == SLOT
    assert appointment.ends_at == SLOT + timedelta(minutes=50)  # the default session length
    assert appointment.modality == "phone"
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.sequence == 0
    assert appointment.created_at == NOW
    assert appointment.uid is not None


def test_the_session_takes_the_therapists_session_length(match, patient, therapist):
    AvailabilitySettingsFactory(therapist=therapist.therapist_profile, session_minutes=30)

    assert book(patient).ends_at == SLOT + timedelta(minutes=30)


def test_the_therapists_other_patient_cannot_take_an_overlapping_time(
    match, other_match, patient, other_patient
):
    book(patient)

    for start in (SLOT, paris(6, 9, 15), paris(6, 10, 45)):
        with pytest.raises(SlotTaken) as refused:
            book(other_patient, starts_at=start)
        assert refused.value.messages == ["This time was just taken."]
    assert Appointment.objects.count() == 1
    # The therapist's 10-minute break is kept: not 10:50, but 11:00; 09:00 ends at 09:50.
    with pytest.raises(SlotTaken):
        book(other_patient, starts_at=paris(6, 10, 50))
    assert book(other_patient, starts_at=paris(6, 11, 0)).patient == other_patient
    assert book(other_patient, starts_at=paris(6, 9, 0)).ends_at == SLOT - timedelta(minutes=10)


def test_without_a_break_sessions_may_follow_each_other(
    match, other_match, patient, other_patient, therapist
):
    AvailabilitySettingsFactory(therapist=therapist.therapist_profile, buffer_minutes=0)
    book(patient)
    assert book(other_patient, starts_at=paris(6, 10, 50)).patient == other_patient
    assert book(other_patient, starts_at=paris(6, 9, 10)).ends_at == SLOT


def test_a_patient_cannot_be_in_two_sessions_at_once(patient, therapist, other_therapist):
    """Even with two therapists: a session with the former one still booked (say, before the
    end of the match was processed) blocks the time."""
    former = match_with(patient, other_therapist, status=Match.Status.ENDED)
    AppointmentFactory(match=former, starts_at=SLOT)
    match_with(patient, therapist)

    with pytest.raises(SlotTaken):
        book(patient, starts_at=paris(6, 10, 30))
    assert Appointment.objects.count() == 1


def test_a_cancelled_session_frees_its_time(match, other_match, patient, other_patient):
    first = book(patient)
    services.appointment_cancel(appointment=first, by=patient, now=NOW)

    second = book(other_patient)

    assert second.starts_at == first.starts_at
    assert Appointment.objects.filter(status=Appointment.Status.BOOKED).get() == second


def test_only_the_current_therapist_while_approved(
    patient, therapist, other_therapist, other_patient
):
    with pytest.raises(PermissionDenied):  # no therapist yet
        book(patient)

    ended = match_with(patient, other_therapist, status=Match.Status.ENDED)
    with pytest.raises(PermissionDenied):  # a former therapist
        book(patient)

    match_with(patient, therapist)
    with pytest.raises(PermissionDenied):  # a page still showing the former therapist
        book(patient, therapist=ended.therapist)

    for status in ("suspended", "submitted"):
        TherapistProfile.objects.filter(pk=therapist.pk).update(vetting_status=status)
        with pytest.raises(PermissionDenied):
            book(patient)
    TherapistProfile.objects.filter(pk=therapist.pk).update(vetting_status="approved")
    therapist.is_active = False
    therapist.save()
    with pytest.raises(PermissionDenied):
        book(patient)

    assert not Appointment.objects.exists()


def test_the_current_therapist_given_explicitly_is_fine(match, patient, therapist):
    assert book(patient, therapist=therapist.therapist_profile).match == match


@pytest.mark.parametrize("modality", ["chat", "carrier pigeon", ""])
def test_a_modality_the_therapist_does_not_offer_is_refused(match, patient, modality):
    with pytest.raises(ValidationError) as refused:
        book(patient, modality=modality)

    assert field_code(refused.value, "modality") == "modality"
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("starts_at", "code"),
    [
        (paris(6, 10, 2), "misaligned"),
        (paris(6, 10, 0, 30), "misaligned"),
        (paris(6, 10) + timedelta(microseconds=1), "misaligned"),
        (NOW - timedelta(days=1), "notice"),  # the past
        (NOW, "notice"),
        (NOW + timedelta(hours=12) - timedelta(minutes=5), "notice"),
        (NOW + timedelta(weeks=6, minutes=5), "horizon"),
    ],
)
def test_times_outside_the_policy_are_refused(match, patient, starts_at, code):
    with pytest.raises(ValidationError) as refused:
        book(patient, starts_at=starts_at)

    assert not isinstance(refused.value, SlotTaken)
    assert field_code(refused.value, "starts_at") == code
    assert not Appointment.objects.exists()


def test_the_notice_and_horizon_bounds_themselves_are_bookable(
    match, other_match, patient, other_patient
):
    assert book(patient, starts_at=NOW + timedelta(hours=12))
    assert book(other_patient, starts_at=NOW + timedelta(weeks=6))


def test_notice_and_horizon_follow_the_therapists_settings(match, patient, therapist):
    AvailabilitySettingsFactory(
        therapist=therapist.therapist_profile, notice_hours=48, horizon_weeks=1
    )

    with pytest.raises(ValidationError) as too_soon:
        book(patient, starts_at=NOW + timedelta(hours=47))
    with pytest.raises(ValidationError) as too_far:
        book(patient, starts_at=NOW + timedelta(days=8))

    assert field_code(too_soon.value, "starts_at") == "notice"
    assert "48 hours" in too_soon.value.messages[0]
    assert field_code(too_far.value, "starts_at") == "horizon"
    assert "1 week ahead" in too_far.value.messages[0]
    assert book(patient, starts_at=NOW + timedelta(hours=48))


# --- The database's own guarantee (PostgreSQL) -------------------------------------------------


def _appointment(match, starts_at, minutes=50, **fields) -> Appointment:
    return AppointmentFactory.create(
        match=match, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes), **fields
    )


def test_postgresql_refuses_an_overlapping_row_written_without_the_service(
    match, other_match, patient, other_therapist
):
    assert connection.vendor == "postgresql"
    _appointment(match, SLOT)

    # Another patient, the same therapist.
    with pytest.raises(IntegrityError) as same_therapist, transaction.atomic():
        _appointment(other_match, SLOT + timedelta(minutes=49))
    assert "appointment_no_therapist_overlap" in str(same_therapist.value)

    # The same patient, another therapist.
    former = match_with(patient, other_therapist, status=Match.Status.ENDED)
    with pytest.raises(IntegrityError) as same_patient, transaction.atomic():
        _appointment(former, SLOT - timedelta(minutes=10), minutes=30)
    assert "appointment_no_patient_overlap" in str(same_patient.value)

    # Back to back, and cancelled rows, are fine.
    _appointment(other_match, SLOT + timedelta(minutes=50))
    _appointment(
        other_match,
        SLOT,
        status=Appointment.Status.CANCELLED,
        cancelled_at=NOW,
    )
    assert Appointment.objects.filter(status=Appointment.Status.BOOKED).count() == 2


def test_the_database_refuses_a_session_ending_before_it_starts(match):
    with pytest.raises(IntegrityError), transaction.atomic():
        _appointment(match, SLOT, minutes=0)


def test_a_constraint_violation_becomes_slot_taken(match, other_match, patient, monkeypatch):
    """Should the Python check miss an overlap, the service still answers SlotTaken, and the
    surrounding transaction stays usable (the insert ran in a savepoint)."""
    _appointment(other_match, SLOT)
    monkeypatch.setattr(
        selectors, "appointments_overlapping", lambda **kwargs: Appointment.objects.none()
    )

    with transaction.atomic():
        with pytest.raises(SlotTaken):
            book(patient)
        assert Appointment.objects.count() == 1


RACERS = 24


@pytest.fixture
def room_for_every_racer():
    """A connection pool with room for every racing thread at once (settings allow 10)."""
    options = connection.settings_dict["OPTIONS"].get("pool")
    if not isinstance(options, dict):
        yield
        return
    before = options.get("max_size")
    connection.close()
    connection.close_pool()
    options["max_size"] = RACERS + 2
    yield
    connection.close()
    connection.close_pool()
    options["max_size"] = before


def _racers() -> list:
    therapist = TherapistFactory(therapist_profile__modalities=["video"])
    patients = [PatientFactory() for _ in range(RACERS)]
    for patient in patients:
        match_with(patient, therapist)
    return patients


def _attempt(patient):
    def attempt():
        try:
            return book(patient)
        except SlotTaken:
            return "taken"

    return attempt


@pytest.mark.django_db(transaction=True)
def test_many_patients_racing_for_one_slot_get_one_booking(room_for_every_racer):
    patients = _racers()

    results = run_together([_attempt(patient) for patient in patients])

    booked = [result for result in results if isinstance(result, Appointment)]
    assert len(booked) == 1
    assert results.count("taken") == RACERS - 1
    assert Appointment.objects.get().pk == booked[0].pk


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_and_the_python_check_postgresql_alone_keeps_one(
    room_for_every_racer, monkeypatch
):
    """The same race with the service's own defences switched off: every insert reaches the
    database at once, and the exclusion constraint lets exactly one through."""
    patients = _racers()
    monkeypatch.setattr(
        selectors, "appointments_overlapping", lambda **kwargs: Appointment.objects.none()
    )
    monkeypatch.setattr(
        booking_services,
        "_approved_therapist_locked",
        lambda *, therapist_id: TherapistProfile.objects.select_related("user").get(
            pk=therapist_id
        ),
    )

    results = run_together([_attempt(patient) for patient in patients])

    assert sum(isinstance(result, Appointment) for result in results) == 1
    assert results.count("taken") == RACERS - 1
    assert Appointment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_patient_clicking_many_times_gets_one_booking(room_for_every_racer):
    therapist = TherapistFactory(therapist_profile__modalities=["video"])
    patient = PatientFactory()
    match_with(patient, therapist)
    # Ten starts five minutes apart, each twice or more: any two of these sessions overlap.
    starts = [SLOT + timedelta(minutes=5 * (n % 10)) for n in range(RACERS)]

    results = run_together([lambda start=start: _attempt_at(patient, start) for start in starts])

    assert sum(isinstance(result, Appointment) for result in results) == 1
    assert Appointment.objects.count() == 1


def _attempt_at(patient, starts_at):
    try:
        return book(patient, starts_at=starts_at)
    except SlotTaken:
        return "taken"


# --- Cancelling --------------------------------------------------------------------------------


@pytest.fixture
def appointment(match, patient):
    return book(patient)


def test_cancelling_exactly_at_the_cut_off_is_on_time(appointment, patient):
    cancelled = services.appointment_cancel(
        appointment=appointment, by=patient, reason="", now=SLOT - timedelta(hours=24)
    )

    cancelled.refresh_from_db()
    assert cancelled.status == Appointment.Status.CANCELLED
    assert cancelled.cancelled_at == SLOT - timedelta(hours=24)
    assert cancelled.cancelled_by == patient
    assert cancelled.late_cancellation is False
    assert cancelled.sequence == 1
    assert cancelled.uid == appointment.uid


def test_cancelling_one_second_after_the_cut_off_is_late(appointment, patient):
    cancelled = services.appointment_cancel(
        appointment=appointment, by=patient, now=SLOT - timedelta(hours=24) + timedelta(seconds=1)
    )

    assert cancelled.late_cancellation is True


def test_the_cut_off_comes_from_the_settings(appointment, patient, settings):
    settings.SCHEDULING_CANCEL_CUTOFF_HOURS = 48

    cancelled = services.appointment_cancel(
        appointment=appointment, by=patient, now=SLOT - timedelta(hours=30)
    )

    assert cancelled.late_cancellation is True


def test_a_therapist_cancels_with_a_reason_and_it_is_never_late(appointment, therapist):
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            services.appointment_cancel(
                appointment=appointment, by=therapist, reason=reason, now=NOW
            )
        assert field_code(refused.value, "reason") == "required"
    appointment.refresh_from_db()
    assert appointment.is_booked

    cancelled = services.appointment_cancel(
        appointment=appointment,
        by=therapist,
        reason="  I am ill, sorry.  ",
        now=SLOT - timedelta(hours=2),
    )

    assert cancelled.cancel_reason_text == "I am ill, sorry."
    assert cancelled.cancel_reason_encrypted.startswith("dk1.")  # the patient's data key
    assert cancelled.cancelled_by == therapist
    assert cancelled.late_cancellation is False


def test_only_the_two_parties_cancel(appointment, other_patient, other_therapist, staff, therapist):
    for outsider in (other_patient, other_therapist, staff):
        with pytest.raises(PermissionDenied):
            services.appointment_cancel(appointment=appointment, by=outsider, reason="x", now=NOW)
    TherapistProfile.objects.filter(pk=therapist.pk).update(vetting_status="suspended")
    with pytest.raises(PermissionDenied):
        services.appointment_cancel(appointment=appointment, by=therapist, reason="x", now=NOW)
    appointment.refresh_from_db()
    assert appointment.is_booked


def test_a_session_that_started_cannot_be_cancelled(appointment, patient):
    with pytest.raises(ValidationError) as refused:
        services.appointment_cancel(appointment=appointment, by=patient, now=SLOT)

    assert refused.value.code == "started"


def test_cancelling_twice_changes_nothing_more(appointment, patient):
    services.appointment_cancel(appointment=appointment, by=patient, now=NOW)

    again = services.appointment_cancel(
        appointment=appointment, by=patient, now=NOW + timedelta(hours=1)
    )

    assert again.cancelled_at == NOW
    assert again.sequence == 1


# --- Moving ------------------------------------------------------------------------------------


def test_moving_keeps_the_uid_and_counts_the_change(appointment, patient):
    moved = services.appointment_reschedule(
        appointment=appointment, starts_at=paris(7, 14), by=patient, now=NOW
    )

    moved.refresh_from_db()
    assert moved.pk == appointment.pk
    assert moved.uid == appointment.uid
    assert moved.sequence == 1
    assert moved.starts_at == paris(7, 14)
    assert moved.ends_at == paris(7, 14, 50)
    assert moved.is_booked

    again = services.appointment_reschedule(
        appointment=moved, starts_at=paris(8, 14), by=patient, now=NOW
    )
    assert again.sequence == 2


def test_moving_over_itself_is_fine(appointment, therapist):
    moved = services.appointment_reschedule(
        appointment=appointment, starts_at=SLOT + timedelta(minutes=20), by=therapist, now=NOW
    )

    assert moved.starts_at == SLOT + timedelta(minutes=20)


def test_moving_onto_another_session_is_refused(appointment, other_match, patient, other_patient):
    other = book(other_patient, starts_at=paris(7, 14))

    with pytest.raises(SlotTaken):
        services.appointment_reschedule(
            appointment=appointment, starts_at=paris(7, 14, 30), by=patient, now=NOW
        )

    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.sequence) == (SLOT, 0)
    other.refresh_from_db()
    assert other.starts_at == paris(7, 14)


def test_moving_follows_the_booking_policy(appointment, patient):
    with pytest.raises(ValidationError) as misaligned:
        services.appointment_reschedule(
            appointment=appointment, starts_at=paris(7, 14, 3), by=patient, now=NOW
        )
    with pytest.raises(ValidationError) as too_far:
        services.appointment_reschedule(
            appointment=appointment, starts_at=NOW + timedelta(weeks=7), by=patient, now=NOW
        )

    assert field_code(misaligned.value, "starts_at") == "misaligned"
    assert field_code(too_far.value, "starts_at") == "horizon"


def test_a_patient_moves_a_session_only_before_the_cut_off(appointment, patient, therapist):
    with pytest.raises(ValidationError) as refused:
        services.appointment_reschedule(
            appointment=appointment,
            starts_at=paris(8, 14),
            by=patient,
            now=SLOT - timedelta(hours=23),
        )
    assert refused.value.code == "too_late"

    # The therapist still can.
    moved = services.appointment_reschedule(
        appointment=appointment,
        starts_at=paris(8, 14),
        by=therapist,
        now=SLOT - timedelta(hours=23),
    )
    assert moved.starts_at == paris(8, 14)


def test_only_the_parties_move_a_session_and_only_while_matched(
    appointment, patient, other_patient, other_therapist, match
):
    for outsider in (other_patient, other_therapist):
        with pytest.raises(PermissionDenied):
            services.appointment_reschedule(
                appointment=appointment, starts_at=paris(7, 14), by=outsider, now=NOW
            )

    Match.objects.filter(pk=match.pk).update(status=Match.Status.ENDED)
    with pytest.raises(PermissionDenied):
        services.appointment_reschedule(
            appointment=appointment, starts_at=paris(7, 14), by=patient, now=NOW
        )


def test_a_cancelled_session_cannot_be_moved(appointment, patient):
    services.appointment_cancel(appointment=appointment, by=patient, now=NOW)

    with pytest.raises(ValidationError) as refused:
        services.appointment_reschedule(
            appointment=appointment, starts_at=paris(7, 14), by=patient, now=NOW
        )

    assert refused.value.code == "cancelled"


# --- Who sees an appointment -------------------------------------------------------------------


def test_an_appointment_is_seen_by_its_two_parties_only(
    appointment, patient, therapist, other_patient, other_therapist, unvetted_therapist, staff
):
    for party in (patient, therapist):
        assert selectors.appointment_get_for_user(user=party, pk=appointment.pk) == appointment
    for outsider in (other_patient, other_therapist, unvetted_therapist, staff):
        assert selectors.appointment_get_for_user(user=outsider, pk=appointment.pk) is None


def test_staff_look_at_appointments_in_the_admin_without_editing(appointment, staff_client):
    changelist = staff_client.get(reverse("admin:scheduling_appointment_changelist"))
    change = staff_client.get(reverse("admin:scheduling_appointment_change", args=[appointment.pk]))
    add = staff_client.get(reverse("admin:scheduling_appointment_add"))

    assert changelist.status_code == 200
    assert "Robin" in changelist.text  # the nickname, not the email address
    assert "patient@example.test" not in changelist.text
    assert change.status_code == 200
    assert add.status_code == 403
    for name in ("availabilitysettings", "availabilitywindow", "timeoff"):
        assert staff_client.get(reverse(f"admin:scheduling_{name}_changelist")).status_code == 200
