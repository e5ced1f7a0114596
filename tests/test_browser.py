"""The poll in a real browser: Debian's Chromium, driven by Playwright, against a live server.

Each test gets its own server and database; the browser is shared by the module.
Screenshots land in ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import csv
import io
import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from flask import Flask, Response, request
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright
from pollapp.ballots.service import cast_ballot, import_ballots
from pollapp.extensions import db
from pollapp.polls.service import find_poll
from werkzeug.serving import make_server

from helpers import POLL, set_poll

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
POLL_PATH = f"/polls/{POLL}"
RESULTS_PATH = f"/polls/{POLL}/results"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app behind a real HTTP server on a free port of 127.0.0.1."""
    http = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join()
    http.server_close()


@pytest.fixture
def other_readers(app: Flask, keys: list[str]) -> int:
    """Forty ballots from other readers, so the results have a shape worth looking at."""

    chance = random.Random(2014)
    # Readers lean towards a different order than the editors', so there are risers and fallers.
    taste = [6.0, 3.0, 8.0, 4.0, 2.0, 5.0, 1.5, 3.5, 6.5]
    with app.app_context():
        poll = find_poll(POLL)
        for reader in range(40):
            order = sorted(keys, key=lambda k: -taste[keys.index(k)] * chance.random())
            cast_ballot(poll, f"seeded-reader-{reader:02d}", order[: chance.randint(1, 9)])
    return 40


class Visit(NamedTuple):
    context: BrowserContext
    page: Page
    problems: list[str]


@pytest.fixture
def visit(browser: Browser, server: str) -> Iterator[Callable[..., Visit]]:
    """Open a fresh browser context on the server, recording console errors and failed loads."""
    contexts: list[BrowserContext] = []

    def open_context(viewport: dict[str, int], **options: object) -> Visit:
        context = browser.new_context(viewport=viewport, base_url=server, **options)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        # A load the browser gave up because the page was left (net::ERR_ABORTED: the
        # icon, a deferred script, a live refresh in flight) is no fault of the page.
        page.on(
            "requestfailed",
            lambda r: problems.append(f"failed: {r.url}") if r.failure != "net::ERR_ABORTED" else None,
        )
        # A form sent with mistakes answers 400 on purpose (a document); every resource must load.
        page.on(
            "response",
            lambda r: (
                problems.append(f"{r.status}: {r.url}")
                if r.status >= 400 and r.request.resource_type != "document"
                else None
            ),
        )
        return Visit(context, page, problems)

    yield open_context
    for context in contexts:
        context.close()


# ---------------------------------------------------------------- helpers


def ranked_keys(page: Page) -> list[str]:
    return page.locator(".ranked-item:not([hidden])").evaluate_all("items => items.map(i => i.dataset.key)")


def select_values(page: Page) -> list[str]:
    values = page.locator(".ballot-fields select").evaluate_all("selects => selects.map(s => s.value)")
    return [value for value in values if value]


def pick_button(page: Page, key: str) -> Locator:
    return page.locator(f'.pool-item[data-key="{key}"] button')


def ranked_item(page: Page, key: str) -> Locator:
    return page.locator(f'.ranked-item[data-key="{key}"]')


def stored_ballots(context: BrowserContext) -> list[list[str]]:
    """Every ballot in the download, in the order cast, without the empty cells."""
    response = context.request.get(f"/polls/{POLL}/ballots.csv")
    assert response.ok
    assert response.body().startswith(b"\xef\xbb\xbf")  # a byte order mark, then the rows
    rows = list(csv.reader(io.StringIO(response.body().decode("utf-8-sig"), newline="")))
    assert rows[0][:2] == ["ballot", "rank_1"] and rows[0][-1] == "source"
    return [[key for key in row[1:-1] if key] for row in rows[1:]]


def focus_by_tab(page: Page, selector: str, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the element matching ``selector`` has focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never took focus after {limit} presses of {key}")


def open_poll(page: Page) -> None:
    page.goto(POLL_PATH)
    expect(page.locator(".ranker.is-ready")).to_be_visible()


def focused(page: Page, selector: str) -> bool:
    return page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector)


