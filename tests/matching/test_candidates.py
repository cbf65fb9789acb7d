"""``matching.selectors``: candidates from the database, needs from an intake, past therapists."""

import itertools
from typing import cast

import pytest

from accounts.models import TherapistProfile
from accounts.selectors import therapists_visible_to_patients
from matching.models import Match, Offer
from matching.ranking import Candidate, PatientNeeds, rank
from matching.selectors import (
    candidates_for,
    needs_from_intake,
    therapists_previously_matched,
)
from tests.factories import PatientFactory, TherapistProfileFactory
from tests.factories.matching import (
    IntakeFactory,
    MatchFactory,
    MatchRequestFactory,
    OfferFactory,
)

pytestmark = pytest.mark.django_db

FRENCH_IN_FRANCE = PatientNeeds(concerns=("burnout",), languages=("fr",), country="FR")


def therapist(**fields) -> TherapistProfile:
    """An approved therapist, accepting patients, who speaks French and practises in France."""
    fields = {
        "languages": ["fr"],
        "licensed_countries": ["FR"],
        "modalities": ["video"],
        "specialities": ["burnout"],
    } | fields
    return cast(TherapistProfile, TherapistProfileFactory(**fields))


def give_patients(profile: TherapistProfile, *, active: int, ended: int = 0) -> None:
    for status, count in ((Match.Status.ACTIVE, active), (Match.Status.ENDED, ended)):
        for _ in range(count):
            MatchFactory(therapist=profile, status=status)


def ids(candidates) -> set[int]:
    return {c.therapist_id for c in candidates}


def every_visible_therapist() -> list[Candidate]:
    """Every approved therapist as a candidate, built the slow obvious way, without filters."""
    return [
        Candidate(
            therapist_id=profile.pk,
            languages=frozenset(language.language for language in profile.languages.all()),
            licensed_countries=frozenset(str(code) for code in profile.licensed_countries),
            modalities=frozenset(profile.modalities),
            specialities=frozenset(profile.specialities),
            gender=profile.gender,
            faith=profile.faith,
            accepting_new_patients=profile.accepting_new_patients,
            caseload_limit=profile.caseload_limit,
            active_patients=profile.matches.filter(status=Match.Status.ACTIVE).count(),
        )
        for profile in therapists_visible_to_patients()
    ]


# --- Who may be a candidate -----------------------------------------------------------------------


def test_only_approved_therapists_of_active_accounts():
    approved = therapist()
    for status in TherapistProfile.VettingStatus.values:
        if status != TherapistProfile.VettingStatus.APPROVED:
            therapist(vetting_status=status)
    therapist(user__is_active=False)
    assert ids(candidates_for(FRENCH_IN_FRANCE)) == {approved.pk}


def test_a_suspended_therapist_leaves_the_candidates():
    profile = therapist()
    assert ids(candidates_for(FRENCH_IN_FRANCE)) == {profile.pk}
    TherapistProfile.objects.filter(pk=profile.pk).update(
        vetting_status=TherapistProfile.VettingStatus.SUSPENDED
    )
    assert candidates_for(FRENCH_IN_FRANCE) == []


def test_a_candidate_carries_what_ranking_needs():
    profile = therapist(
        languages=["fr", "pt"],
        licensed_countries=["PT", "FR"],
        modalities=["video", "chat"],
        specialities=["burnout", "lgbt"],
        gender="woman",
        faith="christian",
        caseload_limit=5,
    )
    give_patients(profile, active=2, ended=3)
    [c] = candidates_for(FRENCH_IN_FRANCE)
    assert c == Candidate(
        therapist_id=profile.pk,
        languages=frozenset({"fr", "pt"}),
        licensed_countries=frozenset({"FR", "PT"}),
        modalities=frozenset({"video", "chat"}),
        specialities=frozenset({"burnout", "lgbt"}),
        gender="woman",
        faith="christian",
        accepting_new_patients=True,
        caseload_limit=5,
        active_patients=2,  # ended matches do not count
        free_times=None,  # availability not known yet: neutral
        free_days=None,
    )


