"""What closes a user's live sockets — Django's and accounts' own events, sent on as
revocations — and what a login starts (its row in *Where you are signed in*, its idle clock,
the legal versions it still has to accept).

A log-out closes the sockets opened with that login session at once (4401). A change to the
user row (a password changed from any page, the admin or ``changepassword``: the session hash
changes with it; a deactivation; a deletion) and a change of a therapist's vetting status make
every socket of that user ask once whether it may stay open: the session that changed its own
password was given a new key, the others no longer match, a suspended therapist reads nothing
(``accounts.consumers``). A change made with ``QuerySet.update`` sends nothing: the sockets'
periodic re-check (``SOCKET_RECHECK_SECONDS``) catches it later. A therapist's or staff
member's authenticator app removed ends every session of theirs (each had taken it as settled).
"""

from urllib.parse import unquote

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts import selectors, services
from accounts.models import User
from accounts.signals import therapist_vetting_changed
from core import realtime


@receiver(user_logged_out)
def close_sockets_of_ended_session(sender, request, user, **kwargs):
    # Every log-out comes here: the button, an idle session (accounts.middleware).
    if request is not None and request.session.session_key:
        realtime.end_session_sockets(request.session.session_key)
        services.login_session_forget(session_key=request.session.session_key)


@receiver(user_logged_in)
def start_login_session(sender, request, user, **kwargs):
    """A login (a password and, when needed, a code; or a test's ``force_login``): the session
    starts counting activity and gets its row in *Where you are signed in*, and it remembers
    which new versions of the legal documents this person has to accept before anything else,
    and whether their authenticator app is set up."""
    if request is None or not hasattr(request, "session"):
        return
    services.login_session_start(
        user=user,
        session=request.session,
        user_agent=request.headers.get("User-Agent", ""),
        time_zone=unquote(request.COOKIES.get(settings.TIME_ZONE_COOKIE_NAME, "")),
    )
    services.legal_pending_remember(
        session=request.session, documents=selectors.legal_documents_pending(user=user)
    )
    services.two_factor_remember(session=request.session, user=user)


@receiver(post_save, sender=User)
def recheck_sockets_of_changed_user(sender, instance, created, update_fields, **kwargs):
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return  # a new user has no socket; a login changes nobody's rights
    realtime.revoke([realtime.user_sockets_group(instance.pk)])


@receiver(post_delete, sender=User)
def close_sockets_of_deleted_user(sender, instance, **kwargs):
    realtime.revoke([realtime.user_sockets_group(instance.pk)])


@receiver(post_delete, sender=Authenticator)
def end_sessions_without_their_authenticator(sender, instance, **kwargs):
    if instance.type == Authenticator.Type.TOTP:
        user_id = instance.user_id
        transaction.on_commit(lambda: services.two_factor_removed(user_id=user_id))


@receiver(therapist_vetting_changed)
def recheck_sockets_of_therapist(sender, therapist_id, **kwargs):
    # A therapist profile's key is its user's.
    realtime.revoke([realtime.user_sockets_group(therapist_id)])
