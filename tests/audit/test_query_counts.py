"""Logging a read costs the same few queries whatever the page holds: the thread at 3 and at
60 messages, the patient page at 1 and 30 check-ins, the dashboard at 1 and 12 patients. A
first read appends to the patient's chain (repeats, lock, head, insert: four queries); a
repeat within the window costs one."""

import uuid
from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from messaging import services as messaging_services
from tests.factories.audit import entries_of
from tests.factories.matching import CheckinFactory, MatchFactory
from tests.helpers import client_for

FIRST_READ = 4  # repeats?, the chain's lock, its head, the entry
REPEAT = 1  # repeats? (yes: nothing written)


def _log_queries(queries) -> int:
    return sum(
        "audit_accessentry" in query["sql"] or "pg_advisory_xact_lock" in query["sql"]
        for query in queries
    )


def _warm(user, url: str):
    """A session of ``user`` whose first use (its row, the user, two-factor) is out of the way,
    after another session read ``url`` (the process's caches, a patient's data key among them,
    are warm: what stays is the log's own cost)."""
    assert client_for(user).get(url).status_code == 200
    client = client_for(user)
    assert client.get(reverse("privacy")).status_code == 200
    return client


def _visit(user, url: str) -> tuple[int, int, int, int]:
    """A new session's first read of ``url`` and a repeat: (queries, of which the log's) each."""
    client = _warm(user, url)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts += [len(queries), _log_queries(queries)]
    return counts[0], counts[1], counts[2], counts[3]


def _same_at_two_sizes(user, url: str, grow: Callable[[], None], django_assert_num_queries):
    first, first_log, repeat, repeat_log = _visit(user, url)
    assert (first_log, repeat_log) == (FIRST_READ, REPEAT)
    assert first - repeat == FIRST_READ - REPEAT
    grow()
    client = _warm(user, url)  # a new session: a first read again
    with django_assert_num_queries(first) as queries:
        assert client.get(url).status_code == 200
    assert _log_queries(queries) == FIRST_READ
    with django_assert_num_queries(repeat):
        assert client.get(url).status_code == 200


def test_the_thread(conversation, patient, therapist, django_assert_num_queries):
    def write(count: int) -> None:
        start = timezone.now() - timedelta(days=10)
        for n in range(count):
            messaging_services.message_send(
                conversation=conversation,
                sender=(patient, therapist)[n % 2],
                body=f"Message {n}",
                client_id=uuid.uuid4(),
                now=start + timedelta(minutes=n),
            )

    write(3)
    url = reverse("conversation", kwargs={"pk": conversation.pk})
    _same_at_two_sizes(therapist, url, lambda: write(57), django_assert_num_queries)
    assert len(entries_of(patient)) == 4  # one visit per session


def test_the_patient_page(match, patient, therapist, django_assert_num_queries):
    CheckinFactory.create(patient=patient)
    url = reverse("therapist_patient", kwargs={"patient_id": patient.pk})
    grow = lambda: CheckinFactory.create_batch(29, patient=patient)  # noqa: E731
    _same_at_two_sizes(therapist, url, grow, django_assert_num_queries)


def test_the_dashboard_logs_its_whole_caseload_in_fixed_queries(
    match, patient, therapist, django_assert_num_queries
):
    grow = lambda: MatchFactory.create_batch(11, therapist=therapist.therapist_profile)  # noqa: E731
    _same_at_two_sizes(therapist, reverse("home"), grow, django_assert_num_queries)
