"""Response headers every page carries (framing and caching chosen by the
blueprint's policy), the session cookie's signer, the cap on request bodies,
where a form came from, and trusting a reverse proxy."""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import lru_cache
from typing import IO, TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import host_is_trusted
from werkzeug.wsgi import get_content_length

from .inline import sources
from .policy import current_policy

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


# What a browser opens as a document of its own, which may run script: the only
# answers the opener and permissions policies mean anything for.
DOCUMENT_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml")


def _is_document(content_type: str) -> bool:
    return content_type.partition(";")[0].strip().lower() in DOCUMENT_TYPES


@lru_cache(maxsize=16)
def _default_headers(
    frame_ancestors: str, document: bool, scripts: str = "", styles: str = ""
) -> tuple[tuple[str, str, str], ...]:
    """(lowercase name, name, value) of each header a response gets unless it set its own;
    ``document``: the answer is one a browser opens as a document (``DOCUMENT_TYPES``);
    ``scripts`` and ``styles`` are the hash sources of the inline ones the page may hold."""
    headers = {
        "Content-Security-Policy": (
            f"default-src 'self'; script-src 'self'{scripts}; style-src 'self'{styles}; "
            "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
            f"frame-ancestors {frame_ancestors}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    if document:  # a JSON answer, a download or a stylesheet opens no window and asks for no camera
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if frame_ancestors == "'none'":
        headers["X-Frame-Options"] = "DENY"
    return tuple((name.lower(), name, value) for name, value in headers.items())


def _headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    policy = current_policy()
    content_type = headers.get("Content-Type", "")
    document = _is_document(content_type)
    # Only a page can hold an inline script or style; any other answer's CSP lets none run.
    page = policy.inline and content_type.startswith("text/html")
    inline = sources(policy.inline) if page else {}
    defaults = _default_headers(
        policy.frame_ancestors(), document, inline.get("script-src", ""), inline.get("style-src", "")
    )
    for lowered, name, value in defaults:
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


def vary(response: Response, name: str) -> None:
    """Add ``name`` to the response's Vary header, as ``response.vary.add`` does,
    without parsing the header into a set and back on every response."""
    current = response.headers.get("Vary")
    if not current:
        response.headers["Vary"] = name
    elif name.lower() not in (part.strip().lower() for part in current.split(",")):
        response.headers["Vary"] = f"{current}, {name}"


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its signer built once per key rather than on every request."""

    def __init__(self) -> None:
        self._serializers: dict[object, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]


# Set in the WSGI environ when a body sent without a length could not be taken.
_BODY_FAULT = "pollapp.body_fault"


class StreamedBodies:
    """Read a body sent without a length (chunked) before the app sees it, and
    hand it on as a body with one.

    With a Content-Length, Werkzeug refuses an oversized body before reading
    it. Without one it reads up to the cap and quietly stops there, so a form
    or a JSON ballot cut short could still look whole; and a body the server
    cannot parse (a chunk size that is no number) would raise in the middle of
    a view or of an error page. Here the body is read once, up to one byte past
    the cap: past it, the request is refused as too large (413); a body the
    server could not read is refused as not understood (400); either way
    nothing reads it again. A body of exactly the cap is taken as the same body
    with a length is. GET and HEAD bodies are never read, so they are left be,
    as is a stream the server does not end itself (no ``wsgi.input_terminated``:
    Werkzeug reads nothing of those).
    """

    def __init__(self, wsgi_app: WSGIApplication, app: Flask) -> None:
        self.wsgi_app, self.app = wsgi_app, app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("wsgi.input_terminated")
            and get_content_length(environ) is None
            and environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
        ):
            limit = self.app.config["MAX_CONTENT_LENGTH"]
            try:
                body = _read_up_to(environ["wsgi.input"], None if limit is None else limit + 1)
            except Exception:  # whatever the server raises for a body it cannot parse (gunicorn: its own)
                environ[_BODY_FAULT], body = 400, b""
            if limit is not None and len(body) > limit:
                environ[_BODY_FAULT], body = 413, b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.wsgi_app(environ, start_response)


def _read_up_to(stream: IO[bytes], most: int | None) -> bytes:
    """The stream's bytes to its end, or its first ``most`` if it is longer."""
    pieces, size = [], 0
    while most is None or size < most:
        piece = stream.read(65536 if most is None else min(65536, most - size))
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces)


def _refuse_a_body_not_taken() -> None:
    fault = request.environ.get(_BODY_FAULT)
    if fault == 413:
        raise RequestEntityTooLarge()
    if fault == 400:
        raise BadRequest()


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
    app.wsgi_app = StreamedBodies(app.wsgi_app, app)  # type: ignore[method-assign]  # as ProxyFix above
    app.session_interface = SessionInterface()
    # First of all, before the CSRF check reads a form that was never taken.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_a_body_not_taken)
    # After Flask-WTF's own check (registered when the app was made), which sets g.csrf_valid.
    app.before_request(_check_form_origin)
    app.after_request(_headers)
