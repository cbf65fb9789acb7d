"""A session room whose two parties reached two different daphne processes (as behind a load
balancer): join, letting the patient in, signalling and chat still go from one to the other,
through Redis."""

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from websockets.asyncio.client import connect

from sessions_video.models import Attendance
from tests.factories.sessions_video import a_room
from tests.helpers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
ANSWER = {"type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n"}


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def exchange(servers: list[str], cookies: list[str], token: str) -> list[dict]:
    """The patient on the first server, the therapist on the second: what each one heard."""
    sockets = []
    for server, cookie in zip(servers, cookies, strict=True):
        sockets.append(
            await connect(
                server.replace("http", "ws", 1) + f"/ws/room/{token}/",
                additional_headers={"Cookie": cookie, "Origin": server},
                proxy=None,
                open_timeout=10,
            )
        )
    patient, therapist = sockets

    async def heard(ws) -> dict:
        return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))

    try:
        # Each is told first that the patient waits, then that the other is here.
        got = [await heard(patient), await heard(therapist)]
        got += [await heard(patient), await heard(therapist)]
        # The therapist lets the patient in, on the other process.
        await therapist.send(json.dumps({"type": "admit"}))
        got += [await heard(patient), await heard(therapist)]
        await patient.send(json.dumps(OFFER))
        got.append(await heard(therapist))
        await therapist.send(json.dumps(ANSWER))
        got.append(await heard(patient))
        line = {"type": "chat", "id": str(uuid.uuid4()), "text": "Can you hear me?"}
        await patient.send(json.dumps(line))
        got += [await heard(patient), await heard(therapist)]
        return got
    finally:
        for ws in sockets:
            await ws.close()


def test_a_room_spans_two_daphne_processes(live_server_url, second_server_url):
    assert live_server_url != second_server_url
    patient, therapist, room = a_room(
        starts_at=timezone.now() + timedelta(minutes=5), admitted=False
    )
    cookies = [session_cookie(patient), session_cookie(therapist)]

    # From a thread of its own: Playwright may hold an event loop in this one.
    with ThreadPoolExecutor(1) as worker:
        got = worker.submit(
            asyncio.run, exchange([live_server_url, second_server_url], cookies, room.token)
        ).result()

    waiting = {"type": "admission", "admitted": False, "late": None}
    assert got[:2] == [waiting, waiting]
    assert [(m["type"], m.get("state")) for m in got[2:4]] == [("peer", "joined")] * 2
    assert got[4:6] == [{"type": "admitted"}] * 2
    assert got[6] == OFFER
    assert got[7] == ANSWER
    assert [(m["type"], m["text"], m["mine"]) for m in got[8:]] == [
        ("chat", "Can you hear me?", True),
        ("chat", "Can you hear me?", False),
    ]
    # Both sockets' leaving is written before the database is flushed for the next test.
    wait_until(lambda: not Attendance.objects.filter(left_at__isnull=True).exists())
