"""Therapist vetting at the service and selector level: the approval criteria and their
boundaries, the state machine, the audit trail and emails, the locks on a sent application,
the license expiry sweep, credential uploads and photos, and who may see what."""

import io
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone, translation
from PIL import ExifTags, Image

from accounts import selectors, services
from accounts.choices import DegreeLevel
from accounts.models import TherapistDocument, TherapistProfile, VettingDecision
from accounts.services import ApplicationLocked, VettingError
from accounts.signals import therapist_vetting_changed
from accounts.tasks import sweep_expired_licenses
from teletherapy import uploads
from tests.factories import (
    PatientFactory,
    StaffFactory,
    TherapistDocumentFactory,
    TherapistFactory,
)
from tests.helpers import outbox_to

pytestmark = pytest.mark.django_db

Status = TherapistProfile.VettingStatus
Kind = TherapistDocument.Kind

NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
MB = 1024 * 1024

# Credential values the tests look for (never in an email, say); the factory fills in the rest.
KNOWN_CREDENTIALS = {
    "license_number": "ADELI-759312345",
    "degree_institution": "Université Paris Cité",
    "degree_field": "Clinical psychology",
    "clinical_hours": 2400,
}
REASON = "Checked the diploma with the university registrar."


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _in_english():
    # The messages checked below are the English ones, whatever an earlier test activated.
    with translation.override("en"):
        yield


@pytest.fixture
def vetting_events():
    """Every ``therapist_vetting_changed`` sent while the test runs, as keyword dicts."""
    received = []

    def receiver(sender, **kwargs):
        kwargs.pop("signal", None)
        received.append(kwargs)

    therapist_vetting_changed.connect(receiver, weak=False)
    yield received
    therapist_vetting_changed.disconnect(receiver)


# --- Files ---------------------------------------------------------------------------------------


def pdf_bytes(size: int | None = None) -> bytes:
    head, tail = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\n%%EOF\n"
    if size is None:
        return head + b"1 0 obj << /Type /Catalog >> endobj" + tail
    return head + b"0" * (size - len(head) - len(tail)) + tail


def image_bytes(fmt: str, size=(40, 30), color="teal", **save_options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save_options)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf"):
    # The browser's content type is deliberately plausible: the code must not believe it.
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings) -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


EXECUTABLE_PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
EXECUTABLE_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64


# --- Therapists ----------------------------------------------------------------------------------


BOTH = (Kind.DEGREE, Kind.LICENSE)


def make_therapist(
    status: str = Status.SUBMITTED,
    *,
    complete: bool = True,
    credentials: dict | None = None,
    documents: tuple[str, ...] = BOTH,
    language: str = "en",
    **fields,
) -> TherapistProfile:
    """A therapist in ``status`` whose application is complete (the factory's credentials that
    meet every criterion on TODAY, a degree and a license document), unless ``complete=False``.

    ``credentials`` replaces some of those values (None and "" included); ``documents`` lists
    the kinds of document to attach instead of one of each.
    """
    fields = {"vetting_status": status, "modalities": ["video", "chat"]} | fields
    if complete:
        fields["credentials"] = True
        values = KNOWN_CREDENTIALS | (credentials or {})
        fields |= {f"credentials__{name}": value for name, value in values.items()}
    user = TherapistFactory(
        language=language, **{f"therapist_profile__{name}": v for name, v in fields.items()}
    )
    profile = TherapistProfile.objects.get(user=user)
    if complete and tuple(documents) != BOTH:
        profile.documents.all().delete()
        for kind in documents:
            TherapistDocumentFactory(therapist=profile, kind=kind)
    return profile


@pytest.fixture
def applicant(db):
    return make_therapist(Status.SUBMITTED)


def decide(profile, action="approve", *, actor, reason=REASON, today=TODAY):
    return services.therapist_vetting_decide(
        profile=profile, action=action, actor=actor, reason=reason, today=today
    )


def assert_refused(profile, call, *expected_words, captured):
    """``call`` raises a VettingError naming each of ``expected_words`` and changes nothing."""
    before = profile.vetting_status
    with captured(execute=True), pytest.raises(VettingError) as refusal:
        call()
    message = str(refusal.value)
    for words in expected_words:
        assert words in message
    profile.refresh_from_db()
    assert profile.vetting_status == before
    assert not VettingDecision.objects.filter(therapist=profile).exists()
    assert mail.outbox == []
    return message


