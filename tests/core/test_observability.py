"""Logs and error reports: one JSON line per record; an error report of a failing request
carries no body, cookie, header, query string, address or link key."""

import json
import logging

import pytest
import sentry_sdk
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path
from sentry_sdk.transport import Transport

from core.observability import (
    JsonFormatter,
    RedactPathsFilter,
    error_reports_init,
    scrub_event,
)

TOKEN = "Zx8kq2LmN0pQrStUvWxYz123"


def test_a_json_line_per_record():
    record = logging.LogRecord("core.access", logging.INFO, __file__, 1, "GET %s", ("/x/",), None)
    record.status_code = 200

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "GET /x/"
    assert line["status_code"] == 200
    assert line["level"] == "INFO"


def failing_view(request, token):
    raise RuntimeError("the view failed")


urlpatterns = [path("calendar/<str:token>.ics", failing_view)]


class Captured(Transport):
    """Where the events go instead of a server."""

    def __init__(self):
        super().__init__()
        self.events = []

    def capture_envelope(self, envelope):
        self.events += [item.payload.json for item in envelope.items if item.type == "event"]


@pytest.fixture
def reports():
    captured = Captured()
    error_reports_init(dsn="https://public@errors.example.org/1", environment="test",
                       transport=captured)  # fmt: skip
    yield captured
    sentry_sdk.get_client().close()
    # Off again: a client with no integration, so nothing of sentry's patching stays active.
    sentry_sdk.init(default_integrations=False, auto_enabling_integrations=False)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_an_error_report_of_a_request_keeps_nothing_personal(client, reports):
    client.cookies["sessionid"] = "the-session-cookie"
    with pytest.raises(RuntimeError):
        client.post(
            f"/calendar/{TOKEN}.ics?email=robin@example.test",
            {"body": "I cannot sleep since the layoff"},
            HTTP_AUTHORIZATION="Bearer abc",
            REMOTE_ADDR="198.51.100.7",
        )
    sentry_sdk.flush()

    assert reports.events, "no event was sent"
    text = json.dumps(reports.events, default=str)
    for secret in (TOKEN, "robin@example.test", "the-session-cookie", "layoff", "Bearer",
                   "198.51.100.7"):  # fmt: skip
        assert secret not in text
    assert "/calendar/{token}.ics" in text  # the route's pattern, not its values
    assert "the view failed" in text  # what failed is still there


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_djangos_own_error_log_keeps_no_link_key(client, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"), pytest.raises(RuntimeError):
        client.get(f"/calendar/{TOKEN}.ics")

    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert RedactPathsFilter().filter(record)  # kept, with the key redacted
    assert TOKEN not in record.getMessage()
    assert "/calendar/….ics" in record.getMessage()


def test_scrub_event_drops_frames_variables_and_breadcrumb_data():
    event = {
        "request": {"url": f"https://h.example/room/{TOKEN}/", "data": "x", "cookies": {"a": 1}},
        "user": {"email": "a@b.c"},
        "exception": {"values": [{"stacktrace": {"frames": [{"vars": {"body": "secret"}}]}}]},
        "breadcrumbs": {"values": [{"category": "query", "message": "SELECT", "data": {"p": 1}}]},
    }

    scrubbed = scrub_event(event)

    assert scrubbed["request"] == {"method": None, "url": "https://h.example/room/…/"}
    assert "user" not in scrubbed
    assert "vars" not in scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert scrubbed["breadcrumbs"]["values"][0] == {"category": "query", "message": None}


def _ok(request):
    return HttpResponse()
