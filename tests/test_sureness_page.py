"""The results page's "How sure we are" section and head-to-head table."""

from __future__ import annotations

import re
from html import unescape

from helpers import POLL, vote_many

PAGE = f"/polls/{POLL}/results"


def section(html: str) -> str:
    found = re.search(r'<section class="how-sure".*?</section>', html, re.S)
    assert found, "no How sure section"
    return unescape(re.sub(r"\s+", " ", found.group(0)))


def test_thirty_ballots_show_ranges_first_shares_and_the_head_to_head(app, client, keys):
    vote_many(app, [[keys[3], keys[1]]] * 31)
    text = section(client.get(PAGE).get_data(as_text=True))
    results = client.get(f"/api/polls/{POLL}/results").get_json()
    top = results["entries"][0]
    assert top["key"] == keys[3] and top["first_share"] == 1.0
    assert "#1 in 100% of resamples" in text
    assert "too early" not in text
    assert "beats every other entry head to head" in text
    # The first row of the table: the leader over each other entry, 31 ballots each.
    row = re.search(r'<tr><th scope="row">[^<]*</th>(.*?)</tr>', text).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["—"] + ["31"] * 8


def test_below_thirty_ballots_there_is_no_section(app, client, keys):
    vote_many(app, [[keys[0]], [keys[1]]] * 5)
    html = client.get(PAGE).get_data(as_text=True)
    assert 'class="how-sure"' not in html and "of resamples" not in html


def test_too_close_to_call_names_the_entries(app, client, keys):
    vote_many(app, [[keys[0], keys[1]], [keys[1], keys[0]]] * 20)
    html = client.get(PAGE).get_data(as_text=True)
    results = client.get(f"/api/polls/{POLL}/results").get_json()
    assert results["too_close_to_call"], results["entries"]
    text = section(html)
    names = re.search(r"Too close to call: ([^<]*)\.", text).group(1)
    assert keys[0] in results["too_close_to_call"][0] and keys[1] in results["too_close_to_call"][0]
    labels = {e["key"]: f"{e['title']}: {e['subtitle']}" for e in results["entries"]}
    group = [labels[key] for key in results["too_close_to_call"][0]]
    # Named in full, as one list: "A and B", "A, B, and C".
    assert names == (" and ".join(group) if len(group) == 2 else ", ".join(group[:-1]) + ", and " + group[-1])


def test_no_section_before_the_first_ballot(client):
    assert 'class="how-sure"' not in client.get(PAGE).get_data(as_text=True)


def test_the_section_speaks_korean(app, client, keys):
    vote_many(app, [[keys[2]]] * 30)
    text = section(client.get(PAGE + "?lang=ko").get_data(as_text=True))
    assert "얼마나 확실한가" in text and "일대일 비교" in text
    assert "재표본의 100%에서 1위" in text
