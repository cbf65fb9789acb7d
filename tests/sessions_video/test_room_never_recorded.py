"""The policy on recording, stated where it matters: the room tells both parties that sessions
are never recorded, in their language, whatever the session's modality; the telehealth consent
they accepted says the same."""

import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from accounts import selectors as account_selectors
from accounts.models import LegalDocument
from tests.factories.sessions_video import DURING, a_room
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

ENGLISH = (
    "Sessions are never recorded: {site} does not record them or listen to them. "
    "Please do not record them either without the other person's agreement."
)
FRENCH = (
    "Les séances ne sont jamais enregistrées\u00a0: {site} ne les enregistre ni ne les écoute. "
    "Merci de ne pas les enregistrer non plus sans l’accord de l’autre personne."
)


def statement(user, room) -> str:
    """What the room page, open, says about recording (its paragraph's words)."""
    with time_machine.travel(DURING, tick=False):
        page = client_for(user).get(reverse("session_room", kwargs={"token": room.token}))
    assert page.status_code == 200
    paragraph = page.text.split('id="room-not-recorded"', 1)[1].split("</p>", 1)[0]
    # Line breaks of the template folded; a no-break space is kept.
    return re.sub(r"[ \n]+", " ", paragraph.split(">", 1)[1]).strip()


@pytest.mark.parametrize("modality", ["video", "phone", "chat"])
def test_both_parties_read_that_the_session_is_not_recorded(modality):
    patient, therapist, room = a_room(modality=modality)

    for user in (patient, therapist):
        assert statement(user, room) == ENGLISH.format(site=settings.SITE_NAME)


@pytest.mark.parametrize("party", ["patient", "therapist"])
def test_in_french_too(party):
    patient, therapist, room = a_room()
    user = patient if party == "patient" else therapist
    user.language = "fr"
    user.save(update_fields=["language"])

    assert statement(user, room) == FRENCH.format(site=settings.SITE_NAME)


def test_the_telehealth_consent_in_effect_says_the_same():
    consent = account_selectors.legal_documents_current()[LegalDocument.Kind.TELEHEALTH]

    assert "We never record sessions." in consent.body_for("en")
    assert "Nous n’enregistrons jamais les séances." in consent.body_for("fr")