# --- Approval criteria and their boundaries ------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "accepted", "missing"),
    [
        ({"clinical_hours": 1999}, False, "at least 2,000 clinical hours"),
        ({"clinical_hours": 2000}, True, ""),
        ({"clinical_hours": None}, False, "at least 2,000 clinical hours"),
        (
            {"practising_since": TODAY - relativedelta(years=3) + timedelta(days=1)},
            False,
            "at least 3 years of clinical experience",
        ),
        ({"practising_since": TODAY - relativedelta(years=3)}, True, ""),
        ({"practising_since": None}, False, "at least 3 years of clinical experience"),
        ({"license_expiry": TODAY - timedelta(days=1)}, False, "a license that has not expired"),
        ({"license_expiry": TODAY}, True, ""),
        ({"license_expiry": None}, False, "a license that has not expired"),
        ({"degree_level": DegreeLevel.BACHELOR}, False, "Master"),
        ({"degree_level": ""}, False, "Master"),
        ({"degree_level": DegreeLevel.MASTER}, True, ""),
        ({"degree_level": DegreeLevel.DOCTORATE}, True, ""),
        ({"license_number": ""}, False, "a license or registration number"),
        ({"license_number": "   "}, False, "a license or registration number"),
        ({"documents": [Kind.LICENSE]}, False, "a degree document"),
        ({"documents": [Kind.DEGREE]}, False, "a license document"),
        ({"documents": [Kind.DEGREE, Kind.DEGREE]}, False, "a license document"),
    ],
    ids=lambda value: repr(value)[:60] if isinstance(value, dict) else None,
)
def test_approval_criteria_boundaries(
    overrides, accepted, missing, staff, django_capture_on_commit_callbacks
):
    credentials = dict(overrides)
    documents = credentials.pop("documents", BOTH)
    profile = make_therapist(
        Status.SUBMITTED, display_name="Ana Lopes", credentials=credentials, documents=documents
    )

    if accepted:
        assert selectors.therapist_approval_shortfalls(profile=profile, today=TODAY) == []
        decide(profile, actor=staff)
        profile.refresh_from_db()
        assert profile.vetting_status == Status.APPROVED
    else:
        shortfalls = selectors.therapist_approval_shortfalls(profile=profile, today=TODAY)
        assert len(shortfalls) == 1
        assert missing in shortfalls[0]
        assert_refused(
            profile,
            lambda: decide(profile, actor=staff),
            "Ana Lopes cannot be approved",
            missing,
            captured=django_capture_on_commit_callbacks,
        )


def test_every_shortfall_is_named_at_once(staff, django_capture_on_commit_callbacks):
    profile = make_therapist(Status.SUBMITTED, complete=False)

    message = assert_refused(
        profile,
        lambda: decide(profile, actor=staff),
        captured=django_capture_on_commit_callbacks,
    )

    for missing in (
        "Master",
        "3 years",
        "2,000 clinical hours",
        "license or registration number",
        "has not expired",
        "a degree document",
        "a license document",
    ):
        assert missing in message


@pytest.mark.parametrize(
    ("today", "since", "accepted"),
    [
        # Into a leap day: three years on 29 February 2028 from 28 February 2025.
        (date(2028, 2, 29), date(2025, 2, 28), True),
        (date(2028, 2, 29), date(2025, 3, 1), False),
        (date(2028, 2, 28), date(2025, 2, 28), True),
        (date(2028, 2, 27), date(2025, 2, 28), False),
        # From a leap day: its anniversary in a common year is 28 February.
        (date(2027, 2, 28), date(2024, 2, 29), True),
        (date(2027, 2, 27), date(2024, 2, 29), False),
        (date(2027, 3, 1), date(2024, 2, 29), True),
    ],
)
def test_years_of_experience_across_29_february(
    today, since, accepted, staff, django_capture_on_commit_callbacks
):
    profile = make_therapist(
        Status.SUBMITTED,
        credentials={"practising_since": since, "license_expiry": date(2030, 12, 31)},
    )

    assert (selectors.therapist_experience_years(profile=profile, today=today) >= 3) is accepted
    if accepted:
        decide(profile, actor=staff, today=today)
        profile.refresh_from_db()
        assert profile.is_approved
    else:
        assert_refused(
            profile,
            lambda: decide(profile, actor=staff, today=today),
            "at least 3 years of clinical experience",
            captured=django_capture_on_commit_callbacks,
        )


def test_a_license_is_valid_through_its_last_day_by_the_clock(staff):
    """Without ``today=``, the decision uses the current date of the site's clock."""
    profile = make_therapist(Status.SUBMITTED, credentials={"license_expiry": date(2026, 7, 1)})

    too_late = time_machine.travel(datetime(2026, 7, 2, 0, 0, tzinfo=UTC), tick=False)
    with too_late, pytest.raises(VettingError, match="has not expired"):
        services.therapist_vetting_decide(
            profile=profile, action="approve", actor=staff, reason=REASON
        )
    with time_machine.travel(datetime(2026, 7, 1, 23, 59, tzinfo=UTC), tick=False):
        services.therapist_vetting_decide(
            profile=profile, action="approve", actor=staff, reason=REASON
        )

    profile.refresh_from_db()
    assert profile.is_approved


