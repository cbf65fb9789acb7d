"""How messaging follows matching's domain events: a conversation opens with a match and closes
when it ends (and the ended match's therapist loses the earlier conversations the patient had
shared with them: their sockets on those ask again and close); the patient's *My therapist*
page is told how soon the therapist answers."""

from django.dispatch import receiver
from django.utils import timezone

from core import realtime
from matching.signals import match_ended, match_started, therapist_page_requested
from messaging import presenters, selectors, services


@receiver(match_started)
def open_conversation(sender, match_id, **kwargs):
    services.conversation_open(match_id=match_id)


@receiver(match_ended)
def close_conversation(sender, match_id, **kwargs):
    services.conversation_close(match_id=match_id)


@receiver(match_ended)
def revoke_shared_history(sender, match_id, **kwargs):
    """A therapist reads a patient's earlier conversations only while the match the patient
    shared them through is active (``selectors.conversations_for_user``)."""
    shared = selectors.conversations_shared_through(match_id=match_id)
    realtime.revoke([services.conversation_group(pk) for pk in shared])


@receiver(therapist_page_requested)
def reply_time_fact(sender, match_id, **kwargs) -> list[str]:
    """ "Usually replies within 3 hours", or nothing with too few answers to say."""
    words = presenters.reply_time_words(
        selectors.match_therapist_reply_time(match_id=match_id, now=timezone.now())
    )
    return [words] if words else []
