"""No input to a matching form gives a 500, and a refused one writes nothing (issue 15): each
step of the intake questionnaire (kept in the session: a refused step leaves the draft as it
was), the check-in, changing therapist, answering an offer, the therapist's choice about
patients abroad, and the ids in their addresses. Property tests with tests/inputs.py."""

from urllib.parse import quote

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.models import Match, Offer
from matching.selectors import INTAKE_STEPS
from tests.factories.matching import MatchFactory, OfferFactory, make_eligible
from tests.helpers import client_for
from tests.inputs import answers_without_error, form_data

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Ids past the database's range: a few examples say it (the converter is the same for all).
IDS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HTMX = {"HX-Request": "true"}
ANSWER = ["0", "1", "2", "3", "4", "-1"]
# Each step's fields and a valid answer of each (the fuzz mixes them with hostile values).
STEP_FIELDS: dict[str, dict[str, list[str] | None]] = {
    "concerns": {
        "concerns": ["burnout", "anxiety", "other"],
        "concerns_text": None,
        "in_danger": ["no", "yes"],
    },
    "goals": {"goals": None, "previous_therapy": ["never", "past"]},
    "phq9": {f"q{n}": ANSWER for n in range(1, 10)},
    "gad7": {f"q{n}": ANSWER for n in range(1, 8)},
    "preferences": {
        "therapist_gender": ["", "woman", "non_binary"],
        "wants_lgbt_specialist": ["on", ""],
        "faith": ["", "christian"],
    },
    "place": {
        "language_1": ["fr", "en", "pt"],
        "language_2": ["", "en"],
        "language_3": ["", "de"],
        "country": ["FR", "JP", "XX"],
        "home_country": ["", "FR"],
        "time_zone": ["Europe/Paris", "Asia/Tokyo", "Mars/Olympus"],
    },
    "practical": {
        "modality": ["video", "phone", "chat"],
        "modality_required": ["on"],
        "preferred_days": ["0", "6", "7"],
        "preferred_times": ["morning", "evening"],
    },
    "nickname": {"nickname": ["Marta"]},
}
MULTIPLE = ("concerns", "preferred_days", "preferred_times")
VALID = {
    "concerns": {"concerns": ["burnout"], "in_danger": "no"},
    "goals": {"goals": "Sleep again.", "previous_therapy": "never"},
    "phq9": {f"q{n}": "1" for n in range(1, 9)} | {"q9": "0"},
    "gad7": {f"q{n}": "2" for n in range(1, 8)},
    "preferences": {"therapist_gender": "", "faith": ""},
    "place": {"language_1": "fr", "country": "FR", "time_zone": "Europe/Paris"},
    "practical": {"modality": "video"},
    "nickname": {"nickname": "Marta"},
}


def _step(name: str) -> str:
    return reverse("intake_step", kwargs={"step": name})


@pytest.fixture
def visitor(client, db):
    """A visitor who answered every step: any step may be posted again."""
    for step in INTAKE_STEPS:
        assert client.post(_step(step), VALID[step]).status_code == 302, step
    return client


def test_every_step_is_fuzzed():
    assert set(STEP_FIELDS) == set(INTAKE_STEPS) == set(VALID)


@FUZZ
@given(step=st.sampled_from(INTAKE_STEPS), data=st.data())
def test_no_answer_to_an_intake_step_gives_a_500(visitor, step, data):
    body = data.draw(form_data(STEP_FIELDS[step], multiple=MULTIPLE))
    answers_without_error(visitor, "post", _step(step), body)


@FUZZ
@given(step=st.text(max_size=30).filter(lambda s: "/" not in s and s.strip()))
def test_no_step_name_gives_a_500(visitor, step):
    answers_without_error(visitor, "get", f"/start/{quote(step, safe='')}/")


@FUZZ
@given(
    data=form_data(
        {f"phq9-q{n}": ANSWER for n in range(1, 10)} | {f"gad7-q{n}": ANSWER for n in range(1, 8)}
    )
)
def test_no_check_in_answer_gives_a_500(patient, data):
    answers_without_error(client_for(patient), "post", reverse("checkin"), data)


@pytest.fixture
def candidates(therapist, other_therapist):
    return [make_eligible(therapist), make_eligible(other_therapist)]


@FUZZ
@given(
    data=form_data(
        {
            "reason": None,
            "share_earlier_history": ["yes", "no"],
            "therapist": ["auto", "1", "999999999999"],
        }
    )
)
def test_no_switch_input_gives_a_500(candidates, patient, data):
    if not Match.objects.filter(patient=patient, status=Match.Status.ACTIVE).exists():
        MatchFactory(patient=patient, therapist=candidates[0])  # switched: a therapist again
    answers_without_error(client_for(patient), "post", reverse("match_switch"), data)


@FUZZ
@given(data=form_data({"reason": None}), htmx=st.booleans())
def test_no_decline_reason_gives_a_500(therapist, data, htmx):
    offer = OfferFactory(therapist=make_eligible(therapist))
    url = reverse("offer_decline", kwargs={"pk": offer.pk})
    answers_without_error(client_for(therapist), "post", url, data, headers=HTMX if htmx else None)
    assert Offer.objects.filter(pk=offer.pk).exists()


@FUZZ
@given(data=form_data({"serves_citizens_abroad": ["on", "true", "false", "0"]}))
def test_no_abroad_choice_gives_a_500(therapist, data):
    answers_without_error(client_for(therapist), "post", reverse("abroad_practice"), data)


@IDS
@given(pk=st.integers(min_value=2**31, max_value=2**70))
def test_ids_past_the_database_range_are_not_found(therapist, pk):
    client = client_for(make_eligible(therapist).user)
    for name, kwargs in (
        ("offer_detail", {"pk": pk}),
        ("offer_accept", {"pk": pk}),
        ("offer_decline", {"pk": pk}),
        ("therapist_patient", {"patient_id": pk}),
    ):
        method = "post" if name != "offer_detail" and name != "therapist_patient" else "get"
        response = answers_without_error(client, method, reverse(name, kwargs=kwargs))
        assert response.status_code == 404