def test_the_day_is_the_sites_whoever_asks(staff, django_capture_on_commit_callbacks):
    """Staff in Paris at 00:30 on 2 July (22:30 UTC on 1 July) judge as the sweep does."""
    applicant = make_therapist(Status.SUBMITTED, credentials={"license_expiry": date(2026, 7, 1)})
    approved = make_therapist(Status.APPROVED, credentials={"license_expiry": date(2026, 7, 1)})

    late_evening = time_machine.travel(datetime(2026, 7, 1, 22, 30, tzinfo=UTC), tick=False)
    with late_evening, timezone.override("Europe/Paris"):
        assert timezone.localdate() == date(2026, 7, 2)
        assert selectors.vetting_today() == date(2026, 7, 1)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.licenses_expired_suspend() == 0
            services.therapist_vetting_decide(
                profile=applicant, action="approve", actor=staff, reason=REASON
            )

    applicant.refresh_from_db()
    approved.refresh_from_db()
    assert applicant.is_approved
    assert approved.is_approved


@pytest.mark.parametrize(
    ("setting", "value", "refused", "accepted", "missing"),
    [
        (
            "VETTING_MIN_CLINICAL_HOURS",
            2500,
            {"clinical_hours": 2499},
            {"clinical_hours": 2500},
            "at least 2,500 clinical hours",
        ),
        (
            "VETTING_MIN_CLINICAL_HOURS",
            1000,
            {"clinical_hours": 999},
            {"clinical_hours": 1000},
            "at least 1,000 clinical hours",
        ),
        (
            "VETTING_MIN_EXPERIENCE_YEARS",
            5,
            {"practising_since": TODAY - relativedelta(years=5) + timedelta(days=1)},
            {"practising_since": TODAY - relativedelta(years=5)},
            "at least 5 years of clinical experience",
        ),
        (
            "VETTING_MIN_DEGREE_LEVEL",
            "doctorate",
            {"degree_level": DegreeLevel.MASTER},
            {"degree_level": DegreeLevel.DOCTORATE},
            "Doctorate",
        ),
        (
            "VETTING_MIN_DEGREE_LEVEL",
            "bachelor",
            {"degree_level": ""},
            {"degree_level": DegreeLevel.BACHELOR},
            "Bachelor",
        ),
    ],
)
def test_thresholds_come_from_settings(settings, setting, value, refused, accepted, missing):
    setattr(settings, setting, value)
    below = make_therapist(credentials=refused)
    at = make_therapist(credentials=accepted)

    [shortfall] = selectors.therapist_approval_shortfalls(profile=below, today=TODAY)
    assert missing in shortfall
    assert selectors.therapist_approval_shortfalls(profile=at, today=TODAY) == []


# --- The state machine ---------------------------------------------------------------------------

# (from, action, to): every move the vetting may make; "submit" is the therapist's.
LEGAL = [
    (Status.DRAFT, "submit", Status.SUBMITTED),
    (Status.CHANGES_REQUESTED, "submit", Status.SUBMITTED),
    (Status.SUBMITTED, "approve", Status.APPROVED),
    (Status.SUBMITTED, "request_changes", Status.CHANGES_REQUESTED),
    (Status.SUSPENDED, "request_changes", Status.CHANGES_REQUESTED),
    (Status.SUBMITTED, "reject", Status.REJECTED),
    (Status.CHANGES_REQUESTED, "reject", Status.REJECTED),
    (Status.APPROVED, "suspend", Status.SUSPENDED),
    (Status.SUSPENDED, "reinstate", Status.APPROVED),
]
ACTIONS = ["submit", *services.VETTING_ACTIONS]
ILLEGAL = [
    (status, action)
    for status in Status.values
    for action in ACTIONS
    if (status, action) not in {(source, name) for source, name, _to in LEGAL}
]


def act(profile, action, *, staff, reason=REASON):
    if action == "submit":
        return services.therapist_application_submit(profile=profile)
    return decide(profile, action, actor=staff, reason=reason)


def test_the_machine_is_exactly_the_documented_one():
    machine = {
        (source, name, action.target)
        for name, action in services.VETTING_ACTIONS.items()
        for source in action.sources
    }

    assert machine == {move for move in LEGAL if move[1] != "submit"}


@pytest.mark.parametrize(("from_status", "action", "to_status"), LEGAL)
def test_each_legal_transition_is_recorded_and_announced_after_commit(
    from_status, action, to_status, staff, vetting_events, django_capture_on_commit_callbacks
):
    profile = make_therapist(from_status)
    actor = profile.user if action == "submit" else staff

    with django_capture_on_commit_callbacks(execute=True):
        decision = act(profile, action, staff=staff)
        assert vetting_events == []  # nothing is announced before the commit

    profile.refresh_from_db()
    assert profile.vetting_status == to_status
    assert profile.vetting_status_changed_at == NOW
    assert list(
        profile.vetting_decisions.values("actor", "from_status", "to_status", "reason")
    ) == [
        {
            "actor": actor.pk,
            "from_status": from_status,
            "to_status": to_status,
            "reason": "" if action == "submit" else REASON,
        }
    ]
    assert decision.created_at == NOW
    assert vetting_events == [
        {"therapist_id": profile.pk, "from_status": from_status, "to_status": to_status}
    ]


