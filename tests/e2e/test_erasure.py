"""Delete my account, in the browser, and the erasure after the grace period under a controlled
clock (issue 17, item 3). A patient with a therapist, a thread (a message each way and a file)
and a session note finds Delete my account on their Privacy page; a wrong password is refused
plainly and changes nothing; the right one and the tick start the grace period and log them
out; their therapist sees a former patient. Another patient's pages know nothing of it and
cancel nothing (and read in French once they switch). Then the test runs the hourly sweep at a
moment past the grace period: the old email and password no longer log in, the thread is gone
from the therapist's pages, and the therapist's notes are still there, read-only, about a
"former patient (deleted account)". Every page's console stays clean."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import PatientProfile
from messaging.models import Attachment
from teletherapy.erasure import services
from tests.e2e.browser import REFUSED, log_in, watch
from tests.factories import PASSWORD, PatientFactory, TherapistFactory
from tests.factories.exports import ADDENDUM_WORDS, NOTE_WORDS, PATIENT_WORDS, make_record

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FORMER = "former patient (deleted account)"
LOGIN_REFUSED = "The email address and/or password you specified are not correct."


@pytest.fixture
def problems() -> list[str]:
    return []


@pytest.fixture
def open_page(browser, live_server_url, problems):
    """A page in a browser context of its own (one person's browser), watched."""
    contexts = []

    def open_(locale: str = "en-GB"):
        context = browser.new_context(
            base_url=live_server_url,
            locale=locale,
            timezone_id="Europe/Paris",
            viewport={"width": 1280, "height": 860},
        )
        contexts.append(context)
        page = context.new_page()
        watch(page, problems)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert [problem for problem in problems if not problem.startswith(REFUSED)] == []


def _profile(user) -> PatientProfile:
    return PatientProfile.objects.get(user=user)


def test_erasure_after_the_grace_period_under_a_controlled_clock(
    open_page, settings, private_media_dir, screenshot
):
    # The test's sweep deletes the files where the server stores them.
    settings.PRIVATE_MEDIA_ROOT = private_media_dir
    therapist = TherapistFactory(therapist_profile__display_name="Camille Laurent")
    patient = PatientFactory(email="robin@example.test", patient_profile__nickname="Robin")
    record = make_record(patient, therapist, TherapistFactory())
    patient.language = "en"  # (the record makes them French)
    patient.save(update_fields=["language"])
    conversation_url = reverse("conversation", kwargs={"pk": record.match.conversation.pk})
    notes_url = reverse("session_notes", kwargs={"pk": record.session.pk})
    stored_file = private_media_dir / record.attachment.file.name
    assert stored_file.is_file()

    # The therapist, in their own browser: Robin's thread, the message and the file.
    therapist_page = open_page()
    log_in(therapist_page, therapist.email, code=True)
    therapist_page.goto(conversation_url)
    expect(therapist_page.get_by_role("heading", name="With Robin")).to_be_visible()
    expect(therapist_page.get_by_text(PATIENT_WORDS)).to_be_visible()
    expect(therapist_page.get_by_role("link", name="sleep diary (week 1).pdf")).to_be_visible()

    # The patient finds Delete my account on their Privacy page.
    page = open_page()
    log_in(page, patient.email)
    page.get_by_role("link", name="Privacy", exact=True).click()
    section = page.locator("#delete-my-account")
    expect(section.get_by_role("heading", name="Delete my account")).to_be_visible()
    with page.expect_navigation():
        section.get_by_role("link", name="Delete my account…").click()
    expect(page.get_by_role("heading", name="Delete my account", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="What is deleted")).to_be_visible()
    expect(page.get_by_role("heading", name="What is kept, and why")).to_be_visible()
    screenshot(page, "privacy-delete")

    # A wrong password: a plain error, and nothing changed.
    understood = page.get_by_label(re.compile(r"^I understand that after the grace period"))
    page.get_by_label("Your password").fill("not-my-password")
    understood.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("This is not your password.")).to_be_visible()
    expect(page.get_by_role("heading", name="Delete my account", level=1)).to_be_visible()
    profile = _profile(patient)
    assert (profile.erasure_requested_at, profile.erasure_due_at) == (None, None)

    # The right password and the tick: the grace period starts, and they are logged out.
    page.get_by_label("Your password").fill(PASSWORD)
    understood.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Your account is to be deleted")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You are now logged out")
    due_at = _profile(patient).erasure_due_at
    assert due_at is not None
    page.goto(reverse("privacy"))
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()

    # Their therapist now sees a former patient, no longer Robin.
    therapist_page.goto(conversation_url)
    expect(therapist_page.get_by_role("heading", name=f"With {FORMER}")).to_be_visible()
    expect(therapist_page.get_by_role("heading", name="With Robin")).to_have_count(0)
    therapist_page.goto(reverse("conversations"))
    expect(therapist_page.get_by_role("link", name=FORMER)).to_be_visible()
    expect(therapist_page.get_by_role("link", name="Robin")).to_have_count(0)
    therapist_page.goto(reverse("home"))
    caseload = therapist_page.locator("#caseload-section")
    expect(caseload.get_by_role("link", name=FORMER)).to_be_visible()
    expect(caseload).not_to_contain_text("Robin")

    # Another patient: their pages act on their own account only (nothing to see of Robin's,
    # nothing of it to cancel); in French once they switch.
    other_page = open_page()
    other = PatientFactory(email="kim@example.test", patient_profile__nickname="Kim")
    log_in(other_page, other.email)
    other_page.goto(reverse("privacy_delete"))
    expect(other_page.get_by_role("heading", name="Delete my account", level=1)).to_be_visible()
    expect(other_page.get_by_text("Your account is to be deleted")).to_have_count(0)
    with other_page.expect_navigation():
        other_page.get_by_role("button", name="Français").click()
    expect(other_page.get_by_role("heading", name="Supprimer mon compte", level=1)).to_be_visible()
    expect(other_page.get_by_role("heading", name="Ce qui est supprimé")).to_be_visible()
    expect(other_page.get_by_label("Votre mot de passe")).to_be_visible()
    expect(other_page.get_by_role("button", name="Supprimer mon compte")).to_be_visible()
    token = other_page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    cancelled = other_page.request.post(
        reverse("privacy_delete_cancel"), form={"csrfmiddlewaretoken": token}
    )
    assert cancelled.ok  # followed to their own Delete my account page
    assert "il n’y a rien à annuler" in cancelled.text()
    assert _profile(patient).erasure_due_at == due_at  # Robin's still under way
    assert _profile(other).erasure_requested_at is None

    # The hourly sweep under a controlled clock: nothing before the grace period is over, the
    # erasure once it is (nobody waits 14 days).
    assert services.erasures_sweep(now=due_at - timedelta(minutes=1)) == 0
    assert services.erasures_sweep(now=due_at + timedelta(minutes=1)) == 1
    assert not stored_file.exists()
    assert not Attachment.objects.filter(pk=record.attachment.pk).exists()

    # The old email and password: the login page's usual refusal.
    page.goto(reverse("account_login"))
    page.get_by_label("Email").fill("robin@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(LOGIN_REFUSED)).to_be_visible()
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()

    # The therapist: the thread and its messages are gone from their pages...
    therapist_page.goto(reverse("conversations"))
    expect(therapist_page.get_by_role("heading", name="Messages", level=1)).to_be_visible()
    expect(therapist_page.get_by_role("link", name=FORMER)).to_have_count(0)
    expect(therapist_page.get_by_text("No conversation yet")).to_be_visible()
    assert therapist_page.request.get(conversation_url).status == 404
    therapist_page.goto(reverse("home"))
    expect(caseload.get_by_role("heading", name="Your patients")).to_be_visible()
    expect(caseload).not_to_contain_text(FORMER)
    expect(therapist_page.locator("body")).not_to_contain_text(PATIENT_WORDS)
    # ... and their notes are still theirs to read, read-only.
    therapist_page.goto(notes_url)
    expect(therapist_page.get_by_text(FORMER)).to_be_visible()
    expect(therapist_page.get_by_text(NOTE_WORDS)).to_be_visible()
    expect(therapist_page.get_by_text(ADDENDUM_WORDS)).to_be_visible()
    expect(therapist_page.get_by_text(re.compile(r"kept, read-only"))).to_be_visible()
    expect(therapist_page.get_by_role("button", name="Save the note")).to_have_count(0)
