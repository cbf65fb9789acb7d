"""After a change of therapist: the former therapist keeps reading the conversation they took part
in (their professional record), closed, and nothing the patient writes later; the new therapist
reads the earlier conversation only with the patient's consent; anyone else, and a therapist who
is not (or no longer) approved, reads nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import TherapistProfile
from messaging.models import Attachment, Conversation
from tests.factories import TherapistFactory
from tests.helpers import client_for

PDF = b"%PDF-1.4\n1 0 obj<</Title (Referral)>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def before_the_switch(conversation, patient, therapist, write):
    """Words and a file exchanged before the change."""
    upload = SimpleUploadedFile("referral.pdf", PDF)
    write(conversation, patient, body="Here is the referral.", upload=upload)
    write(conversation, therapist, body="Thank you, I read it.")
    return conversation


def _urls(conversation: Conversation) -> dict[str, str]:
    attachment = Attachment.objects.get(message__conversation=conversation)
    return {
        "thread": reverse("conversation", kwargs={"pk": conversation.pk}),
        "file": reverse(
            "message_attachment",
            kwargs={"pk": conversation.pk, "attachment_pk": attachment.pk},
        ),
    }


def _suspend(user) -> None:
    TherapistProfile.objects.filter(user=user).update(
        vetting_status=TherapistProfile.VettingStatus.SUSPENDED
    )


@pytest.mark.parametrize("shared", [False, True])
def test_the_former_therapist_keeps_their_own_conversation_closed(
    before_the_switch, patient, therapist, write, switch, shared
):
    new_match = switch(shared=shared)
    write(new_match.conversation, patient, body="Something I only tell my new therapist.")
    client = client_for(therapist)
    urls = _urls(before_the_switch)

    listing = client.get(reverse("conversations")).text
    thread = client.get(urls["thread"])
    download = client.get(urls["file"])

    assert "No conversation yet" not in listing
    assert urls["thread"] in listing
    assert "Closed" in listing
    assert reverse("conversation", kwargs={"pk": new_match.conversation.pk}) not in listing
    assert thread.status_code == 200
    assert '<h1 class="h3 mb-3">With Robin</h1>' in thread.text
    assert "Here is the referral." in thread.text
    assert "Thank you, I read it." in thread.text
    assert "Something I only tell my new therapist." not in thread.text
    assert "This conversation is closed" in thread.text
    assert "<form" not in thread.text.split('id="thread"')[1]  # read-only
    assert download.status_code == 200
    assert download.content == PDF
    # What the patient writes later, with another therapist, is never theirs.
    later = reverse("conversation", kwargs={"pk": new_match.conversation.pk})
    assert client.get(later).status_code == 404
    assert 'class="badge text-bg-primary"' not in client.get(reverse("unread_badge")).text


def test_the_former_therapist_cannot_write_any_more(before_the_switch, therapist, switch):
    switch(shared=False)
    response = client_for(therapist).post(
        reverse("message_send", kwargs={"pk": before_the_switch.pk}),
        {"body": "One more thing", "client_id": "0b4c6f3e-7a53-4d1b-9d6f-2f1c1c9e9a01"},
    )
    assert response.status_code == 422
    assert "This conversation is closed" in response.text
    assert before_the_switch.messages.count() == 2


def test_the_new_therapist_reads_the_earlier_conversation_only_with_consent(
    before_the_switch, other_therapist, switch
):
    switch(shared=False)
    client = client_for(other_therapist)
    urls = _urls(before_the_switch)

    assert client.get(urls["thread"]).status_code == 404
    assert client.get(urls["file"]).status_code == 404
    assert urls["thread"] not in client.get(reverse("conversations")).text


def test_with_consent_the_new_therapist_reads_it_as_someone_elses(
    before_the_switch, other_therapist, switch
):
    switch(shared=True)
    client = client_for(other_therapist)
    urls = _urls(before_the_switch)

    listing = client.get(reverse("conversations")).text
    thread = client.get(urls["thread"])

    assert "Robin, with an earlier therapist" in listing
    assert thread.status_code == 200
    assert '<h1 class="h3 mb-3">Robin, with an earlier therapist</h1>' in thread.text
    assert "Here is the referral." in thread.text
    assert "Earlier therapist" in thread.text  # who wrote what, since neither was them
    assert "message-mine" not in thread.text
    assert client.get(urls["file"]).status_code == 200
    # Nothing there waits for them: the badge does not count the earlier therapist's unread.
    assert 'class="badge text-bg-primary"' not in client.get(reverse("unread_badge")).text


def test_a_suspended_former_therapist_reads_nothing_while_suspended(
    before_the_switch, therapist, switch
):
    switch(shared=False)
    _suspend(therapist)
    client = client_for(therapist)
    urls = _urls(before_the_switch)

    assert client.get(urls["thread"]).status_code == 404
    assert client.get(urls["file"]).status_code == 404
    assert urls["thread"] not in client.get(reverse("conversations")).text


def test_a_suspended_new_therapist_reads_nothing_even_with_consent(
    before_the_switch, other_therapist, switch
):
    switch(shared=True)
    _suspend(other_therapist)
    urls = _urls(before_the_switch)

    assert client_for(other_therapist).get(urls["thread"]).status_code == 404


def test_outsiders_read_nothing_after_the_switch(
    before_the_switch, switch, other_patient, unvetted_therapist, staff
):
    new_match = switch(shared=True)
    urls = _urls(before_the_switch)
    later = reverse("conversation", kwargs={"pk": new_match.conversation.pk})
    for outsider in (other_patient, TherapistFactory(), unvetted_therapist, staff):
        client = client_for(outsider)
        for url in (*urls.values(), later):
            assert client.get(url).status_code == 404, (outsider, url)


@pytest.mark.parametrize("shared", [False, True])
def test_the_parties_lookup_and_the_general_rule_agree_for_every_reader(
    before_the_switch, patient, other_patient, therapist, other_therapist, staff, switch, shared
):
    """``conversation_get_for_user`` finds the two parties' conversation by its key
    (``_own_conversation``) and asks everyone else the general rule: for each reader, of each
    conversation, before and after a suspension, both answer the same."""
    from messaging import selectors

    new_match = switch(shared=shared)
    conversations = [before_the_switch, new_match.conversation]
    readers = [patient, other_patient, therapist, other_therapist, staff]

    def answers() -> list[tuple[bool, bool]]:
        found = []
        for reader in readers:
            reader.refresh_from_db()
            for conversation in conversations:
                by_lookup = selectors.conversation_get_for_user(
                    user=reader, pk=conversation.pk, names=False, for_writing=True
                )
                by_rule = selectors.conversation_readable_by(user=reader, pk=conversation.pk)
                found.append((by_lookup is not None, by_rule))
        return found

    for _suspended in (False, True):
        pairs = answers()
        assert all(lookup == rule for lookup, rule in pairs), pairs
        assert any(lookup for lookup, _rule in pairs)
        _suspend(therapist)
        _suspend(other_therapist)
    assert not any(
        selectors.conversation_get_for_user(user=reader, pk=c.pk, for_writing=True)
        for reader in (therapist, other_therapist)
        for c in conversations
    )


@pytest.mark.parametrize("shared", [False, True])
def test_the_unread_count_is_the_general_rules_for_every_reader(
    before_the_switch,
    patient,
    other_patient,
    therapist,
    other_therapist,
    staff,
    write,
    switch,
    shared,
):
    """The navigation's count (a prepared count for each role) is the general rule's count,
    for each reader, before and after a suspension: a new therapist never counts the earlier
    conversation's messages as waiting for them, shared or not."""
    from messaging import selectors

    new_match = switch(shared=shared)
    write(new_match.conversation, patient, body="Something I only tell my new therapist.")
    readers = [patient, other_patient, therapist, other_therapist, staff]

    def counts() -> list[tuple[int, int]]:
        for reader in readers:
            reader.refresh_from_db()
        return [
            (selectors.unread_count(user=r), selectors._unread_messages(r).count()) for r in readers
        ]

    assert counts() == [(1, 1), (0, 0), (1, 1), (1, 1), (0, 0)]
    _suspend(therapist)
    _suspend(other_therapist)
    assert counts() == [(1, 1), (0, 0), (0, 0), (0, 0), (0, 0)]
