"""The embed in a real browser, in a page of another origin (127.0.0.2 framing
127.0.0.1): WordPress's exact sandbox with JavaScript, a frame that allows
forms with JavaScript off, the embed page checked by axe, and what its first
view fetches (requests, hosts, and bytes through the shipped nginx)."""

from __future__ import annotations

import html
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect, sync_playwright
from pollapp.testing import Fetched, framed_requests, nginx_binary, running_nginx
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from helpers import POLL, set_poll

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-sync"]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SECRET = "abcdefghij"
EMBED = f"/polls/{POLL}/embed"

# The host page: one frame, and a listener that keeps what the frame says.
HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A blog post</title></head>
<body><h1>A blog post</h1>
<iframe id="poll" {attributes} src="{src}" width="500" height="200" title="The poll"></iframe>
<script>
window.heights = []; window.links = []; window.strangers = [];
window.addEventListener("message", function (event) {{
  var data = event.data || {{}};
  if (data.secret !== "{secret}") {{ window.strangers.push(data); return; }}
  if (data.message === "height") {{
    window.heights.push(data.value);
    document.getElementById("poll").height = data.value;
  }} else if (data.message === "link") {{
    window.links.push(data.value);
  }}
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def serve(host: str, wsgi: Callable[..., object]) -> tuple[str, Callable[[], None]]:
    http = make_server(host, 0, wsgi, threaded=True)  # type: ignore[arg-type]
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        http.shutdown()
        thread.join()
        http.server_close()

    return f"http://{host}:{http.server_port}", stop


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The poll app on 127.0.0.1."""
    url, stop = serve("127.0.0.1", app)
    yield url
    stop()


@pytest.fixture
def blog(server: str) -> Iterator[Callable[[str], str]]:
    """Another site on 127.0.0.2: ``blog(attributes)`` is the URL of a page
    framing the embed with those iframe attributes."""

    @Request.application
    def host(request: Request) -> Response:
        attributes = request.args.get("attributes", "")
        src = f"{server}{EMBED}#?secret={SECRET}"
        page = HOST_PAGE.format(attributes=attributes, src=html.escape(src), secret=SECRET)
        return Response(page, mimetype="text/html")

    url, stop = serve("127.0.0.2", host)
    yield lambda attributes: f"{url}/post?attributes={attributes}"
    stop()


@pytest.fixture
def open_page(browser: Browser, server: str, blog: object) -> Iterator[Callable[..., Page]]:
    """A page in a fresh browser context; every context is closed before the servers stop."""
    contexts: list[BrowserContext] = []

    def make(**options: object) -> Page:
        context = browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def embed_frame(page: Page) -> Frame:
    frame = page.frame_locator("#poll")
    expect(frame.locator("[data-embed]")).to_be_visible()
    found = [f for f in page.frames if f.url.split("#")[0].endswith(EMBED)]
    assert len(found) == 1
    return found[0]


def counted(page: Page, server: str) -> list[str]:
    """The ranking of the counted ballots, from the API (read outside the frame)."""
    body = page.context.request.get(f"{server}/api/polls/{POLL}/results").json()
    return [entry["key"] for entry in body["entries"] if entry["points"] != "0"] if body["ballots"] else []


def ballots(page: Page, server: str) -> int:
    return int(page.context.request.get(f"{server}/api/polls/{POLL}/results").json()["ballots"])


def test_in_wordpresss_sandbox_a_reader_votes_and_the_ballot_counts(open_page, server, blog, keys):
    page = open_page(viewport={"width": 900, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(blog('sandbox="allow-scripts"'))
    frame = embed_frame(page)
    # WordPress's sandbox: an opaque origin, no cookies, no storage, no forms.
    assert frame.evaluate("self.origin") == "null"
    assert frame.evaluate(
        "(() => { try { document.cookie; return 'cookie'; } catch (e) { return e.name; } })()"
    ) == ("SecurityError")

    # The frame says its height with the secret, and the page grows the frame to it.
    page.wait_for_function("window.heights.length > 0 && window.heights[window.heights.length - 1] > 300")
    first = page.evaluate("window.heights[window.heights.length - 1]")
    content = frame.evaluate(
        "Math.ceil(document.querySelector('[data-embed]').getBoundingClientRect().height)"
    )
    assert first == content
    assert page.evaluate("window.strangers") == []

    ui = page.frame_locator("#poll")
    expect(ui.locator(".ranker.is-ready")).to_be_visible()
    ui.locator(f'.pool-item[data-key="{keys[4]}"] button').click()
    ui.locator(f'.pool-item[data-key="{keys[1]}"] button').click()
    name = ui.locator(f'.ranked-item[data-key="{keys[1]}"]').get_attribute("data-name")
    expect(ui.locator("[data-announce]")).to_have_text(f"{name}: ranked 2 of 2.")
    # Picking changed the content's height (no window resize, no ballot): the page hears of it.
    content = "Math.ceil(document.querySelector('[data-embed]').getBoundingClientRect().height)"
    picked = frame.evaluate(content)
    assert picked != first
    page.wait_for_function(f"window.heights[window.heights.length - 1] === {picked}")
    ui.get_by_role("button", name="Cast my ballot").click()
    expect(ui.locator("#after-heading")).to_have_text("Thank you! Your ballot is in.")
    expect(ui.locator(".embed-after")).to_contain_text("Readers' top 3")
    assert ballots(page, server) == 1
    assert counted(page, server)[:2] == [keys[4], keys[1]]
    # The answer changed the frame's height (the ballot folded away), and the page heard of it.
    answered = frame.evaluate(content)
    assert answered != picked
    page.wait_for_function(f"window.heights[window.heights.length - 1] === {answered}")

    # Voting again in the same frame replaces the ballot.
    ui.get_by_role("button", name="Change my ballot").click()
    expect(ui.locator("#ballot-heading")).to_be_focused()
    ui.locator(f'.ranked-item[data-key="{keys[4]}"] [data-action=remove]').click()
    ui.get_by_role("button", name="Replace my ballot").click()
    expect(ui.locator("#after-heading")).to_have_text("Your new ballot replaced your earlier one.")
    assert ballots(page, server) == 1

    # The results link asks WordPress to open the top page ("link" message).
    ui.get_by_role("link", name="See the full results on pollapp").click()
    page.wait_for_function("window.links.length === 1")
    assert page.evaluate("window.links") == [f"{server}/polls/{POLL}/results"]
    assert problems == []


def test_a_frame_that_allows_forms_takes_the_ballot_with_javascript_off(open_page, server, blog, keys):
    page = open_page(java_script_enabled=False, viewport={"width": 900, "height": 900})
    page.goto(blog('sandbox="allow-forms" height="1400"'))
    ui = page.frame_locator("#poll")
    expect(ui.locator(".ranker")).to_be_hidden()
    ui.locator("#rank_1").select_option(keys[2])
    ui.locator("#rank_2").select_option(keys[7])
    ui.get_by_role("button", name="Cast my ballot").click()
    expect(ui.locator("#after-heading")).to_have_text("Thank you! Your ballot is in.")
    expect(ui.locator(".embed-after")).to_contain_text("Editors' top 3")
    assert ballots(page, server) == 1
    assert counted(page, server)[:2] == [keys[2], keys[7]]
    # Sent again (the same page load's key), it replaces, never counts twice.
    ui.locator("#rank_1").select_option(keys[3])
    ui.get_by_role("button", name="Replace my ballot").click()
    expect(ui.locator("#after-heading")).to_have_text("Your new ballot replaced your earlier one.")
    assert ballots(page, server) == 1


def test_the_embed_has_no_wcag_violations_before_and_after_a_ballot(open_page, server, keys):
    # axe-core is injected as a script, which the page's own policy rightly refuses.
    page = open_page(viewport={"width": 400, "height": 800}, bypass_csp=True, base_url=server)
    page.goto(EMBED)
    expect(page.locator(".ranker.is-ready")).to_be_visible()

    def violations() -> list[str]:
        page.add_script_tag(path=str(AXE))
        found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
        assert "color-contrast" in {rule["id"] for rule in found["passes"]}
        return [json.dumps([v["id"], [n["target"] for n in v["nodes"]]]) for v in found["violations"]]

    assert violations() == []
    page.locator(f'.pool-item[data-key="{keys[0]}"] button').click()
    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.locator("#after-heading")).to_be_focused()
    assert violations() == []


def test_the_two_line_snippet_becomes_a_frame_sized_to_its_content(open_page, server, keys):
    snippet = (
        f'<a class="pollapp-embed" href="{server}/polls/{POLL}">Rank the scenes yourself</a>\n'
        f'<script async src="{server}/static/embed-loader.js"></script>'
    )

    @Request.application
    def host(request: Request) -> Response:
        page = f'<!doctype html><html lang="en"><head><title>Elsewhere</title></head><body>{snippet}</body>'
        return Response(page, mimetype="text/html")

    url, stop = serve("127.0.0.2", host)
    try:
        page = open_page(viewport={"width": 600, "height": 800})
        page.goto(f"{url}/post")
        frame = page.locator("iframe")
        expect(frame).to_have_count(1)
        assert frame.get_attribute("src").startswith(f"{server}{EMBED}#?secret=")
        # Sized by the frame's own height message; the link, the fallback, hidden then.
        expect(page.locator("a.pollapp-embed")).to_be_hidden()
        inner = page.frame_locator("iframe").locator("[data-embed]")
        expect(inner).to_be_visible()
        embed = next(f for f in page.frames if f.url.split("#")[0].endswith(EMBED))
        content = "Math.ceil(document.querySelector('[data-embed]').getBoundingClientRect().height)"
        page.wait_for_function(
            "h => document.querySelector('iframe').height === String(h)", arg=embed.evaluate(content)
        )
        # Outside a sandbox, with third-party cookies blocked, the ballot counts all the same.
        page.frame_locator("iframe").locator(f'.pool-item[data-key="{keys[0]}"] button').click()
        page.frame_locator("iframe").get_by_role("button", name="Cast my ballot").click()
        expect(page.frame_locator("iframe").locator("#after-heading")).to_have_text(
            "Thank you! Your ballot is in."
        )
        assert ballots(page, server) == 1
    finally:
        stop()


# ---------------------------------------------------------------- the height WordPress allows

CONTENT_HEIGHT = "Math.ceil(document.querySelector('[data-embed]').getBoundingClientRect().height)"


def last_height(page: Page) -> int:
    return int(page.evaluate("window.heights[window.heights.length - 1]"))


def test_at_500_px_wide_the_embed_fits_wordpresss_1000_px_before_and_after_a_ballot(open_page, blog, keys):
    page = open_page(viewport={"width": 900, "height": 900})
    page.goto(blog('sandbox="allow-scripts"'))
    frame = embed_frame(page)
    ui = page.frame_locator("#poll")
    expect(ui.locator(".ranker.is-ready")).to_be_visible()
    assert frame.evaluate("document.documentElement.clientWidth") == 500
    # The height message says exactly the content's height, within WordPress's clamp.
    before = frame.evaluate(CONTENT_HEIGHT)
    page.wait_for_function(f"window.heights[window.heights.length - 1] === {before}")
    assert 200 <= before <= 1000
    for key in keys[:3]:
        ui.locator(f'.pool-item[data-key="{key}"] button').click()
    picked = frame.evaluate(CONTENT_HEIGHT)
    page.wait_for_function(f"window.heights[window.heights.length - 1] === {picked}")
    assert picked <= 1000
    ui.get_by_role("button", name="Cast my ballot").click()
    expect(ui.locator("#after-heading")).to_have_text("Thank you! Your ballot is in.")
    expect(ui.locator("#ballot")).to_be_hidden()
    after = frame.evaluate(CONTENT_HEIGHT)
    page.wait_for_function(f"window.heights[window.heights.length - 1] === {after}")
    assert 200 <= after <= 1000
    assert page.evaluate("window.strangers") == []


# ---------------------------------------------------------------- the first view's weight

# The budget for the embed's first view (bench figure 10 measures it).
FIRST_VIEW_REQUESTS = 5
FIRST_VIEW_BYTES = 40 * 1024


def first_view(page: Page, url: str) -> list[Fetched]:
    """Every request the frame in the page at ``url`` makes until the ballot is ready and
    the network is quiet; each must have been answered."""
    fetched = framed_requests(page, lambda: page.goto(url))
    expect(page.frame_locator("#poll").locator(".ranker.is-ready")).to_be_visible()
    assert [each.url for each in fetched if each.status != 200] == []
    return fetched


def test_the_embeds_first_view_in_wordpresss_sandbox_is_five_requests_at_most_all_to_pollapp(
    open_page, server, blog
):
    fetched = first_view(open_page(viewport={"width": 900, "height": 900}), blog(WORDPRESS_SANDBOX))
    assert {each.host for each in fetched} == {urlsplit(server).netloc}
    assert len(fetched) <= FIRST_VIEW_REQUESTS, [each.url for each in fetched]


def test_through_the_shipped_nginx_the_embeds_first_view_is_40_kb_at_most_compressed(
    browser, server, tmp_path
):
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx-light)")
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed, so there is no certificate for nginx")
    with running_nginx([("127.0.0.1", urlsplit(server).port or 80)], tmp_path) as nginx:
        embed = f"https://127.0.0.1:{nginx.port}{EMBED}#?secret={SECRET}"

        @Request.application
        def host(request: Request) -> Response:
            page = HOST_PAGE.format(attributes=WORDPRESS_SANDBOX, src=html.escape(embed), secret=SECRET)
            return Response(page, mimetype="text/html")

        url, stop = serve("127.0.0.2", host)
        # nginx's certificate is its own, made for this test.
        context = browser.new_context(ignore_https_errors=True, viewport={"width": 900, "height": 900})
        try:
            context.set_default_timeout(10_000)
            fetched = first_view(context.new_page(), f"{url}/post")
        finally:
            context.close()
            stop()
    assert {each.host for each in fetched} == {f"127.0.0.1:{nginx.port}"}
    # Every text type the first view is made of comes compressed.
    assert [each.url for each in fetched if each.content_encoding != "gzip"] == []
    weight = sum(each.wire_bytes for each in fetched)
    assert weight <= FIRST_VIEW_BYTES, [(each.url, each.wire_bytes) for each in fetched]


# ---------------------------------------------------------------- cookies in frames

# Chromium's cookie settings, written into a fresh profile before it starts
# (a context option cannot set them): 1 is Debian's default, third-party
# cookies blocked; 0 allows them; a default "cookies" setting of 2 refuses
# every cookie, partitioned or not, which is how a frame that keeps none
# (Safari's, say) looks to the server.
THIRD_PARTY_ALLOWED = {"profile": {"cookie_controls_mode": 0}}
THIRD_PARTY_BLOCKED = {"profile": {"cookie_controls_mode": 1}}
NO_COOKIES = {"profile": {"cookie_controls_mode": 1, "default_content_setting_values": {"cookies": 2}}}


@pytest.fixture
def chromium_with(browser: Browser, tmp_path: Path) -> Iterator[Callable[[dict[str, object]], Page]]:
    """A page in a Chromium started on a fresh profile with these preferences."""
    contexts: list[BrowserContext] = []

    def start(preferences: dict[str, object]) -> Page:
        profile = tmp_path / f"profile-{len(contexts)}"
        (profile / "Default").mkdir(parents=True)
        (profile / "Default" / "Preferences").write_text(json.dumps(preferences))
        context = browser.browser_type.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            viewport={"width": 900, "height": 900},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.pages[0] if context.pages else context.new_page()

    yield start
    for context in contexts:
        context.close()


def sources(page: Page, server: str) -> dict[str, int]:
    return dict(page.context.request.get(f"{server}/api/polls/{POLL}/results").json()["sources"])


def vote_in_frame(page: Page, ranking: list[str], button: str) -> None:
    ui = page.frame_locator("#poll")
    expect(ui.locator(".ranker.is-ready")).to_be_visible()
    for key in ranking:
        ui.locator(f'.pool-item[data-key="{key}"] button').click()
    ui.get_by_role("button", name=button).click()


WORDPRESS_SANDBOX = 'sandbox="allow-scripts"'


class CookieCase(NamedTuple):
    name: str
    preferences: dict[str, object]
    attributes: str


KEPT = [
    CookieCase(
        "WordPress's sandbox, third-party cookies blocked", THIRD_PARTY_BLOCKED, 'sandbox="allow-scripts"'
    ),
    CookieCase(
        "WordPress's sandbox, third-party cookies allowed", THIRD_PARTY_ALLOWED, 'sandbox="allow-scripts"'
    ),
    CookieCase(
        "allow-same-origin and allow-forms, third-party cookies blocked",
        THIRD_PARTY_BLOCKED,
        'sandbox="allow-scripts allow-same-origin allow-forms"',
    ),
]


@pytest.mark.parametrize("case", KEPT, ids=[case.name for case in KEPT])
def test_where_the_frame_keeps_the_partitioned_cookie_a_reload_is_the_same_reader(
    chromium_with, server, blog, keys, case
):
    page = chromium_with(case.preferences)
    page.goto(blog(case.attributes))
    vote_in_frame(page, [keys[2], keys[0]], "Cast my ballot")
    ui = page.frame_locator("#poll")
    expect(ui.locator("#after-heading")).to_have_text("Thank you! Your ballot is in.")
    # Kept for the poll pages only, and apart for each site the frame is shown on (CHIPS).
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "pollapp_embed_reader"]
    # The partition is the blog's site: its scheme and host, whatever the port.
    assert cookie["partitionKey"] == "http://127.0.0.2"  # type: ignore[typeddict-item]
    assert (cookie["secure"], cookie["sameSite"], cookie["path"]) == (True, "None", "/polls/")
    # A new load of the frame brings the cookie back: the same reader, so the ballot is replaced.
    page.reload()
    vote_in_frame(page, [keys[5]], "Cast my ballot")
    expect(ui.locator("#after-heading")).to_have_text("Your new ballot replaced your earlier one.")
    assert ballots(page, server) == 1
    assert counted(page, server)[:1] == [keys[5]]
    assert sources(page, server)["embed_cookie"] == 1


def test_a_frame_that_keeps_no_cookie_still_counts_and_its_reloads_meet_the_address_budget(
    make_app, chromium_with, keys
):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_FIRST_BALLOTS="1 per minute")
    poll_url, stop_poll = serve("127.0.0.1", app)

    @Request.application
    def host(request: Request) -> Response:
        src = html.escape(f"{poll_url}{EMBED}#?secret={SECRET}")
        page = HOST_PAGE.format(attributes='sandbox="allow-scripts"', src=src, secret=SECRET)
        return Response(page, mimetype="text/html")

    blog_url, stop_blog = serve("127.0.0.2", host)
    try:
        page = chromium_with(NO_COOKIES)
        page.goto(f"{blog_url}/post")
        vote_in_frame(page, [keys[1]], "Cast my ballot")
        ui = page.frame_locator("#poll")
        expect(ui.locator("#after-heading")).to_have_text("Thank you! Your ballot is in.")
        assert page.context.cookies() == []
        assert sources(page, poll_url) == {
            "site": 0,
            "embed_cookie": 0,
            "embed_no_cookie": 1,
            "api": 0,
            "imported": 0,
        }
        # Voting again in the same frame replaces (the page's key)...
        ui.get_by_role("button", name="Change my ballot").click()
        ui.get_by_role("button", name="Replace my ballot").click()
        expect(ui.locator("#after-heading")).to_have_text("Your new ballot replaced your earlier one.")
        # ...but a reload is a new reader: past the address's budget, held, and the frame says so.
        page.reload()
        vote_in_frame(page, [keys[3]], "Cast my ballot")
        expect(ui.locator("#after-heading")).to_contain_text("waits for a quick check")
        results = page.context.request.get(f"{poll_url}/api/polls/{POLL}/results").json()
        assert (results["ballots"], results["held_ballots"]) == (1, 1)
    finally:
        stop_blog()
        stop_poll()


# ---------------------------------------------------------------- a refusal keeps the picks


def test_in_wordpresss_sandbox_a_refused_ballot_keeps_its_picks_and_goes_in_later(
    app, open_page, server, blog, keys
):
    set_poll(app, shuffle_entries=False)
    page = open_page(viewport={"width": 600, "height": 900})
    page.goto(blog('sandbox="allow-scripts"'))
    frame = embed_frame(page)
    assert frame.evaluate("self.origin") == "null"
    ui = page.frame_locator("#poll")
    expect(ui.locator(".ranker.is-ready")).to_be_visible()
    chosen = [keys[6], keys[0], keys[3]]
    for key in chosen:
        ui.locator(f'.pool-item[data-key="{key}"] button').click()

    set_poll(app, status="closed")  # closed while the reader was choosing
    ui.get_by_role("button", name="Cast my ballot").click()
    message = ui.locator("#ballot-message")
    expect(message).to_contain_text("This poll is closed and no longer takes ballots.")
    expect(message).to_be_in_viewport()
    ranked = ui.locator(".ranked-item:not([hidden])")
    expect(ranked).to_have_count(3)
    assert ranked.evaluate_all("items => items.map(i => i.dataset.key)") == chosen
    assert ballots(page, server) == 0

    # The poll opens again: the same picks, untouched, are cast as they stand.
    set_poll(app, status="open")
    ui.get_by_role("button", name="Cast my ballot").click()
    expect(ui.locator("#after-heading")).to_have_text("Thank you! Your ballot is in.")
    assert ballots(page, server) == 1
    assert counted(page, server)[:3] == chosen
