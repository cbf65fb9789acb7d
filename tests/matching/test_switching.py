"""My therapist, changing therapist in a few clicks, and what a former therapist no longer sees."""

from datetime import timedelta

import pytest
from django.urls import reverse

from core import realtime
from matching.models import Match, MatchRequest
from matching.signals import match_end_previewed, match_ended, therapist_page_requested
from tests.factories import TherapistFactory
from tests.factories.matching import IntakeFactory, MatchFactory
from tests.helpers import client_for, outbox_to


def _therapist(email: str, **profile):
    defaults = {
        "licensed_countries": ["FR"],
        "modalities": ["video", "chat"],
        "specialities": ["burnout"],
        "display_name": email.split("@")[0].title(),
    }
    return TherapistFactory(
        email=email, **{f"therapist_profile__{k}": v for k, v in (defaults | profile).items()}
    )


@pytest.fixture
def matched(patient, therapist):
    """The patient, with an intake, working with ``therapist``; three other fitting therapists."""
    profile = therapist.therapist_profile
    profile.licensed_countries = ["FR"]
    profile.modalities = ["video"]
    profile.save()
    IntakeFactory(
        patient=patient,
        concerns=["burnout"],
        concerns_text="Work is crushing me.",
        languages=["fr"],
        preferred_days=[],
        preferred_times=[],
    )
    match = MatchFactory(
        patient=patient,
        therapist=profile,
        reasons=[{"code": "language", "value": "fr"}, {"code": "speciality", "value": "burnout"}],
    )
    others = [_therapist(f"next{n}@example.test") for n in range(4)]
    return match, others


def test_my_therapist_shows_who_and_why(patient_client, matched):
    match, _others = matched
    page = patient_client.get(reverse("my_therapist"))
    assert page.status_code == 200
    assert match.therapist.display_name in page.text
    assert "speaks French · specialises in burnout" in page.text
    assert reverse("match_switch") in page.text


def test_my_therapist_without_a_therapist_goes_home(patient_client):
    assert patient_client.get(reverse("my_therapist")).url == reverse("home")
    assert patient_client.get(reverse("match_switch")).url == reverse("home")


def test_only_patients_have_a_therapist_page(therapist_client, staff_client, client):
    for other in (therapist_client, staff_client):
        assert other.get(reverse("my_therapist")).status_code == 404
        assert other.post(reverse("match_switch"), {}).status_code == 404
    assert client.get(reverse("my_therapist")).status_code == 302


def test_the_switch_page_proposes_three_others(patient_client, matched):
    match, others = matched
    page = patient_client.get(reverse("match_switch"))
    assert page.status_code == 200
    assert "Choose for me" in page.text
    proposed = [o for o in others if f'value="{o.pk}"' in page.text]
    assert len(proposed) == 3
    assert f'value="{match.therapist.pk}"' not in page.text


def test_choose_for_me_ends_the_match_and_starts_a_new_search(
    patient_client, patient, matched, django_capture_on_commit_callbacks
):
    match, _others = matched
    ended = []

    def receiver(**kwargs):
        ended.append(kwargs["match_id"])

    match_ended.connect(receiver)
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(
            reverse("match_switch"),
            {"reason": "We did not click.", "share_earlier_history": "no", "therapist": "auto"},
        )
    match_ended.disconnect(receiver)
    assert response.url == reverse("home")
    match.refresh_from_db()
    assert match.status == Match.Status.ENDED
    assert match.end_reason == "We did not click."
    request = MatchRequest.objects.get(patient=patient, status=MatchRequest.Status.OPEN)
    assert request.preferred_therapist is None
    assert request.share_earlier_history is False
    assert request.deadline - request.created_at == timedelta(hours=24)
    assert ended == [match.pk]


def test_choosing_a_proposed_therapist_and_sharing_history(patient_client, patient, matched):
    _match, others = matched
    chosen = others[1]
    patient_client.post(
        reverse("match_switch"),
        {"reason": "", "share_earlier_history": "yes", "therapist": str(chosen.pk)},
    )
    request = MatchRequest.objects.get(patient=patient, status=MatchRequest.Status.OPEN)
    assert request.preferred_therapist_id == chosen.pk
    assert request.share_earlier_history is True


