"""The one CSV writer for every download: UTF-8 with a byte order mark (so that
spreadsheet programs read Korean and every other script as UTF-8), RFC 4180,
safe in spreadsheets; and the ballots as PrefLib ``.soi`` and CEF files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import islice

from ..ballots.files import ballots_header, cef_chunks, soi_chunks
from ..ballots.service import counted_ballots, stored_rankings
from ..core.ranking import format_points
from ..polls.models import Entry, Poll
from .service import Results

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 2_000
BYTE_ORDER_MARK = "\ufeff"
# What the downloads hold, by version: 2 gave the ballots CSV its source
# column. A download's kept file and its ETag name the version, so a new one
# is never answered with a file, or a copy revalidated by its ETag, made by an
# older one (a closed poll's tally, and so its tag, never changes again).
LAYOUT = 2
RESULTS_HEADER = ["community_rank", "editor_rank", "key", "title", "subtitle", "points", "first_place_votes"]


def neutralise(cell: object) -> object:
    """Stop a spreadsheet reading a text cell as a formula (OWASP CSV injection).

    >>> neutralise("=1+1"), neutralise("Pinocchio"), neutralise(-1)
    ("'=1+1", 'Pinocchio', -1)
    """
    if isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """CSV text in chunks of many rows, after a byte order mark: lines end CRLF,
    every text cell neutralised."""
    buffer = io.StringIO(BYTE_ORDER_MARK)
    buffer.seek(0, io.SEEK_END)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    pending = 0
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        pending += 1
        if pending == ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def ballots_csv(poll: Poll) -> Iterator[str]:
    # Entry keys are lowercase letters, digits and hyphens (core.terms.KEY_PATTERN),
    # a source's value lowercase letters and underscores (core.terms.BallotSource):
    # plain CSV cells that need neither quoting nor neutralising.
    return _plain_ballots_csv(len(poll.entries), counted_ballots(poll))


def _plain_ballots_csv(size: int, stored: Iterable[str]) -> Iterator[str]:
    """The rows ``csv_chunks`` would write, made straight from the stored
    ballots (``counted_ballots``: the source, a comma, the ranking).

    A stored ranking is plain keys joined by commas, which is already its CSV
    cells; a million ballots go out without a million calls to the writer.
    """
    yield "".join(csv_chunks(ballots_header(size), ()))
    # After a ranking of k entries: its empty ranks, then the source's cell.
    after = ["," * (size - k + 1) for k in range(size + 1)]

    # Real ballots repeat: a row after its number is made once for the same
    # ballot, while it is among the last few thousand distinct ones.
    @lru_cache(maxsize=4_096)
    def row(ballot: str) -> str:
        source, _, ranking = ballot.partition(",")
        return f"{ranking}{after[ranking.count(',') + 1]}{source}\r\n"

    numbered = enumerate(stored, start=1)
    while batch := list(islice(numbered, ROWS_PER_CHUNK)):
        yield "".join([f"{number},{row(ballot)}" for number, ballot in batch])


def entry_name(entry: Entry) -> str:
    """An entry as the open data files name it."""
    return entry.label


def ballots_soi(poll: Poll) -> Iterator[str]:
    keys = [entry.key for entry in poll.entries]
    return soi_chunks(poll.title, [entry_name(e) for e in poll.entries], keys, stored_rankings(poll))


def ballots_cef(poll: Poll) -> Iterator[str]:
    keys = [entry.key for entry in poll.entries]
    return cef_chunks(poll.title, [entry_name(e) for e in poll.entries], keys, stored_rankings(poll))


def results_rows(result: Results) -> Iterator[list[object]]:
    for standing in result.outcome.standings:
        entry = result.entries[standing.entry]
        yield [
            standing.community_rank,
            standing.editor_rank,
            entry.key,
            entry.title,
            entry.subtitle,
            format_points(standing.points),
            standing.first_place_votes,
        ]


def results_csv(result: Results) -> Iterator[str]:
    return csv_chunks(RESULTS_HEADER, results_rows(result))
