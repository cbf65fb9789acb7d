"""Calendar files, the private calendar feed and the emails of a booked, moved or cancelled
session: the same event (one UID) from booking to cancellation, times in UTC, and nothing in a
calendar or an email that names anyone or says what the sessions are for."""

import hashlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import TherapistProfile
from core.models import OutboxEmail
from scheduling import calendar_files, services, signals
from scheduling.models import Appointment, CalendarFeed
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.scheduling import session_of
from tests.helpers import client_for, link_in, outbox_to

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # Monday 4 March 2030, 10:00 in Paris
STARTS_AT = datetime(2030, 3, 6, 10, 0, tzinfo=PARIS)  # Wednesday 10:00 in Paris, 09:00 UTC
REASON = "Your panic attacks need a psychiatrist first; I am on sick leave."
# Words a calendar entry or email must not contain, beyond the neutral "Session".
TELLING_WORDS = ["therap", "psych", "patient", "counsel", "clinic", "video", "phone", "chat"]


def appointment_for(patient, therapist_user, starts_at=STARTS_AT, **fields) -> Appointment:
    """A booked session, made directly (the booking rules are tested elsewhere)."""
    return session_of(
        patient, therapist_user.therapist_profile, starts_at, created_at=NOW, **fields
    )


@pytest.fixture
def appointment(patient, therapist) -> Appointment:
    return appointment_for(patient, therapist)


def parse(content: bytes | str) -> Calendar:
    return Calendar.from_ical(content)


def events(content: bytes | str) -> list:
    return parse(content).walk("VEVENT")


def the_event(content: bytes | str):
    (event,) = events(content)
    return event


def move(appointment: Appointment, starts_at: datetime) -> Appointment:
    """What rescheduling writes: a new time, the same uid, the next sequence."""
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        sequence=F("sequence") + 1,
    )
    appointment.refresh_from_db()
    return appointment


def secrets_of(patient, therapist) -> list[str]:
    return [
        patient.patient_profile.nickname,
        patient.email,
        therapist.therapist_profile.display_name,
        therapist.email,
    ]


def assert_discreet(text: str, patient, therapist) -> None:
    for secret in secrets_of(patient, therapist):
        assert secret not in text
    lowered = text.lower()
    for word in TELLING_WORDS:
        assert word not in lowered


# --- One session as a calendar file ------------------------------------------------------------


def test_a_booked_session_is_an_invitation_at_the_right_instant_in_utc(appointment):
    calendar = parse(calendar_files.appointment_ics(appointment, method="REQUEST", now=NOW))
    (event,) = calendar.walk("VEVENT")

    assert calendar["METHOD"] == "REQUEST"
    assert event["UID"] == f"{appointment.uid}@127.0.0.1"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == STARTS_AT
    assert end - start == timedelta(minutes=50)
    assert start.utcoffset() == timedelta(0)
    assert event.decoded("DTSTAMP") == NOW
    assert b"DTSTART:20300306T090000Z" in calendar.to_ical()


def test_the_event_says_session_and_links_to_the_sessions_page(appointment, patient, therapist):
    content = calendar_files.appointment_ics(appointment, method="REQUEST")
    event = the_event(content)

    assert event["SUMMARY"] == "Session"
    assert event["DESCRIPTION"] == f"{settings.SITE_URL}/sessions/"
    assert event["URL"] == f"{settings.SITE_URL}/sessions/"
    assert event["CLASS"] == "PRIVATE"
    assert "ATTENDEE" not in event
    assert str(event["ORGANIZER"]) == "mailto:no-reply@localhost"
    assert_discreet(content.decode(), patient, therapist)


def test_the_therapists_file_links_to_their_calendar(appointment, therapist):
    event = the_event(
        calendar_files.appointment_ics(appointment, method="REQUEST", viewer=therapist)
    )

    assert event["URL"] == f"{settings.SITE_URL}/practice/calendar/"


def test_a_moved_session_keeps_its_uid_and_counts_a_change(appointment):
    before = the_event(calendar_files.appointment_ics(appointment, method="REQUEST"))

    move(appointment, STARTS_AT + timedelta(days=1, hours=2))
    after = the_event(calendar_files.appointment_ics(appointment, method="REQUEST"))

    assert after["UID"] == before["UID"]
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 1)
    assert after.decoded("DTSTART") == STARTS_AT + timedelta(days=1, hours=2)