def test_a_therapist_not_proposed_cannot_be_chosen(
    patient_client, patient, matched, unvetted_therapist
):
    match, _others = matched
    for bad in (match.therapist.pk, unvetted_therapist.pk, 999999):
        response = patient_client.post(
            reverse("match_switch"),
            {"share_earlier_history": "no", "therapist": str(bad)},
        )
        assert response.status_code == 422
    match.refresh_from_db()
    assert match.status == Match.Status.ACTIVE
    assert not MatchRequest.objects.exists()


# --- What a therapist sees of a patient --------------------------------------------------------


def test_the_therapist_sees_their_patient(therapist_client, patient, matched):
    page = therapist_client.get(reverse("therapist_patient", kwargs={"patient_id": patient.pk}))
    assert page.status_code == 200
    assert "Robin" in page.text
    assert "Work is crushing me." in page.text


def test_nobody_else_sees_the_patient(
    patient, matched, other_therapist, unvetted_therapist, other_patient
):
    url = reverse("therapist_patient", kwargs={"patient_id": patient.pk})
    for outsider in (other_therapist, unvetted_therapist, other_patient, patient):
        assert client_for(outsider).get(url).status_code == 404


def test_after_a_switch_the_former_therapist_gets_404(
    therapist_client, patient_client, patient, matched
):
    url = reverse("therapist_patient", kwargs={"patient_id": patient.pk})
    assert therapist_client.get(url).status_code == 200
    patient_client.post(
        reverse("match_switch"), {"share_earlier_history": "no", "therapist": "auto"}
    )
    assert therapist_client.get(url).status_code == 404


def test_a_suspended_therapist_no_longer_sees_their_patient(
    therapist_client, therapist, patient, matched
):
    profile = therapist.therapist_profile
    profile.vetting_status = "suspended"
    profile.save()
    url = reverse("therapist_patient", kwargs={"patient_id": patient.pk})
    assert therapist_client.get(url).status_code == 404


def test_suspending_a_therapist_passes_their_offers_on(
    patient, therapist, other_therapist, staff, django_capture_on_commit_callbacks
):
    from accounts import services as account_services
    from matching import services
    from matching.models import Offer

    for user in (therapist, other_therapist):
        profile = user.therapist_profile
        profile.licensed_countries = ["FR"]
        profile.modalities = ["video"]
        profile.save()
    intake = IntakeFactory(
        patient=patient,
        concerns=["anxiety"],
        languages=["fr"],
        preferred_days=[],
        preferred_times=[],
    )
    request = services.match_request_open(patient=patient, intake=intake)
    first = services.offer_next(request=request)
    with django_capture_on_commit_callbacks(execute=True):
        account_services.therapist_vetting_decide(
            profile=first.therapist, action="suspend", actor=staff, reason="Complaint to review."
        )
    first.refresh_from_db()
    assert first.status == Offer.Status.WITHDRAWN
    pending = Offer.objects.get(request=request, status=Offer.Status.PENDING)
    assert pending.therapist_id != first.therapist_id


# --- Before and after the change (issue 14) ----------------------------------------------------


@pytest.fixture
def previewer():
    """A receiver of ``match_end_previewed`` standing for an app above matching."""
    asked = []

    def receiver(sender, match_id, **kwargs):
        asked.append(match_id)
        return ["Your session on Monday 9 March at 09:00 will be cancelled."]

    match_end_previewed.connect(receiver, weak=False)
    yield asked
    match_end_previewed.disconnect(receiver)


def test_the_change_page_says_what_else_will_happen_before_anything_does(
    patient_client, matched, previewer
):
    match, _others = matched

    page = patient_client.get(reverse("match_switch"))

    assert "What the change will also do" in page.text
    assert "Your session on Monday 9 March at 09:00 will be cancelled." in page.text
    assert previewer == [match.pk]
    match.refresh_from_db()
    assert match.status == Match.Status.ACTIVE  # asking changed nothing


