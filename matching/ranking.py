"""Ranking therapists for a patient: a pure function over prepared data.

No ORM and no queries here: ``matching.selectors.candidates_for`` prepares the candidates in a
bounded number of queries, this module only filters and scores them, fast enough for tens of
thousands of therapists (``python -m bench --only matching_rank``).
"""

import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# Codes shared with matching.choices and accounts.choices, spelled out to keep this module free
# of Django.
OTHER_CONCERN = "other"  # "something else" says nothing a speciality could match
LGBT_SPECIALITY = "lgbt"
OTHER_FAITH = "other"  # two "other" faiths need not be the same faith: never a match
TIMES_OF_DAY = ("morning", "afternoon", "evening")  # TimeOfDay, in the order of the day

# Weights of the soft score, in points. What the patient told us about themselves weighs most:
# the concerns they came with (the first one listed most), then the identity-related wishes
# (LGBT+, gender, faith) that decide whether they feel safe with the therapist, then comfort
# (their first language, their modality, their times), and last our own concern of spreading
# patients across therapists, which breaks near-ties rather than overriding a wish.
CONCERN_WEIGHTS = (30.0, 20.0, 12.0, 8.0)  # 1st, 2nd, 3rd, 4th concern listed
CONCERN_WEIGHT_REST = 5.0  # any concern after the 4th
LGBT_WEIGHT = 20.0  # wished for an LGBT+-specialised therapist, and this one is
GENDER_WEIGHT = 15.0
FAITH_WEIGHT = 15.0
LANGUAGE_WEIGHTS = (12.0, 6.0, 3.0)  # best shared language is the patient's 1st, 2nd, 3rd choice
MODALITY_WEIGHT = 8.0  # offers the preferred modality, when the patient did not insist on it
TIMES_WEIGHT = 10.0  # times the share of the preferred times of day the therapist has free
DAYS_WEIGHT = 5.0  # times the share of the preferred days the therapist has free
LOAD_WEIGHT = 10.0  # times the share of the caseload still free
MAX_REASONS = 4
# Scores are rounded to a millionth of a point before comparing, so float noise never decides
# between two therapists (round() itself would cost more than the rest of the score).
SCORE_STEPS_PER_POINT = 1_000_000


@dataclass(frozen=True, slots=True)
class PatientNeeds:
    concerns: tuple[str, ...]  # in the patient's order: the first weighs most
    languages: tuple[str, ...]  # in order of preference
    country: str  # ISO 3166-1 alpha-2: where the patient lives
    modality: str = ""
    modality_required: bool = False
    therapist_gender: str = ""  # "" = no preference
    wants_lgbt_specialist: bool = False
    faith: str = ""  # "" = no faith-based practice wished
    preferred_times: frozenset[str] = frozenset()  # TimeOfDay codes
    preferred_days: frozenset[int] = frozenset()  # 0 = Monday
    excluded_therapist_ids: frozenset[int] = frozenset()
    # Their nationality or former residence, when the platform lets therapists licensed there
    # see its people abroad (MATCHING_SERVE_CITIZENS_ABROAD); "" otherwise.
    home_country: str = ""


@dataclass(frozen=True, slots=True)
class Candidate:
    therapist_id: int
    languages: frozenset[str]
    licensed_countries: frozenset[str]
    modalities: frozenset[str]
    specialities: frozenset[str]
    gender: str
    faith: str
    accepting_new_patients: bool
    caseload_limit: int
    active_patients: int
    # None: the therapist's availability is not known yet, which scores as neither good nor bad.
    free_times: frozenset[str] | None = None
    free_days: frozenset[int] | None = None
    # Opted in to see people from their licence countries who live abroad.
    serves_citizens_abroad: bool = False


@dataclass(frozen=True, slots=True)
class Reason:
    """One fact behind a match, stored as ``{"code": ..., "value": ...}`` on offers and matches.

    Codes: language (a language code), abroad (the home country's code: licensed there, and sees
    its people abroad), speciality (a concern code), gender (a gender code), lgbt (""), faith (a
    faith code), modality (a modality code), times (a TimeOfDay code).
    """

    code: str
    value: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "value": self.value}


@dataclass(frozen=True, slots=True)
class Ranked:
    therapist_id: int
    score: float
    reasons: tuple[Reason, ...]  # most important first, at most MAX_REASONS

    def reasons_as_json(self) -> list[dict[str, str]]:
        return [reason.as_dict() for reason in self.reasons]


# What a scorer appends for each reason: (negated points, order among equal points, reason), so
# that sorting the plain tuples puts the most important first.
type _Item = tuple[float, int, Reason]
type _Scorer = Callable[[Candidate, list[_Item] | None], float | None]


