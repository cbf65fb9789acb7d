"""The public pages under a strict Content-Security-Policy, in English and French; each role's
home; no inline script or handler in any template."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.helpers import client_for

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "landing",
    "emergency",
    "signup_choice",
    "signup_patient",
    "signup_therapist",
    "account_login",
    "account_reset_password",
]


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_render_with_a_strict_policy(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "default-src 'self'" in policy


def test_landing_says_what_the_service_is_not(client):
    response = client.get(reverse("landing"))

    assert b"112" in response.content
    assert b"3114" in response.content
    assert reverse("intake_start").encode() in response.content
    assert reverse("signup_therapist").encode() in response.content


def test_landing_in_french(client):
    response = client.get(reverse("landing"), HTTP_ACCEPT_LANGUAGE="fr")

    assert response.headers["Content-Language"] == "fr"
    assert "Je cherche de l’aide".encode() in response.content


def test_home_needs_login(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_home_of_each_role(patient, therapist, staff):
    assert b"Robin" in client_for(patient).get(reverse("home")).content
    therapist_home = client_for(therapist).get(reverse("home"))
    assert therapist_home.templates[0].name == "teletherapy/therapist_dashboard.html"
    assert client_for(staff).get(reverse("home")).url == reverse("admin:index")


def test_no_template_holds_inline_script_or_handlers():
    """The policy forbids inline script: a template that had some would break silently."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    offenders = []
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = template.read_text()
        if inline_script.search(text) or handler.search(text) or "style=" in text:
            offenders.append(str(template))
    assert offenders == []
