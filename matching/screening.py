"""PHQ-9 (depression) and GAD-7 (anxiety): their standard items, answer scale and severity bands.

Both are in the public domain (Spitzer, Williams, Kroenke et al., developed with a grant from
Pfizer). The wording below is the standard English wording; do not edit it: a reworded item is no
longer the validated instrument. Translations must be the validated ones as well.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from matching.choices import Instrument

# The same four answers, scored 0 to 3, for every item of both questionnaires.
ANSWER_CHOICES = (
    (0, _("Not at all")),
    (1, _("Several days")),
    (2, _("More than half the days")),
    (3, _("Nearly every day")),
)
ANSWER_VALUES = frozenset(value for value, _label in ANSWER_CHOICES)

# PHQ-9 asks about "any of" the problems, GAD-7 about "the following problems": both as published.
PHQ9_STEM = _(
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)
GAD7_STEM = _("Over the last 2 weeks, how often have you been bothered by the following problems?")

PHQ9_ITEMS = (
    _("Little interest or pleasure in doing things"),
    _("Feeling down, depressed, or hopeless"),
    _("Trouble falling or staying asleep, or sleeping too much"),
    _("Feeling tired or having little energy"),
    _("Poor appetite or overeating"),
    _(
        "Feeling bad about yourself — or that you are a failure or have let yourself or your "
        "family down"
    ),
    _("Trouble concentrating on things, such as reading the newspaper or watching television"),
    _(
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
        "being so fidgety or restless that you have been moving around a lot more than usual"
    ),
    _("Thoughts that you would be better off dead or of hurting yourself in some way"),
)
PHQ9_SELF_HARM_ITEM = 8  # item 9, counted from 0

GAD7_ITEMS = (
    _("Feeling nervous, anxious, or on edge"),
    _("Not being able to stop or control worrying"),
    _("Worrying too much about different things"),
    _("Trouble relaxing"),
    _("Being so restless that it is hard to sit still"),
    _("Becoming easily annoyed or irritable"),
    _("Feeling afraid, as if something awful might happen"),
)


@dataclass(frozen=True)
class Band:
    code: str  # stored in ScreeningResult.band
    label: Promise
    low: int  # inclusive
    high: int  # inclusive


_MINIMAL = ("minimal", _("Minimal"))
_MILD = ("mild", _("Mild"))
_MODERATE = ("moderate", _("Moderate"))
_MODERATELY_SEVERE = ("moderately_severe", _("Moderately severe"))
_SEVERE = ("severe", _("Severe"))


@dataclass(frozen=True)
class Questionnaire:
    instrument: str
    stem: Promise
    items: tuple[Promise, ...]
    bands: tuple[Band, ...]  # the published severity bands, covering 0 to max_score

    @property
    def max_score(self) -> int:
        return 3 * len(self.items)


PHQ9 = Questionnaire(
    instrument=Instrument.PHQ9,
    stem=PHQ9_STEM,
    items=PHQ9_ITEMS,
    bands=(
        Band(*_MINIMAL, 0, 4),
        Band(*_MILD, 5, 9),
        Band(*_MODERATE, 10, 14),
        Band(*_MODERATELY_SEVERE, 15, 19),
        Band(*_SEVERE, 20, 27),
    ),
)
GAD7 = Questionnaire(
    instrument=Instrument.GAD7,
    stem=GAD7_STEM,
    items=GAD7_ITEMS,
    bands=(
        Band(*_MINIMAL, 0, 4),
        Band(*_MILD, 5, 9),
        Band(*_MODERATE, 10, 14),
        Band(*_SEVERE, 15, 21),
    ),
)
QUESTIONNAIRES = {PHQ9.instrument: PHQ9, GAD7.instrument: GAD7}


@dataclass(frozen=True)
class Score:
    total: int
    band: str  # code: minimal, mild, moderate, moderately_severe, severe
    band_label: Promise


def questionnaire(instrument: str) -> Questionnaire:
    try:
        return QUESTIONNAIRES[instrument]
    except KeyError:
        raise ValueError(f"unknown screening instrument {instrument!r}") from None


def _validated(form: Questionnaire, answers: Sequence[int]) -> Sequence[int]:
    if isinstance(answers, str | bytes) or len(answers) != len(form.items):
        raise ValueError(f"{form.instrument} needs exactly {len(form.items)} answers")
    for answer in answers:
        # bool is an int subclass, but True is not an answer on the scale.
        if type(answer) is not int or answer not in ANSWER_VALUES:
            raise ValueError(f"{form.instrument} answers are integers from 0 to 3")
    return answers


def score(instrument: str, answers: Sequence[int]) -> Score:
    """The total and its published severity band; ValueError for any incomplete or odd answer."""
    form = questionnaire(instrument)
    total = sum(_validated(form, answers))
    band = next(band for band in form.bands if band.low <= total <= band.high)
    return Score(total=total, band=band.code, band_label=band.label)


def phq9_self_harm_positive(answers: Sequence[int]) -> bool:
    """Item 9 (thoughts of being better off dead or of self-harm) answered above "not at all".

    Whatever the total, this alone means: show crisis resources now and flag the case for staff.
    """
    return _validated(PHQ9, answers)[PHQ9_SELF_HARM_ITEM] > 0
