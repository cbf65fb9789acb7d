"""Rate limits of the actions people repeat (messages, uploads, booking, the intake), per person
and per address, in the cache, set in ``RATE_LIMITS``: the one past the limit is answered 429
(a page, or a part for htmx) with nothing done, the count starts again with the next window of
the clock, and another person is not affected."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import ratelimits
from messaging.models import Message
from teletherapy import settings as DEFAULTS
from tests.factories import PDF, PatientFactory
from tests.factories.messaging import ConversationFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def limits(settings):
    settings.RATE_LIMITS = {
        "message": "3/m/user,5/m/ip",
        "upload": "2/m/user,10/m/ip",
        "booking": "2/m/user,10/m/ip",
        "intake": "4/m/user,6/m/ip",
    }
    return settings.RATE_LIMITS


@pytest.fixture
def clock():
    # At the start of a minute: the test's windows are whole minutes.
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


@pytest.fixture
def conversation(patient, therapist):
    return ConversationFactory(match__patient=patient, match__therapist=therapist.therapist_profile)


def send(client, conversation, body="Hello", address="127.0.0.1", **extra):
    data = {"body": body, "client_id": str(uuid.uuid4())} | extra
    url = reverse("message_send", kwargs={"pk": conversation.pk})
    return client.post(url, data, headers=HTMX, REMOTE_ADDR=address)


# --- The rule ----------------------------------------------------------------------------------


def request_from(address: str, user=None):
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    request.user = user
    return request


def test_the_one_past_the_limit_is_refused_until_the_next_window(limits, clock, patient):
    request = request_from("198.51.100.7", patient)

    assert [ratelimits.consume(request, "message") for _ in range(3)] == [None] * 3
    assert ratelimits.consume(request, "message") == 60
    clock.shift(timedelta(seconds=45))
    assert ratelimits.consume(request, "message") == 15  # said how long is left
    clock.shift(timedelta(seconds=15))
    assert ratelimits.consume(request, "message") is None  # a new window


@pytest.fixture(params=["configured", "local memory"])
def any_cache(request, settings):
    """The cache the settings name (Redis when REDIS_URL is set: counted in one round trip),
    and the embedded default's local memory (counted through the cache's API)."""
    if request.param == "local memory":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return request.param


def test_both_ways_of_counting_agree(any_cache, limits, clock, patient, other_patient):
    request = request_from("198.51.100.8", patient)
    other = request_from("198.51.100.8", other_patient)  # the same address

    assert [ratelimits.consume(request, "message") for _ in range(3)] == [None] * 3
    assert ratelimits.consume(request, "message") == 60  # the person's limit (3)
    assert ratelimits.consume(other, "message") is None  # the address's 5th
    assert ratelimits.consume(other, "message") == 60  # the address's limit (5)
    clock.shift(timedelta(minutes=1))
    assert ratelimits.consume(request, "message") is None


def test_another_person_is_not_affected(limits, clock, patient, other_patient):
    for _ in range(4):
        ratelimits.consume(request_from("198.51.100.7", patient), "message")

    assert ratelimits.consume(request_from("203.0.113.9", other_patient), "message") is None


def test_one_address_is_limited_whoever_sends(limits, clock):
    people = [PatientFactory() for _ in range(6)]
    answers = [ratelimits.consume(request_from("198.51.100.7", user), "message") for user in people]

    assert answers[:5] == [None] * 5
    assert answers[5] is not None


def test_a_visitor_counts_by_address_only(limits, clock):
    answers = [
        ratelimits.consume(request_from("198.51.100.7", AnonymousUser()), "intake")
        for _ in range(7)
    ]

    assert answers[:6] == [None] * 6
    assert answers[6] is not None


def test_an_ipv6_device_counts_with_its_network():
    one = request_from("2001:db8:1:2:aaaa::1")
    same_network = request_from("2001:db8:1:2:bbbb::9")
    other_network = request_from("2001:db8:1:3::1")

    assert ratelimits.client_network(one) == ratelimits.client_network(same_network)
    assert ratelimits.client_network(one) != ratelimits.client_network(other_network)
    assert ratelimits.client_network(request_from("::ffff:198.51.100.7")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("text", "rates"),
    [
        ("20/m/user,100/m/ip", [(20, 60, "user"), (100, 60, "ip")]),
        (" 5 / 10m / user ", [(5, 600, "user")]),
        ("1/d/ip,", [(1, 86400, "ip")]),
        ("", []),
    ],
)
def test_rates_are_read_from_the_setting(text, rates):
    assert [(r.limit, r.period, r.scope) for r in ratelimits.parse_rates(text)] == rates


@pytest.mark.parametrize(
    "text", ["20/m", "20/minute/user", "x/m/user", "20/m/everyone", "20/m/user/x"]
)
def test_a_mistyped_rate_stops_the_start(text):
    with pytest.raises(ImproperlyConfigured):
        ratelimits.parse_rates(text)


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_setting_is_read_or_refused_clearly(text):
    try:
        rates = ratelimits.parse_rates(text)
    except ImproperlyConfigured:
        return
    assert all(rate.limit >= 0 and rate.period > 0 for rate in rates)


def test_an_unknown_action_fails_at_import():
    with pytest.raises(ImproperlyConfigured):
        ratelimits.rate_limited("teleportation")


# --- Where they apply --------------------------------------------------------------------------


def test_sending_messages_past_the_limit_is_a_429_and_sends_nothing(
    limits, clock, patient, conversation
):
    client = client_for(patient)
    for _ in range(3):
        assert send(client, conversation).status_code == 200

    refused = send(client, conversation, body="One too many")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert 'id="rate-limited"' in refused.content.decode()
    assert "<html" not in refused.content.decode()  # a part, for htmx
    assert Message.objects.filter(conversation=conversation).count() == 3
    clock.shift(timedelta(minutes=1))
    assert send(client, conversation).status_code == 200


def test_the_therapist_is_not_slowed_by_the_patients_messages(
    limits, clock, patient, therapist, conversation
):
    client = client_for(patient)
    for _ in range(4):
        send(client, conversation)

    assert send(client_for(therapist), conversation, address="203.0.113.9").status_code == 200


def test_the_page_without_javascript_says_how_long_to_wait_in_french(
    limits, clock, patient, conversation
):
    patient.language = "fr"
    patient.save()
    client = client_for(patient)
    url = reverse("message_send", kwargs={"pk": conversation.pk})
    for _ in range(3):
        client.post(url, {"body": "Bonjour", "client_id": str(uuid.uuid4())})
    clock.shift(timedelta(seconds=30))

    refused = client.post(url, {"body": "Bonjour", "client_id": str(uuid.uuid4())})

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "<html" in page
    assert "Un peu trop vite" in page
    assert "30\u00a0secondes" in page


def test_uploads_count_only_with_a_file(limits, clock, patient, conversation, settings):
    settings.RATE_LIMITS = limits | {"message": "100/m/user"}
    client = client_for(patient)
    for _ in range(3):
        assert send(client, conversation).status_code == 200  # no file: no upload counted
    for number in range(2):
        upload = SimpleUploadedFile(f"letter{number}.pdf", PDF, content_type="application/pdf")
        assert send(client, conversation, attachment=upload).status_code == 200

    upload = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")
    refused = send(client, conversation, attachment=upload)

    assert refused.status_code == 429
    assert "files" in refused.content.decode()
    assert send(client, conversation).status_code == 200


def test_booking_past_the_limit_is_a_429(limits, clock, patient):
    client = client_for(patient)
    for _ in range(2):
        assert client.post(reverse("book_session"), {}).status_code != 429

    refused = client.post(reverse("book_session"), {})

    assert refused.status_code == 429
    assert "bookings" in refused.content.decode()
    assert client.get(reverse("book_session")).status_code != 429  # looking is never limited


def test_the_intake_of_a_visitor_is_limited_by_address(limits, clock, client):
    url = reverse("intake_step", kwargs={"step": "concerns"})
    for _ in range(6):
        assert client.post(url, {}).status_code != 429

    refused = client.post(url, {})

    assert refused.status_code == 429
    assert "answers to the questionnaire" in refused.content.decode()
    assert client.get(url).status_code == 200


def test_the_defaults_are_set():
    for action in ("message", "upload", "booking", "intake"):
        assert ratelimits.parse_rates(DEFAULTS.RATE_LIMITS[action])
