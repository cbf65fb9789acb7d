"""The health check: up or down for anyone; which service or process is down for staff and
monitoring only; beat and the workers judged by their heartbeats; an answer within a second
even when the database hangs; a flood of checks costs one round."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.heartbeat import BEAT, WORKER, heartbeat_record
from teletherapy import health
from teletherapy.celery import app as celery_app
from tests.helpers import client_for

pytestmark = pytest.mark.django_db(transaction=True)  # the checks run in threads of their own

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1
TOKEN = "monitoring-token-for-this-test-only"
EVERYTHING = ["database", "cache", "channel_layer", "broker", "private_storage", BEAT, WORKER]


@pytest.fixture(autouse=True)
def fresh(settings):
    settings.HEALTH_TOKEN = TOKEN
    health.status_forget()
    now = timezone.now()
    heartbeat_record(name=BEAT, now=now)
    heartbeat_record(name=WORKER, now=now)
    yield
    health.status_forget()


def details(client: Client | None = None):
    client = client or Client()
    return client.get(reverse("healthz_details"), headers={"Authorization": f"Bearer {TOKEN}"})


def test_all_up(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]
    assert details().json() == {
        "status": "ok",
        "services": dict.fromkeys(EVERYTHING, "ok"),
        "down": [],
    }


def test_the_anonymous_answer_names_nothing(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", CLOSED_PORT)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "down"}


def test_details_are_for_staff_and_the_token_only(client, patient, therapist, staff):
    assert client.get(reverse("healthz_details")).status_code == 404
    wrong = client.get(reverse("healthz_details"), headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 404
    for person in (patient, therapist):
        assert client_for(person).get(reverse("healthz_details")).status_code == 404
    assert client_for(staff).get(reverse("healthz_details")).json()["down"] == []
    assert details().status_code == 200


def test_no_token_configured_means_staff_only(settings, client):
    settings.HEALTH_TOKEN = ""
    assert (
        client.get(reverse("healthz_details"), headers={"Authorization": "Bearer "}).status_code
        == 404
    )


def test_the_broker_down(monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", CLOSED_PORT)

    response = details()

    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]
    assert response.json()["services"]["database"] == "ok"


def test_the_cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_PORT,
        }
    }

    assert details().json()["down"] == ["cache"]


def test_the_channel_layer_down(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [CLOSED_PORT]},
        }
    }

    assert details().json()["down"] == ["channel_layer"]


def test_a_stopped_worker_is_down_once_its_heartbeat_is_too_old(settings):
    settings.HEALTH_STALE_AFTER_SECONDS = 120
    heartbeat_record(name=WORKER, now=timezone.now() - timedelta(seconds=119))
    assert details().status_code == 200

    health.status_forget()
    heartbeat_record(name=WORKER, now=timezone.now() - timedelta(seconds=121))
    response = details()

    assert response.status_code == 503
    assert response.json()["down"] == [WORKER]


def test_a_stopped_beat_is_down(settings):
    heartbeat_record(name=BEAT, now=timezone.now() - timedelta(minutes=10))

    assert details().json()["down"] == [BEAT]
    assert Client().get(reverse("healthz")).status_code == 503


def test_a_hanging_database_is_down_within_a_second(monkeypatch, settings):
    settings.HEALTH_TIMEOUT_SECONDS = 1.0
    released = threading.Event()

    def hang(*args, **kwargs):
        released.wait(10)  # what a pool waiting for a connection does
        raise connection.OperationalError("no connection")

    monkeypatch.setattr(health, "CHECKS", health.CHECKS | {"database": hang})
    started = time.monotonic()
    try:
        response = details()
    finally:
        released.set()
    answered_in = time.monotonic() - started

    assert response.status_code == 503
    assert "database" in response.json()["down"]
    assert answered_in < 3  # generous for a busy machine; the hang alone is 10 s


def test_a_flood_of_checks_costs_one_round(monkeypatch, settings):
    # The flood within one cache window however slow the machine (50 requests once took
    # longer than the default window on a loaded CI machine).
    settings.HEALTH_CACHE_SECONDS = 3600
    rounds = []
    real = health._database

    def counted():
        rounds.append(1)
        real()

    monkeypatch.setattr(health, "CHECKS", health.CHECKS | {"database": counted})

    for _ in range(50):
        assert Client().get(reverse("healthz")).status_code == 200

    assert len(rounds) == 1


def test_nothing_but_names_and_states_is_revealed(monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", CLOSED_PORT)

    body = details().content

    assert b"127.0.0.1" not in body
    assert b"refused" not in body.lower()
