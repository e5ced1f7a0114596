"""The results API's head-to-head and bootstrap fields, on each kind of database,
recomputed from the downloadable ballots."""

from __future__ import annotations

import pytest
from pollapp.ballots.tally import read_tally
from pollapp.core.confidence import bootstrap, too_close_to_call
from pollapp.polls.service import find_poll
from pollapp.results import sureness

import oracle
from helpers import POLL, vote_many

RESULTS = f"/api/polls/{POLL}/results"


def test_head_to_head_orders_and_ranges_follow_the_ballots(make_app, database_uri, keys):
    app = make_app(database_uri=database_uri)
    rankings = [[keys[2], keys[0]]] * 20 + [[keys[0], keys[2], keys[1]]] * 12 + [[keys[5]]] * 3
    vote_many(app, rankings)
    results = app.test_client().get(RESULTS).get_json()
    assert results["ballots"] == len(rankings)
    assert results["pairwise"] == oracle.pairwise(rankings, keys)
    assert results["condorcet_winner"] == keys[2]  # preferred to keys[0] by 20 to 12, to the rest by 32
    for rule in ("averaged", "truncated", "modified"):
        points = oracle.borda(rankings, keys, rule)
        order = results["orders"][rule]
        assert sorted(order) == sorted(keys)
        assert [points[k] for k in order] == sorted(points.values(), reverse=True)
    expected = {s.entry: s for s in bootstrap(rankings, keys, "averaged")}
    for entry in results["entries"]:
        spread = expected[entry["key"]]
        assert entry["rank_range"] == [spread.low, spread.high]
        assert entry["first_share"] == spread.first_share
        assert entry["rank_range"][0] <= entry["community_rank"] <= entry["rank_range"][1]
    order = [e["key"] for e in results["entries"]]
    assert results["too_close_to_call"] == too_close_to_call(order, expected.values())
    first = results["entries"][0]
    assert first["key"] == keys[2] and first["first_share"] > 0.9


def test_an_entry_first_on_every_ballot_is_sure(client, app, keys):
    vote_many(app, [[keys[4], keys[1]], [keys[4]], [keys[4], keys[7], keys[1]]] * 4)
    results = client.get(RESULTS).get_json()
    top = results["entries"][0]
    assert (top["key"], top["rank_range"], top["first_share"]) == (keys[4], [1, 1], 1.0)
    assert all(e["first_share"] == 0.0 for e in results["entries"][1:])
    assert results["condorcet_winner"] == keys[4]


def test_before_any_ballot_the_figures_are_empty(client, keys):
    results = client.get(RESULTS).get_json()
    assert {(e["rank_range"], e["first_share"]) for e in results["entries"]} == {(None, None)}
    assert results["too_close_to_call"] == []
    assert results["condorcet_winner"] is None
    assert results["pairwise"] == {x: {y: 0 for y in keys if y != x} for x in keys}


def test_the_figures_are_worked_out_once_per_tally_tag(client, app, keys, monkeypatch):
    vote_many(app, [[keys[0]], [keys[1], keys[0]]])
    worked = []
    real = sureness._work_out
    monkeypatch.setattr(sureness, "_work_out", lambda poll: worked.append(poll.id) or real(poll))
    sureness.forget()
    first = client.get(RESULTS)
    assert client.get(RESULTS).get_json() == first.get_json()
    assert len(worked) == 1
    assert first.get_json()["figures_tag"] == first.headers["ETag"].strip('"')
    vote_many(app, [[keys[3]]])
    after = client.get(RESULTS).get_json()
    assert len(worked) == 2
    assert after["ballots"] == 3 and after["pairwise"][keys[3]][keys[2]] == 1


def test_the_figures_come_from_the_rankings_counted_in_the_database(app, keys):
    """Distinct rankings each counted once, with their ballots: the same figures as every ballot read."""
    rankings = [[keys[1], keys[0]]] * 25 + [[keys[0]]] * 9 + [[keys[2], keys[1], keys[0]]] * 6
    vote_many(app, rankings)
    with app.app_context():
        poll = find_poll(POLL)
        sureness.forget()
        figures = sureness.how_sure(poll)
        assert figures.tag == read_tally(poll).tag
    assert figures.ballots == len(rankings)
    assert figures.pairwise == oracle.pairwise(rankings, keys)
    assert list(figures.sureness.values()) == bootstrap(rankings, keys, "averaged")


@pytest.mark.parametrize("count", [1, 29, 30])
def test_too_early_below_thirty_ballots(count):
    figures = sureness.HowSure(count, {}, [], {}, None, {})
    assert figures.too_early is (count < sureness.FEW_BALLOTS)


def test_a_large_poll_is_answered_with_its_latest_figures_while_new_ones_are_worked_out(
    client, app, keys, monkeypatch
):
    """Past LARGE ballots a reader never waits for a resampling: the latest figures
    come with their tag, and newer ones are worked out beside the request."""
    vote_many(app, [[keys[0]], [keys[1], keys[0]]])
    worked = []
    real = sureness._work_out
    monkeypatch.setattr(sureness, "_work_out", lambda poll: worked.append(poll.id) or real(poll))
    monkeypatch.setattr(sureness, "LARGE", 2)
    sureness.forget()
    first = client.get(RESULTS).get_json()
    assert len(worked) == 1
    vote_many(app, [[keys[3]]])
    served = client.get(RESULTS)
    assert served.get_json()["ballots"] == 3
    assert served.get_json()["figures_tag"] == first["figures_tag"] != served.headers["ETag"].strip('"')
    assert served.get_json()["pairwise"] == first["pairwise"]
    assert len(worked) == 1  # within REFRESH_SECONDS: not even beside the request
    monkeypatch.setattr(sureness, "REFRESH_SECONDS", 0.0)
    stale = client.get(RESULTS).get_json()
    assert stale["figures_tag"] == first["figures_tag"]  # this reader did not wait
    sureness.wait_for_refreshes()
    assert len(worked) == 2
    fresh = client.get(RESULTS)
    assert fresh.get_json()["figures_tag"] == fresh.headers["ETag"].strip('"')
    assert fresh.get_json()["pairwise"][keys[3]][keys[2]] == 1


def test_a_new_process_starts_from_the_figures_kept_in_a_file(client, app, keys, monkeypatch):
    """Every process serves a large poll's latest figures at once, not only the one that worked them out."""
    vote_many(app, [[keys[0]], [keys[1], keys[0]]])
    monkeypatch.setattr(sureness, "LARGE", 2)
    sureness.forget()
    first = client.get(RESULTS).get_json()
    worked = []
    real = sureness._work_out
    monkeypatch.setattr(sureness, "_work_out", lambda poll: worked.append(poll.id) or real(poll))
    sureness.forget()  # as in another worker, or after a restart
    vote_many(app, [[keys[3]]])
    served = client.get(RESULTS).get_json()
    assert worked == []
    assert (served["figures_tag"], served["pairwise"]) == (first["figures_tag"], first["pairwise"])
    assert [e["rank_range"] for e in served["entries"]] == [e["rank_range"] for e in first["entries"]]
    monkeypatch.setattr(sureness, "LARGE", 10)  # a small poll's figures are for its very tag
    assert client.get(RESULTS).get_json()["pairwise"][keys[3]][keys[2]] == 1
    assert len(worked) == 1