@pytest.mark.parametrize(("from_status", "action"), ILLEGAL)
def test_every_other_transition_is_refused_and_writes_nothing(
    from_status, action, staff, vetting_events, django_capture_on_commit_callbacks
):
    profile = make_therapist(from_status)

    assert_refused(
        profile,
        lambda: act(profile, action, staff=staff),
        "already been sent" if action == "submit" else "cannot become",
        captured=django_capture_on_commit_callbacks,
    )

    assert vetting_events == []
    assert action not in services.vetting_actions_allowed(profile=profile)


def test_a_refused_move_says_from_what_to_what(applicant, staff):
    with pytest.raises(VettingError) as refusal:
        decide(applicant, "suspend", actor=staff)

    assert "Submitted for review" in str(refusal.value)
    assert "Suspended" in str(refusal.value)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t "])
def test_a_decision_needs_a_reason(reason, applicant, staff, django_capture_on_commit_callbacks):
    assert_refused(
        applicant,
        lambda: decide(applicant, actor=staff, reason=reason),
        "Give a reason",
        captured=django_capture_on_commit_callbacks,
    )


def test_the_reason_is_kept_trimmed(applicant, staff):
    decision = decide(applicant, "request_changes", actor=staff, reason="  Scan is blurry.\n")

    assert decision.reason == "Scan is blurry."


@pytest.mark.parametrize("who", ["the therapist", "another therapist", "a patient"])
def test_only_staff_decide(who, applicant, django_capture_on_commit_callbacks):
    actor = {
        "the therapist": applicant.user,
        "another therapist": TherapistFactory(),
        "a patient": PatientFactory(),
    }[who]

    assert_refused(
        applicant,
        lambda: decide(applicant, actor=actor),
        "Only staff",
        captured=django_capture_on_commit_callbacks,
    )


def test_an_unknown_decision_is_refused(applicant, staff, django_capture_on_commit_callbacks):
    assert_refused(
        applicant,
        lambda: decide(applicant, "delete", actor=staff),
        "Unknown decision",
        captured=django_capture_on_commit_callbacks,
    )


def test_reinstating_needs_the_criteria_met_again(staff, django_capture_on_commit_callbacks):
    profile = make_therapist(
        Status.SUSPENDED, credentials={"license_expiry": TODAY - timedelta(days=1)}
    )

    assert_refused(
        profile,
        lambda: decide(profile, "reinstate", actor=staff),
        "a license that has not expired",
        captured=django_capture_on_commit_callbacks,
    )


@pytest.mark.parametrize("from_status", [Status.DRAFT, Status.CHANGES_REQUESTED])
def test_an_incomplete_application_cannot_be_sent(
    from_status, staff, django_capture_on_commit_callbacks
):
    profile = make_therapist(
        from_status, modalities=[], credentials={"license_number": ""}, documents=[Kind.DEGREE]
    )

    message = assert_refused(
        profile,
        lambda: services.therapist_application_submit(profile=profile),
        "Still missing",
        "modalities",
        "license or registration number",
        "a license document",
        captured=django_capture_on_commit_callbacks,
    )

    assert "a degree document" not in message


def test_a_sent_application_cannot_be_sent_again(applicant, django_capture_on_commit_callbacks):
    assert_refused(
        applicant,
        lambda: services.therapist_application_submit(profile=applicant),
        "already been sent",
        captured=django_capture_on_commit_callbacks,
    )


# --- Emails --------------------------------------------------------------------------------------

SUBJECTS = {
    "approve": "Your application is approved",
    "request_changes": "Your application: changes requested",
    "reject": "Your application: our decision",
    "suspend": "Your profile is suspended",
    "reinstate": "Your profile is active again",
}


@pytest.mark.parametrize(
    ("from_status", "action", "to_status"), [m for m in LEGAL if m[1] != "submit"]
)
def test_the_therapist_is_emailed_the_decision_and_the_next_step_never_the_reason(
    from_status, action, to_status, staff, django_capture_on_commit_callbacks
):
    profile = make_therapist(from_status)

    with django_capture_on_commit_callbacks(execute=True):
        decide(profile, action, actor=staff)
        assert mail.outbox == []  # sent only once the decision is committed

    [email] = mail.outbox
    assert email.to == [profile.user.email]
    assert SUBJECTS[action] in email.subject
    assert "Next step" in email.body
    assert "/practice/application/" in email.body
    for secret in (REASON, *map(str, KNOWN_CREDENTIALS.values())):
        assert secret not in email.subject + email.body


