"""``matching.ranking.rank``: hard filters, preferences, load spreading, ties, reasons, limit.

Pure functions over prepared data: no database.
"""

import random
from dataclasses import replace

import pytest
from django.utils import translation

from matching import ranking
from matching.presenters.reasons import reason_texts
from matching.ranking import Candidate, PatientNeeds, Ranked, Reason, rank


def needs(**changes) -> PatientNeeds:
    """A French-speaking patient in France, burnt out, with no other wish."""
    return PatientNeeds(
        **({"concerns": ("burnout",), "languages": ("fr",), "country": "FR"} | changes)
    )


def candidate(therapist_id: int = 1, **changes) -> Candidate:
    """A therapist who passes every hard filter of ``needs()`` and matches none of its wishes."""
    base = Candidate(
        therapist_id=therapist_id,
        languages=frozenset({"fr"}),
        licensed_countries=frozenset({"FR"}),
        modalities=frozenset({"video"}),
        specialities=frozenset(),
        gender="unspecified",
        faith="",
        accepting_new_patients=True,
        caseload_limit=20,
        active_patients=0,
    )
    return replace(base, **changes)


def ids(ranked: list[Ranked]) -> list[int]:
    return [r.therapist_id for r in ranked]


def score(patient: PatientNeeds, therapist: Candidate) -> float:
    [ranked] = rank(patient, [therapist])
    return ranked.score


# --- Hard filters ---------------------------------------------------------------------------------


def test_a_candidate_who_passes_every_filter_is_kept():
    assert ids(rank(needs(), [candidate()])) == [1]


@pytest.mark.parametrize(
    ("patient", "therapist"),
    [
        pytest.param(needs(), candidate(accepting_new_patients=False), id="not accepting"),
        pytest.param(needs(), candidate(active_patients=20), id="caseload full"),
        pytest.param(needs(), candidate(active_patients=21), id="caseload over"),
        pytest.param(needs(), candidate(caseload_limit=0), id="caseload of 0"),
        pytest.param(needs(), candidate(languages=frozenset({"en", "de"})), id="no language"),
        pytest.param(needs(), candidate(languages=frozenset()), id="no language at all"),
        pytest.param(needs(), candidate(licensed_countries=frozenset({"BE"})), id="not licensed"),
        pytest.param(needs(), candidate(licensed_countries=frozenset()), id="licensed nowhere"),
        pytest.param(
            needs(modality="chat", modality_required=True), candidate(), id="modality required"
        ),
        pytest.param(
            needs(excluded_therapist_ids=frozenset({1})), candidate(), id="matched before"
        ),
        pytest.param(needs(languages=()), candidate(), id="patient without a language"),
        pytest.param(needs(country=""), candidate(), id="patient without a country"),
    ],
)
def test_each_hard_filter_alone_drops(patient, therapist):
    assert rank(patient, [therapist]) == []


@pytest.mark.parametrize(
    ("patient", "therapist"),
    [
        pytest.param(needs(), candidate(active_patients=19), id="one place left"),
        pytest.param(
            needs(languages=("pt", "fr")), candidate(languages=frozenset({"fr"})), id="2nd language"
        ),
        pytest.param(
            needs(),
            candidate(licensed_countries=frozenset({"BE", "FR", "LU"})),
            id="one of several countries",
        ),
        pytest.param(
            needs(modality="chat", modality_required=True),
            candidate(modalities=frozenset({"video", "chat"})),
            id="required modality offered",
        ),
        pytest.param(needs(modality="chat"), candidate(), id="modality wished only"),
        pytest.param(
            needs(excluded_therapist_ids=frozenset({2})), candidate(), id="someone else excluded"
        ),
        pytest.param(needs(therapist_gender="woman"), candidate(gender="man"), id="gender wish"),
        pytest.param(needs(wants_lgbt_specialist=True), candidate(), id="lgbt wish"),
        pytest.param(needs(faith="muslim"), candidate(), id="faith wish"),
        pytest.param(needs(concerns=("grief",)), candidate(), id="no speciality in common"),
        pytest.param(
            needs(preferred_times=frozenset({"evening"})),
            candidate(free_times=frozenset()),
            id="never free when wished",
        ),
    ],
)
def test_what_is_not_a_hard_filter_keeps(patient, therapist):
    assert ids(rank(patient, [therapist])) == [therapist.therapist_id]


def test_filters_drop_only_the_candidate_concerned():
    therapists = [
        candidate(1),
        candidate(2, accepting_new_patients=False),
        candidate(3, languages=frozenset({"en"})),
        candidate(4),
    ]
    assert ids(rank(needs(), therapists)) == [1, 4]


