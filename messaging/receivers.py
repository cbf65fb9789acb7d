from django.dispatch import receiver

from matching.signals import match_ended, match_started
from messaging import services


@receiver(match_started)
def open_conversation(sender, match_id, **kwargs):
    services.conversation_open(match_id=match_id)


@receiver(match_ended)
def close_conversation(sender, match_id, **kwargs):
    services.conversation_close(match_id=match_id)
