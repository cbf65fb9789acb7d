"""The accounts middlewares run as the server does: under WSGI (gunicorn, sync) and under ASGI
(daphne, async, with no hand-off to a thread of their own): the same language, time zone and
two-factor rule either way, the user read once."""

import pytest
import pytest_asyncio
from allauth.mfa.models import Authenticator
from asgiref.sync import iscoroutinefunction, sync_to_async
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.db import connections
from django.http import HttpResponse
from django.test import AsyncClient, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from accounts import selectors
from accounts.middleware import MFARequiredMiddleware, UserPreferencesMiddleware
from tests.factories import PatientFactory, TherapistFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest_asyncio.fixture
async def asgi_requests():
    """After the test, the connection of the thread the ASGI handler ran the views in is closed
    (the test database is dropped next)."""
    yield
    await sync_to_async(connections.close_all)()


def test_both_are_async_capable_and_sync_capable():
    for middleware in (UserPreferencesMiddleware, MFARequiredMiddleware):
        assert middleware.sync_capable
        assert middleware.async_capable

        async def view(request):
            return HttpResponse()

        assert iscoroutinefunction(middleware(view))
        assert not iscoroutinefunction(middleware(lambda request: HttpResponse()))


@pytest.mark.asyncio
async def test_in_async_mode_the_users_language_and_zone_apply():
    user = await database_sync_to_async(PatientFactory)(language="fr", time_zone="Pacific/Auckland")
    request = RequestFactory().get("/")
    seen = {}

    async def auser():
        return user

    request.auser = auser
    request.user = AnonymousUser()  # replaced by the one read

    async def view(request):
        seen["language"] = translation.get_language()
        seen["zone"] = timezone.get_current_timezone_name()
        seen["user"] = request.user
        return HttpResponse()

    await UserPreferencesMiddleware(view)(request)

    assert seen == {"language": "fr", "zone": "Pacific/Auckland", "user": user}


@pytest.mark.asyncio
async def test_under_asgi_a_therapist_without_two_factor_is_sent_to_set_it_up(asgi_requests):
    therapist = await database_sync_to_async(TherapistFactory)(totp=False)
    client = AsyncClient()
    await database_sync_to_async(client.force_login)(therapist)

    response = await client.get("/home/")

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    setting_up = await client.get(reverse("mfa_activate_totp"))
    assert setting_up.get("Location", "") != reverse("mfa_activate_totp")  # open to them


@pytest.mark.asyncio
async def test_under_asgi_a_therapist_with_two_factor_and_a_patient_get_their_pages(
    asgi_requests,
):
    therapist = await database_sync_to_async(TherapistFactory)()
    patient = await database_sync_to_async(PatientFactory)(language="fr")
    for user, words in ((therapist, "Dashboard"), (patient, 'lang="fr"')):
        client = AsyncClient()
        await database_sync_to_async(client.force_login)(user)
        response = await client.get("/home/")
        assert response.status_code == 200
        assert words in response.content.decode()


@pytest.mark.asyncio
async def test_under_asgi_a_session_that_found_the_authenticator_is_not_asked_again(
    asgi_requests, monkeypatch
):
    asked = []
    check = selectors.auser_needs_mfa_setup

    async def counted(*, user):
        asked.append(user.pk)
        return await check(user=user)

    monkeypatch.setattr(selectors, "auser_needs_mfa_setup", counted)
    therapist = await database_sync_to_async(TherapistFactory)(totp=False)
    client = AsyncClient()
    await database_sync_to_async(client.force_login)(therapist)  # no app yet: nothing kept
    assert (await client.get("/home/")).url == reverse("mfa_activate_totp")
    await database_sync_to_async(_authenticator_for)(therapist)  # set up since

    for path in ("/home/", "/profile/", "/home/"):
        assert (await client.get(path)).status_code == 200

    assert asked == [therapist.pk, therapist.pk]  # refused once, then found once


def _authenticator_for(user) -> None:
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={})
