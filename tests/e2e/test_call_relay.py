"""A call through the TURN relay only: with ``ICE_TRANSPORT_POLICY=relay`` the room's peer
connections gather relay candidates and nothing else, so patient and therapist reach each other
only through the coturn the test starts on loopback, with the credentials the app signed for
each of them (coturn's shared-secret scheme, as in production).

What proves the path, on both sides: the selected candidate pair is relay to relay, no other
candidate was ever gathered or received, the two relay ports are allocations coturn made for
those two parties' credentials, and video and audio arrive."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from sessions_video.ice import turn_user_id
from sessions_video.models import Attendance
from tests.e2e.browser import log_in, watch
from tests.e2e.calls import CONNECT_TIMEOUT, RECORD_THE_CALL, grows, join_call
from tests.factories.sessions_video import a_room
from tests.helpers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A cut relay: ICE notices within seconds, the restart waits for the next check (every 8 s).
RECONNECT_TIMEOUT = 60_000

# The standard statistics of the page's peer connection: the transport's selected pair and
# every candidate it gathered (local) or was sent (remote).
SELECTED_PAIR = """async () => {
    const pc = window.callSeenByTest.connections.at(-1);
    const stats = await pc.getStats();
    const candidates = { local: [], remote: [] };
    let pair = null;
    stats.forEach((r) => {
        if (r.type === "transport" && r.selectedCandidatePairId) {
            pair = stats.get(r.selectedCandidatePairId);
        }
        if (r.type === "local-candidate") candidates.local.push(r.candidateType);
        if (r.type === "remote-candidate") candidates.remote.push(r.candidateType);
    });
    const describe = (c) => c && {
        type: c.candidateType, address: c.address, port: c.port, protocol: c.relayProtocol,
    };
    return {
        policy: pc.getConfiguration().iceTransportPolicy,
        username: pc.getConfiguration().iceServers.map((s) => s.username),
        state: pair ? pair.state : null,
        local: describe(pair && stats.get(pair.localCandidateId)),
        remote: describe(pair && stats.get(pair.remoteCandidateId)),
        candidates,
    };
}"""


def selected_pair(party) -> dict:
    """The page's selected candidate pair, once it has one that succeeded."""
    return wait_until(
        lambda: (found := party.evaluate(SELECTED_PAIR))["state"] == "succeeded" and found,
        timeout=CONNECT_TIMEOUT / 1000,
        interval=0.25,
    )


@pytest.fixture
def opened_pages():
    """Pages the test opens (each in a browser context of its own), closed afterwards; then
    the server has recorded both sockets leaving before the database is flushed."""
    pages: list = []
    yield pages
    for party in pages:
        party.close()
    wait_until(lambda: not Attendance.objects.filter(left_at__isnull=True).exists())


def relay_only_call(browser, server_url, opened_pages, problems):
    """Patient and therapist in a video session's room of the relay-only server, each in a
    browser context of their own, past the check (which finds the relay): (patient, therapist,
    room), once both calls are connected."""
    patient, therapist, room = a_room(
        modality="video", starts_at=timezone.now() + timedelta(minutes=5)
    )
    address = reverse("session_room", kwargs={"token": room.token})
    for user, code in ((patient, False), (therapist, True)):
        party = browser.new_page(base_url=server_url, locale="en-GB")
        opened_pages.append(party)
        watch(party, problems)
        log_in(party, user.email, code=code)
        party.add_init_script(RECORD_THE_CALL)
        party.goto(address)
        # The check before joining finds the relay, and says the call goes through it.
        expect(party.locator('#precheck [data-check="connection"]')).to_have_attribute(
            "data-state", "relay-policy", timeout=CONNECT_TIMEOUT
        )
        expect(party.locator("#precheck-verdict")).to_have_text("Ready: you can join.")
        join_call(party)
    for party in opened_pages:
        expect(party.locator("body")).to_have_attribute(
            "data-call-state", "connected", timeout=CONNECT_TIMEOUT
        )
        expect(party.get_by_role("status").filter(has_text="Connected with")).to_be_visible()
    return patient, therapist, room


