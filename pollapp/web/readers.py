"""The reader cookie: a signed random token that makes one reader one ballot.

The database stores only a hash of the token, never the token itself nor the
reader's address.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import lru_cache

from flask import Flask, Response, current_app, g, request
from itsdangerous import BadSignature, Signer, URLSafeSerializer

from .policy import current_policy

SALT = "pollapp-reader"
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)


@lru_cache(maxsize=8)
def _signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt=SALT)


def sign(token: str, secret_key: str) -> str:
    """The cookie value for a token: the token and its signature."""
    return _signer(secret_key).sign(token).decode("ascii")


def _token_from_cookie() -> str | None:
    raw = request.cookies.get(current_app.config["READER_COOKIE"])
    if not raw:
        return None
    secret_key = str(current_app.config["SECRET_KEY"])
    try:
        token = _signer(secret_key).unsign(raw).decode("ascii")
    except (BadSignature, UnicodeError):
        return None
    if len(token) == TOKEN_LENGTH:
        return token
    # Cookies issued by earlier versions carry the token JSON-encoded inside the
    # signed part; they are honoured until they expire, so nobody's ballot is orphaned.
    try:
        legacy = URLSafeSerializer(secret_key, salt=SALT).loads(raw)
    except BadSignature:
        return None
    return legacy if isinstance(legacy, str) and len(legacy) == TOKEN_LENGTH else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


_UNREAD = object()


def _token() -> str | None:
    """The reader's token from their cookie, unsigned once per request."""
    token = g.get("reader_token", _UNREAD)
    if token is _UNREAD:
        token = g.reader_token = _token_from_cookie()
    assert token is None or isinstance(token, str)
    return token


def current_reader() -> str | None:
    """The hashed identity of the reader making this request, if they have a cookie."""
    token = _token() or g.get("new_reader_token")
    return _hash(token) if token else None


def ensure_reader() -> str:
    """The reader's hashed identity, issuing a new cookie with the response if needed."""
    token = _token() or g.get("new_reader_token")
    if token is None:
        token = secrets.token_urlsafe(32)
        g.new_reader_token = token
    return _hash(token)


@lru_cache(maxsize=8)
def _cookie_attributes(max_age: int, secure: bool, samesite: str) -> str:
    # Max-Age alone: every browser in use honours it, and it needs no clock.
    return f"; Max-Age={max_age}; Path=/; HttpOnly; SameSite={samesite}" + ("; Secure" if secure else "")


def _set_cookie(response: Response) -> Response:
    token = g.pop("new_reader_token", None)
    if token is not None:
        config = current_app.config
        # The value is URL-safe base64 and a dot, so it needs no quoting; the
        # header is put together here because this runs for most ballots.
        attributes = _cookie_attributes(
            int(config["READER_COOKIE_MAX_AGE"]),
            bool(config.get("SESSION_COOKIE_SECURE")),
            current_policy().reader_cookie_samesite,
        )
        value = sign(token, str(config["SECRET_KEY"]))
        response.headers.add("Set-Cookie", f"{config['READER_COOKIE']}={value}{attributes}")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_set_cookie)


IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{8,200}")  # printable ASCII, no spaces


def request_key_reader(key: str) -> str:
    """The reader a script's ``Idempotency-Key`` stands for when it keeps no cookie.

    The same key is the same reader, so a ballot sent again after a lost
    answer replaces itself instead of counting twice. Keyed with the secret
    key, so it cannot be made to equal any cookie reader's identity.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"idempotency-key:" + key.encode("ascii"), hashlib.sha256).hexdigest()