def layout_shift(page: Page) -> float:
    """The page's cumulative layout shift so far (Layout Instability API)."""
    return page.evaluate(
        """() => new Promise(resolve => {
            let total = 0;
            new PerformanceObserver(list => {
                for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
            }).observe({type: "layout-shift", buffered: true});
            setTimeout(() => resolve(total), 300);
        })"""
    )


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def axe_violations(page: Page) -> list[str]:
    """The WCAG 2.1 A and AA violations axe-core finds on the page, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    # Guard against a run that checked nothing: contrast is always checked on these pages.
    assert "color-contrast" in {rule["id"] for rule in found["passes"]}
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in found["violations"]
    ]


# ---------------------------------------------------------------- voting four ways


def test_a_reader_on_a_phone_ranks_by_tapping_then_changes_the_ballot(visit, keys, other_readers):
    context, page, problems = visit(PHONE, has_touch=True, is_mobile=True)
    open_poll(page)
    expect(page.locator(".ballot-fields")).to_be_hidden()
    # The widget starts empty, not in the editors' order, with every scene in the pool.
    assert ranked_keys(page) == []
    expect(page.locator("[data-count]")).to_have_text("0 of 9 ranked")
    expect(page.locator(".pool-item:not([hidden])")).to_have_count(9)
    assert layout_shift(page) < 0.01

    page.locator(".jump-link").tap()
    expect(page.locator("#ballot")).to_be_in_viewport()
    chosen = [keys[4], keys[0], keys[7]]
    for key in chosen:
        pick_button(page, key).tap()
    assert ranked_keys(page) == chosen
    assert select_values(page) == chosen
    expect(page.locator("[data-count]")).to_have_text("3 of 9 ranked")
    expect(page.locator(".pool-item:not([hidden])")).to_have_count(6)
    expect(page.locator("[data-announce]")).to_have_text(
        "Bride of the Century: Mall proposal kiss: ranked 3 of 3."
    )
    screenshot(page, "poll-phone")

    page.get_by_role("button", name="Cast my ballot").tap()
    # Right after voting the phone shows the reader's own ranking, not the top of a long page.
    expect(page).to_have_url(f"{page.url.split('/polls/')[0]}{RESULTS_PATH}#your-ranking")
    expect(page.locator("#your-ranking")).to_be_in_viewport()
    expect(page.locator("#your-ranking li").first).to_be_in_viewport()
    expect(page.locator(".flash")).to_have_text("Thank you! Your ballot is in.")
    assert stored_ballots(context)[-1] == chosen
    assert len(stored_ballots(context)) == other_readers + 1
    mine = page.locator(".my-ballot li")
    expect(mine).to_have_count(3)
    expect(mine.first).to_contain_text("My Lovable Girl: First kiss")
    expect(page.locator("svg.chart")).to_have_count(3)
    screenshot(page, "results-phone")

    # Back on the poll, the widget holds the reader's own ballot, ready to change.
    page.get_by_role("link", name="Change my ballot").tap()
    expect(page.locator(".ranker.is-ready")).to_be_visible()
    assert ranked_keys(page) == chosen
    assert select_values(page) == chosen
    ranked_item(page, keys[0]).locator("[data-action=remove]").tap()
    pick_button(page, keys[8]).tap()
    changed = [keys[4], keys[7], keys[8]]
    assert ranked_keys(page) == changed
    page.get_by_role("button", name="Replace my ballot").tap()
    expect(page.locator(".flash")).to_have_text("Your new ballot replaced your earlier one.")
    ballots = stored_ballots(context)
    assert len(ballots) == other_readers + 1
    assert ballots[-1] == changed
    assert problems == []


def drag(page: Page, source: Locator, target: Locator, *, above: bool) -> None:
    """Press on ``source``, move in small steps to the top or bottom edge of ``target``, let go."""
    page.locator(".ranker").evaluate("ranker => ranker.scrollIntoView({block: 'start'})")
    start = source.bounding_box()
    end = target.bounding_box()
    assert start and end
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    to_y = end["y"] + (end["height"] * 0.2 if above else end["height"] * 0.8)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + (-8 if above else 8), steps=4)
    page.mouse.move(end["x"] + end["width"] / 2, to_y, steps=15)
    page.wait_for_timeout(200)
    page.mouse.up()
    page.wait_for_timeout(250)


def test_a_reader_on_a_desktop_reorders_by_dragging(visit, keys, other_readers):
    context, page, problems = visit(DESKTOP)
    open_poll(page)
    assert layout_shift(page) < 0.01
    for key in (keys[0], keys[1], keys[2]):
        pick_button(page, key).click()
    assert ranked_keys(page) == [keys[0], keys[1], keys[2]]

    # Drag the third scene by its grip to the top of the ranking.
    drag(page, ranked_item(page, keys[2]).locator(".ranked-grab"), ranked_item(page, keys[0]), above=True)
    assert ranked_keys(page) == [keys[2], keys[0], keys[1]]
    assert select_values(page) == [keys[2], keys[0], keys[1]]
    expect(ranked_item(page, keys[2]).locator("[data-position]")).to_have_text("1")

    # Drag a scene up from the pool into the ranking, just above the second.
    drag(page, page.locator(f'.pool-item[data-key="{keys[6]}"]'), ranked_item(page, keys[0]), above=True)
    assert ranked_keys(page) == [keys[2], keys[6], keys[0], keys[1]]
    expect(page.locator(f'.pool-item[data-key="{keys[6]}"]')).to_be_hidden()
    expected = [keys[2], keys[6], keys[0], keys[1]]
    assert select_values(page) == expected
    screenshot(page, "poll-desktop")

    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.locator(".flash")).to_have_text("Thank you! Your ballot is in.")
    assert stored_ballots(context)[-1] == expected
    expect(page.locator(".my-ballot li")).to_have_count(4)
    results = context.request.get(f"/api/polls/{POLL}/results").json()
    assert results["ballots"] == other_readers + 1
    screenshot(page, "results-desktop")
    assert problems == []


def test_a_reader_votes_with_the_keyboard_alone(visit, app, keys):
    # The ballot in the editors' order, so the steps below can name each entry's neighbours.
    set_poll(app, shuffle_entries=False)
    context, page, problems = visit(DESKTOP)
    open_poll(page)
    announce = page.locator("[data-announce]")

    focus_by_tab(page, f'.pool-item[data-key="{keys[2]}"] button')
    page.keyboard.press("Enter")
    # Focus stays in the pool, on the next scene, so ranking can go on from the keyboard.
    assert focused(page, f'.pool-item[data-key="{keys[3]}"] button')
    focus_by_tab(page, f'.pool-item[data-key="{keys[5]}"] button')
    page.keyboard.press("Enter")
    focus_by_tab(page, f'.pool-item[data-key="{keys[1]}"] button', backwards=True)
    page.keyboard.press("Space")
    assert ranked_keys(page) == [keys[2], keys[5], keys[1]]
    expect(announce).to_have_text("Emergency Couple: Bus stop kiss: ranked 3 of 3.")

    # Arrow keys move the scene whose buttons have focus, and focus follows it.
    focus_by_tab(page, f'.ranked-item[data-key="{keys[1]}"] [data-action=up]', backwards=True)
    page.keyboard.press("ArrowUp")
    assert ranked_keys(page) == [keys[2], keys[1], keys[5]]
    assert focused(page, f'.ranked-item[data-key="{keys[1]}"] [data-action=up]')
    expect(announce).to_have_text("Emergency Couple: Bus stop kiss: moved up to 2 of 3.")
    page.keyboard.press("ArrowUp")
    assert ranked_keys(page) == [keys[1], keys[2], keys[5]]
    page.keyboard.press("ArrowUp")
    expect(announce).to_have_text("Emergency Couple: Bus stop kiss is already first.")

    # The down button, pressed with Enter, then Delete to take a scene off the ranking.
    focus_by_tab(page, f'.ranked-item[data-key="{keys[2]}"] [data-action=down]')
    page.keyboard.press("Enter")
    assert ranked_keys(page) == [keys[1], keys[5], keys[2]]
    focus_by_tab(page, f'.ranked-item[data-key="{keys[5]}"] [data-action=remove]', backwards=True)
    page.keyboard.press("Delete")
    assert ranked_keys(page) == [keys[1], keys[2]]
    expect(announce).to_have_text("High School Love On: Bubble gum kiss: removed. 2 of 9 ranked.")
    assert not focused(page, "body")
    expect(pick_button(page, keys[5])).to_be_visible()

    focus_by_tab(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_have_text("Thank you! Your ballot is in.")
    assert stored_ballots(context) == [[keys[1], keys[2]]]
    assert problems == []


def test_the_plain_form_works_without_javascript(visit, keys):
    context, page, problems = visit(DESKTOP, java_script_enabled=False)
    page.goto(POLL_PATH)
    expect(page.locator(".ranker")).to_be_hidden()
    expect(page.locator("#rank_1")).to_be_visible()
    expect(page.locator("#rank_1")).to_have_value("")

    # A gap is refused, with the error beside the field and the choices kept.
    page.select_option("#rank_1", keys[3])
    page.select_option("#rank_3", keys[6])
    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#rank_2-error")).to_have_text(
        "Rank 2 is empty but a later rank is filled: close the gap."
    )
    expect(page.locator("#rank_1")).to_have_value(keys[3])
    expect(page.locator("#rank_3")).to_have_value(keys[6])
    assert stored_ballots(context) == []
    # The refused form comes back with status 400, which Chromium reports; nothing else may go wrong.
    assert problems == [
        "console: Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
    ]
    problems.clear()

    page.select_option("#rank_2", keys[0])
    screenshot(page, "poll-desktop-no-javascript")
    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.locator(".flash")).to_have_text("Thank you! Your ballot is in.")
    assert stored_ballots(context) == [[keys[3], keys[0], keys[6]]]
    # One ballot is too early to rank: the counts in the editors' order, and no charts.
    expect(page.locator(".lead")).to_have_text(
        "Too early to call: 1 ballot so far, and the ranking starts at 30."
    )
    expect(page.locator(f'.results-table tr[data-key="{keys[3]}"] td').last).to_have_text("1")
    expect(page.locator("svg.chart-slope")).to_have_count(0)
    assert problems == []


def test_start_again_empties_the_ranking_and_an_empty_ballot_is_not_sent(visit, app, keys):
    set_poll(app, shuffle_entries=False)  # the first entry of the pool is the editors' first
    context, page, problems = visit(DESKTOP)
    open_poll(page)
    pick_button(page, keys[3]).click()
    pick_button(page, keys[1]).click()
    page.get_by_role("button", name="Start again").click()
    assert ranked_keys(page) == []
    assert select_values(page) == []
    expect(page.locator(".pool-item:not([hidden])")).to_have_count(9)
    assert focused(page, f'.pool-item[data-key="{keys[0]}"] button')

    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.locator("[data-error]")).to_have_text("Pick your favourite first: tap it in the list below.")
    expect(page).to_have_url(f"{page.url.split('/polls/')[0]}{POLL_PATH}")
    assert stored_ballots(context) == []
    pick_button(page, keys[3]).click()
    expect(page.locator("[data-error]")).to_be_hidden()
    assert problems == []


# ---------------------------------------------------------------- accessibility


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_poll_and_results_pages_have_no_wcag_violations(visit, keys, other_readers, viewport):
    # axe-core is injected as a script, which the page's own policy rightly refuses.
    context, page, problems = visit(viewport, bypass_csp=True)
    open_poll(page)
    assert axe_violations(page) == []
    pick_button(page, keys[1]).click()
    pick_button(page, keys[0]).click()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.locator(".my-ballot")).to_be_visible()
    page.locator(".heat-table summary").click()
    assert axe_violations(page) == []
    assert problems == []


def test_the_open_results_follow_other_readers_ballots_and_announce_only_a_new_leader(visit, app, keys):
    app.config["LIVE_REFRESH_SECONDS"] = 2
    with app.app_context():
        cast_ballot(find_poll(POLL), "first-reader", [keys[0], keys[1]])
    context, page, problems = visit(DESKTOP)
    answers: list[int] = []

    @app.after_request
    def record(response: Response) -> Response:
        # What the server answered: the browser shows a revalidated copy to the page as its 200.
        if request.path.startswith("/api/polls/"):
            answers.append(response.status_code)
        return response

    page.goto(RESULTS_PATH)
    lead_before = page.locator(".lead").inner_text()
    expect(page.locator(".summary")).to_contain_text("1")
    # Nothing moved: the watcher's questions cost 304s and the page does not change or speak.
    page.wait_for_timeout(4_500)
    assert 304 in answers
    assert page.locator("[data-live-status]").inner_text() == ""

    with app.app_context():
        poll = find_poll(POLL)
        for reader in range(3):
            cast_ballot(poll, f"later-reader-{reader}", [keys[8], keys[7]])
    expect(page.locator(".summary")).to_contain_text("4", timeout=8_000)
    expect(page.locator(".lead")).not_to_have_text(lead_before)
    status = page.locator("[data-live-status]")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text(page.locator(".lead").inner_text())

    # A hidden tab asks nothing.
    page.evaluate(
        """() => { Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
                   document.dispatchEvent(new Event("visibilitychange")); }"""
    )
    asked = len(answers)
    page.wait_for_timeout(4_500)
    assert len(answers) == asked
    # Chromium reports a script's 304 to a request it revalidated itself as an aborted load.
    assert [p for p in problems if not p.startswith("failed: ") or "/api/polls/" not in p] == []


def test_the_live_results_page_stays_accessible(visit, app, keys, other_readers):
    context, page, problems = visit(PHONE, bypass_csp=True)
    page.goto(RESULTS_PATH)
    expect(page.locator("[data-live-status]")).to_have_count(1)
    assert axe_violations(page) == []
    assert problems == []


# ---------------------------------------------------------------- in Korean


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_korean_reader_ranks_hears_korean_and_the_pages_stay_accessible(
    visit, keys, other_readers, viewport
):
    # The browser asks for Korean; axe-core is injected, so the page's own policy is bypassed.
    context, page, problems = visit(viewport, locale="ko-KR", bypass_csp=True)
    open_poll(page)
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("[data-count]")).to_have_text("9개 중 0개 순위 매김")
    announce = page.locator("[data-announce]")
    first, second = keys[6], keys[3]
    names = {key: ranked_item(page, key).get_attribute("data-name") for key in (first, second)}

    pick_button(page, first).click()
    pick_button(page, second).click()
    expect(announce).to_have_text(f"{names[second]}: 2개 중 2위로 넣었습니다.")
    expect(page.locator("[data-count]")).to_have_text("9개 중 2개 순위 매김")
    ranked_item(page, second).locator("[data-action=up]").click()
    expect(announce).to_have_text(f"{names[second]}: 2개 중 1위로 올라갔습니다.")
    page.keyboard.press("ArrowUp")  # focus stays on the moved scene's button
    expect(announce).to_have_text(f"{names[second]}: 이미 맨 위입니다.")
    expect(ranked_item(page, second).locator("[data-action=up]")).to_contain_text("위로")
    assert axe_violations(page) == []
    screenshot(page, f"poll-ko-{'phone' if viewport is PHONE else 'desktop'}")

    page.get_by_role("button", name="투표하기").click()
    expect(page.locator(".flash")).to_have_text("고맙습니다! 투표가 접수되었습니다.")
    assert stored_ballots(context)[-1] == [second, first]
    expect(page.locator("h1")).to_contain_text("독자 대 편집진")
    expect(page.locator("svg.chart-points title").first).to_have_text("장면별 보르다 점수")
    page.locator(".heat-table summary").click()
    assert axe_violations(page) == []
    screenshot(page, f"results-ko-{'phone' if viewport is PHONE else 'desktop'}")

    # The switch takes the reader to English, and the choice is kept.
    page.locator(".language-switch a[hreflang=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.wait_for_load_state("load")  # its scripts in, not cancelled by leaving at once
    page.goto(POLL_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # Leaving the open poll's results cancels the live refresh's request and the icon's load.
    cancelled = ("/api/polls/", "/static/favicon.svg")
    assert [p for p in problems if not (p.startswith("failed: ") and any(c in p for c in cancelled))] == []


# ---------------------------------------------------------------- the results page at every size

NARROW = {"width": 320, "height": 640}


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_results_table_fits_a_320px_phone_and_stays_a_table(visit, other_readers, language):
    context, page, problems = visit(NARROW, has_touch=True, is_mobile=True, bypass_csp=True)
    page.goto(f"{RESULTS_PATH}?lang={language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    table = page.locator(".results-table")
    assert table.bounding_box()["width"] <= NARROW["width"]
    # Each row is a card: the entry's name above its figures, not beside them.
    first = table.locator("tbody tr").first
    name, figure = first.locator("th").bounding_box(), first.locator("td").first.bounding_box()
    assert name["y"] + name["height"] <= figure["y"] + 1
    # Still a table to a screen reader: its column headers, a row header per entry, a cell per figure.
    expect(table.get_by_role("columnheader")).to_have_count(7)
    expect(table.get_by_role("rowheader")).to_have_count(9)
    expect(table.get_by_role("cell")).to_have_count(9 * 6)
    assert axe_violations(page) == []
    assert [p for p in problems if not (p.startswith("failed: ") and "/api/polls/" in p)] == []


def seed_ballots(app: Flask, keys: list[str], count: int) -> None:
    """``count`` ballots from readers who lean away from the editors' order, imported in one go."""
    chance = random.Random(count)
    taste = [6.0, 3.0, 8.0, 4.0, 2.0, 5.0, 1.5, 3.5, 6.5]
    rankings = []
    for _ in range(count):
        order = sorted(keys, key=lambda k: -taste[keys.index(k)] * chance.random())
        rankings.append(order[: chance.randint(1, 9)])
    with app.app_context():
        import_ballots(find_poll(POLL), rankings)
        db.session.commit()


