"""Generated garbage thrown at the API and the form: always a clear 4xx, never a 5xx, nothing half-stored."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import POLL, ballot_count, csrf_token, database_state, reload_database, tally_differences, vote

SIZE = 9
GARBAGE = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KEYS = [
    "pinocchio-hand-to-mouth",
    "emergency-couple-bus-stop",
    "my-love-from-another-star-final",
    "its-okay-thats-love-waterfall",
    "my-lovable-girl-first",
    "high-school-love-on-bubble-gum",
    "doctor-stranger-reunion",
    "bride-of-the-century-mall-proposal",
    "pinocchio-toast",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.sampled_from(KEYS),
    lambda children: (
        st.lists(children, max_size=12) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=40,
)
rankings = st.lists(st.sampled_from(KEYS) | st.text(max_size=30), max_size=12)
extra_fields = st.dictionaries(st.text(), json_values, max_size=3)
valid_ballots = st.builds(
    lambda order, k: {"ranking": order[:k]}, st.permutations(KEYS), st.integers(1, SIZE)
)
ballot_bodies = st.one_of(
    valid_ballots,
    st.builds(lambda ranking: {"ranking": ranking}, rankings),
    st.builds(lambda ranking, extra: {"ranking": ranking, **extra}, rankings, extra_fields),
    json_values,
)
printable_header = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
content_types = st.one_of(
    st.just("application/json"),
    st.sampled_from(
        [
            "application/json; charset=utf-8",
            "application/json; charset=latin-1",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/plain",
            "text/html",
            "application/xml",
            "application/jsonx",
            "APPLICATION/JSON",
            "",
        ]
    ),
    printable_header,
)
KNOWN_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
methods = st.sampled_from(KNOWN_METHODS) | st.from_regex(r"\A[A-Z]{1,12}\Z")


def deep(depth: int, opener: bytes, closer: bytes) -> bytes:
    return b'{"ranking": ' + opener * depth + closer * depth + b"}"


bodies = st.one_of(
    ballot_bodies.map(lambda value: json.dumps(value).encode()),
    ballot_bodies.map(lambda value: json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
    st.integers(1, 40_000).map(lambda depth: deep(depth, b"[", b"]")),
    st.integers(1, 20_000).map(lambda depth: deep(depth, b'{"a":', b"}")),
    st.integers(1, 200_000).map(lambda size: json.dumps({"ranking": ["x" * size]}).encode()),
    st.integers(1, 5_000).map(lambda size: json.dumps({"ranking": KEYS[:1] * size}).encode()),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
)


def is_valid_ballot(body: bytes) -> bool:
    """An independent statement of a valid ballot: a list of distinct known keys, at least one."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return False
    if not isinstance(value, dict) or set(value) != {"ranking"}:
        return False
    ranking = value["ranking"]
    return (
        isinstance(ranking, list)
        and 1 <= len(ranking) <= SIZE
        and all(isinstance(key, str) and key in KEYS for key in ranking)
        and len(set(ranking)) == len(ranking)
    )


def check_refusal(response, api: bool) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data()[:300])
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    assert 'File "' not in body
    assert response.mimetype == ("application/json" if api else "text/html"), response.mimetype
    if response.request.method == "HEAD":
        assert body == "", "a reply to HEAD has no body"
    elif api:
        message = response.get_json()["error"]
        assert isinstance(message, str) and 10 < len(message) < 400, message


def test_the_site_has_the_keys_this_file_uses(keys):
    assert keys == KEYS


def two_ballots_in(app: Flask) -> list[FlaskClient]:
    """For each example: the database reloaded, then ballots from two readers;
    those two are handed back with a third who has not voted."""
    reload_database(app)
    readers = [app.test_client() for _ in range(3)]
    assert vote(readers[0], KEYS[:3]).status_code == 201
    assert vote(readers[1], KEYS[8:]).status_code == 201
    assert ballot_count(app) == 2, "the example did not start from the reloaded database"
    return readers