def test_without_anything_to_say_the_page_has_no_such_list(patient_client, matched):
    assert "What the change will also do" not in patient_client.get(reverse("match_switch")).text


def test_the_former_therapist_is_told_without_content_and_their_pages_update(
    patient_client, therapist, matched, django_capture_on_commit_callbacks, monkeypatch
):
    match, _others = matched
    sends = []  # every (group, message) handed to the channel layer after a commit
    monkeypatch.setattr(realtime, "_send_now", sends.extend)
    with django_capture_on_commit_callbacks(execute=True):
        patient_client.post(
            reverse("match_switch"),
            {"reason": "We did not click.", "share_earlier_history": "no", "therapist": "auto"},
        )

    [email] = outbox_to(therapist.email)
    assert email.subject.endswith("A patient has moved on")
    for secret in ("Robin", "We did not click", "burnout", "Work is crushing me"):
        assert secret not in email.body
    ended = {"type": "app.event", "event": {"kind": "match.ended", "id": match.pk}}
    assert sorted(group for group, message in sends if message == ended) == sorted(
        [f"user.{therapist.pk}", f"user.{match.patient_id}"]
    )


def test_choosing_someone_says_who_was_asked_and_what_if_they_decline(
    patient_client, matched, django_capture_on_commit_callbacks
):
    _match, others = matched
    chosen = next(
        o for o in others if f'value="{o.pk}"' in patient_client.get(reverse("match_switch")).text
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(
            reverse("match_switch"),
            {"share_earlier_history": "no", "therapist": str(chosen.pk)},
            follow=True,
        )

    text = " ".join(response.text.split())
    name = chosen.therapist_profile.display_name
    assert f"We have asked {name}, as you chose; they have 4 hours to answer" in text
    assert "If they cannot take you on, we propose the next therapist who suits you" in text
    assert "We will propose your new therapist within 24 hours" not in text
    assert chosen.therapist_profile.offers.get().status == "pending"


def test_choose_for_me_says_when_we_propose_someone(patient_client, matched):
    response = patient_client.post(
        reverse("match_switch"), {"share_earlier_history": "no", "therapist": "auto"}, follow=True
    )

    assert "We will propose your new therapist within 24 hours." in response.text


def test_my_therapist_shows_what_the_apps_above_add(patient_client, matched):
    def receiver(sender, match_id, **kwargs):
        return ["Usually replies within 3 hours"]

    therapist_page_requested.connect(receiver, weak=False)
    try:
        page = patient_client.get(reverse("my_therapist")).text
    finally:
        therapist_page_requested.disconnect(receiver)

    assert "Usually replies within 3 hours." in page


def test_the_selector_answers_none_to_anyone_but_the_patients_therapist(
    therapist, other_therapist, patient, matched
):
    from matching import selectors

    assert selectors.patient_get_for_therapist(therapist=therapist, patient_id=patient.pk)
    for outsider, patient_id in ((other_therapist, patient.pk), (therapist, 999999)):
        assert (
            selectors.patient_get_for_therapist(therapist=outsider, patient_id=patient_id) is None
        )


def test_when_nobody_else_can_see_them_the_confirmation_says_waiting_list(
    patient_client, patient, matched
):
    _match, others = matched
    for other in others:
        other.therapist_profile.licensed_countries = ["DE"]
        other.therapist_profile.save()

    response = patient_client.post(
        reverse("match_switch"), {"share_earlier_history": "no", "therapist": "auto"}, follow=True
    )

    assert "you are on our waiting list" in response.text
    assert "within 24 hours" not in response.text
    assert MatchRequest.objects.get(patient=patient).waiting_since is not None


def test_the_offer_list_leads_to_the_choice_about_patients_abroad(therapist_client):
    page = therapist_client.get(reverse("therapist_offers")).text

    assert reverse("abroad_practice") in page
