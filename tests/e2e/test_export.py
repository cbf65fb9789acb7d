"""A patient downloads their data: they ask on the Privacy page, watch the progress bar move
while a worker builds the copy (live, through their events socket, without a reload), are
emailed that it is ready (a link to the page, nothing else), download the zip, and its JSON
holds their record and their file decrypted.

The server here leaves its tasks in the broker (``workerless_server_url``): the test plays the
worker, and holds the build half-way to see the page show it."""

import io
import json
import re
import threading
import zipfile

import pytest
from django.db import connection
from django.urls import reverse
from playwright.sync_api import expect

from teletherapy.exports import selectors, services
from teletherapy.exports.models import DataExport
from tests.e2e.browser import log_in, watch
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.exports import FILE_BYTES, NOTE_WORDS, PATIENT_WORDS, make_record
from tests.helpers import link_in, outbox_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def on_server(browser, workerless_server_url):
    context = browser.new_context(
        base_url=workerless_server_url,
        locale="en-GB",
        timezone_id="Europe/Paris",
        viewport={"width": 1280, "height": 860},
        accept_downloads=True,
    )
    page = context.new_page()
    problems = watch(page)
    yield page
    context.close()
    assert problems == [], "the browser reported errors"


class HeldBuild:
    """The worker's build of an export, run in a thread of its own and held after its first
    parts until the test lets it go."""

    def __init__(self, monkeypatch, export_id: int):
        self.export_id = export_id
        self.halfway = threading.Event()
        self.go_on = threading.Event()
        self.result: DataExport | None = None
        parts = list(selectors.PARTS)
        parts.insert(2, selectors.Part("held", self._hold))
        monkeypatch.setattr(selectors, "PARTS", tuple(parts))
        self.thread = threading.Thread(target=self._run)

    def _hold(self, *, user) -> dict:
        self.halfway.set()
        assert self.go_on.wait(timeout=60)
        return {}

    def _run(self) -> None:
        try:
            self.result = services.export_build(export_id=self.export_id)
        finally:
            connection.close()

    def start(self) -> None:
        self.thread.start()
        assert self.halfway.wait(timeout=60)

    def finish(self) -> DataExport | None:
        self.go_on.set()
        self.thread.join(timeout=60)
        return self.result


def test_a_patient_downloads_their_data(
    on_server, monkeypatch, settings, private_media_dir, tmp_path, screenshot
):
    # The test's worker writes where the server reads.
    settings.PRIVATE_MEDIA_ROOT = private_media_dir
    patient = PatientFactory(
        email="robin@example.test", language="en", patient_profile__nickname="Robin"
    )
    record = make_record(patient, TherapistFactory(), TherapistFactory())
    record.patient.language = "en"
    record.patient.save(update_fields=["language"])
    page = on_server

    log_in(page, patient.email)
    page.goto(reverse("privacy"))
    expect(page.locator("body")).to_have_attribute("data-events-state", "open")
    marker = page.evaluate("() => (window.__sameDocument = 'yes')")
    page.get_by_role("button", name="Prepare a copy of my data").click()

    progress = page.locator("progress#export-progress")
    expect(page.get_by_text("Waiting to start…")).to_be_visible()
    expect(progress).to_have_attribute("value", "0")
    export = DataExport.objects.get(user=patient)
    assert export.status == DataExport.Status.QUEUED

    # Asking again (another tab, a reload) shows the same export under way.
    page.reload()
    expect(page.get_by_text("Waiting to start…")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-events-state", "open")
    marker = page.evaluate("() => (window.__sameDocument = 'yes')")

    # The worker takes it: the bar moves, live, well before the page's own polling (every 10
    # seconds from its load) would have noticed.
    build = HeldBuild(monkeypatch, export.pk)
    build.start()
    expect(page.get_by_text("Preparing your copy…")).to_be_visible(timeout=5_000)
    expect(progress).to_have_attribute("value", re.compile(r"^[1-9][0-9]?$"), timeout=5_000)
    assert page.evaluate("() => window.__sameDocument") == marker
    ready = build.finish()
    assert ready is not None
    assert ready.status == DataExport.Status.READY

    download_link = page.get_by_role("link", name=re.compile(r"^Download my data \(zip, "))
    expect(download_link).to_be_visible(timeout=5_000)
    expect(progress).to_have_count(0)
    screenshot(page, "privacy-export")
    assert page.evaluate("() => window.__sameDocument") == marker

    # The email says it is ready and where to go: nothing else.
    [email] = outbox_to(patient.email)
    assert link_in(email.body, "/privacy/") == reverse("privacy")
    assert "Robin" not in email.body
    assert PATIENT_WORDS not in email.body

    with page.expect_download() as downloading:
        download_link.click()
    download = downloading.value
    assert re.fullmatch(r"havre-data-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == "robin@example.test"
    assert data["profile"] == {"nickname": "Robin", "country": "FR"}
    [conversation] = data["conversations"]
    texts = [message["text"] for message in conversation["messages"]]
    assert PATIENT_WORDS in texts
    [file] = [f for message in conversation["messages"] for f in message["files"]]
    assert archive.read(file["file"]) == FILE_BYTES
    assert [note["text"] for note in data["session_notes"]][-1] == NOTE_WORDS
    assert "Robin" in archive.read("summary.html").decode()

    # The page says it was downloaded; another person's browser gets nothing.
    page.reload()
    expect(page.get_by_text(re.compile(r"^Last downloaded on "))).to_be_visible()
    stranger = page.context.browser.new_context(base_url=page.url.split("/privacy")[0])
    answer = stranger.request.get(reverse("export_download", kwargs={"pk": ready.pk}))
    assert answer.status == 404
    stranger.close()
