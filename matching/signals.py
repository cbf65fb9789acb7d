"""Domain events of the matching app, for the apps above it to react to (DESIGN.md).

``match_requested`` (``request_id``): a search for a therapist has begun; the app's own
receiver queues the first offer at once rather than waiting for the sweep.

``match_started`` and ``match_ended`` are sent after the transaction commits, with ``match_id``
(the ``Match`` primary key); the receiver reads what it needs. Messaging opens or closes the
conversation, scheduling cancels future appointments with a therapist the patient has left.

``match_end_previewed`` (``match_id``) is asked, not announced: the switch page sends it before
the patient confirms a change of therapist, and each receiver *returns* a list of lines (plain
text, already translated, times in the active time zone) saying what the change will do on its
side, e.g. which booked sessions it will cancel. It writes nothing.

``therapist_page_requested`` (``match_id``) is asked the same way by the patient's "My
therapist" page: each receiver returns a list of short plain-text facts about working with this
therapist that only its app knows (e.g. messaging: "Usually replies within 3 hours"), already
translated. It writes nothing.
"""

from django.dispatch import Signal

match_requested = Signal()
# A patient and a therapist start working together (an offer accepted, or a staff assignment).
match_started = Signal()
# A match is over (the patient changed therapist): the therapist loses access to anything new.
match_ended = Signal()
# Asked before a patient confirms a change of therapist: receivers return what it will do.
match_end_previewed = Signal()
# Asked by the patient's "My therapist" page: receivers return facts only they know.
therapist_page_requested = Signal()
