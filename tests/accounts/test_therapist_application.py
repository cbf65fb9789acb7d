"""The therapist's application pages: steps saved as drafts, documents, submit, status."""

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import TherapistDocument, TherapistProfile, VettingDecision
from tests.factories import TherapistFactory
from tests.helpers import client_for, outbox_to

Status = TherapistProfile.VettingStatus
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 500), "teal").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def applicant(db):
    """A therapist who has just signed up: empty draft application, two-factor set up."""
    return TherapistFactory(
        email="applicant@example.test",
        therapist_profile__vetting_status=Status.DRAFT,
        therapist_profile__display_name="",
        therapist_profile__specialities=[],
        therapist_profile__accepting_new_patients=False,
        therapist_profile__languages=["fr"],
    )


@pytest.fixture
def applicant_client(applicant):
    return client_for(applicant)


def _step(name: str) -> str:
    return reverse("therapist_application_step", kwargs={"step": name})


ABOUT = {
    "display_name": "Dr Anna Novak",
    "gender": "woman",
    "time_zone": "Europe/Warsaw",
    "languages-TOTAL_FORMS": "3",
    "languages-INITIAL_FORMS": "1",
    "languages-0-language": "pl",
    "languages-0-level": "native",
    "languages-0-bio": "Pomagam osobom w kryzysie.",
    "languages-1-language": "en",
    "languages-1-level": "fluent",
    "languages-1-bio": "I help people through burnout.",
    "languages-2-language": "",
    "languages-2-level": "native",
    "languages-2-bio": "",
}

PRACTICE = {
    "specialities": ["burnout", "anxiety"],
    "approaches": ["cbt"],
    "modalities": ["video", "chat"],
    "faith": "",
    "caseload_limit": "20",
    "accepting_new_patients": "on",
}


def _credentials(**overrides) -> dict:
    today = date.today()
    return {
        "degree_level": "master",
        "degree_field": "Clinical psychology",
        "degree_institution": "University of Warsaw",
        "degree_year": "2012",
        "license_number": "PL-12345",
        "license_issuer": "Polish Psychological Association",
        "license_country": "PL",
        "license_expiry": (today + timedelta(days=400)).isoformat(),
        "licensed_countries": ["PL", "DE"],
        "practising_since": today.replace(year=today.year - 8).isoformat(),
        "clinical_hours": "5000",
    } | overrides


def _upload(client, kind: str, content: bytes = PDF, name: str = "scan.pdf"):
    return client.post(
        _step("documents"),
        {"kind": kind, "file": SimpleUploadedFile(name, content), "upload": "1"},
    )


def _fill_everything(client) -> None:
    assert client.post(_step("about"), ABOUT).status_code == 302
    assert client.post(_step("practice"), PRACTICE).status_code == 302
    assert client.post(_step("credentials"), _credentials()).status_code == 302
    assert _upload(client, "degree").status_code == 302
    assert _upload(client, "license").status_code == 302


# --- Steps ------------------------------------------------------------------------------------


def test_a_new_therapist_lands_on_their_application(applicant_client):
    response = applicant_client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("therapist_application")
    page = applicant_client.get(response.url)
    assert page.status_code == 200
    assert "Draft" in page.text
    assert "To complete" in page.text


def test_an_approved_therapist_lands_on_their_dashboard(therapist_client):
    assert therapist_client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("step", ["about", "practice", "credentials", "documents"])
def test_every_step_renders(applicant_client, step):
    response = applicant_client.get(_step(step))
    assert response.status_code == 200
    assert 'aria-current="step"' in response.text


def test_an_unknown_step_is_404(applicant_client):
    assert applicant_client.get(_step("payment")).status_code == 404


def test_about_step_saves_languages_bios_and_time_zone(applicant_client, applicant):
    response = applicant_client.post(_step("about"), ABOUT | {"continue": "1"})
    assert response.status_code == 302
    assert response.url == _step("practice")
    profile = TherapistProfile.objects.get(pk=applicant.pk)
    assert profile.display_name == "Dr Anna Novak"
    assert sorted(profile.languages.values_list("language", "level")) == [
        ("en", "fluent"),
        ("pl", "native"),
    ]
    assert profile.bios == {
        "pl": "Pomagam osobom w kryzysie.",
        "en": "I help people through burnout.",
    }
    applicant.refresh_from_db()
    assert applicant.time_zone == "Europe/Warsaw"


