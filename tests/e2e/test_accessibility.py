"""Main pages checked with axe-core (WCAG 2.1 A and AA rules) and used with the keyboard only."""

import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from messaging import services as messaging_services
from tests.e2e.browser import log_in, violations, watch
from tests.factories import PASSWORD, PatientFactory, TherapistFactory
from tests.factories.accounts import legal_documents_publish
from tests.factories.matching import IntakeFactory, MatchFactory, MatchRequestFactory, OfferFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def axe_page(new_context):
    # axe is injected as an inline script: only this test's context bypasses the policy.
    page = new_context(bypass_csp=True).new_page()
    problems = watch(page)
    yield page
    assert problems == []


PUBLIC_PAGES = [
    "/",
    "/emergency/",
    "/accounts/signup/",
    "/accounts/signup/patient/",
    "/accounts/signup/therapist/",
    "/accounts/login/",
    "/accounts/password/reset/",
    "/privacy-policy/",
    "/terms/",
    "/telehealth-consent/",
]


@pytest.mark.parametrize("language", ["English", "Français"])
def test_public_pages_pass_wcag_checks(axe_page, language):
    legal_documents_publish()  # their pages (the migration's rows are gone after a flush)
    axe_page.goto("/")
    if language == "Français":
        axe_page.get_by_role("button", name=language).click()
        expect(axe_page.locator("html")).to_have_attribute("lang", "fr")
    found = {}
    for path in PUBLIC_PAGES:
        axe_page.goto(path)
        found[path] = violations(axe_page)

    assert found == {path: [] for path in PUBLIC_PAGES}


def test_pages_of_a_patient_pass_wcag_checks(axe_page):
    log_in(axe_page, PatientFactory().email)
    found = {}
    for path in ["/home/", "/profile/", "/accounts/2fa/", "/accounts/email/", "/privacy/sessions/"]:
        axe_page.goto(path)
        found[path] = violations(axe_page)

    assert found == {path: [] for path in found}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_pages_of_a_therapist_pass_wcag_checks(axe_page, language):
    approved = TherapistFactory(therapist_profile__bios={"en": "Hello.", "fr": "Bonjour."})
    applicant = TherapistFactory(language=language, therapist_profile__vetting_status="draft")
    log_in(axe_page, applicant.email, code=True)
    steps = ["about", "practice", "credentials", "documents"]
    found = {}
    for path in [
        "/home/",
        "/practice/application/",
        *[f"/practice/application/{step}/" for step in steps],
        f"/therapists/{approved.pk}/",
    ]:
        axe_page.goto(path)
        found[path] = violations(axe_page)

    assert found == {path: [] for path in found}


def test_signing_up_works_with_the_keyboard_alone(page):
    page.goto("/accounts/signup/patient/")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_label("I am 18 or older").focus()
    page.keyboard.press("Space")
    for tick in page.locator("input[name^='accept_']").all():  # the legal documents in effect
        tick.focus()
        page.keyboard.press("Space")
    for field, value in [
        ("Nickname", "Kai"),
        ("Email", "kai@example.test"),
        ("Password", PASSWORD),
        ("Password (again)", PASSWORD),
    ]:
        page.get_by_label(field, exact=True).focus()
        page.keyboard.type(value)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()


def test_focus_is_always_visible(page):
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")

    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")


def test_the_checker_itself_catches_a_violation(axe_page):
    axe_page.goto("/")
    axe_page.evaluate(
        "() => document.querySelector('main').append(Object.assign("
        "document.createElement('img'), {src: '/static/teletherapy/favicon.svg'}))"
    )

    assert any(v.startswith("image-alt") for v in violations(axe_page))


@pytest.mark.parametrize("language", ["English", "Français"])
def test_intake_pages_pass_wcag_checks(axe_page, language):
    axe_page.goto("/")
    if language == "Français":
        axe_page.get_by_role("button", name=language).click()
    found = {}
    for path in ["/start/", "/start/1/", "/start/help/"]:
        axe_page.goto(path)
        found[path] = violations(axe_page)

    assert found == {path: [] for path in found}


def test_matching_pages_pass_wcag_checks(axe_page, new_context):
    therapist = TherapistFactory(therapist_profile__licensed_countries=["FR"])
    waiting = PatientFactory()
    patient = PatientFactory()
    intake = {"concerns": ["anxiety"], "languages": ["fr"], "screenings": False}
    IntakeFactory(patient=patient, **intake)
    request = MatchRequestFactory(
        patient=waiting,
        intake__concerns=["anxiety"],
        intake__languages=["fr"],
        intake__screenings=False,
        deadline=timezone.now(),
    )
    offer = OfferFactory(
        request=request,
        therapist=therapist.therapist_profile,
        reasons=[{"code": "language", "value": "fr"}],
    )
    match = MatchFactory(patient=patient, therapist=therapist.therapist_profile)
    thread = messaging_services.conversation_open(match_id=match.pk)
    messaging_services.message_send(
        conversation=thread, sender=patient, body="Hello.", client_id=uuid.uuid4()
    )

    log_in(axe_page, patient.email)
    found = {}
    for path in [
        "/home/",
        "/my-therapist/",
        "/my-therapist/change/",
        f"/messages/{thread.pk}/",
        "/check-in/",
        "/progress/",
    ]:
        axe_page.goto(path)
        found[path] = violations(axe_page)
    therapist_page = new_context(bypass_csp=True).new_page()
    log_in(therapist_page, therapist.email, code=True)
    for path in [
        "/home/",
        "/practice/offers/",
        f"/practice/offers/{offer.pk}/",
        f"/practice/patients/{patient.pk}/",
        "/messages/",
        f"/messages/{thread.pk}/",
    ]:
        therapist_page.goto(path)
        found[f"therapist {path}"] = violations(therapist_page)

    assert found == {path: [] for path in found}
