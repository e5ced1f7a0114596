"""The one CSV writer for every download: UTF-8, RFC 4180, safe in spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from . import services
from .models import Poll
from .ranking import check_ballot

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 2_000
RESULTS_HEADER = ["community_rank", "editor_rank", "key", "drama", "scene", "points", "first_place_votes"]


def neutralise(cell: object) -> object:
    """Stop a spreadsheet reading a text cell as a formula (OWASP CSV injection).

    >>> neutralise("=1+1"), neutralise("Pinocchio"), neutralise(-1)
    ("'=1+1", 'Pinocchio', -1)
    """
    if isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """CSV text in chunks of many rows: lines end CRLF, every text cell neutralised."""
    buffer = io.StringIO()
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


def points_value(points: object) -> int | float:
    """Points as a plain number, exact: Borda points are whole or half (12, 12.5)."""
    value = float(points)  # type: ignore[arg-type]
    return int(value) if value.is_integer() else value


def format_points(points: object) -> str:
    return str(points_value(points))


def ballots_header(size: int) -> list[str]:
    return ["ballot"] + [f"rank_{p}" for p in range(1, size + 1)]


def ballots_csv(poll: Poll) -> Iterator[str]:
    # Entry keys are lowercase letters, digits and hyphens (catalogue.KEY_PATTERN):
    # plain CSV cells that need neither quoting nor neutralising.
    return _plain_ballots_csv(len(poll.entries), services.stored_rankings(poll))


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


def results_rows(result: services.Results) -> Iterator[list[object]]:
    for standing in result.outcome.standings:
        entry = result.entries[str(standing.entry)]
        yield [
            standing.community_rank,
            standing.editor_rank,
            entry.key,
            entry.drama,
            entry.scene,
            format_points(standing.points),
            standing.first_place_votes,
        ]


def results_csv(result: services.Results) -> Iterator[str]:
    return csv_chunks(RESULTS_HEADER, results_rows(result))


class BallotFileError(ValueError):
    """A ballots CSV that cannot be imported, naming the line and the problem."""


def read_ballots_csv(lines: Iterable[str], keys: Sequence[str]) -> list[list[str]]:
    """Parse and check a whole ballots CSV; raise BallotFileError at the first bad row.

    The file is the one ``ballots_csv`` writes: ``ballot,rank_1..rank_n``, entry
    keys most loved first, empty cells after the last ranked position.
    """
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise BallotFileError("line 1: the file is empty; expected the header ballot,rank_1,...")
        if (
            not header
            or header[0].lstrip("\ufeff") != "ballot"
            or header[1:] != [f"rank_{p}" for p in range(1, len(header))]
        ):
            raise BallotFileError(f"line 1: expected the header {','.join(ballots_header(len(keys)))}")
        if len(header) - 1 > len(keys):
            raise BallotFileError(
                f"line 1: {len(header) - 1} rank columns, but the poll has {len(keys)} entries"
            )
        rankings = []
        # One string per key, shared by every row: a million ballots, nine strings.
        canonical = {key: key for key in keys}
        for row in reader:
            line = reader.line_num
            if not "".join(row).strip():
                continue
            if len(row) != len(header):
                raise BallotFileError(f"line {line}: {len(row)} cells, but the header has {len(header)}")
            cells = row[1:]
            ranked = [cell for cell in cells if cell]
            if cells[: len(ranked)] != ranked:
                raise BallotFileError(f"line {line}: an empty rank comes before a filled one")
            known = [canonical.get(cell) for cell in ranked]
            if not ranked or None in known or len(set(known)) != len(known):
                # Only a bad row pays for the full check, which names the problem.
                try:
                    check_ballot(ranked, keys)
                except ValueError as error:
                    raise BallotFileError(f"line {line}: {error}") from error
            rankings.append(known)
    except csv.Error as error:
        raise BallotFileError(f"line {reader.line_num}: not valid CSV ({error})") from error
    return rankings
