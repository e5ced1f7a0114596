"""Through time: the tally is snapped at the first ballot of every hour, and
the history (hourly for three days, then daily) is recomputed here from a log
of every ballot as it was cast, re-votes included, by the independent recount."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from pollapp.ballots import service as ballot_service
from pollapp.ballots.models import TallySnapshot
from pollapp.extensions import db
from pollapp.results import history as history_service
from pollapp.results.history import points_at
from sqlalchemy import func, select

from helpers import POLL, set_poll, vote
from oracle import recount

START = datetime(2026, 11, 2, 9, 25, tzinfo=UTC)


class Clock:
    """The time ballots are cast and the history is asked for, moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = START
        monkeypatch.setattr(ballot_service, "utcnow", lambda: self.now)
        monkeypatch.setattr(history_service, "utcnow", lambda: self.now)


def expected_history(log, keys, rule, now):
    """The history from the log of (time, reader, ranking), by the rule the API
    states: the tally at each hour start when ballots came in the first three
    days, then at each midnight, then now; each as it stood before that moment."""
    hours = sorted({t.replace(minute=0, second=0, microsecond=0) for t, _, _ in log})
    moments = [h for h in hours if h < hours[0] + timedelta(days=3)]
    for h in hours:
        if h >= hours[0] + timedelta(days=3):
            midnight = max(h.replace(hour=0), hours[0] + timedelta(days=3))
            if midnight > moments[-1]:
                moments.append(midnight)
    points = []
    for moment in [*moments, now.replace(microsecond=0)]:
        latest = {}
        for t, reader, ranking in log:
            if t < moment or moment == now.replace(microsecond=0):
                latest[reader] = ranking
        if latest:
            rows = recount(list(latest.values()), keys, rule).rows
            points.append({"ballots": len(latest), "ranks": {row.key: row.community_rank for row in rows}})
    return points


def keys_and_rule(client):
    poll = client.get(f"/api/polls/{POLL}").get_json()
    return [entry["key"] for entry in poll["entries"]], poll["borda_rule"]


def test_a_revote_changes_the_present_but_not_the_hour_before(make_app, database_uri, monkeypatch):
    app = make_app(database_uri=database_uri)
    clock = Clock(monkeypatch)
    keys, rule = keys_and_rule(app.test_client())
    alice, bob = app.test_client(), app.test_client()
    assert vote(alice, [keys[0], keys[1]]).status_code == 201
    assert vote(bob, [keys[0]]).status_code == 201
    clock.now = START + timedelta(hours=1)
    assert vote(alice, [keys[2]]).status_code == 200  # replaced
    assert vote(bob, [keys[2], keys[0]]).status_code == 200
    history = app.test_client().get(f"/api/polls/{POLL}/history").get_json()
    assert [point["at"] for point in history] == ["2026-11-02T10:00:00Z", "2026-11-02T10:25:00Z"]
    assert [point["ballots"] for point in history] == [2, 2]
    assert history[0]["ranks"][keys[0]] == 1 and history[0]["ranks"][keys[2]] > 1
    assert history[1]["ranks"][keys[2]] == 1 and history[1]["ranks"][keys[0]] == 2


def test_the_history_matches_a_recount_of_the_ballots_as_cast(make_app, database_uri, monkeypatch):
    app = make_app(database_uri=database_uri)
    clock = Clock(monkeypatch)
    keys, rule = keys_and_rule(app.test_client())
    chance = random.Random(12)
    readers = [app.test_client() for _ in range(6)]
    log = []
    # Five days: busy hours first, then a ballot now and then, with quiet days between.
    times = [START + timedelta(minutes=17 * i) for i in range(30)]
    times += [START + timedelta(days=d, hours=h) for d, h in ((3, 2), (3, 5), (4, 1), (6, 23), (7, 0))]
    for t in times:
        clock.now = t
        reader = chance.randrange(len(readers))
        ranking = chance.sample(keys, chance.randint(1, len(keys)))
        assert vote(readers[reader], ranking).status_code in (200, 201)
        log.append((t, reader, ranking))
    clock.now = times[-1] + timedelta(minutes=3)
    history = app.test_client().get(f"/api/polls/{POLL}/history").get_json()
    expected = expected_history(log, keys, rule, clock.now)
    assert [{"ballots": p["ballots"], "ranks": p["ranks"]} for p in history] == expected
    at = [datetime.fromisoformat(point["at"]) for point in history]
    assert at == sorted(at)
    assert at[-1] == clock.now
    # Daily after the first three days: midnights (and the first moment after the hourly days).
    late = [moment for moment in at[:-1] if moment >= START.replace(minute=0) + timedelta(days=3)]
    assert all(moment.hour == 0 or moment == START.replace(minute=0) + timedelta(days=3) for moment in late)
    assert len(late) == len({moment.date() for moment in late})