def test_a_relay_only_call_connects_through_coturn(
    browser, relay_only_server_url, turn_server, opened_pages
):
    problems: list[str] = []
    patient, therapist, _room = relay_only_call(
        browser, relay_only_server_url, opened_pages, problems
    )
    patient_page, therapist_page = opened_pages
    paths = {party: selected_pair(party) for party in opened_pages}

    turn_ids = {patient_page: turn_user_id(patient), therapist_page: turn_user_id(therapist)}
    for party, path in paths.items():
        assert path["policy"] == "relay"
        # The credentials the app signed for this party: <expiry>:<its TURN id>.
        [username] = path["username"]
        assert re.fullmatch(rf"[0-9]+:{turn_ids[party]}", username)
        assert path["local"]["type"] == "relay"
        assert path["local"]["protocol"] == "udp"
        assert path["remote"]["type"] == "relay"
        assert path["local"]["address"] == path["remote"]["address"] == "127.0.0.1"
        # No host or reflexive candidate was gathered, nor sent by the other side.
        assert set(path["candidates"]["local"]) == {"relay"}
        assert set(path["candidates"]["remote"]) == {"relay"}
    # Each side's relay address is the one the other side sends to.
    assert paths[patient_page]["local"]["port"] == paths[therapist_page]["remote"]["port"]
    assert paths[therapist_page]["local"]["port"] == paths[patient_page]["remote"]["port"]

    # Media arrive, on both sides, through it.
    for party in opened_pages:
        party.wait_for_function(
            "() => document.getElementById('call-remote').videoWidth > 0",
            timeout=CONNECT_TIMEOUT,
        )
        grows(party, "inbound-rtp", "video", "bytesReceived")
        grows(party, "inbound-rtp", "audio", "bytesReceived")

    # coturn's side: it allocated those two relay ports, for those two parties' credentials
    # (checked against the shared secret), and let each send to the other.
    log = turn_server.log()
    relayed = {int(port) for port in re.findall(r"Local relay addr: 127\.0\.0\.1:(\d+)", log)}
    assert {path["local"]["port"] for path in paths.values()} <= relayed
    for turn_id in turn_ids.values():
        user = rf"user <[0-9]+:{turn_id}>"
        assert re.search(rf"{user}: incoming packet ALLOCATE processed, success", log)
        assert re.search(rf"{user}: incoming packet CREATE_PERMISSION processed, success", log)
    assert problems == []


def test_a_call_cut_at_the_relay_comes_back_on_the_same_connection(
    browser, relay_only_server_url, turn_server, opened_pages
):
    """The network changes under a call (here its relay goes away, its allocations with it,
    then comes back): both sides say the connection is lost, then ICE restarts on the same
    peer connection (no new call, no reload) and media flow again."""
    problems: list[str] = []
    relay_only_call(browser, relay_only_server_url, opened_pages, problems)
    calls = [
        party.evaluate("() => window.callSeenByTest.connections.length") for party in opened_pages
    ]

    turn_server.stop()
    try:
        for party in opened_pages:
            expect(party.locator("#call-status")).to_have_text(
                "Connection lost, reconnecting…", timeout=RECONNECT_TIMEOUT
            )
    finally:
        turn_server.start()

    for party in opened_pages:
        expect(party.locator("body")).to_have_attribute(
            "data-call-state", "connected", timeout=RECONNECT_TIMEOUT
        )
        expect(party.get_by_role("status").filter(has_text="Connected with")).to_be_visible()
        grows(party, "inbound-rtp", "video", "bytesReceived")
    assert [
        party.evaluate("() => window.callSeenByTest.connections.length") for party in opened_pages
    ] == calls
    assert problems == []