# --- Preferences ----------------------------------------------------------------------------------


def better(patient: PatientNeeds, good: Candidate, plain: Candidate) -> bool:
    """``good`` scores higher, and ranks first whichever comes first in the input."""
    assert score(patient, good) > score(patient, plain)
    return (
        ids(rank(patient, [plain, good]))[0]
        == ids(rank(patient, [good, plain]))[0]
        == good.therapist_id
    )


def test_a_matching_speciality_moves_the_score():
    assert better(needs(), candidate(2, specialities=frozenset({"burnout"})), candidate(1))


def test_the_first_concern_weighs_most():
    patient = needs(concerns=("anxiety", "grief", "burnout"))
    first = candidate(3, specialities=frozenset({"anxiety"}))
    second = candidate(2, specialities=frozenset({"grief"}))
    third = candidate(1, specialities=frozenset({"burnout"}))
    assert ids(rank(patient, [third, second, first])) == [3, 2, 1]
    both = candidate(4, specialities=frozenset({"grief", "burnout"}))
    assert score(patient, both) > score(patient, second)


def test_other_matches_no_speciality():
    patient = needs(concerns=("other",))
    assert score(patient, candidate(specialities=frozenset({"other", "sleep"}))) == score(
        patient, candidate()
    )
    # "Other" listed first does not push the real concern down the weights.
    assert score(needs(concerns=("other", "burnout")), candidate(specialities={"burnout"})) == (
        score(needs(concerns=("burnout",)), candidate(specialities={"burnout"}))
    )


def test_the_patients_first_language_counts_more():
    patient = needs(languages=("pt", "fr", "en"))
    assert better(
        patient,
        candidate(2, languages=frozenset({"pt"})),
        candidate(1, languages=frozenset({"fr", "en"})),
    )
    assert better(
        patient, candidate(2, languages=frozenset({"fr"})), candidate(1, languages={"en"})
    )


def test_gender_wish():
    patient = needs(therapist_gender="woman")
    assert better(patient, candidate(2, gender="woman"), candidate(1, gender="man"))
    assert score(needs(), candidate(gender="woman")) == score(needs(), candidate(gender="man"))


def test_lgbt_wish():
    patient = needs(wants_lgbt_specialist=True)
    assert better(patient, candidate(2, specialities=frozenset({"lgbt"})), candidate(1))
    assert score(needs(), candidate(specialities=frozenset({"lgbt"}))) == score(
        needs(), candidate()
    )


def test_faith_wish():
    patient = needs(faith="christian")
    assert better(patient, candidate(2, faith="christian"), candidate(1, faith="muslim"))
    assert score(needs(), candidate(faith="christian")) == score(needs(), candidate())


def test_another_faith_is_not_the_same_faith():
    patient = needs(faith="other")
    assert score(patient, candidate(faith="other")) == score(patient, candidate())


def test_wished_modality():
    patient = needs(modality="chat")
    assert better(patient, candidate(2, modalities=frozenset({"chat"})), candidate(1))


def test_free_when_the_patient_wishes():
    patient = needs(preferred_times=frozenset({"evening", "morning"}))
    evenings = candidate(2, free_times=frozenset({"evening"}))
    both = candidate(3, free_times=frozenset({"evening", "morning"}))
    assert better(patient, evenings, candidate(1, free_times=frozenset({"afternoon"})))
    assert better(patient, both, evenings)
    days = needs(preferred_days=frozenset({0, 2}))
    assert better(days, candidate(2, free_days=frozenset({0})), candidate(1, free_days={5}))


def test_unknown_availability_is_neutral():
    patient = needs(preferred_times=frozenset({"evening"}), preferred_days=frozenset({4}))
    unknown = candidate(1)  # free_times=None, free_days=None
    never = candidate(2, free_times=frozenset(), free_days=frozenset())
    free = candidate(3, free_times=frozenset({"evening"}), free_days=frozenset({4}))
    assert score(patient, unknown) == score(patient, never) < score(patient, free)
    # Without a wish, availability changes nothing.
    assert score(needs(), free) == score(needs(), unknown)


def test_wishes_outweigh_load():
    patient = needs()
    busy_specialist = candidate(1, specialities=frozenset({"burnout"}), active_patients=19)
    idle = candidate(2, active_patients=0)
    assert ids(rank(patient, [idle, busy_specialist])) == [1, 2]


# --- Load -----------------------------------------------------------------------------------------


