"""Every page that lets a therapist read a patient's record writes it to the patient's access
log, through the selector that lets them in: the patient page, the thread (and a live refresh
as the same visit), a file, session notes, an offer, the dashboard. A refusal logs nothing;
the patient's own reads and sending a message log nothing."""

import uuid

import pytest
from django.urls import reverse

from audit.chain import session_digest
from audit.models import AccessEntry
from messaging import services as messaging_services
from tests.factories.audit import entries_of
from tests.factories.matching import MatchRequestFactory, OfferFactory
from tests.factories.messaging import AttachmentFactory, MessageFactory
from tests.factories.scheduling import AppointmentFactory
from tests.helpers import client_for

Kind = AccessEntry.Kind
Role = AccessEntry.Role


def _logged(patient) -> list[tuple[str, int | None]]:
    return [(entry.kind, entry.record_id) for entry in entries_of(patient)]


def test_the_patient_page_is_logged_with_who_and_which_session(
    match, patient, therapist, therapist_client
):
    url = reverse("therapist_patient", kwargs={"patient_id": patient.pk})
    assert therapist_client.get(url).status_code == 200

    [entry] = entries_of(patient)
    assert (entry.kind, entry.record_id) == (Kind.PATIENT_PAGE, match.pk)
    assert (entry.accessor_id, entry.role) == (therapist.pk, Role.THERAPIST)
    assert entry.session_digest == session_digest(therapist_client.session.session_key)


def test_another_therapist_is_refused_and_nothing_is_logged(match, patient, other_therapist):
    url = reverse("therapist_patient", kwargs={"patient_id": patient.pk})
    assert client_for(other_therapist).get(url).status_code == 404
    assert entries_of(patient) == []


def test_the_thread_is_one_visit_however_many_refreshes(
    conversation, patient, therapist, therapist_client
):
    url = reverse("conversation", kwargs={"pk": conversation.pk})
    assert therapist_client.get(url).status_code == 200
    message = messaging_services.message_send(
        conversation=conversation, sender=patient, body="New", client_id=uuid.uuid4()
    )
    live = therapist_client.get(url, {"after": message.pk - 1}, headers={"HX-Request": "true"})
    assert live.status_code == 200
    assert therapist_client.get(url).status_code == 200  # a reload

    assert _logged(patient) == [(Kind.THREAD, conversation.pk)]


def test_a_new_session_is_a_new_visit(conversation, patient, therapist):
    url = reverse("conversation", kwargs={"pk": conversation.pk})
    first, second = client_for(therapist), client_for(therapist)
    assert first.get(url).status_code == 200
    assert second.get(url).status_code == 200
    digests = {entry.session_digest for entry in entries_of(patient)}
    assert digests == {
        session_digest(first.session.session_key),
        session_digest(second.session.session_key),
    }


def test_sending_a_message_is_not_a_read(conversation, patient, therapist_client):
    url = reverse("message_send", kwargs={"pk": conversation.pk})
    response = therapist_client.post(url, {"body": "Hello", "client_id": str(uuid.uuid4())})
    assert response.status_code == 302
    assert entries_of(patient) == []


def test_the_patients_own_reads_are_not_logged(conversation, patient, patient_client):
    attachment = AttachmentFactory.create(message=MessageFactory(conversation=conversation))
    for url in (
        reverse("conversation", kwargs={"pk": conversation.pk}),
        reverse(
            "message_attachment", kwargs={"pk": conversation.pk, "attachment_pk": attachment.pk}
        ),
        reverse("my_progress"),
        reverse("home"),
    ):
        assert patient_client.get(url).status_code == 200, url
    assert entries_of(patient) == []


def test_a_file_is_logged_by_its_id(conversation, patient, therapist_client):
    attachment = AttachmentFactory.create(message=MessageFactory(conversation=conversation))
    url = reverse(
        "message_attachment", kwargs={"pk": conversation.pk, "attachment_pk": attachment.pk}
    )
    assert therapist_client.get(url).status_code == 200
    assert _logged(patient) == [(Kind.ATTACHMENT, attachment.pk)]


def test_an_outsider_asking_for_a_file_logs_nothing(conversation, patient, other_therapist):
    attachment = AttachmentFactory.create(message=MessageFactory(conversation=conversation))
    url = reverse(
        "message_attachment", kwargs={"pk": conversation.pk, "attachment_pk": attachment.pk}
    )
    assert client_for(other_therapist).get(url).status_code == 404
    assert entries_of(patient) == []


def test_session_notes_are_logged(match, patient, therapist_client):
    appointment = AppointmentFactory.create(match=match)
    url = reverse("session_notes", kwargs={"pk": appointment.pk})
    assert therapist_client.get(url).status_code == 200
    assert _logged(patient) == [(Kind.SESSION_NOTE, appointment.pk)]


def test_an_offer_is_logged_on_its_page_and_on_the_dashboard(patient, therapist, settings):
    settings.AUDIT_REPEAT_MINUTES = 0
    from tests.factories.matching import make_eligible

    make_eligible(therapist)
    offer = OfferFactory.create(
        request=MatchRequestFactory(patient=patient), therapist=therapist.therapist_profile
    )
    client = client_for(therapist)

    assert client.get(reverse("offer_detail", kwargs={"pk": offer.pk})).status_code == 200
    assert client.get(reverse("home")).status_code == 200

    assert _logged(patient) == [(Kind.OFFER, offer.pk), (Kind.OFFER, offer.pk)]


def test_the_dashboard_logs_each_patient_of_the_caseload(match, patient, therapist_client):
    assert therapist_client.get(reverse("home")).status_code == 200
    assert therapist_client.get(reverse("dashboard_caseload")).status_code == 200  # live refresh
    assert _logged(patient) == [(Kind.CASELOAD, match.pk)]


def test_a_former_therapist_reading_their_old_thread_is_logged_as_a_therapist(
    conversation, patient, therapist, other_therapist, staff, django_capture_on_commit_callbacks
):
    from matching import services as matching_services

    with django_capture_on_commit_callbacks(execute=True):
        request = matching_services.match_switch(
            patient=patient, reason="", share_earlier_history=False
        )
    with django_capture_on_commit_callbacks(execute=True):
        matching_services.match_request_assign(
            request_id=request.pk, therapist_id=other_therapist.therapist_profile.pk, actor=staff
        )
    url = reverse("conversation", kwargs={"pk": conversation.pk})
    assert client_for(therapist).get(url).status_code == 200
    [entry] = entries_of(patient)
    assert (entry.kind, entry.accessor_id, entry.role) == (
        Kind.THREAD,
        therapist.pk,
        Role.THERAPIST,
    )


@pytest.mark.parametrize("kind", [Kind.EXPORT, Kind.ERASURE])
def test_the_other_engineers_kinds_are_ready(patient, kind):
    """What the export and erasure services call (docs/architecture.md, *Access log*)."""
    from audit.services import access_record

    assert access_record(reader=patient, patient_id=patient.pk, kind=kind) is not None
