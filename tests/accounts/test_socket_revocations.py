"""Sockets are authorised when they open and closed by events, not by a query per message
(issue 16): a log-out, a password change, a deactivation, a deletion, a suspension closes the
sockets they concern at once (nothing is sent on them: only the event can close them), the
others hear nothing; a change no event announces is caught by the periodic re-check."""

import json
from datetime import timedelta

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.conf import settings
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from accounts.models import User
from core import realtime
from tests.factories import PASSWORD, PatientFactory
from tests.sockets import assert_closed_with, logged_in, open_socket, pong, socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-new-long-passphrase"


@database_sync_to_async
def make(factory, **kwargs):
    return factory(**kwargs)


async def test_a_password_change_closes_every_socket_of_the_user_and_the_new_session_reconnects():
    patient = await make(PatientFactory)
    changing, here = await open_socket(patient)
    _, elsewhere = await open_socket(patient)  # another device's login
    _, someone_else = await open_socket(await make(PatientFactory))

    answer = await database_sync_to_async(changing.post)(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-long-passphrase",
            "password2": "a-new-long-passphrase",
        },
    )
    assert answer.status_code == 302

    # The other device is logged out; this browser's session was given a new key (Django's
    # update_session_auth_hash): its page's socket closes too, and the page opens it again.
    await assert_closed_with(elsewhere, realtime.CLOSE_UNAUTHENTICATED)
    await assert_closed_with(here, realtime.CLOSE_UNAUTHENTICATED)
    assert await someone_else.receive_nothing()
    reopened = await socket(changing)
    assert (await reopened.connect())[0]
    assert await pong(reopened)
    for communicator in (reopened, someone_else):
        await communicator.disconnect()


async def test_a_password_set_anywhere_closes_the_sockets_at_once():
    patient = await make(PatientFactory)
    _, communicator = await open_socket(patient)

    @database_sync_to_async
    def change_password():  # the admin's form, ``changepassword``: they save the user
        patient.set_password("another-long-passphrase")
        patient.save()

    await change_password()

    await assert_closed_with(communicator, realtime.CLOSE_UNAUTHENTICATED)


async def test_a_deactivated_account_is_closed_at_once():
    patient = await make(PatientFactory)
    _, communicator = await open_socket(patient)
    _, someone_else = await open_socket(await make(PatientFactory))

    @database_sync_to_async
    def deactivate():
        patient.is_active = False
        patient.save(update_fields=["is_active"])

    await deactivate()

    await assert_closed_with(communicator, realtime.CLOSE_UNAUTHENTICATED)
    assert await someone_else.receive_nothing()
    await someone_else.disconnect()


async def test_a_deleted_account_is_closed_at_once():
    patient = await make(PatientFactory)
    _, communicator = await open_socket(patient)

    await database_sync_to_async(patient.delete)()

    await assert_closed_with(communicator, realtime.CLOSE_UNAUTHENTICATED)


async def test_a_profile_change_leaves_the_sockets_open():
    patient = await make(PatientFactory)
    _, communicator = await open_socket(patient)

    @database_sync_to_async
    def change_language():
        patient.language = "fr"
        patient.save()

    await change_language()

    # Asked again, still allowed: the socket stays.
    assert await communicator.receive_nothing()
    assert await pong(communicator)
    await communicator.disconnect()


async def test_a_login_elsewhere_leaves_the_sockets_open():
    patient = await make(PatientFactory)
    _, communicator = await open_socket(patient)

    await logged_in(patient)  # saves last_login only

    assert await communicator.receive_nothing()
    assert await pong(communicator)
    await communicator.disconnect()


# --- The backstop, and the cost ---------------------------------------------------------------


async def test_a_change_no_event_announces_is_caught_by_the_periodic_recheck():
    with time_machine.travel(timezone.now(), tick=False) as clock:
        patient = await make(PatientFactory)
        _, communicator = await open_socket(patient)
        await database_sync_to_async(User.objects.filter(pk=patient.pk).update)(is_active=False)

        assert await pong(communicator)  # not asked again yet
        clock.shift(timedelta(seconds=settings.SOCKET_RECHECK_SECONDS))
        await communicator.send_to(text_data=json.dumps({"type": "ping", "id": 2}))

        await assert_closed_with(communicator, realtime.CLOSE_UNAUTHENTICATED)


async def test_no_query_per_message_or_event(monkeypatch):
    patient = await make(PatientFactory)
    _, communicator = await open_socket(patient)
    queries = []
    for method in ("execute", "executemany"):
        original = getattr(CursorWrapper, method)

        def counted(self, *args, _original=original, **kwargs):
            queries.append(args[0] if args else "")
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(CursorWrapper, method, counted)

    for number in range(20):
        assert await pong(communicator, number)
    for number in range(20):
        await database_sync_to_async(realtime.send_to_groups)(
            [realtime.user_group(patient.pk)], {"type": "app.event", "event": {"n": number}}
        )
        assert json.loads(await communicator.receive_from()) == {"n": number}

    assert queries == []
    await communicator.disconnect()
