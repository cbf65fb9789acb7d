"""Consent: the legal documents accepted at sign-up (a tick each, the version and the moment
kept), an age gate that keeps nothing of a minor, a new version asked at the next login before
anything else, and each person seeing what they accepted — theirs only."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import selectors
from accounts.models import LegalAcceptance, LegalDocument, User
from tests.factories import PASSWORD, PatientFactory, StaffFactory
from tests.factories.accounts import LegalDocumentFactory, signup_consents
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

Kind = LegalDocument.Kind
EMAIL = "new.person@example.test"


def signup(client, **overrides):
    data = {
        "nickname": "Sacha",
        "email": EMAIL,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "time_zone": "Europe/Paris",
    } | signup_consents()
    data |= overrides
    return client.post(reverse("signup_patient"), {k: v for k, v in data.items() if v is not None})


# --- At sign-up --------------------------------------------------------------------------------


def test_a_patient_accepts_the_three_documents_at_sign_up_with_their_versions(client):
    current = selectors.legal_documents_current()
    before = timezone.now()

    response = signup(client)

    assert response.status_code == 302
    user = User.objects.get(email=EMAIL)
    accepted = {a.document: a.accepted_at for a in LegalAcceptance.objects.filter(user=user)}
    assert set(accepted) == {current[Kind.PRIVACY], current[Kind.TERMS], current[Kind.TELEHEALTH]}
    assert all(before <= moment <= timezone.now() for moment in accepted.values())


def test_a_therapist_accepts_the_privacy_policy_and_the_terms(client):
    page = client.get(reverse("signup_therapist")).content.decode()
    assert 'name="accept_telehealth"' not in page
    assert 'name="age"' not in page

    response = client.post(
        reverse("signup_therapist"),
        {"email": "dr@example.test", "password1": PASSWORD, "password2": PASSWORD}
        | signup_consents(User.Role.THERAPIST),
    )

    assert response.status_code == 302
    kinds = set(
        LegalAcceptance.objects.filter(user__email="dr@example.test").values_list(
            "document__kind", flat=True
        )
    )
    assert kinds == {Kind.PRIVACY, Kind.TERMS}


def test_the_sign_up_form_links_each_version(client):
    current = selectors.legal_documents_current()

    page = client.get(reverse("signup_patient")).content.decode()

    for kind, path in ((Kind.PRIVACY, "privacy-policy"), (Kind.TERMS, "terms")):
        version = current[kind].version
        assert f'href="/{path}/versions/{version}/"' in page
        assert f'name="accept_{kind}" value="{current[kind].pk}"' in page


@pytest.mark.parametrize("kind", [Kind.PRIVACY, Kind.TERMS, Kind.TELEHEALTH])
def test_without_a_tick_nothing_is_created(client, kind):
    response = signup(client, **{f"accept_{kind}": None})

    assert response.status_code == 422
    assert "tick this box to go on" in response.content.decode()
    assert not User.objects.filter(email=EMAIL).exists()
    assert not mail.outbox


def test_a_version_published_while_the_form_was_open_is_asked_again(client):
    shown = signup_consents()
    newer = LegalDocumentFactory(kind=Kind.TERMS)

    response = signup(client, **shown)

    assert response.status_code == 422
    page = response.content.decode()
    assert "We have just published a new version of this text." in page
    assert f'value="{newer.pk}"' in page
    assert not User.objects.filter(email=EMAIL).exists()


@pytest.mark.parametrize("value", ["", "x", "-1", "99999999999999999999", "on"])
def test_a_tick_that_is_not_the_version_shown_is_refused(client, value):
    response = signup(client, accept_terms=value)

    assert response.status_code == 422
    assert not User.objects.filter(email=EMAIL).exists()


# --- The age gate ------------------------------------------------------------------------------


def test_a_minor_is_told_where_to_find_help_and_nothing_is_kept(client):
    response = signup(client, age="minor")

    assert response.status_code == 200
    page = response.content.decode()
    assert "for adults only" in page
    assert "Nothing you typed" in page
    for number in ("0 800 235 236", "119", "3114", "116 111"):
        assert number in page
    assert EMAIL not in page
    assert "Sacha" not in page
    assert not User.objects.filter(email=EMAIL).exists()
    assert not mail.outbox
    assert "sessionid" not in response.cookies


def test_the_age_must_be_answered(client):
    response = signup(client, age=None)

    assert response.status_code == 422
    assert "Tell us whether you are 18 or older." in response.content.decode()
    assert not User.objects.filter(email=EMAIL).exists()


@pytest.mark.parametrize("age", ["17", "adult ", "ADULT", "minor\x01"])
def test_an_age_other_than_the_two_answers_is_refused(client, age):
    response = signup(client, age=age)

    assert response.status_code in {400, 422}
    assert not User.objects.filter(email=EMAIL).exists()


def test_the_age_question_is_in_french_too(client):
    page = client.get(reverse("signup_patient"), headers={"accept-language": "fr"})

    assert "J’ai 18 ans ou plus" in page.content.decode()


# --- A new version, at the next login ----------------------------------------------------------


def test_a_new_version_is_asked_at_the_next_login_before_anything_else(patient):
    newer = LegalDocumentFactory(kind=Kind.TERMS, changes_en="Sessions can now be moved.")
    client = client_for(patient)

    home = client.get("/home/")
    assert home.status_code == 302
    assert home.url == reverse("legal_consent") + "?next=%2Fhome%2F"
    for path in ("/messages/", reverse("profile"), "/sessions/"):
        assert client.get(path).url.startswith(reverse("legal_consent"))
    page = client.get(home.url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Sessions can now be moved." in text
    assert f'name="accept_terms" value="{newer.pk}"' in text
    assert 'name="accept_privacy"' not in text  # accepted already

    accepted = client.post(reverse("legal_consent"), {"accept_terms": newer.pk, "next": "/home/"})

    assert accepted.status_code == 302
    assert accepted.url == "/home/"
    assert LegalAcceptance.objects.filter(user=patient, document=newer).exists()
    assert client.get("/home/").status_code == 200


def test_the_consent_page_leaves_the_door_open(patient):
    LegalDocumentFactory(kind=Kind.PRIVACY)
    client = client_for(patient)

    for path in ("/privacy-policy/", "/terms/", reverse("session_status")):
        assert client.get(path).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302


def test_refusing_to_tick_accepts_nothing(patient):
    LegalDocumentFactory(kind=Kind.TERMS)
    client = client_for(patient)

    response = client.post(reverse("legal_consent"), {"next": "/home/"})

    assert response.status_code == 422
    assert client.get("/home/").status_code == 302
    assert LegalAcceptance.objects.filter(user=patient).count() == 3  # those of the factory


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "0", "home"])
def test_the_next_address_never_leaves_the_site(patient, target):
    newer = LegalDocumentFactory(kind=Kind.TERMS)
    client = client_for(patient)

    response = client.post(reverse("legal_consent"), {"accept_terms": newer.pk, "next": target})

    assert response.url == reverse("home")


def test_a_page_asked_by_htmx_is_sent_to_the_consent_page_whole(patient):
    LegalDocumentFactory(kind=Kind.TERMS)

    response = client_for(patient).get("/messages/", headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == reverse("legal_consent")


def test_a_therapist_is_not_asked_for_the_telehealth_consent(therapist):
    LegalDocumentFactory(kind=Kind.TELEHEALTH)

    assert client_for(therapist).get("/home/").status_code == 200


def test_staff_are_asked_nothing(db):
    staff = StaffFactory(legal=False)
    LegalDocumentFactory(kind=Kind.TERMS)

    assert selectors.legal_documents_pending(user=staff) == []


def test_someone_who_never_accepted_is_asked_everything(db):
    patient = PatientFactory(legal=False)

    page = client_for(patient).get(reverse("legal_consent")).content.decode()

    for kind in Kind.values:
        assert f'name="accept_{kind}"' in page
    assert "You have not accepted this text before." in page


def test_a_version_not_in_effect_yet_is_not_asked(patient):
    LegalDocumentFactory(kind=Kind.TERMS, published_at=timezone.now() + timedelta(days=1))

    assert client_for(patient).get("/home/").status_code == 200


def test_with_nothing_to_accept_the_consent_page_moves_on(patient):
    response = client_for(patient).get(reverse("legal_consent") + "?next=/messages/")

    assert response.status_code == 302
    assert response.url == "/messages/"


def test_the_consent_page_needs_a_login(client):
    response = client.get(reverse("legal_consent"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


# --- What I accepted ----------------------------------------------------------------------------


def test_the_profile_says_what_was_accepted_and_when(patient, other_patient):
    newer = LegalDocumentFactory(kind=Kind.TERMS)
    client = client_for(patient)
    client.post(reverse("legal_consent"), {"accept_terms": newer.pk})
    LegalAcceptance.objects.filter(user=other_patient).update(accepted_at=timezone.now())

    page = client.get(reverse("profile")).content.decode()

    assert "What you accepted" in page
    assert f'href="/terms/versions/{newer.version}/"' in page
    assert f"version {newer.version}</a>, accepted on" in page
    assert page.count(", accepted on") == LegalAcceptance.objects.filter(user=patient).count()
    assert selectors.legal_acceptances_for_user(user=other_patient)
    assert all(
        acceptance.user == patient
        for acceptance in selectors.legal_acceptances_for_user(user=patient)
    )


def test_therapists_see_what_they_accepted_too(therapist):
    page = client_for(therapist).get(reverse("profile")).content.decode()

    assert "What you accepted" in page
    assert 'href="/telehealth-consent/versions/' not in page


@hypothesis_settings(max_examples=40, deadline=None)
@given(right=st.booleans(), value=st.text(max_size=30), next_url=st.text(max_size=60))
def test_no_answer_to_the_consent_page_gives_a_500(right, value, next_url):
    patient = PatientFactory()
    newer = LegalDocumentFactory(kind=Kind.TERMS)
    client = client_for(patient)

    response = client.post(
        reverse("legal_consent"),
        {"accept_terms": str(newer.pk) if right else value, "next": next_url},
    )

    assert response.status_code in {302, 400, 422}
    if response.status_code == 302:  # accepted, and sent on, never to another site
        assert urlsplit(response.url).netloc in {"", "testserver"}
        assert LegalAcceptance.objects.filter(user=patient, document=newer).exists()
    else:
        assert not LegalAcceptance.objects.filter(user=patient, document=newer).exists()
