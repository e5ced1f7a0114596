"""Poll definitions: one TOML file per poll in ``pollapp/catalogue/polls/``.

The only place that reads a poll file. A poll's content is data; adding the
next poll means adding a file, not code.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from ..core.ranking import Rule
from ..core.terms import (
    KEY_LENGTH,
    KEY_PATTERN,
    LINK_LENGTH,
    MIN_BALLOTS,
    MOST_MIN_BALLOTS,
    NOUN_LENGTH,
    TITLE_LENGTH,
    PollStatus,
    ResultsVisibility,
    plausible_link,
    zone_of,
)

BLURB_LENGTH = 5000  # an intro or a blurb: a paragraph or two

POLLS_DIR = Path(__file__).parent / "polls"
# What an entry holds: a key and a title are required, the rest may be left out.
ENTRY_FIELDS = ("key", "title", "subtitle", "credit", "blurb", "link")


class PollFileError(ValueError):
    """A poll file that cannot be used, with a sentence saying why."""


# What may be given in another language ([translations.ko] for a poll, translations.ko for an entry).
POLL_TRANSLATED = ("title", "intro", "entry_noun", "entry_noun_plural")
ENTRY_TRANSLATED = ("title", "subtitle", "credit", "blurb")
LANGUAGE_CODE = re.compile(r"[a-z]{2}")
# Control characters, tabs and line breaks aside: not text anyone means to
# show (and PostgreSQL cannot keep a NUL in a text column).
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(text: str) -> str | None:
    """The first control character in ``text`` (as U+XXXX), or None."""
    found = CONTROL_CHARACTER.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


@dataclass(frozen=True)
class EntrySpec:
    key: str
    title: str
    subtitle: str
    credit: str
    blurb: str
    link: str | None
    translations: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class PollSpec:
    slug: str
    title: str
    intro: str
    borda_rule: Rule
    status: PollStatus
    results_visibility: ResultsVisibility
    entries: tuple[EntrySpec, ...]
    entry_noun: str = "entry"
    entry_noun_plural: str = "entries"
    translations: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, hash=False)
    min_ballots: int = MIN_BALLOTS
    # An open poll's schedule (aware times) and the zone they are shown in.
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    time_zone: str = "UTC"
    shuffle_entries: bool = True


def _text(table: dict[str, object], field: str, where: str, limit: int = TITLE_LENGTH) -> str:
    value = table.get(field)
    if not isinstance(value, str) or not value.strip():
        raise PollFileError(f"{where}: '{field}' must be a non-empty string")
    if len(value.strip()) > limit:
        raise PollFileError(f"{where}: '{field}' must be at most {limit} characters")
    if (control := control_character(value)) is not None:
        raise PollFileError(f"{where}: '{field}' holds a control character ({control}); plain text only")
    return value.strip()


def _optional_text(table: dict[str, object], field: str, where: str, limit: int = TITLE_LENGTH) -> str:
    if table.get(field) in (None, ""):
        return ""
    return _text(table, field, where, limit)


def _translations(table: dict[str, object], fields: tuple[str, ...], where: str) -> dict[str, dict[str, str]]:
    """The optional ``translations`` table: language code -> field -> text."""
    raw = table.get("translations", {})
    if not isinstance(raw, dict):
        raise PollFileError(f"{where}: 'translations' must be a table of languages")
    found: dict[str, dict[str, str]] = {}
    for language, texts in raw.items():
        there = f"{where}, translations.{language}"
        if not LANGUAGE_CODE.fullmatch(str(language)) or not isinstance(texts, dict):
            raise PollFileError(f"{there}: must be a table named by a two-letter language code, e.g. ko")
        unknown = sorted(set(texts) - set(fields))
        if unknown:
            raise PollFileError(
                f"{there}: only {', '.join(fields)} can be translated, not {', '.join(unknown)}"
            )
        limits = {"intro": BLURB_LENGTH, "blurb": BLURB_LENGTH, "entry_noun": NOUN_LENGTH}
        limits["entry_noun_plural"] = NOUN_LENGTH
        found[str(language)] = {
            name: _text(texts, name, there, limits.get(name, TITLE_LENGTH))
            for name in fields
            if name in texts
        }
    return found


def _entry(raw: dict[str, object], where: str) -> EntrySpec:
    link = _optional_text(raw, "link", where, LINK_LENGTH) or None
    if link is not None and not plausible_link(link):
        raise PollFileError(f"{where}: 'link' must be an http or https address, not {link!r}")
    return EntrySpec(
        key=_text(raw, "key", where, KEY_LENGTH),
        title=_text(raw, "title", where),
        subtitle=_optional_text(raw, "subtitle", where),
        credit=_optional_text(raw, "credit", where),
        blurb=_optional_text(raw, "blurb", where, BLURB_LENGTH),
        link=link,
        translations=_translations(raw, ENTRY_TRANSLATED, where),
    )


E = TypeVar("E", bound=StrEnum)


def _min_ballots(table: dict[str, object], where: str) -> int:
    value = table.get("min_ballots", MIN_BALLOTS)
    # TOML's booleans are not numbers here, though Python's are.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MOST_MIN_BALLOTS:
        raise PollFileError(f"{where}: 'min_ballots' must be a whole number from 1 to {MOST_MIN_BALLOTS}")
    return value


def _shuffle_entries(table: dict[str, object], where: str) -> bool:
    value = table.get("shuffle_entries", True)
    if not isinstance(value, bool):
        raise PollFileError(f"{where}: 'shuffle_entries' must be true or false")
    return value


def _choice(table: dict[str, object], field: str, choices: type[E], default: E, where: str) -> E:
    value = table.get(field, default)
    if value not in [choice.value for choice in choices]:
        names = ", ".join(choice.value for choice in choices)
        raise PollFileError(f"{where}: '{field}' must be one of {names}, not {value!r}")
    return choices(value)


def _moment(table: dict[str, object], field: str, where: str) -> datetime | None:
    """An optional time with its offset: a TOML offset date-time, or the same as text."""
    value = table.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise PollFileError(
            f"{where}: '{field}' must be a date and time with its offset, e.g. 2026-12-24T18:00:00+09:00"
        )
    return value.astimezone(UTC)


def _schedule(table: dict[str, object], where: str) -> tuple[datetime | None, datetime | None, str]:
    opens_at, closes_at = _moment(table, "opens_at", where), _moment(table, "closes_at", where)
    if opens_at is not None and closes_at is not None and opens_at >= closes_at:
        raise PollFileError(f"{where}: 'opens_at' must come before 'closes_at'")
    zone = table.get("time_zone", "UTC")
    if not isinstance(zone, str) or zone_of(zone) is None:
        raise PollFileError(
            f"{where}: 'time_zone' must be an IANA time zone such as Asia/Seoul, not {zone!r}"
        )
    return opens_at, closes_at, zone


def parse_poll(data: dict[str, object], where: str) -> PollSpec:
    """Check a poll definition and return it; raise PollFileError naming the problem."""
    slug = _text(data, "slug", where)
    if not KEY_PATTERN.fullmatch(slug):
        raise PollFileError(f"{where}: slug {slug!r} must be lowercase letters, digits and hyphens")
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list) or len(raw_entries) < 2:
        raise PollFileError(f"{where}: a poll needs at least two [[entries]]")
    entries = []
    for number, raw in enumerate(raw_entries, start=1):
        entry_where = f"{where}, entry {number}"
        if not isinstance(raw, dict):
            raise PollFileError(f"{entry_where}: must be a table")
        entry = _entry(raw, entry_where)
        if not KEY_PATTERN.fullmatch(entry.key):
            raise PollFileError(
                f"{entry_where}: key {entry.key!r} must be lowercase letters, digits and hyphens"
            )
        entries.append(entry)
    keys = [entry.key for entry in entries]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise PollFileError(f"{where}: entry keys must be unique; repeated: {', '.join(duplicates)}")
    rule = _choice(data, "borda_rule", Rule, Rule.AVERAGED, where)
    opens_at, closes_at, zone = _schedule(data, where)
    return PollSpec(
        slug=slug,
        title=_text(data, "title", where),
        intro=_text(data, "intro", where, BLURB_LENGTH),
        borda_rule=rule,
        status=_choice(data, "status", PollStatus, PollStatus.OPEN, where),
        results_visibility=_choice(
            data, "results_visibility", ResultsVisibility, ResultsVisibility.ALWAYS, where
        ),
        entries=tuple(entries),
        entry_noun=_optional_text(data, "entry_noun", where, NOUN_LENGTH) or "entry",
        entry_noun_plural=_optional_text(data, "entry_noun_plural", where, NOUN_LENGTH) or "entries",
        translations=_translations(data, POLL_TRANSLATED, where),
        min_ballots=_min_ballots(data, where),
        opens_at=opens_at,
        closes_at=closes_at,
        time_zone=zone,
        shuffle_entries=_shuffle_entries(data, where),
    )


def read_poll_file(path: Path) -> PollSpec:
    """Read and check a poll file of any name (an exchanged file)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise PollFileError(f"{path.name}: cannot read it ({error})") from error
    return parse_poll(data, path.name)


