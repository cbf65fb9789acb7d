from django.utils.functional import SimpleLazyObject

from messaging import selectors


def unread(request):
    """How many messages wait for the logged-in user, counted only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return {}
    return {"unread_messages": SimpleLazyObject(lambda: selectors.unread_count(user=user))}
