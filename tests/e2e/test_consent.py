"""Consent in the browser: a minor is turned away kindly with nothing kept, an adult signs up
ticking each document, and a new version of the terms is asked at the next login before
anything else — in Chromium, against daphne."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import LegalAcceptance, LegalDocument, User
from tests.e2e.browser import log_in, violations
from tests.factories import PASSWORD, PatientFactory
from tests.factories.accounts import LegalDocumentFactory, legal_documents_publish

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.forms_refused]

EMAIL = "camille.new@example.test"


def fill_account(page) -> None:
    page.get_by_label("Nickname").fill("Camille")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)


def test_sign_up_asks_the_age_and_a_tick_per_document(page, screenshot):
    documents = legal_documents_publish()

    page.goto("/accounts/signup/patient/")
    page.get_by_label("I am under 18").check()
    fill_account(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Help for people under 18")).to_be_visible()
    expect(page.get_by_text("Nothing you typed has been kept")).to_be_visible()
    assert not User.objects.filter(email=EMAIL).exists()

    page.goto("/accounts/signup/patient/")
    page.get_by_label("I am 18 or older").check()
    fill_account(page)
    page.get_by_label(re.compile(r"^I accept the terms")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Create my account").click()
    # The two other documents were not ticked: said beside each, nothing created.
    expect(page.get_by_text("Read the privacy policy and tick this box to go on.")).to_be_visible()
    expect(
        page.get_by_text("Read the telehealth consent and tick this box to go on.")
    ).to_be_visible()
    assert not User.objects.filter(email=EMAIL).exists()
    screenshot(page, "signup-consent")

    page.get_by_label("I am 18 or older").check()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label(re.compile(r"^I have read the privacy")).check()
    page.get_by_label(re.compile(r"^I accept the terms")).check()
    page.get_by_label(re.compile(r"^I agree to therapy at a distance")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    accepted = set(
        LegalAcceptance.objects.filter(user__email=EMAIL).values_list("document_id", flat=True)
    )
    assert accepted == {document.pk for document in documents.values()}


def test_a_new_version_of_the_terms_is_asked_at_the_next_login(page, screenshot):
    legal_documents_publish()
    patient = PatientFactory(patient_profile__nickname="Noa")  # accepted those
    newer = LegalDocumentFactory(
        kind=LegalDocument.Kind.TERMS,
        changes_en="Sessions can be moved until 24 hours before they start.",
    )

    log_in(page, patient.email)

    expect(page).to_have_url(re.compile(r"/accounts/consent/\?next="))
    expect(page.get_by_role("heading", name="Before you go on")).to_be_visible()
    expect(
        page.get_by_text("Sessions can be moved until 24 hours before they start.")
    ).to_be_visible()
    screenshot(page, "consent-new-version")
    page.goto("/messages/")  # nothing else before accepting
    expect(page.get_by_role("heading", name="Before you go on")).to_be_visible()

    with page.expect_navigation():
        page.get_by_role("button", name="Accept and go on").click()
    expect(page.get_by_text("Read the terms of use and tick this box to go on.")).to_be_visible()
    page.get_by_label(re.compile(r"^I accept the terms")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Accept and go on").click()

    expect(page).to_have_url(re.compile(r"/messages/$"))
    assert LegalAcceptance.objects.filter(user=patient, document=newer).exists()
    page.goto("/profile/")
    expect(
        page.get_by_role("link", name=f"Terms (English), version {newer.version}")
    ).to_be_visible()


def test_the_consent_pages_pass_wcag_checks(new_context):
    # axe is injected as an inline script: only this test's context bypasses the policy.
    axe_page = new_context(bypass_csp=True).new_page()
    legal_documents_publish()
    patient = PatientFactory()
    LegalDocumentFactory(kind=LegalDocument.Kind.TERMS)
    found = {}

    axe_page.goto("/accounts/signup/patient/")
    with axe_page.expect_navigation():
        axe_page.get_by_role("button", name="Create my account").click()  # every error shown
    found["sign-up with errors"] = violations(axe_page)
    log_in(axe_page, patient.email)
    found["consent"] = violations(axe_page)

    assert found == {"sign-up with errors": [], "consent": []}
