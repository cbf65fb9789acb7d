"""The access log's hash chain, as pure functions: what a link's hash covers, and the digest
of a session key.

Each patient's entries form one chain: entry ``seq`` n stores the SHA-256 of its own fields and
of entry n-1's hash (``GENESIS`` for the first). Removing or changing a row breaks the next
link (or its own), and ``audit.selectors.access_log_verify`` finds the first break.
"""

import hashlib
import json
from datetime import UTC, datetime

GENESIS = "0" * 64


def link_hash(
    *,
    patient_id: int,
    seq: int,
    accessor_id: int | None,
    role: str,
    kind: str,
    record_id: int | None,
    session_digest: str,
    at: datetime,
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) of one entry's fields and the previous entry's hash. The time is
    taken in UTC to the microsecond, as both databases keep it."""
    fields = [
        patient_id,
        seq,
        accessor_id,
        role,
        kind,
        record_id,
        session_digest,
        at.astimezone(UTC).isoformat(timespec="microseconds"),
        prev_hash,
    ]
    canonical = json.dumps(fields, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def session_digest(session_key: str | None) -> str:
    """What the log keeps of a login session: a SHA-256 of its key, never the key (which
    would let anyone reading the log take the session over). "" without a session."""
    if not session_key:
        return ""
    return hashlib.sha256(f"audit-session:{session_key}".encode()).hexdigest()
