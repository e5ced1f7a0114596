"""Response headers every page carries (framing and caching chosen by the
blueprint's policy), the session cookie's signer, the cap on request bodies,
where a form came from, and trusting a reverse proxy."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import host_is_trusted

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


def _from_a_served_host(url: str) -> bool:
    """Whether ``url`` (an Origin or a Referer) is on a host name this app serves,
    over the scheme of this request."""
    default = {"http": 80, "https": 443}
    try:
        parts, here = urlsplit(url), urlsplit(f"{request.scheme}://{request.host}")
        port, here_port = parts.port, here.port
    except ValueError:  # not a URL at all, e.g. "http://[", or a port out of range
        return False
    if parts.scheme != request.scheme or not parts.hostname:
        return False
    if (port or default.get(parts.scheme)) != (here_port or default.get(here.scheme)):
        return False  # another port is another site, whatever its name
    if parts.hostname == here.hostname:
        return True
    trusted = current_app.config["TRUSTED_HOSTS"]
    return bool(trusted) and host_is_trusted(parts.hostname, trusted)


def _check_form_origin() -> None:
    """Refuse a form whose Origin (or, without one, Referer) is another site's.

    This runs after the CSRF token was found good, and only then. A form
    posted from this site's pages carries Origin in every current browser; a
    reader's privacy settings may strip Referer, or turn Origin into "null",
    and then the token alone decides, as it does when both are missing.
    """
    if not g.get("csrf_valid"):
        return
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        if not _from_a_served_host(origin):
            raise CSRFError("The origin is not a host this site serves.")
        return
    referrer = request.headers.get("Referer")
    if referrer and not _from_a_served_host(referrer):
        raise CSRFError("The referrer is not a host this site serves.")


def init_app(app: Flask) -> None:
    hops = int(app.config["PROXY_FIX_X_FOR"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app
    app.session_interface = SessionInterface()
    app.before_request(_cap_streamed_body)
    # After Flask-WTF's own check (registered when the app was made), which sets g.csrf_valid.
    app.before_request(_check_form_origin)
    app.after_request(_headers)
