"""The command line: init-db, ballots export/import, results, poll open/close, tally verify/rebuild."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import NamedTuple

import pytest
from flask import Flask
from pollapp.ballots.models import Ballot, BallotImport, TallyCell
from pollapp.catalogue.sync import sync_polls
from pollapp.extensions import db
from pollapp.polls.models import Entry
from pollapp.polls.service import find_poll
from sqlalchemy import String, delete, func, select, update

from helpers import POLL, WAYS, ballot_count, cast_by, database_state, tally_differences, vote
from test_desk_polls import poll_form, send
from test_editors import add_editor, log_in

HEADER = "ballot," + ",".join(f"rank_{p}" for p in range(1, 10))  # a file without the source column
EXPORTED_HEADER = HEADER + ",source"


def invoke(runner, *args: str):
    return runner.invoke(args=list(args))


def cast(app, keys: list[str], *rankings: list[int]) -> None:
    for ranking in rankings:
        assert vote(app.test_client(), [keys[i] for i in ranking]).status_code == 201


# ---------------------------------------------------------------- init-db


@pytest.fixture
def alembic_logging() -> Iterator[None]:
    """Put back the logging set-up that Alembic's env.py replaces when init-db runs."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = {
        name: (logger.disabled, logger.level, logger.handlers[:], logger.propagate)
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield
    root.handlers[:], root.level = handlers, level
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.disabled, logger.level, logger.handlers[:], logger.propagate = loggers.get(
                name, (False, logging.NOTSET, [], True)
            )


@pytest.fixture
def fresh(make_app, alembic_logging) -> Flask:
    """An app on an empty database: no schema, no poll."""
    return make_app(schema=False)


def test_init_db_creates_the_schema_and_loads_the_poll_and_is_safe_to_repeat(fresh):
    runner = fresh.test_cli_runner()
    first = invoke(runner, "init-db")
    assert first.exit_code == 0, first.output
    assert f"{POLL}: created, 9 entries" in first.output
    assert "Database ready." in first.output
    client = fresh.test_client()
    entries = client.get(f"/api/polls/{POLL}").get_json()["entries"]
    keys = [entry["key"] for entry in entries]
    assert len(keys) == 9 and keys[0] == "pinocchio-hand-to-mouth"
    assert vote(client, [keys[4], keys[2]]).status_code == 201
    assert vote(fresh.test_client(), [keys[0]]).status_code == 201
    before = database_state(fresh)

    again = invoke(runner, "init-db")
    assert again.exit_code == 0, again.output
    assert "the shipped ones are loaded only into an empty database" in again.output
    assert database_state(fresh) == before
    assert vote(client, [keys[1]]).get_json() == {"ranking": [keys[1]], "replaced": True, "held": False}
    assert tally_differences(fresh, POLL) == []


def test_init_db_keeps_a_closed_poll_closed(fresh):
    runner = fresh.test_cli_runner()
    invoke(runner, "init-db")
    invoke(runner, "poll", "close", POLL)
    assert invoke(runner, "init-db").exit_code == 0
    assert fresh.test_client().get(f"/api/polls/{POLL}").get_json()["status"] == "closed"


def test_init_db_never_writes_over_a_poll_an_editor_changed_in_the_desk(fresh):
    runner = fresh.test_cli_runner()
    invoke(runner, "init-db")
    add_editor(fresh)
    desk = fresh.test_client()
    assert log_in(desk).status_code == 302
    edit = f"/editors/polls/{POLL}/edit"
    with fresh.app_context():
        poll = find_poll(POLL)
        rows = [{"key": e.key, "title": e.title, "subtitle": e.subtitle} for e in poll.entries]
    rows[0]["title"] = "Retitled in the desk"
    form = poll_form("A title of the desk's", rows, slug=POLL, entry_noun="scene", entry_noun_plural="scenes")
    assert send(desk, edit, form).status_code == 302

    again = invoke(runner, "init-db")

    assert again.exit_code == 0, again.output
    with fresh.app_context():
        poll = find_poll(POLL)
        assert poll.title == "A title of the desk's" and poll.entries[0].title == "Retitled in the desk"


# ---------------------------------------------------------------- export and import


def sources(app) -> dict[str, int]:
    return app.test_client().get(f"/api/polls/{POLL}/results").get_json()["sources"]


