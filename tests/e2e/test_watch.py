"""The browser tests' watch catches what it is for: a Content-Security-Policy violation (an
inline style applied by a script) fails a test, on the page the test was given and on any page
it opens besides, for a second person or in another tab."""

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import watch, watch_opened_pages

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INLINE_STYLE = "() => document.body.setAttribute('style', 'color: red')"
CSP = "violates the following Content Security Policy directive"


def caught(problems: list[str]) -> bool:
    return any(CSP in problem and "style-src" in problem for problem in problems)


def apply_inline_style(page) -> None:
    """Apply an inline style from a script, waiting for the browser to report it."""
    with page.expect_console_message(lambda message: CSP in message.text):
        page.evaluate(INLINE_STYLE)


def test_an_inline_style_on_the_tests_own_page_is_caught(new_context):
    page = new_context().new_page()
    problems = watch(page)
    page.goto("/emergency/")
    expect(page.locator("h1")).to_be_visible()
    assert problems == []

    apply_inline_style(page)

    assert caught(problems)


def test_pages_the_test_opens_itself_are_watched_too(new_context, browser, live_server_url):
    page = new_context().new_page()
    problems = watch(page)
    with pytest.MonkeyPatch.context() as monkeypatch:
        watch_opened_pages(browser, page, problems, monkeypatch)
        other_person = browser.new_page(base_url=live_server_url)
        other_tab = page.context.new_page()
        for opened in (other_person, other_tab):
            opened.goto(f"{live_server_url}/emergency/")
            expect(opened.locator("h1")).to_be_visible()
        assert problems == []

        apply_inline_style(other_person)
        assert caught(problems)
        problems.clear()
        apply_inline_style(other_tab)
        assert caught(problems)
        other_person.close()
