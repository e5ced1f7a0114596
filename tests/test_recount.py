"""End to end: every number the app publishes equals an independent recount of its ballots CSV."""

from __future__ import annotations

import csv
import html
import io
import random
import re
from fractions import Fraction
from typing import NamedTuple

import pytest
from pollapp.results.downloads import RESULTS_HEADER

import oracle
from helpers import POLL, WAYS, cast_by, debian_ballots, in_the_embed, set_poll, vote

RULES = ["averaged", "truncated", "modified"]


def random_ranking(rng, keys):
    """A ballot of random length, leaning towards a few favourites so that ranks spread out."""
    weights = [1 + 3 * (i % 3 == 0) + 2 * (i == len(keys) - 1) for i in range(len(keys))]
    pool, ranking = list(keys), []
    for _ in range(min(len(keys), rng.choice([1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9]))):
        pick = rng.choices(range(len(pool)), weights=[weights[keys.index(k)] for k in pool])[0]
        ranking.append(pool.pop(pick))
    return ranking


def cast_ballots(app, keys, rng, readers, revotes):
    """Cast ballots from distinct readers, then let some vote again; return the ballots that count,
    in the order the readers first voted."""
    clients, counted = [], []
    for _ in range(readers):
        reader = app.test_client()
        ranking = random_ranking(rng, keys)
        response = vote(reader, ranking)
        assert response.status_code == 201, response.get_json()
        assert response.get_json() == {"ranking": ranking, "replaced": False, "held": False}
        clients.append(reader)
        counted.append(ranking)
    for _ in range(revotes):
        i = rng.randrange(readers)
        ranking = random_ranking(rng, keys)
        response = vote(clients[i], ranking)
        assert response.status_code == 200, response.get_json()
        assert response.get_json() == {"ranking": ranking, "replaced": True, "held": False}
        counted[i] = ranking
    return counted


def entry_text(client):
    entries = client.get(f"/api/polls/{POLL}").get_json()["entries"]
    return {e["key"]: e for e in entries}


def results_csv_rows(client):
    response = client.get(f"/polls/{POLL}/results.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))
    assert rows[0][: len(RESULTS_HEADER)] == RESULTS_HEADER
    return rows[1:]


def stated_sources(sentence: str) -> dict[str, int]:
    """The ballots per source that the results page's sentence states, every source named:
    "6 ballots: 2 on this site, 4 in embedded polls, 2 of them without a cookie."."""
    counts = dict.fromkeys(oracle.SOURCES, 0)
    if not sentence:
        return counts
    if sentence == "The one ballot was cast on this site.":
        return {**counts, "site": 1}
    if every := re.fullmatch(r"All (\d+) ballots were cast on this site\.", sentence):
        return {**counts, "site": int(every[1])}
    whole = re.fullmatch(r"(\d+) ballots?: (.*)\.", sentence)
    assert whole, sentence
    embedded = without = 0
    for part in whole[2].split(", "):
        number = re.match(r"\d+", part)
        if part in ("without a cookie", "all of them without a cookie"):
            without = embedded
        elif number is None:
            raise AssertionError(f"{part!r} in {sentence!r}")
        elif part.endswith(" on this site"):
            counts["site"] = int(number[0])
        elif part.endswith((" in an embedded poll", " in embedded polls")):
            embedded = int(number[0])
        elif part.endswith(" of them without a cookie"):
            without = int(number[0])
        elif part.endswith(" sent through the API"):
            counts["api"] = int(number[0])
        elif part.endswith(" imported from a file"):
            counts["imported"] = int(number[0])
        else:
            raise AssertionError(f"{part!r} in {sentence!r}")
    counts["embed_cookie"], counts["embed_no_cookie"] = embedded - without, without
    assert sum(counts.values()) == int(whole[1]), sentence
    return counts


def page_numbers(client):
    """The numbers on the HTML results page: the table, the summary, the agreement facts,
    and the ballots from each source."""
    page = client.get(f"/polls/{POLL}/results").get_data(as_text=True)
    rows = []
    table = re.search(r'<table class="results-table".*?</table>', page, re.S)
    for key, body in re.findall(
        r'<tr[^>]*data-key="([^"]+)"[^>]*>(.*?)</tr>', table.group(0) if table else "", re.S
    ):
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
        ]
        rows.append((key, *cells))
    summary = re.search(r"<strong>(\d+)</strong> ballots?\s*· Borda count, <strong>(\w+)</strong> rule", page)
    assert summary, "the page shows no ballot count and rule"
    facts = dict(
        (html.unescape(dt), html.unescape(re.sub(r"<[^>]+>", "", dd)).strip())
        for dt, dd in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", page, re.S)
    )
    sentence = re.search(r'<p class="sources-note">([^<]*)</p>', page)
    sources = stated_sources(html.unescape(sentence[1]) if sentence else "")
    return rows, int(summary.group(1)), summary.group(2), facts, sources


