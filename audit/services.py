"""Writing the access log: ``access_record`` (one read) and ``access_record_many`` (one page
showing several patients), called by the domain apps' access-checking selectors and by the
export and erasure services.

What an entry says: who read (the user's id and their role at that moment: the patient, a
therapist, the staff group that let them in, an administrator, or the platform itself), whose
record, what kind of record (with its id), when, and the digest of the login session. Never
what was read.

Repeats are merged: the same reader reading the same record of the same kind from the same
session again within ``AUDIT_REPEAT_MINUTES`` of the last entry adds nothing (a reload, "load
earlier messages", a live refresh of an open page: one visit). Exports, erasures and passwords
set by staff are always written, whoever acts, the patient included. A patient reading their
own record is not logged.

Each patient's entries are one hash chain (``audit.chain``). Two writers appending to one chain
at once would fork it (both reading link n, both writing n+1): on PostgreSQL a transaction-scoped
advisory lock per patient makes them take turns (writers for different patients never wait for
each other), and the unique (patient, seq) constraint refuses a fork outright should anything
get past the lock; SQLite takes its one write lock at the start of every transaction
(``transaction_mode = IMMEDIATE``), which serialises writers anyway.
"""

import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Subquery
from django.utils import timezone

from accounts.models import User
from audit.chain import GENESIS, link_hash, session_digest
from audit.context import current_session_key
from audit.models import ALWAYS_LOGGED, STAFF_GROUPS, AccessEntry

Kind = AccessEntry.Kind
Role = AccessEntry.Role

# The advisory lock space of the access log's chains ("AUDT"), beside the patient's id.
_LOCK_SPACE = 0x41554454

# The group a staff member most likely read a kind of record as, when they are in several.
_KIND_GROUP = {
    Kind.INTAKE: Role.CLINICAL_SAFETY,
    Kind.SAFETY_FLAG: Role.CLINICAL_SAFETY,
    Kind.MATCH_REQUEST: Role.MATCHING_SUPPORT,
    Kind.OFFER: Role.MATCHING_SUPPORT,
    Kind.MATCH: Role.MATCHING_SUPPORT,
}


def reader_role(*, reader: User | None, patient_id: int, kind: str) -> str:
    """The role an entry records for ``reader``. For staff it is the group of least privilege
    that lets them read this kind of record (one query for their groups, kept on the user)."""
    if reader is None:
        return Role.SYSTEM
    if reader.is_patient:
        return Role.PATIENT
    if reader.is_therapist:
        return Role.THERAPIST
    if reader.is_superuser:
        return Role.ADMINISTRATOR
    groups = getattr(reader, "_audit_group_names", None)
    if groups is None:
        groups = set(reader.groups.values_list("name", flat=True))
        reader._audit_group_names = groups  # type: ignore[attr-defined]
    preferred = _KIND_GROUP.get(Kind(kind))
    if preferred is not None and STAFF_GROUPS[preferred] in groups:
        return preferred
    for role, name in STAFF_GROUPS.items():
        if name in groups:
            return role
    return Role.STAFF


def access_record(
    *,
    reader: User | None,
    patient_id: int,
    kind: str,
    record_id: int | None = None,
    now: datetime | None = None,
) -> AccessEntry | None:
    """Log that ``reader`` (None: the platform itself) read ``patient_id``'s record of
    ``kind`` (``record_id``: which one, e.g. the conversation's id). Returns the entry, or
    None when nothing was written (the patient's own read, or a repeat)."""
    entries = access_record_many(
        reader=reader, kind=kind, records=[(patient_id, record_id)], now=now
    )
    return entries[0] if entries else None


def access_record_many(
    *,
    reader: User | None,
    kind: str,
    records: Iterable[tuple[int, int | None]],
    now: datetime | None = None,
) -> list[AccessEntry]:
    """``access_record`` for a page showing several patients' records: ``records`` are
    (patient id, record id) pairs. A fixed number of queries, however many: at most one for
    repeats, one for the locks, one for the chains' heads, one insert (and one for a staff
    member's groups)."""
    kind = Kind(kind)
    now = now or timezone.now()
    accessor_id = reader.pk if reader is not None else None
    wanted = [
        (patient_id, record_id)
        for patient_id, record_id in dict.fromkeys(records)
        if kind in ALWAYS_LOGGED or patient_id != accessor_id
    ]
    if not wanted:
        return []
    digest = session_digest(current_session_key())
    if kind not in ALWAYS_LOGGED and reader is not None and settings.AUDIT_REPEAT_MINUTES:
        wanted = _without_repeats(wanted, reader=reader, kind=kind, digest=digest, now=now)
        if not wanted:
            return []
    patient_ids = sorted({patient_id for patient_id, _record in wanted})
    # Its own transaction when called outside one; inside one, no savepoint (nothing here is
    # caught and retried: a failure fails the caller's transaction as it would anyway).
    with transaction.atomic(savepoint=False):
        _lock_chains(patient_ids)
        heads = _chain_heads(patient_ids)
        entries = []
        for patient_id, record_id in wanted:
            seq, prev_hash = heads.get(patient_id, (0, GENESIS))
            entry = AccessEntry(
                patient_id=patient_id,
                seq=seq + 1,
                accessor_id=accessor_id,
                role=reader_role(reader=reader, patient_id=patient_id, kind=kind),
                kind=kind,
                record_id=record_id,
                session_digest=digest,
                at=now,
                prev_hash=prev_hash,
            )
            entry.hash = link_hash(
                patient_id=patient_id,
                seq=entry.seq,
                accessor_id=accessor_id,
                role=entry.role,
                kind=kind,
                record_id=record_id,
                session_digest=digest,
                at=now,
                prev_hash=prev_hash,
            )
            heads[patient_id] = (entry.seq, entry.hash)
            entries.append(entry)
        AccessEntry.objects.bulk_create(entries)
    if kind not in ALWAYS_LOGGED and reader is not None:
        _visits_remember(
            {(accessor_id, kind, digest, e.patient_id, e.record_id): now for e in entries}
        )
    return entries


