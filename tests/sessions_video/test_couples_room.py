"""A couples session's room holds three (issue 19, item 5): the therapist, the patient and the
partner, each connected to the two others. Frames of the call are addressed to one participant
(``to``: the id the server gave each socket) and arrive with ``from``, which only the server
says; the others receive nothing of them. Each is announced with their role; the therapist lets
each guest in from the waiting room (or both at once), and no call signalling reaches a guest
still waiting; the partner has no part in the chat (the patient's record); withdrawing the
invitation closes the partner's socket (the project's revocation by group event)."""

import json

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.realtime import CLOSE_NOT_FOUND, CLOSE_UNSUPPORTED_DATA
from scheduling import services as scheduling
from sessions_video.models import Room
from tests.factories.partners import PartnerFactory, a_couples_room, invite
from tests.factories.sessions_video import DURING, a_room
from tests.helpers import client_for
from tests.sockets import (
    assert_closed_with,
    frames,
    no_handler_failed,
    open_socket,
    outcome,
    path,
    pong,
    presence,
    received,
    send,
    send_frame,
    socket,
)

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clock"),
]

SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"


@database_sync_to_async
def couples_room(admitted=True):
    return a_couples_room(admitted=admitted)


@database_sync_to_async
def reloaded(room) -> Room:
    return Room.objects.get(pk=room.pk)


def joined(presence_id: int, role: str) -> dict:
    return {"type": "peer", "state": "joined", "presence": presence_id, "role": role}


async def three_in(room, therapist, patient, partner):
    """The three sockets, in that order, once each has heard of the others: (socket, id)."""
    _, t = await open_socket(therapist, path(room))
    _, p = await open_socket(patient, path(room))
    _, s = await open_socket(partner, path(room))
    ids = [await presence(room, user) for user in (therapist, patient, partner)]
    assert await received(t) == joined(ids[1], "patient")
    assert await received(t) == joined(ids[2], "partner")
    assert await received(p) == joined(ids[0], "therapist")
    assert await received(p) == joined(ids[2], "partner")
    assert await received(s) == joined(ids[0], "therapist")
    assert await received(s) == joined(ids[1], "patient")
    return (t, ids[0]), (p, ids[1]), (s, ids[2])


async def close_all(*sockets):
    for each in sockets:
        await each.disconnect()


async def test_each_is_told_who_they_are_and_who_is_in_the_call():
    patient, therapist, partner, room = await couples_room()
    (t, t_id), (p, _p_id), (s, s_id) = await three_in(room, therapist, patient, partner)
    roles = ["therapist", "patient", "partner"]
    assert t.admission == {
        "type": "admission",
        "admitted": True,
        "late": None,
        "you": t_id,
        "role": "therapist",
        "roles": roles,
    }
    assert s.admission["you"] == s_id
    assert s.admission["role"] == "partner"
    assert p.admission["role"] == "patient"
    await close_all(t, p, s)


async def test_an_addressed_frame_reaches_its_addressee_only_with_the_servers_from():
    patient, therapist, partner, room = await couples_room()
    (t, t_id), (p, p_id), (s, s_id) = await three_in(room, therapist, patient, partner)

    # "from" is the server's: a page cannot pass itself off as someone else.
    await send(p, {"type": "offer", "sdp": SDP, "to": s_id, "from": t_id})
    assert await received(s) == {"type": "offer", "sdp": SDP, "from": p_id}
    assert await t.receive_nothing()
    assert await p.receive_nothing()

    candidate = {"candidate": "candidate:1 1 udp 1 192.0.2.1 9 typ host", "sdpMid": "0"}
    await send(s, {"type": "candidate", "candidate": candidate, "to": t_id})
    assert await received(t) == {"type": "candidate", "candidate": candidate, "from": s_id}
    assert await p.receive_nothing()
    assert await s.receive_nothing()

    # What concerns everybody in the call goes to both others.
    await send(t, {"type": "screen", "sharing": True})
    for other in (p, s):
        assert await received(other) == {"type": "screen", "sharing": True, "from": t_id}
    await send(s, {"type": "media", "video": False, "lowered": False})
    for other in (t, p):
        assert await received(other) == {
            "type": "media",
            "video": False,
            "lowered": False,
            "from": s_id,
        }
    await close_all(t, p, s)


@pytest.mark.parametrize("to", [None, "2", True, -1, 0, 2**70, [1], {"id": 1}, 1.5])
async def test_a_frame_of_the_call_without_a_participant_to_go_to_is_dropped(to):
    patient, therapist, partner, room = await couples_room()
    (t, _), (p, _), (s, _) = await three_in(room, therapist, patient, partner)
    frame = {"type": "answer", "sdp": SDP}
    if to is not None:
        frame["to"] = to
    await send(p, frame)
    assert await t.receive_nothing()
    assert await s.receive_nothing()
    assert await pong(p)  # dropped, the socket open
    await close_all(t, p, s)


