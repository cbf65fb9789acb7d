"""Progress check-ins: a patient retakes PHQ-9 and GAD-7, and is invited to when one is due.

Invitations say that a check-in is available and link to it: never a score, a band or the name
of a questionnaire.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.mail import send_templated_mail, site_link
from matching import screening, selectors
from matching.choices import Instrument
from matching.models import CheckinInvitation, SafetyFlag, ScreeningResult
from matching.services.intake import screening_record
from matching.services.safety import safety_flags_raise


@dataclass(frozen=True)
class Checkin:
    phq9: ScreeningResult
    gad7: ScreeningResult
    needs_help: bool  # PHQ-9 item 9 above 0: show the emergency numbers now


@transaction.atomic
def checkin_record(
    *,
    patient: User,
    phq9_answers: list[int],
    gad7_answers: list[int],
    now: datetime | None = None,
) -> Checkin:
    """Keep a retaken PHQ-9 and GAD-7 in the patient's history (``intake`` None), both or
    neither; ValueError for an incomplete or odd answer. A positive PHQ-9 item 9 raises a
    ``SafetyFlag`` and tells staff, as at the intake.

    Allowed at any time, due or not: a patient may want to say how they are doing.
    """
    if not patient.is_patient:
        raise ValueError("Only patients take the check-in.")
    screening.score(Instrument.PHQ9, phq9_answers)  # both valid before anything is written
    screening.score(Instrument.GAD7, gad7_answers)
    now = now or timezone.now()
    phq9 = screening_record(
        patient=patient, instrument=Instrument.PHQ9, answers=phq9_answers, now=now
    )
    gad7 = screening_record(
        patient=patient, instrument=Instrument.GAD7, answers=gad7_answers, now=now
    )
    needs_help = screening.phq9_self_harm_positive(phq9_answers)
    if needs_help:
        safety_flags_raise(patient=patient, reasons=[SafetyFlag.Reason.PHQ9_ITEM9], now=now)
    return Checkin(phq9=phq9, gad7=gad7, needs_help=needs_help)


def checkin_invitations_sweep(*, now: datetime | None = None) -> int:
    """Invite, by email, every patient whose check-in is due and who was not yet invited for
    this period; returns how many were.

    Idempotent and safe when two sweeps run at once: each invitation is a row unique per
    patient and period, written in its own transaction before its email is queued; the sweep
    that loses the race meets the constraint and sends nothing.
    """
    now = now or timezone.now()
    invited = 0
    for patient_id, period_start in selectors.checkin_invitations_due(now=now):
        try:
            with transaction.atomic():
                CheckinInvitation.objects.create(
                    patient_id=patient_id, period_start=period_start, sent_at=now
                )
                _email_checkin_invitation(patient_id=patient_id)
        except IntegrityError:
            continue
        invited += 1
    return invited


def _email_checkin_invitation(*, patient_id: int) -> None:
    patient = User.objects.get(pk=patient_id)
    send_templated_mail(
        template="emails/checkin_invitation.txt",
        to=[patient.email],
        language=patient.language,
        context={"link": site_link("checkin")},
    )