def load_poll_file(path: Path) -> PollSpec:
    """Read and check one shipped poll file, named by its slug."""
    spec = read_poll_file(path)
    if spec.slug != path.stem:
        raise PollFileError(f"{path.name}: slug {spec.slug!r} must match the file name")
    return spec


def shipped_polls(directory: Path = POLLS_DIR) -> list[PollSpec]:
    """Every poll file shipped with the app, in file-name order."""
    return [load_poll_file(path) for path in sorted(directory.glob("*.toml"))]


def _toml_string(text: str) -> str:
    # JSON's escapes are all valid in a TOML basic string; TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_lines(fields: Mapping[str, str | None]) -> list[str]:
    return [f"{name} = {_toml_string(value)}" for name, value in fields.items() if value]


def _translation_lines(translations: dict[str, dict[str, str]], prefix: str) -> list[str]:
    lines: list[str] = []
    for language, texts in sorted(translations.items()):
        lines += ["", f"[{prefix}translations.{language}]", *_toml_lines(texts)]
    return lines


def poll_file_text(spec: PollSpec) -> str:
    """The poll file for a poll: the same fields the catalogue's files hold, read back by parse_poll."""
    lines = _toml_lines(
        {
            "slug": spec.slug,
            "title": spec.title,
            "intro": spec.intro,
            "borda_rule": spec.borda_rule.value,
            "status": spec.status.value,
            "results_visibility": spec.results_visibility.value,
            "entry_noun": spec.entry_noun,
            "entry_noun_plural": spec.entry_noun_plural,
        }
    )
    lines.append(f"min_ballots = {spec.min_ballots}")
    zone = zone_of(spec.time_zone) or UTC
    for name, moment in (("opens_at", spec.opens_at), ("closes_at", spec.closes_at)):
        if moment is not None:  # a TOML offset date-time, in the poll's own zone
            lines.append(f"{name} = {moment.astimezone(zone).isoformat()}")
    if spec.time_zone != "UTC":
        lines.append(f"time_zone = {_toml_string(spec.time_zone)}")
    lines.append(f"shuffle_entries = {'true' if spec.shuffle_entries else 'false'}")
    lines += _translation_lines(spec.translations, "")
    for entry in spec.entries:
        lines += ["", "[[entries]]", *_toml_lines({name: getattr(entry, name) for name in ENTRY_FIELDS})]
        lines += _translation_lines(entry.translations, "entries.")
    return "\n".join(lines) + "\n"