def test_about_step_with_a_language_twice_is_refused(applicant_client, applicant):
    data = ABOUT | {"languages-1-language": "pl"}
    response = applicant_client.post(_step("about"), data)
    assert response.status_code == 422
    assert "Each language can be listed once." in response.text
    assert list(applicant.therapist_profile.languages.values_list("language", flat=True)) == ["fr"]
    applicant.therapist_profile.refresh_from_db()
    assert applicant.therapist_profile.display_name == ""


@pytest.mark.parametrize("total", ["13", "1000", "99999999999999999999999999999"])
def test_about_step_with_more_than_twelve_languages_is_refused_with_twelve_rows(
    applicant_client, applicant, total
):
    # Django's default would build (and re-render) up to a thousand and twelve forms: seconds of
    # CPU and megabytes of page for one request.
    response = applicant_client.post(_step("about"), ABOUT | {"languages-TOTAL_FORMS": total})
    assert response.status_code == 422
    assert "You can list at most 12 languages." in response.text
    assert response.text.count('name="languages-11-language"') == 1
    assert 'name="languages-12-language"' not in response.text
    assert list(applicant.therapist_profile.languages.values_list("language", flat=True)) == ["fr"]


def test_too_many_languages_is_said_in_french(applicant):
    applicant.language = "fr"
    applicant.save(update_fields=["language"])
    data = ABOUT | {"languages-TOTAL_FORMS": "13"}
    response = client_for(applicant).post(_step("about"), data)
    assert response.status_code == 422
    assert "Vous pouvez indiquer 12 langues au plus." in response.text


def test_about_step_without_a_name_is_refused(applicant_client, applicant):
    response = applicant_client.post(_step("about"), ABOUT | {"display_name": " "})
    assert response.status_code == 422
    assert "This field is required." in response.text


def test_about_step_photo_is_resized_and_served(applicant_client, applicant):
    photo = SimpleUploadedFile("me.png", _png(), content_type="image/png")
    response = applicant_client.post(_step("about"), ABOUT | {"photo": photo})
    assert response.status_code == 302
    profile = TherapistProfile.objects.get(pk=applicant.pk)
    served = applicant_client.get(reverse("therapist_photo", kwargs={"pk": profile.pk}))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert image.format == "JPEG"
    assert max(image.size) == 600


def test_about_step_refuses_a_photo_that_is_not_an_image(applicant_client, applicant):
    fake = SimpleUploadedFile("me.jpg", PDF, content_type="image/jpeg")
    response = applicant_client.post(_step("about"), ABOUT | {"photo": fake})
    assert response.status_code == 422
    assert "whatever its name" in response.text
    profile = TherapistProfile.objects.get(pk=applicant.pk)
    assert not profile.photo
    assert profile.display_name == ""  # nothing half-saved


def test_practice_step_saves(applicant_client, applicant):
    assert applicant_client.post(_step("practice"), PRACTICE).status_code == 302
    profile = TherapistProfile.objects.get(pk=applicant.pk)
    assert profile.specialities == ["anxiety", "burnout"]
    assert profile.modalities == ["chat", "video"]
    assert profile.caseload_limit == 20


def test_practice_step_refuses_an_unknown_speciality_and_a_zero_caseload(applicant_client):
    data = PRACTICE | {"specialities": ["astrology"], "caseload_limit": "0"}
    response = applicant_client.post(_step("practice"), data)
    assert response.status_code == 422
    assert "Select a valid choice" in response.text
    assert "greater than or equal to 1" in response.text


def test_credentials_step_saves_a_partial_draft(applicant_client, applicant):
    data = dict.fromkeys(_credentials(), "") | {
        "license_number": "PL-1",
        "licensed_countries": [],
    }
    assert applicant_client.post(_step("credentials"), data).status_code == 302
    profile = TherapistProfile.objects.get(pk=applicant.pk)
    assert profile.license_number == "PL-1"
    assert profile.clinical_hours is None


