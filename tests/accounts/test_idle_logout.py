"""Idle log-out, decided on the server: a session without activity for its role's time (30
minutes for patients, 15 for therapists and staff, 10 on a shared device; settings) is logged
out at its next request, with a word why; the pages' own refreshes are no activity; the warning
asks how long is left and "stay" starts the time again; a session nobody sends anything from is
ended by the sweep, and its sockets close at once, through the same path as a log-out."""

from datetime import timedelta

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import selectors, services
from accounts.models import UserSession
from core import realtime
from tests.factories import PASSWORD, PatientFactory, TherapistFactory
from tests.helpers import client_for
from tests.sockets import assert_closed_with, open_socket, pong


@pytest.fixture(autouse=True)
def idle_logout(settings):
    settings.IDLE_LOGOUT_ENABLED = True
    settings.IDLE_LOGOUT_MINUTES = {
        "patient": 30,
        "therapist": 15,
        "staff": 15,
        "shared_device": 10,
    }


@pytest.fixture
def clock(db):
    # From now on (the legal documents of the test database are in effect).
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


@pytest.mark.django_db
def test_a_patient_idle_for_30_minutes_is_logged_out_with_a_word_why(clock, patient):
    client = client_for(patient)
    clock.shift(timedelta(minutes=29, seconds=59))
    assert client.get("/home/").status_code == 200

    clock.shift(timedelta(minutes=30, seconds=1))
    response = client.get("/home/")

    assert response.status_code == 302
    assert response.url == reverse("account_login") + "?next=/home/"
    login_page = client.get(response.url).content.decode()
    assert "you were logged out after 30 minutes without activity" in login_page
    assert not logged_in(client)
    assert not UserSession.objects.filter(user=patient).exists()


@pytest.mark.django_db
def test_each_request_starts_the_time_again(clock, patient):
    client = client_for(patient)
    for _ in range(4):
        clock.shift(timedelta(minutes=20))
        assert client.get("/home/").status_code == 200
    assert logged_in(client)


@pytest.mark.django_db
@pytest.mark.parametrize(("factory", "minutes"), [(TherapistFactory, 15), (PatientFactory, 30)])
def test_the_time_is_per_role(clock, factory, minutes):
    client = client_for(factory())

    clock.shift(timedelta(minutes=minutes, seconds=1))

    assert client.get("/home/").status_code == 302
    assert not logged_in(client)


@pytest.mark.django_db
def test_staff_have_the_shorter_time(clock, staff_client):
    clock.shift(timedelta(minutes=15, seconds=1))

    staff_client.get("/home/")

    assert not logged_in(staff_client)


@pytest.mark.django_db
def test_the_times_are_settings(clock, patient, settings):
    settings.IDLE_LOGOUT_MINUTES = settings.IDLE_LOGOUT_MINUTES | {"patient": 0.5}
    client = client_for(patient)

    clock.shift(timedelta(seconds=31))
    client.get("/home/")

    assert not logged_in(client)


