from allauth.mfa.models import Authenticator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from accounts.models import User


def user_has_totp(*, user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def user_needs_mfa_setup(*, user: User) -> bool:
    """True for a therapist or staff member who has not set up an authenticator app yet."""
    return user.requires_mfa and not user_has_totp(user=user)


def _session_store(session_key: str) -> SessionBase:
    from django.conf import settings

    engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    return engine(session_key)


def user_get_for_session(*, session_key: str) -> User | None:
    """The active user still logged in under this session, read afresh from the store.

    None once the session was logged out, expired, or invalidated by a password change.
    """
    session = _session_store(session_key)
    user_id = session.get(SESSION_KEY)
    if user_id is None or session.get(BACKEND_SESSION_KEY) is None:
        return None
    user = User.objects.filter(pk=User._meta.pk.to_python(user_id), is_active=True).first()
    if user is None:
        return None
    stored_hash = session.get(HASH_SESSION_KEY)
    if not stored_hash or not constant_time_compare(stored_hash, user.get_session_auth_hash()):
        return None
    return user
