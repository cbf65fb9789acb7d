"""The idle log-out and the consent middlewares under ASGI (daphne), as under WSGI: sync and
async capable, an idle session logged out at its next request, activity written, a new version
of a legal document asked before anything else — with no thread of their own on the way."""

from datetime import timedelta

import pytest
import pytest_asyncio
import time_machine
from asgiref.sync import iscoroutinefunction, sync_to_async
from channels.db import database_sync_to_async
from django.db import connections
from django.http import HttpResponse
from django.test import AsyncClient
from django.urls import reverse
from django.utils import timezone

from accounts import selectors
from accounts.middleware import IdleLogoutMiddleware, LegalConsentMiddleware
from accounts.models import LegalDocument
from tests.factories import PatientFactory
from tests.factories.accounts import LegalDocumentFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest_asyncio.fixture
async def asgi_requests():
    """After the test, the connection of the thread the ASGI handler ran the views in is closed
    (the test database is dropped next)."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture(autouse=True)
def idle_logout(settings):
    settings.IDLE_LOGOUT_ENABLED = True


def test_both_are_async_capable_and_sync_capable():
    for middleware in (IdleLogoutMiddleware, LegalConsentMiddleware):
        assert middleware.sync_capable
        assert middleware.async_capable

        async def view(request):
            return HttpResponse()

        assert iscoroutinefunction(middleware(view))
        assert not iscoroutinefunction(middleware(lambda request: HttpResponse()))


@pytest.mark.asyncio
async def test_under_asgi_an_idle_session_is_logged_out_and_activity_is_written(asgi_requests):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        patient = await database_sync_to_async(PatientFactory)()
        client = AsyncClient()
        await database_sync_to_async(client.force_login)(patient)

        clock.shift(timedelta(minutes=20))
        assert (await client.get("/home/")).status_code == 200
        session = await database_sync_to_async(lambda: dict(client.session.items()))()
        assert session[selectors.IDLE_SESSION_KEY] == timezone.now().timestamp()

        clock.shift(timedelta(minutes=30, seconds=1))
        response = await client.get("/home/")

        assert response.status_code == 302
        assert response.url == reverse("account_login") + "?next=/home/"


@pytest.mark.asyncio
async def test_under_asgi_a_new_version_is_asked_before_anything_else(asgi_requests):
    patient = await database_sync_to_async(PatientFactory)()
    await database_sync_to_async(LegalDocumentFactory)(kind=LegalDocument.Kind.TERMS)
    client = AsyncClient()
    await database_sync_to_async(client.force_login)(patient)

    response = await client.get("/home/")

    assert response.status_code == 302
    assert response.url.startswith(reverse("legal_consent"))
    assert (await client.get(reverse("legal_consent"))).status_code == 200
