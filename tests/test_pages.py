"""The pages readers see and the CSV downloads, including hostile poll text."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from pollapp.ballots.models import Ballot
from pollapp.catalogue.files import parse_poll
from pollapp.catalogue.sync import sync_polls
from pollapp.extensions import db
from pollapp.polls.models import Entry
from pollapp.polls.service import find_poll
from pollapp.results import service as results_service
from pollapp.results.downloads import RESULTS_HEADER
from scipy import stats
from sqlalchemy import select, update

from helpers import POLL, set_poll, vote


class Page(HTMLParser):
    """A page as a reader's browser sees it: elements, attributes, text, table rows and facts."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.rows: dict[str, list[str]] = {}
        self.facts: dict[str, str] = {}
        self._row: str | None = None
        self._cell: list[str] | None = None
        self._term: str | None = None
        self._capture: str | None = None
        self._buffer: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "tr" and attributes.get("data-key"):
            self._row = attributes["data-key"]
            self.rows[self._row] = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag in ("dt", "dd"):
            self._capture, self._buffer = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self.rows[self._row].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "dt" and self._capture == "dt":
            self._term = " ".join("".join(self._buffer).split())
            self._capture = None
        elif tag == "dd" and self._capture == "dd" and self._term is not None:
            self.facts[self._term] = " ".join("".join(self._buffer).split())
            self._capture = self._term = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._capture is not None:
            self._buffer.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def cast_scenario(app, keys: list[str]) -> None:
    """Three readers. Averaged Borda, n = 9:

    [k9, k1]      k9 8, k1 7,        the other seven (9-2-1)/2 = 3
    [k9]          k9 8,              the other eight (9-1-1)/2 = 3.5
    [k2, k9, k1]  k2 8, k9 7, k1 6,  the other six   (9-3-1)/2 = 2.5

    Totals: k9 23, k1 16.5, k2 14.5, k3..k8 9 each.
    """
    for ranking in ([keys[8], keys[0]], [keys[8]], [keys[1], keys[8], keys[0]]):
        assert vote(app.test_client(), ranking).status_code == 201


def entries_by_key(client, slug: str = POLL) -> dict[str, dict]:
    return {e["key"]: e for e in client.get(f"/api/polls/{slug}").get_json()["entries"]}


# ---------------------------------------------------------------- the poll page