def test_a_cancelled_session_is_a_cancellation_of_the_same_event(appointment, patient):
    booked = the_event(calendar_files.appointment_ics(appointment, method="REQUEST"))
    services.appointment_cancel(appointment=appointment, by=patient, now=NOW)
    appointment.refresh_from_db()

    calendar = parse(calendar_files.appointment_ics(appointment, method="CANCEL"))
    (cancelled,) = calendar.walk("VEVENT")

    assert calendar["METHOD"] == "CANCEL"
    assert cancelled["STATUS"] == "CANCELLED"
    assert cancelled["UID"] == booked["UID"]
    assert cancelled["SEQUENCE"] == booked["SEQUENCE"] + 1


def test_an_unknown_method_is_refused(appointment):
    with pytest.raises(ValueError, match="method"):
        calendar_files.appointment_ics(appointment, method="REFRESH")


# --- Downloading one session -------------------------------------------------------------------


def test_both_sides_download_the_session(appointment, patient_client, therapist_client):
    url = reverse("appointment_ics", kwargs={"pk": appointment.pk})

    for client in (patient_client, therapist_client):
        response = client.get(url)

        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="session.ics"'
        assert response["Cache-Control"] == "private, no-store"
        calendar = parse(response.content)
        assert calendar["METHOD"] == "PUBLISH"
        assert calendar.walk("VEVENT")[0]["UID"] == calendar_files.event_uid(appointment)


def test_a_cancelled_session_downloads_as_a_cancellation(appointment, patient, patient_client):
    services.appointment_cancel(appointment=appointment, by=patient, now=NOW)

    response = patient_client.get(reverse("appointment_ics", kwargs={"pk": appointment.pk}))

    assert parse(response.content)["METHOD"] == "CANCEL"
    assert the_event(response.content)["STATUS"] == "CANCELLED"


@pytest.mark.parametrize("outsider", ["other_patient", "other_therapist", "unvetted_therapist"])
def test_an_outsider_cannot_download_the_session(appointment, request, outsider):
    client = client_for(request.getfixturevalue(outsider))

    response = client.get(reverse("appointment_ics", kwargs={"pk": appointment.pk}))

    assert response.status_code == 404


def test_a_suspended_therapist_cannot_download_their_sessions(
    appointment, therapist, therapist_client
):
    TherapistProfile.objects.filter(user=therapist).update(
        vetting_status=TherapistProfile.VettingStatus.SUSPENDED
    )

    response = therapist_client.get(reverse("appointment_ics", kwargs={"pk": appointment.pk}))

    assert response.status_code == 404


def test_downloading_needs_a_login(appointment, client):
    url = reverse("appointment_ics", kwargs={"pk": appointment.pk})

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- The private feed --------------------------------------------------------------------------


def feed_url(token: str) -> str:
    return reverse("calendar_feed", kwargs={"token": token})


def in_days(days: float) -> datetime:
    """A five-minute mark ``days`` from the real now (the feed view reads the real clock)."""
    moment = timezone.now() + timedelta(days=days)
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


