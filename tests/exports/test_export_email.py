"""When a copy is ready its owner gets one email, in their language, that says so and links to
the Privacy page: never the file, never a word of what it holds."""

import pytest
from django.core import mail
from django.urls import reverse

from teletherapy.exports import services
from tests.factories.exports import (
    ADDENDUM_WORDS,
    NOTE_WORDS,
    PATIENT_WORDS,
    THERAPIST_WORDS,
)
from tests.helpers import link_in, outbox_to

pytestmark = pytest.mark.django_db


def test_one_content_free_email_says_the_copy_is_ready(record, build_export):
    export = build_export(record.patient).export

    [email] = outbox_to(record.patient.email)
    assert email.subject == "[Havre] La copie de vos données est prête"
    body = email.body
    assert link_in(body, "/privacy/") == reverse("privacy")
    assert "/privacy/#download-my-data" in body
    assert reverse("export_download", kwargs={"pk": export.pk}) not in body
    assert "/download/" not in body
    for words in ("Robin", PATIENT_WORDS, THERAPIST_WORDS, NOTE_WORDS, ADDENDUM_WORDS):
        assert words not in body
    therapist_name = record.therapist.therapist_profile.display_name
    assert therapist_name not in body
    assert email.attachments == []
    assert len(mail.outbox) == 1


def test_in_english_for_someone_who_reads_english(patient, build_export):
    build_export(patient)

    [email] = outbox_to(patient.email)
    assert email.subject == "[Havre] The copy of your data is ready"
    assert "It will be deleted on" in email.body


def test_nobody_else_is_emailed_and_nothing_before_it_is_ready(record):
    export, _created = services.export_request(user=record.patient)

    assert mail.outbox == []
    services.export_build(export_id=export.pk)

    assert [email.to for email in mail.outbox] == [[record.patient.email]]


def test_an_account_switched_off_meanwhile_is_not_emailed(patient):
    export, _created = services.export_request(user=patient)
    patient.is_active = False
    patient.save(update_fields=["is_active"])

    services.export_build(export_id=export.pk)

    assert mail.outbox == []