@pytest.mark.parametrize("path", ["/", f"/polls/{POLL}"])
def test_the_poll_page_shows_the_editors_nine_in_order_beside_the_ballot(client, keys, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    entries = client.get(f"/api/polls/{POLL}").get_json()["entries"]
    assert "The most romantic K-drama kisses of 2014" in html
    blurb_positions = [html.find(str(escape(entry["blurb"]))) for entry in entries]
    assert -1 not in blurb_positions
    assert blurb_positions == sorted(blurb_positions)
    for entry in entries:
        assert str(escape(entry["credit"])) in html
        assert str(escape(entry["subtitle"])) in html
    page = Page(html)
    forms = [attrs for tag, attrs in page.elements if tag == "form" and attrs.get("method") == "post"]
    assert forms and forms[0]["action"] == f"/polls/{POLL}#ballot-message"
    selects = [attrs["name"] for tag, attrs in page.elements if tag == "select"]
    assert [f"rank_{p}" for p in range(1, 10)] == [name for name in selects if name.startswith("rank_")]


def add_poll(app, slug: str, status: str) -> None:
    """Another poll of two entries, newer than those already loaded."""
    data = {
        "slug": slug,
        "title": f"The {slug} poll",
        "intro": "Two scenes.",
        "status": status,
        "entries": [
            dict(key=f"{slug}-{n}", title=f"Drama {n}", subtitle=f"Scene {n}", credit="Two", blurb="Why.")
            for n in (1, 2)
        ],
    }
    with app.app_context():
        sync_polls([parse_poll(data, f"{slug}.toml")])
        db.session.remove()


def home_page_title(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    headings = re.findall(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)
    assert len(headings) == 1, headings
    return unescape(headings[0]).strip()


def test_the_home_page_prefers_an_open_poll(app, client, keys):
    html = client.get("/").get_data(as_text=True)
    assert f'action="/polls/{POLL}#ballot-message"' in html
    shipped = "The most romantic K-drama kisses of 2014"
    assert home_page_title(client) == shipped
    add_poll(app, "second", "open")
    assert home_page_title(client) == "The second poll", "the newest open poll"
    add_poll(app, "third", "closed")
    assert home_page_title(client) == "The second poll", "an open poll before a newer closed one"
    assert 'action="/polls/second#ballot-message"' in client.get("/").get_data(as_text=True)
    set_poll(app, "second", status="closed")
    assert home_page_title(client) == shipped, "the only open poll, however old"
    set_poll(app, POLL, status="closed")
    assert home_page_title(client) == "Every poll", "every poll closed: the index"


# ---------------------------------------------------------------- the results page


def holds_rank(cell: str, rank: str) -> bool:
    """A readers' rank cell: the rank, or the span of a too-close-to-call group holding it."""
    span = re.fullmatch(r"(\d+)–(\d+)too close to call", cell)
    return cell == rank or (span is not None and int(span[1]) <= int(rank) <= int(span[2]))


def test_the_results_page_compares_the_two_rankings(app, client, keys):
    cast_scenario(app, keys)
    set_poll(app, min_ballots=3)
    response = client.get(f"/polls/{POLL}/results")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    entries = entries_by_key(client)
    expected = {
        # key: community rank, editor rank, move, points, first places
        keys[8]: ("1", "9", "up 8", "23", "2"),
        keys[0]: ("2", "1", "down 1", "16.5", "0"),
        keys[1]: ("3", "2", "down 1", "14.5", "1"),
        keys[2]: ("4", "3", "down 1", "9", "0"),
        keys[3]: ("4", "4", "same", "9", "0"),
        keys[4]: ("4", "5", "up 1", "9", "0"),
        keys[5]: ("4", "6", "up 2", "9", "0"),
        keys[6]: ("4", "7", "up 3", "9", "0"),
        keys[7]: ("4", "8", "up 4", "9", "0"),
    }
    assert list(page.rows) == [keys[8], keys[0], keys[1], *keys[2:8]]
    for key, (community, editor, move, points, firsts) in expected.items():
        cells = page.rows[key]
        assert holds_rank(cells[0], community), cells
        assert cells[1] == editor, cells
        assert cells[2].endswith(move), cells
        assert f"{entries[key]['title']}: {entries[key]['subtitle']}" in cells[3]
        assert cells[4] == points, cells
        assert cells[6] == firsts, cells

    text = " ".join(page.all_text.split())
    assert "3 ballots" in text
    assert "averaged rule" in text
    assert "(n − k − 1) / 2" in text  # the rule, spelled out

    editor = [int(expected[key][1]) for key in page.rows]
    community = [int(expected[key][0]) for key in page.rows]
    tau = stats.kendalltau(editor, community).statistic
    rho = stats.spearmanr(editor, community).statistic
    assert page.facts["Kendall's tau-b"] == f"{tau:.3f}".replace("-", "−")
    assert page.facts["Spearman's rho"] == f"{rho:.3f}".replace("-", "−")


def test_the_results_page_before_any_ballot(client):
    response = client.get(f"/polls/{POLL}/results")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    text = " ".join(page.all_text.split())
    assert "0 ballots" in text and "No ballots yet." in text
    # No ranks, no figures, no charts: an invitation to the ballot.
    assert page.rows == {} and page.facts == {}
    assert ("a", {"class": "button-primary", "href": f"/polls/{POLL}#ballot"}) in page.elements
    assert not [tag for tag, _ in page.elements if tag == "svg"]


def test_hidden_results_are_403_pages_and_downloads(app, client, runner, keys):
    set_poll(app, results_visibility="after_close")
    vote(client, [keys[0]])
    for path in ("results", "results.csv", "ballots.csv"):
        response = client.get(f"/polls/{POLL}/{path}")
        assert response.status_code == 403, path
        assert response.mimetype == "text/html"
        assert "not" in response.get_data(as_text=True).lower()
    assert "when the poll closes" in client.get(f"/polls/{POLL}/results").get_data(as_text=True)
    runner.invoke(args=["poll", "close", POLL])
    for path in ("results", "results.csv", "ballots.csv"):
        assert client.get(f"/polls/{POLL}/{path}").status_code == 200, path


# ---------------------------------------------------------------- not found


@pytest.mark.parametrize(
    "path",
    [
        "/polls/no-such-poll",
        "/polls/no-such-poll/results",
        "/polls/no-such-poll/results.csv",
        "/polls/no-such-poll/ballots.csv",
        "/polls/a%00b",
    ],
)
def test_an_unknown_poll_is_a_404_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    text = " ".join(Page(response.get_data(as_text=True)).all_text.split())
    assert "There is no poll called" in text
    assert "Back to the poll" in text
    # There is no such poll to go back to: the link leads home.
    assert back_link(response.get_data(as_text=True)) == "/"


def back_link(page: str) -> str:
    """Where an error page's "Back to the poll" link leads."""
    match = re.search(r'<a href="([^"]*)">Back to the poll</a>', page)
    assert match, "the error page has no way back"
    return unescape(match.group(1))


def test_an_error_page_of_a_poll_leads_back_to_that_poll(app, client):
    response = client.post(f"/polls/{POLL}/suggestions/missing", data={"title": "x" * 70_000})

    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "too large" in page
    assert back_link(page) == f"/polls/{POLL}"


def test_an_unknown_page_is_a_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "There is nothing here" in response.get_data(as_text=True)


# ---------------------------------------------------------------- CSV downloads


def assert_csv_download(response, filename: str) -> str:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.mimetype_params.get("charset") == "utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark, for spreadsheet programs"
    body = body[3:]
    body.decode("utf-8")
    lines = body.split(b"\r\n")
    assert lines[-1] == b"", "the last record ends with CRLF"
    assert all(b"\n" not in line and b"\r" not in line for line in lines), "every line ends with CRLF"
    return body.decode("utf-8")


def test_the_results_csv(app, client, keys):
    cast_scenario(app, keys)
    text = assert_csv_download(client.get(f"/polls/{POLL}/results.csv"), f"{POLL}-results.csv")
    entries = entries_by_key(client)
    lines = text.split("\r\n")
    assert lines[0] == "community_rank,editor_rank,key,title,subtitle,points,first_place_votes"

    def line(key: str, community: int, points: str, firsts: int) -> str:
        entry = entries[key]
        drama = f'"{entry["title"]}"' if "," in entry["title"] else entry["title"]
        return f"{community},{entry['editor_rank']},{key},{drama},{entry['subtitle']},{points},{firsts}"

    assert lines[1:4] == [
        line(keys[8], 1, "23", 2),
        line(keys[0], 2, "16.5", 0),
        line(keys[1], 3, "14.5", 1),
    ]
    assert lines[4:10] == [line(key, 4, "9", 0) for key in keys[2:8]]
    assert lines[10:] == [""]
    # Read back as a spreadsheet would, the quoted drama is one cell.
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert {row["title"] for row in rows} >= {"It's Okay, That's Love"}


def test_the_ballots_csv(app, client, keys):
    cast_scenario(app, keys)
    text = assert_csv_download(client.get(f"/polls/{POLL}/ballots.csv"), f"{POLL}-ballots.csv")
    assert text.split("\r\n") == [
        "ballot," + ",".join(f"rank_{p}" for p in range(1, 10)) + ",source",
        f"1,{keys[8]},{keys[0]}" + "," * 8 + "api",
        f"2,{keys[8]}" + "," * 9 + "api",
        f"3,{keys[1]},{keys[8]},{keys[0]}" + "," * 7 + "api",
        "",
    ]


def test_the_ballots_csv_holds_no_reader_identity(app, client, keys):
    vote(client, [keys[0]])
    with app.app_context():
        reader = db.session.execute(select(Ballot.reader)).scalar_one()
    text = client.get(f"/polls/{POLL}/ballots.csv").get_data(as_text=True)
    assert reader and reader not in text
    assert client.get_cookie(app.config["READER_COOKIE"]).value not in text


def test_an_empty_poll_downloads_just_the_headers(client):
    assert client.get(f"/polls/{POLL}/ballots.csv").get_data(as_text=True) == (
        "\ufeffballot," + ",".join(f"rank_{p}" for p in range(1, 10)) + ",source\r\n"
    )
    results = client.get(f"/polls/{POLL}/results.csv").get_data(as_text=True).split("\r\n")
    assert results[0] == "\ufeff" + ",".join(RESULTS_HEADER)
    assert len(results) == 11


# ---------------------------------------------------------------- hostile poll text


HOSTILE = "hostile-poll"
TITLE = "<script>alert('title')</script> \"Quoted\" & 'single'"
INTRO = '</p><img src=x onerror=alert(1)> " onmouseover="alert(2)'
HOSTILE_ENTRIES = [
    # key, drama, scene, couple, blurb
    (
        "formula",
        '=HYPERLINK("http://evil.example","x")',
        "<b>bold</b> scene",
        '"><script>alert(3)</script>',
        "<iframe src=javascript:alert(4)></iframe>",
    ),
    ("plus", "+SUM(1,1)", "-2+3", "<svg onload=alert(5)>", "'\"><body onload=alert(6)>"),
    ("at", "@cmd|' /C calc'!A0", "plain scene", "Plain & couple", "</textarea><script>alert(7)</script>"),
    ("plain", "Plain drama", "Plain, quiet scene", "Nobody", "Nothing odd."),
]
FIELDS = ("key", "title", "subtitle", "credit", "blurb")
TAB_DRAMA, CR_SCENE = "\tTabbed drama", "\rReturned scene"


@pytest.fixture
def hostile(app, keys):
    """A poll whose every text field tries to break out of its place."""
    data = {
        "slug": HOSTILE,
        "title": TITLE,
        "intro": INTRO,
        "borda_rule": "averaged",
        "entries": [
            dict(zip(("key", "title", "subtitle", "credit", "blurb"), e, strict=True))
            for e in HOSTILE_ENTRIES
        ],
    }
    with app.app_context():
        sync_polls([parse_poll(data, "hostile.toml")])
        # Poll files strip leading whitespace, so tab and CR are put in place directly.
        poll_id = find_poll(HOSTILE).id
        db.session.execute(
            update(Entry)
            .where(Entry.poll_id == poll_id, Entry.key == "plain")
            .values(title=TAB_DRAMA, subtitle=CR_SCENE)
        )
        db.session.commit()
    client = app.test_client()
    assert vote(client, ["plus", "formula", "at"], slug=HOSTILE).status_code == 201
    return client


def assert_inert(html: str) -> Page:
    """No element or attribute in the page came from the poll text."""
    page = Page(html)
    for tag, attrs in page.elements:
        assert tag not in ("iframe", "img", "b", "body") or tag == "body" and not attrs, (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "script":
            assert attrs.get("src"), "an inline script"
        if tag == "svg":
            assert "onload" not in attrs
    return page


@pytest.mark.parametrize("path", [f"/polls/{HOSTILE}", f"/polls/{HOSTILE}/results"])
def test_hostile_poll_text_is_escaped_in_html(hostile, path):
    response = hostile.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = assert_inert(html)
    text = page.all_text
    # Every hostile string is shown to the reader as the text it is.
    assert TITLE in text
    for _key, drama, scene, couple, blurb in HOSTILE_ENTRIES[:3]:
        assert drama in text
        assert scene in text
        assert couple in text or path.endswith("results")
        assert blurb in text or path.endswith("results")
    descriptions = [attrs.get("content") for tag, attrs in page.elements if tag == "meta"]
    if path == f"/polls/{HOSTILE}":
        assert INTRO in text
        assert INTRO in descriptions


def test_the_error_page_escapes_the_address(client):
    response = client.get("/polls/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%22")
    assert response.status_code == 404
    page = assert_inert(response.get_data(as_text=True))
    assert '<img src=x onerror=alert(1)>"' in page.all_text


def test_hostile_poll_text_cannot_run_as_a_spreadsheet_formula(hostile):
    text = hostile.get(f"/polls/{HOSTILE}/results.csv").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    cells = {row["key"]: (row["title"], row["subtitle"]) for row in rows}
    assert cells["formula"] == ("'" + HOSTILE_ENTRIES[0][1], HOSTILE_ENTRIES[0][2])
    assert cells["plus"] == ("'+SUM(1,1)", "'-2+3")
    assert cells["at"] == ("'" + HOSTILE_ENTRIES[2][1], "plain scene")
    assert cells["plain"] == ("'" + TAB_DRAMA, "'" + CR_SCENE)
    # Numbers are left as numbers.
    assert [row["community_rank"] for row in rows][0] == "1"
    assert all(not row["points"].startswith("'") for row in rows)
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_hostile_poll_text_in_json_is_just_data(hostile):
    poll = hostile.get(f"/api/polls/{HOSTILE}")
    assert poll.mimetype == "application/json"
    assert poll.headers["X-Content-Type-Options"] == "nosniff"
    assert poll.get_json()["title"] == TITLE


def test_an_unexpected_error_is_a_plain_500_page(app, client, monkeypatch):
    def broken(poll):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(results_service, "results_of", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get(f"/polls/{POLL}/results")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Nothing was saved" in html
    assert "secret internal detail" not in html
    assert "Traceback" not in html
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_generic_poll_speaks_of_its_own_entries_and_links_out_safely(app, client):
    data = {
        "slug": "best-ramen",
        "title": "The best ramen in town",
        "intro": "Five bowls.",
        "entry_noun": "bowl",
        "entry_noun_plural": "bowls",
        "entries": [
            {"key": "shoyu", "title": "Shoyu at Kenji's", "link": "https://example.com/kenji?a=1&b=2"},
            {"key": "miso", "title": "Miso Corner", "subtitle": "The spicy one", "credit": "Chef Lee"},
        ],
    }
    with app.app_context():
        sync_polls([parse_poll(data, "best-ramen.toml")])
        db.session.remove()
    page = client.get("/polls/best-ramen").get_data(as_text=True)
    assert "Rank as many bowls as you like" in page
    assert "scene" not in page.replace("scene-name", "")
    assert '<a href="https://example.com/kenji?a=1&amp;b=2" rel="nofollow noopener noreferrer">' in page
    assert "Shoyu at Kenji's:" not in page.replace("&#39;", "'")  # no subtitle, no colon after the title
    assert "Miso Corner: The spicy one" in page and "Chef Lee" in page
    first = client.get("/api/polls/best-ramen").get_json()["entries"][0]["key"]
    assert vote(app.test_client(), [first], slug="best-ramen").status_code == 201
    results = client.get("/polls/best-ramen/results").get_data(as_text=True)
    assert '<th scope="col" role="columnheader">Bowl</th>' in results
    entries = client.get("/api/polls/best-ramen").get_json()["entries"]
    assert [(e["title"], e["subtitle"], e["credit"], e["link"]) for e in entries] == [
        ("Shoyu at Kenji's", "", "", "https://example.com/kenji?a=1&b=2"),
        ("Miso Corner", "The spicy one", "Chef Lee", None),
    ]
