"""The web layer every blueprint shares: error handlers, security headers and
per-blueprint policies, static files put inside pages, the interface's languages, rate limits, poll lookup,
the request's reader, share links and the live watchers' unchanged refreshes."""

from __future__ import annotations

from flask import Flask

from . import errors, filters, inline, languages, limits, readers, security, sharing, unchanged


def init_app(app: Flask) -> None:
    languages.init_app(app)
    security.init_app(app)
    readers.init_app(app)
    filters.init_app(app)
    inline.init_app(app)
    errors.register_error_handlers(app)
    limits.init_app(app)
    sharing.init_app(app)
    unchanged.init_app(app)
