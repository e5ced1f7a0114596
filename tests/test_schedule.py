"""An open poll's schedule: its phase at a moment, readers told when it opens
or closes in their language, a scheduled close taking effect at its instant
(the database's own clock, on SQLite and PostgreSQL, with no process to run
it), the desk's times in a time zone, and poll files carrying them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pollapp.core.terms import PollPhase, PollStatus, poll_phase
from pollapp.polls.service import entry_keys, find_poll

from helpers import POLL, csrf_token, database_state, set_poll, vote
from test_desk_polls import open_poll, poll_form, send

NOON = datetime(2026, 12, 3, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


class Phase(NamedTuple):
    name: str
    status: PollStatus
    opens_at: datetime | None
    closes_at: datetime | None
    expected: PollPhase


PHASES = [
    Phase("open, no schedule", PollStatus.OPEN, None, None, PollPhase.OPEN),
    Phase("within its times", PollStatus.OPEN, NOON - HOUR, NOON + HOUR, PollPhase.OPEN),
    Phase("its opening time to come", PollStatus.OPEN, NOON + HOUR, None, PollPhase.UPCOMING),
    Phase("the very instant it opens", PollStatus.OPEN, NOON, None, PollPhase.OPEN),
    Phase("the very instant it closes", PollStatus.OPEN, None, NOON, PollPhase.CLOSED),
    Phase("its closing time past", PollStatus.OPEN, NOON - 2 * HOUR, NOON - HOUR, PollPhase.CLOSED),
    Phase("closed by an editor before its time", PollStatus.CLOSED, None, NOON + HOUR, PollPhase.CLOSED),
    Phase("a draft's times do nothing", PollStatus.DRAFT, NOON - HOUR, NOON + HOUR, PollPhase.DRAFT),
]


@pytest.mark.parametrize("case", PHASES, ids=[case.name for case in PHASES])
def test_a_polls_phase_is_its_status_with_its_schedule_applied(case):
    assert poll_phase(case.status, case.opens_at, case.closes_at, NOON) == case.expected


# ---------------------------------------------------------------- ballots and the clock


@pytest.fixture
def app(make_app, database_uri: str) -> Flask:
    """Every test here on SQLite and on PostgreSQL."""
    return make_app(database_uri=database_uri)


@pytest.fixture
def keys(app: Flask) -> list[str]:
    with app.app_context():
        return entry_keys(find_poll(POLL))


def ballot_page(client: FlaskClient, keys: list[str]) -> object:
    token = csrf_token(client, "/editors/login")  # the poll page shows no form when it takes no ballot
    return client.post(f"/polls/{POLL}", data={"csrf_token": token, "rank_1": keys[0], "rank_2": keys[1]})


def test_a_scheduled_close_takes_effect_at_its_instant_with_no_process_to_run_it(app, keys):
    reader = app.test_client()
    set_poll(app, closes_at=datetime.now(UTC) + timedelta(seconds=2))
    assert vote(reader, keys[:2]).status_code == 201

    time.sleep(2.5)  # nothing runs in the meantime: the database's clock alone passes the time

    before = database_state(app)
    late = vote(reader, keys[2:4])  # by slug: the ballot path never loads the poll
    assert late.status_code == 409 and late.get_json()["code"] == "poll_closed"
    assert vote(app.test_client(), keys[:1]).status_code == 409
    assert ballot_page(app.test_client(), keys).status_code == 409
    assert database_state(app) == before
    assert reader.get(f"/api/polls/{POLL}").get_json()["status"] == "closed"
    page = reader.get(f"/polls/{POLL}").get_data(as_text=True)
    assert "This poll is closed." in page and 'name="rank_1"' not in page


def test_a_poll_takes_no_ballot_before_its_opening_time(app, keys):
    set_poll(app, opens_at=datetime.now(UTC) + 2 * HOUR + timedelta(minutes=1))
    before = database_state(app)

    early = vote(app.test_client(), keys[:2])

    assert early.status_code == 409 and "not open yet" in early.get_json()["error"]
    assert ballot_page(app.test_client(), keys).status_code == 409
    assert database_state(app) == before
    english = app.test_client().get(f"/polls/{POLL}?lang=en").get_data(as_text=True)
    assert "Opens in 2 hours" in english and "This poll is not open yet." in english
    assert "2시간 후 시작" in app.test_client().get(f"/polls/{POLL}?lang=ko").get_data(as_text=True)


def test_readers_are_told_when_the_poll_closes_in_their_language(app, keys):
    set_poll(app, closes_at=datetime.now(UTC) + timedelta(days=3, minutes=1))
    english = app.test_client().get(f"/polls/{POLL}?lang=en").get_data(as_text=True)
    assert "Closes in 3 days" in english
    assert "3일 후 마감" in app.test_client().get(f"/polls/{POLL}?lang=ko").get_data(as_text=True)
    assert vote(app.test_client(), keys[:2]).status_code == 201
    results = app.test_client().get(f"/polls/{POLL}/results?lang=en").get_data(as_text=True)
    assert "Closes in 3 days" in results


# ---------------------------------------------------------------- the desk


def test_a_closing_time_in_the_past_is_refused_and_nothing_is_stored(app, desk):
    past = (datetime.now(ZoneInfo("Asia/Seoul")) - HOUR).strftime("%Y-%m-%dT%H:%M")
    answer = send(desk, "/editors/polls/new", poll_form("Too late", closes=past, time_zone="Asia/Seoul"))
    assert answer.status_code == 400
    assert "This closing time has passed already" in answer.get_data(as_text=True)
    with app.app_context():
        assert find_poll("too-late") is None
    backwards = poll_form("Backwards", opens="2100-01-02T10:00", closes="2100-01-01T10:00")
    answer = send(desk, "/editors/polls/new", backwards)
    assert answer.status_code == 400 and "open before it closes" in answer.get_data(as_text=True)
    answer = send(desk, "/editors/polls/new", poll_form("Nowhere", time_zone="Mars/Olympus"))
    assert answer.status_code == 400 and "Choose a time zone" in answer.get_data(as_text=True)


def test_the_desk_takes_the_times_in_a_time_zone_and_stores_them_in_utc(app, desk, keys):
    form = poll_form(
        "Seoul evening", opens="2100-01-01T09:00", closes="2100-01-02T18:30", time_zone="Asia/Seoul"
    )
    assert send(desk, "/editors/polls/new", form).status_code == 302
    with app.app_context():
        poll = find_poll("seoul-evening")
        assert poll.opens_at == datetime(2100, 1, 1, 0, 0, tzinfo=UTC)
        assert poll.closes_at == datetime(2100, 1, 2, 9, 30, tzinfo=UTC)
        assert poll.time_zone == "Asia/Seoul"
    edit = desk.get("/editors/polls/seoul-evening/edit").get_data(as_text=True)
    assert 'value="2100-01-02T18:30"' in edit and '<option selected value="Asia/Seoul">' in edit
    open_poll(desk, "seoul-evening")  # opening now drops an opening time still to come
    with app.app_context():
        poll = find_poll("seoul-evening")
        assert poll.opens_at is None and poll.closes_at == datetime(2100, 1, 2, 9, 30, tzinfo=UTC)
    assert vote(app.test_client(), ["goblin"], slug="seoul-evening").status_code == 201


def test_opening_a_poll_its_closing_time_closed_lets_it_take_ballots_again(app, desk, keys):
    set_poll(app, closes_at=datetime.now(UTC) - HOUR)
    assert vote(app.test_client(), keys[:1]).status_code == 409
    assert "Closed" in desk.get("/editors/").get_data(as_text=True)

    open_poll(desk, POLL)

    with app.app_context():
        assert find_poll(POLL).closes_at is None
    assert vote(app.test_client(), keys[:1]).status_code == 201


# ---------------------------------------------------------------- poll files


def test_a_poll_file_carries_the_times_out_and_back_in(app, tmp_path):
    closes = datetime(2100, 1, 2, 9, 30, tzinfo=UTC)
    set_poll(app, closes_at=closes, time_zone="Asia/Seoul")
    exported = tmp_path / "poll.toml"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["polls", "export", POLL, str(exported)]).exit_code == 0
    text = exported.read_text(encoding="utf-8")
    assert "closes_at = 2100-01-02T18:30:00+09:00" in text and 'time_zone = "Asia/Seoul"' in text

    set_poll(app, closes_at=None, time_zone="UTC")
    done = runner.invoke(args=["polls", "import", str(exported)])

    assert done.exit_code == 0, done.output
    with app.app_context():
        poll = find_poll(POLL)
        assert (poll.closes_at, poll.time_zone) == (closes, "Asia/Seoul")
    exported.write_text(text.replace("2100-01-02T18:30:00+09:00", "2100-01-02T18:30:00"), encoding="utf-8")
    refused = runner.invoke(args=["polls", "import", str(exported)])
    assert refused.exit_code != 0 and "with its offset" in refused.output
