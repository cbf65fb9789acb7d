"""Delete my account, asking and changing one's mind (issue 17, item 3): the password again and a
plain yes start a grace period — logged out everywhere, no email but the erasure's, the
therapist sees a former patient and can no longer write, sessions to come cancelled, the search
stopped — that the patient ends by logging in and keeping their account. Bad input changes
nothing; only the account's owner asks or cancels; nobody reads content through any of it."""

import uuid

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import PatientProfile
from core.mail import send_templated_mail
from matching.models import MatchRequest, Offer
from messaging import services as messaging_services
from messaging.models import Conversation
from scheduling.models import Appointment
from teletherapy.erasure import services
from tests.factories import PASSWORD
from tests.factories.erasure import NOW
from tests.factories.matching import MatchRequestFactory, OfferFactory
from tests.helpers import client_for, outbox_to

pytestmark = pytest.mark.django_db

DELETE = reverse("privacy_delete")
CANCEL = reverse("privacy_delete_cancel")


def _ask(client, password=PASSWORD, understood=True):
    data = {"password": password} | ({"understood": "on"} if understood else {})
    return client.post(DELETE, data)


def _profile(patient) -> PatientProfile:
    return PatientProfile.objects.get(user=patient)


def test_the_page_says_what_is_deleted_and_kept_and_when(record, patient):
    page = client_for(patient).get(DELETE)

    assert page.status_code == 200
    text = page.text
    for words in ("What is deleted", "What is kept, and why", "14 days", "20 years in France"):
        assert words in text
    assert 'autocomplete="current-password"' in text


def test_the_page_in_french(record, patient):
    patient.language = "fr"
    patient.save(update_fields=["language"])

    text = client_for(patient).get(DELETE).text

    assert "Ce qui est supprimé" in text
    assert "Supprimer mon compte" in text


def test_asking_logs_out_everywhere_and_starts_the_grace_period(record, patient):
    laptop, phone = client_for(patient), client_for(patient)
    mail.outbox.clear()

    answer = _ask(laptop)

    assert answer.status_code == 200
    assert "We will delete your account on 15 June 2026" in answer.text
    profile = _profile(patient)
    assert profile.erasure_requested_at == NOW
    assert (profile.erasure_due_at - NOW).days == 14
    assert profile.erased_at is None
    for client in (laptop, phone):  # logged out here and everywhere else
        assert client.get(reverse("home")).status_code == 302
    assert not Session.objects.exists()
    (email,) = outbox_to(patient.email)
    assert "delete your account" in email.body
    assert reverse("privacy_delete") in email.body
    for word in ("Robin", "sleep", "therapist@"):
        assert word not in email.body  # content-free
    # Nothing is deleted yet.
    assert Conversation.objects.filter(patient=patient).exists()


def test_asking_cancels_sessions_to_come_stops_the_search_and_closes_the_thread(
    record, patient, therapist
):
    search = MatchRequestFactory.create(patient=patient)
    offer = OfferFactory.create(request=search)
    mail.outbox.clear()

    _ask(client_for(patient))

    record.future.refresh_from_db()
    assert record.future.status == Appointment.Status.CANCELLED
    assert record.future.cancel_reason == Appointment.PATIENT_LEFT
    assert MatchRequest.objects.get(pk=search.pk).status == MatchRequest.Status.CANCELLED
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.WITHDRAWN
    (cancelled,) = outbox_to(therapist.email)
    assert "your patient asked to delete their account" in cancelled.body
    assert outbox_to(patient.email)[0].subject.endswith("Your request to delete your account")
    assert len(outbox_to(patient.email)) == 1  # not the cancellation
    conversation = Conversation.objects.get(match=record.match)
    with pytest.raises(Exception, match="closed"):
        messaging_services.message_send(
            conversation=conversation, sender=therapist, body="Still there?", client_id=uuid.uuid4()
        )


