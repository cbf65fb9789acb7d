"""The dashboard's sections: each session row written once by the composer, in the therapist's
zone and language; the caseload and the sessions fetched again alone compose only their own
section (no offers looked up, no caseload read logged for the sessions)."""

from datetime import timedelta

import pytest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation

from audit.models import AccessEntry
from matching import services as matching_services
from teletherapy import dashboards
from tests.factories.matching import MatchRequestFactory, make_eligible
from tests.helpers import client_for

# Wednesday 3 March 2027, 10:00 in Paris (the therapist's zone: the factories' default).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def offer(patient, therapist, now):
    make_eligible(therapist)
    asked = now - timedelta(minutes=40)
    request = MatchRequestFactory(patient=patient, created_at=asked)
    offer = matching_services.offer_next(request=request, now=asked)
    assert offer.therapist.user == therapist
    return offer


def test_a_session_row_links_and_times_in_the_therapists_zone(
    therapist, now, make_match, make_session
):
    kim = make_match(therapist, "Kim")
    session = make_session(kim, now + timedelta(days=1, hours=1))  # Thursday 11:00 in Paris

    page = client_for(therapist).get(reverse("home")).content.decode()

    assert (
        f'<a href="{reverse("session_detail", kwargs={"pk": session.pk})}">'
        '<time datetime="2027-03-04T11:00:00+01:00">Thu 4 Mar, 11:00–11:50</time></a>'
        "\n        · Kim · Video"
    ) in page
    notes = reverse("session_notes", kwargs={"pk": session.pk})
    assert f'<a href="{notes}">Notes<span class="visually-hidden"> of the session at 11:00' in page


def test_a_session_row_in_french(therapist, now, make_match, make_session):
    therapist.language = "fr"
    therapist.save(update_fields=["language"])
    kim = make_match(therapist, "Kim")
    session = make_session(kim, now + timedelta(days=1, hours=1))

    page = client_for(therapist).get(reverse("home")).content.decode()

    with translation.override("fr"), timezone.override("Europe/Paris"):
        words = date_filter(timezone.localtime(session.starts_at), "D j M, H:i")
    assert words != "Thu 4 Mar, 11:00"
    assert f'<time datetime="2027-03-04T11:00:00+01:00">{words}–11:50</time>' in page


def test_the_caseload_alone_composes_no_offers(therapist, offer, make_match):
    make_match(therapist, "Robin")
    offers_read = AccessEntry.objects.filter(kind=AccessEntry.Kind.OFFER).count()

    response = client_for(therapist).get(reverse("dashboard_caseload"))

    assert isinstance(response.context["dashboard"], dashboards.CaseloadSection)
    assert "Robin" in response.content.decode()
    assert AccessEntry.objects.filter(kind=AccessEntry.Kind.OFFER).count() == offers_read


def test_the_sessions_alone_read_no_caseload(therapist, now, make_match, make_session):
    robin = make_match(therapist, "Robin")
    make_session(robin, now + timedelta(hours=2))
    client = client_for(therapist)
    caseload_read = AccessEntry.objects.filter(kind=AccessEntry.Kind.CASELOAD)
    before = caseload_read.count()

    response = client.get(reverse("dashboard_sessions"))

    assert isinstance(response.context["dashboard"], dashboards.SessionsSection)
    assert "Robin" in response.content.decode()
    assert caseload_read.count() == before
    client.get(reverse("home"))
    assert caseload_read.count() > before  # the whole page reads it
