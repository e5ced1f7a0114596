"""The results API's head-to-head and bootstrap fields, on each kind of database,
recomputed from the downloadable ballots."""

from __future__ import annotations

import pytest
from pollapp.core.confidence import bootstrap, too_close_to_call
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
    sureness._cache.clear()
    first = client.get(RESULTS).get_json()
    assert client.get(RESULTS).get_json() == first
    assert len(worked) == 1
    vote_many(app, [[keys[3]]])
    after = client.get(RESULTS).get_json()
    assert len(worked) == 2
    assert after["ballots"] == 3 and after["pairwise"][keys[3]][keys[2]] == 1


@pytest.mark.parametrize("count", [1, 29, 30])
def test_too_early_below_thirty_ballots(count):
    figures = sureness.HowSure(count, {}, [], {}, None, {})
    assert figures.too_early is (count < sureness.FEW_BALLOTS)


def test_a_large_polls_figures_serve_for_a_while_though_ballots_arrive(client, app, keys, monkeypatch):
    """Past LARGE ballots one more cannot move the ranges: no resampling per ballot."""
    vote_many(app, [[keys[0]], [keys[1], keys[0]]])
    worked = []
    real = sureness._work_out
    monkeypatch.setattr(sureness, "_work_out", lambda poll: worked.append(poll.id) or real(poll))
    monkeypatch.setattr(sureness, "LARGE", 2)
    sureness._cache.clear()
    sureness._latest.clear()
    first = client.get(RESULTS).get_json()
    vote_many(app, [[keys[3]]])
    assert client.get(RESULTS).get_json()["condorcet_winner"] == first["condorcet_winner"]
    assert len(worked) == 1
    monkeypatch.setattr(sureness, "REUSE_SECONDS", 0.0)
    client.get(RESULTS)
    assert len(worked) == 2
