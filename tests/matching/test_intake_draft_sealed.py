"""A visitor's unfinished intake is kept in their browser session sealed with the platform keys
(issue 17, item 7): the session store (the django_session table, its dumps) shows none of their
answers, the self-harm item and their own words included; their sign-up nickname neither. A
draft that can no longer be opened (a key since removed) starts again empty, never a 500."""

import json

import pytest
from cryptography.fernet import Fernet
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts import selectors as accounts_selectors
from matching import selectors

pytestmark = pytest.mark.django_db

OWN_WORDS = "MARKER-visitor-own-words since the funeral I cannot stop"
GOALS = "MARKER-visitor-goals to sleep again"
NICKNAME = "MARKERnick"


def _answer(client) -> None:
    steps = {
        "concerns": {"concerns": ["grief"], "concerns_text": OWN_WORDS, "in_danger": "no"},
        "goals": {"goals": GOALS, "previous_therapy": "never"},
        # Item 9 (thoughts of self-harm) answered "nearly every day".
        "phq9": {f"q{n}": "1" for n in range(1, 9)} | {"q9": "3"},
        "gad7": {f"q{n}": "2" for n in range(1, 8)},
        "preferences": {"therapist_gender": "", "faith": ""},
        "place": {"language_1": "en", "country": "FR", "time_zone": "Europe/Paris"},
        "practical": {"modality": "video", "preferred_times": ["evening"]},
        "nickname": {"nickname": NICKNAME},
    }
    for step, data in steps.items():
        response = client.post(reverse("intake_step", kwargs={"step": step}), data)
        assert response.status_code in (200, 302), (step, response.status_code)


def _stored_sessions() -> list[str]:
    """Every session row as the store keeps it, and decoded (what a dump and Django show)."""
    rows = []
    for session in Session.objects.all():
        rows.append(session.session_data)
        rows.append(json.dumps(session.get_decoded()))
    return rows


def test_the_session_store_holds_none_of_a_visitors_answers(client):
    _answer(client)

    stored = " ".join(_stored_sessions())
    for marker in (OWN_WORDS, GOALS, NICKNAME, "grief", '"q9"', "[1, 1, 1, 1, 1, 1, 1, 1, 3]"):
        assert marker not in stored
    assert "[1,1,1,1,1,1,1,1,3]" not in stored
    # Yet the questionnaire reads them back, and the sign-up form offers the nickname.
    draft = selectors.intake_draft(session=client.session)
    assert draft["concerns"]["concerns_text"] == OWN_WORDS
    assert draft["phq9"]["answers"][8] == 3
    assert accounts_selectors.signup_defaults(session=client.session) == {"nickname": NICKNAME}


def test_a_draft_that_no_longer_opens_starts_again(client, settings):
    _answer(client)
    settings.MESSAGE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    assert selectors.intake_draft(session=client.session) == {}
    page = client.get(reverse("intake_step", kwargs={"step": "concerns"}))
    assert page.status_code == 200


def test_a_draft_kept_in_clear_before_sealing_still_reads(client):
    session = client.session
    session[selectors.INTAKE_DRAFT_SESSION_KEY] = {"concerns": {"concerns": ["grief"]}}
    session.save()

    assert selectors.intake_draft(session=client.session) == {"concerns": {"concerns": ["grief"]}}
