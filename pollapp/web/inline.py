"""Static files a page carries inside itself instead of fetching them, and the
Content-Security-Policy sources that let exactly those run.

The embed's own script and styles are in its page: a frame's first view is
paid in requests (bench figure 10), and what only the embed uses gains
nothing from being kept apart. A blueprint's policy names the files its pages
may carry (``Policy.inline``); the policy's CSP names each by its SHA-256, so
any other inline script or style is still refused, and a file changed without
its hash is simply not run.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app
from markupsafe import Markup

from .policy import current_policy

# Which CSP directive a file's name ending puts it under.
KINDS = {".js": "script-src", ".css": "style-src"}


@dataclass(frozen=True)
class Inlined:
    text: str
    source: str  # its CSP hash source, 'sha256-...'


@lru_cache(maxsize=32)
def _read(path: str, modified_ns: int) -> Inlined:
    text = Path(path).read_text(encoding="utf-8")
    # Inside <script> or <style>, these would end the element or change how it is read.
    for sequence in ("</", "<!--"):
        if sequence in text:
            raise ValueError(f"{Path(path).name} holds {sequence!r}, so it cannot be put inside a page")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Inlined(text, f"'sha256-{digest}'")


def inlined(filename: str, app: Flask | None = None) -> Inlined:
    """A static file's text and hash, read again only when the file changes."""
    if not filename.endswith(tuple(KINDS)):
        raise ValueError(f"{filename}: only scripts (.js) and styles (.css) are put inside pages")
    # Asked for by every answer of a blueprint that inlines files (its CSP names
    # them), so a plain string and one stat, not a Path made each time.
    path = os.path.join((app or current_app).static_folder or "", filename)
    return _read(path, os.stat(path).st_mtime_ns)


def inline_static(filename: str) -> Markup:
    """The text of a static file for a ``<script>`` or ``<style>`` element of this page."""
    if filename not in current_policy().inline:
        raise LookupError(f"{filename} is not among the files this blueprint's policy lets its pages carry")
    return Markup(inlined(filename).text)  # checked above to hold nothing that ends its element


def sources(filenames: tuple[str, ...]) -> dict[str, str]:
    """The hash sources of these files by CSP directive, each list led by a space."""
    found = {directive: "" for directive in KINDS.values()}
    for filename in filenames:
        found[KINDS[filename[filename.rindex(".") :]]] += " " + inlined(filename).source
    return found


def init_app(app: Flask) -> None:
    app.add_template_global(inline_static, "inline_static")
