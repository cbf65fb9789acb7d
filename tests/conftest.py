"""The shared base of every test: real services, named users, logged-in clients."""

import os
import shutil
from datetime import UTC, datetime

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.utils import timezone, translation

from core import crypto
from core.models import OutboxEmail
from core.outbox import outbox_deliver
from teletherapy.celery import app as celery_app
from tests.chromium import CHROMIUM
from tests.factories import PatientFactory, StaffFactory, TherapistFactory
from tests.helpers import client_for
from tests.settings_overrides import apply_test_settings


def pytest_configure(config):
    apply_test_settings(settings)
    # Tests move the clock hours ahead between two requests of one login: idle log-out only
    # where a test turns it on (tests/accounts/test_idle_logout.py; the browser tests' servers
    # keep it on).
    settings.IDLE_LOGOUT_ENABLED = False
    # Property tests send hundreds of messages, bookings and intake steps in one test: the
    # actions' rate limits are far away unless a test sets them
    # (tests/accounts/test_rate_limits.py).
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "100000/m/user,100000/m/ip")
    celery_app.conf.task_always_eager = True  # the worker runs inline


def _missing_services() -> list[str]:
    missing = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        missing.append("PostgreSQL: set DATABASE_URL=postgres://... (or run `make test`)")
    if not settings.REDIS_URL:
        missing.append("Redis: set REDIS_URL=redis://... (or run `make test`)")
    else:
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
        except redis.RedisError as error:
            missing.append(f"Redis at {settings.REDIS_URL} does not answer: {error}")
    return missing


def pytest_collection_modifyitems(session, config, items):
    """Fail, never skip, when what the tests need is missing; browser tests run last."""
    missing = _missing_services()
    if any(item.get_closest_marker("e2e") for item in items) and not os.access(CHROMIUM, os.X_OK):
        missing.append(f"Chromium at {CHROMIUM}: apt-get install -y chromium")
    if any("turn_server" in item.fixturenames for item in items) and not shutil.which("turnserver"):
        missing.append("coturn's turnserver (the relay-only call): apt-get install -y coturn")
    if missing:
        pytest.exit("The tests need real services:\n  " + "\n  ".join(missing), returncode=3)
    items.sort(key=lambda item: bool(item.get_closest_marker("e2e")))


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits and used TOTP codes live in the cache: no test inherits another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language_and_zone():
    # Middleware activates a user's language and zone for the thread; no test inherits them.
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


class _DeliveredOnRead(list):
    """``mail.outbox`` for tests that run inside a transaction, where nothing commits: what the
    outbox holds is delivered when the test reads the sent emails, as a commit would have."""

    delivering = False

    def _deliver(self):
        if self.delivering:
            return
        self.delivering = True
        try:
            for pk in OutboxEmail.objects.filter(state="pending").values_list("pk", flat=True):
                outbox_deliver(email_id=pk, now=_EVERY_EMAIL_DUE)
        finally:
            self.delivering = False

    def __iter__(self):
        self._deliver()
        return super().__iter__()

    def __len__(self):
        self._deliver()
        return super().__len__()

    def __getitem__(self, index):
        self._deliver()
        return super().__getitem__(index)

    def __eq__(self, other):
        self._deliver()
        return super().__eq__(other)

    def __bool__(self):
        return len(self) > 0

    def clear(self):
        self._deliver()  # what was sent until now is what the test drops
        super().clear()


_EVERY_EMAIL_DUE = datetime(9999, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _emails_leave_the_outbox(request, monkeypatch):
    # The outbox's own tests look at its rows themselves.
    if request.node.get_closest_marker("outbox_rows") or "django_db" not in request.keywords:
        yield
        return
    monkeypatch.setattr(mail, "outbox", _DeliveredOnRead(), raising=False)
    yield


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Uploaded files of one test never meet another's, nor the developer's own.
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _key_vault(request, settings, tmp_path, monkeypatch):
    # Patients' data keys of one test never meet another's: a key vault of its own, also for
    # the commands it runs in a process of their own (browser tests share their servers').
    if not request.node.get_closest_marker("e2e"):
        settings.KEY_VAULT_ROOT = tmp_path / "keys"
        monkeypatch.setenv("KEY_VAULT_ROOT", str(settings.KEY_VAULT_ROOT))
    crypto.data_keys_forget()
    yield
    crypto.data_keys_forget()


# --- The named users every test can ask "and the outsider?" with -----------------------------


@pytest.fixture
def patient(db):
    return PatientFactory(email="patient@example.test", patient_profile__nickname="Robin")


@pytest.fixture
def therapist(db):
    """The patient's therapist (matching links them once it exists)."""
    return TherapistFactory(email="therapist@example.test")


@pytest.fixture
def other_patient(db):
    return PatientFactory(email="other.patient@example.test", patient_profile__nickname="Kim")


@pytest.fixture
def other_therapist(db):
    return TherapistFactory(email="other.therapist@example.test")


@pytest.fixture
def unvetted_therapist(db):
    return TherapistFactory(
        email="unvetted@example.test",
        therapist_profile__vetting_status="submitted",
        therapist_profile__accepting_new_patients=False,
    )


@pytest.fixture
def staff(db):
    return StaffFactory(email="staff@example.test")


@pytest.fixture
def patient_client(patient):
    return client_for(patient)


@pytest.fixture
def therapist_client(therapist):
    return client_for(therapist)


@pytest.fixture
def staff_client(staff):
    return client_for(staff)
