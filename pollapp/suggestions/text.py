"""What a suggested title or sentence may hold, and when two titles are the same.

Suggestions are plain text: kept as typed (spaces collapsed), never read as
markup, and shown only escaped. Characters that are not text (controls,
direction overrides) are refused.
"""

from __future__ import annotations

import unicodedata

# Joins emoji sequences; the one format character a title may hold.
ZERO_WIDTH_JOINER = "\u200d"
# Dropped when matching, so that "it's" is "its"; other punctuation parts words.
APOSTROPHES = frozenset("'\u2019\u02bc")


def collapsed(text: str) -> str:
    """The text with every run of white space (line breaks too) made one space, trimmed."""
    return " ".join(text.split())


def is_plain(text: str) -> bool:
    """Whether the text holds only printable characters (and spaces)."""
    return all(c.isprintable() or c == ZERO_WIDTH_JOINER for c in text)


def normal_title(text: str) -> str:
    """A title as nominations are matched: compatible forms folded, case folded,
    punctuation and symbols dropped, spaces collapsed.

    >>> normal_title("  The  Heirs! "), normal_title("Boys-Over-Flowers"), normal_title("It’s Okay")
    ('the heirs', 'boys over flowers', 'its okay')
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(
        "" if c in APOSTROPHES else " " if unicodedata.category(c)[0] in "PSZC" else c for c in folded
    )
    return collapsed(kept)
