"""The compose file's promises, read from the file itself (no Docker engine runs here; CI also
runs `docker compose config`): only the proxy and coturn publish ports, web and ws scale, one
beat, private files in MinIO's bucket, one key vault on a volume for every app process, and
every placeholder of the nginx templates given."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

BASE = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((BASE / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["web", "ws", "worker", "beat", "migrate"]
TEMPLATES = [BASE / "deploy/nginx/site.conf.template", BASE / "deploy/compose/tls.conf.template"]


def test_only_the_proxy_and_coturn_publish_ports():
    publishing = sorted(name for name, service in SERVICES.items() if service.get("ports"))
    assert publishing == ["coturn", "proxy"]


@pytest.mark.parametrize("name", ["web", "ws", "worker"])
def test_web_ws_and_workers_can_be_scaled(name):
    service = SERVICES[name]
    assert "container_name" not in service
    assert "ports" not in service
    assert "replicas" not in service.get("deploy", {})


def test_there_is_one_beat():
    beats = [name for name, s in SERVICES.items() if " beat" in " ".join(s.get("command") or [])]
    assert beats == ["beat"]
    assert "replicas" not in SERVICES["beat"].get("deploy", {})


def test_the_proxy_sends_websockets_to_ws_and_the_rest_to_web_by_their_service_names():
    proxy = SERVICES["proxy"]
    assert proxy["build"]["target"] == "proxy"
    assert "server web:8000 resolve;" in proxy["environment"]["WEB_UPSTREAM"]
    assert "server ws:8000 resolve;" in proxy["environment"]["WS_UPSTREAM"]
    assert proxy["networks"] == ["edge"]  # it reaches neither the database nor the files
    assert "gunicorn" in SERVICES["web"]["command"]
    assert "daphne" in SERVICES["ws"]["command"]


def test_every_placeholder_of_the_nginx_templates_is_given():
    given = set(SERVICES["proxy"]["environment"])
    for template in TEMPLATES:
        wanted = set(re.findall(r"\$\{([A-Z_]+)\}", template.read_text()))
        assert wanted <= given, f"{template.name}: {sorted(wanted - given)} not given"


def test_the_proxy_image_holds_both_templates():
    dockerfile = (BASE / "Dockerfile").read_text()
    for template in TEMPLATES:
        assert str(template.relative_to(BASE)) in dockerfile


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_process_keeps_private_files_in_the_bucket_minio_init_makes(name):
    environment = SERVICES[name]["environment"]
    assert environment["PRIVATE_STORAGE"] == "s3"
    assert environment["S3_ENDPOINT_URL"] == "http://minio:9000"
    assert environment["S3_BUCKET"] == SERVICES["minio-init"]["environment"]["S3_BUCKET"]
    assert (
        environment["S3_ACCESS_KEY_ID"] == SERVICES["minio-init"]["environment"]["S3_ACCESS_KEY_ID"]
    )


def _key_vault_root() -> str:
    """KEY_VAULT_ROOT as the image sets it (the compose file does not override it)."""
    match = re.search(r"KEY_VAULT_ROOT=(\S+)", (BASE / "Dockerfile").read_text())
    assert match, "the image sets KEY_VAULT_ROOT"
    return match.group(1)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_process_reads_the_one_key_vault_from_a_volume(name):
    """On tmpfs each container would make a vault of its own, lost at a restart, and every
    patient's data with it."""
    root = _key_vault_root()
    assert "KEY_VAULT_ROOT" not in SERVICES[name]["environment"]
    assert f"key-vault:{root}" in SERVICES[name]["volumes"]
    assert root not in SERVICES[name].get("tmpfs", [])
    assert "key-vault" in COMPOSE["volumes"]


def test_the_app_never_holds_minio_s_administrator_credentials():
    for name in APP_SERVICES:
        assert not any(
            "MINIO_ROOT" in str(value) for value in SERVICES[name]["environment"].values()
        )


def test_coturn_takes_the_apps_time_limited_credentials():
    command = SERVICES["coturn"]["command"]
    assert "--use-auth-secret" in command
    assert any(
        argument.startswith("--static-auth-secret=${TURN_SHARED_SECRET") for argument in command
    )
    assert SERVICES["web"]["environment"]["TURN_SHARED_SECRET"].startswith("${TURN_SHARED_SECRET")


def test_the_bucket_script_is_valid_shell_and_closes_the_bucket():
    script = BASE / "deploy/compose/minio-init.sh"
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0
    assert 'mc anonymous set none "havre/$S3_BUCKET"' in script.read_text()
