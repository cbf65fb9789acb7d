"""The jurisdiction rule: a therapist sees people who live where they are licensed and, when they
opt in and the platform allows it, people from a licence country who live abroad."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.choices import Speciality
from matching import selectors, services
from matching.choices import Concern
from matching.models import AbroadPractice, Offer
from matching.presenters.reasons import reason_texts
from matching.ranking import Candidate, PatientNeeds, rank
from tests.factories.matching import (
    AbroadPracticeFactory,
    IntakeFactory,
    MatchRequestFactory,
    candidate_therapist,
    make_eligible,
)
from tests.helpers import client_for, outbox_to

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture
def expatriate(patient):
    """The named patient: French, living in Japan, speaking French."""
    return MatchRequestFactory(
        patient=patient,
        created_at=NOW,
        intake__country="JP",
        intake__home_country="FR",
        intake__time_zone="Asia/Tokyo",
    )


@pytest.fixture
def french_therapist(therapist):
    """The named therapist, licensed in France only."""
    return make_eligible(therapist)


def test_an_expatriate_is_offered_to_a_french_therapist_who_opted_in(expatriate, french_therapist):
    AbroadPracticeFactory(therapist=french_therapist)

    offer = services.offer_next(request=expatriate, now=NOW)

    assert offer.therapist == french_therapist
    assert offer.reasons[:2] == [
        {"code": "language", "value": "fr"},
        {"code": "abroad", "value": "FR"},
    ]
    assert reason_texts(offer.reasons)[1] == "licensed in the country you come from (France)"


def test_not_without_the_therapists_consent(expatriate, french_therapist):
    AbroadPracticeFactory(therapist=french_therapist, serves_citizens_abroad=False)

    assert services.offer_next(request=expatriate, now=NOW) is None


def test_not_when_the_platform_does_not_allow_it(settings, expatriate, french_therapist):
    settings.MATCHING_SERVE_CITIZENS_ABROAD = False
    AbroadPracticeFactory(therapist=french_therapist)

    assert services.offer_next(request=expatriate, now=NOW) is None


def test_not_a_therapist_licensed_elsewhere_even_if_opted_in(expatriate, therapist):
    AbroadPracticeFactory(therapist=make_eligible(therapist, licensed_countries=["BE"]))

    assert services.offer_next(request=expatriate, now=NOW) is None


def test_a_therapist_licensed_where_the_patient_lives_needs_no_opt_in(expatriate, therapist):
    local = make_eligible(therapist, licensed_countries=["JP"])

    offer = services.offer_next(request=expatriate, now=NOW)

    assert offer.therapist == local
    assert {"code": "abroad", "value": "FR"} not in offer.reasons


def test_people_at_home_are_seen_as_always_by_those_who_opted_in(match_request, french_therapist):
    AbroadPracticeFactory(therapist=french_therapist)

    assert services.offer_next(request=match_request, now=NOW).therapist == french_therapist


def test_the_rule_in_ranking_alone():
    needs = PatientNeeds(concerns=(), languages=("fr",), country="JP", home_country="FR")
    base = {
        "languages": frozenset({"fr"}),
        "licensed_countries": frozenset({"FR"}),
        "modalities": frozenset(),
        "specialities": frozenset(),
        "gender": "",
        "faith": "",
        "accepting_new_patients": True,
        "caseload_limit": 10,
        "active_patients": 0,
    }
    opted_in = Candidate(therapist_id=1, serves_citizens_abroad=True, **base)
    not_opted_in = Candidate(therapist_id=2, **base)

    assert [r.therapist_id for r in rank(needs, [opted_in, not_opted_in])] == [1]
    at_home = PatientNeeds(concerns=(), languages=("fr",), country="JP")
    assert rank(at_home, [opted_in, not_opted_in]) == []


def test_candidates_for_agrees_with_ranking_on_the_rule(expatriate, french_therapist):
    AbroadPracticeFactory(therapist=french_therapist)
    candidate_therapist()  # licensed in France, not opted in
    candidate_therapist(licensed_countries=["JP"])
    needs = selectors.needs_from_intake(expatriate.intake)

    candidates = selectors.candidates_for(needs)
    kept = {ranked.therapist_id for ranked in rank(needs, candidates)}

    assert kept == {c.therapist_id for c in candidates}
    assert french_therapist.pk in kept
    assert len(kept) == 2


def test_every_concern_a_patient_can_name_is_a_speciality_a_therapist_can_have():
    """Ranking matches concerns to specialities by code: a concern without its speciality would
    never count ("something else" says nothing a speciality could match)."""
    assert set(Concern.values) - {Concern.OTHER} <= set(Speciality.values)


# --- The therapist's choice -----------------------------------------------------------------


def test_a_therapist_opts_in_and_out_on_their_page(therapist_client, french_therapist):
    url = reverse("abroad_practice")
    page = therapist_client.get(url)
    assert page.status_code == 200
    assert "France" in page.text

    response = therapist_client.post(url, {"serves_citizens_abroad": "on"})
    assert response.status_code == 302
    assert selectors.abroad_practice_of(therapist=french_therapist)

    therapist_client.post(url, {})
    assert not selectors.abroad_practice_of(therapist=french_therapist)
    assert AbroadPractice.objects.count() == 1


def test_opting_in_releases_a_waiting_patient_at_once(
    patient, therapist_client, french_therapist, django_capture_on_commit_callbacks
):
    intake = IntakeFactory(patient=patient, country="JP", home_country="FR", created_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        request = services.match_request_open(patient=patient, intake=intake, now=NOW)
    assert request is not None
    assert request.waiting_since == NOW

    with django_capture_on_commit_callbacks(execute=True):
        therapist_client.post(reverse("abroad_practice"), {"serves_citizens_abroad": "on"})

    request.refresh_from_db()
    assert request.waiting_since is None
    assert request.offers.get().therapist == french_therapist
    assert len(outbox_to(patient.email)) == 1


def test_when_the_platform_does_not_allow_it_the_page_says_so(
    settings, therapist_client, french_therapist
):
    settings.MATCHING_SERVE_CITIZENS_ABROAD = False
    url = reverse("abroad_practice")

    assert "does not propose patients living abroad" in therapist_client.get(url).text
    assert therapist_client.post(url, {"serves_citizens_abroad": "on"}).status_code == 409
    assert not AbroadPractice.objects.exists()


def test_only_therapists_have_the_page(patient, staff, french_therapist):
    url = reverse("abroad_practice")
    for outsider in (patient, staff):
        client = client_for(outsider)
        assert client.get(url).status_code == 404
        assert client.post(url, {"serves_citizens_abroad": "on"}).status_code == 404
    assert not AbroadPractice.objects.exists()
    assert not Offer.objects.exists()