def test_the_therapist_is_emailed_in_their_own_language(staff, django_capture_on_commit_callbacks):
    profile = make_therapist(Status.SUBMITTED, language="fr")

    with django_capture_on_commit_callbacks(execute=True):
        decide(profile, actor=staff)

    [email] = mail.outbox
    assert "Bonjour" in email.body
    assert "Hello" not in email.body
    assert REASON not in email.body


def test_sending_the_application_emails_staff_not_the_therapist(
    django_capture_on_commit_callbacks,
):
    staff = StaffFactory(email="vetting@example.test")
    StaffFactory(email="former@example.test", is_active=False)
    profile = make_therapist(Status.DRAFT)

    with django_capture_on_commit_callbacks(execute=True):
        services.therapist_application_submit(profile=profile)
        assert mail.outbox == []

    [email] = mail.outbox
    assert email.to == [staff.email]
    assert "awaits review" in email.subject
    assert f"/admin/accounts/therapistprofile/{profile.pk}/change/" in email.body
    for secret in (*map(str, KNOWN_CREDENTIALS.values()), profile.user.email):
        assert secret not in email.subject + email.body


# --- What a therapist may change when ------------------------------------------------------------

CREDENTIALS = {
    "degree_level": DegreeLevel.DOCTORATE,
    "degree_field": "Psychology",
    "degree_institution": "KU Leuven",
    "degree_year": 2010,
    "license_number": "BE-12345",
    "license_issuer": "Psychologencommissie",
    "license_country": "BE",
    "license_expiry": date(2029, 1, 1),
    "licensed_countries": ["BE"],
    "practising_since": date(2011, 1, 1),
    "clinical_hours": 5000,
}


def about(profile, **changes):
    values = {
        "display_name": "Ana Lopes",
        "gender": "woman",
        "time_zone": "Europe/Lisbon",
        "languages": [("pt", "native"), ("en", "fluent")],
        "bios": {"pt": "Olá.", "en": "Hello."},
    } | changes
    return services.therapist_about_update(profile=profile, **values)


def practice(profile):
    return services.therapist_practice_update(
        profile=profile,
        specialities=["grief"],
        approaches=["cbt"],
        modalities=["video", "phone"],
        faith="",
        caseload_limit=12,
        accepting_new_patients=False,
    )


@pytest.mark.parametrize("status", [Status.DRAFT, Status.CHANGES_REQUESTED])
def test_credentials_and_documents_change_before_sending(status, settings):
    profile = make_therapist(status)
    document = profile.documents.get(kind=Kind.LICENSE)

    services.therapist_credentials_update(profile=profile, **CREDENTIALS)
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
        services.therapist_credentials_update(profile=profile, **CREDENTIALS)
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

    about(profile)
    practice(profile)

    profile.refresh_from_db()
    assert profile.display_name == "Ana Lopes"
    assert profile.modalities == ["phone", "video"]
    assert profile.vetting_status == status


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.REJECTED])
def test_about_and_practice_are_locked_under_review_and_after_rejection(status):
    profile = make_therapist(status)

    with pytest.raises(ApplicationLocked):
        about(profile)
    with pytest.raises(ApplicationLocked):
        practice(profile)


# --- The license expiry sweep --------------------------------------------------------------------


def test_the_sweep_suspends_approved_therapists_whose_license_expired(
    staff, vetting_events, django_capture_on_commit_callbacks
):
    expired = make_therapist(
        Status.APPROVED, credentials={"license_expiry": TODAY - timedelta(days=1)}
    )
    last_day = make_therapist(Status.APPROVED, credentials={"license_expiry": TODAY})
    valid = make_therapist(Status.APPROVED)
    untouched = []
    for status in (Status.SUBMITTED, Status.SUSPENDED, Status.CHANGES_REQUESTED):
        untouched.append(make_therapist(status, credentials={"license_expiry": date(2020, 1, 1)}))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.licenses_expired_suspend(today=TODAY) == 1

    expired.refresh_from_db()
    assert expired.vetting_status == Status.SUSPENDED
    [decision] = expired.vetting_decisions.all()
    assert decision.actor is None
    assert (decision.from_status, decision.to_status) == (Status.APPROVED, Status.SUSPENDED)
    assert "License expired on" in decision.reason
    for profile in (last_day, valid, *untouched):
        status = profile.vetting_status
        profile.refresh_from_db()
        assert profile.vetting_status == status
        assert not profile.vetting_decisions.exists()
    assert vetting_events == [
        {"therapist_id": expired.pk, "from_status": "approved", "to_status": "suspended"}
    ]
    [to_therapist] = outbox_to(expired.user.email)
    assert "suspended" in to_therapist.subject
    assert KNOWN_CREDENTIALS["license_number"] not in to_therapist.body
    [to_staff] = outbox_to(staff.email)
    assert "license expired" in to_staff.subject
    assert len(mail.outbox) == 2