def test_export_then_import_is_an_exact_round_trip(app, runner, keys, tmp_path):
    for way, ranking in zip(
        WAYS, ([8, 0], [8], [1, 8, 0], list(range(9)), [3, 5, 7, 1], [2], [4, 5]), strict=True
    ):
        cast_by(app, way, [keys[i] for i in ranking])
    exported = tmp_path / "ballots.csv"
    result = invoke(runner, "ballots", "export", "--poll", POLL, str(exported))
    assert result.exit_code == 0, result.output
    original = exported.read_bytes()
    assert original.startswith(b"\xef\xbb\xbf" + EXPORTED_HEADER.encode() + b"\r\n")
    assert original.count(b"\r\n") == 8
    results_before = app.test_client().get(f"/api/polls/{POLL}/results").get_json()
    assert results_before["sources"] == {
        "site": 1,
        "embed_cookie": 2,
        "embed_no_cookie": 2,
        "api": 1,
        "imported": 1,
    }

    with app.app_context():  # start again from an empty poll
        db.session.execute(delete(TallyCell))
        db.session.execute(delete(Ballot))
        db.session.commit()
    assert ballot_count(app) == 0

    result = invoke(runner, "ballots", "import", "--poll", POLL, str(exported))
    assert result.exit_code == 0, result.output
    assert "Imported 7 ballots" in result.output
    again = tmp_path / "again.csv"
    invoke(runner, "ballots", "export", "--poll", POLL, str(again))
    assert again.read_bytes() == original
    results_after = app.test_client().get(f"/api/polls/{POLL}/results").get_json()
    # The import is a new revision of the poll's results: a new tag, the same figures,
    # and every ballot still counted where it was cast.
    assert results_after.pop("figures_tag") != results_before.pop("figures_tag")
    assert results_after == results_before
    assert tally_differences(app, POLL) == []
    # The file is known: importing it twice needs --again.
    before = database_state(app)
    twice = invoke(runner, "ballots", "import", "--poll", POLL, str(exported))
    assert twice.exit_code == 1 and "add --again" in twice.output
    assert database_state(app) == before


def test_export_to_standard_output_matches_the_download(app, client, runner, keys):
    cast(app, keys, [2, 4], [6])
    result = invoke(runner, "ballots", "export", "--poll", POLL)
    assert result.exit_code == 0
    assert result.stdout_bytes == client.get(f"/polls/{POLL}/ballots.csv").get_data()


def test_import_adds_to_the_ballots_already_there(app, runner, keys, tmp_path):
    cast(app, keys, [0])
    path = tmp_path / "more.csv"
    path.write_bytes(f"{HEADER}\r\n1,{keys[1]},{keys[2]},,,,,,,\r\n2,{keys[3]},,,,,,,,\r\n".encode())
    assert invoke(runner, "ballots", "import", "--poll", POLL, str(path)).exit_code == 0
    assert ballot_count(app) == 3
    with app.app_context():
        readers = db.session.execute(select(Ballot.reader).order_by(Ballot.id)).scalars().all()
    assert readers[0] is not None and readers[1:] == [None, None]
    assert tally_differences(app, POLL) == []
    # A file without the source column says nothing of where its ballots were cast.
    assert sources(app) == {"site": 0, "embed_cookie": 0, "embed_no_cookie": 0, "api": 1, "imported": 2}


def test_import_keeps_the_sources_a_file_gives_and_counts_them(app, client, runner, keys, tmp_path):
    path = tmp_path / "sourced.csv"
    rows = [(keys[1], "embed_no_cookie"), (keys[2], "site"), (keys[1], "embed_no_cookie"), (keys[3], "api")]
    path.write_bytes(
        (
            f"{EXPORTED_HEADER}\r\n"
            + "".join(f"{n},{key},,,,,,,,,{source}\r\n" for n, (key, source) in enumerate(rows, 1))
        ).encode()
    )
    assert (
        invoke(runner, "ballots", "import", "--poll", POLL, str(path)).output
        == f"Imported 4 ballots into {POLL}.\n"
    )
    assert sources(app) == {"site": 1, "embed_cookie": 0, "embed_no_cookie": 2, "api": 1, "imported": 0}
    assert client.get(f"/polls/{POLL}/ballots.csv").get_data() == b"\xef\xbb\xbf" + path.read_bytes()
    assert tally_differences(app, POLL) == []


