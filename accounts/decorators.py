"""Role guards for views: who may reach a page at all, before any object is looked at.

One rule for every outsider: 404, as if the page did not exist. A 403 would confirm that a page
(or the object behind it) exists, and what a role's pages hold says who is in therapy.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest

from accounts.models import User
from accounts.selectors import approved_therapist_profile


class UserRequest(HttpRequest):
    """A request whose user is logged in: what a view behind ``login_required`` or one of the
    guards below receives (for type checkers; at run time it is the HttpRequest)."""

    user: User  # type: ignore[assignment]


def patient_required(view):
    """Logged in as a patient; anyone else logged in gets 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_patient:
            raise Http404("patients only")
        return view(request, *args, **kwargs)

    return wrapper


def visitor_or_patient_required(view):
    """A visitor not logged in, or a patient (the intake before and after sign-up); therapists
    and staff get 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_patient:
            raise Http404("visitors and patients only")
        return view(request, *args, **kwargs)

    return wrapper


def therapist_required(view):
    """Logged in as a therapist, approved or not (their application), whose profile the view
    receives after ``request``; anyone else logged in gets 404. Two-factor set-up is the
    middleware's concern."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_therapist:
            raise Http404("therapists only")
        return view(request, request.user.therapist_profile, *args, **kwargs)

    return wrapper


def approved_therapist_required(view):
    """Logged in as an approved therapist, whose profile the view receives after ``request``;
    anyone else logged in gets 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        profile = approved_therapist_profile(user=request.user)
        if profile is None:
            raise Http404("approved therapists only")
        return view(request, profile, *args, **kwargs)

    return wrapper
