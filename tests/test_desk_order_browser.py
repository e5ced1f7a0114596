"""The desk's entry rows in a real browser: an editor reorders them as a
reader reorders a ballot (the Move up / Move down buttons, the arrow keys on
them, dragging by the grip), hears each move, and saves that order; the form
stays axe-clean. Without script the rows' places do the same (test_desk_polls)."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from helpers import POLL
from test_browser import axe_violations, browser, server, visit  # noqa: F401  (fixtures)
from test_desk_polls import entries_of

pytestmark = pytest.mark.browser

EMAIL = "editor@example.org"
PASSWORD = "correct horse battery staple"
TALL = {"width": 1280, "height": 2400}  # two rows in sight at once, for the drag


def log_in(app: Flask, page: Page) -> None:
    added = app.test_cli_runner().invoke(
        args=["editors", "add", EMAIL, "--password-stdin"], input=PASSWORD + "\n"
    )
    assert added.exit_code == 0, added.output
    page.goto("/editors/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Polls", exact=True)).to_be_visible()


def row_titles(page: Page) -> list[str]:
    return page.locator(".desk-entry-rows > li input[name$='-title']").evaluate_all(
        "inputs => inputs.map(i => i.value).filter(Boolean)"
    )


def places(page: Page) -> list[str]:
    return page.locator(".desk-entry-rows > li input[name$='-position']").evaluate_all(
        "inputs => inputs.map(i => i.value)"
    )


def test_an_editor_reorders_the_entries_with_buttons_keys_and_a_drag_and_saves_it(app, visit):  # noqa: F811
    titles = [title for _, title, *_ in entries_of(app, POLL)]
    names = [
        f"{title}: {subtitle}" if subtitle else title for _, title, subtitle, *_ in entries_of(app, POLL)
    ]
    context, page, problems = visit(TALL, bypass_csp=True)  # axe comes in as an inline script
    log_in(app, page)
    page.goto(f"/editors/polls/{POLL}/edit")
    expect(page.locator(".desk-entry-rows.is-ready")).to_be_attached()
    announce = page.locator("[data-reorder-announce]")
    # The places are kept by the script, out of sight; the buttons take their part.
    expect(page.get_by_label("Place in the list").first).to_be_hidden()
    assert axe_violations(page) == []

    page.get_by_role("button", name=f"Move up: {names[2]}").click()
    assert row_titles(page)[:3] == [titles[0], titles[2], titles[1]]
    expect(announce).to_have_text(f"“{names[2]}” is now number 2 of 14.")
    # Focus stays on the button, and the arrow keys move the row on.
    page.keyboard.press("ArrowUp")
    assert row_titles(page)[:3] == [titles[2], titles[0], titles[1]]
    page.keyboard.press("ArrowUp")
    expect(announce).to_have_text(f"“{names[2]}” is first already.")
    page.get_by_role("button", name=f"Move down: {names[0]}").focus()
    page.keyboard.press("ArrowDown")
    assert row_titles(page)[:3] == [titles[2], titles[1], titles[0]]
    assert places(page) == [str(place) for place in range(1, 15)]

    # Dragging the fourth row by its grip above the first.
    rows = page.locator(".desk-entry-rows > li")
    grip = rows.nth(3).locator(".desk-grip").bounding_box()
    target = rows.nth(0).bounding_box()
    assert grip and target
    x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 8, steps=4)
    page.mouse.move(x, target["y"] + 10, steps=20)
    page.wait_for_timeout(200)
    page.mouse.up()
    page.wait_for_timeout(250)
    expected = [titles[3], titles[2], titles[1], titles[0], *titles[4:]]
    assert row_titles(page) == expected
    expect(announce).to_have_text(f"“{names[3]}” is now number 1 of 14.")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Save the poll").click()

    expect(page.get_by_role("status")).to_contain_text("is saved")
    assert [title for _, title, *_ in entries_of(app, POLL)] == expected
    assert row_titles(page) == expected  # the page shown again, in the saved order
    assert problems == []
