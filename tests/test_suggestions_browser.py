"""Readers' suggestions in a real browser: a reader without JavaScript votes and
suggests; the editor sees the suggestion arrive in the queue, approves it,
closes the poll; the reader sees the final results with it; the trail says so.
Forms are found by their labels, and every page on the way is axe-clean."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from test_browser import DESKTOP, PHONE, axe_violations, browser, screenshot, server, visit  # noqa: F401

# The browser, the server and the visits are test_browser's fixtures.
from test_editors import EMAIL, PASSWORD, add_editor

pytestmark = pytest.mark.browser

TITLE = "The most romantic K-drama kisses of 2014"
POLL_PATH = "/polls/kdrama-kisses-2014"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_suggestion_goes_from_a_reader_through_the_desk_to_the_final_results(app, visit, viewport):  # noqa: F811
    add_editor(app)  # on the command line, as an operator does
    # axe is added to the page as an inline script, which the CSP refuses.
    _, desk, desk_problems = visit(viewport, bypass_csp=True)
    reader_context, reader, reader_problems = visit(viewport, java_script_enabled=False)

    desk.goto("/editors/")
    desk.get_by_label("Email").fill(EMAIL)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Log in").click()
    poll = desk.get_by_role("region", name=TITLE)
    expect(poll.locator("dt:text-is('Pending suggestions') + dd")).to_have_text("0")

    # The reader votes with the plain form, then suggests from the results page.
    reader.goto(POLL_PATH)
    reader.get_by_label("Rank 1").select_option(label="Pinocchio: Toast kiss")
    reader.get_by_label("Rank 2").select_option(label="Doctor Stranger: Reunion kiss")
    reader.get_by_role("button", name="Cast my ballot").click()
    expect(reader.locator(".flashes[role=status]")).to_contain_text("Thank you! Your ballot is in.")
    reader.get_by_label("What is missing?").fill("The Heirs")
    reader.get_by_label("Why it belongs (optional)").fill("The rooftop kiss <3")
    reader.get_by_role("button", name="Suggest it").click()
    expect(reader.locator(".flashes[role=status]")).to_contain_text(
        "Thank you: your suggestion “The Heirs” is with the editors."
    )
    expect(reader.get_by_label("What is missing?")).to_have_value("The Heirs")
    reader.goto(POLL_PATH)
    reader.get_by_label("What would you take away?").select_option(label="Pinocchio: Hand-to-mouth kiss")
    reader.get_by_role("button", name="Suggest taking it away").click()
    expect(reader.locator(".flashes[role=status]")).to_contain_text(
        "you would take away “Pinocchio: Hand-to-mouth kiss”"
    )
    expect(reader.get_by_text("You suggested “The Heirs”. Sending this again replaces it.")).to_be_visible()
    screenshot(reader, f"suggestions-{viewport['width']}")
    # axe needs JavaScript: the same reader (their cookie) in a browser that runs it.
    _, checker, checker_problems = visit(
        viewport, bypass_csp=True, storage_state=reader_context.storage_state()
    )
    for path in (POLL_PATH, f"{POLL_PATH}/results"):
        checker.goto(path)
        expect(checker.get_by_label("What is missing?")).to_have_value("The Heirs")
        assert axe_violations(checker) == [], path
    # A title of punctuation alone is refused beside the field.
    checker.get_by_label("What is missing?").fill("?!")
    checker.get_by_role("button", name="Change what is missing").click()
    expect(checker.get_by_role("heading", name="Your suggestion was not sent")).to_be_visible()
    expect(checker.locator("#missing-title-error")).to_have_text(
        "Write a title with at least one letter or digit."
    )
    assert axe_violations(checker) == []
    checker.wait_for_load_state("networkidle")
    # The refused form answered 400 on purpose; nothing else failed.
    assert checker_problems == [
        "console: Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
    ]

    # The suggestion arrives on the desk.
    desk.reload()
    expect(poll.locator("dt:text-is('Pending suggestions') + dd")).to_have_text("1")
    poll.get_by_role("link", name="Readers' suggestions").click()
    nomination = desk.get_by_role("region", name="The Heirs")
    expect(nomination).to_contain_text("1 reader · Waiting")
    nomination.get_by_text("What readers wrote (1)").click()
    expect(nomination).to_contain_text("The rooftop kiss <3")
    expect(desk.get_by_text("Pinocchio: Hand-to-mouth kiss: 1 reader")).to_be_visible()
    screenshot(desk, f"desk-suggestions-{viewport['width']}")
    assert axe_violations(desk) == []
    nomination.get_by_label("Shown on the results as").fill("The Heirs, rooftop kiss")
    nomination.get_by_role("button", name="Approve").click()
    expect(desk.get_by_role("status")).to_contain_text("Approved “The Heirs, rooftop kiss”")
    assert axe_violations(desk) == []

    # The editor closes the poll; the reader sees the final results with the suggestion.
    desk.get_by_role("link", name="All polls").click()
    poll.get_by_role("button", name="Close the poll").click()
    expect(desk.get_by_role("status")).to_contain_text(f"“{TITLE}” is closed")
    reader.goto(f"{POLL_PATH}/results")
    suggested = reader.get_by_role("region", name="What readers suggested")
    expect(suggested.get_by_role("listitem")).to_have_text(
        ["The Heirs, rooftop kiss, 1 reader", "Pinocchio: Hand-to-mouth kiss, 1 reader"]
    )
    expect(reader.get_by_label("What is missing?")).to_have_count(0)  # closed: no more suggestions
    screenshot(reader, f"results-suggested-{viewport['width']}")
    checker.goto(f"{POLL_PATH}/results")
    expect(checker.get_by_role("region", name="What readers suggested")).to_be_visible()
    assert axe_violations(checker) == []

    # The trail says who did what, newest first.
    poll.get_by_role("link", name="Trail").click()
    rows = desk.locator(".desk-trail tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Closed the poll")
    expect(rows.nth(1)).to_contain_text("Approved the readers' suggestion “The Heirs, rooftop kiss”")
    expect(rows.nth(0)).to_contain_text(EMAIL)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows.nth(0).locator("time").inner_text())
    assert axe_violations(desk) == []
    desk.wait_for_load_state("networkidle")
    reader.wait_for_load_state("networkidle")
    # The one refused form answered 400 on purpose; nothing else failed.
    assert (
        reader_problems
        == ["console: Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"]
        or reader_problems == []
    )
    assert desk_problems == []
