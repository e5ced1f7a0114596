"""The one CSV writer for every download: UTF-8 with a byte order mark (so that
spreadsheet programs read Korean and every other script as UTF-8), RFC 4180,
safe in spreadsheets; and the ballots as PrefLib ``.soi`` and CEF files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from ..ballots.files import ballots_header, cef_chunks, soi_chunks
from ..ballots.service import stored_rankings
from ..core.ranking import format_points
from ..polls.models import Entry, Poll
from .service import Results

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 2_000
BYTE_ORDER_MARK = "\ufeff"
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
    # Entry keys are lowercase letters, digits and hyphens (core.terms.KEY_PATTERN):
    # plain CSV cells that need neither quoting nor neutralising.
    return _plain_ballots_csv(len(poll.entries), stored_rankings(poll))


def _plain_ballots_csv(size: int, stored: Iterable[str]) -> Iterator[str]:
    """The rows ``csv_chunks`` would write, made straight from the stored rankings.

    A stored ranking is plain keys joined by commas, which is already its CSV
    cells; a million ballots go out without a million calls to the writer.
    """
    yield "".join(csv_chunks(ballots_header(size), ()))
    padding = ["," * (size - k) for k in range(size + 1)]
    numbered = enumerate(stored, start=1)
    while batch := list(islice(numbered, ROWS_PER_CHUNK)):
        yield "".join(
            [f"{number},{ranking}{padding[ranking.count(',') + 1]}\r\n" for number, ranking in batch]
        )


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
