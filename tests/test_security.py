"""Secure by default: headers, the reader cookie, no addresses stored, the secret key, rate limits."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from pathlib import Path

import pytest
from flask import Flask, url_for
from itsdangerous import URLSafeSerializer
from pollapp.ballots.models import Ballot
from pollapp.extensions import client_address, db, limiter
from pollapp.web import readers
from sqlalchemy import inspect, select, text

from helpers import POLL, PRODUCTION, ballot_count, csrf_token, vote

BALLOTS = f"/api/polls/{POLL}/ballots"
REDIS = "redis://127.0.0.1:6379"


def cookie_attributes(header: str) -> list[str]:
    return [part.strip().lower() for part in header.split(";")[1:]]


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def responses(client, keys: list[str]):
    """One response of every kind the app gives: pages, downloads, JSON, errors, a new ballot."""
    yield client.get("/")
    yield client.get(f"/polls/{POLL}")
    yield client.get(f"/polls/{POLL}/results")
    yield client.get(f"/polls/{POLL}/results.csv")
    yield client.get(f"/polls/{POLL}/ballots.csv")
    yield client.get(f"/api/polls/{POLL}")
    yield client.get(f"/api/polls/{POLL}/results")
    yield client.get("/api/openapi.json")
    yield client.get("/static/style.css")
    yield vote(client, [keys[0]])
    yield client.post(BALLOTS, data="x", content_type="text/plain")
    yield client.get("/polls/no-such-poll")
    yield client.get("/api/polls/no-such-poll")
    yield client.delete(f"/polls/{POLL}")
    yield client.post(f"/polls/{POLL}", data={"rank_1": keys[0]})


# ---------------------------------------------------------------- headers


def test_every_response_carries_the_security_headers(client, keys):
    for response in responses(client, keys):
        where = f"{response.request.method} {response.request.path} -> {response.status_code}"
        csp = csp_directives(response)
        scripts = csp.get("script-src", csp.get("default-src"))
        assert scripts is not None, where
        assert "'unsafe-inline'" not in scripts, where
        assert "'unsafe-eval'" not in scripts, where
        assert "*" not in scripts, where
        assert csp["default-src"] == ["'self'"], where
        assert csp["object-src"] == ["'none'"], where
        assert csp["frame-ancestors"] == ["'none'"], where
        assert response.headers["X-Frame-Options"] == "DENY", where
        assert response.headers["X-Content-Type-Options"] == "nosniff", where
        assert response.headers["Referrer-Policy"] in (
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin",
        ), where
        response.close()


def test_the_opener_and_permissions_policies_come_with_documents_alone(client, keys):
    documents = 0
    for response in responses(client, keys):
        where = f"{response.request.method} {response.request.path} -> {response.status_code}"
        if response.mimetype in ("text/html", "image/svg+xml"):
            documents += 1
            assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", where
            assert "camera=()" in response.headers["Permissions-Policy"], where
        else:  # JSON, CSV, a stylesheet: nothing a browser opens as a page
            assert "Cross-Origin-Opener-Policy" not in response.headers, where
            assert "Permissions-Policy" not in response.headers, where
        response.close()
    assert documents >= 5
    chart = client.get("/static/favicon.svg")
    assert chart.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    chart.close()


DOWNLOADS = {"site.results_csv", "site.ballots_csv", "site.ballots_soi", "site.ballots_cef"}
# Link preview images, for every crawler: a poll's kept a while, a shared ranking's revalidated each time.
PREVIEWS = {
    "site.preview_image": {"public", "max-age=300"},
    "site.shared_preview_image": {"public", "no-cache"},
}


def test_every_answer_says_how_it_may_be_cached(app, client, keys):
    """Every GET rule of the url_map, and every other kind of answer: the
    downloads keep their own freshness, static files Flask's, the desk never
    stores, and the rest may be kept by the reader's browser only to ask again."""
    assert vote(client, keys[:3]).status_code == 201
    shared = client.post(f"/polls/{POLL}/shared", data={"csrf_token": csrf_token(client, f"/polls/{POLL}")})
    assert shared.status_code == 303
    fillers = {"slug": POLL, "token": shared.headers["Location"].rsplit("/", 1)[1], "filename": "style.css"}
    answers = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        with app.test_request_context():
            path = url_for(rule.endpoint, **{name: fillers[name] for name in rule.arguments})
        answers[rule.endpoint] = client.get(path, query_string={"url": f"http://localhost/polls/{POLL}"})
    for number, response in enumerate(responses(client, keys)):
        answers[f"{response.request.method} {response.request.path} ({number})"] = response
    tag = client.get(f"/api/polls/{POLL}/results").headers["ETag"]
    answers["a page not modified"] = client.get(f"/api/polls/{POLL}/results", headers={"If-None-Match": tag})
    assert answers["a page not modified"].status_code == 304

    for name, response in answers.items():
        said = response.headers.get("Cache-Control")
        path = response.request.path
        if name in DOWNLOADS or path.endswith((".csv", ".soi", ".cef")):
            assert said is not None and "max-age=" in said and ("public" in said or "private" in said), name
        elif path.startswith("/static/"):
            assert said == "no-cache", name
        elif name in PREVIEWS:
            assert said is not None and {part.strip() for part in said.split(",")} == PREVIEWS[name], name
        elif path.startswith("/editors/"):
            assert said == "no-store", name
        else:
            assert said is not None and {part.strip() for part in said.split(",")} == {
                "no-cache",
                "private",
            }, (name, response.status_code, said)
        response.close()


