"""Staff vet therapist applications in Django admin: they review, then decide with a reason."""

import html
import re
from datetime import date, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.admin.vetting import DECISIONS
from accounts.models import TherapistProfile, VettingDecision
from tests.factories import StaffFactory, TherapistProfileFactory
from tests.factories.accounts import VettingDecisionFactory
from tests.helpers import client_for, outbox_to

Status = TherapistProfile.VettingStatus
REASON = "Degree and license checked against the ARS register on the phone with Mme Petit."


def _changelist() -> str:
    return reverse("admin:accounts_therapistprofile_changelist")


def _change(profile) -> str:
    return reverse("admin:accounts_therapistprofile_change", args=[profile.pk])


def _decide(profile, action: str) -> str:
    return reverse("admin:accounts_therapistprofile_decide", args=[profile.pk, action])


def _messages(response) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in get_messages(response.wsgi_request)]


def _readonly(content: str, field: str) -> str:
    """What the application page shows for one read-only field."""
    match = re.search(
        rf'class="form-row field-{field}">.*?<div class="readonly">(.*?)</div>', content, re.S
    )
    assert match, field
    return match.group(1).strip()


def _status(profile) -> str:
    profile.refresh_from_db()
    return profile.vetting_status


@pytest.fixture
def applicant(db):
    """A complete application, submitted for review."""
    return TherapistProfileFactory(
        user__email="lena.roth@example.test",
        display_name="Dr Lena Roth",
        vetting_status=Status.SUBMITTED,
        credentials=True,
    )


@pytest.fixture
def other_applicant(db):
    return TherapistProfileFactory(
        user__email="jan.nowak@example.test",
        display_name="Dr Jan Nowak",
        vetting_status=Status.APPROVED,
        languages=["pl"],
        specialities=["grief"],
        license_number="PL-2011-778",
        license_country="PL",
        licensed_countries=["PL", "DE"],
        credentials=True,
    )


def test_every_decision_of_the_state_machine_has_a_button():
    assert DECISIONS.keys() == services.VETTING_ACTIONS.keys()


# --- The list of applications -------------------------------------------------------------


def test_the_list_shows_each_application(staff_client, applicant):
    TherapistProfileFactory(display_name="", vetting_status=Status.DRAFT)

    response = staff_client.get(_changelist())

    assert response.status_code == 200
    content = response.content.decode()
    assert "Dr Lena Roth" in content
    assert "lena.roth@example.test" in content
    assert "Submitted for review" in content
    assert "France" in content  # license country
    assert "(no name yet)" in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("vetting_status__exact=submitted", {"Dr Lena Roth"}),
        ("vetting_status__exact=approved", {"Dr Jan Nowak"}),
        ("license_country=PL", {"Dr Jan Nowak"}),
        ("license_country=FR", {"Dr Lena Roth"}),
        ("licensed_countries__contains=DE", {"Dr Jan Nowak"}),
        ("licensed_countries__contains=FR", {"Dr Lena Roth"}),
        ("language=pl", {"Dr Jan Nowak"}),
        ("language=fr", {"Dr Lena Roth"}),
        ("speciality=grief", {"Dr Jan Nowak"}),
        ("speciality=burnout", {"Dr Lena Roth"}),
        ("speciality=trauma", set()),
        ("q=Roth", {"Dr Lena Roth"}),
        ("q=jan.nowak@example", {"Dr Jan Nowak"}),
        ("q=PL-2011-778", {"Dr Jan Nowak"}),
        ("", {"Dr Lena Roth", "Dr Jan Nowak"}),
    ],
)
def test_filters_and_search(staff_client, applicant, other_applicant, query, expected):
    response = staff_client.get(f"{_changelist()}?{query}")

    assert response.status_code == 200
    assert {str(profile) for profile in response.context["cl"].result_list} == expected


def test_the_filters_offer_what_applications_have(staff_client, applicant, other_applicant):
    content = staff_client.get(_changelist()).content.decode()

    for choice in ["Poland", "Germany", "Polish", "French", "Grief", "Changes requested"]:
        assert choice in content
    assert "Swahili" not in content  # a language nobody speaks is not offered


