"""The progress chart: an SVG drawn on the server, with its bands and a table of the same scores."""

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from matching.models import ScreeningResult
from matching.screening import score
from matching.templatetags import progress
from tests.factories import PatientFactory
from tests.factories.matching import CheckinFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def result(patient, instrument: str, total: int, taken_at: datetime) -> ScreeningResult:
    items = 9 if instrument == "phq9" else 7
    answers = [min(3, max(0, total - 3 * index)) for index in range(items)]
    scored = score(instrument, answers)
    checkin = CheckinFactory(
        patient=patient,
        instrument=instrument,
        answers=answers,
        score=scored.total,
        band=scored.band,
        taken_at=taken_at,
    )
    return cast(ScreeningResult, checkin)


def render(results, instrument: str = "phq9") -> str:
    template = Template("{% load progress %}{% score_chart results instrument %}")
    return template.render(Context({"results": results, "instrument": instrument}))


def svg_of(html: str) -> ET.Element:
    """The chart, parsed: it must be well-formed XML."""
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    return ET.fromstring(svg)  # noqa: S314 (our own template's output)


def table_rows(html: str) -> list[list[str]]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return [
        [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


@pytest.fixture
def patient_of_chart():
    return PatientFactory()


def test_no_result_says_so_without_an_empty_chart():
    html = render([])
    assert "No PHQ-9 score yet." in html
    assert "<svg" not in html
    assert "<table" not in html


def test_one_result_is_a_point_with_its_title_desc_and_table(patient_of_chart):
    html = render([result(patient_of_chart, "phq9", 8, NOW)])

    svg = svg_of(html)
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.get("id") == f"score-chart-phq9-{patient_of_chart.pk}-title"
    assert title.text == "PHQ-9 scores over time"
    assert " ".join(desc.text.split()) == (
        "One score, on Nov. 23, 2026: 8 out of 27 (Mild). Higher scores mean more difficulty."
    )
    assert len(svg.findall(f"{SVG}circle")) == 1
    assert svg.find(f"{SVG}polyline") is None  # no line from one point
    assert table_rows(html) == [["Nov. 23, 2026", "8", "Mild"]]


def test_the_severity_bands_and_their_thresholds_are_drawn_and_named(patient_of_chart):
    phq9 = render([result(patient_of_chart, "phq9", 8, NOW)], "phq9")
    gad7 = render([result(patient_of_chart, "gad7", 8, NOW)], "gad7")

    for html, names, thresholds in (
        (
            phq9,
            ["Minimal", "Mild", "Moderate", "Moderately severe", "Severe"],
            ["5", "10", "15", "20"],
        ),
        (gad7, ["Minimal", "Mild", "Moderate", "Severe"], ["5", "10", "15"]),
    ):
        svg = svg_of(html)
        texts = [text.text for text in svg.iter(f"{SVG}text")]
        assert [name for name in texts if name in names] == names
        assert len(svg.findall(f"{SVG}rect")) == len(names)
        dashed = [line for line in svg.findall(f"{SVG}line") if line.get("stroke-dasharray")]
        assert len(dashed) == len(thresholds)
        for threshold in thresholds:
            assert threshold in texts
    assert "27" in [text.text for text in svg_of(phq9).iter(f"{SVG}text")]
    assert "21" in [text.text for text in svg_of(gad7).iter(f"{SVG}text")]
    assert "Moderately severe" not in gad7


def test_many_results_in_order_on_a_time_axis(patient_of_chart):
    scores = [22, 19, 17, 15, 14, 12, 12, 10, 9, 9, 8, 7, 6, 6, 5, 4, 4, 3, 3, 2]
    results = [
        result(patient_of_chart, "phq9", total, NOW + timedelta(days=28 * index))
        for index, total in enumerate(scores)
    ]
    results.reverse()  # whatever order they come in

    html = render(results)

    svg = svg_of(html)
    circles = svg.findall(f"{SVG}circle")
    assert len(circles) == len(scores)
    xs = [float(circle.get("cx")) for circle in circles]
    ys = [float(circle.get("cy")) for circle in circles]
    assert xs == sorted(xs)
    steps = {round(b - a, 1) for a, b in itertools.pairwise(xs)}
    assert max(steps) - min(steps) <= 0.2  # evenly spaced in time, as they were taken
    assert ys[0] < ys[-1]  # 22 is drawn above 2
    assert len(svg.find(f"{SVG}polyline").get("points").split()) == len(scores)
    # Too many to write each score over its point: the table has them.
    assert not [text for text in svg.iter(f"{SVG}text") if text.get("font-weight") == "bold"]
    rows = table_rows(html)
    assert [row[1] for row in rows] == [str(total) for total in scores]
    assert rows[0] == ["Nov. 23, 2026", "22", "Severe"]
    assert rows[-1][2] == "Minimal"
    desc = " ".join(svg.find(f"{SVG}desc").text.split())
    assert desc.startswith("20 scores from Nov. 23, 2026 to ")
    assert "the latest is 2 out of 27 (Minimal)" in desc


def test_a_few_results_have_their_scores_written_over_the_points(patient_of_chart):
    results = [
        result(patient_of_chart, "gad7", total, NOW + timedelta(days=28 * index))
        for index, total in enumerate([14, 11, 21])
    ]
    svg = svg_of(render(results, "gad7"))
    written = [t.text for t in svg.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert written == ["14", "11", "21"]
    for text in svg.iter(f"{SVG}text"):
        assert 0 <= float(text.get("y")) <= progress.HEIGHT  # 21 at the top stays inside


def test_scores_map_onto_the_scale(patient_of_chart):
    results = [
        result(patient_of_chart, "phq9", 0, NOW),
        result(patient_of_chart, "phq9", 27, NOW + timedelta(days=28)),
    ]
    ys = [float(c.get("cy")) for c in svg_of(render(results)).findall(f"{SVG}circle")]
    assert ys == [progress.HEIGHT - progress.BOTTOM, progress.TOP]


def test_results_taken_at_the_same_moment_are_spread_in_order(patient_of_chart):
    results = [result(patient_of_chart, "phq9", total, NOW) for total in (3, 6, 9)]
    xs = [float(c.get("cx")) for c in svg_of(render(results)).findall(f"{SVG}circle")]
    assert xs == sorted(xs)
    assert len(set(xs)) == 3


def test_two_patients_charts_on_one_page_have_their_own_ids(patient_of_chart):
    other = PatientFactory()
    html = render([result(patient_of_chart, "phq9", 8, NOW)]) + render(
        [result(other, "phq9", 3, NOW)]
    )
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == 4
    assert len(set(ids)) == 4


def test_only_the_instruments_own_results_are_drawn(patient_of_chart):
    results = [
        result(patient_of_chart, "phq9", 8, NOW),
        result(patient_of_chart, "gad7", 14, NOW),
        result(patient_of_chart, "gad7", 9, NOW + timedelta(days=28)),
    ]
    assert len(svg_of(render(results, "phq9")).findall(f"{SVG}circle")) == 1
    assert len(svg_of(render(results, "gad7")).findall(f"{SVG}circle")) == 2


def test_dates_are_in_the_viewers_time_zone(patient_of_chart):
    late_evening = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # already the 24th in Paris
    results = [result(patient_of_chart, "phq9", 8, late_evening)]

    with timezone.override(ZoneInfo("Europe/Paris")):
        paris = render(results)
    with timezone.override(ZoneInfo("America/New_York")):
        new_york = render(results)

    assert table_rows(paris) == [["Nov. 24, 2026", "8", "Mild"]]
    assert table_rows(new_york) == [["Nov. 23, 2026", "8", "Mild"]]
    assert "Nov. 24, 2026" in svg_of(paris).find(f"{SVG}desc").text


def test_the_chart_keeps_to_the_content_security_policy(patient_of_chart):
    results = [
        result(patient_of_chart, "phq9", total, NOW + timedelta(days=28 * index))
        for index, total in enumerate([12, 9, 5])
    ]
    html = render(results)
    assert "style=" not in html
    assert "<style" not in html
    assert "<script" not in html
    assert " on" not in re.sub(r">[^<]*<", "><", html)  # no event handler attributes
    assert "<details" in html
    assert "<summary>Show the scores as a table</summary>" in html
    assert '<th scope="col">Score (0 to 27)</th>' in html


def test_in_french_the_chart_writes_its_numbers_with_dots(patient_of_chart):
    """French writes decimals with a comma ("183,3"); SVG reads only dots: a comma there is a
    console error and a chart gone (issue 14)."""
    results = [
        result(patient_of_chart, "phq9", total, NOW + timedelta(days=offset))
        for total, offset in ((5, 0), (11, 9), (7, 23))
    ]

    with translation.override("fr"):
        html = render(results)

    svg = svg_of(html)
    numbers = [
        value
        for element in svg.iter()
        for name, value in element.attrib.items()
        if name in ("x", "y", "width", "height", "cx", "cy", "x1", "x2", "y1", "y2")
    ]
    assert numbers
    assert all(re.fullmatch(r"[0-9.]+", value) for value in numbers)
    polyline = svg.find(f"{SVG}polyline").get("points")
    assert re.fullmatch(r"([0-9.]+,[0-9.]+ ?)+", polyline)
    assert any("." in value for value in numbers)  # there are decimals, written the SVG way
    assert "Légère" in html  # the words are still French