@pytest.mark.django_db
def test_a_pages_own_refresh_in_the_background_is_no_activity(clock, patient):
    client = client_for(patient)
    for _ in range(3):
        clock.shift(timedelta(minutes=9))
        # The unread badge, a part refreshed after a live event: htmx GETs.
        client.get(reverse("unread_badge"), headers={"HX-Request": "true"})
        client.get(reverse("session_status"))
    clock.shift(timedelta(minutes=3, seconds=1))

    response = client.get(reverse("unread_badge"), headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert response["HX-Refresh"] == "true"  # the whole page reloads: the login page
    assert not logged_in(client)


@pytest.mark.django_db
def test_a_form_sent_with_htmx_is_activity(clock, patient):
    client = client_for(patient)
    clock.shift(timedelta(minutes=25))
    client.post(reverse("profile"), {}, headers={"HX-Request": "true"})
    clock.shift(timedelta(minutes=25))

    assert client.get("/home/").status_code == 200


@pytest.mark.django_db
def test_the_warning_asks_how_long_is_left_without_starting_it_again(clock, patient):
    client = client_for(patient)
    clock.shift(timedelta(minutes=29))

    state = client.get(reverse("session_status")).json()

    assert state == {"signed_in": True, "remaining": 60, "warning": 60}
    clock.shift(timedelta(seconds=61))
    assert client.get(reverse("session_status")).json() == {"signed_in": False}
    assert not logged_in(client)


@pytest.mark.django_db
def test_stay_logged_in_starts_the_time_again(clock, patient):
    client = client_for(patient)
    clock.shift(timedelta(minutes=29, seconds=30))

    stayed = client.post(reverse("session_stay"))

    assert stayed.json()["remaining"] == 30 * 60
    clock.shift(timedelta(minutes=29))
    assert client.get("/home/").status_code == 200


@pytest.mark.django_db
def test_stay_cannot_bring_back_an_ended_session(clock, patient):
    client = client_for(patient)
    clock.shift(timedelta(minutes=31))

    response = client.post(reverse("session_stay"))

    assert response.status_code == 401
    assert response.json() == {"signed_in": False}
    assert client.get("/home/").status_code == 302


def test_stay_is_a_post_and_the_status_a_get(client):
    assert client.get(reverse("session_stay")).status_code == 405
    assert client.post(reverse("session_status")).status_code == 405
    assert client.get(reverse("session_status")).json() == {"signed_in": False}


@pytest.mark.django_db
def test_a_shared_device_ends_with_the_browser_and_sooner(clock, patient):
    client = Client()
    client.post(
        reverse("account_login"),
        {"login": patient.email, "password": PASSWORD, "shared_device": "on"},
    )
    assert logged_in(client)
    assert client.session.get_expire_at_browser_close()
    assert client.session[selectors.SHARED_DEVICE_SESSION_KEY] is True
    row = UserSession.objects.get(user=patient)
    assert row.shared_device
    assert not [name for name in client.cookies if name.startswith("device_")]  # not remembered

    clock.shift(timedelta(minutes=10, seconds=1))
    client.get("/home/")

    assert not logged_in(client)


@pytest.mark.django_db
def test_a_device_that_is_not_shared_outlives_the_browser(clock, patient):
    client = Client()
    client.post(reverse("account_login"), {"login": patient.email, "password": PASSWORD})

    assert not client.session.get_expire_at_browser_close()
    assert not client.session[selectors.SHARED_DEVICE_SESSION_KEY]
    assert [name for name in client.cookies if name.startswith("device_")]


@pytest.mark.django_db
def test_the_page_carries_the_time_for_its_warning(patient, settings):
    page = client_for(patient).get("/home/").content.decode()

    assert 'id="idle-warning"' in page
    assert 'data-timeout="1800"' in page
    assert 'data-warning="60"' in page
    assert "teletherapy/idle.js" in page


def test_a_visitor_has_no_warning(client, db):
    assert 'id="idle-warning"' not in client.get("/").content.decode()


# --- Sessions nobody sends anything from: the sweep, and their sockets ----------------------


@pytest.mark.django_db
def test_the_sweep_ends_idle_sessions_only(clock, patient, other_patient):
    idle = client_for(patient)
    clock.shift(timedelta(minutes=20))
    busy = client_for(other_patient)
    clock.shift(timedelta(minutes=11))

    assert services.idle_sessions_end() == 1

    assert not UserSession.objects.filter(user=patient).exists()
    assert UserSession.objects.filter(user=other_patient).exists()
    assert idle.get("/home/").status_code == 302
    assert busy.get("/home/").status_code == 200
    assert services.idle_sessions_end() == 0  # twice: nothing more


@pytest.mark.django_db
def test_an_idle_session_no_longer_opens_a_socket_check(clock, patient):
    client = client_for(patient)
    key = client.session.session_key

    assert selectors.user_get_for_session(session_key=key) == patient
    clock.shift(timedelta(minutes=31))
    assert selectors.user_get_for_session(session_key=key) is None


# The sockets' tests use a short idle time: group memberships on the channel layer expire
# after CHANNEL_LAYER_GROUP_EXPIRY (15 minutes) of a clock moved without their renewal.


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_an_idle_session_logged_out_at_its_next_request_closes_its_sockets(settings):
    settings.IDLE_LOGOUT_MINUTES = settings.IDLE_LOGOUT_MINUTES | {"patient": 0.5}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        patient = await database_sync_to_async(PatientFactory)()
        client, communicator = await open_socket(patient)
        _, other = await open_socket(await database_sync_to_async(TherapistFactory)())
        clock.shift(timedelta(seconds=31))

        response = await database_sync_to_async(client.get)(reverse("session_status"))

        assert response.json() == {"signed_in": False}
        await assert_closed_with(communicator, realtime.CLOSE_UNAUTHENTICATED)
        assert await pong(other)
        await other.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_sweep_closes_the_sockets_of_an_idle_session_at_once(settings):
    settings.IDLE_LOGOUT_MINUTES = dict.fromkeys(settings.IDLE_LOGOUT_MINUTES, 0.5)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        patient = await database_sync_to_async(PatientFactory)()
        _, communicator = await open_socket(patient)
        clock.shift(timedelta(seconds=31))

        assert await database_sync_to_async(services.idle_sessions_end)() == 1

        await assert_closed_with(communicator, realtime.CLOSE_UNAUTHENTICATED)