def test_the_less_loaded_therapist_comes_first():
    assert better(needs(), candidate(2, active_patients=2), candidate(1, active_patients=10))


def test_load_is_a_share_of_the_caseload_not_a_count():
    half_full = candidate(1, active_patients=5, caseload_limit=10)
    larger_practice = candidate(2, active_patients=6, caseload_limit=30)
    assert better(needs(), larger_practice, half_full)


# --- Ties -----------------------------------------------------------------------------------------


def test_ties_go_to_the_lower_id_whatever_the_input_order():
    therapists = [candidate(therapist_id) for therapist_id in (5, 3, 9, 1, 7)]
    expected = [1, 3, 5, 7, 9]
    rng = random.Random(4)
    for _ in range(10):
        rng.shuffle(therapists)
        assert ids(rank(needs(), therapists)) == expected
        assert ids(rank(needs(), therapists, limit=3)) == expected[:3]


def test_an_equal_score_goes_to_the_less_loaded_therapist_first():
    patient = needs(preferred_times=frozenset({"morning", "afternoon"}))
    # Half loaded but free on mornings makes up exactly for the load: the same score.
    loaded = candidate(1, active_patients=10, free_times=frozenset({"morning"}))
    idle = candidate(2, active_patients=0)
    assert score(patient, loaded) == score(patient, idle)
    assert ids(rank(patient, [loaded, idle])) == ids(rank(patient, [idle, loaded])) == [2, 1]


def test_a_large_shuffled_field_always_ranks_the_same():
    rng = random.Random(7)
    therapists = [
        candidate(
            therapist_id,
            specialities=frozenset(rng.sample(["burnout", "anxiety", "grief", "lgbt"], 2)),
            gender=rng.choice(["woman", "man"]),
            active_patients=rng.randint(0, 20),
        )
        for therapist_id in range(1, 301)
    ]
    patient = needs(concerns=("burnout", "anxiety"), therapist_gender="woman")
    expected = rank(patient, therapists)
    for _ in range(3):
        rng.shuffle(therapists)
        assert rank(patient, therapists) == expected
    load = {c.therapist_id: c.active_patients / c.caseload_limit for c in therapists}
    keys = [(-r.score, load[r.therapist_id], r.therapist_id) for r in expected]
    assert keys == sorted(keys)
    assert len({r.score for r in expected}) < len(expected)  # there were ties to break


# --- Reasons --------------------------------------------------------------------------------------


FULL_WISHES = needs(
    concerns=("burnout", "anxiety", "grief"),
    languages=("pt", "fr"),
    therapist_gender="woman",
    wants_lgbt_specialist=True,
    faith="christian",
    modality="chat",
    preferred_times=frozenset({"evening", "morning"}),
)


def test_reasons_most_important_first_at_most_four():
    therapist = candidate(
        languages=frozenset({"fr", "pt"}),
        specialities=frozenset({"burnout", "anxiety", "grief", "lgbt"}),
        gender="woman",
        faith="christian",
        modalities=frozenset({"chat"}),
        free_times=frozenset({"morning", "evening"}),
    )
    [ranked] = rank(FULL_WISHES, [therapist])
    assert ranked.reasons == (
        Reason("language", "pt"),  # always first: the best-preferred language they share
        Reason("speciality", "burnout"),
        Reason("speciality", "anxiety"),  # same points as LGBT+: the patient's own words first
        Reason("lgbt", ""),
    )


def test_reasons_say_only_what_is_true():
    therapist = candidate(
        languages=frozenset({"fr"}),
        specialities=frozenset({"grief"}),
        gender="woman",
        faith="muslim",
        free_times=frozenset({"evening", "afternoon"}),
    )
    [ranked] = rank(FULL_WISHES, [therapist])
    assert ranked.reasons == (
        Reason("language", "fr"),
        Reason("gender", "woman"),
        Reason("speciality", "grief"),
        Reason("times", "evening"),
    )


def test_the_earliest_shared_free_time_is_named():
    patient = needs(preferred_times=frozenset({"evening", "morning"}))
    [ranked] = rank(patient, [candidate(free_times=frozenset({"morning", "evening"}))])
    assert ranked.reasons == (Reason("language", "fr"), Reason("times", "morning"))


def test_lgbt_is_said_once():
    patient = needs(concerns=("lgbt",), wants_lgbt_specialist=True)
    [ranked] = rank(patient, [candidate(specialities=frozenset({"lgbt"}))])
    assert ranked.reasons == (Reason("language", "fr"), Reason("speciality", "lgbt"))