@pytest.mark.parametrize(
    ("fields", "active", "kept"),
    [
        ({}, 0, True),
        ({"accepting_new_patients": False}, 0, False),
        ({"caseload_limit": 2}, 1, True),
        ({"caseload_limit": 2}, 2, False),
        ({"caseload_limit": 0}, 0, False),
        ({"languages": ["en", "de"]}, 0, False),
        ({"languages": ["en", "fr"]}, 0, True),
        ({"licensed_countries": ["BE"]}, 0, False),
        ({"licensed_countries": []}, 0, False),
        ({"licensed_countries": ["BE", "FR", "LU"]}, 0, True),
    ],
)
def test_sql_prefilter(fields, active, kept):
    profile = therapist(**fields)
    give_patients(profile, active=active)
    assert ids(candidates_for(FRENCH_IN_FRANCE)) == ({profile.pk} if kept else set())


def test_excluded_therapists_are_left_out():
    first, second = therapist(), therapist()
    needs = PatientNeeds(
        concerns=(), languages=("fr",), country="FR", excluded_therapist_ids=frozenset({first.pk})
    )
    assert ids(candidates_for(needs)) == {second.pk}


def test_a_patient_without_a_language_or_a_country_has_no_candidates():
    therapist()
    assert candidates_for(PatientNeeds(concerns=(), languages=(), country="FR")) == []
    assert candidates_for(PatientNeeds(concerns=(), languages=("fr",), country="")) == []


# --- SQL and rank agree ---------------------------------------------------------------------------


def test_the_sql_prefilter_agrees_with_the_hard_filters():
    """Whatever the mix, ranking the prefiltered candidates gives exactly what ranking every
    approved therapist gives: the SQL never drops someone rank would keep, and counts the same
    active patients."""
    for number, (languages, countries, modalities, accepting, full) in enumerate(
        itertools.product(
            (["fr"], ["pt", "en"], ["en"]),
            (["FR"], ["BE", "PT"], ["LU"]),
            (["video"], ["chat", "phone"]),
            (True, False),
            (True, False),
        )
    ):
        profile = therapist(
            languages=languages,
            licensed_countries=countries,
            modalities=modalities,
            accepting_new_patients=accepting,
            caseload_limit=2,
            specialities=["grief", "burnout"][: number % 3],
        )
        give_patients(profile, active=2 if full else number // 7 % 2)
    therapist(vetting_status=TherapistProfile.VettingStatus.SUSPENDED, languages=["pt"])
    everyone = every_visible_therapist()
    patients = [
        FRENCH_IN_FRANCE,
        PatientNeeds(concerns=("grief",), languages=("pt", "fr"), country="PT"),
        PatientNeeds(concerns=(), languages=("en",), country="BE", modality="chat"),
        PatientNeeds(
            concerns=("burnout",),
            languages=("en", "fr"),
            country="FR",
            modality="phone",
            modality_required=True,
        ),
        PatientNeeds(concerns=(), languages=("de",), country="FR"),
    ]
    kept_someone = 0
    for needs in patients:
        expected = rank(needs, everyone)
        prefiltered = candidates_for(needs)
        assert rank(needs, prefiltered) == expected
        assert ids(expected) <= ids(prefiltered)
        if not needs.modality_required:  # the only hard filter left to Python
            assert ids(expected) == ids(prefiltered)
        kept_someone += bool(expected)
    assert kept_someone == 4


# --- Bounded queries ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 30])
def test_queries_do_not_grow_with_the_number_of_therapists(size, django_assert_num_queries):
    for number in range(size):
        profile = therapist(languages=["fr", "en", "pt"][: number % 3 + 1])
        give_patients(profile, active=number % 2)
    with django_assert_num_queries(2):  # therapists with their active patients; languages
        candidates = candidates_for(FRENCH_IN_FRANCE)
    assert len(candidates) == size
    assert all(c.languages for c in candidates)


def test_no_candidates_no_second_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert candidates_for(FRENCH_IN_FRANCE) == []


# --- Licensed countries: whole codes only ---------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "country", "kept"),
    [
        ("FR", "FR", True),
        ("DE,FR,LU", "DE", True),  # first
        ("DE,FR,LU", "FR", True),  # middle
        ("DE,FR,LU", "LU", True),  # last
        ("DE,LU", "FR", False),
        ("FRA,DE", "FR", False),  # a longer code that starts alike
        ("XFR", "FR", False),  # one that ends alike
        ("DE,XFR", "FR", False),
        ("", "FR", False),
        ("FR", "F", False),
        ("FR", "R", False),
        ("FR", ".R", False),  # the patient's country is never a pattern
        ("DE,FR", "E,F", False),
    ],
)
def test_licensed_country_boundaries(stored, country, kept):
    profile = therapist()
    # Stored raw, as the database holds it, including codes the form would never accept.
    TherapistProfile.objects.filter(pk=profile.pk).update(licensed_countries=stored)
    needs = PatientNeeds(concerns=(), languages=("fr",), country=country)
    assert ids(candidates_for(needs)) == ({profile.pk} if kept else set())


