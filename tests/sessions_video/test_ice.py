"""ICE servers for the room: STUN as configured, TURN with short-lived credentials in coturn's
shared-secret scheme, the transport policy (relay only, as a privacy choice), and a start that
refuses a wrong configuration."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from sessions_video.ice import ice_servers_for, rtc_configuration_for, turn_credential
from tests.helpers import PRODUCTION, manage

NOW = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # unix time 1700000000
TURN_URLS = [
    "turn:turn.example.org:3478?transport=udp",
    "turns:turn.example.org:5349?transport=tcp",
]


@pytest.fixture
def turn(settings):
    settings.ICE_STUN_URLS = []
    settings.ICE_TURN_URLS = TURN_URLS
    settings.TURN_SHARED_SECRET = "coturn-shared-secret"
    settings.TURN_CREDENTIAL_TTL_SECONDS = 3600
    return settings


def test_nothing_configured_gives_no_ice_servers(settings, patient):
    settings.ICE_STUN_URLS = []
    settings.ICE_TURN_URLS = []

    assert ice_servers_for(patient, now=NOW) == []


def test_stun_only(settings, patient):
    settings.ICE_STUN_URLS = ["stun:stun.example.org:3478", "stun:stun2.example.org:3478"]
    settings.ICE_TURN_URLS = []

    assert ice_servers_for(patient, now=NOW) == [
        {"urls": ["stun:stun.example.org:3478", "stun:stun2.example.org:3478"]}
    ]


def test_stun_and_turn_are_separate_entries(turn, patient):
    turn.ICE_STUN_URLS = ["stun:turn.example.org:3478"]

    stun, relay = ice_servers_for(patient, now=NOW)

    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    assert relay["urls"] == TURN_URLS


def test_turn_username_is_expiry_and_an_opaque_id(turn, patient):
    [server] = ice_servers_for(patient, now=NOW)

    expiry, user_id = server["username"].split(":")
    assert int(expiry) == 1_700_000_000 + 3600
    assert len(user_id) == 32
    int(user_id, 16)  # hexadecimal, nothing else
    assert user_id != str(patient.pk)


def test_the_expiry_follows_the_ttl_and_the_clock(turn, patient):
    turn.TURN_CREDENTIAL_TTL_SECONDS = 600

    [server] = ice_servers_for(patient, now=NOW)

    assert server["username"].startswith("1700000600:")


def test_turn_credential_is_the_hmac_sha1_of_the_username(turn, patient):
    [server] = ice_servers_for(patient, now=NOW)

    expected = base64.b64encode(
        hmac.new(b"coturn-shared-secret", server["username"].encode(), hashlib.sha1).digest()
    ).decode()
    assert server["credential"] == expected


@pytest.mark.parametrize(
    ("secret", "username", "credential"),
    [
        # RFC 2202, HMAC-SHA1 test case 2 (digest effcdf6a…7c79), in base64.
        ("Jefe", "what do ya want for nothing?", "7/zfauXrL6LSdBbV8YTfnCWafHk="),
        # A coturn-style username, computed with `openssl dgst -sha1 -hmac … -binary | base64`.
        ("coturn-shared-secret", "1700003600:0123456789abcdef", "DCd2M2MM0fDwmmtZfnZs7oJoGH4="),
    ],
)
def test_turn_credential_matches_reference_values(secret, username, credential):
    assert turn_credential(username=username, secret=secret) == credential


def test_the_id_is_stable_per_user_and_differs_between_users(turn, patient, other_patient):
    first = ice_servers_for(patient, now=NOW)[0]["username"]
    again = ice_servers_for(patient, now=NOW)[0]["username"]
    other = ice_servers_for(other_patient, now=NOW)[0]["username"]

    assert first == again
    assert other != first
    assert other.split(":")[1] != first.split(":")[1]


def test_no_email_or_name_in_the_servers(turn, patient, therapist):
    turn.ICE_STUN_URLS = ["stun:turn.example.org:3478"]

    for user in (patient, therapist):
        output = json.dumps(ice_servers_for(user, now=NOW)).lower()
        assert user.email.lower() not in output
        assert user.email.split("@")[0].lower() not in output
    assert "robin" not in json.dumps(ice_servers_for(patient, now=NOW)).lower()


def test_turn_without_a_secret_is_refused(turn, patient):
    turn.TURN_SHARED_SECRET = ""

    with pytest.raises(ImproperlyConfigured):
        ice_servers_for(patient, now=NOW)


def test_production_refuses_to_start_with_turn_urls_and_no_secret():
    result = manage("check", env=PRODUCTION | {"ICE_TURN_URLS": ",".join(TURN_URLS)})

    assert result.returncode != 0
    assert "Production (DEBUG=false) needs these environment variables" in result.stderr
    assert "TURN_SHARED_SECRET" in result.stderr


def test_production_starts_with_turn_urls_and_a_secret():
    env = PRODUCTION | {
        "ICE_STUN_URLS": "stun:turn.example.org:3478",
        "ICE_TURN_URLS": ",".join(TURN_URLS),
        "TURN_SHARED_SECRET": "a-production-like-turn-secret-for-this-test-only",
    }

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_needs_no_turn_secret_without_turn_urls():
    result = manage("check", env=PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_ice_url_stops_the_start():
    result = manage("check", env={"DEBUG": "true", "ICE_TURN_URLS": "turn.example.org:3478"})

    assert result.returncode != 0
    assert "teletherapy.E003" in result.stderr


def test_calls_go_direct_when_they_can_unless_relay_only(turn, patient):
    turn.ICE_TRANSPORT_POLICY = "all"

    configuration = rtc_configuration_for(patient, now=NOW)

    assert configuration["iceTransportPolicy"] == "all"
    assert configuration["iceServers"] == ice_servers_for(patient, now=NOW)


def test_relay_only_is_passed_on_with_the_turn_credentials(turn, patient):
    turn.ICE_TRANSPORT_POLICY = "relay"

    configuration = rtc_configuration_for(patient, now=NOW)

    assert configuration["iceTransportPolicy"] == "relay"
    [server] = configuration["iceServers"]
    assert server["urls"] == TURN_URLS
    assert server["credential"]


def test_relay_only_without_turn_urls_stops_the_start():
    result = manage("check", env={"DEBUG": "true", "ICE_TRANSPORT_POLICY": "relay"})

    assert result.returncode != 0
    assert "teletherapy.E004" in result.stderr


def test_a_policy_other_than_all_or_relay_stops_the_start():
    result = manage("check", env={"DEBUG": "true", "ICE_TRANSPORT_POLICY": "direct"})

    assert result.returncode != 0
    assert "ICE_TRANSPORT_POLICY must be all or relay" in result.stderr


def test_production_starts_relay_only_with_turn():
    env = PRODUCTION | {
        "ICE_TURN_URLS": ",".join(TURN_URLS),
        "TURN_SHARED_SECRET": "a-production-like-turn-secret-for-this-test-only",
        "ICE_TRANSPORT_POLICY": "relay",
    }

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