def test_a_required_modality_is_told_after_the_rest():
    patient = needs(modality="phone", modality_required=True)
    [ranked] = rank(patient, [candidate(modalities=frozenset({"phone"}), specialities={"burnout"})])
    assert ranked.reasons == (
        Reason("language", "fr"),
        Reason("speciality", "burnout"),
        Reason("modality", "phone"),
    )


def test_no_wish_met_leaves_the_language():
    [ranked] = rank(needs(), [candidate()])
    assert ranked.reasons == (Reason("language", "fr"),)


def test_reasons_as_stored():
    [ranked] = rank(needs(), [candidate(specialities=frozenset({"burnout"}))])
    assert ranked.reasons_as_json() == [
        {"code": "language", "value": "fr"},
        {"code": "speciality", "value": "burnout"},
    ]


# --- Reasons in words -----------------------------------------------------------------------------


def test_reason_texts_in_plain_words():
    reasons = [
        Reason("language", "pt"),
        Reason("speciality", "burnout"),
        Reason("gender", "woman"),
        Reason("lgbt", ""),
        Reason("faith", "christian"),
        Reason("modality", "chat"),
        Reason("times", "evening"),
    ]
    with translation.override("en"):
        assert reason_texts(reasons) == [
            "speaks Portuguese",
            "specialises in burnout",
            "a woman, as you asked",
            "LGBT+-specialised",
            "Christian faith-based practice",
            "offers live chat",
            "free in the evenings",
        ]
        assert " · ".join(reason_texts(reasons[:2] + reasons[-1:])) == (
            "speaks Portuguese · specialises in burnout · free in the evenings"
        )


def test_reason_texts_take_the_stored_form():
    [ranked] = rank(needs(), [candidate(specialities=frozenset({"burnout"}))])
    with translation.override("en"):
        assert reason_texts(ranked.reasons_as_json()) == reason_texts(ranked.reasons)
        assert reason_texts([{"code": "times", "value": "morning"}]) == ["free in the mornings"]


def test_every_code_rank_can_give_has_words():
    codes = {
        "language": ["fr", "en", "pt", "zh", "ar"],
        "speciality": [
            *("depression", "anxiety", "stress", "burnout", "addiction", "relationships"),
            *("trauma", "grief", "lgbt", "eating", "sleep", "parenting"),
        ],
        "gender": ["woman", "man", "non_binary"],
        "lgbt": [""],
        "faith": ["christian", "muslim", "jewish", "buddhist", "hindu", "other"],
        "modality": ["video", "phone", "chat"],
        "times": list(ranking.TIMES_OF_DAY),
    }
    reasons = [Reason(code, value) for code, values in codes.items() for value in values]
    for language in ("en", "fr"):
        with translation.override(language):
            texts = reason_texts(reasons)
            assert len(texts) == len(reasons)
            assert all(text and text == text.strip() for text in texts)


def test_unknown_reasons_are_left_out():
    with translation.override("en"):
        assert reason_texts(
            [
                {"code": "shoe_size", "value": "42"},
                {"code": "times", "value": "midnight"},
                {"code": "speciality", "value": "astrology"},
                {},
                Reason("language", "fr"),
            ]
        ) == ["speaks French"]


def test_language_names_inside_a_french_sentence_are_lowercase():
    with translation.override("fr"):
        [text] = reason_texts([Reason("language", "pt")])
    assert "portugais" in text
    assert "Portugais" not in text


# --- Limit ----------------------------------------------------------------------------------------


def test_limit_keeps_the_best_with_the_same_scores_and_reasons():
    rng = random.Random(3)
    therapists = [
        candidate(
            therapist_id,
            languages=frozenset(rng.sample(["fr", "pt", "en"], rng.randint(1, 2))),
            specialities=frozenset(rng.sample(["burnout", "anxiety", "grief", "lgbt"], 2)),
            active_patients=rng.randint(0, 20),
        )
        for therapist_id in range(1, 201)
    ]
    everyone = rank(FULL_WISHES, therapists)
    assert 0 < len(everyone) < 200
    assert rank(FULL_WISHES, therapists, limit=3) == everyone[:3]
    assert rank(FULL_WISHES, therapists, limit=1) == everyone[:1]
    assert rank(FULL_WISHES, therapists, limit=1000) == everyone
    assert rank(FULL_WISHES, therapists, limit=0) == []


def test_any_iterable_of_candidates():
    assert ids(rank(needs(), (candidate(i) for i in (2, 1)), limit=1)) == [1]
    assert ids(rank(needs(), iter([]))) == []
