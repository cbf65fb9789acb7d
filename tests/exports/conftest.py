"""Fixtures of the export tests: a patient with something in every part of their record, and a
way to build an export through the services and open its zip as its owner would."""

import pytest

from accounts.models import User
from teletherapy.exports import services
from teletherapy.exports.models import DataExport
from tests.factories.exports import Built, Record, make_record, open_export


@pytest.fixture
def record(patient, therapist, other_therapist) -> Record:
    """The named patient (Robin) with ``therapist`` now and ``other_therapist`` before
    (``tests.factories.exports.make_record``)."""
    return make_record(patient, therapist, other_therapist)


@pytest.fixture
def build_export():
    """``build_export(user)``: asked for and built through the services, as the page and the
    worker do; the ready export and its zip."""

    def build(user: User) -> Built:
        export, created = services.export_request(user=user)
        assert created
        built = services.export_build(export_id=export.pk)
        assert built is not None
        assert built.status == DataExport.Status.READY
        return open_export(built)

    return build
