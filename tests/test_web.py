"""The web layer every blueprint shares: errors by blueprint and Accept,
policies per blueprint, the reader resolved once per request, and a page's
data gathered in one call."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from pollapp.ballots import service as ballots_service
from pollapp.core.terms import ResultsVisibility
from pollapp.polls.service import find_poll
from pollapp.results import service as results_service
from pollapp.results.service import reader_view
from pollapp.web import policy, readers

from helpers import POLL, set_poll, vote

HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"  # what a browser sends


# ---------------------------------------------------------------- errors


class ErrorCase(NamedTuple):
    method: str
    path: str
    accept: str | None
    status: int
    json: bool


ERROR_CASES = [
    ErrorCase("GET", "/polls/no-such-poll", None, 404, False),
    ErrorCase("GET", "/polls/no-such-poll", HTML, 404, False),
    ErrorCase("GET", "/polls/no-such-poll", "application/json", 404, True),
    ErrorCase("GET", "/no/such/page", "application/json", 404, True),
    ErrorCase("GET", "/no/such/page", HTML, 404, False),
    ErrorCase("GET", "/api/polls/no-such-poll", None, 404, True),
    ErrorCase("GET", "/api/polls/no-such-poll", HTML, 404, True),
    # No route matched: the API's URL prefix still decides.
    ErrorCase("GET", "/api/no/such/endpoint", HTML, 404, True),
    ErrorCase("GET", "/api", None, 404, True),
    ErrorCase("DELETE", f"/api/polls/{POLL}/ballots", None, 405, True),
    ErrorCase("DELETE", f"/polls/{POLL}", None, 405, False),
    # A path that merely starts like the API's prefix is not the API.
    ErrorCase("GET", "/apiary", None, 404, False),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: f"{c.method} {c.path} {c.accept}")
def test_errors_are_json_for_the_api_and_for_clients_that_ask(client, case):
    headers = {"Accept": case.accept} if case.accept else {}
    response = client.open(case.path, method=case.method, headers=headers)
    assert response.status_code == case.status
    if case.json:
        assert response.mimetype == "application/json"
        assert isinstance(response.get_json()["error"], str) and response.get_json()["error"]
    else:
        assert response.mimetype == "text/html"
        assert "<h1>Sorry" in response.get_data(as_text=True)
    if case.status == 405:
        assert "Allow" in response.headers


def test_a_blueprint_without_a_declared_policy_gets_the_strictest(app):
    with app.test_request_context("/static/style.css"):
        assert policy.current_policy() is policy.STRICTEST
        assert policy.current_policy().frame_ancestors() == "'none'"
    with app.test_request_context(f"/api/polls/{POLL}"):
        assert policy.current_policy().errors == "json"
        assert policy.current_policy().frame_ancestors() == "'none'"


# ---------------------------------------------------------------- the reader, once per request


@pytest.fixture
def counted(monkeypatch):
    """How often this request unsigned the reader cookie and read the reader's ballot."""
    calls = {"unsign": 0, "ballot": 0}
    unsign, ballot = readers._token_from_cookie, ballots_service.reader_ballot

    def counting_unsign():
        calls["unsign"] += 1
        return unsign()

    def counting_ballot(poll, reader):
        calls["ballot"] += 1
        return ballot(poll, reader)

    monkeypatch.setattr(readers, "_token_from_cookie", counting_unsign)
    monkeypatch.setattr(results_service, "reader_ballot", counting_ballot)
    return calls


@pytest.mark.parametrize("visibility", list(ResultsVisibility))
@pytest.mark.parametrize("path", [f"/polls/{POLL}", f"/polls/{POLL}/results", "/"])
def test_a_page_reads_the_reader_and_their_ballot_once(app, client, keys, counted, path, visibility):
    set_poll(app, results_visibility=visibility)
    assert vote(client, keys[:3]).status_code == 201
    counted.update(unsign=0, ballot=0)
    response = client.get(path)
    hidden = path.endswith("/results") and visibility == ResultsVisibility.AFTER_CLOSE
    assert response.status_code == (403 if hidden else 200)
    assert counted == {"unsign": 1, "ballot": 1}


def test_a_new_reader_is_the_same_reader_for_the_rest_of_the_request(app):
    with app.test_request_context("/"):
        assert readers.current_reader() is None
        issued = readers.ensure_reader()
        assert readers.current_reader() == issued
        assert readers.ensure_reader() == issued


# ---------------------------------------------------------------- one call for a page


class ViewCase(NamedTuple):
    visibility: ResultsVisibility
    voted: bool
    visible: bool


VIEW_CASES = [
    ViewCase(ResultsVisibility.ALWAYS, False, True),
    ViewCase(ResultsVisibility.ALWAYS, True, True),
    ViewCase(ResultsVisibility.AFTER_VOTE, False, False),
    ViewCase(ResultsVisibility.AFTER_VOTE, True, True),
    ViewCase(ResultsVisibility.AFTER_CLOSE, False, False),
    ViewCase(ResultsVisibility.AFTER_CLOSE, True, False),
]


@pytest.mark.parametrize("case", VIEW_CASES, ids=lambda c: f"{c.visibility}-voted={c.voted}")
def test_reader_view_holds_the_ballot_the_visibility_and_the_results(app, keys, case):
    set_poll(app, results_visibility=case.visibility)
    reader = "r" * 64
    with app.app_context():
        poll = find_poll(POLL)
        if case.voted:
            ballots_service.cast_ballot(poll, reader, keys[:2])
        view = reader_view(poll, reader if case.voted else None, with_results=True)
        assert view.mine == (keys[:2] if case.voted else None)
        assert view.visible is case.visible
        assert [entry.key for entry in view.entries] == keys
        if case.visible:
            assert view.results is not None
            assert view.results.outcome.ballots == int(case.voted)
        else:
            assert view.results is None
        assert reader_view(poll, None).results is None  # results only when asked for