def _scorer(needs: PatientNeeds) -> _Scorer:
    """A function scoring one candidate for these needs: None when a hard filter drops them.

    Everything about the patient is prepared here once, in local variables, and every possible
    reason built in advance: the returned function runs once per therapist and must stay cheap.
    """
    country, excluded = needs.country, needs.excluded_therapist_ids
    home = needs.home_country if needs.home_country != country else ""
    # Seen through their home country rather than where they live: worth telling, right after
    # the language (the patient should know why a therapist from elsewhere may see them).
    abroad_item = (-math.inf, 1, Reason("abroad", home))
    required_modality = needs.modality if needs.modality_required else ""
    wished_modality = needs.modality if not needs.modality_required else ""
    # Without a shared language there is no therapy: that reason always comes first.
    language_steps = tuple(
        (
            code,
            LANGUAGE_WEIGHTS[i] if i < len(LANGUAGE_WEIGHTS) else 0.0,
            (-math.inf, 0, Reason("language", code)),
        )
        for i, code in enumerate(dict.fromkeys(needs.languages))
    )
    concerns = [code for code in dict.fromkeys(needs.concerns) if code != OTHER_CONCERN]
    concern_steps = []
    for order, code in enumerate(concerns, start=1):
        weight = CONCERN_WEIGHT_REST
        if order <= len(CONCERN_WEIGHTS):
            weight = CONCERN_WEIGHTS[order - 1]
        concern_steps.append((code, weight, (-weight, order, Reason("speciality", code))))
    wants_lgbt = needs.wants_lgbt_specialist
    # Said once is enough: no "LGBT+-specialised" after "specialises in identity and LGBT+".
    lgbt_item = None if LGBT_SPECIALITY in concerns else (-LGBT_WEIGHT, 100, Reason("lgbt", ""))
    gender = needs.therapist_gender
    gender_item = (-GENDER_WEIGHT, 101, Reason("gender", gender))
    faith = needs.faith if needs.faith != OTHER_FAITH else ""
    faith_item = (-FAITH_WEIGHT, 102, Reason("faith", faith))
    # Insisted upon, the modality is a hard filter worth no points, but still worth telling.
    modality_item = (
        -MODALITY_WEIGHT if wished_modality else 0.0,
        103,
        Reason("modality", needs.modality),
    )
    times = tuple(code for code in TIMES_OF_DAY if code in needs.preferred_times)
    time_points = TIMES_WEIGHT / len(times) if times else 0.0
    days = needs.preferred_days
    day_points = DAYS_WEIGHT / len(days) if days else 0.0
    load_weight, steps, floor = LOAD_WEIGHT, SCORE_STEPS_PER_POINT, math.floor

    def score(c: Candidate, reasons: list[_Item] | None = None) -> float | None:
        active, caseload_limit = c.active_patients, c.caseload_limit
        if (
            not c.accepting_new_patients
            or active >= caseload_limit
            or c.therapist_id in excluded
            or (required_modality and required_modality not in c.modalities)
        ):
            return None
        through_home = False
        if country not in c.licensed_countries:
            # The jurisdiction rule: licensed where the patient lives, or in their home country
            # and opted in to see its people abroad.
            if not (home and c.serves_citizens_abroad and home in c.licensed_countries):
                return None
            through_home = True
        spoken = c.languages
        for code, weight, item in language_steps:
            if code in spoken:
                total = weight
                if reasons is not None:
                    reasons.append(item)
                break
        else:
            return None
        if through_home and reasons is not None:
            reasons.append(abroad_item)
        specialities = c.specialities
        for code, weight, item in concern_steps:
            if code in specialities:
                total += weight
                if reasons is not None:
                    reasons.append(item)
        if wants_lgbt and LGBT_SPECIALITY in specialities:
            total += LGBT_WEIGHT
            if reasons is not None and lgbt_item is not None:
                reasons.append(lgbt_item)
        if gender and c.gender == gender:
            total += GENDER_WEIGHT
            if reasons is not None:
                reasons.append(gender_item)
        if faith and c.faith == faith:
            total += FAITH_WEIGHT
            if reasons is not None:
                reasons.append(faith_item)
        if wished_modality and wished_modality in c.modalities:
            total += MODALITY_WEIGHT
            if reasons is not None:
                reasons.append(modality_item)
        elif required_modality and reasons is not None:
            reasons.append(modality_item)
        if times and (free_times := c.free_times) is not None:
            shared = [code for code in times if code in free_times]
            if shared:
                points = time_points * len(shared)
                total += points
                if reasons is not None:
                    reasons.append((-points, 104, Reason("times", shared[0])))
        if days and (free_days := c.free_days) is not None:
            total += day_points * len(days & free_days)
        total += load_weight * (1.0 - active / caseload_limit)
        return floor(total * steps + 0.5) / steps

    return score


def _top_reasons(items: list[_Item]) -> tuple[Reason, ...]:
    items.sort()
    return tuple(item[2] for item in items[:MAX_REASONS])


def rank(
    needs: PatientNeeds, candidates: Iterable[Candidate], *, limit: int | None = None
) -> list[Ranked]:
    """The candidates who pass every hard filter, best first, each with its reasons.

    Ties go to the less loaded therapist, then to the lower therapist id, so the same input in
    any order gives the same ranking. With ``limit``, only the best ``limit``.
    """
    score = _scorer(needs)
    # Sort keys: (negated score, load ratio, therapist id, position, payload); the position
    # keeps tuples from ever comparing payloads, even if a candidate were passed twice.
    keyed: list[tuple[float, float, int, int, Any]] = []
    append = keyed.append
    if limit is None:
        for position, c in enumerate(candidates):
            reasons: list[_Item] = []
            points = score(c, reasons)
            if points is not None:
                ratio = c.active_patients / c.caseload_limit
                append((-points, ratio, c.therapist_id, position, reasons))
        keyed.sort()
        return [
            Ranked(therapist_id, -negated, _top_reasons(reasons))
            for negated, _ratio, therapist_id, _position, reasons in keyed
        ]
    for position, c in enumerate(candidates):
        points = score(c, None)
        if points is not None:
            append((-points, c.active_patients / c.caseload_limit, c.therapist_id, position, c))
    ranked = []
    for negated, _ratio, therapist_id, _position, c in heapq.nsmallest(limit, keyed):
        # Reasons only for the few kept: scored again, this time collecting them.
        reasons = []
        score(c, reasons)
        ranked.append(Ranked(therapist_id, -negated, _top_reasons(reasons)))
    return ranked
