"""PHQ-9 and GAD-7: standard items, scale, and the published severity bands at every boundary."""

import pytest
from django.utils import translation
from django.utils.functional import Promise

from matching import screening
from matching.choices import Instrument


def answers_totalling(total: int, items: int) -> list[int]:
    """Answers to ``items`` questions adding up to ``total``, filled 3 by 3 from the first."""
    answers = []
    for _ in range(items):
        answers.append(min(3, total))
        total -= answers[-1]
    assert total == 0, "more than the maximum"
    return answers


PHQ9_BOUNDARIES = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "moderately_severe"),
    (19, "moderately_severe"),
    (20, "severe"),
    (27, "severe"),
]
GAD7_BOUNDARIES = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "severe"),
    (21, "severe"),
]


@pytest.mark.parametrize(("total", "band"), PHQ9_BOUNDARIES)
def test_phq9_bands(total, band):
    result = screening.score(Instrument.PHQ9, answers_totalling(total, 9))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(("total", "band"), GAD7_BOUNDARIES)
def test_gad7_bands(total, band):
    result = screening.score(Instrument.GAD7, answers_totalling(total, 7))
    assert (result.total, result.band) == (total, band)


def test_the_total_does_not_depend_on_which_items():
    assert screening.score("phq9", [0, 0, 0, 0, 0, 0, 0, 2, 3]).band == "mild"
    assert screening.score("gad7", [1, 1, 1, 1, 1, 0, 0]).band == "mild"


def test_bands_cover_every_total_once():
    for form in screening.QUESTIONNAIRES.values():
        for total in range(form.max_score + 1):
            assert sum(band.low <= total <= band.high for band in form.bands) == 1
    assert screening.PHQ9.max_score == 27
    assert screening.GAD7.max_score == 21


def test_band_labels_follow_the_active_language():
    result = screening.score("phq9", answers_totalling(17, 9))
    assert isinstance(result.band_label, Promise)  # translated when shown, not when scored
    with translation.override("en"):
        assert str(result.band_label) == "Moderately severe"


def test_standard_items_and_scale():
    with translation.override("en"):
        assert [str(label) for _value, label in screening.ANSWER_CHOICES] == [
            "Not at all",
            "Several days",
            "More than half the days",
            "Nearly every day",
        ]
        assert [value for value, _label in screening.ANSWER_CHOICES] == [0, 1, 2, 3]
        assert str(screening.PHQ9.stem) == (
            "Over the last 2 weeks, how often have you been bothered by any of the following "
            "problems?"
        )
        assert len(screening.PHQ9.items) == 9
        assert str(screening.PHQ9.items[0]) == "Little interest or pleasure in doing things"
        assert str(screening.PHQ9.items[8]) == (
            "Thoughts that you would be better off dead or of hurting yourself in some way"
        )
        assert len(screening.GAD7.items) == 7
        assert str(screening.GAD7.items[0]) == "Feeling nervous, anxious, or on edge"
        assert str(screening.GAD7.items[6]) == "Feeling afraid, as if something awful might happen"


@pytest.mark.parametrize(
    ("instrument", "answers"),
    [
        ("phq9", [0] * 8),  # too few
        ("phq9", [0] * 10),  # too many
        ("gad7", [0] * 9),  # PHQ-9's count, not GAD-7's
        ("phq9", []),
        ("phq9", [0] * 8 + [4]),  # above the scale
        ("phq9", [0] * 8 + [-1]),  # below it
        ("phq9", [0] * 8 + ["1"]),  # not a number
        ("gad7", [0] * 6 + [1.5]),
        ("gad7", [0] * 6 + [True]),
        ("gad7", [0] * 6 + [None]),
        ("gad7", "0000000"),
        ("pcl5", [0] * 9),  # not an instrument here
    ],
)
def test_invalid_answers_are_refused(instrument, answers):
    with pytest.raises(ValueError, match=r"."):
        screening.score(instrument, answers)


@pytest.mark.parametrize(
    ("item9", "positive"),
    [(0, False), (1, True), (2, True), (3, True)],
)
def test_phq9_item9(item9, positive):
    assert screening.phq9_self_harm_positive([0] * 8 + [item9]) is positive


def test_phq9_item9_alone_counts_whatever_the_total():
    answers = [0] * 8 + [1]
    assert screening.score("phq9", answers).band == "minimal"
    assert screening.phq9_self_harm_positive(answers)
    assert not screening.phq9_self_harm_positive([3] * 8 + [0])


def test_phq9_item9_needs_a_whole_phq9():
    with pytest.raises(ValueError, match=r"9 answers"):
        screening.phq9_self_harm_positive([1])
