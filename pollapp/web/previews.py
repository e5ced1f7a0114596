"""Link preview images drawn by the server: a 1200 x 630 PNG card with the
poll's title and its current top three, or a reader's picks for a shared
ranking, in the language the image's URL asks for (``?lang=``).

A card is drawn once per tag and kept in a file (``web.filecache``), and a
process trusts the tag it last read for ``PREVIEW_RECHECK`` seconds, so a
burst of crawlers costs a file read each (or a 304) and the database one
look per interval. A
poll's tag is the tally's (the results' ETag) with a digest of everything
else the card shows; a card of a poll whose results are hidden from readers
shows the editors' order, never the readers', and needs no tally at all.

Every text on a card is drawn as text: nothing in a title is read as markup.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import Response, current_app, request
from flask_babel import force_locale, gettext, ngettext
from PIL import Image, ImageDraw, ImageFont

from ..ballots.models import SharedRanking
from ..ballots.tally import read_tally
from ..extensions import db
from ..polls.models import Poll
from ..polls.service import entry_views
from ..results.service import results_of, visible_to
from . import filecache
from .languages import (
    DEFAULT,
    LANGUAGES,
    PREVIEW_CARDS,
    PREVIEW_SIZE,
    current_language,
    entries_shown,
    results_shown,
)
from .lookup import poll_or_404

log = logging.getLogger(__name__)

TOP = 3
# Raised whenever the drawing changes, so that no card drawn before is served after.
DRAWING = 1
WIDTH, HEIGHT = PREVIEW_SIZE
MARGIN = 80
TEXT_WIDTH = WIDTH - 2 * MARGIN
PAPER = (255, 250, 245)
INK = (33, 28, 36)
ACCENT = (190, 30, 78)
MUTED = (110, 100, 112)
LONGEST_TEXT = 300  # characters of any one text considered for a card

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Card:
    """What one preview image shows."""

    title: str
    heading: str
    lines: list[tuple[str, str]]  # (rank, label), at most three
    footer: str

    def digest(self) -> str:
        shown = [DRAWING, self.title, self.heading, self.lines, self.footer]
        return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()[:16]


def asked_language() -> str:
    """The image's language: only what its URL says, so one URL is one picture for every cache."""
    asked = request.args.get("lang")
    return asked if asked in LANGUAGES else DEFAULT


def plain(text: str) -> str:
    """The text as a card draws it: no control or format characters, spaces collapsed, not too long.

    >>> plain("A\\u202e\\x00 <b>\\nB</b>")
    'A <b> B</b>'
    """
    kept = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text[:LONGEST_TEXT])
    return " ".join(kept.split())


# ---------------------------------------------------------------- fonts


@dataclass(frozen=True)
class Fonts:
    regular: Callable[[int], Font]
    bold: Callable[[int], Font]
    korean: bool  # whether they draw Hangul


