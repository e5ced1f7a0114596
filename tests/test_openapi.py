"""The OpenAPI 3.1 document describes the API truthfully: schemathesis calls the app against it."""

from __future__ import annotations

import copy
from http.cookies import SimpleCookie

import jsonschema_rs
import schemathesis
from hypothesis import HealthCheck, settings
from pollapp.api.openapi import openapi_document
from schemathesis import checks
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from helpers import POLL, ballot_count, csrf_token, reload_database, vote


def test_the_document_is_valid_openapi_3_1(client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1.")
    errors = [error.message for error in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_the_validator_does_catch_a_broken_document():
    broken = copy.deepcopy(openapi_document())
    del broken["info"]
    assert not OPENAPI_31_VALIDATOR.is_valid(broken)
    broken = copy.deepcopy(openapi_document())
    broken["paths"]["/api/polls/{slug}"]["get"]["responses"] = "none"
    assert not OPENAPI_31_VALIDATOR.is_valid(broken)


def test_the_document_covers_every_api_route(app, client):
    document = client.get("/api/openapi.json").get_json()
    documented = {
        (method.upper(), path) for path, operations in document["paths"].items() for method in operations
    }
    routes = {
        (method, rule.rule.replace("<slug>", "{slug}").replace("<token>", "{token}"))
        for rule in app.url_map.iter_rules()
        if (rule.rule.startswith("/api/") or rule.endpoint.startswith("oembed."))
        and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routes


def test_real_responses_match_their_schemas(client, keys):
    document = client.get("/api/openapi.json").get_json()
    schemas = document["components"]["schemas"]

    def validator(name: str) -> jsonschema_rs.Validator:
        return jsonschema_rs.validator_for({**schemas[name], "components": {"schemas": schemas}})

    assert validator("BallotIn").is_valid({"ranking": keys[:3]})
    assert not validator("BallotIn").is_valid({"ranking": [keys[0], keys[0]]})
    assert not validator("BallotIn").is_valid({"ranking": [], "reader": "x"})
    assert validator("Poll").is_valid(client.get(f"/api/polls/{POLL}").get_json())
    assert validator("Results").is_valid(client.get(f"/api/polls/{POLL}/results").get_json())
    posted = client.post(f"/api/polls/{POLL}/ballots", json={"ranking": keys[:2]})
    assert validator("BallotOut").is_valid(posted.get_json())
    assert validator("Results").is_valid(client.get(f"/api/polls/{POLL}/results").get_json())
    assert validator("Error").is_valid(client.get("/api/polls/no-such-poll").get_json())
    shared = client.post(f"/polls/{POLL}/shared", data={"csrf_token": csrf_token(client, f"/polls/{POLL}")})
    document = client.get("/api" + shared.headers["Location"]).get_json()
    assert validator("SharedRanking").is_valid(document)
    assert not validator("SharedRanking").is_valid({**document, "reader": "x"})


def test_the_app_serves_the_document_schemathesis_reads(client):
    assert client.get("/api/openapi.json").get_json() == openapi_document()


# Loaded from the document itself, so nothing starts at import; each test case
# is sent to the test's app, its database emptied and reloaded first. One run
# makes up poll names (mostly unknown polls), the other sends everything to the
# real poll so the bodies are read.
any_poll = schemathesis.openapi.from_dict(openapi_document())
the_poll = schemathesis.openapi.from_dict(
    openapi_document(), config=SchemathesisConfig.from_dict({"parameters": {"slug": POLL}})
)
SCHEMATHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# oEmbed answers a format it does not serve with 501, as its specification says.
OEMBED_EXCEPTIONS = [checks.not_a_server_error]


@any_poll.parametrize()
@SCHEMATHESIS
def test_the_api_keeps_to_its_schema_for_any_poll_name(app, case):
    reload_database(app)
    case.call_and_validate(app=app, excluded_checks=OEMBED_EXCEPTIONS if case.path == "/oembed" else [])


@the_poll.parametrize()
@SCHEMATHESIS
def test_the_api_keeps_to_its_schema_for_the_real_poll(app, keys, case):
    if "{slug}" in case.path:
        assert case.path_parameters == {"slug": POLL}
    reload_database(app)
    # A ballot already in, so that the results have numbers to show.
    assert vote(app.test_client(), keys[:3]).status_code == 201
    assert ballot_count(app) == 1, "the example did not start from the reloaded database"
    # The document cannot list each poll's keys, so a well-formed key the poll
    # lacks is rightly refused (400) although the schema allows its shape.
    excluded = [checks.positive_data_acceptance] + (OEMBED_EXCEPTIONS if case.path == "/oembed" else [])
    case.call_and_validate(app=app, excluded_checks=excluded)


def test_schemathesis_accepts_a_real_ballot_and_a_revote(app, keys):
    operation = the_poll["/api/polls/{slug}/ballots"]["POST"]
    first = operation.Case(path_parameters={"slug": POLL}, body={"ranking": keys[:3]})
    response = first.call_and_validate(app=app)
    assert response.status_code == 201
    name = app.config["READER_COOKIE"]
    cookie = SimpleCookie(response.headers["set-cookie"][0])[name].value
    again = operation.Case(path_parameters={"slug": POLL}, body={"ranking": keys[4:5]})
    assert again.call_and_validate(app=app, cookies={name: cookie}).status_code == 200
    results = the_poll["/api/polls/{slug}/results"]["GET"].Case(path_parameters={"slug": POLL})
    assert results.call_and_validate(app=app).json()["ballots"] == 1