def shown_correlation(text):
    return None if text == "undefined" else float(text.replace("−", "-"))


def move_text(move):
    return f"▲ up {move}" if move > 0 else (f"▼ down {-move}" if move < 0 else "= same")


def assert_close(actual, expected, tolerance=1e-12):
    if expected is None:
        assert actual is None
    else:
        assert actual is not None and abs(actual - expected) <= tolerance, (actual, expected)


def assert_app_matches_recount(client, expected, keys):
    """Compare the results CSV, the JSON results and the HTML page with the recount."""
    text = entry_text(client)

    csv_rows = results_csv_rows(client)
    assert [(int(r[0]), int(r[1]), r[2], r[3], r[4], Fraction(r[5]), int(r[6])) for r in csv_rows] == [
        (
            row.community_rank,
            row.editor_rank,
            row.key,
            text[row.key]["title"],
            text[row.key]["subtitle"],
            row.points,
            row.first_place_votes,
        )
        for row in expected.rows
    ]

    document = client.get(f"/api/polls/{POLL}/results").get_json()
    assert document["slug"] == POLL
    assert document["ballots"] == expected.ballots
    assert document["borda_rule"] == expected.rule
    assert [
        (
            e["key"],
            e["editor_rank"],
            e["community_rank"],
            Fraction(e["points"]),
            e["first_place_votes"],
            e["title"],
            e["subtitle"],
        )
        for e in document["entries"]
    ] == [
        (
            row.key,
            row.editor_rank,
            row.community_rank,
            row.points,
            row.first_place_votes,
            text[row.key]["title"],
            text[row.key]["subtitle"],
        )
        for row in expected.rows
    ]
    assert_close(document["agreement"]["kendall_tau"], expected.kendall_tau)
    assert_close(document["agreement"]["spearman_rho"], expected.spearman_rho)
    assert document["sources"] == expected.sources

    rows, ballots, rule, facts, sources = page_numbers(client)
    assert (ballots, rule) == (expected.ballots, expected.rule)
    assert sources == expected.sources
    if expected.ballots == 0:  # an invitation to vote, no table and no figures
        assert rows == [] and facts == {}
        return
    # The readers' rank cell holds the rank, or the span of a too-close-to-call group around it.
    shown = []
    for key, readers, editor, move, points, _top_three, firsts in rows:
        span = re.fullmatch(r"(\d+)–(\d+)too close to call", readers)
        row = expected.row(key)
        assert readers == str(row.community_rank) or (
            span and int(span[1]) <= row.community_rank <= int(span[2])
        ), (readers, row)
        shown.append((key, int(editor), move, Fraction(points), int(firsts)))
    assert shown == [
        (row.key, row.editor_rank, move_text(row.move), row.points, row.first_place_votes)
        for row in expected.rows
    ]
    # The page rounds to three decimals.
    assert_close(shown_correlation(facts["Kendall's tau-b"]), expected.kendall_tau, 0.0005 + 1e-12)
    assert_close(shown_correlation(facts["Spearman's rho"]), expected.spearman_rho, 0.0005 + 1e-12)
    assert set(keys) == set(text)


def download_ballots(client):
    response = client.get(f"/polls/{POLL}/ballots.csv")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_empty_poll_matches_the_recount(client, keys):
    expected = oracle.recount_csv(download_ballots(client), keys, "averaged")
    assert expected.ballots == 0
    assert [row.community_rank for row in expected.rows] == [1] * len(keys)
    assert expected.kendall_tau is None and expected.spearman_rho is None
    assert_app_matches_recount(client, expected, keys)