# --- The application page --------------------------------------------------------------------


def test_the_application_page_shows_credentials_documents_and_history(
    staff_client, staff, applicant
):
    VettingDecisionFactory(therapist=applicant, reason="x")
    VettingDecisionFactory(
        therapist=applicant,
        actor=staff,
        from_status="suspended",
        to_status="changes_requested",
        reason="Please upload the renewed license.",
    )

    response = staff_client.get(_change(applicant))

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    for shown in [
        "Dr Lena Roth",
        "Université Paris Cité",
        "ADELI-759312345",
        "Agence régionale de santé Île-de-France",
        "Master's degree or equivalent",
        "system",
        "staff@example.test",
        "Please upload the renewed license.",
    ]:
        assert shown in content, shown
    assert _readonly(content, "experience_years") == "5"
    assert 'alt="True"' in _readonly(content, "license_valid_today")
    assert _readonly(content, "approval_check") == "All criteria met"
    assert _readonly(content, "clinical_hours") in ("2500", "2,500")
    assert _readonly(content, "vetting_status") == "Submitted for review"
    for document in applicant.documents.all():
        assert reverse("therapist_document", args=[document.pk]) in content
        assert document.original_name in content
    # Review only: no field to edit, no save button, no delete.
    assert 'name="vetting_status"' not in content
    assert 'name="_save"' not in content
    assert 'name="license_number"' not in content


def test_the_approval_check_names_what_is_missing(staff_client):
    profile = TherapistProfileFactory(
        vetting_status=Status.SUBMITTED, credentials=True, clinical_hours=1999
    )
    profile.documents.filter(kind="license").delete()

    profile.license_expiry = date.today() - timedelta(days=1)
    profile.save()

    content = staff_client.get(_change(profile)).content.decode()

    check = _readonly(content, "approval_check")
    assert "at least 2,000 clinical hours" in check
    assert "a license document" in check
    assert "a license that has not expired" in check
    assert "All criteria met" not in content
    assert 'alt="False"' in _readonly(content, "license_valid_today")


@pytest.mark.parametrize(
    ("status", "buttons"),
    [
        (Status.DRAFT, []),
        (Status.SUBMITTED, ["approve", "request_changes", "reject"]),
        (Status.CHANGES_REQUESTED, ["reject"]),
        (Status.APPROVED, ["suspend"]),
        (Status.SUSPENDED, ["request_changes", "reinstate"]),
        (Status.REJECTED, []),
    ],
)
def test_the_page_offers_the_decisions_allowed_now(staff_client, status, buttons):
    profile = TherapistProfileFactory(vetting_status=status, credentials=True)

    content = staff_client.get(_change(profile)).content.decode()

    for action in DECISIONS:
        assert (_decide(profile, action) in content) == (action in buttons), action


