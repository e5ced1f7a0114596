"""``polls export`` and ``polls import``: a poll file out of the database and back in."""

from __future__ import annotations

import tomllib

from pollapp.catalogue.files import parse_poll, shipped_polls
from pollapp.catalogue.sync import spec_of
from pollapp.extensions import db
from pollapp.polls.service import find_poll

from helpers import POLL, ballot_count, vote

HOSTILE = '<script>alert(1)</script> "quoted" \\ back\tslash\nnew line \x7f =SUM(A1) 키스'


def test_export_writes_the_shipped_poll_as_its_file_says_it(runner, tmp_path):
    target = tmp_path / "out.toml"
    result = runner.invoke(args=["polls", "export", POLL, str(target)])
    assert result.exit_code == 0, result.output
    exported = parse_poll(tomllib.loads(target.read_text(encoding="utf-8")), "out.toml")
    shipped = next(spec for spec in shipped_polls() if spec.slug == POLL)
    assert exported == shipped
    assert exported.translations == shipped.translations
    assert [e.translations for e in exported.entries] == [e.translations for e in shipped.entries]


def test_export_to_standard_output(runner):
    result = runner.invoke(args=["polls", "export", POLL])
    assert result.exit_code == 0, result.output
    assert tomllib.loads(result.output)["entries"][0]["title"] == "Pinocchio"


def test_hostile_text_survives_the_round_trip_word_for_word(app, runner, tmp_path):
    with app.app_context():
        poll = find_poll(POLL)
        assert poll is not None
        poll.title = poll.entries[0].blurb = HOSTILE
        db.session.commit()
    target = tmp_path / "hostile.toml"
    assert runner.invoke(args=["polls", "export", POLL, str(target)]).exit_code == 0
    data = tomllib.loads(target.read_text(encoding="utf-8"))
    assert data["title"] == HOSTILE.strip() and data["entries"][0]["blurb"] == HOSTILE.strip()


def test_import_creates_a_new_poll_from_an_exported_file(app, runner, tmp_path):
    target = tmp_path / "copy.toml"
    assert runner.invoke(args=["polls", "export", POLL, str(target)]).exit_code == 0
    text = target.read_text(encoding="utf-8").replace(f'slug = "{POLL}"', 'slug = "kisses-again"')
    target.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["polls", "import", str(target)])
    assert result.exit_code == 0, result.output
    assert "kisses-again: created, 9 entries" in result.output
    with app.app_context():
        copy, original = find_poll("kisses-again"), find_poll(POLL)
        assert copy is not None and original is not None
        assert spec_of(copy).entries == spec_of(original).entries


def test_import_of_a_changed_file_keeps_the_ballots(app, client, runner, keys, tmp_path):
    vote(client, keys[:3])
    target = tmp_path / "changed.toml"
    assert runner.invoke(args=["polls", "export", POLL, str(target)]).exit_code == 0
    text = target.read_text(encoding="utf-8").replace('title = "Pinocchio"', 'title = "Pinocchio (SBS)"')
    target.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["polls", "import", str(target)])
    assert result.exit_code == 0, result.output
    assert f"{POLL}: updated, 9 entries" in result.output
    assert ballot_count(app) == 1
    with app.app_context():
        poll = find_poll(POLL)
        assert poll is not None and poll.entries[0].title == "Pinocchio (SBS)"


def test_import_refuses_a_broken_file_and_stores_nothing(app, runner, tmp_path):
    target = tmp_path / "broken.toml"
    target.write_text('slug = "broken"\ntitle = "Broken"\nintro = "x"\n[[entries]]\nkey = "a"\n', "utf-8")
    result = runner.invoke(args=["polls", "import", str(target)])
    assert result.exit_code != 0
    assert "Nothing was imported" in result.output and "at least two [[entries]]" in result.output
    with app.app_context():
        assert find_poll("broken") is None


def test_import_refuses_a_control_character_and_stores_nothing(app, runner, tmp_path):
    target = tmp_path / "controls.toml"
    target.write_text(
        'slug = "controls"\ntitle = "Con\\u0000trols"\nintro = "x"\nborda_rule = "averaged"\n'
        'status = "open"\nresults_visibility = "always"\n'
        '[[entries]]\nkey = "a"\ntitle = "A"\n[[entries]]\nkey = "b"\ntitle = "B"\n',
        "utf-8",
    )
    result = runner.invoke(args=["polls", "import", str(target)])
    assert result.exit_code == 1, result.output
    assert (
        "Nothing was imported" in result.output
        and "'title' holds a control character (U+0000)" in result.output
    )
    with app.app_context():
        assert find_poll("controls") is None


def test_export_of_an_unknown_poll_is_a_clear_error(runner):
    result = runner.invoke(args=["polls", "export", "no-such-poll"])
    assert result.exit_code != 0 and "There is no poll called 'no-such-poll'" in result.output


def test_a_poll_file_says_whether_each_ballot_lists_the_entries_in_its_own_order(app, runner, tmp_path):
    target = tmp_path / "kisses.toml"
    assert runner.invoke(args=["polls", "export", POLL, str(target)]).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert "shuffle_entries = true" in text
    data = tomllib.loads(text)
    assert parse_poll(data, "kisses.toml").shuffle_entries is True
    del data["shuffle_entries"]
    assert parse_poll(data, "kisses.toml").shuffle_entries is True, "on unless the file says otherwise"
    target.write_text(text.replace("shuffle_entries = true", "shuffle_entries = false"), encoding="utf-8")
    result = runner.invoke(args=["polls", "import", str(target)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        poll = find_poll(POLL)
        assert poll is not None and poll.shuffle_entries is False
    target.write_text(text.replace("shuffle_entries = true", 'shuffle_entries = "yes"'), encoding="utf-8")
    result = runner.invoke(args=["polls", "import", str(target)])
    assert result.exit_code != 0
    assert "'shuffle_entries' must be true or false" in result.output
