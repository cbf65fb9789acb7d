"""Couples sessions: the partner who accepted hears what the two others hear — each reminder
exactly once (the outbox sweep, however often it runs), the session's moves with a calendar
file that moves it, its cancellation with one that removes it (and nothing of why) — naming
nobody; a partner removed, or an invitation not accepted, hears nothing more."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail

from core.outbox import outbox_sweep
from scheduling import services
from scheduling.services import notices
from tests.factories.partners import PartnerFactory, invite
from tests.factories.scheduling import session_of
from tests.helpers import link_in, outbox_to

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
STARTS_AT = datetime(2030, 3, 6, 9, 0, tzinfo=UTC)
PREFIX = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX


@pytest.fixture
def session(patient, therapist):
    return session_of(patient, therapist.therapist_profile, STARTS_AT, created_at=NOW)


@pytest.fixture
def partner(session):
    partner = PartnerFactory(email="sam@example.test", time_zone="America/Sao_Paulo")
    invite(session, partner=partner)
    mail.outbox.clear()
    return partner


def test_the_partner_gets_each_reminder_once(session, partner, patient, therapist):
    for moment in (
        STARTS_AT - timedelta(hours=24),
        STARTS_AT - timedelta(hours=24),  # the sweep again: nothing more
        STARTS_AT - timedelta(minutes=50),
        STARTS_AT - timedelta(minutes=40),
    ):
        services.reminders_send(now=moment)
        outbox_sweep(now=moment + timedelta(minutes=1))

    subjects = [email.subject.removeprefix(PREFIX) for email in outbox_to(partner.email)]
    assert subjects == ["Your session is tomorrow at 6 a.m.", "Your session starts in 50 minutes"]
    assert len(outbox_to(patient.email)) == len(outbox_to(therapist.email)) == 2
    for email in outbox_to(partner.email):
        assert link_in(email.body, "/invited/") == "/invited/"
        assert "Robin" not in email.body
        assert "therap" not in email.body.lower()


def test_a_move_and_a_cancellation_tell_the_partner_with_a_calendar_file(session, partner, patient):
    notices.appointment_notices_send(appointment_id=session.pk, change="rescheduled")
    [moved] = outbox_to(partner.email)
    assert moved.attachments[0][0] == "session.ics"
    assert "METHOD:REQUEST" in moved.attachments[0][1]

    services.appointment_cancel(
        appointment=session, by=patient, reason="", now=STARTS_AT - timedelta(days=1)
    )
    cancelled = outbox_to(partner.email)[-1]
    assert "METHOD:CANCEL" in cancelled.attachments[0][1]
    assert "can tell you more" in cancelled.body
    assert "cancelled it" not in cancelled.body  # not who, not why


def test_a_removed_or_not_yet_accepted_partner_hears_nothing(session, patient):
    _invitation, _token = invite(session, email="sam@example.test", accepted=False)
    services.reminders_send(now=STARTS_AT - timedelta(hours=1))
    assert outbox_to("sam@example.test") == []

    services.partner_invitation_withdraw(appointment=session, by=patient, now=NOW)
    partner = PartnerFactory(email="alex@example.test")
    invite(session, partner=partner)
    services.partner_invitation_withdraw(appointment=session, by=patient, now=NOW)
    mail.outbox.clear()
    services.reminders_send(now=STARTS_AT - timedelta(minutes=30))
    assert outbox_to(partner.email) == []
