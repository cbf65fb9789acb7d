"""What every request goes through: the client's real address behind a proxy, NUL refused,
no-store and a permissions policy on every answer, bodies capped before they are read, and an
access log that keeps no secret."""

import logging
import time

import pytest
import time_machine
from asgiref.testing import ApplicationCommunicator
from django.http import HttpResponse
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from core.asgi import BodySizeLimit
from core.middleware import (
    AccessLogMiddleware,
    ClientAddressMiddleware,
    PrivacyHeadersMiddleware,
    RejectNulMiddleware,
    _networks,
    client_address,
    redact_path,
)

PROXY = ["10.0.0.0/8"]


# --- The client's address ---------------------------------------------------------------------


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address("203.0.113.9", "198.51.100.1", _networks([])) == "203.0.113.9"


def test_from_an_untrusted_peer_the_header_is_ignored():
    assert client_address("203.0.113.9", "198.51.100.1", _networks(PROXY)) == "203.0.113.9"


def test_behind_the_proxy_the_address_it_saw_is_the_client():
    assert client_address("10.0.0.2", "198.51.100.7", _networks(PROXY)) == "198.51.100.7"


def test_a_spoofed_first_entry_is_not_believed():
    # The client sent "X-Forwarded-For: 1.2.3.4"; an appending proxy added what it saw.
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.7", _networks(PROXY)) == "198.51.100.7"


def test_chained_trusted_proxies_are_skipped():
    forwarded = "1.2.3.4, 198.51.100.7, 10.1.1.1"
    assert client_address("10.0.0.2", forwarded, _networks(PROXY)) == "198.51.100.7"


def test_garbage_stops_the_walk():
    assert client_address("10.0.0.2", "198.51.100.7, not-an-ip", _networks(PROXY)) == "10.0.0.2"


@given(st.text(max_size=200), st.text(max_size=60))
def test_any_header_gives_an_address_or_the_peer(forwarded, peer):
    # Whatever a client sends, no exception, and never an address it made up from the left.
    result = client_address(peer, forwarded, _networks(PROXY))
    assert isinstance(result, str)


def test_the_middleware_rewrites_remote_addr(settings):
    settings.TRUSTED_PROXIES = PROXY
    seen = {}

    def view(request):
        seen["addr"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"
    )
    ClientAddressMiddleware(view)(request)
    assert seen["addr"] == "198.51.100.7"


