"""The reader cookies: signed random tokens that make one reader one ballot.

The site's reader cookie is first-party. The embed's is a partitioned cookie
(kept per top-level site, where a browser keeps one at all) that makes an
embed's reader the same reader across page loads. The database stores only a
hash, never a token itself nor the reader's address.
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
EMBED_SALT = "pollapp-embed-reader"  # an embed cookie is never taken for a site cookie, nor the other way
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)


@lru_cache(maxsize=8)
def _signer(secret_key: str, salt: str = SALT) -> Signer:
    return Signer(secret_key, salt=salt)


def sign(token: str, secret_key: str, salt: str = SALT) -> str:
    """The cookie value for a token: the token and its signature."""
    return _signer(secret_key, salt).sign(token).decode("ascii")


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


def embed_token() -> str | None:
    """The token of the embed's partitioned reader cookie, if the request carries a good one."""
    raw = request.cookies.get(current_app.config["EMBED_READER_COOKIE"])
    if not raw:
        return None
    try:
        token = _signer(str(current_app.config["SECRET_KEY"]), EMBED_SALT).unsign(raw).decode("ascii")
    except (BadSignature, UnicodeError):
        return None
    return token if len(token) == TOKEN_LENGTH else None


def new_embed_token() -> str:
    return secrets.token_urlsafe(32)


def embed_key(token: str) -> str:
    """The reader key an embed page holds for the reader of this cookie token.

    The embed's reader is always the key its page sends (``request_key_reader``);
    the cookie only makes the key the same on every page load. A request counts
    as coming with the cookie only when the key it sends is this one, so a page
    of another site cannot reach the reader's ballot by the cookie alone: it
    would need the key, which only the embed's own page holds.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"embed-key:" + token.encode("ascii"), hashlib.sha256).hexdigest()


def with_embed_cookie(key: str) -> bool:
    """Whether a request sending this reader key carries the embed cookie the key was made for."""
    token = embed_token()
    return token is not None and hmac.compare_digest(embed_key(token), key)


def embed_cookie_value(token: str) -> str:
    """The embed reader cookie's value for a token: the token and its signature."""
    return sign(token, str(current_app.config["SECRET_KEY"]), EMBED_SALT)


def set_embed_cookie(response: Response, token: str) -> None:
    """Give the response the embed's reader cookie: partitioned, for the poll pages only.

    ``SameSite=None; Secure`` is what lets a cross-site frame keep it at all;
    ``Partitioned`` keeps it apart per site the frame is shown on, which is
    what browsers that block third-party cookies still accept (CHIPS).
    """
    config = current_app.config
    response.set_cookie(
        config["EMBED_READER_COOKIE"],
        embed_cookie_value(token),
        max_age=int(config["READER_COOKIE_MAX_AGE"]),
        path="/polls/",
        secure=True,
        httponly=True,
        samesite="None",
        partitioned=True,
    )
