"""Every way a login session ends, with sessions read from Redis (``core.sessions``, issue 16):
the ended session's cookie, replayed from another browser (as by whoever copied it), no longer
logs anyone in, and its cached copy is gone. Each test first checks that the copy was there,
so that a path ending sessions behind the store's back (its row deleted, its copy left
logged in) fails here."""

from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.db import connections
from django.test import AsyncClient, Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import UserSession
from core import tasks
from core.sessions import ENDED, SessionStore
from tests.factories import PASSWORD, PatientFactory
from tests.helpers import client_for

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture(autouse=True)
def engine(settings):
    settings.SESSION_ENGINE = "core.sessions"
    settings.IDLE_LOGOUT_ENABLED = True


@pytest.fixture
def clock(db):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def log_in(user, user_agent: str = FIREFOX) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def key_of(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def cached(key: str):
    return cache.get(SessionStore.cache_key_prefix + key)


def live(key: str) -> str:
    """The session is logged in and its copy is in the cache (what a wrong ending leaves)."""
    assert SESSION_KEY in cached(key)
    return key


def replayed(key: str) -> Client:
    client = Client(HTTP_USER_AGENT=FIREFOX)
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    return client


def assert_ended(key: str) -> None:
    assert cached(key) in (None, ENDED)
    assert SESSION_KEY not in SessionStore(key)
    response = replayed(key).get("/home/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_logging_out(patient):
    client = log_in(patient)
    key = live(key_of(client))

    client.post(reverse("account_logout"))

    assert_ended(key)


@pytest.mark.django_db
def test_the_idle_log_out_at_the_next_request(clock, patient):
    start = timezone.now()
    client = client_for(patient)
    key = live(key_of(client))

    clock.shift(timedelta(minutes=31))
    assert client.get("/home/").status_code == 302

    clock.move_to(start)  # not merely idle: gone
    assert_ended(key)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_idle_log_out_under_asgi():
    with time_machine.travel(timezone.now(), tick=False) as clock:
        start = timezone.now()
        patient = await database_sync_to_async(PatientFactory)()
        client = AsyncClient()
        await database_sync_to_async(client.force_login)(patient)
        key = await sync_to_async(live)(client.cookies[settings.SESSION_COOKIE_NAME].value)

        clock.shift(timedelta(minutes=31))
        assert (await client.get("/home/")).status_code == 302

        clock.move_to(start)
        await sync_to_async(assert_ended)(key)
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db
def test_the_sweep_of_idle_sessions(clock, patient):
    start = timezone.now()
    client = log_in(patient)
    key = live(key_of(client))

    clock.shift(timedelta(minutes=31))
    assert services.idle_sessions_end() == 1

    clock.move_to(start)
    assert_ended(key)


@pytest.mark.django_db
def test_sign_out_one_session_from_another(patient):
    laptop, phone = log_in(patient), log_in(patient, SAFARI)
    key = live(key_of(phone))
    row = UserSession.objects.get(user=patient, browser="Safari")

    laptop.post(reverse("login_session_end", args=[row.pk]))

    assert_ended(key)
    assert laptop.get("/home/").status_code == 200


@pytest.mark.django_db
def test_sign_out_everywhere_else(patient):
    laptop = log_in(patient)
    keys = [live(key_of(log_in(patient, SAFARI))), live(key_of(log_in(patient)))]

    laptop.post(reverse("login_sessions_end_others"))

    for key in keys:
        assert_ended(key)
    assert laptop.get("/home/").status_code == 200


@pytest.mark.django_db
def test_asking_to_delete_the_account(patient):
    keys = [live(key_of(log_in(patient))), live(key_of(log_in(patient, SAFARI)))]

    services.patient_erasure_request(
        user=patient, now=timezone.now(), due_at=timezone.now() + timedelta(days=14)
    )

    for key in keys:
        assert_ended(key)


@pytest.mark.django_db
def test_the_erasure_of_the_account(patient):
    key = live(key_of(log_in(patient)))

    services.patient_account_erase(user=patient, now=timezone.now())

    assert_ended(key)


@pytest.mark.django_db
def test_a_password_change_ends_the_other_sessions(patient):
    laptop, phone = log_in(patient), log_in(patient, SAFARI)
    laptop_key, phone_key = live(key_of(laptop)), live(key_of(phone))

    response = laptop.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "An0ther-long-passphrase",
            "password2": "An0ther-long-passphrase",
        },
    )

    assert response.status_code == 302
    # The other session is refused by the password's hash it holds (its user is read afresh
    # at every request), and ended there and then.
    assert replayed(phone_key).get("/home/").status_code == 302
    assert_ended(phone_key)
    assert_ended(laptop_key)  # this browser goes on under a new key
    assert key_of(laptop) != laptop_key
    assert laptop.get("/home/").status_code == 200


@pytest.mark.django_db
def test_a_deactivated_account(patient):
    key = live(key_of(log_in(patient)))

    patient.is_active = False
    patient.save()

    response = replayed(key).get("/home/")
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_sweep_of_expired_sessions(clock, patient):
    start = timezone.now()
    key = live(key_of(log_in(patient)))

    clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
    tasks.sweep_sessions()

    clock.move_to(start)  # its copy, had it stayed, would be valid again at this hour
    assert_ended(key)