def test_the_sweep_is_idempotent(staff, django_capture_on_commit_callbacks):
    profile = make_therapist(
        Status.APPROVED, credentials={"license_expiry": TODAY - timedelta(days=30)}
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.licenses_expired_suspend(today=TODAY) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.licenses_expired_suspend(today=TODAY) == 0

    assert profile.vetting_decisions.count() == 1
    assert len(mail.outbox) == 2


def test_the_celery_task_sweeps_by_the_clock(staff, django_capture_on_commit_callbacks):
    profile = make_therapist(Status.APPROVED, credentials={"license_expiry": date(2026, 9, 30)})

    last_minute = time_machine.travel(datetime(2026, 9, 30, 23, 59, tzinfo=UTC), tick=False)
    with last_minute, django_capture_on_commit_callbacks(execute=True):
        assert sweep_expired_licenses.delay().get() == 0
    profile.refresh_from_db()
    assert profile.is_approved

    next_day = time_machine.travel(datetime(2026, 10, 1, 0, 1, tzinfo=UTC), tick=False)
    with next_day, django_capture_on_commit_callbacks(execute=True):
        assert sweep_expired_licenses.delay().get() == 1
        assert sweep_expired_licenses.delay().get() == 0

    profile.refresh_from_db()
    assert profile.vetting_status == Status.SUSPENDED
    assert profile.vetting_status_changed_at == datetime(2026, 10, 1, 0, 1, tzinfo=UTC)
    assert profile.vetting_decisions.get().actor is None
    assert len(outbox_to(profile.user.email)) == 1
    assert len(outbox_to(staff.email)) == 1


def test_the_suspension_reason_is_in_the_therapists_language(django_capture_on_commit_callbacks):
    profile = make_therapist(
        Status.APPROVED, language="fr", credentials={"license_expiry": date(2026, 3, 31)}
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.licenses_expired_suspend(today=TODAY)

    [email] = outbox_to(profile.user.email)
    assert "Bonjour" in email.body
    assert "2026" in profile.vetting_decisions.get().reason


# --- Credential documents ------------------------------------------------------------------------


@pytest.fixture
def draft(db):
    return make_therapist(Status.DRAFT, complete=False)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("degree.pdf", pdf_bytes(), uploads.PDF),
        ("license.jpg", image_bytes("JPEG"), uploads.JPEG),
        ("license.png", image_bytes("PNG"), uploads.PNG),
        ("degree.png", pdf_bytes(), uploads.PDF),  # the content decides, not the name
        ("license.pdf", image_bytes("PNG"), uploads.PNG),
        ("scan", image_bytes("JPEG"), uploads.JPEG),
    ],
)
def test_documents_are_kept_by_their_real_type(name, content, content_type, draft, settings):
    document = services.therapist_document_add(
        profile=draft, kind=Kind.DEGREE, upload=upload(name, content)
    )

    document.refresh_from_db()
    assert document.content_type == content_type
    assert document.original_name == name
    assert document.size == len(content)
    stored = Path(document.file.path)
    assert stored.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT))
    assert stored.suffix == TherapistDocument.EXTENSIONS[content_type]
    assert Path(name).stem not in stored.name  # the stored name says nothing
    assert stored.read_bytes() == content
    assert stored_files(settings) == [stored]
    with pytest.raises(ValueError, match="no URL"):
        document.file.storage.url(document.file.name)