@pytest.mark.django_db
def test_spoofed_addresses_do_not_escape_the_login_limit(client, settings, patient):
    """25 failed logins, each claiming a new address, from behind the proxy: still limited."""
    settings.TRUSTED_PROXIES = PROXY
    statuses = []
    for number in range(25):
        response = client.post(
            "/accounts/login/",
            {"login": f"nobody{number}@example.test", "password": "wrong-password"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{number}, 198.51.100.7",
        )
        statuses.append(response.status_code)
    assert 429 in statuses
    assert statuses.count(429) >= 15


# --- NUL ---------------------------------------------------------------------------------------


def _ok(request):
    return HttpResponse("ok")


@pytest.mark.parametrize(
    "request_",
    [
        RequestFactory().get("/room/\x00/"),
        RequestFactory().get("/messages/", {"before": "1\x00"}),
        RequestFactory().post("/x/", {"body": "hello\x00"}),
    ],
)
def test_nul_anywhere_is_a_400(request_):
    assert RejectNulMiddleware(_ok)(request_).status_code == 400


@pytest.mark.django_db
def test_a_nul_in_a_room_url_is_a_400_not_a_500(patient_client):
    assert patient_client.get("/room/%00/").status_code == 400


@given(st.text(max_size=50))
def test_other_text_passes(text):
    if "\x00" not in text:
        request = RequestFactory().post("/x/", {"body": text})
        assert RejectNulMiddleware(_ok)(request).status_code == 200


# --- Headers -----------------------------------------------------------------------------------


def test_every_answer_is_no_store_unless_the_view_says(rf):
    plain = PrivacyHeadersMiddleware(_ok)(rf.get("/"))

    def cached(request):
        response = HttpResponse()
        response["Cache-Control"] = "private, max-age=300"
        return response

    assert plain["Cache-Control"] == "no-store"
    assert "camera=()" in plain["Permissions-Policy"]
    assert PrivacyHeadersMiddleware(cached)(rf.get("/"))["Cache-Control"] == "private, max-age=300"


@pytest.mark.django_db
def test_only_a_session_room_may_use_the_camera(patient_client, client):
    from tests.factories.sessions_video import DURING, a_room

    patient, _therapist, room = a_room()
    with time_machine.travel(DURING, tick=False):
        client.force_login(patient)
        room_page = client.get(f"/room/{room.token}/")
        home = client.get("/home/")

    assert room_page.status_code == 200
    assert "camera=(self)" in room_page["Permissions-Policy"]
    assert "microphone=(self)" in room_page["Permissions-Policy"]
    assert "camera=()" in home["Permissions-Policy"]
    assert home["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_every_page_with_personal_data_is_no_store(
    patient_client, therapist_client, staff_client, monkeypatch
):
    """Every named route a logged-in person can open answers no-store (or private, for a
    therapist's public photo), whoever asks."""
    from teletherapy import health

    # /healthz/ as on a platform just started: its worker and beat have not beaten yet, which
    # is no failure (after a whole test run without them it would rightly answer 503).
    monkeypatch.setattr(health, "_STARTED", time.monotonic())
    monkeypatch.setattr(health, "_cached", None)
    checked = 0
    for client in (patient_client, therapist_client, staff_client):
        for url in _simple_urls():
            response = client.get(url)
            if response.status_code >= 500:
                raise AssertionError(f"{url}: {response.status_code}")
            if response.status_code < 300 and not url.startswith("/static/"):
                cache = response.get("Cache-Control", "")
                assert "no-store" in cache or cache.startswith("private"), (url, cache)
                checked += 1
    assert checked > 20


# --- The body cap ------------------------------------------------------------------------------


class Recorder:
    """An ASGI app that reads the whole body, as Django's handler does."""

    def __init__(self):
        self.read = 0
        self.called = False

    async def __call__(self, scope, receive, send):
        self.called = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            self.read += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _request(app, headers, chunks):
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    communicator = ApplicationCommunicator(app, scope)
    for number, chunk in enumerate(chunks):
        await communicator.send_input(
            {"type": "http.request", "body": chunk, "more_body": number < len(chunks) - 1}
        )
    start = await communicator.receive_output(timeout=2)
    await communicator.receive_output(timeout=2)
    await communicator.wait(timeout=2)
    return start["status"]


@pytest.mark.asyncio
async def test_a_declared_oversized_body_is_refused_unread():
    inner = Recorder()
    status = await _request(
        BodySizeLimit(inner, 1000), [(b"content-length", b"60000000")], [b"x" * 100]
    )
    assert status == 413
    assert not inner.called


@pytest.mark.asyncio
async def test_an_undeclared_body_is_cut_once_past_the_cap():
    inner = Recorder()
    status = await _request(BodySizeLimit(inner, 1000), [], [b"x" * 600, b"x" * 600, b"x" * 600])
    assert status == 413
    assert inner.read <= 600


@pytest.mark.asyncio
async def test_the_platform_refuses_a_huge_anonymous_post_before_reading_it(settings):
    from teletherapy.asgi import application

    status = await _request(
        application,
        [(b"content-length", str(60 * 1024 * 1024).encode()), (b"host", b"localhost")],
        [b"x" * 1000],
    )
    assert status == 413


@pytest.mark.asyncio
async def test_a_body_within_the_cap_goes_through():
    inner = Recorder()
    status = await _request(BodySizeLimit(inner, 1000), [(b"content-length", b"900")], [b"x" * 900])
    assert status == 200
    assert inner.read == 900


# --- The access log ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (
            "/accounts/confirm-email/MTM:1t2Kx3:AbCdEf1234567890abcdef/",
            "/accounts/confirm-email/…/",
        ),
        (
            "/accounts/password/reset/key/1p-c9l2dl-0f3a8e7c1b2d4e5f6a7b/",
            "/accounts/password/reset/key/…/",
        ),
        ("/calendar/Zx8_kq2LmN0pQrStUvWxYz123.ics", "/calendar/….ics"),
        ("/ws/room/abcDEFghiJKLmnoPQRstu/", "/ws/room/…/"),
        ("/admin/scheduling/availabilitysettings/", "/admin/scheduling/availabilitysettings/"),
        ("/messages/12/?before=3", "/messages/12/"),
    ],
)
def test_secrets_never_reach_the_access_log(path, logged):
    assert redact_path(path) == logged


def test_the_access_log_is_one_line_without_query(rf, caplog):
    with caplog.at_level(logging.INFO, logger="core.access"):
        AccessLogMiddleware(_ok)(rf.get("/calendar/Zx8_kq2LmN0pQrStUvWxYz123.ics?x=secret"))
    [record] = caplog.records
    assert record.getMessage().startswith("GET /calendar/….ics 200 ")
    assert "Zx8" not in record.getMessage()
    assert "secret" not in record.getMessage()


def _simple_urls() -> list[str]:
    """Every route of the project that takes no argument."""
    from django.urls import URLPattern, URLResolver, get_resolver

    urls = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and "<" not in route and "(" not in route:
                urls.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns)
    return [u for u in urls if "logout" not in u and "admin/" not in u]