def test_the_therapist_sees_a_former_patient_everywhere(record, patient, therapist):
    _ask(client_for(patient))
    client = client_for(therapist)

    pages = [
        reverse("home"),
        reverse("therapist_patient", kwargs={"patient_id": patient.pk}),
        reverse("conversation", kwargs={"pk": record.match.conversation.pk}),
        reverse("session_notes", kwargs={"pk": record.session.pk}),
        reverse("session_detail", kwargs={"pk": record.session.pk}),
    ]
    for url in pages:
        text = client.get(url).text
        assert "former patient (deleted account)" in text, url
        if url != pages[3]:  # (the note itself names them: the therapist's own words)
            assert "Robin" not in text, url


def test_no_email_goes_to_them_during_the_grace_period(record, patient, therapist):
    _ask(client_for(patient))
    mail.outbox.clear()
    # Whatever app emails them (a new message, a check-in, a reminder) goes through this.
    send_templated_mail(
        template="emails/message_new.txt", to=[patient.email], language="en", context={}
    )

    assert outbox_to(patient.email) == []


def test_a_wrong_password_changes_nothing(record, patient):
    client = client_for(patient)
    mail.outbox.clear()

    answer = _ask(client, password="not-my-password")

    assert answer.status_code == 422
    assert "This is not your password." in answer.text
    assert _profile(patient).erasure_requested_at is None
    assert client.get(reverse("home")).status_code == 200  # still logged in
    assert mail.outbox == []


def test_without_the_plain_yes_nothing_happens(record, patient):
    answer = _ask(client_for(patient), understood=False)

    assert answer.status_code == 422
    assert _profile(patient).erasure_requested_at is None


@pytest.mark.parametrize("who", ["therapist", "staff", "other_patient"])
def test_only_the_owner_asks(record, patient, who, request):
    outsider = request.getfixturevalue(who)
    answer = _ask(client_for(outsider), password=PASSWORD)
    if who == "other_patient":
        # Another patient can only ever ask about their own account.
        assert _profile(outsider).erasure_requested_at is not None
    else:
        assert answer.status_code == 404
    assert _profile(patient).erasure_requested_at is None


def test_logged_out_visitors_go_to_the_login_page(client):
    assert client.get(DELETE).status_code == 302
    assert client.post(CANCEL).status_code == 302


def test_logging_in_during_the_grace_period_leads_to_keeping_the_account(record, patient):
    _ask(client_for(patient))
    client = client_for(patient)  # logged in again

    home = client.get(reverse("home"))
    assert home.status_code == 302
    assert home.url == DELETE
    pending = client.get(DELETE)
    assert "Your account is to be deleted" in pending.text
    assert "Keep my account" in pending.text
    assert client.get(reverse("privacy")).status_code == 200  # their data is still theirs
    mail.outbox.clear()

    kept = client.post(CANCEL)

    assert kept.status_code == 302
    assert kept.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    profile = _profile(patient)
    assert (profile.erasure_requested_at, profile.erasure_due_at) == (None, None)
    assert Conversation.objects.get(match=record.match).closed_at is None  # open again
    (email,) = outbox_to(patient.email)
    assert "nothing was deleted" in email.body


def test_cancelling_twice_says_so_and_sends_nothing(record, patient):
    _ask(client_for(patient))
    client = client_for(patient)
    client.post(CANCEL)
    mail.outbox.clear()

    again = client.post(CANCEL, follow=True)

    assert "there is nothing to cancel" in again.text
    assert mail.outbox == []


def test_another_patient_cannot_cancel_it(record, patient, other_patient):
    _ask(client_for(patient))

    client_for(other_patient).post(CANCEL)

    assert _profile(patient).erasure_requested_at is not None


def test_asking_twice_changes_nothing(record, patient):
    first = services.erasure_request(patient=patient, now=NOW)
    mail.outbox.clear()

    assert services.erasure_request(patient=patient, now=NOW.replace(hour=12)) == first
    assert mail.outbox == []


def test_a_therapists_account_is_not_deleted_here(therapist):
    with pytest.raises(services.ErasureRefused):
        services.erasure_request(patient=therapist)


def test_the_privacy_page_has_the_section(record, patient, therapist):
    with translation.override("en"):
        text = client_for(patient).get(reverse("privacy")).text
    assert 'id="delete-my-account"' in text
    assert "Delete my account…" in text
    assert 'id="delete-my-account"' not in client_for(therapist).get(reverse("privacy")).text
