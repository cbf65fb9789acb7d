"""Emergency numbers for every country the country field offers, shown for where the person lives
first and then for the country they come from; data staff correct in the admin."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django_countries import countries

from matching import selectors
from matching.forms import PlaceForm
from matching.models import EmergencyNumber, EmergencyResource
from tests.factories.matching import IntakeFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
# No permanent population, hence no public emergency service: the page says whom to ask.
UNINHABITED = {"AQ", "BV", "GS", "HM", "IO", "PN", "TF", "TK", "UM"}


def _numbers_section(page: str) -> str:
    start = page.index('id="numbers-heading"')
    return page[start : page.index("</section>", start)]


def test_every_country_the_intake_offers_has_an_entry():
    offered = {code for code, _name in PlaceForm().fields["country"].choices if code}
    rows = dict(EmergencyNumber.objects.values_list("country", "emergency"))

    assert offered == {country.code for country in countries}
    assert offered - set(rows) == set()
    assert {code for code in offered if not rows[code]} == UNINHABITED
    assert all(row.source for row in EmergencyNumber.objects.all())
    assert all(row.source for row in EmergencyResource.objects.all())


def test_known_numbers_at_launch():
    rows = {row.country.code: row for row in EmergencyNumber.objects.all()}

    assert (rows["JP"].emergency, rows["JP"].police) == ("119", "110")
    assert (rows["US"].emergency, rows["GB"].emergency, rows["AU"].emergency) == (
        "911",
        "999",
        "000",
    )
    assert rows["DE"].emergency == "112"
    assert not EmergencyResource.objects.filter(phone="112").exists()  # a row per country now


def test_where_they_live_first_then_where_they_come_from():
    found = selectors.emergency_numbers_for(countries=["JP", "FR", "JP", "", "XX"], language="fr")

    assert [place.country for place in found] == ["JP", "FR"]
    japan, france = found
    assert japan.name == "Japan"
    assert (japan.emergency, japan.police) == ("119", "110")
    assert [line.phone for line in japan.lines] == ["03-5774-0992"]
    assert [line.phone for line in france.lines] == ["3114", "15", "114"]
    assert france.lines[0].description.startswith("Numéro national de prévention du suicide")


def test_staff_corrections_show_at_once():
    EmergencyNumber.objects.filter(country="JP").update(emergency="119 (corrected)")

    [japan] = selectors.emergency_numbers_for(countries=["JP"], language="en")

    assert japan.emergency == "119 (corrected)"


def test_the_safety_page_shows_both_countries_of_an_expatriate(client):
    session = client.session
    session[selectors.INTAKE_DRAFT_SESSION_KEY] = {
        "place": {"languages": ["fr"], "country": "JP", "home_country": "FR", "time_zone": "UTC"}
    }
    session.save()

    numbers = _numbers_section(client.get(reverse("intake_safety")).text)

    assert numbers.index('href="tel:119"') < numbers.index('href="tel:3114"')
    assert 'href="tel:03-5774-0992"' in numbers
    assert "These numbers work only from that country." in numbers


def test_a_visitor_sees_the_numbers_of_their_browsers_time_zone(client):
    client.cookies["tz"] = "Asia/Tokyo"

    start = client.get(reverse("intake_start")).text
    safety = _numbers_section(client.get(reverse("intake_safety")).text)

    assert 'href="tel:119"' in start
    assert "(Japan)" in start
    assert 'href="tel:119"' in safety
    assert 'href="tel:3114"' not in safety


def test_the_country_of_a_time_zone():
    assert selectors.country_of_time_zone("Asia/Tokyo") == "JP"
    assert selectors.country_of_time_zone("Europe/Paris") == "FR"
    assert selectors.country_of_time_zone("UTC") == ""
    assert selectors.country_of_time_zone("Nowhere/Atlantis") == ""


def test_the_checkin_help_page_shows_the_patients_two_countries(patient):
    IntakeFactory(patient=patient, country="JP", home_country="FR", created_at=NOW)

    numbers = _numbers_section(client_for(patient).get(reverse("checkin_help")).text)

    assert numbers.index('href="tel:119"') < numbers.index('href="tel:3114"')


def test_an_uninhabited_place_says_whom_to_ask(client):
    session = client.session
    session[selectors.INTAKE_DRAFT_SESSION_KEY] = {"place": {"country": "AQ"}}
    session.save()

    numbers = _numbers_section(client.get(reverse("intake_safety")).text)

    assert "ask the people in charge where you are" in numbers


def test_staff_correct_a_number_and_say_when_they_checked(staff_client):
    row = EmergencyNumber.objects.get(country="JP")
    url = reverse("admin:matching_emergencynumber_change", args=[row.pk])

    response = staff_client.post(
        url,
        {
            "emergency": "119",
            "police": "110",
            "source": "Checked by phone",
            "checked_at": "2026-12-01",
        },
    )

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.source, str(row.checked_at)) == ("Checked by phone", "2026-12-01")
    delete = reverse("admin:matching_emergencynumber_delete", args=[row.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert EmergencyNumber.objects.filter(pk=row.pk).exists()


def test_patients_and_therapists_do_not_edit_numbers(patient, therapist):
    url = reverse("admin:matching_emergencynumber_changelist")
    for outsider in (patient, therapist):
        assert client_for(outsider).get(url).status_code == 302  # to the admin's login


# --- The emergency page every page's footer leads to -------------------------------------------


def test_the_emergency_page_shows_a_patients_two_countries(patient):
    IntakeFactory(patient=patient, country="JP", home_country="FR", created_at=NOW)

    page = client_for(patient).get(reverse("emergency")).text
    numbers = _numbers_section(page)

    assert numbers.index('href="tel:119"') < numbers.index('href="tel:3114"')
    assert 'href="tel:03-5774-0992"' in numbers
    assert "Outside the European Union" not in page


def test_the_emergency_page_shows_a_visitors_numbers_from_their_time_zone(client):
    client.cookies["tz"] = "Asia/Tokyo"

    numbers = _numbers_section(client.get(reverse("emergency")).text)

    assert '<h3 class="h6 mb-1 mt-2">Japan</h3>' in numbers
    assert 'href="tel:119"' in numbers
    assert 'href="tel:3114"' not in numbers


def test_the_emergency_page_without_any_country_says_112_and_3114(client):
    numbers = _numbers_section(client.get(reverse("emergency")).text)

    assert "Call your local emergency number" in numbers
    assert 'href="tel:112"' in numbers
    assert 'href="tel:3114"' in numbers