def _png_cut_short() -> bytes:
    content = image_bytes("PNG", size=(200, 100))
    return content[: len(content) // 2]


def _png_corrupted() -> bytes:
    content = bytearray(image_bytes("PNG", size=(200, 100)))
    content[len(content) // 2] ^= 0xFF
    return bytes(content)


def _png_with_garbled_pixels() -> bytes:
    """Every chunk well formed, checksums right, but the compressed pixels are noise."""
    content = image_bytes("PNG", size=(200, 100))
    start = content.index(b"IDAT") - 4
    length = int.from_bytes(content[start : start + 4])
    garbage = bytes((i * 97 + 13) % 256 for i in range(length))
    chunk = b"IDAT" + garbage
    return (
        content[:start]
        + length.to_bytes(4)
        + chunk
        + zlib.crc32(chunk).to_bytes(4)
        + content[start + 12 + length :]
    )


def _jpeg_cut_short() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((300, 200), 60).convert("RGB").save(out, "JPEG")
    return out.getvalue()[: len(out.getvalue()) // 2]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("degree.pdf", EXECUTABLE_PE, "Only PDF, JPEG, PNG files are accepted"),
        ("degree.pdf", EXECUTABLE_ELF, "whatever its name"),
        ("notes.txt", b"I am a degree, honestly.\n", "Only PDF, JPEG, PNG files are accepted"),
        ("degree.pdf", b"<html><script>alert(1)</script></html>", "Only PDF, JPEG, PNG"),
        ("empty.pdf", b"", "This file is empty"),
        ("big.pdf", pdf_bytes(11 * MB), "the limit is 10.0\xa0MB"),
        ("just-over.pdf", pdf_bytes(10 * MB + 1), "the limit is 10.0\xa0MB"),
        ("scan.png", _png_cut_short(), "damaged"),
        ("scan.png", _png_corrupted(), "damaged"),
        ("scan.jpg", _jpeg_cut_short(), "damaged"),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged"),
        ("scan.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 40, "damaged"),
    ],
    ids=[
        "pe-exe",
        "elf",
        "text",
        "html",
        "empty",
        "11MB",
        "10MB+1",
        "png-cut",
        "png-corrupt",
        "jpeg-cut",
        "png-header-only",
        "jpeg-header-only",
    ],
)
def test_refused_documents_leave_nothing_behind(name, content, message, draft, settings):
    with pytest.raises(ValidationError) as refusal:
        services.therapist_document_add(
            profile=draft, kind=Kind.DEGREE, upload=upload(name, content)
        )

    assert message in " ".join(refusal.value.messages)
    assert not TherapistDocument.objects.exists()
    assert stored_files(settings) == []


def test_exactly_the_limit_is_accepted(draft, settings):
    content = pdf_bytes(10 * MB)
    assert len(content) == 10 * 1024 * 1024

    document = services.therapist_document_add(
        profile=draft, kind=Kind.LICENSE, upload=upload("scan.pdf", content)
    )

    assert document.size == 10 * MB
    assert Path(document.file.path).stat().st_size == 10 * MB


def test_the_limit_comes_from_settings(settings):
    settings.UPLOAD_MAX_BYTES = 1000

    assert uploads.validate_upload(upload("a.pdf", pdf_bytes(1000)), allowed=uploads.DOCUMENT_TYPES)
    with pytest.raises(ValidationError, match="1000"):
        uploads.validate_upload(upload("a.pdf", pdf_bytes(1001)), allowed=uploads.DOCUMENT_TYPES)


def test_a_document_needs_a_known_kind(draft, settings):
    with pytest.raises(ValidationError, match="Choose what this document is"):
        services.therapist_document_add(
            profile=draft, kind="passport", upload=upload("x.pdf", pdf_bytes())
        )

    assert stored_files(settings) == []


def test_a_deleted_document_file_goes_once_committed(
    draft, settings, django_capture_on_commit_callbacks
):
    document = services.therapist_document_add(
        profile=draft, kind=Kind.DEGREE, upload=upload("d.pdf", pdf_bytes())
    )
    path = Path(document.file.path)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.therapist_document_delete(profile=draft, document_id=document.pk)
    assert path.exists()
    for callback in callbacks:
        callback()

    assert not path.exists()
    assert not TherapistDocument.objects.exists()


@pytest.mark.parametrize("content", [image_bytes("JPEG"), image_bytes("PNG")], ids=["jpeg", "png"])
def test_uploads_sniff_the_content_not_the_name(content):
    assert uploads.sniff_content_type(upload("photo.pdf", content)) in uploads.PHOTO_TYPES
    assert uploads.sniff_content_type(upload("doc.png", pdf_bytes())) == uploads.PDF
    assert uploads.sniff_content_type(upload("x.pdf", EXECUTABLE_PE)) is None


# --- Photos --------------------------------------------------------------------------------------


def camera_jpeg() -> bytes:
    """A 1200×800 landscape shot, red left half and blue right half, from a camera that
    recorded GPS, make and model, and that it was held rotated (orientation 6)."""
    image = Image.new("RGB", (1200, 800), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 600, 800))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "AcmeCam"
    exif[ExifTags.Base.Model] = "Snooper 3000"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def test_a_photo_is_upright_small_and_without_metadata(settings):
    profile = make_therapist(Status.APPROVED)
    original = camera_jpeg()
    assert b"AcmeCam" in original

    about(profile, photo=upload("IMG_0042.jpg", original, "image/jpeg"))

    profile.refresh_from_db()
    path = Path(profile.photo.path)
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT))
    assert path.suffix == ".jpg"
    assert "IMG_0042" not in path.name
    data = path.read_bytes()
    assert b"AcmeCam" not in data
    assert b"Snooper" not in data
    assert b"Exif" not in data
    with Image.open(io.BytesIO(data)) as photo:
        assert photo.format == "JPEG"
        assert "exif" not in photo.info
        assert not photo.getexif()
        # Turned as the camera said: portrait now, the red half on top, at most 600 px.
        assert photo.size == (400, 600)
        red, blue = photo.convert("RGB").getpixel((200, 100)), photo.getpixel((200, 500))
        assert red[0] > 200
        assert red[2] < 60
        assert blue[2] > 200
        assert blue[0] < 60
    with pytest.raises(ValueError, match="no URL"):
        profile.photo.storage.url(profile.photo.name)