# The visits this process logged, or found logged, lately: (reader, kind, session digest,
# patient, record) -> when the entry says. A read within the repeat window of one of them is a
# repeat without asking the database (an open thread's live fetches: one query less each).
# Remembered only once the entry's transaction has committed (a read whose entry was rolled
# back is asked again), and only the latest ``_RECENT_VISITS_KEPT``: the database stays the
# answer for the rest, and the log is append-only, so what was committed stays true.
_recent_visits: OrderedDict[tuple, datetime] = OrderedDict()
_RECENT_VISITS_KEPT = 10_000
_recent_visits_lock = threading.Lock()  # sync views run in several threads under daphne


def _visits_remember(visits: dict[tuple, datetime]) -> None:
    def remember() -> None:
        with _recent_visits_lock:
            for key, at in visits.items():
                if at >= _recent_visits.get(key, at):
                    _recent_visits[key] = at
                    _recent_visits.move_to_end(key)
            while len(_recent_visits) > _RECENT_VISITS_KEPT:
                _recent_visits.popitem(last=False)

    if visits:
        transaction.on_commit(remember)


def _without_repeats(
    wanted: list[tuple[int, int | None]], *, reader: User, kind: str, digest: str, now: datetime
) -> list[tuple[int, int | None]]:
    """``wanted`` without the records this reader read from this session within the repeat
    window: at most one query, none for what this process remembers (``_recent_visits``)."""
    since = now - timedelta(minutes=settings.AUDIT_REPEAT_MINUTES)
    visit = (reader.pk, kind, digest)
    with _recent_visits_lock:
        seen = {pair: _recent_visits.get((*visit, *pair)) for pair in wanted}
    known = {pair for pair, at in seen.items() if at is not None and since <= at <= now}
    asked = [pair for pair in wanted if pair not in known]
    if not asked:
        return []
    found = AccessEntry.objects.filter(
        patient_id__in={patient_id for patient_id, _record in asked},
        accessor_id=reader.pk,
        kind=kind,
        session_digest=digest,
        at__gte=since,
        at__lte=now,
    ).values_list("patient_id", "record_id", "at")
    recent: dict[tuple[int, int | None], datetime] = {}
    for patient_id, record_id, at in found:
        recent[patient_id, record_id] = max(at, recent.get((patient_id, record_id), at))
    _visits_remember({(*visit, *pair): at for pair, at in recent.items()})
    return [pair for pair in asked if pair not in recent]


def _lock_chains(patient_ids: list[int]) -> None:
    """Take these patients' chains for this transaction, always in the same order (no
    deadlock between two writers of several chains). PostgreSQL only: SQLite's writers
    already take turns."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({patient_id & 0x7FFFFFFF for patient_id in patient_ids})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, key) FROM unnest(%s::integer[]) AS key",
            [_LOCK_SPACE, keys],
        )


def _chain_heads(patient_ids: list[int]) -> dict[int, tuple[int, str]]:
    """The last link of each patient's chain: (seq, hash). One query, one backward step of the
    unique (patient, seq) index per patient: the same cost for a chain of ten entries or of a
    million (a correlated "seq = the chain's highest" filter looked at every row of the chain)."""
    last: list[Any] = [  # expressions, which the lookup's type does not foresee
        Subquery(
            AccessEntry.objects.filter(patient_id=patient_id).order_by("-seq").values("pk")[:1]
        )
        for patient_id in patient_ids
    ]
    rows = AccessEntry.objects.filter(pk__in=last).order_by()
    return {
        patient_id: (seq, hash_)
        for patient_id, seq, hash_ in rows.values_list("patient_id", "seq", "hash")
    }
