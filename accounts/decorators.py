from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from accounts.selectors import approved_therapist_profile


def approved_therapist_required(view):
    """Logged in as an approved therapist, whose profile the view receives after ``request``;
    anyone else logged in gets 404, as if the page did not exist (what a therapist's pages hold
    says who is in therapy)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        profile = approved_therapist_profile(user=request.user)
        if profile is None:
            raise Http404
        return view(request, profile, *args, **kwargs)

    return wrapper
