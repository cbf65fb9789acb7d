import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command

from accounts.models import TherapistLanguage, TherapistProfile, User
from teletherapy.demo import PATIENT_PASSWORD, STAFF_EMAIL, demo_data_load

pytestmark = pytest.mark.django_db

LANGUAGES = {"fr", "en", "de", "es", "pt", "it", "ar", "pl"}


def snapshot():
    return (
        sorted(User.objects.values_list("email", "role", "password")),
        sorted(TherapistLanguage.objects.values_list("therapist__user__email", "language")),
        sorted(Authenticator.objects.values_list("user__email", "type", "data")),
    )


def test_demo_data_covers_what_a_newcomer_needs_to_click_through():
    demo_data_load()

    approved = TherapistProfile.objects.filter(vetting_status="approved")
    assert approved.count() >= 8
    spoken = set(
        TherapistLanguage.objects.filter(therapist__in=approved).values_list("language", flat=True)
    )
    assert spoken >= LANGUAGES
    assert approved.filter(specialities__contains=["lgbt"]).count() == 1
    assert TherapistProfile.objects.filter(vetting_status="submitted").count() == 1
    assert User.objects.filter(role="patient").count() == 2
    assert User.objects.get(email=STAFF_EMAIL).is_staff
    assert not EmailAddress.objects.filter(verified=False).exists()
    needs_mfa = User.objects.filter(role__in=["therapist", "staff"])
    assert all(Authenticator.objects.filter(user=u, type="totp").exists() for u in needs_mfa)
    patient = User.objects.get(email="patient@example.org")
    assert patient.check_password(PATIENT_PASSWORD)
    assert patient.patient_profile.nickname


def test_loading_twice_changes_nothing():
    demo_data_load()
    first = snapshot()

    demo_data_load()

    assert snapshot() == first


def test_the_command_refuses_outside_development(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only with DEBUG=true"):
        call_command("demo_data")

    assert not User.objects.exists()


def test_the_command_prints_the_logins(settings, capsys):
    settings.DEBUG = True

    call_command("demo_data")

    out = capsys.readouterr().out
    assert "patient@example.org" in out
    assert PATIENT_PASSWORD in out
    assert "pending vetting" in out