class Size(NamedTuple):
    ballots: int
    says: str  # what the page leads with


SIZES = [
    Size(0, "No ballots yet."),
    Size(10, "Too early to call: 10 ballots so far"),
    Size(40, ""),
    Size(10_000, "The readers put"),
]


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size.ballots}-ballots")
def test_the_results_page_at_each_size_on_a_phone_and_a_desktop(visit, app, keys, size):
    seed_ballots(app, keys, size.ballots)
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context, page, problems = visit(viewport, bypass_csp=True)
        page.goto(RESULTS_PATH)
        expect(page.locator(".summary")).to_contain_text(f"{size.ballots:,}")
        expect(page.locator(".story")).to_contain_text(size.says)
        # Charts only once the poll ranks: from its minimum of ballots.
        expect(page.locator("svg.chart")).to_have_count(3 if size.ballots >= 30 else 0)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert axe_violations(page) == []
        screenshot(page, f"results-{size.ballots}-ballots-{name}")
        assert [p for p in problems if not (p.startswith("failed: ") and "/api/polls/" in p)] == []


# ---------------------------------------------------------------- a refusal keeps the picks


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_ballot_refused_because_the_poll_closed_comes_back_at_the_message(visit, app, keys, javascript):
    set_poll(app, shuffle_entries=False)
    context, page, problems = visit(PHONE, java_script_enabled=javascript)
    chosen = [keys[5], keys[1], keys[7]]
    if javascript:
        open_poll(page)
        for key in chosen:
            pick_button(page, key).click()
    else:
        page.goto(POLL_PATH)
        for position, key in enumerate(chosen, start=1):
            page.select_option(f"#rank_{position}", key)
    set_poll(app, status="closed")  # closed while the reader was choosing
    page.get_by_role("button", name="Cast my ballot").click()
    message = page.locator("#ballot-message")
    expect(message).to_contain_text("This poll is closed and no longer takes ballots.")
    # The answer opens at the message, which has the focus, not at the top of the page.
    expect(page).to_have_url(f"{page.url.split('/polls/')[0]}{POLL_PATH}#ballot-message")
    expect(message).to_be_in_viewport()
    expect(message).to_be_focused()
    if javascript:
        expect(page.locator(".ranker.is-ready")).to_be_visible()
        assert ranked_keys(page) == chosen
    assert [page.locator(f"#rank_{p}").input_value() for p in (1, 2, 3)] == chosen
    assert stored_ballots(context) == []
    assert [p for p in problems if "409" not in p] == []
