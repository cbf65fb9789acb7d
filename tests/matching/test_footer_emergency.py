"""The footer's "In danger right now?" line says what to call where the person is (the time
zone pages are shown in: the profile's, or the browser's), not the EU's and France's numbers
to someone in Tokyo; France, an unknown zone and a place without a public number keep the
footer's own words. The numbers are looked up once per country and language, then cached."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matching.context_processors import cache_key
from matching.models import EmergencyNumber
from tests.factories import PatientFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def forget_cached_numbers():
    cache.delete_many(
        [cache_key(country, language) for country in ("JP", "CA") for language in ("en", "fr")]
    )


@pytest.fixture(autouse=True)
def _no_cached_numbers():
    forget_cached_numbers()
    yield
    forget_cached_numbers()


def footer(page) -> str:
    text = page.content.decode()
    return text[text.index('<footer class="site-footer">') :]


def test_a_patient_in_tokyo_is_told_what_to_call_in_japan():
    patient = PatientFactory(time_zone="Asia/Tokyo")

    shown = footer(client_for(patient).get(reverse("home")))

    assert "Where you are (Japan), call" in shown
    assert 'href="tel:119"' in shown
    assert 'href="tel:03-5774-0992"' in shown  # TELL Lifeline, in English
    assert 'href="tel:3114"' not in shown
    assert reverse("emergency") in shown


def test_in_french_too():
    patient = PatientFactory(time_zone="Asia/Tokyo", language="fr")

    shown = footer(client_for(patient).get(reverse("home")))

    assert "Là où vous êtes (Japon), appelez le" in shown
    assert "soutien gratuit et anonyme, en anglais" in shown


@pytest.mark.parametrize("zone", ["Europe/Paris", "UTC"])
def test_france_and_an_unknown_place_keep_the_footers_own_words(zone):
    patient = PatientFactory(time_zone=zone)

    shown = footer(client_for(patient).get(reverse("home")))

    assert 'href="tel:112"' in shown
    assert 'href="tel:3114"' in shown
    assert "Where you are" not in shown


def test_a_visitor_gets_the_numbers_of_their_browsers_zone(client):
    client.cookies["tz"] = "America/Toronto"

    shown = footer(client.get(reverse("landing")))

    assert "Where you are (Canada), call" in shown
    assert 'href="tel:911"' in shown


def test_a_place_without_a_public_number_keeps_the_footers_own_words():
    EmergencyNumber.objects.filter(country="JP").update(emergency="")
    patient = PatientFactory(time_zone="Asia/Tokyo")

    shown = footer(client_for(patient).get(reverse("home")))

    assert 'href="tel:112"' in shown


def test_the_numbers_are_looked_up_once_per_country_and_language():
    client = client_for(PatientFactory(time_zone="Asia/Tokyo"))
    client.get(reverse("home"))

    with CaptureQueriesContext(connection) as again:
        client.get(reverse("home"))
    with CaptureQueriesContext(connection) as cold:
        forget_cached_numbers()
        client.get(reverse("home"))

    looked_up = [q["sql"] for q in cold if "emergency" in q["sql"]]
    assert looked_up  # the numbers, read from the table when not cached
    assert not [q["sql"] for q in again if "emergency" in q["sql"]]