def test_the_feed_has_the_patients_sessions_and_no_one_elses(
    patient, therapist, other_patient, other_therapist, client
):
    own = appointment_for(patient, therapist, starts_at=in_days(2))
    recent = appointment_for(patient, therapist, starts_at=in_days(-10))
    old = appointment_for(patient, therapist, starts_at=in_days(-40))
    cancelled = appointment_for(
        patient,
        therapist,
        starts_at=in_days(3),
        status=Appointment.Status.CANCELLED,
        cancelled_at=NOW,
    )
    same_therapist = appointment_for(other_patient, therapist, starts_at=in_days(4))
    elsewhere = appointment_for(PatientFactory(), other_therapist, starts_at=in_days(2))
    token = services.calendar_feed_renew(user=patient)

    response = client.get(feed_url(token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    calendar = parse(response.content)
    assert "METHOD" not in calendar
    uids = [event["UID"] for event in calendar.walk("VEVENT")]
    assert uids == [calendar_files.event_uid(a) for a in (recent, own)]
    for absent in (old, cancelled, same_therapist, elsewhere):
        assert calendar_files.event_uid(absent) not in uids
    assert_discreet(response.content.decode(), patient, therapist)
    for secret in secrets_of(other_patient, other_therapist):
        assert secret not in response.content.decode()


def test_the_feed_of_a_therapist_has_all_their_sessions(
    patient, therapist, other_patient, other_therapist, client
):
    first = appointment_for(patient, therapist, starts_at=in_days(2))
    second = appointment_for(other_patient, therapist, starts_at=in_days(3))
    elsewhere = appointment_for(PatientFactory(), other_therapist, starts_at=in_days(2))
    token = services.calendar_feed_renew(user=therapist)

    response = client.get(feed_url(token))

    uids = [event["UID"] for event in events(response.content)]
    assert uids == [calendar_files.event_uid(first), calendar_files.event_uid(second)]
    assert calendar_files.event_uid(elsewhere) not in uids
    for event in events(response.content):
        assert event["URL"] == f"{settings.SITE_URL}/practice/calendar/"
    assert_discreet(response.content.decode(), patient, therapist)
    assert other_patient.patient_profile.nickname not in response.content.decode()


def test_the_feed_uses_the_same_uid_as_the_emails(patient, therapist):
    appointment = appointment_for(patient, therapist, starts_at=in_days(2))

    feed = the_event(calendar_files.feed_ics(patient))
    emailed = the_event(calendar_files.appointment_ics(appointment, method="REQUEST"))

    assert feed["UID"] == emailed["UID"]
    assert feed["SEQUENCE"] == emailed["SEQUENCE"]


def test_only_the_digest_of_the_token_is_stored(patient):
    token = services.calendar_feed_renew(user=patient)

    (feed,) = CalendarFeed.objects.all()
    assert len(token) >= 40
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = " ".join(str(value) for value in CalendarFeed.objects.values_list().get())
    assert token not in stored


def test_a_wrong_token_is_not_found(patient, client):
    services.calendar_feed_renew(user=patient)

    for token in ("nope", "x" * 43, "x" * 500):
        assert client.get(feed_url(token)).status_code == 404


def test_a_revoked_feed_is_not_found(patient, client):
    token = services.calendar_feed_renew(user=patient)

    assert services.calendar_feed_revoke(user=patient) == 1

    assert client.get(feed_url(token)).status_code == 404
    assert services.calendar_feed_revoke(user=patient) == 0


def test_renewing_replaces_the_old_address(patient, client):
    old = services.calendar_feed_renew(user=patient)

    new = services.calendar_feed_renew(user=patient)

    assert new != old
    assert client.get(feed_url(old)).status_code == 404
    assert client.get(feed_url(new)).status_code == 200
    assert CalendarFeed.objects.filter(user=patient, revoked_at__isnull=True).count() == 1


def test_an_inactive_users_feed_is_not_found(patient, client):
    token = services.calendar_feed_renew(user=patient)
    patient.is_active = False
    patient.save(update_fields=["is_active"])

    assert client.get(feed_url(token)).status_code == 404


def test_a_suspended_therapists_feed_is_empty(patient, therapist, client):
    appointment_for(patient, therapist, starts_at=in_days(2))
    token = services.calendar_feed_renew(user=therapist)
    TherapistProfile.objects.filter(user=therapist).update(
        vetting_status=TherapistProfile.VettingStatus.SUSPENDED
    )

    response = client.get(feed_url(token))

    assert events(response.content) == []


def test_only_patients_and_approved_therapists_have_a_feed(unvetted_therapist, staff):
    for user in (unvetted_therapist, staff):
        with pytest.raises(PermissionDenied):
            services.calendar_feed_renew(user=user)
    assert not CalendarFeed.objects.exists()


def test_the_feed_needs_no_login_and_sets_no_cookie(patient, client):
    token = services.calendar_feed_renew(user=patient)

    response = client.get(feed_url(token))

    assert response.status_code == 200
    assert not response.cookies


# --- The calendar link page --------------------------------------------------------------------


def test_the_page_needs_a_login(client):
    response = client.get(reverse("calendar_settings"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_patient_makes_a_link_seen_once(patient, patient_client, client):
    page = patient_client.get(reverse("calendar_settings"))
    assert page.status_code == 200
    assert "You have no calendar link." in page.text

    made = patient_client.post(reverse("calendar_settings"), {"action": "renew"})

    assert made.status_code == 200
    assert "no-store" in made["Cache-Control"]
    path = link_in(made.text.replace('"', " "), "/calendar/")
    assert f"{settings.SITE_URL}{path}" in made.text
    assert "webcal://" in made.text
    assert client.get(path).status_code == 200
    again = patient_client.get(reverse("calendar_settings"))
    assert path not in again.text
    assert "Your calendar link is on" in again.text


def test_a_patient_renews_and_revokes_the_link(patient, patient_client, client):
    first = link_in(
        patient_client.post(reverse("calendar_settings"), {"action": "renew"}).text.replace(
            '"', " "
        ),
        "/calendar/",
    )
    second = link_in(
        patient_client.post(reverse("calendar_settings"), {"action": "renew"}).text.replace(
            '"', " "
        ),
        "/calendar/",
    )
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200

    revoked = patient_client.post(reverse("calendar_settings"), {"action": "revoke"})

    assert revoked.status_code == 302
    assert client.get(second).status_code == 404
    assert "You have no calendar link." in patient_client.get(reverse("calendar_settings")).text


def test_an_approved_therapist_has_the_page(therapist_client):
    assert therapist_client.get(reverse("calendar_settings")).status_code == 200


@pytest.mark.parametrize("user", ["unvetted_therapist", "staff"])
def test_others_do_not_have_the_page(request, user):
    client = client_for(request.getfixturevalue(user))

    assert client.get(reverse("calendar_settings")).status_code == 404
    assert client.post(reverse("calendar_settings"), {"action": "renew"}).status_code == 404
    assert not CalendarFeed.objects.exists()


# --- Emails of a booked, moved or cancelled session ------------------------------------------


@pytest.fixture
def announce(django_capture_on_commit_callbacks):
    """Write both sides' emails of a change as the booking services do in their transaction,
    and run what follows the commit (the outbox sends them)."""

    def run(appointment: Appointment, change: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            services.appointment_notices_send(appointment_id=appointment.pk, change=change)

    return run


def attached_event(email):
    (attachment,) = email.attachments
    assert attachment.filename == "session.ics"
    return parse(attachment.content), attachment.mimetype


def test_a_booking_emails_both_sides_with_an_invitation(appointment, patient, therapist, announce):
    announce(appointment, signals.BOOKED)

    (to_patient,) = outbox_to(patient.email)
    (to_therapist,) = outbox_to(therapist.email)
    assert len(mail.outbox) == 2
    for email in (to_patient, to_therapist):
        assert email.subject == f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your session is booked"
        calendar, mimetype = attached_event(email)
        assert mimetype == "text/calendar; method=REQUEST; charset=utf-8"
        assert calendar["METHOD"] == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert event["UID"] == calendar_files.event_uid(appointment)
        assert event.decoded("DTSTART") == STARTS_AT
    assert link_in(to_patient.body, "/") == "/sessions/"
    assert link_in(to_therapist.body, "/") == "/practice/calendar/"


def test_the_time_is_in_each_recipients_zone(appointment, patient, therapist, announce):
    therapist.time_zone = "America/Montreal"
    therapist.save(update_fields=["time_zone"])

    announce(appointment, signals.BOOKED)

    (to_patient,) = outbox_to(patient.email)
    (to_therapist,) = outbox_to(therapist.email)
    assert "Wednesday, March 6, 2030 at 10 a.m. (Europe/Paris)" in to_patient.body
    assert "Wednesday, March 6, 2030 at 4 a.m. (America/Montreal)" in to_therapist.body


def test_the_email_is_in_the_recipients_language(appointment, patient, therapist, announce):
    therapist.language = "fr"
    therapist.save(update_fields=["language"])

    announce(appointment, signals.BOOKED)

    (to_therapist,) = outbox_to(therapist.email)
    (to_patient,) = outbox_to(patient.email)
    assert "Bonjour" in to_therapist.body
    assert "6 mars 2030" in to_therapist.body
    assert "10:00" in to_therapist.body
    assert "Hello" in to_patient.body


def test_a_move_emails_both_sides_with_the_updated_event(appointment, patient, therapist, announce):
    announce(appointment, signals.BOOKED)
    first = attached_event(outbox_to(patient.email)[0])[0].walk("VEVENT")[0]
    moved_to = STARTS_AT + timedelta(days=1)
    move(appointment, moved_to)
    mail.outbox.clear()

    announce(appointment, signals.RESCHEDULED)

    assert len(mail.outbox) == 2
    for email in mail.outbox:
        assert email.subject.endswith("Your session has moved")
        assert "Thursday, March 7, 2030" in email.body
        calendar, _mimetype = attached_event(email)
        (event,) = calendar.walk("VEVENT")
        assert calendar["METHOD"] == "REQUEST"
        assert event["UID"] == first["UID"]
        assert event["SEQUENCE"] == first["SEQUENCE"] + 1
        assert event.decoded("DTSTART") == moved_to


def test_a_therapists_cancellation_emails_both_sides_without_the_reason(
    appointment, patient, therapist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment=appointment, by=therapist, reason=REASON, now=NOW)

    (to_patient,) = outbox_to(patient.email)
    (to_therapist,) = outbox_to(therapist.email)
    for email in (to_patient, to_therapist):
        assert email.subject.endswith("Your session was cancelled")
        calendar, mimetype = attached_event(email)
        assert mimetype == "text/calendar; method=CANCEL; charset=utf-8"
        assert calendar["METHOD"] == "CANCEL"
        assert calendar.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
        everything = email.subject + email.body + email.attachments[0].content
        for word in ("panic", "psychiatrist", "sick", REASON):
            assert word not in everything
    assert "Your therapist cancelled it. You can read why on your sessions page." in (
        to_patient.body
    )
    assert "You cancelled it." in to_therapist.body


def test_a_patients_cancellation_emails_both_sides(
    appointment, patient, therapist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment=appointment, by=patient, reason=REASON, now=NOW)

    assert "You cancelled it." in outbox_to(patient.email)[0].body
    assert "Your patient cancelled it." in outbox_to(therapist.email)[0].body
    assert all(REASON not in email.body for email in mail.outbox)


def test_sessions_cancelled_by_an_ended_match_email_both_sides(
    appointment, patient, therapist, django_capture_on_commit_callbacks
):
    later = appointment_for(patient, therapist, starts_at=STARTS_AT + timedelta(days=7))

    with django_capture_on_commit_callbacks(execute=True):
        services.appointments_cancel_for_ended_match(match_id=appointment.match_id, now=NOW)

    assert len(outbox_to(patient.email)) == 2
    assert len(outbox_to(therapist.email)) == 2
    uids = {attached_event(email)[0].walk("VEVENT")[0]["UID"] for email in mail.outbox}
    assert uids == {calendar_files.event_uid(appointment), calendar_files.event_uid(later)}
    for email in mail.outbox:
        assert "no longer work together" in email.body
        assert attached_event(email)[0]["METHOD"] == "CANCEL"


@pytest.mark.parametrize(
    "change", [signals.BOOKED, signals.RESCHEDULED, signals.CANCELLED], ids=str
)
def test_no_email_names_anyone_or_says_what_the_session_is_for(
    appointment, patient, therapist, announce, change
):
    if change == signals.CANCELLED:
        # The cancellation writes its own two emails, with the therapist's reason at hand.
        services.appointment_cancel(appointment=appointment, by=therapist, reason=REASON, now=NOW)
    else:
        announce(appointment, change)

    assert len(mail.outbox) == 2
    for email in mail.outbox:
        assert_discreet(email.subject, patient, therapist)
        for secret in secrets_of(patient, therapist):
            assert secret not in email.body
        assert "video" not in email.body.lower()
        assert_discreet(email.attachments[0].content, patient, therapist)


def test_a_booking_cancelled_before_its_email_is_not_announced(
    appointment, patient, therapist, announce
):
    services.appointment_cancel(appointment=appointment, by=patient, now=NOW)

    announce(appointment, signals.BOOKED)

    assert [m for m in mail.outbox if "is booked" in m.subject] == []


def test_inactive_and_suspended_people_are_not_emailed(appointment, patient, therapist, announce):
    patient.is_active = False
    patient.save(update_fields=["is_active"])
    TherapistProfile.objects.filter(user=therapist).update(
        vetting_status=TherapistProfile.VettingStatus.SUSPENDED
    )

    announce(appointment, signals.BOOKED)

    assert mail.outbox == []


@pytest.mark.outbox_rows
def test_the_emails_are_written_with_the_change_and_sent_after_the_commit(
    appointment, patient, therapist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment=appointment, by=patient, now=NOW)
        assert OutboxEmail.objects.filter(state="pending").count() == 2
        assert mail.outbox == []

    assert sorted(m.to[0] for m in mail.outbox) == sorted([patient.email, therapist.email])
    assert set(OutboxEmail.objects.values_list("state", flat=True)) == {"sent"}


def test_another_therapists_patient_is_not_emailed(appointment, announce):
    bystanders = [PatientFactory(), TherapistFactory()]

    announce(appointment, signals.BOOKED)

    for bystander in bystanders:
        assert outbox_to(bystander.email) == []