def test_only_the_embed_is_framed_where_configured(make_app):
    client = make_app(EMBED_ALLOWED_ORIGINS="https://blog.example").test_client()
    response = client.get(f"/polls/{POLL}/embed")
    assert csp_directives(response)["frame-ancestors"] == ["https://blog.example"]
    # X-Frame-Options cannot name an origin, so it must not contradict the policy.
    assert "X-Frame-Options" not in response.headers
    # The readers' pages, the API, oEmbed, static files and unknown URLs: never framed.
    for path in (
        "/",
        f"/polls/{POLL}",
        f"/polls/{POLL}/results",
        "/oembed?url=x",
        "/api/openapi.json",
        f"/api/polls/{POLL}",
        "/static/style.css",
        "/no/such/page",
    ):
        response = client.get(path)
        assert csp_directives(response)["frame-ancestors"] == ["'none'"], path
        assert response.headers["X-Frame-Options"] == "DENY", path
        response.close()


def test_pages_hold_no_inline_script(client):
    for path in ("/", f"/polls/{POLL}", f"/polls/{POLL}/results", "/polls/no-such-poll"):
        html = client.get(path).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"{path}: inline script {tag}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"{path}: an inline event handler"


# ---------------------------------------------------------------- the reader cookie


def reader_cookie_header(response, name: str) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def test_the_reader_cookie_is_httponly_samesite_lax_and_long_lived(app, client, keys):
    header = reader_cookie_header(vote(client, [keys[0]]), app.config["READER_COOKIE"])
    attributes = cookie_attributes(header)
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert any(part.startswith("max-age=") and int(part[8:]) > 86400 * 300 for part in attributes)


def test_the_reader_cookie_is_secure_in_production(make_app, keys):
    app = make_app(**PRODUCTION)
    response = vote(app.test_client(), [keys[0]])
    assert "secure" in cookie_attributes(reader_cookie_header(response, app.config["READER_COOKIE"]))
    session = reader_cookie_header(app.test_client().get(f"/polls/{POLL}"), "session")
    assert "secure" in cookie_attributes(session)


def test_cookies_are_not_secure_in_development(app, client, keys):
    header = reader_cookie_header(vote(client, [keys[0]]), app.config["READER_COOKIE"])
    assert "secure" not in cookie_attributes(header)


