"""The therapist's offer pages: what they read, how they answer, and who gets 404."""

import html
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from matching import services
from matching.models import Match, Offer
from tests.factories.matching import CONCERNS_TEXT, GOALS, MatchRequestFactory, make_eligible
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def offer(patient, therapist, other_therapist):
    make_eligible(therapist)
    make_eligible(other_therapist, specialities=["grief"])
    request = MatchRequestFactory(
        patient=patient,
        created_at=NOW,
        intake__therapist_gender="woman",
        intake__wants_lgbt_specialist=True,
        intake__modality_required=True,
    )
    offer = services.offer_next(request=request, now=NOW)
    assert offer.therapist.user == therapist
    return offer


@pytest.fixture(autouse=True)
def clock():
    """The pages run on a controlled clock: 40 minutes into the offer made at NOW."""
    with time_machine.travel(NOW + timedelta(minutes=40), tick=False) as traveller:
        yield traveller


def _detail(offer) -> str:
    return reverse("offer_detail", args=[offer.pk])


def _accept(offer) -> str:
    return reverse("offer_accept", args=[offer.pk])


def _decline(offer) -> str:
    return reverse("offer_decline", args=[offer.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_list_shows_pending_offers_with_the_deadline_in_the_therapists_zone(
    offer, therapist, therapist_client, clock
):
    therapist.time_zone = "America/Montreal"
    therapist.save()

    page = therapist_client.get(reverse("therapist_offers"))

    assert page.status_code == 200
    assert "Robin" in page.text
    assert _detail(offer) in page.text
    assert "Nov. 23, 2026, 11 a.m." in page.text  # 16:00 UTC, in Montreal
    assert "America/Montreal" in page.text
    assert "3 h 20 min left" in page.text


def test_the_list_leaves_out_answered_and_expired_offers(offer, therapist_client):
    with time_machine.travel(offer.expires_at, tick=False):
        page = therapist_client.get(reverse("therapist_offers"))

    assert "Robin" not in page.text
    assert "Nobody is waiting for your answer" in page.text


def test_the_offer_page_shows_what_the_therapist_needs_to_decide(offer, therapist_client, clock):
    page = therapist_client.get(_detail(offer))

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Robin" in text
    assert "Burnout, exhaustion at work" in text  # concerns, as labels
    assert "Anxiety, worry" in text
    assert GOALS in text
    assert "PHQ-9" in text
    assert "8 · Mild" in text
    assert "GAD-7" in text
    assert "14 · Moderate" in text
    assert "A woman" in text  # preferred gender
    assert "Video (only this)" in text
    assert "Monday, Wednesday" in text
    assert "Evenings" in text
    assert "France · Europe/Paris" in text
    assert "speaks French" in text
    assert "specialises in burnout" in text
    assert "3 h 20 min left" in text
    assert f'action="{_accept(offer)}"' in text
    assert f'action="{_decline(offer)}"' in text
    # What the patient wrote in their own words is only for the therapist who takes them on.
    assert CONCERNS_TEXT not in text


def test_accepting_from_the_page(offer, therapist_client, patient):
    response = therapist_client.post(_accept(offer))

    match = Match.objects.get()
    assert (match.patient, match.therapist) == (patient, offer.therapist)
    assert response.status_code == 302
    assert response.url == reverse("therapist_patient", args=[patient.pk])
    assert _messages(response) == ["You are now working with Robin. They have been told."]


def test_declining_needs_a_reason(offer, therapist_client):
    response = therapist_client.post(_decline(offer), {"reason": "  "})

    assert response.status_code == 422
    assert "Give a reason for declining" in html.unescape(response.text)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


def test_declining_from_the_page(offer, therapist_client, other_therapist):
    response = therapist_client.post(_decline(offer), {"reason": "No evening slots left."})

    assert response.url == reverse("therapist_offers")
    offer.refresh_from_db()
    assert (offer.status, offer.decline_reason) == ("declined", "No evening slots left.")
    assert offer.request.offers.get(status="pending").therapist.user == other_therapist


def test_an_answered_offer_shows_its_state_instead_of_buttons(offer, therapist_client):
    therapist_client.post(_decline(offer), {"reason": "Full."})

    page = therapist_client.get(_detail(offer))

    assert page.status_code == 200
    assert "You declined this offer" in page.text
    assert _accept(offer) not in page.text
    assert GOALS not in page.text  # no longer theirs to read


def test_an_expired_offer_shows_its_state_and_cannot_be_accepted(offer, therapist_client):
    with time_machine.travel(offer.expires_at, tick=False):
        page = therapist_client.get(_detail(offer))
        response = therapist_client.post(_accept(offer))

    assert "The time to answer this offer has passed" in page.text
    assert _accept(offer) not in page.text
    assert response.url == _detail(offer)
    assert _messages(response) == ["The time to answer this offer has passed."]
    assert not Match.objects.exists()


def test_an_accepted_offer_links_to_the_patient(offer, therapist_client, patient):
    therapist_client.post(_accept(offer))

    page = therapist_client.get(_detail(offer))

    assert "You accepted this offer" in page.text
    assert reverse("therapist_patient", args=[patient.pk]) in page.text


@pytest.mark.parametrize("outsider", ["other_therapist", "unvetted_therapist", "patient", "staff"])
def test_outsiders_get_404_on_the_offer_and_its_actions(offer, outsider, request):
    client = client_for(request.getfixturevalue(outsider))

    assert client.get(_detail(offer)).status_code == 404
    assert client.post(_accept(offer)).status_code == 404
    assert client.post(_decline(offer), {"reason": "Not mine."}).status_code == 404

    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING
    assert not Match.objects.exists()


@pytest.mark.parametrize("outsider", ["unvetted_therapist", "patient"])
def test_only_approved_therapists_have_an_offer_list(outsider, request):
    client = client_for(request.getfixturevalue(outsider))

    assert client.get(reverse("therapist_offers")).status_code == 404


def test_another_therapist_does_not_see_the_offer_in_their_list(offer, other_therapist):
    page = client_for(other_therapist).get(reverse("therapist_offers"))

    assert page.status_code == 200
    assert "Robin" not in page.text


def test_a_therapist_suspended_after_the_offer_gets_404(offer, therapist, therapist_client):
    profile = therapist.therapist_profile
    profile.vetting_status = profile.VettingStatus.SUSPENDED
    profile.save()

    assert therapist_client.get(_detail(offer)).status_code == 404
    assert therapist_client.post(_accept(offer)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(offer, client):
    for url in (reverse("therapist_offers"), _detail(offer)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    for url in (_accept(offer), _decline(offer)):
        assert client.post(url).url.startswith(reverse("account_login"))
    assert not Match.objects.exists()


def test_answers_need_the_csrf_token(offer, therapist):
    client = Client(enforce_csrf_checks=True)
    client.force_login(therapist)

    assert client.post(_accept(offer)).status_code == 403
    assert client.post(_decline(offer), {"reason": "Full."}).status_code == 403


def test_answers_are_posts(offer, therapist_client):
    assert therapist_client.get(_accept(offer)).status_code == 405
    assert therapist_client.get(_decline(offer)).status_code == 405


def test_the_page_speaks_the_therapists_language(offer, therapist, therapist_client, clock):
    therapist.language = "fr"
    therapist.save()

    page = therapist_client.get(_detail(offer))

    assert '<html lang="fr">' in page.text
    assert "23 novembre 2026 17:00" in page.text  # the deadline, formatted for French


def test_the_offer_selector_answers_none_to_anyone_else(offer, other_therapist):
    from matching import selectors

    profile = other_therapist.therapist_profile
    assert selectors.offer_get_for_therapist(therapist=offer.therapist, pk=offer.pk) == offer
    assert selectors.offer_get_for_therapist(therapist=profile, pk=offer.pk) is None
    assert selectors.offer_get_for_therapist(therapist=offer.therapist, pk=999999) is None


def test_an_expired_offer_reads_as_expired_before_the_sweep(offer, therapist_client, clock):
    clock.move_to(offer.expires_at)

    page = therapist_client.get(_detail(offer))

    assert "The time to answer this offer has passed" in page.text
    assert offer.state_at(offer.expires_at) == Offer.Status.EXPIRED
    assert offer.state_at(offer.expires_at - timedelta(seconds=1)) == Offer.Status.PENDING