@pytest.mark.parametrize("seed", [2014, 9])
def test_ballots_cast_through_the_api_recount_to_the_published_results(app, client, keys, seed):
    rng = random.Random(seed)
    counted = cast_ballots(app, keys, rng, readers=45, revotes=15)
    ballots_text = download_ballots(client)
    assert oracle.read_ballots(ballots_text, keys) == counted
    for rule in RULES:
        set_poll(app, borda_rule=rule)
        expected = oracle.recount_csv(ballots_text, keys, rule)
        assert expected.ballots == 45
        assert_app_matches_recount(client, expected, keys)


def test_a_single_ballot_recounts_to_the_published_results(app, client, keys):
    set_poll(app, min_ballots=1)  # the page ranks from the first ballot
    reader = app.test_client()
    assert vote(reader, [keys[4]]).status_code == 201
    ballots_text = download_ballots(client)
    for rule in RULES:
        set_poll(app, borda_rule=rule)
        expected = oracle.recount_csv(ballots_text, keys, rule)
        assert expected.rows[0].key == keys[4]
        assert_app_matches_recount(client, expected, keys)


class TieCase(NamedTuple):
    rule: str
    points: tuple[Fraction, Fraction, Fraction, Fraction]  # editor ranks 3, 6 and 8, then any other


TIE_CASES = [
    # Ballots (3, 6), (6, 3) and (8) over nine scenes. Averaged: a two-scene ballot leaves 3 to each
    # of the other seven, a one-scene ballot 7/2 to each of the other eight.
    TieCase("averaged", (Fraction(37, 2), Fraction(37, 2), Fraction(14), Fraction(19, 2))),
    TieCase("truncated", (Fraction(15), Fraction(15), Fraction(8), Fraction(0))),
    TieCase("modified", (Fraction(3), Fraction(3), Fraction(1), Fraction(0))),
]


@pytest.mark.parametrize("case", TIE_CASES, ids=lambda c: c.rule)
def test_tied_scenes_share_a_rank_everywhere(app, client, keys, case):
    for ranking in ([keys[2], keys[5]], [keys[5], keys[2]], [keys[7]]):
        assert vote(app.test_client(), ranking).status_code == 201
    set_poll(app, borda_rule=case.rule, min_ballots=1)
    expected = oracle.recount_csv(download_ballots(client), keys, case.rule)
    assert [(row.key, row.community_rank, row.points) for row in expected.rows] == [
        (keys[2], 1, case.points[0]),
        (keys[5], 1, case.points[1]),
        (keys[7], 3, case.points[2]),
        *[(key, 4, case.points[3]) for key in keys if key not in (keys[2], keys[5], keys[7])],
    ]
    assert_app_matches_recount(client, expected, keys)


