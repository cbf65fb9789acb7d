"""Two-factor authentication: therapists and staff set it up before any page and never switch it
off, a code works once, patients may choose, secrets are encrypted at rest, and the admin is
reached only through this login."""

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import selectors
from core import crypto
from teletherapy import health
from tests.factories import PASSWORD, TOTP_SECRET, PatientFactory, StaffFactory, TherapistFactory
from tests.helpers import client_for, totp_code

pytestmark = pytest.mark.django_db

ACTIVATE = reverse("mfa_activate_totp")


def log_in(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def confirm_password(client):
    """Security settings ask for the password again, even just after logging in."""
    return client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


@pytest.mark.parametrize("factory", [TherapistFactory, StaffFactory])
@pytest.mark.parametrize("path", ["/home/", "/profile/", "/admin/", "/"])
def test_therapists_and_staff_set_up_two_factor_before_any_page(factory, path):
    user = factory(totp=False)

    response = client_for(user).get(path)

    assert response.status_code == 302
    assert response.url == ACTIVATE


@pytest.mark.parametrize("path", ["/accounts/email/", "/accounts/password/change/", "/healthz/"])
def test_account_pages_stay_open_while_setting_up(path, settings):
    therapist = TherapistFactory(totp=False)
    # No worker or beat runs here: give them the time to beat that a new deployment gets.
    settings.HEALTH_STALE_AFTER_SECONDS = 10**6
    health.status_forget()

    assert client_for(therapist).get(path).status_code == 200


def test_an_unvetted_therapist_is_held_to_the_same_rule():
    applicant = TherapistFactory(totp=False, therapist_profile__vetting_status="draft")

    assert client_for(applicant).get("/home/").url == ACTIVATE


def test_patients_may_choose(patient):
    assert client_for(patient).get("/home/").status_code == 200


def test_a_therapist_sets_up_an_authenticator_and_reaches_the_dashboard(client):
    therapist = TherapistFactory(totp=False)
    assert log_in(client, therapist).url == reverse("home")
    assert client.get(reverse("home")).url == ACTIVATE
    assert client.get(ACTIVATE).url.startswith(reverse("account_reauthenticate"))
    confirm_password(client)

    page = client.get(ACTIVATE)
    secret = page.context["form"].secret
    wrong = client.post(ACTIVATE, {"code": "000000"})
    activated = client.post(ACTIVATE, {"code": totp_code(secret)})

    assert b"Incorrect code" in wrong.content
    assert activated.url == reverse("mfa_view_recovery_codes")
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
    dashboard = client.get(reverse("home"))
    assert dashboard.status_code == 200
    assert b"Your practice" in dashboard.content


def test_logging_in_with_an_authenticator_asks_for_the_code(client, therapist):
    response = log_in(client, therapist)

    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302

    client.post(reverse("mfa_authenticate"), {"code": totp_code()})

    assert client.session["_auth_user_id"] == str(therapist.pk)
    assert client.get(reverse("home")).status_code == 200


def test_a_code_cannot_be_used_twice(client, therapist):
    code = totp_code()
    log_in(client, therapist)
    client.post(reverse("mfa_authenticate"), {"code": code})
    client.post(reverse("account_logout"))

    log_in(client, therapist)
    client.post(reverse("mfa_authenticate"), {"code": code})

    assert "_auth_user_id" not in client.session


def test_a_therapist_cannot_switch_two_factor_off(client, therapist):
    log_in(client, therapist)
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    confirm_password(client)

    response = client.post(reverse("mfa_deactivate_totp"))

    assert b"keep two-factor authentication on" in response.content
    assert Authenticator.objects.filter(user=therapist, type="totp").exists()


def test_a_patient_can_switch_two_factor_off(client):
    patient = PatientFactory(totp=True)
    log_in(client, patient)
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    confirm_password(client)

    client.post(reverse("mfa_deactivate_totp"))

    assert not Authenticator.objects.filter(user=patient, type="totp").exists()


def test_the_authenticator_secret_is_encrypted_at_rest(therapist):
    stored = Authenticator.objects.get(user=therapist, type="totp").data["secret"]

    assert TOTP_SECRET not in stored
    assert crypto.decrypt_text(stored) == TOTP_SECRET


def test_the_admin_login_form_is_replaced_by_the_two_factor_login(client):
    response = client.get(reverse("admin:login"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("fixture", ["patient", "therapist"])
def test_only_staff_reach_the_admin(request, fixture):
    user = request.getfixturevalue(fixture)
    client = client_for(user)

    response = client.get(reverse("admin:index"), follow=True)

    assert response.status_code == 403


def test_staff_reach_the_admin(staff_client):
    assert staff_client.get(reverse("admin:index")).status_code == 200


def test_the_redirect_says_why_two_factor_is_needed(client):
    therapist = TherapistFactory(totp=False)
    log_in(client, therapist)

    page = client.get(reverse("home"), follow=True)

    assert b"your account needs two-factor authentication" in page.content


def _authenticator_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len([query for query in captured if "mfa_authenticator" in query["sql"]])


def test_a_session_that_found_the_authenticator_at_login_is_not_asked_again(therapist):
    client = client_for(therapist)

    assert [_authenticator_queries(client, path) for path in ("/home/", "/profile/")] == [0, 0]


def test_a_session_started_before_the_set_up_asks_once_then_remembers():
    therapist = TherapistFactory(totp=False)
    client = client_for(therapist)
    assert client.get("/home/").url == ACTIVATE
    Authenticator.objects.create(user=therapist, type=Authenticator.Type.TOTP, data={})

    assert [_authenticator_queries(client, path) for path in ("/home/", "/profile/")] == [1, 0]


def test_a_therapist_whose_authenticator_went_is_logged_out_then_sent_to_set_one_up(
    therapist, django_capture_on_commit_callbacks
):
    first, second = client_for(therapist), client_for(therapist)
    someone_else = client_for(TherapistFactory())
    for client in (first, second, someone_else):
        assert client.get("/home/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        Authenticator.objects.filter(user=therapist).delete()  # staff, in the admin

    for client in (first, second):
        assert client.get("/home/").url.startswith(reverse("account_login"))
    assert client_for(therapist).get("/home/").url == ACTIVATE
    assert someone_else.get("/home/").status_code == 200


def test_a_patient_who_switches_two_factor_off_stays_logged_in(
    patient, django_capture_on_commit_callbacks
):
    Authenticator.objects.create(user=patient, type=Authenticator.Type.TOTP, data={})
    client = client_for(patient)
    with django_capture_on_commit_callbacks(execute=True):
        Authenticator.objects.filter(user=patient).delete()

    assert client.get("/home/").status_code == 200


def test_a_session_remembers_the_authenticator_of_its_own_account_only(therapist):
    # A session that found another account's authenticator (its key reused after log-in as
    # someone else) does not spare this account the check.
    without = TherapistFactory(totp=False)
    client = client_for(without)
    session = client.session
    session[selectors.MFA_SET_UP_SESSION_KEY] = therapist.pk
    session.save()

    assert client.get("/home/").url == ACTIVATE
