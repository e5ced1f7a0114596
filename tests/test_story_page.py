"""The results page as a story: what it leads with, what it names and when, the
counts before a ranking, "you against them", and the counts behind it all,
each recounted from the ballots file or the API independently."""

from __future__ import annotations

import re
from html import unescape

from scipy import stats

import oracle
from helpers import POLL, set_poll, vote, vote_many

PAGE = f"/polls/{POLL}/results"


def text_of(html: str) -> str:
    """The page's words, as a reader reads them."""
    html = re.sub(r"<(script|svg|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def part(html: str, css_class: str) -> str:
    found = re.search(rf'<(\w+) class="{css_class}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, f"no .{css_class} on the page"
    return text_of(found.group(2))


def table_rows(html: str) -> dict[str, list[str]]:
    """The results table's rows by entry key, each cell's text."""
    table = re.search(r'<table class="results-table".*?</table>', html, re.S)
    assert table, "no results table"
    rows = {}
    for key, body in re.findall(r'<tr[^>]*data-key="([^"]+)"[^>]*>(.*?)</tr>', table.group(0), re.S):
        rows[key] = [text_of(cell) for cell in re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", body, re.S)]
    return rows


def labels(client) -> dict[str, str]:
    return {
        e["key"]: f"{e['title']}: {e['subtitle']}"
        for e in client.get(f"/api/polls/{POLL}").get_json()["entries"]
    }


def recounted(client, keys):
    """The ballots file read by the oracle, and its recount under the poll's rule."""
    ballots = oracle.read_ballots(client.get(f"/polls/{POLL}/ballots.csv").get_data(as_text=True), keys)
    return ballots, oracle.recount(ballots, keys, "averaged")


def english_list(names: list[str]) -> str:
    return (
        names[0]
        if len(names) == 1
        else " and ".join(names)
        if len(names) == 2
        else ", ".join(names[:-1]) + ", and " + names[-1]
    )


def test_with_no_ballots_the_page_only_invites_a_first_one(client):
    html = client.get(PAGE).get_data(as_text=True)
    assert "No ballots yet." in part(html, "story")
    assert f'href="/polls/{POLL}#ballot"' in html
    for absent in (
        'class="results-table"',
        "<svg",
        'class="history"',
        'class="how-sure"',
        'class="counted"',
        "Download the data",
    ):
        assert absent not in html, absent


def test_below_the_minimum_the_page_shows_counts_in_the_editors_order_and_no_ranking(app, client, keys):
    vote_many(app, [[keys[4], keys[0], keys[1], keys[2]]] * 3 + [[keys[8]]] * 4 + [[keys[1], keys[4]]] * 3)
    html = client.get(PAGE).get_data(as_text=True)
    assert part(html, "lead") == "Too early to call: 10 ballots so far, and the ranking starts at 30."
    rows = table_rows(html)
    assert list(rows) == keys  # the editors' order, not the readers'
    ballots, _ = recounted(client, keys)
    for key in keys:
        rank, _name, top_three, firsts = rows[key]
        assert rank == str(keys.index(key) + 1)
        assert top_three == str(sum(1 for b in ballots if key in b[:3]))
        assert firsts == str(sum(1 for b in ballots if b[0] == key))
    assert "Readers" not in re.search(r"<thead.*?</thead>", html, re.S).group(0)
    for absent in ("<svg", 'class="how-sure"', 'class="counted"', "Where the readers part"):
        assert absent not in html, absent


def test_each_poll_sets_its_own_minimum(app, client, keys):
    vote_many(app, [[keys[4], keys[0]]] * 6)
    set_poll(app, min_ballots=5)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Too early" not in html and 'class="counted"' in html
    assert client.get(f"/api/polls/{POLL}/results").get_json()["min_ballots"] == 5


def test_a_clear_poll_names_its_favourite_and_its_supported_moves_and_shares_of_top_threes(app, client, keys):
    # Readers reverse the editors' order on most ballots: every rank is clear.
    reverse = list(reversed(keys))
    vote_many(app, [reverse] * 36 + [keys[:3]] * 4)
    html = client.get(PAGE).get_data(as_text=True)
    results = client.get(f"/api/polls/{POLL}/results").get_json()
    names = labels(client)
    ballots, expected = recounted(client, keys)
    leader = expected.rows[0]
    assert leader.key == keys[8] and results["entries"][0]["key"] == leader.key
    share = results["entries"][0]["first_share"]
    assert part(html, "lead") == (
        f"The readers put {names[leader.key]} first, where the editors ranked it 9: "
        f"#1 in {round(share * 100)}% of resamples."
    )
    # The supported moves, from the recount's ranks and the API's ranges.
    ranges = {e["key"]: e["rank_range"] for e in results["entries"]}
    rises = {r.key: r.move for r in expected.rows if r.editor_rank > ranges[r.key][1]}
    falls = {r.key: -r.move for r in expected.rows if r.editor_rank < ranges[r.key][0]}
    rise, fall = max(rises.values()), max(falls.values())
    risers = [names[k] for k, m in rises.items() if m == rise]
    fallers = [names[k] for k, m in falls.items() if m == fall]
    assert part(html, "disagree") == (
        "Where the readers part most from the editors: "
        f"{english_list(risers)} rises {rise} places. {english_list(fallers)} falls {fall} places."
    )
    rows = table_rows(html)
    for row in expected.rows:
        cells = rows[row.key]
        top = sum(1 for b in ballots if row.key in b[:3])
        assert cells[0] == str(row.community_rank)
        assert cells[5] == f"{round(100 * top / len(ballots))}% ({top})", cells
        assert next(e for e in results["entries"] if e["key"] == row.key)["top_three_ballots"] == top
    assert part(html, "sureness") == "Every place is clear: no two neighbours share a rank in the resamples."


def test_ties_are_named_in_full(app, client, keys):
    # Every ballot the same: readers put the third and fourth first, the first and second fall 2 together.
    order = [keys[2], keys[3], keys[0], keys[1], *keys[4:]]
    vote_many(app, [order] * 30)
    html = client.get(PAGE).get_data(as_text=True)
    names = labels(client)
    assert part(html, "disagree") == (
        "Where the readers part most from the editors: "
        f"{names[keys[2]]} and {names[keys[3]]} both rise 2 places. "
        f"{names[keys[0]]} and {names[keys[1]]} both fall 2 places."
    )
    korean = client.get(PAGE + "?lang=ko").get_data(as_text=True)
    assert " 및 " in part(korean, "disagree") and "둘 다 2계단 내려갔습니다." in part(korean, "disagree")


def test_no_favourite_and_no_move_is_named_when_the_top_is_too_close_to_call(app, client, keys):
    vote_many(app, [[keys[0], keys[1]], [keys[1], keys[0]]] * 20)
    html = client.get(PAGE).get_data(as_text=True)
    results = client.get(f"/api/polls/{POLL}/results").get_json()
    names = labels(client)
    top = next(group for group in results["too_close_to_call"] if keys[0] in group)
    assert part(html, "lead") == f"Too close to call at the top: {english_list([names[k] for k in top])}."
    # The two at the top swap within their ranges: neither move is named.
    assert names[keys[0]] not in part(html, "disagree") and names[keys[1]] not in part(html, "disagree")
    rows = table_rows(html)
    span = f"{min(results['entries'][i]['community_rank'] for i in range(len(top)))}–"
    assert all(rows[key][0].startswith(span) and "too close to call" in rows[key][0] for key in top)


def test_a_reader_who_voted_sees_how_close_they_are_to_readers_and_editors(app, client, keys):
    vote_many(app, [list(reversed(keys))] * 35)
    mine = [keys[8], keys[6], keys[7], keys[0]]
    assert vote(client, mine).status_code == 201
    html = client.get(PAGE).get_data(as_text=True)
    results = client.get(f"/api/polls/{POLL}/results").get_json()
    community = {e["key"]: e["community_rank"] for e in results["entries"]}
    # The ballot as scipy sees it: its positions, the unranked tied below them.
    positions = [mine.index(k) + 1 if k in mine else len(mine) + 1 for k in keys]
    with_readers = stats.kendalltau(positions, [community[k] for k in keys]).statistic
    with_editors = stats.kendalltau(positions, list(range(1, 10))).statistic
    assert with_readers > with_editors
    section = part(html, "my-ballot")
    assert "You agree with the readers more than with the editors." in section
    names = labels(client)
    higher = [names[k] for p, k in enumerate(mine, start=1) if community[k] < p]
    lower = [names[k] for p, k in enumerate(mine, start=1) if community[k] > p]
    assert f"The readers rank higher than you did: {english_list(higher)}." in section
    assert f"The readers rank lower than you did: {english_list(lower)}." in section
    counted = part(html, "counted")
    assert f"Your ballot and the readers' (Kendall's tau-b) {with_readers:.3f}" in counted
    assert f"Your ballot and the editors' (Kendall's tau-b) {with_editors:.3f}".replace(" -", " −") in counted


def test_counted_differently_shows_each_rules_order_and_the_head_to_head_one(app, client, keys):
    vote_many(app, [[keys[1]], [keys[2], keys[0], keys[3]], [keys[0], keys[4]]] * 12)
    html = client.get(PAGE).get_data(as_text=True)
    ballots, _ = recounted(client, keys)
    names = labels(client)
    table = re.search(r'<table class="counted-table">.*?</table>', html, re.S).group(0)
    rows = [
        [text_of(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr><th scope=\"row\">.*?</tr>", table, re.S)
    ]
    columns = list(zip(*rows, strict=True))
    for column, rule in zip(columns, ("averaged", "truncated", "modified"), strict=False):
        points = oracle.borda(ballots, keys, rule)
        expected = sorted(keys, key=lambda k: (-points[k], keys.index(k)))
        assert list(column) == [names[k] for k in expected], rule
    table_h2h = oracle.pairwise(ballots, keys)
    wins = {
        x: sum(
            2 if table_h2h[x][y] > table_h2h[y][x] else table_h2h[x][y] == table_h2h[y][x]
            for y in keys
            if y != x
        )
        for x in keys
    }
    copeland = sorted(keys, key=lambda k: (-wins[k], keys.index(k)))
    assert list(columns[3]) == [names[k] for k in copeland]
    same = len({tuple(c) for c in columns[:3]}) == 1
    assert ("the choice of rule does not matter" in part(html, "counted")) == same


def test_no_move_is_named_when_none_is_clear_of_chance(app, client, keys):
    # Half the readers keep the editors' order, half swap the first two: nothing moves clearly.
    vote_many(app, [keys, [keys[1], keys[0], *keys[2:]]] * 15)
    html = client.get(PAGE).get_data(as_text=True)
    assert part(html, "disagree") == "No move away from the editors' order is bigger than chance could make."
