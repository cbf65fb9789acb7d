"""Staff follow the searches in the admin and assign a therapist by hand."""

import html
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.test import Client
from django.urls import reverse

from matching import services
from matching.models import Match, MatchRequest, Offer
from tests.factories import StaffFactory, TherapistProfileFactory
from tests.factories.matching import MatchRequestFactory, make_eligible
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def match_request(patient, therapist):
    """The named patient's search, offered to the named therapist."""
    make_eligible(therapist)
    request = MatchRequestFactory(patient=patient, created_at=NOW)
    services.offer_next(request=request, now=NOW)
    return request


@pytest.fixture
def colleague(db):
    """Approved, speaks German and Italian only: matching would never propose them here."""
    return TherapistProfileFactory(display_name="Dr Anna Weber", languages=["de", "it"])


def _change(request) -> str:
    return reverse("admin:matching_matchrequest_change", args=[request.pk])


def _assign(request) -> str:
    return reverse("admin:matching_matchrequest_assign", args=[request.pk])


def _messages(response) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in get_messages(response.wsgi_request)]


def test_staff_list_the_searches_with_their_deadline(staff_client, match_request, other_patient):
    escalated = MatchRequestFactory(patient=other_patient, created_at=NOW)
    MatchRequest.objects.filter(pk=escalated.pk).update(escalated_at=NOW + timedelta(hours=24))
    changelist = reverse("admin:matching_matchrequest_changelist")

    page = staff_client.get(changelist)
    assert page.status_code == 200
    assert "Robin" in page.text
    assert "Kim" in page.text

    page = staff_client.get(changelist, {"escalated": "yes", "status__exact": "open"})
    assert "Kim" in page.text
    assert "Robin" not in page.text
    assert "Robin" in staff_client.get(changelist, {"escalated": "no"}).text


def test_the_request_page_shows_its_offers_and_the_assign_button(
    staff_client, match_request, therapist
):
    page = staff_client.get(_change(match_request))

    assert page.status_code == 200
    assert therapist.therapist_profile.display_name in page.text  # the offer, inline
    assert "Waiting for an answer" in page.text
    assert _assign(match_request) in page.text
    assert 'name="_save"' not in page.text  # read-only
    assert staff_client.post(_change(match_request), {}).status_code == 405


def test_the_assign_page_lists_approved_therapists_with_their_languages(
    staff_client, match_request, colleague, unvetted_therapist
):
    page = staff_client.get(_assign(match_request))

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Dr Anna Weber (German, Italian)" in text
    assert f'value="{unvetted_therapist.pk}"' not in text
    assert "Robin" in text


def test_staff_assign_a_therapist(staff_client, match_request, colleague, patient):
    response = staff_client.post(_assign(match_request), {"therapist": colleague.pk})

    assert response.status_code == 302
    assert response.url == _change(match_request)
    assert _messages(response) == [(SUCCESS, "Dr Anna Weber is now the therapist of Robin.")]
    match = Match.objects.get()
    assert (match.patient, match.therapist, match.request) == (patient, colleague, match_request)
    assert match_request.offers.get().status == Offer.Status.WITHDRAWN
    match_request.refresh_from_db()
    assert match_request.status == MatchRequest.Status.MATCHED
    # Matched: no button any more, and a second assignment is refused.
    assert _assign(match_request) not in staff_client.get(_change(match_request)).text
    again = staff_client.post(_assign(match_request), {"therapist": colleague.pk})
    assert _messages(again)[0][0] == ERROR
    assert Match.objects.count() == 1


def test_only_an_approved_therapist_can_be_chosen(staff_client, match_request, unvetted_therapist):
    response = staff_client.post(_assign(match_request), {"therapist": unvetted_therapist.pk})

    assert response.status_code == 422
    assert not Match.objects.exists()
    assert staff_client.post(_assign(match_request), {}).status_code == 422


def test_assigning_needs_the_change_permission(match_request, colleague):
    viewer = StaffFactory(is_superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_matchrequest"))
    client = client_for(viewer)

    page = client.get(_change(match_request))
    assert page.status_code == 200
    assert _assign(match_request) not in page.text
    assert client.get(_assign(match_request)).status_code == 403
    assert client.post(_assign(match_request), {"therapist": colleague.pk}).status_code == 403
    assert not Match.objects.exists()


@pytest.mark.parametrize("outsider", ["patient", "therapist"])
def test_outsiders_never_reach_the_admin(match_request, colleague, outsider, request):
    client = client_for(request.getfixturevalue(outsider))

    for response in (
        client.get(_change(match_request)),
        client.get(_assign(match_request)),
        client.post(_assign(match_request), {"therapist": colleague.pk}),
    ):
        assert response.status_code == 302
        assert "/admin/login/" in response.url
    assert not Match.objects.exists()


def test_assigning_needs_the_csrf_token(staff, match_request, colleague):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    assert client.post(_assign(match_request), {"therapist": colleague.pk}).status_code == 403
    assert not Match.objects.exists()


def test_an_unknown_request_is_404(staff_client):
    response = staff_client.get(reverse("admin:matching_matchrequest_assign", args=[0]))

    assert response.status_code == 404


def test_offers_and_matches_are_read_only_lists(staff_client, match_request, therapist):
    offer = match_request.offers.get()
    services.offer_accept(offer_id=offer.pk, therapist=therapist, now=NOW)
    match = Match.objects.get()

    for model, obj in (("offer", offer), ("match", match)):
        changelist = staff_client.get(reverse(f"admin:matching_{model}_changelist"))
        assert changelist.status_code == 200
        assert "Robin" in changelist.text
        page = staff_client.get(reverse(f"admin:matching_{model}_change", args=[obj.pk]))
        assert page.status_code == 200
        assert 'name="_save"' not in page.text
        assert staff_client.get(reverse(f"admin:matching_{model}_add")).status_code == 403
        delete = reverse(f"admin:matching_{model}_delete", args=[obj.pk])
        assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert Match.objects.filter(status=Match.Status.ACTIVE).count() == 1
