"""Every page is shown in the viewer's language and time zone."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone, translation

from accounts.middleware import UserPreferencesMiddleware
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def seen_by(user=None, cookies=None):
    """The language and time zone a view runs under for this request."""
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies or {})
    request.user = user or _anonymous()
    seen = {}

    def view(request):
        seen["language"] = translation.get_language()
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    UserPreferencesMiddleware(view)(request)
    return seen


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def test_a_user_sees_their_own_language_and_zone_whatever_the_cookies():
    user = PatientFactory(language="fr", time_zone="Pacific/Auckland")

    seen = seen_by(user, cookies={"tz": "Europe/London", "language": "en"})

    assert seen == {"language": "fr", "zone": "Pacific/Auckland"}


@pytest.mark.parametrize("cookie", ["America/Sao_Paulo", "America%2FSao_Paulo"])
def test_a_visitor_sees_the_zone_their_browser_reported(cookie):
    # site.js writes the cookie with encodeURIComponent: "/" arrives as "%2F".
    assert seen_by(cookies={"tz": cookie})["zone"] == "America/Sao_Paulo"


@pytest.mark.parametrize("cookie", ["", "Nowhere/City", "../../etc/passwd"])
def test_a_bad_zone_cookie_falls_back_to_utc(cookie):
    assert seen_by(cookies={"tz": cookie})["zone"] == "UTC"