@lru_cache(maxsize=8)
def _truetype(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


@lru_cache(maxsize=8)
def _shipped(size: int) -> Font:
    return ImageFont.load_default(size)


_said: set[str] = set()


def _say_once(message: str, *values: object) -> None:
    if message not in _said:
        _said.add(message)
        log.warning(message, *values)


def fonts() -> Fonts:
    """The configured fonts, or Pillow's own font (Latin only) when they are missing."""
    config = current_app.config
    regular, bold, index = (
        str(config["PREVIEW_FONT"]),
        str(config["PREVIEW_BOLD_FONT"]),
        config["PREVIEW_FONT_INDEX"],
    )
    if Path(regular).is_file():
        bold = bold if Path(bold).is_file() else regular
        return Fonts(
            lambda size: _truetype(regular, int(index), size),
            lambda size: _truetype(bold, int(index), size),
            True,
        )
    _say_once(
        "Preview images: no font at %s; English cards use Pillow's own font, Korean ones the static card.",
        regular,
    )
    return Fonts(_shipped, _shipped, False)


# ---------------------------------------------------------------- drawing


def _fit(text: str, font: Font, width: int) -> str:
    """The text, cut with an ellipsis where it would be wider than ``width``."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(text: str, font: Font, width: int, most: int) -> list[str]:
    """The text in at most ``most`` lines no wider than ``width``, broken
    between words (within a word only when it is wider than a line alone)."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while font.getlength(line) > width:  # a word wider than a line: cut it where it must
            cut = len(line)
            while cut > 1 and font.getlength(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    if len(lines) > most:
        lines = lines[: most - 1] + [_fit(" ".join(lines[most - 1 :]) + "…", font, width)]
    return lines


def draw(card: Card, with_fonts: Fonts) -> bytes:
    """The card as a PNG of ``PREVIEW_SIZE``."""
    image = Image.new("RGB", PREVIEW_SIZE, PAPER)
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, 0, 24, HEIGHT), fill=ACCENT)
    pen.text(
        (MARGIN, 48), "♥ pollapp" if with_fonts.korean else "pollapp", font=with_fonts.bold(30), fill=ACCENT
    )
    y = 104
    title_font = with_fonts.bold(54)
    for line in wrap(plain(card.title), title_font, TEXT_WIDTH, 2):
        pen.text((MARGIN, y), line, font=title_font, fill=INK)
        y += 70
    y += 18
    pen.text(
        (MARGIN, y),
        _fit(plain(card.heading), with_fonts.bold(34), TEXT_WIDTH),
        font=with_fonts.bold(34),
        fill=ACCENT,
    )
    y += 60
    line_font, rank_font = with_fonts.regular(44), with_fonts.bold(44)
    for rank, label in card.lines[:TOP]:
        pen.text((MARGIN, y), rank, font=rank_font, fill=ACCENT)
        pen.text((MARGIN + 70, y), _fit(plain(label), line_font, TEXT_WIDTH - 70), font=line_font, fill=INK)
        y += 64
    pen.text(
        (MARGIN, HEIGHT - 72),
        _fit(plain(card.footer), with_fonts.regular(28), TEXT_WIDTH),
        font=with_fonts.regular(28),
        fill=MUTED,
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# ---------------------------------------------------------------- what a card shows


def _editors_lines(poll: Poll) -> list[tuple[str, str]]:
    entries = sorted(entries_shown(entry_views(poll)), key=lambda entry: entry.editor_rank)
    return [(str(entry.editor_rank), entry.label) for entry in entries[:TOP]]


def poll_card(poll: Poll) -> Card:
    """The poll's current top three, in the language in force: the readers' once
    their results are public and past the poll's minimum, else the editors'."""
    title = poll.shown("title", current_language())
    if not visible_to(poll, has_ballot=False):
        return Card(
            title,
            gettext("Editors' top %(top)s", top=TOP),
            _editors_lines(poll),
            gettext("Rank them yourself"),
        )
    result = results_shown(results_of(poll))
    ballots = result.outcome.ballots
    counted = ngettext("%(num)d ballot", "%(num)d ballots", ballots)
    if ballots < poll.min_ballots:
        return Card(title, gettext("Editors' top %(top)s", top=TOP), _editors_lines(poll), counted)
    lines = [(str(s.community_rank), result.entries[s.entry].label) for s in result.outcome.standings[:TOP]]
    return Card(title, gettext("Readers' top %(top)s", top=TOP), lines, counted)


def shared_card(poll: Poll, picks: list[str]) -> Card:
    """A reader's shared picks: their first three."""
    labels = {entry.key: entry.label for entry in entries_shown(entry_views(poll))}
    lines = [(str(place), labels[key]) for place, key in enumerate(picks[:TOP], start=1) if key in labels]
    title = poll.shown("title", current_language())
    return Card(title, gettext("A reader's top %(top)s", top=TOP), lines, gettext("Rank them yourself"))


def _poll_tag(poll: Poll, language: str) -> str:
    """What a poll's card depends on, read without drawing it: the tally (when
    it is shown) and the poll's own text in that language."""
    public = visible_to(poll, has_ballot=False)
    entries = [(e.key, e.label, e.editor_rank) for e in (v.in_language(language) for v in entry_views(poll))]
    own = [
        DRAWING,
        language,
        poll.shown("title", language),
        public,
        poll.min_ballots,
        str(poll.borda_rule),
        entries,
    ]
    digest = hashlib.sha256(json.dumps(own, ensure_ascii=False).encode()).hexdigest()[:16]
    return f"{read_tally(poll).tag}-{digest}" if public else f"hidden-{poll.id}-{digest}"


# ---------------------------------------------------------------- answering


def _folder() -> Path:
    base = current_app.config["FIGURES_FOLDER"] or Path(current_app.instance_path) / "figures"
    # Polls are numbered per database: two databases' cards never share a file.
    database = hashlib.sha256(db.engine.url.render_as_string().encode()).hexdigest()[:16]
    return Path(base) / "previews" / database


def _answer(tag: str, picture: Callable[[], bytes] | Path, max_age: int | None) -> Response:
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        data = picture.read_bytes() if isinstance(picture, Path) else picture()
        response = Response(data, mimetype="image/png")
    response.set_etag(tag)
    response.cache_control.public = True
    if max_age is None:
        response.cache_control.no_cache = True
    else:
        response.cache_control.max_age = max_age
    return response


def _static_card(language: str) -> Response:
    static = Path(current_app.static_folder or "") / PREVIEW_CARDS[language]
    return _answer(
        f"static-{language}-{static.stat().st_mtime_ns}", static, int(current_app.config["PREVIEW_MAX_AGE"])
    )


def _picture(name: str, tag: str, language: str, card: Callable[[], Card]) -> Path | None:
    """The kept file of the card at ``tag``, drawn if there is none; None where
    no font draws the language (the static card stands in)."""
    with_fonts = fonts()
    if language != DEFAULT and not with_fonts.korean:
        return None

    def make() -> bytes:
        with force_locale(language):
            return draw(card(), with_fonts)

    return filecache.kept_bytes(_folder(), name, tag, "png", make)


# A poll's picture as last found by this process, by (folder, slug, language):
# when it was found, its tag and its file. Trusted for PREVIEW_RECHECK seconds,
# so a crowd of crawlers costs the database one look per interval, not one each.
_recent: dict[tuple[Path, str, str], tuple[float, str, Path]] = {}


def poll_preview(slug: str) -> Response:
    """The poll's preview image, drawn once per tag."""
    language = asked_language()
    max_age = int(current_app.config["PREVIEW_MAX_AGE"])
    key = (_folder(), slug, language)
    found = _recent.get(key)
    if found is not None and time.monotonic() - found[0] < float(current_app.config["PREVIEW_RECHECK"]):
        _, known, kept = found
        if request.if_none_match.contains(known) or kept.exists():
            return _answer(known, kept, max_age)
    poll = poll_or_404(slug)
    tag = _poll_tag(poll, language)
    name = f"{poll.slug}-{language}"
    if request.if_none_match.contains(tag):
        # Remembered too: a crowd that only revalidates is spared the database as well.
        _recent[key] = (time.monotonic(), tag, filecache.kept_path(_folder(), name, tag, "png"))
        return _answer(tag, lambda: b"", max_age)
    path = _picture(name, tag, language, lambda: poll_card(poll))
    if path is None:
        return _static_card(language)
    _recent[key] = (time.monotonic(), tag, path)
    return _answer(tag, path, max_age)


def shared_preview(shared: SharedRanking, poll: Poll, picks: list[str]) -> Response:
    """A shared ranking's preview image; revalidated on every use, so that one
    taken down is gone from caches at once."""
    language = asked_language()
    with force_locale(language):
        card = shared_card(poll, picks)
    tag = f"shared-{card.digest()}"
    if request.if_none_match.contains(tag):
        return _answer(tag, lambda: b"", None)
    path = _picture(f"shared-{shared.token}-{language}", tag, language, lambda: card)
    return _static_card(language) if path is None else _answer(tag, path, None)


def forget_shared(token: str) -> None:
    """Delete a shared ranking's kept pictures (and their makers' lock files):
    taken down, nothing named after it stays behind."""
    for language in LANGUAGES:
        for kept in _folder().glob(f"shared-{token}-{language}[.-]*"):
            kept.unlink(missing_ok=True)
