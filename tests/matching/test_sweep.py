"""The sweep behind the 24-hour promise: expiry, re-offers, escalation, and two at once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from matching import services, tasks
from matching.models import Match, MatchRequest, Offer
from tests.factories import StaffFactory, TherapistProfileFactory
from tests.factories.matching import IntakeFactory, MatchRequestFactory, candidate_therapist
from tests.helpers import link_in, outbox_to, run_together

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def pending(request) -> Offer | None:
    return request.offers.filter(status=Offer.Status.PENDING).first()


def test_the_sweep_runs_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["matching.sweep"]

    assert entry == {"task": "matching.tasks.sweep", "schedule": 60.0}


def test_an_unanswered_offer_expires_and_passes_to_the_next_candidate(match_request, best, second):
    with time_machine.travel(NOW, tick=False) as clock:
        first = services.offer_next(request=match_request)
        clock.shift(timedelta(hours=4) - timedelta(seconds=1))
        assert services.matching_sweep() == {
            "expired": 0,
            "released": 0,
            "offered": 0,
            "escalated": 0,
        }
        assert pending(match_request) == first

        clock.shift(timedelta(seconds=1))
        assert services.matching_sweep() == {
            "expired": 1,
            "released": 0,
            "offered": 1,
            "escalated": 0,
        }

    first.refresh_from_db()
    assert first.status == Offer.Status.EXPIRED
    assert pending(match_request).therapist == second
    assert pending(match_request).created_at == NOW + timedelta(hours=4)


def test_a_therapist_who_let_an_offer_expire_is_not_asked_again(match_request, best):
    with time_machine.travel(NOW, tick=False) as clock:
        services.offer_next(request=match_request)
        clock.shift(timedelta(hours=5))
        services.matching_sweep()
        clock.shift(timedelta(hours=5))
        services.matching_sweep()

    assert match_request.offers.get().status == Offer.Status.EXPIRED


def test_a_request_nobody_could_take_is_offered_when_a_therapist_becomes_available(
    match_request, best
):
    best.accepting_new_patients = False
    best.save()
    assert services.matching_sweep(now=NOW)["offered"] == 0

    best.accepting_new_patients = True
    best.save()
    assert services.matching_sweep(now=NOW + timedelta(minutes=1))["offered"] == 1

    assert pending(match_request).therapist == best


def test_the_sweep_leaves_matched_and_waiting_requests_alone(match_request, best, second):
    offer = services.offer_next(request=match_request, now=NOW)
    other = MatchRequestFactory(created_at=NOW)
    services.offer_next(request=other, now=NOW)
    services.offer_accept(offer_id=offer.pk, therapist=best.user, now=NOW)

    assert services.matching_sweep(now=NOW + timedelta(hours=1)) == {
        "expired": 0,
        "released": 0,
        "offered": 0,
        "escalated": 0,
    }
    assert Offer.objects.count() == 2


def test_at_24_hours_staff_and_the_patient_are_told_once(
    match_request, patient, staff, django_capture_on_commit_callbacks
):
    deadline = NOW + timedelta(hours=24)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.matching_sweep(now=deadline - timedelta(minutes=1))["escalated"] == 0
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        assert services.matching_sweep(now=deadline)["escalated"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.matching_sweep(now=deadline + timedelta(minutes=1))["escalated"] == 0

    match_request.refresh_from_db()
    assert match_request.escalated_at == deadline
    [alert] = outbox_to(staff.email)
    admin_page = f"/admin/matching/matchrequest/{match_request.pk}/change/"
    assert link_in(alert.body, "/admin/") == admin_page
    [told] = outbox_to(patient.email)
    assert "not found the right one for you yet" in told.body
    assert "looking personally" in told.body
    assert link_in(told.body, "/home/") == "/home/"
    assert len(mail.outbox) == 2


def test_the_promise_is_a_setting(settings, patient):
    settings.MATCHING_PROMISE_HOURS = 12

    intake = IntakeFactory(patient=patient)

    request = services.match_request_open(patient=patient, intake=intake, now=NOW)

    assert request.deadline == NOW + timedelta(hours=12)


def test_a_matched_request_is_never_escalated(match_request, best, staff):
    offer = services.offer_next(request=match_request, now=NOW)
    services.offer_accept(offer_id=offer.pk, therapist=best.user, now=NOW)

    assert services.matching_sweep(now=NOW + timedelta(days=2))["escalated"] == 0


def test_after_escalation_offers_continue(match_request, staff):
    assert services.matching_sweep(now=NOW + timedelta(hours=25))["escalated"] == 1
    late = candidate_therapist(specialities=["burnout"])

    services.matching_sweep(now=NOW + timedelta(hours=26))

    assert pending(match_request).therapist == late


def test_the_celery_task_calls_the_sweep(match_request, best):
    with time_machine.travel(NOW, tick=False):
        counts = tasks.sweep.delay().get()

    assert counts == {"expired": 0, "released": 0, "offered": 1, "escalated": 0}


def test_the_offer_task_takes_a_request_id(match_request, best):
    offer_id = tasks.offer_next_for_request.delay(match_request.pk).get()

    assert Offer.objects.get(pk=offer_id).therapist == best
    assert tasks.offer_next_for_request.delay(match_request.pk).get() is None
    assert tasks.offer_next_for_request.delay(987654).get() is None


# --- Two sweeps at once ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_make_one_offer_and_one_escalation_per_request():
    StaffFactory(email="staff@example.test")
    for number in range(3):
        TherapistProfileFactory(
            languages=["fr"],
            licensed_countries=["FR"],
            modalities=["video"],
            specialities=["burnout"],
            caseload_limit=20,
            user__email=f"t{number}@example.test",
        )
    late = NOW - timedelta(hours=25)
    requests = [MatchRequestFactory(created_at=late) for _ in range(6)]

    results = run_together([lambda: services.matching_sweep(now=NOW)] * 2)

    assert sum(result["offered"] for result in results) == len(requests)
    assert sum(result["escalated"] for result in results) == len(requests)
    for request in requests:
        assert request.offers.filter(status=Offer.Status.PENDING).count() == 1
        request.refresh_from_db()
        assert request.escalated_at == NOW
        assert len(outbox_to(request.patient.email)) == 1  # "our team is looking personally"
    assert len(outbox_to("staff@example.test")) == len(requests)
    # Each therapist heard once per offer made to them, never twice for one.
    offers = Offer.objects.count()
    assert len([m for m in mail.outbox if "/practice/offers/" in m.body]) == offers


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_expire_an_offer_once_and_offer_the_next_once():
    first, second = (
        TherapistProfileFactory(
            languages=["fr"],
            licensed_countries=["FR"],
            modalities=["video"],
            specialities=specialities,
        )
        for specialities in (["burnout"], ["grief"])
    )
    request = MatchRequestFactory(created_at=NOW)
    offer = services.offer_next(request=request, now=NOW)
    assert offer.therapist == first

    results = run_together([lambda: services.matching_sweep(now=NOW + timedelta(hours=5))] * 2)

    assert sum(result["expired"] for result in results) == 1
    assert sum(result["offered"] for result in results) == 1
    assert request.offers.get(status=Offer.Status.PENDING).therapist == second
    assert not Match.objects.exists()
    assert MatchRequest.objects.get().status == MatchRequest.Status.OPEN
