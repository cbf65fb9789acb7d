"""Domain events of the matching app, for the apps above it to react to (DESIGN.md).

Both are sent after the transaction commits, with ``match_id`` (the ``Match`` primary key); the
receiver reads what it needs. Messaging opens or closes the conversation, scheduling cancels
future appointments with a therapist the patient has left.
"""

from django.dispatch import Signal

# A patient and a therapist start working together (an offer accepted, or a staff assignment).
match_started = Signal()
# A match is over (the patient changed therapist): the therapist loses access to anything new.
match_ended = Signal()