async def test_the_therapist_lets_each_guest_in_and_no_call_reaches_a_guest_still_waiting():
    patient, therapist, partner, room = await couples_room(admitted=False)
    (t, t_id), (p, p_id), (s, s_id) = await three_in(room, therapist, patient, partner)
    assert p.admission["admitted"] is False
    assert s.admission["admitted"] is False
    assert t.admission["roles"] == ["therapist"]

    await send(t, {"type": "offer", "sdp": SDP, "to": s_id})
    await send(s, {"type": "offer", "sdp": SDP, "to": t_id})
    await send(p, {"type": "admit", "who": "all"})  # only the therapist lets in
    assert await s.receive_nothing()
    assert await t.receive_nothing()

    await send(t, {"type": "admit", "who": "partner"})
    for each in (t, p, s):
        assert await received(each) == {"type": "admitted", "roles": ["partner"]}
    kept = await reloaded(room)
    assert kept.partner_admitted_at == DURING
    assert kept.admitted_at is None
    await send(t, {"type": "offer", "sdp": SDP, "to": s_id})
    assert await received(s) == {"type": "offer", "sdp": SDP, "from": t_id}
    await send(s, {"type": "offer", "sdp": SDP, "to": p_id})  # the patient still waits
    assert await p.receive_nothing()

    await send(t, {"type": "admit"})  # both (the one left)
    for each in (t, p, s):
        assert await received(each) == {"type": "admitted", "roles": ["patient", "partner"]}
    assert (await reloaded(room)).started_at == DURING
    await send(s, {"type": "offer", "sdp": SDP, "to": p_id})
    assert await received(p) == {"type": "offer", "sdp": SDP, "from": s_id}
    await send(t, {"type": "admit", "who": "nobody"})  # malformed: dropped
    assert await p.receive_nothing()
    await close_all(t, p, s)


async def test_the_partner_has_no_part_in_the_chat():
    patient, therapist, partner, room = await couples_room()
    (t, _), (p, _), (s, _) = await three_in(room, therapist, patient, partner)
    await send(s, {"type": "chat", "id": "6f1c1d4e-8a4b-4c55-9d5e-2b8f0c4a7e11", "text": "hi"})
    await send(s, {"type": "typing"})
    assert await t.receive_nothing()
    assert await p.receive_nothing()
    await send(p, {"type": "typing"})
    assert await received(t) == {"type": "typing", "from": (await presence(room, patient))}
    assert await s.receive_nothing()
    await close_all(t, p, s)


async def test_withdrawing_the_invitation_closes_the_partners_socket_only():
    patient, therapist, partner, room = await couples_room()
    (t, _), (p, _), (s, s_id) = await three_in(room, therapist, patient, partner)

    appointment = await database_sync_to_async(lambda: room.appointment)()
    await database_sync_to_async(scheduling.partner_invitation_withdraw)(
        appointment=appointment, by=patient, now=DURING
    )

    await assert_closed_with(s, CLOSE_NOT_FOUND)
    for each in (t, p):
        assert await received(each) == {
            "type": "peer",
            "state": "left",
            "presence": s_id,
            "role": "partner",
        }
        assert await pong(each)
    # And back again: refused.
    _, again = await open_socket(partner, path(room))
    await assert_closed_with(again, CLOSE_NOT_FOUND)
    await close_all(t, p)


@pytest.mark.parametrize("who", ["not accepted", "another session's partner", "withdrawn"])
async def test_only_the_accepted_partner_of_this_session_is_let_in(who):
    @database_sync_to_async
    def arrange():
        _patient, _therapist, room = a_room()
        partner = PartnerFactory(email="sam@example.test")
        if who == "not accepted":
            invite(room.appointment, email=partner.email, accepted=False)
        elif who == "another session's partner":
            _p, _t, _partner, _room = a_couples_room(partner_email="kim@example.test")
            invite(room.appointment, email="alex@example.test", accepted=False)
            return _partner, room
        else:
            invitation, _token = invite(room.appointment, partner=partner)
            invitation.withdrawn_at = DURING
            invitation.save()
        return partner, room

    partner, room = await arrange()
    _, refused = await open_socket(partner, path(room))
    await assert_closed_with(refused, CLOSE_NOT_FOUND)


async def test_a_room_of_two_keeps_its_frames_as_they_were():
    patient, therapist, room = await database_sync_to_async(a_room)()
    _, p = await open_socket(patient, path(room))
    _, t = await open_socket(therapist, path(room))
    assert p.admission == {"type": "admission", "admitted": True, "late": None}
    await received(p)
    await received(t)
    await send(p, {"type": "offer", "sdp": SDP, "to": 12345})
    assert await received(t) == {"type": "offer", "sdp": SDP}  # no "from", as before
    await close_all(p, t)


# --- Any input -------------------------------------------------------------------------------


@pytest.fixture
def partner_in_a_couples_room(transactional_db, clock):
    _patient, _therapist, partner, room = a_couples_room()
    return client_for(partner), room


def addressed_frames():
    """Any frame, and frames of the call with any ``to``."""
    to = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.booleans(), st.floats())
    kinds = st.sampled_from(["offer", "answer", "candidate", "hangup", "admit", "media"])
    addressed = st.fixed_dictionaries(
        {"type": kinds, "to": to}, optional={"sdp": st.text(max_size=20), "who": st.text()}
    ).map(lambda message: {"text_data": json.dumps(message)})
    return st.one_of(frames(), addressed)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=addressed_frames())
async def test_no_frame_crashes_a_couples_rooms_socket(partner_in_a_couples_room, caplog, frame):
    client, room = partner_in_a_couples_room
    communicator = await socket(client, path=path(room))
    assert (await communicator.connect())[0]
    await send_frame(communicator, frame)
    closed = await outcome(communicator)
    assert closed is None or closed["code"] == CLOSE_UNSUPPORTED_DATA
    await communicator.disconnect()
    assert no_handler_failed(caplog)