def test_import_accepts_fewer_columns_a_bom_and_plain_newlines(app, runner, keys, tmp_path):
    path = tmp_path / "short.csv"
    path.write_bytes(f"\ufeffballot,rank_1,rank_2\n1,{keys[1]},{keys[2]}\n\n2,{keys[3]},\n".encode())
    result = invoke(runner, "ballots", "import", "--poll", POLL, str(path))
    assert result.exit_code == 0, result.output
    assert ballot_count(app) == 2


class BadFile(NamedTuple):
    name: str
    content: bytes
    words: str


def good_rows(keys: list[str]) -> str:
    return f"{HEADER}\r\n1,{keys[0]},{keys[1]},,,,,,,\r\n2,{keys[2]},,,,,,,,\r\n"


GOOD, K0, K1 = b"{good}", b"{k0}", b"{k1}"
TOO_MANY_RANKS = b"ballot," + b",".join(b"rank_%d" % p for p in range(1, 11)) + b"\r\n"
BAD_FILES = [
    BadFile("an unknown key", GOOD + b"3,no-such-scene,,,,,,,,\r\n", "line 4: There is no entry called"),
    BadFile("a repeated key", GOOD + b"3,{k0},{k0},,,,,,,\r\n", "line 4: Each entry can be ranked only once"),
    BadFile("a gap", GOOD + b"3,{k0},,{k1},,,,,,\r\n", "line 4: an empty rank comes before a filled one"),
    BadFile("a gap at the start", GOOD + b"3,,{k1},,,,,,,\r\n", "line 4: an empty rank comes before"),
    BadFile("too few cells", GOOD + b"3,{k0}\r\n", "line 4: 2 cells, but the header has 10"),
    BadFile("too many cells", GOOD + b"3,{k0},,,,,,,,,\r\n", "line 4: 11 cells, but the header has 10"),
    BadFile("a wrong header", b"voter,rank_1,rank_2\r\n1,{k0},\r\n", "line 1: expected the header ballot,"),
    BadFile("ranks out of order", b"ballot,rank_2,rank_1\r\n1,{k0},\r\n", "line 1: expected the header"),
    BadFile("more ranks than scenes", TOO_MANY_RANKS, "line 1: 10 rank columns"),
    BadFile("not UTF-8", GOOD + b"3,caf\xe9,,,,,,,,\r\n", "line 4: not UTF-8"),
    BadFile("an empty file", b"", "the file is empty"),
    BadFile("broken quoting", GOOD + b'3,"{k0}"x,,,,,,,,\r\n', "line 4: not valid CSV"),
    BadFile(
        "an unknown source",
        b"ballot,rank_1,source\r\n1,{k0},site\r\n2,{k1},api\r\n3,{k1},the-moon\r\n",
        "line 4: 'the-moon' is not a source of ballots "
        "(one of site, embed_cookie, embed_no_cookie, api, imported).",
    ),
    BadFile(
        "an empty source", b"ballot,rank_1,source\r\n1,{k0},site\r\n2,{k1},\r\n", "line 3: '' is not a source"
    ),
    BadFile("a source but no column for it", GOOD + b"3,{k0},,,,,,,,,site\r\n", "line 4: 11 cells"),
]


@pytest.mark.parametrize("case", BAD_FILES, ids=[case.name for case in BAD_FILES])
def test_import_refuses_a_bad_file_whole_naming_the_line(app, runner, keys, tmp_path, case):
    cast(app, keys, [5, 6])
    before = database_state(app)
    content = case.content.replace(GOOD, good_rows(keys).encode())
    content = content.replace(K0, keys[0].encode()).replace(K1, keys[1].encode())
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = invoke(runner, "ballots", "import", "--poll", POLL, str(path))
    assert result.exit_code == 1, result.output
    assert case.words in result.output
    assert "Nothing was imported." in result.output
    assert "Traceback" not in result.output
    assert database_state(app) == before


