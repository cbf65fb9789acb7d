"""The sockets' close codes are written once, in core/realtime.py: every page carries them
(base.html), and the scripts that act on them (events.js, the room) read them from there."""

import json
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from core.realtime import CLOSE_CODES
from tests.factories.sessions_video import DURING, a_room
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

STATIC = Path(settings.BASE_DIR, "static")


def close_codes_in(page: str) -> dict:
    found = re.search(r'<script id="close-codes" type="application/json">(.*?)</script>', page)
    assert found, "the page carries no close codes"
    return json.loads(found.group(1))


def test_a_page_carries_the_close_codes_of_core(client):
    page = client.get(reverse("landing")).content.decode()

    assert close_codes_in(page) == CLOSE_CODES


def test_the_room_carries_them_too():
    patient, _therapist, room = a_room()

    with time_machine.travel(DURING, tick=False):
        page = client_for(patient).get(reverse("session_room", kwargs={"token": room.token}))

    assert close_codes_in(page.content.decode())["roomFull"] == 4409


@pytest.mark.parametrize("script", sorted(STATIC.rglob("*.js")), ids=str)
def test_no_script_writes_a_close_code_of_its_own(script):
    text = script.read_text()
    for name, code in CLOSE_CODES.items():
        assert not re.search(rf"\b{code}\b", text), f"{script.name} writes {name} ({code})"
