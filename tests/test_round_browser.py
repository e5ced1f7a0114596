"""The whole round of a poll in a real browser, as an editor and a reader
live it: an editor added on the command line logs in, makes a five-entry
poll (forms found by their labels), opens it; a reader in another browser
votes and suggests what is missing; the suggestion arrives in the queue, the
editor approves it and closes the poll; the final results show it; the poll
file is exported and imported again. Every desk page on the way is axe-clean."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from test_browser import DESKTOP, axe_violations, browser, server, visit  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

EMAIL = "round@example.org"
PASSWORD = "a long enough password"
TITLE = "Best drama endings of 2016"
SLUG = "best-drama-endings-of-2016"
ENTRIES = [
    ("Goblin", "The first snow"),
    ("Signal", "The last call"),
    ("W", "Two worlds"),
    ("Moonlight", "The bridge"),
    ("Cheese in the Trap", "The campus"),
]
SUGGESTED = "Descendants of the Sun"


def test_a_poll_goes_the_whole_round_from_the_desk_to_its_results_and_file(app, visit, tmp_path):  # noqa: F811
    runner = app.test_cli_runner()
    added = runner.invoke(args=["editors", "add", EMAIL, "--password-stdin"], input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    context, desk, problems = visit(DESKTOP, bypass_csp=True)  # axe comes in as an inline script

    desk.goto("/editors/")
    desk.get_by_label("Email").fill(EMAIL)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Log in").click()
    expect(desk.get_by_role("heading", name="Polls", exact=True)).to_be_visible()
    desk.get_by_role("link", name="New poll").click()

    expect(desk.get_by_role("heading", name="New poll")).to_be_visible()
    assert axe_violations(desk) == []
    desk.get_by_label("Title", exact=True).first.fill(TITLE)
    desk.get_by_label("Introduction", exact=True).fill("Which ending stayed with you?")
    desk.get_by_label("One entry is called").fill("ending")
    desk.get_by_label("Several entries are called").fill("endings")
    desk.get_by_label("Ballots before the results rank the entries").fill("1")
    rows = desk.locator(".desk-entry-rows > li")
    for number, (title, subtitle) in enumerate(ENTRIES):
        rows.nth(number).get_by_label("Title", exact=True).fill(title)
        rows.nth(number).get_by_label("Subtitle", exact=True).fill(subtitle)
    desk.get_by_role("button", name="Save the poll").click()
    expect(desk.get_by_role("status")).to_contain_text(f"“{TITLE}” is made.")

    desk.goto("/editors/")
    poll = desk.get_by_role("region", name=TITLE)
    expect(poll.locator(".desk-status")).to_have_text("Draft")
    assert axe_violations(desk) == []
    poll.get_by_role("button", name="Open the poll").click()
    expect(poll.locator(".desk-status")).to_have_text("Open")

    # A reader, in a browser of their own.
    reader = context.browser.new_context(viewport=DESKTOP, base_url=desk.url.split("/editors/")[0])
    page = reader.new_page()
    page.goto(f"/polls/{SLUG}")
    expect(page.locator(".ranker.is-ready")).to_be_visible()
    for title, _ in (ENTRIES[1], ENTRIES[0], ENTRIES[3]):
        page.get_by_role("button", name=re.compile(f"^Rank next: {title} ")).click()
    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.locator(".flash")).to_contain_text("Thank you! Your ballot is in.")
    page.get_by_label("What is missing?").fill(SUGGESTED)
    page.get_by_label("Why it belongs (optional)").fill("The ending everyone talked about.")
    page.get_by_role("button", name="Suggest it").click()
    expect(page.locator(".flash").first).to_be_visible()

    desk.goto(f"/editors/polls/{SLUG}/suggestions")
    nomination = desk.get_by_role("region", name=SUGGESTED)
    expect(nomination).to_contain_text("1 reader")
    assert axe_violations(desk) == []
    nomination.get_by_role("button", name="Approve").click()
    expect(desk.get_by_role("region", name=SUGGESTED)).to_contain_text("Approved: on the results page")

    desk.goto("/editors/")
    desk.get_by_role("region", name=TITLE).get_by_role("button", name="Close the poll").click()
    expect(desk.get_by_role("status")).to_contain_text(f"“{TITLE}” is closed")

    page.goto(f"/polls/{SLUG}/results")
    expect(page.get_by_role("heading", name=f"{TITLE}: readers vs editors")).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("poll closed")
    first = page.locator(".results-table tbody tr").first
    expect(first.get_by_role("rowheader")).to_contain_text("Signal: The last call")
    expect(page.locator(".suggested-list").first).to_have_text(f"{SUGGESTED}, 1 reader")
    reader.close()

    exported = tmp_path / f"{SLUG}.toml"
    done = runner.invoke(args=["polls", "export", SLUG, str(exported)])
    assert done.exit_code == 0, done.output
    text = exported.read_text(encoding="utf-8")
    assert f'title = "{TITLE}"' in text and all(f'title = "{title}"' in text for title, _ in ENTRIES)
    again = runner.invoke(args=["polls", "import", str(exported)])
    assert again.exit_code == 0, again.output
    assert f"{SLUG}: unchanged, 5 entries" in again.output
    exported.write_text(
        text.replace(f'title = "{TITLE}"', 'title = "Best endings of 2016"', 1), encoding="utf-8"
    )
    changed = runner.invoke(args=["polls", "import", str(exported)])
    assert changed.exit_code == 0 and f"{SLUG}: updated, 5 entries" in changed.output
    desk.goto("/editors/")
    expect(desk.get_by_role("region", name="Best endings of 2016")).to_be_visible()
    assert problems == []
