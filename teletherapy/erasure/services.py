"""Delete my account (GDPR art. 17), by crypto-shredding: the roof's, because it reaches every
app, each of which says what of the patient's is theirs to delete and what the law keeps
(``<app>.services`` ``patient_*`` functions). docs/features.md, *Privacy and security*, says
it in a patient's words; docs/architecture.md, *Data at rest*, says why backups cannot bring
an erased patient back.

1. ``erasure_request``: the patient asked (their password checked by the form). Nothing is
   deleted yet: for ERASURE_GRACE_DAYS they may change their mind. Meanwhile they are logged
   out everywhere, emailed nothing but what concerns the erasure, their therapist sees a former
   patient and cannot write to them, their sessions to come are cancelled and their search for
   a therapist stops.
2. ``erasure_cancel``: they changed their mind (logged in again): all is as it was, but the
   sessions cancelled (to book again); a search starts again if they have no therapist.
3. ``erasure_complete`` (the hourly sweep, once the grace period is over), in one transaction:
   their data, files and account go, the notes therapists must keep move under a key of their
   own, the patient's data key is destroyed (then shredded from the key vault, after commit),
   and the erasure is written to their access log. A content-free email says it is done.
   A partner invited to couples sessions has no record of care: ``partner_erasure`` deletes
   their account at once.
4. ``retention_sweep`` (daily): the retained notes whose time is up go, and what is left of
   the account with them.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from accounts.models import User
from audit.models import AccessEntry
from audit.services import access_record
from core import crypto
from core.mail import send_templated_mail, site_link
from core.models import DataKey
from matching.services import erasure as matching_erasure
from messaging import services as messaging_services
from scheduling.selectors.notes import retained_note_sets_exist
from scheduling.services import erasure as scheduling_erasure
from sessions_video.services import patient_attendances_erase
from teletherapy.exports.services import person_exports_delete


class ErasureRefused(Exception):
    """Not a patient's (or, for ``partner_erasure``, a partner's) account, or erased already."""


def _email(*, user: User, template: str, context: dict, key: str, last: bool = False) -> None:
    send_templated_mail(
        template=template,
        to=[user.email],
        language=user.language,
        time_zone=user.time_zone,
        context=context,
        key=key,
        even_if_suppressed=True,
        forget_when_done=last,
    )


def erasure_request(*, patient: User, now: datetime | None = None) -> datetime:
    """Start the grace period (see the module's docstring); returns when the account will be
    erased. Asking again while it runs changes nothing and sends nothing."""
    if not patient.is_patient:
        raise ErasureRefused("only a patient's account is deleted here")
    now = now or timezone.now()
    due = now + timedelta(days=settings.ERASURE_GRACE_DAYS)
    with transaction.atomic():
        try:
            profile = accounts_services.patient_erasure_request(user=patient, now=now, due_at=due)
        except ValueError as error:
            raise ErasureRefused(str(error)) from None
        if profile.erasure_requested_at == now:  # asked now, not before
            matching_erasure.patient_search_stop(patient=patient, now=now)
            scheduling_erasure.patient_sessions_cancel(patient=patient, now=now)
            messaging_services.patient_conversations_pause(patient=patient, now=now)
            _email(
                user=patient,
                template="emails/erasure_requested.txt",
                context={"due_at": due, "link": site_link("privacy_delete")},
                key=f"erasure-requested:{patient.pk}:{now.timestamp():.0f}",
            )
    assert profile.erasure_due_at is not None
    return profile.erasure_due_at


def partner_erasure(*, partner: User) -> None:
    """A partner deletes their account: at once, with no grace period and nothing kept (they
    have no record of care: an account, a nickname on the invitations they accepted, when they
    were in a session's room). Their copies of their data go too; a content-free email says it
    is done. The patient's sessions stay; the partner is no longer invited to them."""
    if not partner.is_partner:
        raise ErasureRefused("only a partner's account is deleted at once")
    with transaction.atomic():
        _email(
            user=partner,
            template="emails/erasure_done.txt",
            context={},
            key=f"erasure-done:{partner.pk}",
            last=True,
        )
        person_exports_delete(user=partner)
        accounts_services.partner_account_delete(user=partner)


def erasure_cancel(*, patient: User, now: datetime | None = None) -> bool:
    """Keep the account: False when no deletion was under way (a second cancel, say)."""
    now = now or timezone.now()
    with transaction.atomic():
        if not accounts_services.patient_erasure_cancel(user=patient):
            return False
        messaging_services.patient_conversations_resume(patient=patient)
        matching_erasure.patient_search_resume(patient=patient, now=now)
        _email(
            user=patient,
            template="emails/erasure_cancelled.txt",
            context={"link": site_link("home")},
            key=f"erasure-cancelled:{patient.pk}:{now.timestamp():.0f}",
        )
    return True


def erasure_complete(*, patient_id: int, now: datetime | None = None) -> bool:
    """Erase a patient whose grace period is over (False when they are not due, or another
    sweep has them). One transaction: all of it happens, or none."""
    now = now or timezone.now()
    with transaction.atomic():
        patient = accounts_services.patient_erasure_claim(user_id=patient_id, now=now)
        if patient is None:
            return False
        # Written first, while the address is theirs; the outbox forgets it once sent.
        _email(
            user=patient,
            template="emails/erasure_done.txt",
            context={},
            key=f"erasure-done:{patient.pk}",
            last=True,
        )
        person_exports_delete(user=patient)
        patient_attendances_erase(patient=patient)
        messaging_services.patient_conversations_erase(patient=patient)
        scheduling_erasure.patient_notes_retain(patient=patient, now=now)
        scheduling_erasure.patient_sessions_erase(patient=patient)
        matching_erasure.patient_matching_erase(patient=patient, now=now)
        accounts_services.patient_account_erase(user=patient, now=now)
        # Shredded from the key vault once this commits (core.crypto).
        crypto.data_key_destroy(kind=DataKey.Kind.PATIENT, subject_id=patient.pk, now=now)
        access_record(reader=None, patient_id=patient.pk, kind=AccessEntry.Kind.ERASURE, now=now)
    return True


def erasures_sweep(*, now: datetime | None = None) -> int:
    """Every hour (Celery beat): erase every patient whose grace period is over, and shred any
    destroyed key the vault still holds (a shredding that failed after its commit). Safe when
    run twice at once. Returns how many were erased."""
    now = now or timezone.now()
    erased = sum(
        erasure_complete(patient_id=pk, now=now)
        for pk in accounts_selectors.patients_due_for_erasure(now=now)
    )
    crypto.data_keys_shred(now=now)
    return erased


def retention_sweep(*, now: datetime | None = None) -> int:
    """Every day (Celery beat): delete the retained notes whose time is up, their keys, and
    what is left of accounts nothing points at any more. Returns how many sets went."""
    now = now or timezone.now()
    freed = scheduling_erasure.retained_notes_sweep(now=now)
    for patient_id in set(freed):
        if not retained_note_sets_exist(patient_id=patient_id):
            matching_erasure.matches_of_erased_patient_delete(patient_id=patient_id)
            accounts_services.erased_account_delete(user_id=patient_id)
    crypto.data_keys_shred(now=now)
    return len(freed)
