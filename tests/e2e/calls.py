"""What the call tests read in a room page: the page's scripts keep no handle for tests, so a
test adds, before the page loads, a recorder of what the page asks of the browser (each peer
connection it opens, each camera and microphone request and the stream it got), and reads the
call through it with the browser's own getStats()."""

import re

from playwright.sync_api import expect

from tests.helpers import wait_until

CONNECT_TIMEOUT = 20_000

RECORD_THE_CALL = """(() => {
    const seen = { connections: [], constraints: [], streams: [] };
    Object.defineProperty(window, "callSeenByTest", { value: seen });
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
        constructor(...args) {
            super(...args);
            seen.connections.push(this);
        }
    };
    const media = navigator.mediaDevices;
    const getUserMedia = media.getUserMedia.bind(media);
    media.getUserMedia = async (constraints) => {
        seen.constraints.push(constraints);
        const stream = await getUserMedia(constraints);
        seen.streams.push(stream);
        return stream;
    };
})()"""
# Every text the call's status line and the chat's presence line showed, in order, from the
# page's first script on: window.statusSeenByTest["call-status"], ["chat-presence"].
RECORD_THE_STATUS = """(() => {
    const seen = { "call-status": [], "chat-presence": [] };
    Object.defineProperty(window, "statusSeenByTest", { value: seen });
    new MutationObserver(() => {
        for (const [id, texts] of Object.entries(seen)) {
            const text = document.getElementById(id)?.textContent;
            if (text && text !== texts.at(-1)) texts.push(text);
        }
    }).observe(document, { childList: true, subtree: true, characterData: true });
})()"""
LOST = "Connection lost, reconnecting…"


def first_told_connecting(page, line: str = "call-status") -> bool:
    """Arriving, the page said the room was being reached, and never that it was lost (with
    ``RECORD_THE_STATUS``)."""
    shown = page.evaluate("(id) => window.statusSeenByTest[id]", line)
    return bool(shown) and shown[0] == "Connecting…" and LOST not in shown


PC = "window.callSeenByTest.connections.at(-1)"
STREAM = "window.callSeenByTest.streams.at(-1)"

TOTAL = """async ([kind, media, field]) => {
    const stats = await window.callSeenByTest.connections.at(-1).getStats();
    let total = 0;
    stats.forEach((r) => {
        if (r.type === kind && r.kind === media) total += r[field] || 0;
    });
    return total;
}"""


def stat(page, kind: str, media: str, field: str) -> int:
    """The sum of ``field`` over this page's ``kind`` RTP reports of ``media``."""
    return page.evaluate(TOTAL, [kind, media, field])


def grows(page, kind, media, field) -> int:
    """The sum once it has grown past its value now."""
    before = stat(page, kind, media, field)

    def grown() -> int:
        now = stat(page, kind, media, field)
        return now if now > before else 0

    return wait_until(grown, timeout=CONNECT_TIMEOUT / 1000, interval=0.25)


def settled(page, kind, media, field) -> int:
    """The value once two reads a second apart agree (packets already sent are counted)."""
    reads: list[int] = []

    def agree() -> bool:
        reads.append(stat(page, kind, media, field))
        return len(reads) > 1 and reads[-1] == reads[-2]

    wait_until(agree, timeout=CONNECT_TIMEOUT / 1000, interval=1.0)
    return reads[-1]


def join_call(page) -> None:
    """Past the check before joining (its verdict given), into the call."""
    expect(page.locator("#precheck")).to_have_attribute("data-verdict", re.compile(r"\w"))
    page.get_by_role("button", name="Join the session").click()


# One side's link turns poor: every reading of the browser's statistics adds
# hundreds of lost packets to what arrives (the page reads loss and round-trip time from them).
POOR_LINK = """() => {
    const native = RTCPeerConnection.prototype.getStats;
    let lost = 0;
    RTCPeerConnection.prototype.getStats = async function (...args) {
        const report = await native.apply(this, args);
        const worse = new Map();
        report.forEach((r, id) => {
            if (r.type === "inbound-rtp") lost += 500;
            worse.set(id, r.type === "inbound-rtp" ? { ...r, packetsLost: lost } : r);
        });
        return worse;
    };
}"""
