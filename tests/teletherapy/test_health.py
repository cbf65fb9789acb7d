import pytest
from django.db import connection
from django.urls import reverse

from teletherapy.celery import app as celery_app

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_all_services_up(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "services": {
            "database": "ok",
            "cache": "ok",
            "channel_layer": "ok",
            "broker": "ok",
        },
        "down": [],
    }
    assert "no-cache" in response.headers["Cache-Control"]


def test_the_broker_down(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", CLOSED_PORT)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]
    assert response.json()["services"]["database"] == "ok"


def test_the_cache_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_PORT,
        }
    }

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["down"] == ["cache"]


def test_the_channel_layer_down(client, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [CLOSED_PORT]},
        }
    }

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["down"] == ["channel_layer"]


def test_the_database_down(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise connection.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["down"] == ["database"]


def test_nothing_but_names_and_states_is_revealed(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", CLOSED_PORT)

    body = client.get(reverse("healthz")).content

    assert b"127.0.0.1" not in body
    assert b"refused" not in body.lower()
