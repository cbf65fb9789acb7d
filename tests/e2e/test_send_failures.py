"""The user always knows (issue 15, #5): a send or a save that fails says so in place, keeps
what was typed, and a retry sends once. The server of these tests is their own daphne, which
they kill (SIGKILL, as a crash) and start again at the same address: a message sent while it is
down, a booking made while it is down; an answer lost after the server saved the message (a
proxy's 502), so that only the client id keeps the retry from sending it twice; a save of the
therapist's settings answered 500."""

import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import time

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from matching import services as matching_services
from messaging import services as messaging_services
from messaging.models import Conversation, Message
from scheduling.models import Appointment, AvailabilitySettings
from tests.e2e.browser import log_in, watch
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.matching import IntakeFactory, MatchFactory
from tests.factories.scheduling import AvailabilityWindowFactory, weekly
from tests.helpers import Output

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

UNREACHABLE = "your connection or our server may be down. What you wrote is still here."
SERVER_ERROR = "Something went wrong on our side, so this may not have been saved."
ONCE = "Trying again will not send it twice."
# What the console shows while the server is down or answers an error, and nothing else:
# the failed loads, htmx's report of them, the sockets' reconnection attempts.
EXPECTED_PROBLEMS = re.compile(
    r"^Failed to load resource|^WebSocket connection to .* failed|"
    r"^Response Status Error Code 5\d\d from |"
    r"^htmx:(responseError|sendError|afterRequest|timeout), \[object HTML\w+Element\]$"
)


