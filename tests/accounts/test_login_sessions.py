"""*Where you are signed in*: each person's own sessions, described by their user agent only
(this one marked), with "sign out" per session and "sign out everywhere else" — the browsers
signed out lose their login and their sockets at once; nobody sees or ends another's."""

from io import StringIO

import pytest
from channels.db import database_sync_to_async
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts import selectors
from accounts.models import UserSession
from core import realtime
from tests.factories import PASSWORD, PatientFactory
from tests.helpers import client_for
from tests.sockets import assert_closed_with, open_socket, pong, socket

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def log_in(user, user_agent: str, time_zone: str = "") -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    if time_zone:
        client.cookies["tz"] = time_zone
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def signed_in(client: Client) -> bool:
    return client.get("/home/").status_code == 200


@pytest.mark.django_db
def test_the_page_lists_this_persons_sessions_this_one_first(patient, other_patient):
    laptop = log_in(patient, FIREFOX_WINDOWS, time_zone="Europe%2FParis")
    log_in(patient, SAFARI_IPHONE)
    log_in(other_patient, FIREFOX_WINDOWS, time_zone="Asia%2FTokyo")

    page = laptop.get(reverse("login_sessions")).content.decode()

    assert page.index("Firefox on Windows") < page.index("Safari on iOS")
    assert page.count("This device") == 1
    assert "Time zone Europe/Paris" in page
    assert "Asia/Tokyo" not in page  # another person's
    assert "Sign out everywhere else" in page
    assert UserSession.objects.filter(user=patient).count() == 2


@pytest.mark.django_db
def test_signing_out_one_session_logs_that_browser_out(patient):
    laptop = log_in(patient, FIREFOX_WINDOWS)
    phone = log_in(patient, SAFARI_IPHONE)
    row = UserSession.objects.get(user=patient, browser="Safari")

    response = laptop.post(reverse("login_session_end", args=[row.pk]))

    assert response.status_code == 302
    assert "That session is signed out." in laptop.get(response.url).content.decode()
    assert not signed_in(phone)
    assert signed_in(laptop)
    assert not UserSession.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_sign_out_everywhere_else(patient):
    laptop = log_in(patient, FIREFOX_WINDOWS)
    others = [log_in(patient, SAFARI_IPHONE), client_for(patient)]

    response = laptop.post(reverse("login_sessions_end_others"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "2 other sessions are signed out." in response.content.decode()
    assert 'id="sessions-list"' in response.content.decode()
    assert not any(signed_in(client) for client in others)
    assert signed_in(laptop)
    assert UserSession.objects.filter(user=patient).count() == 1


@pytest.mark.django_db
def test_nobody_ends_another_persons_session(patient, other_patient):
    theirs = log_in(other_patient, SAFARI_IPHONE)
    row = UserSession.objects.get(user=other_patient)
    mine = client_for(patient)

    assert mine.post(reverse("login_session_end", args=[row.pk])).status_code == 404
    mine.post(reverse("login_sessions_end_others"))

    assert signed_in(theirs)
    assert UserSession.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_this_browsers_own_session_ends_by_logging_out(patient):
    laptop = log_in(patient, FIREFOX_WINDOWS)
    row = UserSession.objects.get(user=patient)

    assert laptop.post(reverse("login_session_end", args=[row.pk])).status_code == 404
    assert signed_in(laptop)


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["0", "99999999999999999999", "x"])
def test_a_session_that_does_not_exist_is_a_404(patient, pk):
    response = client_for(patient).post(f"/privacy/sessions/{pk}/end/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_the_pages_need_a_login_and_the_actions_a_post(client, patient):
    for url in (reverse("login_sessions"), reverse("login_sessions_end_others")):
        response = client.get(url)
        assert response.status_code in {302, 405}
    assert client.post(reverse("login_sessions_end_others")).status_code == 302
    assert client_for(patient).get(reverse("login_sessions_end_others")).status_code == 405


@pytest.mark.django_db
def test_logging_out_forgets_the_session(patient):
    laptop = log_in(patient, FIREFOX_WINDOWS)

    laptop.post(reverse("account_logout"))

    assert not UserSession.objects.filter(user=patient).exists()


@pytest.mark.django_db
def test_a_password_change_moves_the_row_to_the_renewed_session(patient):
    laptop = log_in(patient, FIREFOX_WINDOWS)
    phone = log_in(patient, SAFARI_IPHONE)

    response = laptop.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "another-long-one-1",
            "password2": "another-long-one-1",
        },
    )
    assert response.status_code == 302
    page = laptop.get(reverse("login_sessions")).content.decode()

    assert "Firefox on Windows" in page
    assert "This device" in page
    assert "Safari" not in page  # logged out by the change
    assert not signed_in(phone)
    digest = selectors.session_key_digest(laptop.session.session_key)
    assert UserSession.objects.get(user=patient, key_digest=digest).browser == "Firefox"


@pytest.mark.django_db
def test_the_session_key_is_kept_only_as_a_digest_and_encrypted(patient):
    laptop = log_in(patient, FIREFOX_WINDOWS)
    key = laptop.session.session_key
    row = UserSession.objects.get(user=patient)

    assert key not in row.key_digest
    assert key not in row.key_encrypted
    assert selectors.login_session_key(row=row) == key


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_session_signed_out_from_elsewhere_closes_its_sockets_at_once():
    patient = await database_sync_to_async(PatientFactory)()
    laptop, laptop_socket = await open_socket(patient)
    phone, phone_socket = await open_socket(patient)

    response = await database_sync_to_async(laptop.post)(reverse("login_sessions_end_others"))

    assert response.status_code == 302
    await assert_closed_with(phone_socket, realtime.CLOSE_UNAUTHENTICATED)
    assert await pong(laptop_socket)
    refused = await socket(phone)
    await refused.connect()
    await assert_closed_with(refused, realtime.CLOSE_UNAUTHENTICATED)
    await laptop_socket.disconnect()


@pytest.mark.django_db
def test_the_privacy_page_shows_where_and_what_was_accepted(patient, other_patient):
    laptop = log_in(patient, FIREFOX_WINDOWS)
    log_in(patient, SAFARI_IPHONE)
    log_in(other_patient, "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")

    page = laptop.get(reverse("privacy")).content.decode()

    assert 'id="where-you-are-signed-in"' in page
    assert "You are signed in on 2 browsers" in page
    assert "Firefox on Windows — <strong>This device</strong>" in page
    assert "Safari on iOS" in page
    assert "Linux" not in page  # another person's
    assert reverse("login_sessions_end_others") in page
    assert 'id="what-you-accepted"' in page
    assert page.count(", accepted on") == 3  # privacy policy, terms, telehealth consent


@pytest.mark.django_db
def test_staff_have_no_acceptances_to_show(staff_client):
    page = staff_client.get(reverse("privacy")).content.decode()

    assert 'id="where-you-are-signed-in"' in page
    assert 'id="what-you-accepted"' not in page


@pytest.mark.django_db
def test_a_key_rotation_rewrites_the_kept_session_keys(patient, settings):
    laptop = log_in(patient, FIREFOX_WINDOWS)
    newest = Fernet.generate_key().decode()
    settings.MESSAGE_ENCRYPTION_KEYS = [newest, *settings.MESSAGE_ENCRYPTION_KEYS]

    call_command("reencrypt", stdout=StringIO())
    settings.MESSAGE_ENCRYPTION_KEYS = [newest]  # the old key gone

    row = UserSession.objects.get(user=patient)
    assert selectors.login_session_key(row=row) == laptop.session.session_key
