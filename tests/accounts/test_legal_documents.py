"""The legal documents: public pages anyone reads (the version in effect, earlier ones, in the
reader's language, linked below every page), versions staff write in the admin that never
change once in effect, and texts that can carry no markup."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts import presenters, selectors, services
from accounts.models import LegalDocument
from tests.factories.accounts import LegalDocumentFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

Kind = LegalDocument.Kind
PAGES = {
    Kind.PRIVACY: "/privacy-policy/",
    Kind.TERMS: "/terms/",
    Kind.TELEHEALTH: "/telehealth-consent/",
}


def test_the_first_versions_exist_in_both_languages():
    current = selectors.legal_documents_current()

    assert set(current) == set(Kind.values)
    for document in LegalDocument.objects.filter(version=1):
        assert document.body_en
        assert document.body_fr
        assert "112" in document.body_en
        assert "112" in document.body_fr
    privacy = LegalDocument.objects.get(kind=Kind.PRIVACY, version=1)
    assert "never record" in privacy.body_en
    assert "jamais" in privacy.body_fr


def test_the_privacy_policy_in_effect_says_calls_may_go_through_the_relay(client):
    """Its first version said calls "never pass through our servers": untrue once a TURN relay
    forwards them (always, with ICE_TRANSPORT_POLICY=relay). The second says what the relay
    is, with what changed for those who accepted the first."""
    policy = selectors.legal_documents_current()[Kind.PRIVACY]

    assert policy.version == 2
    assert "never pass through our servers" not in policy.body_en
    assert "relay server, which forwards them still encrypted" in policy.body_en
    assert "serveur relais, qui les transmet toujours chiffrées" in policy.body_fr
    assert "waiting room" in policy.body_en
    assert "relay server" in policy.changes_en
    assert "serveur relais" in policy.changes_fr
    # Otherwise the same words as the first version.
    first = LegalDocument.objects.get(kind=Kind.PRIVACY, version=1)
    assert (
        policy.body_en.split("## Sessions are never recorded")[0]
        == (first.body_en.split("## Sessions are never recorded")[0])
    )
    assert "relay server" in client.get(PAGES[Kind.PRIVACY]).content.decode()


@pytest.mark.parametrize(("kind", "path"), PAGES.items())
def test_anyone_reads_the_version_in_effect(client, kind, path):
    newer = LegalDocumentFactory(kind=kind, body_en="## Heading\nThe newest words.")
    LegalDocumentFactory(kind=kind, published_at=timezone.now() + timedelta(days=3))

    page = client.get(path)

    assert page.status_code == 200
    text = page.content.decode()
    assert "The newest words." in text
    assert f"Version {newer.version}," in text
    assert "<h2" in text
    assert "Heading</h2>" in text


def test_the_page_is_in_the_readers_language(client):
    LegalDocumentFactory(kind=Kind.TERMS, body_fr="Le texte en français.")

    page = client.get("/terms/", headers={"accept-language": "fr"}).content.decode()

    assert "Le texte en français." in page


def test_an_earlier_version_stays_readable_and_says_it_was_replaced(client):
    first = LegalDocument.objects.get(kind=Kind.TERMS, version=1)
    LegalDocumentFactory(kind=Kind.TERMS)

    page = client.get(f"/terms/versions/{first.version}/").content.decode()

    assert first.body_en.split("\n")[0] in page
    assert "This is an earlier version." in page


@pytest.mark.parametrize(
    "path",
    ["/terms/versions/99/", "/terms/versions/0/", "/terms/versions/99999999999999999999/"],
)
def test_a_version_that_does_not_exist_is_a_404(client, path):
    assert client.get(path).status_code == 404


def test_a_version_not_in_effect_yet_is_not_public(client):
    future = LegalDocumentFactory(kind=Kind.TERMS, published_at=timezone.now() + timedelta(days=1))

    assert client.get(f"/terms/versions/{future.version}/").status_code == 404
    assert "The English text." not in client.get("/terms/").content.decode()


def test_every_page_links_to_the_three_documents(client):
    page = client.get("/").content.decode()

    for path in PAGES.values():
        assert f'href="{path}"' in page


def test_staff_write_a_new_version_which_gets_the_next_number(staff_client):
    before = selectors.legal_document_next_version(kind=Kind.TERMS)
    response = staff_client.post(
        reverse("admin:accounts_legaldocument_add"),
        {
            "kind": Kind.TERMS,
            "title_en": "Terms of use",
            "title_fr": "Conditions d’utilisation",
            "body_en": "New terms.",
            "body_fr": "Nouvelles conditions.",
            "changes_en": "One change.",
            "changes_fr": "Un changement.",
            "published_at_0": "2000-01-01",  # in the past: takes effect now, not then
            "published_at_1": "10:00:00",
        },
    )

    assert response.status_code == 302
    document = LegalDocument.objects.get(kind=Kind.TERMS, version=before)
    assert timezone.now() - document.published_at < timedelta(minutes=1)
    assert selectors.legal_documents_current()[Kind.TERMS] == document


def test_the_add_page_starts_from_the_text_in_effect(staff_client):
    current = selectors.legal_document_public(kind=Kind.PRIVACY)
    assert current is not None

    page = staff_client.get(reverse("admin:accounts_legaldocument_add") + "?kind=privacy")

    assert current.body_en[:60] in page.content.decode()


def test_a_version_in_effect_never_changes(staff_client):
    document = LegalDocument.objects.get(kind=Kind.TERMS, version=1)
    url = reverse("admin:accounts_legaldocument_change", args=[document.pk])

    page = staff_client.get(url).content.decode()
    staff_client.post(url, {"body_en": "Rewritten history."})

    assert 'name="body_en"' not in page  # read-only
    assert "Write a new version" in page
    document.refresh_from_db()
    assert document.body_en != "Rewritten history."
    document.body_en = "Rewritten history."
    with pytest.raises(services.LegalDocumentLocked):
        services.legal_document_save(document=document)
    with pytest.raises(services.LegalDocumentLocked):
        services.legal_document_delete(document=document)
    delete = reverse("admin:accounts_legaldocument_delete", args=[document.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert LegalDocument.objects.filter(pk=document.pk).exists()


def test_a_version_not_in_effect_yet_can_be_changed_or_deleted(staff_client):
    document = LegalDocumentFactory(published_at=timezone.now() + timedelta(days=2))
    document.body_en = "Better words."
    services.legal_document_save(document=document)
    document.refresh_from_db()
    assert document.body_en == "Better words."

    delete = reverse("admin:accounts_legaldocument_delete", args=[document.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 302
    assert not LegalDocument.objects.filter(pk=document.pk).exists()


def test_patients_and_therapists_cannot_edit_the_documents(patient, therapist):
    add = reverse("admin:accounts_legaldocument_add")
    for user in (patient, therapist):
        response = client_for(user).get(add)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_a_document_can_hold_no_markup(client):
    LegalDocumentFactory(kind=Kind.TERMS, body_en="<script>alert(1)</script>\n\n- <b>bold</b>")

    page = client.get("/terms/").content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<li>&lt;b&gt;bold&lt;/b&gt;</li>" in page


def test_the_text_becomes_headings_paragraphs_and_lists():
    blocks = presenters.legal_text_blocks("## Title\nOne line\nand the next.\n\n- a\n- b\n\nEnd.")

    assert [(block.kind, block.text, block.items) for block in blocks] == [
        ("heading", "Title", []),
        ("paragraph", "One line and the next.", []),
        ("list", "", ["a", "b"]),
        ("paragraph", "End.", []),
    ]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_gives_blocks(text):
    for block in presenters.legal_text_blocks(text):
        assert block.kind in {"heading", "paragraph", "list"}
