"""How the erasure reacts to a login: a patient whose account is to be deleted (the grace
period) logs in to a session that only reaches the page where they keep it or let it go
(``middleware.ErasurePendingMiddleware``), marked here once so that no page asks again."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts import selectors as accounts_selectors
from teletherapy.erasure.selectors import ERASURE_PENDING_SESSION_KEY


@receiver(user_logged_in)
def mark_a_leaving_patients_session(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    if accounts_selectors.patient_erasure_pending(user=user) is not None:
        request.session[ERASURE_PENDING_SESSION_KEY] = True
