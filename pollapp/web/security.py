"""Response headers every page carries (framing and caching chosen by the
blueprint's policy), the session cookie's signer, the cap on request bodies,
and trusting a reverse proxy."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from .policy import current_policy


@lru_cache(maxsize=8)
def _default_headers(frame_ancestors: str) -> tuple[tuple[str, str, str], ...]:
    """(lowercase name, name, value) of each header a response gets unless it set its own."""
    headers = {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if frame_ancestors == "'none'":
        headers["X-Frame-Options"] = "DENY"
    return tuple((name.lower(), name, value) for name, value in headers.items())


def _headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    policy = current_policy()
    for lowered, name, value in _default_headers(policy.frame_ancestors()):
        if lowered not in present:
            headers.add(name, value)
    if policy.no_store:
        headers["Cache-Control"] = "no-store"
    elif "cache-control" not in present:
        # A view that knows how long its answer stays true says so (the
        # downloads, static files); anything else may be kept by the reader's
        # browser only, and only to ask again whether it changed.
        headers["Cache-Control"] = "no-cache, private"
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its signer built once per key rather than on every request."""

    def __init__(self) -> None:
        self._serializers: dict[object, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]


def _cap_streamed_body() -> None:
    """Refuse a body sent without a length (chunked) once it passes the cap.

    With a Content-Length, Werkzeug refuses an oversized body before reading
    it. Without one it reads up to the cap and quietly stops there, and a
    form or a JSON ballot cut short can still look whole. So a body that
    fills the cap is looked past, one byte on the server's own stream: if
    there is one, the body is too large (413); if not, it is exactly the cap
    and as welcome as the same body with a length. (Werkzeug's capped stream
    itself refuses any read at the cap, body over or not.) The body read here
    is kept for the form parser and the API. GET and HEAD bodies are never
    read, so they are left be.
    """
    limit = request.max_content_length
    if request.content_length is not None or limit is None or request.method in ("GET", "HEAD"):
        return
    if len(request.get_data(cache=True, parse_form_data=False)) >= limit:
        if request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge()


def init_app(app: Flask) -> None:
    hops = int(app.config["PROXY_FIX_X_FOR"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app
    app.session_interface = SessionInterface()
    app.before_request(_cap_streamed_body)
    app.after_request(_headers)
