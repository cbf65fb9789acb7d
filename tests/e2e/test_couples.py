"""A couples session in three browsers (issue 19, item 5): the patient invites their partner
from the session's page; the partner opens the emailed link, reads what they join and what is
shared, consents and makes a minimal account, then joins the room; the therapist lets both in
at once; each of the three is connected to the two others (a mesh of peer connections) and
sees two remote videos; a shared screen reaches both others, a reload connects again with
both, a poor link lowers the video sent to both, and audio only goes for all.
Chromium's fake camera, microphone and screen stand in for real devices."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from scheduling.models import PartnerInvitation
from sessions_video.models import Attendance, Room
from tests.e2e.browser import accept_at_signup, log_in
from tests.e2e.calls import (
    CONNECT_TIMEOUT,
    POOR_LINK,
    RECORD_THE_CALL,
    RECORD_THE_STATUS,
    first_told_connecting,
    join_call,
)
from tests.factories.sessions_video import a_room
from tests.helpers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PARTNER = "sam@example.test"

# Each remote video of the page, playing frames: its size once the first frame is decoded.
# Chromium's fake camera is 4:3, its fake screen 16:9: the shape of a tile's video says which.
TILE_SHAPE = """(role) => {
    const video = document.querySelector(`[data-tile-role="${role}"] video`);
    return video.videoHeight > 0 ? video.videoWidth / video.videoHeight : 0;
}"""
# Every video sender of the page, to each of the others, scaled down by two.
LOWERED = """() => {
    const scales = window.callSeenByTest.connections
        .filter((pc) => pc.connectionState === "connected")
        .map((pc) => pc.getSenders().find((s) => s.track?.kind === "video"))
        .map((sender) => sender?.getParameters().encodings?.[0]?.scaleResolutionDownBy);
    return scales.length === 2 && scales.every((scale) => scale >= 2);
}"""
REMOTE_VIDEOS = """() => [...document.querySelectorAll("video[data-remote]")].map(
    (video) => video.srcObject && video.videoWidth > 0 && !video.paused
)"""


def test_three_in_a_couples_session(browser, page, live_server_url, outbox, screenshot):
    patient, therapist, room = a_room(
        modality="video", starts_at=timezone.now() + timedelta(minutes=5), admitted=False
    )
    opened = []
    try:
        # The patient invites their partner from the session's page.
        log_in(page, patient.email)
        page.goto(reverse("session_detail", kwargs={"pk": room.appointment_id}))
        page.locator("#couples input[name=email]").fill(PARTNER)
        with page.expect_navigation():
            page.get_by_role("button", name="Invite my partner").click()
        expect(page.locator("#couples")).to_contain_text("Invitation sent to sam@example.test")

        # The partner opens the link, reads what they join, consents and makes an account.
        partner_page = browser.new_page(base_url=live_server_url)
        opened.append(partner_page)
        partner_page.add_init_script(RECORD_THE_CALL)
        partner_page.goto(outbox.link(PARTNER, "/invitation/"))
        expect(partner_page.locator("#invitation-what")).to_contain_text(
            "Robin invites you to join their online session with Ana Ruiz"
        )
        expect(partner_page.get_by_role("heading", name="What is shared")).to_be_visible()
        partner_page.get_by_label("Nickname").fill("Sam")
        partner_page.get_by_label("Password", exact=True).fill("a good long secret")
        partner_page.get_by_label("Password (again)").fill("a good long secret")
        accept_at_signup(partner_page)
        with partner_page.expect_navigation():
            partner_page.get_by_role("button", name="Create my account and accept").click()
        expect(partner_page.get_by_role("heading", level=1)).to_have_text(
            "Sessions you were invited to"
        )
        assert User.objects.get(email=PARTNER).role == User.Role.PARTNER
        assert PartnerInvitation.objects.get().nickname == "Sam"

        # All three join; the two guests wait until the therapist lets them in.
        page.add_init_script(RECORD_THE_CALL)
        page.add_init_script(RECORD_THE_STATUS)
        page.goto(reverse("session_room", kwargs={"token": room.token}))
        join_call(page)
        partner_page.get_by_role("link", name="Join the session").click()
        join_call(partner_page)
        expect(partner_page.locator("#call-status")).to_contain_text("You are in the waiting room")
        therapist_page = browser.new_page(base_url=live_server_url)
        opened.append(therapist_page)
        therapist_page.add_init_script(RECORD_THE_CALL)
        log_in(therapist_page, therapist.email, code=True)
        therapist_page.goto(reverse("session_room", kwargs={"token": room.token}))
        join_call(therapist_page)
        presence = therapist_page.locator("#call-presence")
        expect(presence).to_contain_text("Robin is in the waiting room.")
        expect(presence).to_contain_text("Sam is in the waiting room.")
        expect(page.locator("#call-presence")).to_contain_text("Sam is in the waiting room.")

        therapist_page.get_by_role("button", name="Let both in").click()

        parties = (page, partner_page, therapist_page)
        for party in parties:
            expect(party.locator("body")).to_have_attribute(
                "data-peers-connected", "2", timeout=CONNECT_TIMEOUT
            )
            expect(party.locator("body")).to_have_attribute("data-call-state", "connected")
            wait_until(lambda party=party: party.evaluate(REMOTE_VIDEOS) == [True, True])
            assert party.evaluate("window.callSeenByTest.connections.length") >= 2
        expect(page.locator("#call-presence")).to_contain_text("Sam is here.")
        assert first_told_connecting(page)
        expect(partner_page.locator("#call-presence")).to_contain_text("Robin is here.")
        expect(partner_page.locator("#chat")).to_have_count(0)  # the patient's, not theirs
        kept = Room.objects.get(pk=room.pk)
        assert kept.admitted_at is not None
        assert kept.partner_admitted_at is not None
        screenshot(therapist_page, "couples-room")

        # A shared screen replaces the camera on every peer connection: both others see it.
        therapist_page.get_by_role("button", name="Share your screen").click()
        for guest in (page, partner_page):
            expect(guest.locator("#call-screen")).to_have_text("Ana Ruiz is sharing their screen.")
            wait_until(lambda guest=guest: guest.evaluate(TILE_SHAPE, "therapist") > 1.7)
            assert (
                guest.evaluate(TILE_SHAPE, "patient" if guest is partner_page else "partner") < 1.5
            )
        therapist_page.get_by_role("button", name="Stop sharing your screen").click()
        for guest in (page, partner_page):
            expect(guest.locator("#call-screen")).to_be_hidden()
            wait_until(lambda guest=guest: 0 < guest.evaluate(TILE_SHAPE, "therapist") < 1.5)

        # The partner reloads: a new connection of theirs, connected again with both others.
        count = "() => window.callSeenByTest.connections.length"
        before = [party.evaluate(count) for party in (page, therapist_page)]
        partner_page.reload()
        for party, opened_before in zip((page, therapist_page), before, strict=True):
            wait_until(lambda party=party, n=opened_before: party.evaluate(count) > n)
        for party in parties:
            expect(party.locator("body")).to_have_attribute(
                "data-peers-connected", "2", timeout=CONNECT_TIMEOUT
            )
        wait_until(lambda: partner_page.evaluate(REMOTE_VIDEOS) == [True, True])

        # The partner's link turns poor: the video they send (to both) is lowered, both told.
        partner_page.evaluate(POOR_LINK)
        partner_page.wait_for_function(LOWERED, timeout=CONNECT_TIMEOUT * 2)
        for other in (page, therapist_page):
            expect(other.locator("#call-low-quality")).to_have_text(
                "The connection of Sam is poor: their video is lowered."
            )

        # Audio only, from anyone, for everyone: the call goes on with sound alone.
        partner_page.get_by_role("button", name="Continue with audio only").click()
        for party in parties:
            expect(party.locator("#call-low-quality")).to_contain_text("Audio only")
            expect(party.get_by_role("button", name="Turn video back on")).to_be_visible()
        expect(page.locator("body")).to_have_attribute("data-peers-connected", "2")
    finally:
        for party in opened:
            party.close()
        page.close()
    wait_until(lambda: not Attendance.objects.filter(left_at__isnull=True).exists())