class OwnServer:
    """The app in a daphne process of this test's own, on the test database, at a fixed
    address: it can be killed and started again there."""

    def __init__(self, outbox_dir, private_media_dir):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | {
            "E2E_DATABASE_NAME": str(connection.settings_dict["NAME"]),
            "E2E_OUTBOX": str(outbox_dir),
            "E2E_PORT": str(self.port),
            "PRIVATE_MEDIA_ROOT": str(private_media_dir),
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.serve"],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        Output(self.process.stdout).wait_for(rf"Listening on TCP address 127\.0\.0\.1:{self.port}")

    def kill(self) -> None:
        """As a crash: no chance to answer or to close anything."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture
def server(outbox_dir, private_media_dir) -> Iterator[OwnServer]:
    own = OwnServer(outbox_dir, private_media_dir)
    own.start()
    yield own
    own.stop()


@pytest.fixture
def on_server(browser, server):
    """A page of a new browser context on the test's own server; at the end, its console may
    hold nothing but what a server that is down or failing makes it show."""
    context = browser.new_context(
        base_url=server.url,
        locale="en-GB",
        timezone_id="Europe/Paris",
        viewport={"width": 1280, "height": 860},
    )
    page = context.new_page()
    problems = watch(page)
    yield page
    context.close()
    unexpected = [problem for problem in problems if not EXPECTED_PROBLEMS.search(problem)]
    assert unexpected == [], "the browser reported errors"


def matched_pair():
    therapist = TherapistFactory(
        therapist_profile__display_name="Rui Costa",
        therapist_profile__licensed_countries=["FR"],
        therapist_profile__modalities=["video"],
    )
    patient = PatientFactory(patient_profile__nickname="Joana")
    intake = IntakeFactory.create(patient=patient, concerns=["grief"], languages=["fr"])
    request = matching_services.match_request_open(patient=patient, intake=intake)
    matching_services.offer_accept(offer_id=request.offers.get().pk, therapist=therapist)
    return patient, Conversation.objects.get(patient=patient)


def test_a_message_sent_while_the_server_is_down_says_so_and_is_sent_once_after(on_server, server):
    patient, conversation = matched_pair()
    page = on_server
    log_in(page, patient.email)
    page.goto(f"/messages/{conversation.pk}/")
    # Enter sends once the page's module runs (before, it is a new line, as without scripts).
    expect(page.locator("body")).to_have_attribute("data-conversation-socket", "open")
    box = page.get_by_label("Your message")
    box.fill("I could not sleep again.")

    server.kill()
    box.press("Enter")

    failure = page.get_by_role("alert").filter(has_text=UNREACHABLE)
    expect(failure).to_be_visible()
    expect(failure).to_contain_text(ONCE)
    expect(box).to_have_value("I could not sleep again.")
    assert Message.objects.filter(conversation=conversation).count() == 0
    # Meanwhile their therapist answered (through another server): no live event reaches this
    # page, whose socket is down; it fetches the list again when its socket opens again.
    messaging_services.message_send(
        conversation=conversation,
        sender=conversation.therapist.user,
        body="I am here tomorrow morning.",
        client_id=uuid.uuid4(),
    )

    server.start()
    failure.get_by_role("button", name="Try again").click()

    messages = page.locator("#message-list")
    expect(messages.get_by_text("I could not sleep again.")).to_be_visible()
    expect(messages.get_by_text("I am here tomorrow morning.")).to_be_visible()
    expect(page.get_by_label("Your message")).to_have_value("")
    # Whichever came first, the list fetched again or the message sent: both stay, once.
    expect(page.locator("body")).to_have_attribute("data-conversation-socket", "open")
    expect(messages.locator(".message")).to_have_count(2)
    assert Message.objects.filter(conversation=conversation).count() == 2


def test_a_lost_answer_then_a_retry_is_still_one_message(on_server, server):
    patient, conversation = matched_pair()
    page = on_server
    log_in(page, patient.email)
    page.goto(f"/messages/{conversation.pk}/")
    send_url = re.compile(rf".*/messages/{conversation.pk}/send/$")

    def saved_but_answer_lost(route):
        route.fetch()  # the server saves the message...
        route.fulfill(status=502, body="Bad gateway")  # ...and its answer never arrives

    page.route(send_url, saved_but_answer_lost)
    page.get_by_label("Your message").fill("Are we still on for Tuesday?")
    page.get_by_role("button", name="Send").click()

    failure = page.get_by_role("alert").filter(has_text=SERVER_ERROR)
    expect(failure).to_be_visible()
    expect(failure).to_contain_text(ONCE)
    expect(page.get_by_label("Your message")).to_have_value("Are we still on for Tuesday?")
    assert Message.objects.filter(conversation=conversation).count() == 1

    page.unroute(send_url)
    failure.get_by_role("button", name="Try again").click()

    expect(page.locator("#message-list").get_by_text("Are we still on for Tuesday?")).to_have_count(
        1
    )
    expect(page.get_by_label("Your message")).to_have_value("")
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_a_booking_made_while_the_server_is_down_says_so_and_books_once_after(on_server, server):
    therapist = TherapistFactory(
        time_zone="Europe/Paris",
        therapist_profile__display_name="Ana Ruiz",
        therapist_profile__modalities=["video"],
    )
    AvailabilityWindowFactory(
        therapist=therapist.therapist_profile,
        rule=weekly(0, 1, 2, 3, 4, 5, 6),
        start_time=time(8),
        end_time=time(20),
    )
    patient = PatientFactory(time_zone="Europe/Paris")
    MatchFactory(patient=patient, therapist=therapist.therapist_profile)
    page = on_server
    log_in(page, patient.email)
    page.goto("/sessions/book/")
    slot = page.locator("fieldset.slot-day input[name='starts_at']").first
    page.locator("fieldset.slot-day label").first.click()
    expect(slot).to_be_checked()

    server.kill()
    page.get_by_role("button", name="Book this session").click()

    failure = page.get_by_role("alert").filter(has_text=UNREACHABLE)
    expect(failure).to_be_visible()
    expect(failure).not_to_contain_text(ONCE)
    expect(slot).to_be_checked()
    expect(page.get_by_label("Video")).to_be_checked()
    assert Appointment.objects.count() == 0

    server.start()
    failure.get_by_role("button", name="Try again").click()

    expect(page.get_by_text("Your session is booked.")).to_be_visible()
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_a_save_answered_with_a_server_error_keeps_the_choice_and_saves_on_retry(on_server):
    therapist = TherapistFactory(time_zone="Europe/Paris")
    page = on_server
    log_in(page, therapist.email, code=True)
    page.goto("/practice/availability/")
    settings_url = re.compile(r".*/practice/availability/settings/$")
    page.route(settings_url, lambda route: route.fulfill(status=500, body="Server error"))

    page.get_by_label("Session length").select_option("45")
    page.get_by_role("button", name="Save session settings").click()

    failure = page.get_by_role("alert").filter(has_text=SERVER_ERROR)
    expect(failure).to_be_visible()
    expect(failure).not_to_contain_text(ONCE)
    expect(page.get_by_label("Session length")).to_have_value("45")

    page.unroute(settings_url)
    failure.get_by_role("button", name="Try again").click()

    expect(page.get_by_text("Session settings saved.")).to_be_visible()
    expect(failure).to_be_hidden()
    assert (
        AvailabilitySettings.objects.get(therapist=therapist.therapist_profile).session_minutes
        == 45
    )