def test_credentials_step_refuses_a_future_start_of_practice(applicant_client, applicant):
    # Two days ahead: still to come in the applicant's zone whatever the hour here (one day
    # ahead of the server's date is today in Paris between midnight there and midnight UTC).
    coming = (date.today() + timedelta(days=2)).isoformat()
    response = applicant_client.post(_step("credentials"), _credentials(practising_since=coming))
    assert response.status_code == 422
    assert "This date has not come yet." in response.text
    assert TherapistProfile.objects.get(pk=applicant.pk).license_number == ""


# --- Documents --------------------------------------------------------------------------------


def test_documents_upload_list_download_and_remove(applicant_client, applicant):
    assert _upload(applicant_client, "degree", name="diplome.pdf").status_code == 302
    document = TherapistDocument.objects.get(therapist=applicant.pk)
    assert document.content_type == "application/pdf"
    page = applicant_client.get(_step("documents"))
    assert "diplome.pdf" in page.text

    download = applicant_client.get(reverse("therapist_document", kwargs={"pk": document.pk}))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"]
    assert b"".join(download.streaming_content) == PDF

    removed = applicant_client.post(
        reverse("therapist_document_delete", kwargs={"pk": document.pk})
    )
    assert removed.status_code == 302
    assert not TherapistDocument.objects.filter(pk=document.pk).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("degree.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "whatever its name"),
        ("degree.pdf", b"", "The submitted file is empty."),
        ("degree.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 + 1), "the limit is 10"),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_kept(
    applicant_client, applicant, settings, name, content, message
):
    response = _upload(applicant_client, "degree", content=content, name=name)
    assert response.status_code == 422
    assert message in response.text
    assert not TherapistDocument.objects.filter(therapist=applicant.pk).exists()
    stored = settings.PRIVATE_MEDIA_ROOT / "therapist-documents"
    assert not stored.exists() or not any(stored.iterdir())


def test_document_access(applicant, other_therapist, patient, staff):
    applicant_client = client_for(applicant)
    _upload(applicant_client, "license")
    url = reverse("therapist_document", kwargs={"pk": TherapistDocument.objects.get().pk})
    assert applicant_client.get(url).status_code == 200
    assert client_for(staff).get(url).status_code == 200
    assert client_for(other_therapist).get(url).status_code == 404
    assert client_for(patient).get(url).status_code == 404
    anonymous = client_for(patient)
    anonymous.logout()
    response = anonymous.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_another_therapist_cannot_remove_a_document(applicant, other_therapist):
    _upload(client_for(applicant), "license")
    document = TherapistDocument.objects.get()
    url = reverse("therapist_document_delete", kwargs={"pk": document.pk})
    assert client_for(other_therapist).post(url).status_code == 404
    assert TherapistDocument.objects.filter(pk=document.pk).exists()


@pytest.mark.parametrize("step", ["about", "documents"])
def test_patients_and_visitors_have_no_application(patient_client, client, step):
    assert patient_client.get(_step(step)).status_code == 404
    assert patient_client.get(reverse("therapist_application")).status_code == 404
    assert client.get(_step(step)).status_code == 302


# --- Submit and status ------------------------------------------------------------------------


def test_an_incomplete_application_cannot_be_submitted(applicant_client, applicant):
    applicant_client.post(_step("about"), ABOUT)
    response = applicant_client.post(reverse("therapist_application_submit"), follow=True)
    assert "Still missing:" in response.text
    assert "a degree document" in response.text
    assert TherapistProfile.objects.get(pk=applicant.pk).vetting_status == Status.DRAFT
    assert not VettingDecision.objects.exists()


def test_a_complete_application_is_submitted_then_locked(
    applicant_client, applicant, staff, django_capture_on_commit_callbacks
):
    _fill_everything(applicant_client)
    page = applicant_client.get(reverse("therapist_application"))
    assert "To complete" not in page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = applicant_client.post(reverse("therapist_application_submit"), follow=True)
    assert "Submitted for review" in response.text
    profile = TherapistProfile.objects.get(pk=applicant.pk)
    assert profile.vetting_status == Status.SUBMITTED
    decision = VettingDecision.objects.get()
    assert (decision.actor, decision.from_status, decision.to_status) == (
        applicant,
        Status.DRAFT,
        Status.SUBMITTED,
    )
    assert len(outbox_to(staff.email)) == 1

    # Under review, nothing changes: not the credentials, not the profile, not the documents.
    locked = applicant_client.post(_step("credentials"), _credentials(clinical_hours="9999"))
    assert locked.status_code == 409
    assert TherapistProfile.objects.get(pk=applicant.pk).clinical_hours == 5000
    assert applicant_client.post(_step("about"), ABOUT | {"display_name": "X"}).status_code == 409
    assert _upload(applicant_client, "degree").status_code == 409
    assert TherapistDocument.objects.filter(therapist=applicant.pk).count() == 2
    again = applicant_client.post(reverse("therapist_application_submit"), follow=True)
    assert "already been sent" in again.text


def test_changes_requested_shows_the_staff_message_and_reopens_the_application(
    applicant_client, applicant, staff
):
    from accounts import services

    _fill_everything(applicant_client)
    applicant_client.post(reverse("therapist_application_submit"))
    services.therapist_vetting_decide(
        profile=applicant.therapist_profile,
        action="request_changes",
        actor=staff,
        reason="Please upload the second page of your license.",
    )
    page = applicant_client.get(reverse("therapist_application"))
    assert "Changes requested" in page.text
    assert "Please upload the second page of your license." in page.text
    assert _upload(applicant_client, "license", name="page2.pdf").status_code == 302
    applicant_client.post(reverse("therapist_application_submit"))
    profile = TherapistProfile.objects.get(pk=applicant.pk)
    assert profile.vetting_status == Status.SUBMITTED


def test_an_approved_therapist_edits_their_profile_but_not_their_credentials(
    therapist_client, therapist
):
    assert therapist_client.post(_step("about"), ABOUT).status_code == 302
    assert TherapistProfile.objects.get(pk=therapist.pk).display_name == "Dr Anna Novak"
    page = therapist_client.get(_step("credentials"))
    assert page.status_code == 200
    assert "cannot be changed" in page.text
    assert therapist_client.post(_step("credentials"), _credentials()).status_code == 409
    assert TherapistProfile.objects.get(pk=therapist.pk).license_number == ""


# --- Public profile ---------------------------------------------------------------------------


def test_public_profile_of_an_approved_therapist(client, therapist):
    profile = therapist.therapist_profile
    profile.bios = {"fr": "Je vous accompagne.", "en": "I walk with you."}
    profile.save()
    url = reverse("therapist_public", kwargs={"pk": profile.pk})
    english = client.get(url, headers={"accept-language": "en"})
    assert english.status_code == 200
    assert "Credentials verified" in english.text
    assert "I walk with you." in english.text
    assert "Je vous accompagne." not in english.text
    french = client.get(url, headers={"accept-language": "fr"})
    assert "Je vous accompagne." in french.text


@pytest.mark.parametrize(
    "status",
    [Status.DRAFT, Status.SUBMITTED, Status.CHANGES_REQUESTED, Status.REJECTED, Status.SUSPENDED],
)
def test_no_public_profile_unless_approved(client, patient_client, status):
    therapist = TherapistFactory(therapist_profile__vetting_status=status)
    url = reverse("therapist_public", kwargs={"pk": therapist.pk})
    assert client.get(url).status_code == 404
    assert patient_client.get(url).status_code == 404


def test_photo_of_an_unapproved_therapist_is_private(applicant, patient, staff, client):
    applicant_client = client_for(applicant)
    photo = SimpleUploadedFile("me.png", _png(), content_type="image/png")
    applicant_client.post(_step("about"), ABOUT | {"photo": photo})
    url = reverse("therapist_photo", kwargs={"pk": applicant.pk})
    assert applicant_client.get(url).status_code == 200
    assert client_for(staff).get(url).status_code == 200
    assert client_for(patient).get(url).status_code == 404
    assert client.get(url).status_code == 404
