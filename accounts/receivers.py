from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from teletherapy import realtime


@receiver(user_logged_out)
def close_sockets_of_ended_session(sender, request, user, **kwargs):
    if request is not None and request.session.session_key:
        realtime.end_session_sockets(request.session.session_key)
