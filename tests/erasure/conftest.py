"""Fixtures of the erasure tests: a patient with something in every part of their record
(``tests.factories.exports.make_record``), a session to come and a copy of their data, under a
clock that starts after all of it; and the moment their grace period is over."""

from datetime import timedelta

import pytest
import time_machine

from teletherapy.exports import services as export_services
from tests.factories.erasure import NOW
from tests.factories.exports import Record, make_record
from tests.factories.scheduling import AppointmentFactory


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def record(clock, patient, therapist, other_therapist) -> Record:
    """The named patient (Robin) with ``therapist`` now and ``other_therapist`` before, a
    session to come with ``therapist`` and a ready copy of their data."""
    made = make_record(patient, therapist, other_therapist)
    patient.language = "en"  # (the record makes them French; a test in French says so)
    patient.save(update_fields=["language"])
    made.future = AppointmentFactory.create(  # type: ignore[attr-defined]
        match=made.match, starts_at=NOW + timedelta(days=3)
    )
    export, _created = export_services.export_request(user=patient)
    export_services.export_build(export_id=export.pk)
    return made