@GARBAGE
@given(body=bodies, content_type=content_types, reader=st.integers(0, 2))
def test_garbage_ballots_to_the_api(app, body, content_type, reader):
    readers = two_ballots_in(app)
    client = readers[reader]
    before = database_state(app)
    headers = {"Content-Type": content_type}
    response = client.post(f"/api/polls/{POLL}/ballots", data=body, headers=headers)
    sent_json = content_type.split(";")[0].strip().lower() == "application/json"
    if response.status_code in (200, 201):
        assert sent_json and is_valid_ballot(body), body[:200]
        assert response.get_json()["ranking"] == json.loads(body)["ranking"]
        # The first two readers have voted already; the third has not.
        assert response.status_code == (200 if reader < 2 else 201)
        assert response.get_json()["replaced"] is (reader < 2)
    else:
        check_refusal(response, api=True)
        assert not (sent_json and is_valid_ballot(body)), body[:200]
        assert database_state(app) == before
    assert tally_differences(app, POLL) == []


@GARBAGE
@given(method=methods, path_tail=st.sampled_from(["", "/ballots", "/results", "/nothing"]), body=bodies)
def test_garbage_methods_on_the_api(app, method, path_tail, body):
    two_ballots_in(app)
    client = app.test_client()
    before = database_state(app)
    path = f"/api/polls/{POLL}{path_tail}"
    response = client.open(path, method=method, data=body, headers={"Content-Type": "application/json"})
    status = response.status_code
    if status in (200, 201):
        allowed = {"": {"GET", "HEAD", "OPTIONS"}, "/results": {"GET", "HEAD", "OPTIONS"}}
        allowed["/ballots"] = {"POST", "OPTIONS"}
        assert method in allowed.get(path_tail, set()), (method, path)
        if method == "POST":
            assert is_valid_ballot(body)
    else:
        check_refusal(response, api=True)
        assert database_state(app) == before
    assert tally_differences(app, POLL) == []


def is_slash_redirect(response) -> bool:
    """An address with an empty segment (``/polls//results``) is sent to its tidy form."""
    return response.status_code == 308 and response.headers["Location"].startswith("http://localhost/")


@GARBAGE
@given(slug=st.text(max_size=120), body=bodies)
def test_garbage_poll_names(app, slug, body):
    two_ballots_in(app)
    client = app.test_client()
    before = database_state(app)
    for path in (f"/api/polls/{slug}", f"/api/polls/{slug}/ballots", f"/api/polls/{slug}/results"):
        response = client.post(path, data=body, headers={"Content-Type": "application/json"})
        if response.status_code not in (200, 201) and not is_slash_redirect(response):
            check_refusal(response, api=True)
    for path in (f"/polls/{slug}", f"/polls/{slug}/results", f"/polls/{slug}/results.csv"):
        response = client.get(path)
        if response.status_code != 200 and not is_slash_redirect(response):
            check_refusal(response, api=False)
        response.close()
    if slug != POLL:
        assert database_state(app) == before


form_values = st.sampled_from(KEYS) | st.just("") | st.text(max_size=40)
form_fields = st.dictionaries(
    st.sampled_from([f"rank_{p}" for p in range(0, SIZE + 3)]) | st.text(max_size=10),
    form_values,
    max_size=SIZE + 3,
)


def is_valid_form(fields: dict[str, str]) -> bool:
    chosen = [fields.get(f"rank_{p}", "") for p in range(1, SIZE + 1)]
    ranked = [key for key in chosen if key]
    return (
        bool(ranked)
        and chosen[: len(ranked)] == ranked
        and all(key in KEYS for key in ranked)
        and len(set(ranked)) == len(ranked)
    )


@GARBAGE
@given(fields=form_fields, with_token=st.booleans())
def test_garbage_forms(app, fields, with_token):
    two_ballots_in(app)
    client = app.test_client()
    data = dict(fields)
    if with_token:
        data["csrf_token"] = csrf_token(client)
    before = database_state(app)
    response = client.post(f"/polls/{POLL}", data=data)
    if response.status_code == 302:
        assert with_token and is_valid_form(fields), fields
        assert database_state(app)["ballots"] != before["ballots"]
    else:
        check_refusal(response, api=False)
        assert not (with_token and is_valid_form(fields)), fields
        assert database_state(app) == before
    assert tally_differences(app, POLL) == []


@GARBAGE
@given(body=st.binary(max_size=2_000), content_type=content_types, with_token=st.booleans())
def test_garbage_bytes_to_the_form(app, body, content_type, with_token):
    two_ballots_in(app)
    client = app.test_client()
    if with_token:
        body = b"csrf_token=" + csrf_token(client).encode() + b"&" + body
    before = database_state(app)
    response = client.post(f"/polls/{POLL}", data=body, headers={"Content-Type": content_type})
    if response.status_code != 302:
        check_refusal(response, api=False)
        assert database_state(app) == before
    assert tally_differences(app, POLL) == []
