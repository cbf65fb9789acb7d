"""The progress chart: PHQ-9 or GAD-7 scores over time, drawn on the server as SVG.

No script, no inline style (the CSP forbids both): the geometry is computed here, colours are
SVG presentation attributes, dates are formatted by the template in the viewer's time zone.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django import template

from matching import screening
from matching.choices import Instrument
from matching.models import ScreeningResult

register = template.Library()

WIDTH, HEIGHT = 520, 250
LEFT, RIGHT, TOP, BOTTOM = 30, 132, 10, 32  # margins: score labels, band names, dates
INSET = 14  # keeps the first and last points off the plot's edges
# Light tints, darker with severity; every band is also named in text, colour is only a help.
BAND_FILLS = {
    "minimal": "#e3f1e8",
    "mild": "#f1efd6",
    "moderate": "#fae6c8",
    "moderately_severe": "#f7d8c8",
    "severe": "#f3cdcd",
}
LABELLED_POINTS_MAX = 12  # beyond this, scores over the points would overlap


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label_y: float  # where the score is written, above the point (below it near the top)
    result: ScreeningResult


@dataclass(frozen=True)
class BandArea:
    code: str
    label: str
    low: int
    high: int
    y: float
    height: float
    label_y: float
    fill: str
    threshold_y: float | None  # the line where the band starts; None for the lowest


def _round(value: float) -> float:
    return round(value, 1)


@register.inclusion_tag("matching/score_chart.html")
def score_chart(results: Iterable[ScreeningResult], instrument: str) -> dict:
    """``{% score_chart results "phq9" %}``: the chart of this instrument's results (others in
    ``results`` are left out), with its severity bands and a table of the same scores."""
    questionnaire = screening.questionnaire(instrument)
    history = sorted(
        (result for result in results if result.instrument == instrument),
        key=lambda result: (result.taken_at, result.pk or 0),
    )
    plot_left, plot_right = LEFT, WIDTH - RIGHT
    plot_top, plot_bottom = TOP, HEIGHT - BOTTOM
    top_score = questionnaire.max_score

    def y_of(score: float) -> float:
        return plot_bottom - (plot_bottom - plot_top) * score / top_score

    bands = []
    for band in questionnaire.bands:
        # Bands meet half-way between their whole scores, so a point never sits on a line.
        lower = y_of(max(band.low - 0.5, 0))
        upper = y_of(min(band.high + 0.5, top_score))
        bands.append(
            BandArea(
                code=band.code,
                label=str(band.label),
                low=band.low,
                high=band.high,
                y=_round(upper),
                height=_round(lower - upper),
                label_y=_round((lower + upper) / 2),
                fill=BAND_FILLS.get(band.code, "#eeeeee"),
                threshold_y=_round(lower) if band.low > 0 else None,
            )
        )
    points = _points(history, y_of, plot_left + INSET, plot_right - INSET)
    return {
        # Unique on a page that shows several patients' charts (a therapist's caseload).
        "chart_id": f"score-chart-{instrument}-{history[0].patient_id}" if history else "",
        "instrument_name": Instrument(instrument).label,
        "max_score": top_score,
        "history": history,
        "first": history[0] if history else None,
        "latest": history[-1] if history else None,
        "points": points,
        "line": " ".join(f"{point.x},{point.y}" for point in points),
        "labelled": len(history) <= LABELLED_POINTS_MAX,
        "bands": bands,
        "width": WIDTH,
        "height": HEIGHT,
        "plot": {
            "left": plot_left,
            "right": plot_right,
            "top": plot_top,
            "bottom": plot_bottom,
            "width": plot_right - plot_left,
            "height": plot_bottom - plot_top,
            "band_label_x": plot_right + 6,
            "score_label_x": plot_left - 6,
            "date_y": HEIGHT - 10,
        },
    }


def _points(history: list[ScreeningResult], y_of, left: float, right: float) -> list[Point]:
    """Points on a time axis; one point alone stands in the middle."""
    if not history:
        return []
    first, last = history[0].taken_at, history[-1].taken_at
    span = (last - first).total_seconds()

    def x_of(index: int, taken_at: datetime) -> float:
        if len(history) == 1:
            return (left + right) / 2
        if span <= 0:  # all taken at the same moment: evenly spaced, in order
            return left + (right - left) * index / (len(history) - 1)
        return left + (right - left) * (taken_at - first).total_seconds() / span

    points = []
    for index, result in enumerate(history):
        y = y_of(result.score)
        label_y = y - 9 if y - 9 > TOP + 10 else y + 17
        points.append(
            Point(
                x=_round(x_of(index, result.taken_at)),
                y=_round(y),
                label_y=_round(label_y),
                result=result,
            )
        )
    return points


# --- The journal's mood --------------------------------------------------------------------

MOOD_MAX = 10
MOOD_HEIGHT = 170  # lower than the score charts: no bands to name


@dataclass(frozen=True)
class MoodPoint:
    x: float
    y: float
    written_at: datetime
    mood: int


@register.inclusion_tag("matching/mood_chart.html")
def mood_chart(entries: Iterable, name: str) -> dict:
    """``{% mood_chart entries "mine" %}``: the moods of these journal entries over time (those
    without a mood are left out), oldest first, with a table of the same moods. ``name`` keeps
    the chart's ids apart on a page."""
    moods = sorted(
        ((entry.written_at, entry.mood) for entry in entries if entry.mood is not None),
        key=lambda pair: pair[0],
    )
    plot_left, plot_right = LEFT, WIDTH - 20
    plot_top, plot_bottom = TOP, MOOD_HEIGHT - BOTTOM
    inner_left, inner_right = plot_left + INSET, plot_right - INSET
    first, last = (moods[0][0], moods[-1][0]) if moods else (None, None)
    span = (moods[-1][0] - moods[0][0]).total_seconds() if moods else 0

    def y_of(mood: float) -> float:
        return _round(plot_bottom - (plot_bottom - plot_top) * (mood - 1) / (MOOD_MAX - 1))

    points = []
    for written_at, mood in moods:
        share = (written_at - moods[0][0]).total_seconds() / span if span else 0.5
        x = _round(inner_left + (inner_right - inner_left) * share)
        points.append(MoodPoint(x=x, y=y_of(mood), written_at=written_at, mood=mood))
    return {
        "chart_id": f"mood-chart-{name}",
        "points": points,
        "line": " ".join(f"{point.x},{point.y}" for point in points),
        "first": first,
        "last": last,
        "width": WIDTH,
        "height": MOOD_HEIGHT,
        "plot": {
            "left": plot_left,
            "right": plot_right,
            "top": plot_top,
            "bottom": plot_bottom,
            "middle": y_of(5.5),
            "label_x": plot_left - 6,
            "date_y": MOOD_HEIGHT - 10,
        },
    }