def write_ballots_csv(path, rankings, size, sources=None):
    """A ballots CSV as a spreadsheet would write it; with ``sources``, with the source column."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(
            ["ballot"] + [f"rank_{p}" for p in range(1, size + 1)] + (["source"] if sources else [])
        )
        for number, ranking in enumerate(rankings, start=1):
            source = [sources[number - 1]] if sources else []
            writer.writerow([number, *ranking, *[""] * (size - len(ranking)), *source])


def test_the_debian_2007_ballots_recount_to_the_published_results(app, client, runner, keys, tmp_path):
    rankings = [[keys[alternative - 1] for alternative in ballot] for ballot in debian_ballots()]
    assert len(rankings) == 482
    imported = tmp_path / "debian.csv"
    write_ballots_csv(imported, rankings, len(keys))

    result = runner.invoke(args=["ballots", "import", "--poll", POLL, str(imported)])
    assert result.exit_code == 0, result.output
    assert "Imported 482 ballots" in result.output

    verified = runner.invoke(args=["tally", "verify", "--poll", POLL])
    assert verified.exit_code == 0, verified.output
    assert "matches a recount" in verified.output

    # The file had no source column: the export has one, every ballot imported.
    expected_file = tmp_path / "expected.csv"
    write_ballots_csv(expected_file, rankings, len(keys), ["imported"] * len(rankings))
    exported = tmp_path / "exported.csv"
    result = runner.invoke(args=["ballots", "export", "--poll", POLL, str(exported)])
    assert result.exit_code == 0, result.output
    assert exported.read_bytes() == expected_file.read_bytes()

    ballots_text = download_ballots(client)
    assert ballots_text.encode("utf-8") == expected_file.read_bytes()
    assert oracle.read_ballots(ballots_text, keys) == rankings
    for rule in RULES:
        set_poll(app, borda_rule=rule)
        expected = oracle.recount_csv(ballots_text, keys, rule)
        assert expected.ballots == 482
        assert_app_matches_recount(client, expected, keys)


def test_imported_ballots_join_the_ones_cast_online(app, client, runner, keys, tmp_path):
    rng = random.Random(7)
    counted = cast_ballots(app, keys, rng, readers=10, revotes=3)
    rankings = [[keys[alternative - 1] for alternative in ballot] for ballot in debian_ballots()[:60]]
    imported = tmp_path / "some.csv"
    write_ballots_csv(imported, rankings, len(keys))
    assert runner.invoke(args=["ballots", "import", "--poll", POLL, str(imported)]).exit_code == 0
    ballots_text = download_ballots(client)
    assert oracle.read_ballots(ballots_text, keys) == counted + rankings
    verified = runner.invoke(args=["tally", "verify", "--poll", POLL])
    assert verified.exit_code == 0, verified.output
    for rule in RULES:
        set_poll(app, borda_rule=rule)
        assert_app_matches_recount(client, oracle.recount_csv(ballots_text, keys, rule), keys)


def test_ballots_cast_every_way_recount_to_the_published_sources(app, client, runner, keys, tmp_path):
    rng = random.Random(2026)
    cast = []  # (ranking, source) in the order cast
    for way in [*WAYS, *rng.choices(WAYS, k=12)]:
        ranking = random_ranking(rng, keys)
        cast_by(app, way, ranking)
        cast.append((ranking, way.source))
    # Files from the command line: one without the source column (its ballots
    # count as imported), one with it (each ballot keeps its own).
    plain, sourced = tmp_path / "plain.csv", tmp_path / "sourced.csv"
    from_plain = [random_ranking(rng, keys) for _ in range(3)]
    write_ballots_csv(plain, from_plain, len(keys))
    from_sourced = [(random_ranking(rng, keys), rng.choice(oracle.SOURCES)) for _ in range(8)]
    write_ballots_csv(sourced, [r for r, _ in from_sourced], len(keys), [s for _, s in from_sourced])
    for path in (plain, sourced):
        result = runner.invoke(args=["ballots", "import", "--poll", POLL, str(path)])
        assert result.exit_code == 0, result.output
    cast += [(ranking, "imported") for ranking in from_plain] + from_sourced

    ballots_text = download_ballots(client)
    assert oracle.read_rows(ballots_text, keys) == cast
    expected = oracle.recount_csv(ballots_text, keys, "averaged")
    assert all(expected.sources[source] > 0 for source in oracle.SOURCES), expected.sources
    assert_app_matches_recount(client, expected, keys)


def test_held_ballots_join_the_download_and_their_source_once_released(make_app, keys):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_FIRST_BALLOTS="3 per minute")
    set_poll(app, min_ballots=1)  # the page ranks from the first ballot
    client = app.test_client()
    for cookie in (True, False, True, False, False):  # the last two are held, both without a cookie
        in_the_embed(app, [keys[cookie]], cookie=cookie, script=True)
    held = oracle.recount_csv(download_ballots(client), keys, "averaged")
    assert (held.ballots, client.get(f"/api/polls/{POLL}/results").get_json()["held_ballots"]) == (3, 2)
    assert held.sources == {**dict.fromkeys(oracle.SOURCES, 0), "embed_cookie": 2, "embed_no_cookie": 1}
    assert_app_matches_recount(client, held, keys)

    assert app.test_cli_runner().invoke(args=["ballots", "release", "--poll", POLL]).exit_code == 0
    released = oracle.recount_csv(download_ballots(client), keys, "averaged")
    assert released.sources == {**held.sources, "embed_no_cookie": 3}
    assert_app_matches_recount(client, released, keys)
