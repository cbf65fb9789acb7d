"""The dashboard's sections: each session row written once by the composer, in the therapist's
zone and language; the caseload and the sessions fetched again alone compose only their own
section (no offers looked up, no caseload read logged for the sessions); a caseload row fetched
again alone when its patient's conversation changes reads that patient alone, for their
therapist only."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from audit.models import AccessEntry
from matching import services as matching_services
from matching.models import Match
from teletherapy import dashboards
from tests.factories.matching import MatchRequestFactory, make_eligible
from tests.helpers import client_for, instances_made

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


# --- A caseload row, fetched again alone ------------------------------------------------------


def _row_url(patient_id: int) -> str:
    return reverse("dashboard_caseload_row", kwargs={"patient_id": patient_id})


def test_each_caseload_row_follows_its_own_patients_conversation(therapist, make_match):
    kim = make_match(therapist, "Kim")

    page = client_for(therapist).get(reverse("home")).content.decode()

    assert (
        f'<tr id="caseload-row-{kim.patient_id}" data-refresh-url="{_row_url(kim.patient_id)}"'
        f' data-refresh-on="conversation.activity:patient={kim.patient_id}">'
    ) in page
    # The whole caseload follows what adds or removes a row; a message changes one row.
    assert 'data-refresh-on="match.started match.ended htmx.changed"' in page


def test_a_row_alone_shows_its_conversation_now_reading_that_patient_alone(
    therapist, now, make_match, make_message, make_score
):
    kim = make_match(therapist, "Kim")
    robin = make_match(therapist, "Robin")
    make_message(robin, robin.patient, "Robin's news", now - timedelta(minutes=5))
    make_score(kim.patient, "phq9", 12, now - timedelta(days=3))
    client = client_for(therapist)
    make_message(kim, kim.patient, "Are you there?", now - timedelta(minutes=2))
    make_message(kim, kim.patient, "Hello?", now - timedelta(minutes=1))
    caseload_read = AccessEntry.objects.filter(kind=AccessEntry.Kind.CASELOAD)
    earlier = list(caseload_read.values_list("pk", flat=True))

    with instances_made() as made:
        response = client.get(_row_url(kim.patient_id), headers={"HX-Request": "true"})

    assert response.status_code == 200
    row = response.content.decode()
    assert row.lstrip().startswith(f'<tr id="caseload-row-{kim.patient_id}"')
    assert row.rstrip().endswith("</tr>")
    assert "Hello?" in row
    assert '<span class="badge text-bg-primary">2<span class="visually-hidden"> unread' in row
    assert "Waiting for your answer for 2" in row  # since the first unanswered
    assert '<span title="Mild">12</span>' in row
    assert "Robin" not in row
    assert made[Match] == 1  # Kim's match alone, not the caseload's
    # The access log says what was read: Kim's row, nobody else's.
    read = caseload_read.exclude(pk__in=earlier)
    assert list(read.values_list("patient_id", "accessor_id")) == [(kim.patient_id, therapist.pk)]


def test_a_row_in_french(therapist, now, make_match, make_message):
    therapist.language = "fr"
    therapist.save(update_fields=["language"])
    kim = make_match(therapist, "Kim")
    make_message(kim, kim.patient, "Bonjour", now - timedelta(minutes=2))

    row = client_for(therapist).get(_row_url(kim.patient_id)).content.decode()

    assert '<span class="badge text-bg-primary">1<span class="visually-hidden"> non lus' in row
    assert "Aucune réservée" in row
    assert "Waiting for your answer" not in row
    assert "Attend votre réponse depuis 2" in row


def test_a_row_is_for_its_therapists_current_patients_only(
    therapist, other_therapist, unvetted_therapist, staff, now, make_match, client
):
    kim = make_match(therapist, "Kim")
    theirs = make_match(other_therapist, "Sam")
    former = make_match(therapist, "Robin")
    Match.objects.filter(pk=former.pk).update(status=Match.Status.ENDED, ended_at=now)
    own = client_for(therapist)

    assert own.get(_row_url(kim.patient_id)).status_code == 200
    # A patient who has just moved on: an empty row, which takes theirs away in the page.
    gone = own.get(_row_url(former.patient_id))
    assert gone.status_code == 200
    assert gone.content == b""
    for not_mine in (theirs.patient_id, therapist.pk, 0, 2**63, 2**70):
        response = own.get(_row_url(not_mine))
        assert response.status_code == 404
        assert b"Sam" not in response.content
        assert b"Robin" not in response.content
    assert client_for(other_therapist).get(_row_url(kim.patient_id)).status_code == 404
    assert client_for(other_therapist).get(_row_url(former.patient_id)).status_code == 404
    for outsider in (unvetted_therapist, kim.patient, staff):
        assert client_for(outsider).get(_row_url(kim.patient_id)).status_code == 404
        assert client_for(outsider).get(_row_url(former.patient_id)).status_code == 404
    assert client.get(_row_url(kim.patient_id)).status_code == 302  # to the login page


@pytest.fixture
def kim(therapist, make_match):
    return make_match(therapist, "Kim")


# Any path after /home/caseload/: numbers of any size, and anything else.
ROW_TAILS = st.one_of(
    st.integers(min_value=0, max_value=2**80).map(str),
    st.text(max_size=30),
)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_row_address_is_a_row_or_a_404(therapist, kim, data):
    tail = data.draw(st.one_of(st.just(str(kim.patient_id)), ROW_TAILS))

    response = client_for(therapist).get(f"/home/caseload/{quote(tail, safe='')}/")

    if "\x00" in tail:
        assert response.status_code == 400  # core.middleware.RejectNulMiddleware
    else:
        assert response.status_code in (200, 404)
    assert (response.status_code == 200) == (tail == str(kim.patient_id))
