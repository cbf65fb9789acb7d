"""Offers: the best therapist is asked, accepts or declines, the next one is asked."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from accounts.models import TherapistProfile
from matching import services
from matching.models import Match, MatchRequest, Offer
from matching.services import offers
from matching.signals import match_started
from tests.factories import StaffFactory, TherapistProfileFactory
from tests.factories.matching import (
    CONCERNS_TEXT,
    GOALS,
    MatchFactory,
    MatchRequestFactory,
    OfferFactory,
    candidate_therapist,
)
from tests.helpers import link_in, outbox_to

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def service_answers() -> dict:
    """What the questionnaire keeps in the session, as ``services.intake_record`` takes it."""
    return {
        "concerns": {"concerns": ["burnout"], "concerns_text": CONCERNS_TEXT, "in_danger": "no"},
        "goals": {"goals": GOALS, "previous_therapy": "never"},
        "phq9": {"answers": [1] * 8 + [0]},
        "gad7": {"answers": [2] * 7},
        "preferences": {"therapist_gender": "", "faith": ""},
        "place": {"languages": ["fr"], "country": "FR", "time_zone": "Europe/Paris"},
        "practical": {"modality": "video", "preferred_days": [0], "preferred_times": ["evening"]},
        "nickname": {"nickname": "Robin"},
    }


# --- Offering ----------------------------------------------------------------------------------


def test_the_offer_goes_to_the_best_candidate(match_request, best, second):
    offer = services.offer_next(request=match_request, now=NOW)

    assert offer.therapist == best
    assert offer.status == Offer.Status.PENDING
    assert offer.expires_at == NOW + timedelta(hours=4)
    assert {"code": "language", "value": "fr"} in offer.reasons
    assert {"code": "speciality", "value": "burnout"} in offer.reasons
    assert offer.score > 0


def test_the_response_window_is_a_setting(settings, match_request, best):
    settings.MATCHING_OFFER_HOURS = 2

    offer = services.offer_next(request=match_request, now=NOW)

    assert offer.expires_at == NOW + timedelta(hours=2)


def test_a_request_has_one_offer_out_at_a_time(match_request, best, second):
    services.offer_next(request=match_request, now=NOW)

    assert services.offer_next(request=match_request, now=NOW) is None
    assert match_request.offers.count() == 1


def test_no_candidate_means_no_offer_yet(match_request, unvetted_therapist):
    assert services.offer_next(request=match_request, now=NOW) is None
    assert not Offer.objects.exists()


def test_a_request_no_longer_open_gets_no_offer(match_request, best):
    MatchRequest.objects.update(status=MatchRequest.Status.CANCELLED)

    assert services.offer_next(request=match_request, now=NOW) is None


def test_the_therapist_chosen_when_switching_is_offered_first(match_request, best, second):
    match_request.preferred_therapist = second
    match_request.save()

    offer = services.offer_next(request=match_request, now=NOW)

    assert offer.therapist == second


def test_a_chosen_therapist_who_no_longer_fits_is_passed_over(match_request, best, second):
    second.accepting_new_patients = False
    second.save()
    match_request.preferred_therapist = second
    match_request.save()

    offer = services.offer_next(request=match_request, now=NOW)

    assert offer.therapist == best


def test_never_a_former_therapist_nor_one_who_turned_the_patient_down(patient, best, second):
    third = candidate_therapist(specialities=["stress"])
    MatchFactory(patient=patient, therapist=best, status=Match.Status.ENDED)
    earlier = MatchRequestFactory(
        patient=patient, created_at=NOW - timedelta(days=30), status=MatchRequest.Status.MATCHED
    )
    OfferFactory(
        request=earlier,
        therapist=second,
        status=Offer.Status.DECLINED,
        created_at=NOW - timedelta(days=30),
    )
    match_request = MatchRequestFactory(patient=patient, created_at=NOW)

    offer = services.offer_next(request=match_request, now=NOW)

    assert offer.therapist == third


def test_the_intake_queues_the_first_offer_on_commit(
    patient, best, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.intake_record(patient=patient, answers=service_answers())

    offer = Offer.objects.get()
    assert offer.therapist == best
    assert offer.request.patient == patient
    [email] = outbox_to(best.user.email)
    assert link_in(email.body, "/practice/offers/") == f"/practice/offers/{offer.pk}/"


def test_the_offer_email_gives_the_deadline_in_the_therapists_zone(
    match_request, best, django_capture_on_commit_callbacks
):
    best.user.time_zone = "America/Montreal"
    best.user.save()

    with django_capture_on_commit_callbacks(execute=True):
        services.offer_next(request=match_request, now=NOW)

    [email] = mail.outbox
    assert "Nov. 23, 2026, 11 a.m. (America/Montreal)" in email.body  # 16:00 UTC


def test_the_offer_email_is_in_the_therapists_language(
    match_request, best, django_capture_on_commit_callbacks
):
    best.user.language = "fr"
    best.user.save()

    with django_capture_on_commit_callbacks(execute=True):
        services.offer_next(request=match_request, now=NOW)

    [email] = mail.outbox
    assert "23 novembre 2026 17:00 (Europe/Paris)" in email.body


# --- Declining ---------------------------------------------------------------------------------


def test_declining_passes_the_patient_to_the_next_candidate(match_request, best, second):
    offer = services.offer_next(request=match_request, now=NOW)

    declined = services.offer_decline(
        offer_id=offer.pk, therapist=best.user, reason="My caseload is full.", now=NOW
    )

    assert declined.status == Offer.Status.DECLINED
    assert declined.decline_reason == "My caseload is full."
    assert declined.responded_at == NOW
    pending = match_request.offers.get(status=Offer.Status.PENDING)
    assert pending.therapist == second
    # And once the second declines too, nobody is left: the first is never asked again.
    services.offer_decline(offer_id=pending.pk, therapist=second.user, reason="Away.", now=NOW)
    assert not match_request.offers.filter(status=Offer.Status.PENDING).exists()
    assert services.offer_next(request=match_request, now=NOW) is None


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_declining_needs_a_reason(match_request, best, reason):
    offer = services.offer_next(request=match_request, now=NOW)

    with pytest.raises(services.OfferError, match="reason"):
        services.offer_decline(offer_id=offer.pk, therapist=best.user, reason=reason, now=NOW)

    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


# --- Accepting ---------------------------------------------------------------------------------


def test_accepting_starts_the_match(
    match_request, best, patient, signals_sent, django_capture_on_commit_callbacks
):
    match_request.share_earlier_history = True
    match_request.save()
    offer = services.offer_next(request=match_request, now=NOW)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        match = services.offer_accept(offer_id=offer.pk, therapist=best.user, now=NOW)

    assert match.patient == patient
    assert match.therapist == best
    assert match.status == Match.Status.ACTIVE
    assert match.request == match_request
    assert match.reasons == offer.reasons
    assert match.earlier_history_shared is True
    assert match.started_at == NOW
    offer.refresh_from_db()
    assert (offer.status, offer.responded_at) == (Offer.Status.ACCEPTED, NOW)
    match_request.refresh_from_db()
    assert match_request.status == MatchRequest.Status.MATCHED
    assert signals_sent == [{"signal": match_started, "match_id": match.pk}]
    [email] = outbox_to(patient.email)
    assert "We have found your therapist" in email.subject
    assert link_in(email.body, "/my-therapist/") == "/my-therapist/"


def test_the_patient_is_told_in_their_language(
    match_request, best, patient, django_capture_on_commit_callbacks, monkeypatch
):
    patient.language = "fr"
    patient.save()
    offer = services.offer_next(request=match_request, now=NOW)
    sent = []
    monkeypatch.setattr(offers, "send_templated_mail", lambda **kwargs: sent.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        services.offer_accept(offer_id=offer.pk, therapist=best.user, now=NOW)

    [email] = sent
    assert (email["to"], email["language"]) == ([patient.email], "fr")
    assert email["template"] == "emails/matching_found.txt"


def test_the_signal_waits_for_the_commit(match_request, best, signals_sent):
    offer = services.offer_next(request=match_request, now=NOW)

    services.offer_accept(offer_id=offer.pk, therapist=best.user, now=NOW)

    assert signals_sent == []  # the test's transaction never commits


def test_accepting_after_the_deadline_is_refused(match_request, best):
    offer = services.offer_next(request=match_request, now=NOW)

    with pytest.raises(services.OfferError, match="passed"):
        services.offer_accept(offer_id=offer.pk, therapist=best.user, now=offer.expires_at)

    assert not Match.objects.exists()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING  # the sweep expires it and asks the next


def test_declining_after_the_deadline_is_refused(match_request, best):
    offer = services.offer_next(request=match_request, now=NOW)
    late = offer.expires_at + timedelta(seconds=1)

    with pytest.raises(services.OfferError, match="passed"):
        services.offer_decline(offer_id=offer.pk, therapist=best.user, reason="No.", now=late)


def test_only_the_offers_own_therapist_answers(match_request, best, second, patient):
    offer = services.offer_next(request=match_request, now=NOW)

    for outsider in (second.user, patient, StaffFactory()):
        with pytest.raises(services.OfferError, match="not addressed to you"):
            services.offer_accept(offer_id=offer.pk, therapist=outsider, now=NOW)
        with pytest.raises(services.OfferError, match="not addressed to you"):
            services.offer_decline(offer_id=offer.pk, therapist=outsider, reason="x", now=NOW)

    assert not Match.objects.exists()


def test_a_therapist_suspended_meanwhile_cannot_answer(match_request, best):
    offer = services.offer_next(request=match_request, now=NOW)
    TherapistProfile.objects.filter(pk=best.pk).update(
        vetting_status=TherapistProfile.VettingStatus.SUSPENDED
    )

    with pytest.raises(services.OfferError, match="approved"):
        services.offer_accept(offer_id=offer.pk, therapist=best.user, now=NOW)


def test_an_answered_offer_cannot_be_answered_again(match_request, best):
    offer = services.offer_next(request=match_request, now=NOW)
    services.offer_accept(offer_id=offer.pk, therapist=best.user, now=NOW)

    with pytest.raises(services.OfferError, match="no longer open"):
        services.offer_accept(offer_id=offer.pk, therapist=best.user, now=NOW)
    with pytest.raises(services.OfferError, match="no longer open"):
        services.offer_decline(offer_id=offer.pk, therapist=best.user, reason="x", now=NOW)

    assert Match.objects.count() == 1


def test_an_unknown_offer_is_refused(best):
    with pytest.raises(services.OfferError):
        services.offer_accept(offer_id=987654, therapist=best.user, now=NOW)


# --- Staff assign by hand ----------------------------------------------------------------------


def test_staff_assign_any_approved_therapist(
    match_request, best, staff, patient, django_capture_on_commit_callbacks, signals_sent
):
    offer = services.offer_next(request=match_request, now=NOW)
    # Not a candidate for matching (no French, not licensed in France): staff know best.
    outside = TherapistProfileFactory(languages=["de"], licensed_countries=["DE"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        match = services.match_request_assign(
            request_id=match_request.pk, therapist_id=outside.pk, actor=staff, now=NOW
        )

    assert (match.patient, match.therapist, match.status) == (patient, outside, "active")
    assert match.reasons == []
    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    match_request.refresh_from_db()
    assert match_request.status == MatchRequest.Status.MATCHED
    assert len(outbox_to(patient.email)) == 1
    [told] = outbox_to(outside.user.email)
    assert link_in(told.body, "/practice/patients/") == f"/practice/patients/{patient.pk}/"
    assert signals_sent == [{"signal": match_started, "match_id": match.pk}]


def test_an_assigned_therapist_who_fits_brings_the_reasons(match_request, best, staff):
    match = services.match_request_assign(
        request_id=match_request.pk, therapist_id=best.pk, actor=staff, now=NOW
    )

    assert {"code": "speciality", "value": "burnout"} in match.reasons


def test_only_staff_assign_and_only_approved_therapists(
    match_request, best, therapist, unvetted_therapist, staff
):
    with pytest.raises(services.OfferError, match="staff"):
        services.match_request_assign(
            request_id=match_request.pk, therapist_id=best.pk, actor=therapist
        )
    with pytest.raises(services.OfferError, match="approved"):
        services.match_request_assign(
            request_id=match_request.pk, therapist_id=unvetted_therapist.pk, actor=staff
        )
    assert not Match.objects.exists()


def test_a_request_already_matched_cannot_be_assigned(match_request, best, second, staff):
    services.match_request_assign(request_id=match_request.pk, therapist_id=best.pk, actor=staff)

    with pytest.raises(services.OfferError, match="no longer looking"):
        services.match_request_assign(
            request_id=match_request.pk, therapist_id=second.pk, actor=staff
        )

    assert Match.objects.count() == 1


# --- Discretion --------------------------------------------------------------------------------


def test_emails_carry_no_clinical_content(
    match_request, best, second, patient, staff, django_capture_on_commit_callbacks
):
    """Offer, decline, acceptance and escalation: no concern, no intake text, no score, no
    nickname, no name of the other party."""
    with django_capture_on_commit_callbacks(execute=True):
        offer = services.offer_next(request=match_request, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_decline(offer_id=offer.pk, therapist=best.user, reason="Full.", now=NOW)
    # Past the promise while the second therapist still has time to answer.
    MatchRequest.objects.filter(pk=match_request.pk).update(deadline=NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.matching_sweep(now=later)["escalated"] == 1
    pending = match_request.offers.get(status=Offer.Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_accept(offer_id=pending.pk, therapist=second.user, now=later)

    sent = {message.to[0] for message in mail.outbox}
    assert {best.user.email, second.user.email, patient.email, staff.email} <= sent
    forbidden = [
        "burnout",
        "Burnout",
        "anxiety",
        "Anxiety",
        CONCERNS_TEXT,
        GOALS,
        "PHQ",
        "GAD",
        "mild",
        "moderate",
        "Robin",  # the patient's nickname
        patient.email,
        best.display_name,
        second.display_name,
        "Full.",
    ]
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        for word in forbidden:
            assert word not in text, (word, message.subject)


def test_offers_and_accepts_reach_the_open_pages(
    match_request, best, patient, django_capture_on_commit_callbacks, monkeypatch
):
    from core import realtime

    sends = []  # every (group, message) handed to the channel layer after a commit
    monkeypatch.setattr(realtime, "_send_now", sends.extend)

    with django_capture_on_commit_callbacks(execute=True):
        offer = services.offer_next(request=match_request, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        match = services.offer_accept(offer_id=offer.pk, therapist=best.user, now=NOW)

    # Other apps may announce their own events (a conversation opening): only ours here.
    ours = [
        (group, message["event"])
        for group, message in sends
        if message.get("event", {}).get("kind") in ("offer.new", "match.started")
    ]
    started = {"kind": "match.started", "id": match.pk}
    assert ours == [
        (f"user.{best.pk}", {"kind": "offer.new", "id": offer.pk}),
        *[(group, started) for group in sorted([f"user.{patient.pk}", f"user.{best.pk}"])],
    ]


def test_another_patient_is_unaffected(match_request, best, other_patient):
    other_request = MatchRequestFactory(patient=other_patient, created_at=NOW)
    offer = services.offer_next(request=match_request, now=NOW)
    services.offer_accept(offer_id=offer.pk, therapist=best.user, now=NOW)

    assert services.offer_next(request=other_request, now=NOW).therapist == best