def test_profiles_are_neither_added_nor_deleted_in_the_admin(staff_client, applicant):
    assert staff_client.get(reverse("admin:accounts_therapistprofile_add")).status_code == 403
    delete = reverse("admin:accounts_therapistprofile_delete", args=[applicant.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert TherapistProfile.objects.filter(pk=applicant.pk).exists()


def test_the_status_cannot_be_changed_through_the_form(staff_client, applicant):
    response = staff_client.post(
        _change(applicant),
        {"vetting_status": Status.APPROVED, "display_name": "Someone else", "_save": "Save"},
    )

    assert response.status_code == 405
    applicant.refresh_from_db()
    assert applicant.vetting_status == Status.SUBMITTED
    assert applicant.display_name == "Dr Lena Roth"
    assert not applicant.vetting_decisions.exists()


# --- Deciding from the list ------------------------------------------------------------------


def test_approve_a_complete_application_from_the_list(
    staff_client, staff, applicant, django_capture_on_commit_callbacks
):
    response = staff_client.post(
        _changelist(), {"action": "approve", "_selected_action": [applicant.pk]}
    )
    assert response.status_code == 302
    page = staff_client.get(response.url)
    assert page.status_code == 200
    assert "Dr Lena Roth" in page.content.decode()
    assert "All criteria met" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(response.url, {"reason": REASON})

    assert response.status_code == 302
    assert response.url == _changelist()
    assert _messages(response) == [(SUCCESS, "Dr Lena Roth is approved.")]
    assert _status(applicant) == Status.APPROVED
    decision = applicant.vetting_decisions.get()
    assert (decision.actor, decision.from_status, decision.to_status, decision.reason) == (
        staff,
        Status.SUBMITTED,
        Status.APPROVED,
        REASON,
    )
    assert LogEntry.objects.get().get_change_message() == "Changed Vetting status."
    [email] = outbox_to("lena.roth@example.test")
    assert len(mail.outbox) == 1
    for secret in [
        REASON,
        "ARS register",
        applicant.license_number,
        applicant.license_issuer,
        applicant.degree_institution,
        "2500",
        "2,500",
    ]:
        assert secret not in email.subject + email.body, secret


def test_the_list_decides_each_selected_therapist_on_its_own(
    staff_client, applicant, django_capture_on_commit_callbacks
):
    short = TherapistProfileFactory(
        display_name="Dr Short Hours",
        vetting_status=Status.SUBMITTED,
        credentials=True,
        credentials__clinical_hours=1999,
    )
    response = staff_client.post(
        f"{_changelist()}?vetting_status__exact=submitted",
        {"action": "approve", "_selected_action": [applicant.pk, short.pk]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(response.url, {"reason": REASON})

    assert response.url == f"{_changelist()}?vetting_status__exact=submitted"  # filters kept
    assert _messages(response) == [
        (SUCCESS, "Dr Lena Roth is approved."),
        (
            ERROR,
            "Dr Short Hours cannot be approved. Missing: at least 2,000 clinical hours.",
        ),
    ]
    assert _status(applicant) == Status.APPROVED
    assert _status(short) == Status.SUBMITTED
    assert len(mail.outbox) == 1


# --- Refusals -----------------------------------------------------------------------------


def test_approval_is_refused_below_the_clinical_hours(
    staff_client, django_capture_on_commit_callbacks
):
    profile = TherapistProfileFactory(
        display_name="Dr Short Hours",
        vetting_status=Status.SUBMITTED,
        credentials=True,
        clinical_hours=1999,
    )
    page = staff_client.get(_decide(profile, "approve")).content.decode()
    assert "at least 2,000 clinical hours" in page  # warned before deciding

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_decide(profile, "approve"), {"reason": REASON})

    assert response.status_code == 302
    assert _messages(response) == [
        (ERROR, "Dr Short Hours cannot be approved. Missing: at least 2,000 clinical hours.")
    ]
    assert _status(profile) == Status.SUBMITTED
    assert not VettingDecision.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_decision_without_a_reason_is_refused(
    staff_client, applicant, reason, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_decide(applicant, "approve"), {"reason": reason})

    assert response.status_code == 422
    assert "Give a reason" in response.content.decode()
    assert 'name="reason"' in response.content.decode()
    assert _status(applicant) == Status.SUBMITTED
    assert not VettingDecision.objects.exists()
    assert mail.outbox == []


def test_a_selection_without_a_reason_is_refused(staff_client, applicant, other_applicant):
    response = staff_client.post(
        _changelist(),
        {"action": "suspend", "_selected_action": [applicant.pk, other_applicant.pk]},
    )
    response = staff_client.post(response.url, {"reason": ""})

    assert response.status_code == 422
    assert _status(other_applicant) == Status.APPROVED
    assert not VettingDecision.objects.exists()


@pytest.mark.parametrize(
    ("status", "action"),
    [(Status.DRAFT, "approve"), (Status.APPROVED, "reinstate"), (Status.REJECTED, "suspend")],
)
def test_an_illegal_transition_is_refused(
    staff_client, status, action, django_capture_on_commit_callbacks
):
    profile = TherapistProfileFactory(
        display_name="Dr Early", vetting_status=status, credentials=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_decide(profile, action), {"reason": REASON})

    [(level, text)] = _messages(response)
    assert level == ERROR
    assert text.startswith("Dr Early: ")
    assert "cannot become" in text
    assert _status(profile) == status
    assert not VettingDecision.objects.exists()
    assert mail.outbox == []


def test_an_unknown_decision_is_not_found(staff_client, applicant):
    assert staff_client.get(_decide(applicant, "promote")).status_code == 404


# --- Deciding from the application page ------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "outcome"),
    [
        (Status.SUBMITTED, "request_changes", Status.CHANGES_REQUESTED),
        (Status.SUBMITTED, "reject", Status.REJECTED),
        (Status.CHANGES_REQUESTED, "reject", Status.REJECTED),
        (Status.APPROVED, "suspend", Status.SUSPENDED),
        (Status.SUSPENDED, "reinstate", Status.APPROVED),
        (Status.SUSPENDED, "request_changes", Status.CHANGES_REQUESTED),
    ],
)
def test_decide_with_the_button_on_the_application_page(
    staff_client, staff, status, action, outcome, django_capture_on_commit_callbacks
):
    profile = TherapistProfileFactory(
        user__email="ines@example.test",
        display_name="Dr Inès Martin",
        vetting_status=status,
        credentials=True,
    )
    assert _decide(profile, action) in staff_client.get(_change(profile)).content.decode()
    form = staff_client.get(_decide(profile, action))
    assert form.status_code == 200
    assert 'name="reason"' in form.content.decode()
    assert str(DECISIONS[action][0]) in form.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_decide(profile, action), {"reason": REASON})

    assert response.status_code == 302
    assert response.url == _change(profile)
    [(level, text)] = _messages(response)
    assert level == SUCCESS
    assert "Dr Inès Martin" in text
    assert _status(profile) == outcome
    decision = profile.vetting_decisions.get()
    assert (decision.actor, decision.from_status, decision.to_status, decision.reason) == (
        staff,
        status,
        outcome,
        REASON,
    )
    [email] = outbox_to("ines@example.test")
    assert REASON not in email.body
    assert profile.license_number not in email.body
    # The decision then shows in the history on the page.
    assert REASON in staff_client.get(_change(profile)).content.decode()


# --- Who may decide ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["therapist", "patient", "anonymous"])
def test_only_staff_reach_the_decision_page(request, who, applicant):
    client = Client() if who == "anonymous" else client_for(request.getfixturevalue(who))

    for response in [
        client.get(_decide(applicant, "approve")),
        client.post(_decide(applicant, "approve"), {"reason": REASON}),
        client.get(_change(applicant)),
    ]:
        assert response.status_code == 302
        assert "login" in response.url
    assert _status(applicant) == Status.SUBMITTED
    assert not VettingDecision.objects.exists()


def test_staff_who_may_only_view_cannot_decide(applicant):
    viewer = StaffFactory(email="viewer@example.test", is_superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_therapistprofile"))
    client = client_for(viewer)

    page = client.get(_change(applicant))
    assert page.status_code == 200
    assert _decide(applicant, "approve") not in page.content.decode()
    assert applicant.documents.first().original_name in page.content.decode()
    assert client.get(_decide(applicant, "approve")).status_code == 403
    assert client.post(_decide(applicant, "approve"), {"reason": REASON}).status_code == 403
    response = client.post(_changelist(), {"action": "approve", "_selected_action": [applicant.pk]})
    assert response.status_code in (200, 302)
    assert _status(applicant) == Status.SUBMITTED


def test_the_user_admin_still_works(staff_client, applicant, patient):
    users = reverse("admin:accounts_user_changelist")
    assert staff_client.get(users).status_code == 200
    assert staff_client.get(reverse("admin:accounts_user_add")).status_code == 200
    for user in (applicant.user, patient):
        response = staff_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
        assert response.status_code == 200
        assert user.email in response.content.decode()


def test_a_decision_needs_the_csrf_token(staff, applicant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post(_decide(applicant, "approve"), {"reason": REASON})

    assert response.status_code == 403
    assert _status(applicant) == Status.SUBMITTED


def test_the_admin_sections_have_distinct_names(staff_client):
    """allauth's "Accounts" (email addresses) and ours were both "ACCOUNTS"."""
    page = staff_client.get(reverse("admin:index")).content.decode()

    sections = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', page)
    assert "Users and therapists" in sections
    assert len({name.casefold() for name in sections}) == len(sections)