# --- Needs from an intake -------------------------------------------------------------------------


def test_needs_from_intake():
    intake = IntakeFactory.build(
        concerns=["burnout", "anxiety", "burnout", "other"],
        languages=["pt", "fr", "pt"],
        country="PT",
        time_zone="Europe/Lisbon",
        modality="chat",
        modality_required=True,
        therapist_gender="woman",
        wants_lgbt_specialist=True,
        faith="jewish",
        preferred_days=[1, 3],
        preferred_times=["evening"],
    )
    assert needs_from_intake(intake, excluded_therapist_ids=frozenset({7})) == PatientNeeds(
        concerns=("burnout", "anxiety", "other"),
        languages=("pt", "fr"),
        country="PT",
        modality="chat",
        modality_required=True,
        therapist_gender="woman",
        wants_lgbt_specialist=True,
        faith="jewish",
        preferred_times=frozenset({"evening"}),
        preferred_days=frozenset({1, 3}),
        excluded_therapist_ids=frozenset({7}),
    )


def test_needs_from_an_intake_without_wishes():
    intake = IntakeFactory.build(
        concerns=["stress"],
        languages=["fr"],
        time_zone="UTC",
        preferred_days=[],
        preferred_times=[],
    )
    needs = needs_from_intake(intake)
    assert needs.therapist_gender == needs.faith == ""
    assert not needs.wants_lgbt_specialist
    assert needs.preferred_times == needs.preferred_days == needs.excluded_therapist_ids
    assert needs.excluded_therapist_ids == frozenset()


# --- Therapists a patient is never offered to again -----------------------------------------------


def test_therapists_previously_matched():
    patient, other_patient = PatientFactory(), PatientFactory()
    former, current, declined, expired, withdrawn, pending, other = (therapist() for _ in range(7))
    MatchFactory(patient=patient, therapist=former, status=Match.Status.ENDED)
    MatchFactory(patient=patient, therapist=current, status=Match.Status.ACTIVE)
    earlier, now = MatchRequestFactory(patient=patient), None
    OfferFactory(request=earlier, therapist=declined, status=Offer.Status.DECLINED)
    OfferFactory(request=earlier, therapist=expired, status=Offer.Status.EXPIRED)
    OfferFactory(request=earlier, therapist=withdrawn, status=Offer.Status.WITHDRAWN)
    OfferFactory(request=earlier, therapist=pending, status=Offer.Status.PENDING)
    OfferFactory(
        request=MatchRequestFactory(patient=other_patient),
        therapist=other,
        status=Offer.Status.DECLINED,
    )
    now = therapists_previously_matched(patient)
    assert now == {former.pk, current.pk, declined.pk, expired.pk}
    assert therapists_previously_matched(other_patient) == {other.pk}
    assert therapists_previously_matched(PatientFactory()) == frozenset()


def test_previously_matched_therapists_are_never_candidates_again():
    patient = PatientFactory()
    former, fresh = therapist(), therapist()
    MatchFactory(patient=patient, therapist=former, status=Match.Status.ENDED)
    intake = IntakeFactory.build(concerns=[], languages=["fr"], time_zone="UTC")
    needs = needs_from_intake(intake, excluded_therapist_ids=therapists_previously_matched(patient))
    assert ids(candidates_for(needs)) == {fresh.pk}
    assert [r.therapist_id for r in rank(needs, candidates_for(needs))] == [fresh.pk]
