"""The vocabulary poll data is made of: states as enums, and the shape of
slugs, keys and texts, each defined once for the models, the poll files, the
forms, the API and its OpenAPI document alike."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from functools import cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones


class PollStatus(StrEnum):
    DRAFT = "draft"  # being made in the desk: readers cannot see it, and it takes no ballots
    OPEN = "open"
    CLOSED = "closed"


class PollPhase(StrEnum):
    """Where a poll stands at a moment: its status with its schedule applied."""

    DRAFT = "draft"
    UPCOMING = "upcoming"  # open, but its opening time is still to come
    OPEN = "open"  # takes ballots
    CLOSED = "closed"  # closed by an editor, or its closing time has come


def poll_phase(
    status: PollStatus, opens_at: datetime | None, closes_at: datetime | None, now: datetime
) -> PollPhase:
    """A poll's phase at ``now``: the schedule acts only on an open poll, and
    a closing time takes effect at that very instant.

    >>> from datetime import UTC
    >>> noon, one = datetime(2026, 12, 3, 12, tzinfo=UTC), datetime(2026, 12, 3, 13, tzinfo=UTC)
    >>> [poll_phase(PollStatus.OPEN, None, one, at) for at in (noon, one)]
    [<PollPhase.OPEN: 'open'>, <PollPhase.CLOSED: 'closed'>]
    >>> poll_phase(PollStatus.OPEN, one, None, noon), poll_phase(PollStatus.DRAFT, None, None, noon)
    (<PollPhase.UPCOMING: 'upcoming'>, <PollPhase.DRAFT: 'draft'>)
    """
    if status == PollStatus.DRAFT:
        return PollPhase.DRAFT
    if status == PollStatus.CLOSED or (closes_at is not None and closes_at <= now):
        return PollPhase.CLOSED
    if opens_at is not None and opens_at > now:
        return PollPhase.UPCOMING
    return PollPhase.OPEN


class ResultsVisibility(StrEnum):
    """When readers may see a poll's results."""

    ALWAYS = "always"
    AFTER_VOTE = "after_vote"  # once the reader has cast a ballot
    AFTER_CLOSE = "after_close"  # once the poll is closed


class BallotSource(StrEnum):
    """Where a ballot was cast."""

    SITE = "site"  # the poll's own page, with the site's reader cookie
    EMBED_COOKIE = "embed_cookie"  # an embed in a frame that kept the embed's cookie
    EMBED_NO_COOKIE = "embed_no_cookie"  # an embed in a frame that could keep none
    API = "api"  # a script calling the JSON API
    IMPORTED = "imported"  # a file of ballots imported from the command line


class RescoreCause(StrEnum):
    """Why every ballot of a poll was scored anew after ballots were cast."""

    ENTRIES_ADDED = "entries_added"  # n grew, and with it the points each place earns
    RULE_CHANGED = "rule_changed"  # another Borda rule


# Slugs and entry keys: lowercase letters and digits in words joined by hyphens.
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_LENGTH = 100
KEY_LENGTH = 100
TITLE_LENGTH = 300  # a poll's title, and an entry's title, subtitle and credit
LINK_LENGTH = 2000  # an entry's link to a clip or page
NOUN_LENGTH = 40  # what a poll calls its entries: "scene", "scenes"
LINK_SCHEMES = ("http", "https")
RULE_LENGTH = 20
STATUS_LENGTH = 10
TIME_ZONE_LENGTH = 64  # an IANA time zone's name: "Asia/Seoul"
VISIBILITY_LENGTH = 20
SOURCE_LENGTH = 20
CAUSE_LENGTH = 20
# Below a poll's minimum of ballots its results are too early to call: no ranking yet.
MIN_BALLOTS = 30  # the default
MOST_MIN_BALLOTS = 1_000_000
# A shared ranking's address: secrets.token_urlsafe(32), 256 random bits in 43 URL-safe characters.
SHARE_TOKEN_BYTES = 32
SHARE_TOKEN_LENGTH = 43
SHARE_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def entry_label(title: str, subtitle: str) -> str:
    """How an entry is named in running text.

    >>> entry_label("Pinocchio", "Hand-to-mouth kiss"), entry_label("Pinocchio", "")
    ('Pinocchio: Hand-to-mouth kiss', 'Pinocchio')
    """
    return f"{title}: {subtitle}" if subtitle else title


def plausible_link(link: str) -> bool:
    """Whether an entry's link is an absolute http or https address with a host.

    >>> plausible_link("https://example.com/clip"), plausible_link("javascript:alert(1)")
    (True, False)
    """
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    return parts.scheme in LINK_SCHEMES and bool(parts.hostname) and not any(c.isspace() for c in link)


def key_from(text: str, taken: Collection[str] = (), fallback: str = "entry") -> str:
    """A key for a slug or an entry made from its title: lowercase ASCII words
    joined by hyphens, numbered when the plain key is taken.

    >>> key_from("Crash Landing on You"), key_from("Goblin!", taken={"goblin"}), key_from("도깨비")
    ('crash-landing-on-you', 'goblin-2', 'entry')
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    base = "-".join(words)[: KEY_LENGTH - 8].strip("-") or fallback
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}-{number}"
    return key


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA time zones a poll's times may be given in, UTC first, then by name."""
    named = sorted(name for name in available_timezones() if "/" in name and not name.startswith("Etc/"))
    return ("UTC", *named)


def zone_of(name: str) -> ZoneInfo | None:
    """The time zone of that IANA name, or None for a name that is not one.

    >>> zone_of("Asia/Seoul"), zone_of("Mars/Olympus")
    (zoneinfo.ZoneInfo(key='Asia/Seoul'), None)
    """
    return ZoneInfo(name) if name in time_zones() else None
