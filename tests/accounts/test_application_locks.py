"""What a therapist may change when: credentials and documents until the application is
sent (or staff ask for changes), "about you" and "your practice" also once approved."""

import pytest

from accounts import services
from accounts.models import TherapistDocument, TherapistProfile
from accounts.services import ApplicationLocked
from tests.factories.accounts import (
    KNOWN_CREDENTIALS,
    OTHER_CREDENTIALS,
    about_update,
    make_therapist,
    practice_update,
)
from tests.files import (
    pdf_bytes,
    stored_files,
    upload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vetting_clock", "in_english")]

Status = TherapistProfile.VettingStatus
Kind = TherapistDocument.Kind


@pytest.mark.parametrize("status", [Status.DRAFT, Status.CHANGES_REQUESTED])
def test_credentials_and_documents_change_before_sending(status, settings):
    profile = make_therapist(status)
    document = profile.documents.get(kind=Kind.LICENSE)

    services.therapist_credentials_update(profile=profile, **OTHER_CREDENTIALS)
    services.therapist_document_delete(profile=profile, document_id=document.pk)
    services.therapist_document_add(
        profile=profile, kind=Kind.LICENSE, upload=upload("new.pdf", pdf_bytes())
    )

    profile.refresh_from_db()
    assert profile.license_number == "BE-12345"
    assert profile.documents.filter(kind=Kind.LICENSE).get().original_name == "new.pdf"


@pytest.mark.parametrize(
    "status", [Status.SUBMITTED, Status.APPROVED, Status.REJECTED, Status.SUSPENDED]
)
def test_credentials_and_documents_are_locked_once_sent(status, settings):
    profile = make_therapist(status)
    document = profile.documents.get(kind=Kind.LICENSE)
    files = stored_files(settings)

    with pytest.raises(ApplicationLocked):
        services.therapist_credentials_update(profile=profile, **OTHER_CREDENTIALS)
    with pytest.raises(ApplicationLocked):
        services.therapist_document_add(
            profile=profile, kind=Kind.LICENSE, upload=upload("new.pdf", pdf_bytes())
        )
    with pytest.raises(ApplicationLocked):
        services.therapist_document_delete(profile=profile, document_id=document.pk)

    profile.refresh_from_db()
    assert profile.license_number == KNOWN_CREDENTIALS["license_number"]
    assert profile.documents.count() == 2
    assert stored_files(settings) == files


@pytest.mark.parametrize("status", [Status.APPROVED, Status.SUSPENDED, Status.DRAFT])
def test_about_and_practice_stay_editable_while_approved(status):
    profile = make_therapist(status)

    about_update(profile)
    practice_update(profile)

    profile.refresh_from_db()
    assert profile.display_name == "Ana Lopes"
    assert profile.modalities == ["phone", "video"]
    assert profile.vetting_status == status


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.REJECTED])
def test_about_and_practice_are_locked_under_review_and_after_rejection(status):
    profile = make_therapist(status)

    with pytest.raises(ApplicationLocked):
        about_update(profile)
    with pytest.raises(ApplicationLocked):
        practice_update(profile)