def test_the_session_cookie_is_httponly_and_samesite_lax(client):
    response = client.get(f"/polls/{POLL}")
    session = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert session, "the CSRF token lives in the session"
    attributes = [part.strip().lower() for part in session[0].split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_the_reader_cookie_holds_no_reader_id_from_the_database(app, client, keys):
    vote(client, [keys[0]])
    cookie = client.get_cookie(app.config["READER_COOKIE"]).value
    with app.app_context():
        stored = db.session.execute(select(Ballot.reader)).scalar_one()
    assert stored not in cookie
    assert cookie.split(".")[0] not in stored


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            # Not the last character: some of its bits are padding that base64 ignores.
            lambda value: value[:-5] + ("A" if value[-5] != "A" else "B") + value[-4:],
            id="signature changed",
        ),
        pytest.param(lambda value: ("Z" if value[0] != "Z" else "Y") + value[1:], id="token changed"),
        pytest.param(lambda value: "not-a-signed-value", id="made up"),
        pytest.param(lambda value: "", id="empty"),
    ],
)
def test_a_tampered_cookie_is_a_new_reader(app, client, keys, tamper):
    name = app.config["READER_COOKIE"]
    assert vote(client, [keys[0]]).status_code == 201
    original = client.get_cookie(name).value
    client.set_cookie(name, tamper(original))
    response = vote(client, [keys[1]])
    assert response.status_code == 201
    assert response.get_json()["replaced"] is False
    assert client.get_cookie(name).value not in (original, tamper(original))
    assert ballot_count(app) == 2


def test_a_reader_cookie_from_before_the_shorter_format_still_finds_its_ballot(app, client, keys):
    """Earlier cookies carried the token JSON-encoded; they are honoured until they expire."""
    token = secrets.token_urlsafe(32)
    name = app.config["READER_COOKIE"]
    client.set_cookie(name, URLSafeSerializer(app.config["SECRET_KEY"], salt=readers.SALT).dumps(token))
    assert vote(client, [keys[0]]).status_code == 201
    assert client.get_cookie(name).value == URLSafeSerializer(
        app.config["SECRET_KEY"], salt=readers.SALT
    ).dumps(token), "a reader with a good cookie is not given a new one"
    response = vote(client, [keys[1]])
    assert response.status_code == 200
    assert response.get_json()["replaced"] is True
    assert ballot_count(app) == 1
    # The same token in today's format is the same reader.
    client.set_cookie(name, readers.sign(token, app.config["SECRET_KEY"]))
    assert vote(client, [keys[2]]).get_json()["replaced"] is True
    assert ballot_count(app) == 1


def test_a_cookie_signed_with_another_key_is_a_new_reader(app, make_app, client, keys):
    other = make_app(SECRET_KEY="a different key")
    stranger = other.test_client()
    vote(stranger, [keys[0]])  # signed by the other app, stored in the same database
    name = app.config["READER_COOKIE"]
    client.set_cookie(name, stranger.get_cookie(name).value)
    response = vote(client, [keys[1]])
    assert response.get_json()["replaced"] is False
    assert ballot_count(app) == 2


# ---------------------------------------------------------------- what is stored


def all_stored_text(app: Flask) -> str:
    """Every value in every table of the database, as text."""
    with app.app_context():
        chunks = []
        for table in inspect(db.engine).get_table_names():
            for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
                chunks.extend(str(value) for value in row)
        db.session.remove()
    return "\n".join(chunks)


def test_no_client_address_is_stored(app, keys):
    address, forwarded = "203.0.113.77", "198.51.100.99"
    client = app.test_client()
    environ = {"REMOTE_ADDR": address}
    headers = {"X-Forwarded-For": forwarded, "X-Real-IP": forwarded}
    response = client.post(BALLOTS, json={"ranking": [keys[0]]}, environ_base=environ, headers=headers)
    assert response.status_code == 201
    token = csrf_token(client)
    response = client.post(
        f"/polls/{POLL}",
        data={"csrf_token": token, "rank_1": keys[1]},
        environ_base=environ,
        headers=headers,
    )
    assert response.status_code == 302
    stored = all_stored_text(app)
    assert keys[1] in stored  # the scan does see the ballot
    for value in (address, forwarded, "203.0.113", "198.51.100", "203000113077"):
        assert value not in stored
    cookie = client.get_cookie(app.config["READER_COOKIE"]).value
    assert cookie not in stored


# ---------------------------------------------------------------- the secret key