def test_a_small_png_photo_becomes_a_jpeg_of_the_same_size():
    profile = make_therapist(Status.APPROVED)

    about(profile, photo=upload("me.png", image_bytes("PNG", size=(120, 90)), "image/png"))

    profile.refresh_from_db()
    with Image.open(profile.photo.path) as photo:
        assert (photo.format, photo.size) == ("JPEG", (120, 90))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (pdf_bytes(), "Only JPEG, PNG files are accepted"),
        (EXECUTABLE_PE, "Only JPEG, PNG files are accepted"),
        (_png_cut_short(), "damaged"),
        (_jpeg_cut_short(), "damaged"),
        (_png_with_garbled_pixels(), "damaged"),
        (b"", "empty"),
    ],
    ids=["pdf", "exe", "png-cut", "jpeg-cut", "png-garbled-pixels", "empty"],
)
def test_a_refused_photo_changes_nothing(content, message, settings):
    profile = make_therapist(Status.APPROVED, complete=False)

    with pytest.raises(ValidationError) as refusal:
        about(profile, photo=upload("me.jpg", content, "image/jpeg"))

    assert message in " ".join(refusal.value.messages)
    profile.refresh_from_db()
    assert not profile.photo
    assert profile.display_name != "Ana Lopes"
    assert stored_files(settings) == []


def test_a_photo_is_not_left_behind_when_the_rest_of_the_step_is_refused(settings):
    profile = make_therapist(Status.APPROVED, complete=False)

    with pytest.raises(ValidationError):
        about(profile, time_zone="Mars/Olympus_Mons", photo=upload("me.jpg", camera_jpeg()))

    profile.refresh_from_db()
    assert not profile.photo
    assert stored_files(settings) == []


def test_a_replaced_photo_is_deleted_once_committed(django_capture_on_commit_callbacks):
    profile = make_therapist(Status.APPROVED, complete=False)
    about(profile, photo=upload("first.jpg", image_bytes("JPEG", color="red")))
    profile.refresh_from_db()
    first = Path(profile.photo.path)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        about(profile, photo=upload("second.jpg", image_bytes("JPEG", color="blue")))
    assert first.exists()  # a rolled-back change must still find its photo
    for callback in callbacks:
        callback()

    profile.refresh_from_db()
    second = Path(profile.photo.path)
    assert second != first
    assert second.exists()
    assert not first.exists()


def test_a_removed_photo_is_deleted_once_committed(django_capture_on_commit_callbacks):
    profile = make_therapist(Status.APPROVED, complete=False)
    about(profile, photo=upload("me.png", image_bytes("PNG")))
    profile.refresh_from_db()
    path = Path(profile.photo.path)

    with django_capture_on_commit_callbacks(execute=True):
        about(profile, remove_photo=True)

    profile.refresh_from_db()
    assert not profile.photo
    assert not path.exists()


def test_keeping_the_photo_deletes_nothing(django_capture_on_commit_callbacks):
    profile = make_therapist(Status.APPROVED, complete=False)
    about(profile, photo=upload("me.png", image_bytes("PNG")))
    profile.refresh_from_db()
    path = Path(profile.photo.path)

    with django_capture_on_commit_callbacks(execute=True):
        about(profile, display_name="Ana M. Lopes")

    profile.refresh_from_db()
    assert Path(profile.photo.path) == path
    assert path.exists()


# --- Who may see what ----------------------------------------------------------------------------


def test_a_document_is_for_its_therapist_and_staff_only(applicant, other_therapist, patient, staff):
    document = applicant.documents.get(kind=Kind.LICENSE)

    for user in (applicant.user, staff):
        assert selectors.therapist_document_get_for_user(user=user, pk=document.pk) == document
    for user in (other_therapist, patient, AnonymousUser()):
        with pytest.raises(Http404):
            selectors.therapist_document_get_for_user(user=user, pk=document.pk)


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
        with pytest.raises(Http404):
            selectors.therapist_photo_get_for_user(user=user, pk=profile.pk)


def test_no_photo_is_a_404_even_for_the_owner(staff):
    profile = make_therapist(Status.APPROVED, complete=False)

    for user in (profile.user, staff, AnonymousUser()):
        with pytest.raises(Http404):
            selectors.therapist_photo_get_for_user(user=user, pk=profile.pk)


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
    with pytest.raises(Http404):
        selectors.therapist_public_get(pk=hidden.pk)


def test_patients_see_only_approved_active_therapists():
    shown = make_therapist(Status.APPROVED, complete=False)
    inactive = make_therapist(Status.APPROVED, complete=False)
    inactive.user.is_active = False
    inactive.user.save(update_fields=["is_active"])
    for status in Status.values:
        if status != Status.APPROVED:
            make_therapist(status, complete=False)

    assert list(selectors.therapists_visible_to_patients()) == [shown]
    with pytest.raises(Http404):
        selectors.therapist_public_get(pk=inactive.pk)
