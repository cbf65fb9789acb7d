"""Who may see what of an application: documents for their therapist and staff, photos and
public profiles of approved therapists for everyone (None otherwise: the views answer 404)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile

from accounts import selectors
from accounts.models import TherapistDocument, TherapistProfile
from tests.factories.accounts import (
    make_therapist,
)
from tests.files import (
    image_bytes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vetting_clock", "in_english")]

Status = TherapistProfile.VettingStatus
Kind = TherapistDocument.Kind


def test_a_document_is_for_its_therapist_and_staff_only(
    submitted_application, other_therapist, patient, staff
):
    document = submitted_application.documents.get(kind=Kind.LICENSE)

    for user in (submitted_application.user, staff):
        assert selectors.therapist_document_get_for_user(user=user, pk=document.pk) == document
    for user in (other_therapist, patient, AnonymousUser()):
        assert selectors.therapist_document_get_for_user(user=user, pk=document.pk) is None


def _with_photo(status: str) -> TherapistProfile:
    profile = make_therapist(status, complete=False)
    profile.photo.save("photo.jpg", ContentFile(image_bytes("JPEG")))
    return profile


def test_an_approved_therapists_photo_is_for_everyone(other_therapist, patient, staff):
    profile = _with_photo(Status.APPROVED)

    for user in (AnonymousUser(), patient, other_therapist, staff, profile.user):
        assert selectors.therapist_photo_get_for_user(user=user, pk=profile.pk) == profile


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.SUBMITTED, Status.SUSPENDED, Status.REJECTED]
)
def test_an_unapproved_therapists_photo_is_for_them_and_staff(
    status, other_therapist, patient, staff
):
    profile = _with_photo(status)

    for user in (staff, profile.user):
        assert selectors.therapist_photo_get_for_user(user=user, pk=profile.pk) == profile
    for user in (AnonymousUser(), patient, other_therapist):
        assert selectors.therapist_photo_get_for_user(user=user, pk=profile.pk) is None


def test_no_photo_is_nothing_even_for_the_owner(staff):
    profile = make_therapist(Status.APPROVED, complete=False)

    for user in (profile.user, staff, AnonymousUser()):
        assert selectors.therapist_photo_get_for_user(user=user, pk=profile.pk) is None


@pytest.mark.parametrize(
    "status",
    [
        Status.DRAFT,
        Status.SUBMITTED,
        Status.CHANGES_REQUESTED,
        Status.SUSPENDED,
        Status.REJECTED,
    ],
)
def test_only_approved_therapists_have_a_public_profile(status):
    hidden = make_therapist(status, complete=False)
    shown = make_therapist(Status.APPROVED, complete=False)

    assert selectors.therapist_public_get(pk=shown.pk) == shown
    assert selectors.therapist_public_get(pk=hidden.pk) is None


def test_patients_see_only_approved_active_therapists():
    shown = make_therapist(Status.APPROVED, complete=False)
    inactive = make_therapist(Status.APPROVED, complete=False)
    inactive.user.is_active = False
    inactive.user.save(update_fields=["is_active"])
    for status in Status.values:
        if status != Status.APPROVED:
            make_therapist(status, complete=False)

    assert list(selectors.therapists_visible_to_patients()) == [shown]
    assert selectors.therapist_public_get(pk=inactive.pk) is None
