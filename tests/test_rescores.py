"""Re-scores: once a poll has ballots, adding entries or changing the Borda
rule needs the editor's confirmation of what it does to the points; each one
is kept, in the trail, on the results page and in the results JSON, and the
points stay those an independent recount of the ballots gives."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from flask import Flask
from pollapp.extensions import db
from pollapp.polls.models import Rescore
from sqlalchemy import select

from helpers import POLL, database_state, tally_differences, vote
from oracle import recount_csv
from test_desk_polls import EDIT, entries_of, poll_form, send, stored
from test_editors import trail

RANKINGS = [[0, 1, 2], [2], [1, 0], [3, 1, 0, 2]]


@pytest.fixture
def app(make_app, database_uri: str) -> Flask:
    """Every test here on SQLite and on PostgreSQL."""
    return make_app(database_uri=database_uri)


def cast_ballots(app: Flask) -> list[str]:
    """Four readers' ballots in the shipped poll; its keys in the editors' order."""
    keys = [key for key, *_ in entries_of(app, POLL)]
    for ranking in RANKINGS:
        assert vote(app.test_client(), [keys[i] for i in ranking]).status_code == 201
    return keys


def rows_of(keys: list[str], *added: str) -> list[dict[str, str]]:
    """The form's entry rows: the poll's entries as they are, then new ones."""
    return [{"key": key, "title": key} for key in keys] + [{"title": title} for title in added]


def rescores(app: Flask) -> list[tuple[str, int, int, str, str]]:
    with app.app_context():
        rows = db.session.execute(select(Rescore).order_by(Rescore.id)).scalars().all()
        found = [
            (str(r.cause), r.entries_before, r.entries_after, str(r.rule_before), str(r.rule_after))
            for r in rows
        ]
        db.session.remove()
    return found


def checked_against_a_recount(app: Flask, slug: str = POLL) -> dict:
    """The results JSON, after checking its points and ranks against the ballots CSV recounted
    independently, and the running tally against the stored ballots."""
    client = app.test_client()
    document = client.get(f"/api/polls/{slug}/results").get_json()
    keys = [key for key, *_ in entries_of(app, slug)]
    recounted = recount_csv(
        client.get(f"/polls/{slug}/ballots.csv").get_data(as_text=True), keys, document["borda_rule"]
    )
    assert [(e["key"], e["community_rank"], e["points"]) for e in document["entries"]] == [
        (row.key, row.community_rank, float(row.points)) for row in recounted.rows
    ]
    assert tally_differences(app, slug) == []
    return document


def test_adding_an_entry_after_ballots_comes_back_with_what_it_does_and_stores_nothing(app, desk):
    keys = cast_ballots(app)
    before = (database_state(app), entries_of(app, POLL))

    response = send(desk, EDIT, poll_form("Renamed", rows_of(keys, "A tenth kiss"), slug=POLL))

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        "Every ballot is re-scored with n = 10 instead of 9: a first place earns 9 points instead of 8"
        in page
    )
    assert "This poll has ballots: confirm the re-score to save it, or leave the change out." in page
    assert 'name="rescore" type="checkbox" value="entries_added:10"' in page
    assert (database_state(app), entries_of(app, POLL)) == before
    assert [key for key, *_ in entries_of(app, POLL)] == keys and stored(app, POLL).title != "Renamed"
    assert rescores(app) == [] and "rescored" not in [action for _, action, *_ in trail(app)]


def test_a_confirmed_entry_is_added_and_the_re_score_is_kept_and_shown(app, desk):
    keys = cast_ballots(app)
    rule = str(stored(app, POLL).borda_rule)
    earlier = checked_against_a_recount(app)

    form = poll_form("Renamed", rows_of(keys, "A tenth kiss"), slug=POLL, rescore="entries_added:10")

    response = send(desk, EDIT, form)

    assert response.status_code == 302
    assert [key for key, *_ in entries_of(app, POLL)] == [*keys, "a-tenth-kiss"]
    assert rescores(app) == [("entries_added", 9, 10, rule, rule)]
    assert [action for _, action, *_ in trail(app)][-2:] == ["edited", "rescored"]
    assert "Re-scored every ballot with n = 10" in desk.get(f"/editors/polls/{POLL}/trail").get_data(
        as_text=True
    )
    document = checked_against_a_recount(app)
    assert document["ballots"] == earlier["ballots"] == len(RANKINGS)
    (change,) = document["rescores"]
    assert change["at"].endswith("Z")
    assert {k: v for k, v in change.items() if k != "at"} == {
        "cause": "entries_added",
        "entries_before": 9,
        "entries_after": 10,
        "rule_before": rule,
        "rule_after": rule,
    }
    page = app.test_client().get(f"/polls/{POLL}/results").get_data(as_text=True)
    assert "the list grew from 9 to 10, and every ballot was re-scored with n = 10." in page
    korean = app.test_client().get(f"/polls/{POLL}/results?lang=ko").get_data(as_text=True)
    assert "목록이 9개에서 10개로 늘어나, 모든 투표지를 n = 10(으)로 다시 채점했습니다." in korean


class RuleCase(NamedTuple):
    rule: str
    says: str


RULE_CASES = [
    RuleCase("modified", "Every ballot is re-scored under the modified rule instead of the averaged rule"),
    RuleCase("truncated", "Every ballot is re-scored under the truncated rule instead of the averaged rule"),
]


@pytest.mark.parametrize("case", RULE_CASES, ids=lambda case: case.rule)
def test_changing_the_rule_after_ballots_needs_that_confirmation_and_is_recounted_exactly(app, desk, case):
    keys = cast_ballots(app)
    assert str(stored(app, POLL).borda_rule) == "averaged"
    form = poll_form("Renamed", rows_of(keys), slug=POLL, borda_rule=case.rule)

    refused = send(desk, EDIT, form)
    # A confirmation of something else does not do.
    also_refused = send(desk, EDIT, {**form, "rescore": "entries_added:9"})

    for response in (refused, also_refused):
        assert response.status_code == 400
        assert case.says in response.get_data(as_text=True)
    assert str(stored(app, POLL).borda_rule) == "averaged" and rescores(app) == []

    assert send(desk, EDIT, {**form, "rescore": f"rule_changed:{case.rule}"}).status_code == 302

    assert str(stored(app, POLL).borda_rule) == case.rule
    assert rescores(app) == [("rule_changed", 9, 9, "averaged", case.rule)]
    document = checked_against_a_recount(app)
    assert document["borda_rule"] == case.rule
    page = app.test_client().get(f"/polls/{POLL}/results").get_data(as_text=True)
    assert f"the rule changed from averaged to {case.rule}, and every ballot was re-scored under it." in page


def test_a_confirmation_covers_only_the_change_it_names(app, desk):
    keys = cast_ballots(app)
    # Confirmed for one new entry, sent with two: n would be 11, not 10.
    form = poll_form("Renamed", rows_of(keys, "Tenth", "Eleventh"), slug=POLL, rescore="entries_added:10")

    response = send(desk, EDIT, form)

    assert response.status_code == 400
    assert "Every ballot is re-scored with n = 11 instead of 9" in response.get_data(as_text=True)
    assert len(entries_of(app, POLL)) == 9 and rescores(app) == []


def test_the_rule_and_new_entries_at_once_need_both_confirmed_and_keep_both(app, desk):
    keys = cast_ballots(app)
    form = poll_form("Renamed", rows_of(keys, "Tenth"), slug=POLL, borda_rule="truncated")

    page = send(desk, EDIT, form).get_data(as_text=True)
    assert "under the truncated rule instead of the averaged rule" in page
    assert "the new ones earn nothing from the ballots cast so far" in page
    assert send(desk, EDIT, {**form, "rescore": "rule_changed:truncated"}).status_code == 400

    both = "rule_changed:truncated entries_added:10"
    assert send(desk, EDIT, {**form, "rescore": both}).status_code == 302

    assert rescores(app) == [
        ("rule_changed", 9, 9, "averaged", "truncated"),
        ("entries_added", 9, 10, "truncated", "truncated"),
    ]
    assert [change["cause"] for change in checked_against_a_recount(app)["rescores"]] == [
        "rule_changed",
        "entries_added",
    ]


def test_before_any_ballot_entries_and_rule_change_freely_and_nothing_is_re_scored(app, desk):
    keys = [key for key, *_ in entries_of(app, POLL)]

    response = send(
        desk, EDIT, poll_form("Renamed", rows_of(keys, "Tenth"), slug=POLL, borda_rule="modified")
    )

    assert response.status_code == 302
    assert len(entries_of(app, POLL)) == 10 and rescores(app) == []
    assert app.test_client().get(f"/api/polls/{POLL}/results").get_json()["rescores"] == []
    assert "re-scored" not in app.test_client().get(f"/polls/{POLL}/results").get_data(as_text=True)


def test_rewording_and_reordering_entries_after_ballots_needs_no_confirmation(app, desk):
    keys = cast_ballots(app)
    rows = [{"key": key, "title": key.upper()} for key in reversed(keys)]

    assert send(desk, EDIT, poll_form("Renamed", rows, slug=POLL)).status_code == 302

    assert [key for key, *_ in entries_of(app, POLL)] == list(reversed(keys)) and rescores(app) == []
    checked_against_a_recount(app)


def test_a_poll_file_that_adds_an_entry_to_a_poll_with_ballots_is_kept_as_a_re_score(app, tmp_path):
    cast_ballots(app)
    runner = app.test_cli_runner()
    exported = tmp_path / "poll.toml"
    assert runner.invoke(args=["polls", "export", POLL, str(exported)]).exit_code == 0
    text = exported.read_text(encoding="utf-8")
    exported.write_text(text + '\n[[entries]]\nkey = "tenth"\ntitle = "Tenth"\n', encoding="utf-8")
    before = (database_state(app), entries_of(app, POLL))

    # As in the desk: first what it does to the points, and nothing stored.
    refused = runner.invoke(args=["polls", "import", str(exported)])
    assert refused.exit_code == 1
    assert "Nothing was imported" in refused.output
    assert "Every ballot is re-scored with n = 10 instead of 9" in refused.output
    assert "--rescore" in refused.output
    assert (database_state(app), entries_of(app, POLL)) == before and rescores(app) == []

    done = runner.invoke(args=["polls", "import", "--rescore", str(exported)])

    assert done.exit_code == 0, done.output
    assert [cause for cause, *_ in rescores(app)] == ["entries_added"]
    checked_against_a_recount(app)


def test_a_poll_file_that_changes_the_rule_after_ballots_needs_the_confirmation(app, tmp_path):
    cast_ballots(app)
    runner = app.test_cli_runner()
    exported = tmp_path / "poll.toml"
    assert runner.invoke(args=["polls", "export", POLL, str(exported)]).exit_code == 0
    text = exported.read_text(encoding="utf-8")
    assert 'borda_rule = "averaged"' in text
    exported.write_text(text.replace('borda_rule = "averaged"', 'borda_rule = "modified"'), encoding="utf-8")
    before = (database_state(app), entries_of(app, POLL))

    refused = runner.invoke(args=["polls", "import", str(exported)])
    assert refused.exit_code == 1 and "under the modified rule instead of the averaged rule" in refused.output
    assert (database_state(app), entries_of(app, POLL)) == before

    done = runner.invoke(args=["polls", "import", "--rescore", str(exported)])
    assert done.exit_code == 0, done.output
    assert [(cause, rule_after) for cause, _, _, _, rule_after in rescores(app)] == [
        ("rule_changed", "modified")
    ]
    assert checked_against_a_recount(app)["borda_rule"] == "modified"