def test_import_refuses_a_missing_file_and_an_unknown_poll(app, runner, tmp_path):
    missing = invoke(runner, "ballots", "import", "--poll", POLL, str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    path = tmp_path / "ok.csv"
    path.write_text(f"{HEADER}\r\n", encoding="utf-8")
    unknown = invoke(runner, "ballots", "import", "--poll", "no-such-poll", str(path))
    assert unknown.exit_code == 1
    assert f"There is no poll called 'no-such-poll' (known polls: {POLL})" in unknown.output


# ---------------------------------------------------------------- results


def test_results_prints_a_readable_table(app, runner, keys):
    cast(app, keys, [8, 0], [8], [1, 8, 0])
    result = invoke(runner, "results", "--poll", POLL)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "The most romantic K-drama kisses of 2014"
    assert lines[1] == "3 ballots, Borda rule: averaged"
    header = lines.index(next(line for line in lines if line.split()[:2] == ["Readers", "Editors"]))
    assert set(lines[header + 1]) == {"-"}
    table = [line.split() for line in lines[header + 2 : lines.index("", header)]]
    # readers, editors, move, points, first places, then the scene
    assert table[0][:5] == ["1", "9", "+8", "23", "2"]
    assert " ".join(table[0][5:]) == "Pinocchio: Toast kiss"
    assert table[1][:5] == ["2", "1", "-1", "16.5", "0"]
    assert table[2][:5] == ["3", "2", "-1", "14.5", "1"]
    assert table[4][:5] == ["4", "4", "=", "9", "0"]
    assert len(table) == 9
    assert any(line.startswith("Kendall's tau-b: 0.") for line in lines)
    assert any(line.startswith("Spearman's rho: 0.") for line in lines)


def test_results_of_an_unknown_poll_is_a_clear_error(runner):
    result = invoke(runner, "results", "--poll", "no-such-poll")
    assert result.exit_code == 1
    assert "There is no poll called 'no-such-poll'" in result.output


# ---------------------------------------------------------------- poll open and close


def test_poll_close_and_open(app, client, runner, keys):
    result = invoke(runner, "poll", "close", POLL)
    assert (result.exit_code, result.output) == (0, f"{POLL} is closed.\n")
    assert vote(client, [keys[0]]).status_code == 409
    result = invoke(runner, "poll", "open", POLL)
    assert (result.exit_code, result.output) == (0, f"{POLL} is open.\n")
    assert vote(client, [keys[0]]).status_code == 201


def test_poll_close_of_an_unknown_poll_fails(runner):
    result = invoke(runner, "poll", "close", "no-such-poll")
    assert result.exit_code == 1
    assert "There is no poll called 'no-such-poll'" in result.output


# ---------------------------------------------------------------- tally verify and rebuild


def corrupt(app, key: str, length: int, position: int, by: int) -> None:
    with app.app_context():
        entry_id = db.session.execute(select(Entry.id).where(Entry.key == key)).scalar_one()
        db.session.execute(
            update(TallyCell)
            .where(TallyCell.entry_id == entry_id, TallyCell.length == length, TallyCell.position == position)
            .values(ballots=TallyCell.ballots + by)
        )
        db.session.commit()


def test_tally_verify_passes_on_a_consistent_tally(app, runner, keys):
    cast(app, keys, [0, 1], [1, 0, 2])
    result = invoke(runner, "tally", "verify", "--poll", POLL)
    assert result.exit_code == 0, result.output
    assert "matches a recount" in result.output


def test_tally_verify_finds_a_corrupt_cell_and_rebuild_repairs_it(app, client, runner, keys):
    cast(app, keys, [0, 1], [1, 0, 2], [0])
    good = client.get(f"/api/polls/{POLL}/results").get_json()
    corrupt(app, keys[1], length=3, position=1, by=5)
    assert client.get(f"/api/polls/{POLL}/results").get_json() != good

    result = invoke(runner, "tally", "verify", "--poll", POLL)
    assert result.exit_code == 1
    assert f"{keys[1]} length 3 position 1: tally 6, recount 1" in result.output
    assert "differs from a recount in 1 places" in result.output

    result = invoke(runner, "tally", "rebuild", "--poll", POLL)
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    assert invoke(runner, "tally", "verify", "--poll", POLL).exit_code == 0
    repaired = client.get(f"/api/polls/{POLL}/results").get_json()
    # A rebuild is a new revision of the results: a new tag, the same figures.
    assert repaired.pop("figures_tag") != good.pop("figures_tag")
    assert repaired == good


def test_tally_verify_finds_a_missing_cell(app, runner, keys):
    cast(app, keys, [4, 2])
    with app.app_context():
        entry_id = db.session.execute(select(Entry.id).where(Entry.key == keys[2])).scalar_one()
        db.session.execute(delete(TallyCell).where(TallyCell.entry_id == entry_id))
        db.session.commit()
    result = invoke(runner, "tally", "verify", "--poll", POLL)
    assert result.exit_code == 1
    assert f"{keys[2]} length 2 position 2: tally 0, recount 1" in result.output
    assert invoke(runner, "tally", "rebuild", "--poll", POLL).exit_code == 0
    assert tally_differences(app, POLL) == []


def test_rebuild_keeps_every_ballot(app, runner, keys):
    cast(app, keys, [0], [1], [2, 3])
    before = database_state(app)["ballots"]
    invoke(runner, "tally", "rebuild", "--poll", POLL)
    assert database_state(app)["ballots"] == before


def test_a_changed_poll_file_updates_the_poll_and_moves_the_results_etag(app, client, keys):
    from dataclasses import replace

    from pollapp.catalogue.files import shipped_polls

    etag = client.get(f"/api/polls/{POLL}/results").headers["ETag"]
    spec = replace(shipped_polls()[0], borda_rule="modified")
    with app.app_context():
        assert sync_polls([spec]) == [f"{POLL}: updated, 9 entries"]
        assert sync_polls([spec]) == [f"{POLL}: unchanged, 9 entries"]
    results = client.get(f"/api/polls/{POLL}/results", headers={"If-None-Match": etag})
    assert results.status_code == 200
    assert results.get_json()["borda_rule"] == "modified"


# ---------------------------------------------------------------- open data formats and imports twice


@pytest.mark.parametrize("kind", ["soi", "cef", "csv"])
def test_each_format_exports_and_imports_back_the_same_ballots(app, client, runner, keys, tmp_path, kind):
    cast(app, keys, [8, 0], [8], [1, 8, 0], [8, 0], list(range(9)))
    exported = tmp_path / f"ballots.{kind}"
    result = invoke(runner, "ballots", "export", "--poll", POLL, "--format", kind, str(exported))
    assert result.exit_code == 0, result.output
    assert exported.read_bytes() == client.get(f"/polls/{POLL}/ballots.{kind}").get_data()
    before = client.get(f"/api/polls/{POLL}/results").get_json()
    with app.app_context():
        stored = Counter(db.session.execute(select(Ballot.ranking)).scalars())
        db.session.execute(delete(TallyCell))
        db.session.execute(delete(Ballot))
        db.session.commit()
    result = invoke(runner, "ballots", "import", "--poll", POLL, str(exported))
    assert result.exit_code == 0, result.output
    assert result.output == f"Imported 5 ballots into {POLL}.\n"
    with app.app_context():
        assert Counter(db.session.execute(select(Ballot.ranking)).scalars()) == stored
    after = client.get(f"/api/polls/{POLL}/results").get_json()
    assert after.pop("figures_tag") != before.pop("figures_tag")  # a new revision: a new tag
    if kind != "csv":  # only the CSV says where each ballot was cast; the others' are now from a file
        assert after.pop("sources")["imported"] == before.pop("sources")["api"] == 5
    assert after == before
    assert tally_differences(app, POLL) == []


def test_import_reads_the_format_it_is_told_whatever_the_name(app, runner, keys, tmp_path):
    path = tmp_path / "ballots.txt"
    path.write_text(f"{keys[2]} > {keys[0]} * 2\n", encoding="utf-8")
    result = invoke(runner, "ballots", "import", "--poll", POLL, "--format", "cef", str(path))
    assert result.exit_code == 0, result.output
    assert ballot_count(app) == 2


def test_a_bad_soi_file_is_refused_whole_naming_the_line(app, runner, keys, tmp_path):
    path = tmp_path / "bad.soi"
    path.write_text("# NUMBER ALTERNATIVES: 9\n3: 1,2\n1: 1,{2,3}\n", encoding="utf-8")
    before = database_state(app)
    result = invoke(runner, "ballots", "import", "--poll", POLL, str(path))
    assert result.exit_code == 1
    assert "line 3: a tie" in result.output and "Nothing was imported." in result.output
    assert database_state(app) == before


def test_importing_the_same_file_twice_is_refused_unless_again(app, runner, keys, tmp_path):
    path = tmp_path / "one.csv"
    path.write_bytes(f"{HEADER}\r\n1,{keys[1]},,,,,,,,\r\n".encode())
    first = invoke(runner, "ballots", "import", "--poll", POLL, str(path))
    assert first.output == f"Imported 1 ballot into {POLL}.\n"
    before = database_state(app)
    second = invoke(runner, "ballots", "import", "--poll", POLL, str(path))
    assert second.exit_code == 1
    assert f"was imported into {POLL} before (1 ballot, " in second.output
    assert "Nothing was imported; to import it once more, add --again." in second.output
    assert database_state(app) == before
    # The same ballots in another file are another import.
    other = tmp_path / "two.csv"
    other.write_bytes(path.read_bytes() + b"\r\n")
    assert invoke(runner, "ballots", "import", "--poll", POLL, str(other)).exit_code == 0
    again = invoke(runner, "ballots", "import", "--poll", POLL, "--again", str(path))
    assert again.exit_code == 0, again.output
    assert again.output == f"Imported 1 ballot into {POLL}.\n"
    assert ballot_count(app) == 3
    assert tally_differences(app, POLL) == []


def test_open_data_round_trip_and_the_second_import_on_each_database(make_app, database_uri, tmp_path):
    app = make_app(database_uri=database_uri)
    runner = app.test_cli_runner()
    keys = [entry["key"] for entry in app.test_client().get(f"/api/polls/{POLL}").get_json()["entries"]]
    cast(app, keys, [3, 1], [3, 1], [0])
    for kind, count in (("soi", 3), ("cef", 6)):
        path = tmp_path / f"b.{kind}"
        assert invoke(runner, "ballots", "export", "--poll", POLL, "--format", kind, str(path)).exit_code == 0
        assert invoke(runner, "ballots", "import", "--poll", POLL, str(path)).output.startswith(
            f"Imported {count} ballots"
        )
        assert invoke(runner, "ballots", "import", "--poll", POLL, str(path)).exit_code == 1
    with app.app_context():
        rankings = Counter(db.session.execute(select(Ballot.ranking)).scalars())
    assert rankings == Counter({f"{keys[3]},{keys[1]}": 8, keys[0]: 4})
    assert tally_differences(app, POLL) == []
    with app.app_context():
        # Imported ballots' times are stored as SQLAlchemy stores the import's own.
        imported_at = (
            db.session.execute(select(BallotImport.imported_at).order_by(BallotImport.id)).scalars().all()
        )
        created = db.session.execute(
            select(func.cast(Ballot.created_at, String)).where(Ballot.reader.is_(None)).order_by(Ballot.id)
        ).scalars()
        recorded = db.session.execute(
            select(func.cast(BallotImport.imported_at, String)).order_by(BallotImport.id)
        )
        assert sorted(set(created)) == sorted(recorded.scalars())
        assert len(imported_at) == 2


def test_a_ballots_csv_keeps_its_sources_through_export_and_import_on_each_database(
    make_app, database_uri, tmp_path
):
    app = make_app(database_uri=database_uri)
    runner = app.test_cli_runner()
    keys = [entry["key"] for entry in app.test_client().get(f"/api/polls/{POLL}").get_json()["entries"]]
    for i, way in enumerate(WAYS):
        cast_by(app, way, [keys[i], keys[i + 1]])
    mixed, again, one = tmp_path / "mixed.csv", tmp_path / "again.csv", tmp_path / "one.csv"
    assert invoke(runner, "ballots", "export", "--poll", POLL, str(mixed)).exit_code == 0
    before = sources(app)
    header, *rows = mixed.read_bytes().split(b"\r\n")
    # Every ballot from one source: the statement that takes one source for all of them.
    one.write_bytes(b"\r\n".join([header, *[row.rpartition(b",")[0] + b",api" for row in rows if row], b""]))

    for path, expected in ((mixed, before), (one, {**dict.fromkeys(before, 0), "api": 7})):
        with app.app_context():  # start again from an empty poll
            db.session.execute(delete(TallyCell))
            db.session.execute(delete(Ballot))
            db.session.commit()
        imported = invoke(runner, "ballots", "import", "--poll", POLL, str(path))
        assert imported.output == f"Imported 7 ballots into {POLL}.\n"
        assert sources(app) == expected
        assert invoke(runner, "ballots", "export", "--poll", POLL, str(again)).exit_code == 0
        assert again.read_bytes() == path.read_bytes()
        assert tally_differences(app, POLL) == []