def test_production_without_a_secret_key_refuses_to_start(make_app, monkeypatch, tmp_path):
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    monkeypatch.delenv("POLLAPP_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="refuses to start in production without a secret key") as error:
        make_app(PRODUCTION=True, SECRET_KEY=None)
    assert "POLLAPP_SECRET_KEY" in str(error.value)
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_with_an_empty_secret_key_refuses_to_start(make_app, monkeypatch, tmp_path):
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    with pytest.raises(RuntimeError, match="secret key"):
        make_app(PRODUCTION=True, SECRET_KEY="")


def test_development_makes_a_secret_key_once_and_keeps_it(make_app, monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    monkeypatch.delenv("POLLAPP_SECRET_KEY", raising=False)
    first = make_app(SECRET_KEY=None, schema=False)
    key_file = Path(first.instance_path) / "secret_key"
    assert key_file.parent == instance
    assert key_file.exists()
    assert key_file.stat().st_mode & 0o077 == 0, "only the owner may read the key"
    key = key_file.read_text(encoding="utf-8").strip()
    assert len(key) >= 32
    assert first.config["SECRET_KEY"] == key
    second = make_app(SECRET_KEY=None, schema=False)
    assert second.config["SECRET_KEY"] == key
    assert key_file.read_text(encoding="utf-8").strip() == key


def test_the_secret_key_comes_from_the_environment(make_app, monkeypatch, tmp_path):
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    monkeypatch.setenv("POLLAPP_SECRET_KEY", "from the environment, and long enough for production")
    app = make_app(**PRODUCTION, unset=("SECRET_KEY",), schema=False)
    assert app.config["SECRET_KEY"] == "from the environment, and long enough for production"
    assert not (tmp_path / "instance" / "secret_key").exists()


# ---------------------------------------------------------------- rate limits


def limited_app(make_app, storage: str = "memory://") -> Flask:
    return make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=storage, RATELIMIT_BALLOTS="3 per minute")


def test_the_api_answers_429_with_a_json_message_and_retry_after(make_app):
    app = limited_app(make_app)
    client = app.test_client()
    keys = [e["key"] for e in client.get(f"/api/polls/{POLL}").get_json()["entries"]]
    for ranking in ([keys[0]], [keys[1]], [keys[2]]):
        assert vote(client, ranking).status_code in (200, 201)
    response = vote(client, [keys[3]])
    assert response.status_code == 429
    assert response.mimetype == "application/json"
    message = response.get_json()["error"]
    retry = int(response.headers["Retry-After"])
    assert 0 < retry <= 60
    assert re.search(r"try again in \d+ seconds", message), message
    assert ballot_count(app) == 1
    assert client.get(f"/api/polls/{POLL}/results").get_json()["entries"][0]["key"] == keys[2]
    # Another address is not held back.
    assert vote_from(app, "192.0.2.9", keys[4]).status_code == 201


def test_a_ballot_that_was_taken_says_nothing_of_trying_again(make_app):
    app = limited_app(make_app)
    client = app.test_client()
    keys = [e["key"] for e in client.get(f"/api/polls/{POLL}").get_json()["entries"]]
    response = vote(client, keys[:2])
    assert response.status_code == 201
    assert "Retry-After" not in response.headers
    assert not [name for name in response.headers.keys() if name.lower().startswith("x-ratelimit")]


def test_too_many_downloads_are_called_downloads(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DOWNLOADS="2 per minute")
    client = app.test_client()
    path = f"/polls/{POLL}/ballots.csv"
    taken = [client.get(path) for _ in range(2)]
    assert [response.status_code for response in taken] == [200, 200]
    assert all("Retry-After" not in response.headers for response in taken)
    refused = client.get(path)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Too many downloads from your connection" in refused.get_data(as_text=True)


def test_the_form_answers_429_with_a_page(make_app):
    app = limited_app(make_app)
    client = app.test_client()
    keys = [e["key"] for e in client.get(f"/api/polls/{POLL}").get_json()["entries"]]
    for key in keys[:3]:
        response = client.post(f"/polls/{POLL}", data={"csrf_token": csrf_token(client), "rank_1": key})
        assert response.status_code == 302
    response = client.post(f"/polls/{POLL}", data={"csrf_token": csrf_token(client), "rank_1": keys[3]})
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "Retry-After" in response.headers
    html = response.get_data(as_text=True)
    assert re.search(r"try again in \d+ seconds", html)
    # Reading the poll is never limited.
    assert client.get(f"/polls/{POLL}").status_code == 200


def test_the_form_and_the_api_share_one_budget(make_app):
    app = limited_app(make_app)
    client = app.test_client()
    keys = [e["key"] for e in client.get(f"/api/polls/{POLL}").get_json()["entries"]]
    assert vote(client, [keys[0]]).status_code == 201
    form = {"csrf_token": csrf_token(client), "rank_1": keys[1]}
    assert client.post(f"/polls/{POLL}", data=form).status_code == 302
    assert vote(client, [keys[2]]).status_code == 200
    form = {"csrf_token": csrf_token(client), "rank_1": keys[3]}
    assert client.post(f"/polls/{POLL}", data=form).status_code == 429
    assert vote(client, [keys[4]]).status_code == 429
    assert client.get(f"/api/polls/{POLL}/results").get_json()["entries"][0]["key"] == keys[2]


def vote_from(app: Flask, address: str, key: str):
    return app.test_client().post(BALLOTS, json={"ranking": [key]}, environ_base={"REMOTE_ADDR": address})


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def test_separate_app_instances_do_not_share_memory_limits(make_app):
    """The control for the Redis test below: each instance counts alone in memory."""
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.1"
    first = limited_app(make_app)
    keys = [e["key"] for e in first.test_client().get(f"/api/polls/{POLL}").get_json()["entries"]]
    for key in keys[:3]:
        assert vote_from(first, address, key).status_code == 201
    second = limited_app(make_app)
    assert vote_from(second, address, keys[3]).status_code == 201


@pytest.mark.skipif(not redis_answers(), reason=f"Redis does not answer at {REDIS}")
def test_separate_app_instances_share_limits_through_redis(make_app):
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.2"  # a fresh count in Redis
    first = limited_app(make_app, storage=REDIS)
    keys = [e["key"] for e in first.test_client().get(f"/api/polls/{POLL}").get_json()["entries"]]
    for key in keys[:2]:
        assert vote_from(first, address, key).status_code == 201
    second = limited_app(make_app, storage=REDIS)  # another worker, its own connection
    assert vote_from(second, address, keys[2]).status_code == 201
    response = vote_from(second, address, keys[3])
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert ballot_count(second) == 3


def test_rate_limits_can_be_turned_off(make_app):
    app = make_app(RATELIMIT_ENABLED=False, RATELIMIT_BALLOTS="1 per minute")
    client = app.test_client()
    keys = [e["key"] for e in client.get(f"/api/polls/{POLL}").get_json()["entries"]]
    assert [vote(client, [key]).status_code for key in keys[:4]] == [201, 200, 200, 200]


def rate_limit_key(app: Flask, address: str) -> str:
    """What the rate limits count a request from ``address`` against."""
    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        return client_address()


def test_rate_limits_count_a_keyed_hash_never_the_address(make_app, keys):
    address = "203.0.113.77"
    app = make_app()
    key = rate_limit_key(app, address)
    assert re.fullmatch(r"[0-9a-f]{32}", key), key
    secret = app.config["SECRET_KEY"].encode()
    assert key == hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]
    assert key != hashlib.sha256(address.encode()).hexdigest()[:32], "a plain hash can be reversed by trying"
    assert rate_limit_key(app, address) == key, "one address is always counted as one"
    assert rate_limit_key(app, "203.0.113.78") != key
    assert rate_limit_key(make_app(SECRET_KEY="another key"), address) != key
    # What the limiter's store holds after a ballot from that address.
    limited = limited_app(make_app)
    assert vote_from(limited, address, keys[0]).status_code == 201
    with limited.app_context():
        stored = list(limiter.storage.storage)
    assert stored and all(rate_limit_key(limited, address) in name for name in stored), stored
    assert not any(part in name for name in stored for part in (address, "203.0.113", "203000113077")), stored
