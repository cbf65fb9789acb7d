"""Reading the access log: a patient's own entries (newest first) and the names of the
therapists in them, and the check of every chain (``access_log_verify``, also
``manage.py audit_verify``). Selectors never write and never answer 404."""

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import QuerySet

from accounts.models import TherapistProfile, User
from audit.chain import GENESIS, link_hash
from audit.models import AccessEntry


def access_log_for_patient(*, patient: User) -> QuerySet[AccessEntry]:
    """What was read of this patient's record, newest first; only ever their own."""
    return AccessEntry.objects.filter(patient_id=patient.pk).order_by("-seq")


def therapist_names(*, entries: list[AccessEntry]) -> dict[int, str]:
    """The display names of the therapists among these entries' readers, by user id (one
    query; none without a therapist). A therapist whose account is gone has no name here."""
    ids = {
        e.accessor_id
        for e in entries
        if e.role == AccessEntry.Role.THERAPIST and e.accessor_id is not None
    }
    if not ids:
        return {}
    return {
        user_id: name
        for user_id, name in TherapistProfile.objects.filter(user_id__in=ids).values_list(
            "user_id", "display_name"
        )
        if name
    }


class Break(StrEnum):
    """How a chain is broken at an entry."""

    GAP = "gap"  # its number is not the one after the previous entry's: a row is missing
    PREVIOUS = "previous"  # it does not name the previous entry's hash: removed or changed
    CHANGED = "changed"  # its own hash does not match its fields: changed in place


@dataclass(frozen=True)
class BrokenLink:
    patient_id: int
    seq: int
    entry_id: int
    reason: Break


@dataclass(frozen=True)
class ChainReport:
    entries: int
    chains: int
    broken: BrokenLink | None  # the first break, by patient then number; None: all intact


_FIELDS = (
    "pk",
    "patient_id",
    "seq",
    "accessor_id",
    "role",
    "kind",
    "record_id",
    "session_digest",
    "at",
    "prev_hash",
    "hash",
)


def access_log_verify(*, patient_id: int | None = None) -> ChainReport:
    """Walk every chain (or one patient's) from its first link and report the first broken
    one: a missing number, a previous hash that is not the previous entry's, or a hash that
    does not match its entry's fields. Reads the rows in batches, in one pass."""
    rows = AccessEntry.objects.order_by("patient_id", "seq")
    if patient_id is not None:
        rows = rows.filter(patient_id=patient_id)
    entries = chains = 0
    current: int | None = None
    expected_seq, prev_hash = 1, GENESIS
    for pk, patient, seq, accessor, role, kind, record, digest, at, prev, hash_ in rows.values_list(
        *_FIELDS
    ).iterator(chunk_size=2000):
        entries += 1
        if patient != current:
            current, chains = patient, chains + 1
            expected_seq, prev_hash = 1, GENESIS
        reason = None
        if seq != expected_seq:
            reason = Break.GAP
        elif prev != prev_hash:
            reason = Break.PREVIOUS
        elif hash_ != link_hash(
            patient_id=patient,
            seq=seq,
            accessor_id=accessor,
            role=role,
            kind=kind,
            record_id=record,
            session_digest=digest,
            at=at,
            prev_hash=prev,
        ):
            reason = Break.CHANGED
        if reason is not None:
            broken = BrokenLink(patient_id=patient, seq=seq, entry_id=pk, reason=reason)
            return ChainReport(entries=entries, chains=chains, broken=broken)
        expected_seq, prev_hash = seq + 1, hash_
    return ChainReport(entries=entries, chains=chains, broken=None)


def person_export(*, user: User) -> dict:
    """A patient's access log, for their own export (``teletherapy.exports``): every entry,
    oldest first, as their Privacy page shows it: when, what kind of record (and which, by
    id), read in which role, and by whom when it was a therapist (their name; staff are their
    role only, as on the page). Empty for anyone but a patient (a therapist's or staff's reads
    are in their patients' logs). JSON-able with ``DjangoJSONEncoder``."""
    if not user.is_patient:
        return {}
    entries = list(AccessEntry.objects.filter(patient_id=user.pk).order_by("seq"))
    names = therapist_names(entries=entries)
    return {
        "access_log": [
            {
                "at": entry.at,
                "kind": entry.kind,
                "record": entry.record_id,
                "role": entry.role,
                "therapist": names.get(entry.accessor_id or 0)
                if entry.role == AccessEntry.Role.THERAPIST
                else None,
            }
            for entry in entries
        ]
    }
