"""`make serve`'s proxy (deploy/): the configuration nginx is given routes /ws/ to the daphne
pool and the rest to gunicorn, serves /static/, bounds bodies, overwrites X-Forwarded-For with
the address it saw, and is accepted by nginx itself (`nginx -t`, Debian's package)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from deploy import serve

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def plan(tmp_path) -> serve.Plan:
    return serve.Plan(
        host="127.0.0.1",
        port=8000,
        web_workers=2,
        web_server="gunicorn",
        ws_processes=2,
        worker_concurrency=1,
        celery=False,
        var_dir=tmp_path,
        max_body="11264k",
    )


def test_nginx_accepts_the_configuration(plan):
    assert Path(NGINX).exists(), "nginx is missing: apt-get install -y nginx"
    prefix = serve._nginx_files(plan, [8101], [8201, 8202])
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    for folder in serve.NGINX_TEMP_DIRS:
        assert (prefix / folder).is_dir()  # its own, under var/, not /var/lib/nginx


def test_the_site_routes_bounds_and_overwrites(plan):
    prefix = serve._nginx_files(plan, [8101], [8201, 8202])
    site = (prefix / "site.conf").read_text()
    upstreams = dict(re.findall(r"upstream (\w+) \{(.*?)\}", site, re.S))
    assert re.findall(r"server (\S+);", upstreams["havre_web"]) == ["127.0.0.1:8101"]
    assert re.findall(r"server (\S+);", upstreams["havre_ws"]) == [
        "127.0.0.1:8201",
        "127.0.0.1:8202",
    ]
    assert "least_conn" in upstreams["havre_ws"]
    locations = dict(re.findall(r"location (\S+) \{(.*?)\n    \}", site, re.S))
    assert "proxy_pass http://havre_ws;" in locations["/ws/"]
    assert "proxy_set_header Upgrade $http_upgrade;" in locations["/ws/"]
    assert "proxy_pass http://havre_web;" in locations["/"]
    assert "alias " in locations["/static/"]
    for proxied in ("/ws/", "/"):
        # Overwritten with the one address nginx saw, never appended to what the client sent.
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in locations[proxied]
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in locations[proxied]
    assert "proxy_add_x_forwarded_for" not in site.replace("$proxy_add_x_forwarded_for would", "")
    assert "client_max_body_size 11264k;" in site
    assert "server_tokens off;" in site
    # Paths hold tokens: the access log never has the request line or the path.
    log_format = re.search(r"log_format havre (.*?);", site, re.S)
    assert log_format is not None
    assert "$request " not in log_format.group(1)
    assert "$uri" not in log_format.group(1)
    assert "$remote_addr" not in log_format.group(1)


def test_the_body_bound_follows_the_apps(monkeypatch):
    monkeypatch.setenv("REQUEST_MAX_BYTES", str(5 * 1024 * 1024 + 1))
    plan = serve._plan(serve._parser().parse_args([]))
    assert plan.max_body == f"{5 * 1024 + 1}k"  # rounded up: never below the app's own cap


def test_serve_refuses_to_run_without_postgresql_and_redis(monkeypatch, plan):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("REDIS_URL_FILE", raising=False)
    with pytest.raises(serve.ServeError, match="REDIS_URL"):
        serve._app_env(plan)
