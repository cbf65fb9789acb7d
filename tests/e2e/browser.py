"""What the browser tests do in a page: log in, watch the console, check WCAG, answer."""

from pathlib import Path

from django.conf import settings
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.helpers import totp_code

AXE = Path(settings.BASE_DIR, "node_modules", "axe-core", "axe.min.js")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


# A form sent back with its errors answers 422, which Chromium reports in the console as a
# failed load; a test module marked ``forms_refused`` expects it (conftest's ``page``).
REFUSED = "Failed to load resource: the server responded with a status of 422"


def log_in(page, email: str, code: bool = False) -> None:
    """Log in through the login page; ``code``: then give the two-factor code (therapists and
    staff). A code works once: log a therapist in once per test."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    # A form is sent once site.js has heard the server answer: the page changes a moment
    # after the click, not during it (expect_navigation waits for that).
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    if code:
        page.get_by_label("Code").fill(totp_code())
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()


def watch(page, problems: list[str] | None = None) -> list[str]:
    """Collect what would show in the console as an error: CSP violations, script errors (into
    ``problems`` if given, to watch several pages at once)."""
    problems = [] if problems is None else problems
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def watch_opened_pages(browser, page, problems: list[str], monkeypatch) -> None:
    """Watch the pages a test opens itself as its ``page`` is watched: another person's
    (``browser.new_page()``) and another tab of the same person (``page.context.new_page()``,
    popups). Unwatched, their errors (a CSP violation on the other side of a conversation)
    passed silently."""
    new_page = browser.new_page

    def new_watched_page(*args, **kwargs):
        opened = new_page(*args, **kwargs)
        watch(opened, problems)
        return opened

    monkeypatch.setattr(browser, "new_page", new_watched_page)
    page.context.on("page", lambda tab: watch(tab, problems))


def violations(page) -> list[str]:
    page.add_script_tag(path=AXE)
    result = page.evaluate("tags => axe.run(document, {runOnly: tags})", WCAG)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['html'][:120]})"
        for v in result["violations"]
    ]


def answer_screening(page, answers: list[str]) -> None:
    # The questionnaire's page: a form sent just before arrives a moment after its click.
    expect(page.get_by_role("group")).to_have_count(len(answers))
    for group, answer in zip(page.get_by_role("group").all(), answers, strict=True):
        group.get_by_label(answer, exact=True).check()
    with page.expect_navigation():  # sent a moment after the click (site.js)
        page.get_by_role("button", name="Next").click()


def accept_at_signup(page) -> None:
    """On a sign-up form: an adult, who ticks every legal document it asks to accept."""
    adult = page.get_by_label("I am 18 or older")
    if adult.count():
        adult.check()
    for tick in page.locator("input[name^='accept_']").all():
        tick.check()
