"""The shared base of every test: real services, named users, logged-in clients."""

import os

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation

from teletherapy.celery import app as celery_app
from tests.chromium import CHROMIUM
from tests.factories import PatientFactory, StaffFactory, TherapistFactory
from tests.settings_overrides import apply_test_settings


def pytest_configure(config):
    apply_test_settings(settings)
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


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Uploaded files of one test never meet another's, nor the developer's own.
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


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


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def patient_client(patient):
    return client_for(patient)


@pytest.fixture
def therapist_client(therapist):
    return client_for(therapist)


@pytest.fixture
def staff_client(staff):
    return client_for(staff)