def test_one_snapshot_an_hour_however_many_ballots(make_app, monkeypatch):
    app = make_app()
    clock = Clock(monkeypatch)
    keys, _ = keys_and_rule(app.test_client())
    for minute in range(0, 60, 5):
        clock.now = START.replace(minute=0) + timedelta(minutes=minute)
        vote(app.test_client(), [keys[minute % 9]])
    clock.now += timedelta(hours=2)
    vote(app.test_client(), [keys[0]])
    with app.app_context():
        snapped = db.session.execute(select(TallySnapshot.at, TallySnapshot.cells)).all()
    assert len(snapped) == 2
    (first_at, first_cells), (second_at, second_cells) = snapped
    assert first_cells == []  # the poll as it stood before its first ballot
    assert sum(n for _, _, p, n in second_cells if p == 1) == 12


def test_no_ballots_no_history(client):
    assert client.get(f"/api/polls/{POLL}/history").get_json() == []


def test_a_poll_showing_results_later_hides_its_history(app, client):
    from helpers import set_poll

    set_poll(app, results_visibility="after_vote")
    response = client.get(f"/api/polls/{POLL}/history")
    assert response.status_code == 403
    assert client.get("/api/polls/no-such-poll/history").status_code == 404


def test_points_are_hourly_for_three_days_then_one_each_midnight():
    def at(days: float) -> datetime:
        return START.replace(minute=0) + timedelta(hours=round(days * 24))

    moments = [(at(d), Counter()) for d in (0, 0.5, 2.9, 3.1, 3.5, 4.2, 4.9, 9.0)]
    chosen = [moment for moment, _ in points_at(moments)]
    first = at(0)
    assert chosen == [
        at(0),
        at(0.5),
        at(2.9),
        first + timedelta(days=3),  # the first of the daily points: the hourly days' end
        datetime(2026, 11, 6, tzinfo=UTC),
        datetime(2026, 11, 7, tzinfo=UTC),
        datetime(2026, 11, 11, tzinfo=UTC),
    ]
    assert points_at([]) == []


def test_snapshots_cost_no_query_once_the_hour_is_snapped(make_app, monkeypatch):
    app = make_app()
    Clock(monkeypatch)
    keys, _ = keys_and_rule(app.test_client())
    vote(app.test_client(), [keys[0]])
    with app.app_context():
        before = db.session.execute(select(func.count()).select_from(TallySnapshot)).scalar_one()
        db.session.execute(TallySnapshot.__table__.delete())
        db.session.commit()
    vote(app.test_client(), [keys[1]])  # same hour: the worker knows it is snapped
    with app.app_context():
        after = db.session.execute(select(func.count()).select_from(TallySnapshot)).scalar_one()
    assert (before, after) == (1, 0)


def test_the_results_page_draws_the_ranks_through_time_with_a_table(app, monkeypatch):
    clock = Clock(monkeypatch)
    keys, _ = keys_and_rule(app.test_client())
    client = app.test_client()
    set_poll(app, min_ballots=1)
    vote(app.test_client(), [keys[0]])
    assert 'id="history-heading"' not in client.get(f"/polls/{POLL}/results").get_data(as_text=True)
    clock.now = START + timedelta(hours=2)
    vote(app.test_client(), [keys[4], keys[3]])
    vote(app.test_client(), [keys[4]])
    page = client.get(f"/polls/{POLL}/results").get_data(as_text=True)
    assert 'id="history-heading"' in page
    section = page[
        page.index('id="history-heading"') : page.index("</section>", page.index('id="history-heading"'))
    ]
    assert section.count("<polyline") == len(keys)
    assert 'role="img"' in section and "<title" in section
    assert '<th scope="row">02 Nov 2026 11:00</th><td>1</td>' in section
    assert '<th scope="row">now</th><td>3</td>' in section
