"""Idle log-out in the browser, on a server of its own where patients are logged out after 15
seconds without activity and warned 10 seconds before: the warning takes the focus and Stay
logged in keeps the session; left alone, the server logs the session out, which closes the
page's socket (the page is still there when it closes) and the page then shows the login page.
And the login's "This is a shared device": a session that ends with the browser."""

import re
import time

import pytest
from playwright.sync_api import expect

from accounts.models import UserSession
from tests.e2e.browser import log_in
from tests.factories import PASSWORD, PatientFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The server's 15 seconds, the 10 of the warning, and room for a busy machine.
WAIT_MS = 30_000


def test_idle_log_out_warns_then_closes_the_socket_and_shows_the_login_page(
    page, browser, short_idle_server_url, screenshot
):
    patient = PatientFactory(patient_profile__nickname="Noa")
    idle = browser.new_page(
        base_url=short_idle_server_url, locale="en-GB", timezone_id="Europe/Paris"
    )
    sockets = []
    closed_on = []
    idle.on("websocket", lambda socket: sockets.append(socket))

    log_in(idle, patient.email)
    expect(idle.get_by_role("heading", name="Welcome, Noa")).to_be_visible()
    expect(idle.locator("body")).to_have_attribute("data-events-state", "open")
    events = sockets[0]
    events.on("close", lambda _socket: closed_on.append(idle.url))

    # Five seconds in, the warning: focused on staying; Enter stays.
    warning = idle.get_by_role("alertdialog", name="Are you still there?")
    expect(warning).to_be_visible(timeout=WAIT_MS)
    expect(idle.get_by_role("button", name="Stay logged in")).to_be_focused()
    expect(warning).to_contain_text("Time left: 0:")
    screenshot(idle, "idle-warning")
    idle.keyboard.press("Enter")
    expect(warning).to_be_hidden()
    assert not events.is_closed()

    # Left alone this time: the server ends the session, its socket closes while the page is
    # still there, and the page then shows the login page, saying why.
    expect(warning).to_be_visible(timeout=WAIT_MS)
    events.wait_for_event("close", timeout=WAIT_MS)
    assert closed_on == [f"{short_idle_server_url}/home/"]
    expect(idle).to_have_url(re.compile(r"/accounts/login/\?next=/home/$"), timeout=WAIT_MS)
    expect(
        idle.get_by_text("you were logged out after 0.25 minutes without activity")
    ).to_be_visible()
    assert not UserSession.objects.filter(user=patient).exists()
    idle.close()


def session_cookie(page) -> dict:
    [cookie] = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    return cookie


def test_a_shared_device_session_ends_with_the_browser(page):
    patient = PatientFactory()

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("This is a shared device").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()

    assert session_cookie(page)["expires"] == -1  # gone when the browser closes
    assert not [c for c in page.context.cookies() if c["name"].startswith("device_")]
    page.goto("/privacy/sessions/")
    expect(page.get_by_text("Shared device")).to_be_visible()

    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    log_in(page, patient.email)  # this time not shared

    assert session_cookie(page)["expires"] > time.time() + 24 * 3600
    assert [c for c in page.context.cookies() if c["name"].startswith("device_")]
