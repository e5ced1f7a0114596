"""Policies that differ by audience, chosen per blueprint: who may frame its
pages, how its errors are written, how the reader cookie is sent, whether
anything may keep its responses. Anything no blueprint claims (static files,
unknown URLs) gets the strictest default."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flask import Blueprint, current_app, request


@dataclass(frozen=True)
class Policy:
    # The setting (a CSP source list) naming who may show these pages in a
    # frame; None: nobody.
    frame_ancestors_setting: str | None = None
    # How errors are written: HTML pages (JSON still to a client that asks for
    # it in Accept), or always JSON.
    errors: Literal["html", "json"] = "html"
    reader_cookie_samesite: Literal["Lax", "Strict", "None"] = "Lax"
    # True: every response says Cache-Control: no-store, whatever the view
    # set, so that no browser or proxy keeps a copy (the editors' desk).
    # False: each view says how its responses may be cached.
    no_store: bool = False
    # Static files (scripts and styles) its pages carry inside themselves
    # (``inline.inline_static``); the CSP lets exactly these run, by hash.
    inline: tuple[str, ...] = ()

    def frame_ancestors(self) -> str:
        if self.frame_ancestors_setting is None:
            return "'none'"
        return str(current_app.config[self.frame_ancestors_setting])


STRICTEST = Policy()
_declared: dict[str, Policy] = {}


def declare(blueprint: Blueprint, policy: Policy) -> None:
    """Give every response of a blueprint this policy."""
    _declared[blueprint.name] = policy


def _blueprint_name() -> str | None:
    if request.blueprint is not None:
        return request.blueprint
    # No route matched (a 404, a 405): the blueprint whose URL prefix the path is under.
    path = request.path
    for name, blueprint in current_app.blueprints.items():
        prefix = (blueprint.url_prefix or "").rstrip("/")
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            return name
    return None


def current_policy() -> Policy:
    """The policy of the blueprint serving this request."""
    name = _blueprint_name()
    return STRICTEST if name is None else _declared.get(name, STRICTEST)
