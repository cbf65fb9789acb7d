"""Ranking therapists for one patient: ``matching.ranking.rank`` over synthetic candidates.

No database: the candidates are prepared in memory (seeded, so every run ranks the same data),
as ``matching.selectors.candidates_for`` would prepare them. The baseline sorts the same list by
therapist id: the cost of touching every candidate once, measured in the same run.
"""

import random
import statistics
import time
from collections.abc import Callable
from functools import partial
from operator import attrgetter

from bench.report import format_table, ratio
from bench.servers import Options
from matching.ranking import Candidate, PatientNeeds, rank

TITLE = "Matching: rank therapists for one patient"

SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000,)
RUNS = {1_000: 21, 10_000: 11, 100_000: 5}  # timed runs per size; the median is reported
QUICK_RUNS = 3
WARM_UP_RUNS = 2
TARGET_SIZE, TARGET_MS = 10_000, 200.0
LIMIT = 3  # as when a patient switching therapist picks among the next three
SEED = 4

LANGUAGES = ("fr", "en", "de", "es", "pt", "ar", "it", "pl", "ro", "tr", "zh", "nl")
COUNTRIES = ("FR", "BE", "CH", "LU", "DE", "ES", "PT", "IT", "NL", "GB", "IE", "PL")
SPECIALITIES = (
    "depression",
    "anxiety",
    "stress",
    "burnout",
    "addiction",
    "relationships",
    "trauma",
    "grief",
    "lgbt",
    "eating",
    "sleep",
    "parenting",
)
MODALITIES = ("video", "phone", "chat")
GENDERS = ("woman", "man", "non_binary", "unspecified")
FAITHS = ("", "", "", "", "christian", "muslim", "jewish", "buddhist")
TIMES = ("morning", "afternoon", "evening")

NEEDS = PatientNeeds(
    concerns=("burnout", "anxiety", "relationships", "other"),
    languages=("pt", "fr", "en"),
    country="FR",
    modality="chat",
    modality_required=False,
    therapist_gender="woman",
    wants_lgbt_specialist=True,
    faith="",
    preferred_times=frozenset({"evening"}),
    preferred_days=frozenset({1, 3}),
    excluded_therapist_ids=frozenset({1, 2, 3}),
)


def _sample(rng: random.Random, population: tuple, low: int, high: int) -> frozenset:
    return frozenset(rng.sample(population, rng.randint(low, high)))


def candidates(count: int, seed: int = SEED) -> list[Candidate]:
    """``count`` therapists, about half of whom pass the hard filters for ``NEEDS``."""
    rng = random.Random(seed)
    made = []
    for therapist_id in range(1, count + 1):
        caseload_limit = rng.choice((10, 15, 20, 25, 30))
        known = rng.random() < 0.5  # half have published availability
        made.append(
            Candidate(
                therapist_id=therapist_id,
                languages=frozenset({"fr"} if rng.random() < 0.7 else set())
                | _sample(rng, LANGUAGES, 1, 3),
                licensed_countries=frozenset({"FR"} if rng.random() < 0.8 else set())
                | _sample(rng, COUNTRIES, 0, 2),
                modalities=_sample(rng, MODALITIES, 1, 3),
                specialities=_sample(rng, SPECIALITIES, 2, 5),
                gender=rng.choice(GENDERS),
                faith=rng.choice(FAITHS),
                accepting_new_patients=rng.random() < 0.9,
                caseload_limit=caseload_limit,
                active_patients=rng.randint(0, caseload_limit),
                free_times=_sample(rng, TIMES, 0, 3) if known else None,
                free_days=_sample(rng, tuple(range(7)), 0, 5) if known else None,
            )
        )
    rng.shuffle(made)  # not in id order: the baseline sort has real work to do
    return made


def _median_ms(work: Callable[[], object], runs: int, warm_up: int) -> float:
    for _ in range(warm_up):
        work()
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        work()
        samples.append(time.perf_counter_ns() - started)
    return statistics.median(samples) / 1e6


def run(options: Options) -> str:
    sizes = QUICK_SIZES if options.quick else SIZES
    warm_up = 1 if options.quick else WARM_UP_RUNS
    by_id = attrgetter("therapist_id")
    rows, target_line = [], ""
    for size in sizes:
        runs = QUICK_RUNS if options.quick else RUNS[size]
        data = candidates(size)
        kept = len(rank(NEEDS, data))
        baseline = _median_ms(partial(sorted, data, key=by_id), runs, warm_up)
        full = _median_ms(partial(rank, NEEDS, data), runs, warm_up)
        top = _median_ms(partial(rank, NEEDS, data, limit=LIMIT), runs, warm_up)
        rows.append(
            [
                f"{size:,}",
                f"{kept:,}",
                str(runs),
                f"{baseline:.2f}",
                f"{full:.2f}",
                ratio(full, baseline),
                f"{top:.2f}",
                ratio(top, baseline),
            ]
        )
        if size == TARGET_SIZE:
            verdict = "under" if full < TARGET_MS else "OVER"
            target_line = (
                f"target: {TARGET_SIZE:,} ranked in < {TARGET_MS:.0f} ms: {full:.1f} ms, "
                f"{verdict} the target (informational)"
            )
    header = [
        "candidates",
        "pass filters",
        "runs",
        "baseline ms",
        "rank ms",
        "rank / base",
        f"top {LIMIT} ms",
        f"top {LIMIT} / base",
    ]
    lines = [
        f"{TITLE}    pure Python, no database; seeded synthetic therapists",
        "baseline: sorted(candidates, key=therapist_id) over the same list; "
        f"rank: all kept, with reasons; top {LIMIT}: rank(..., limit={LIMIT})",
        f"median of the timed runs, after {warm_up} warm-up run(s) each",
    ]
    if options.quick:
        lines.append("--quick: 1,000 candidates and a few runs only: a smoke check, not numbers")
    table = format_table(header, rows, right={0, 1, 2, 3, 4, 5, 6, 7})
    return "\n".join([*lines, "", table, *([f"\n{target_line}"] if target_line else [])])
