"""Ballot files: the ballots CSV that ``ballots export`` writes, read back for
``ballots import`` and checked row by row."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import cast

from ..core.ranking import BallotError, check_ballot


def ballots_header(size: int) -> list[str]:
    """The header of a ballots CSV for a poll of ``size`` entries."""
    return ["ballot"] + [f"rank_{p}" for p in range(1, size + 1)]


class BallotFileError(ValueError):
    """A ballots CSV that cannot be imported: the line, and what is wrong with
    it (a sentence, or the ``BallotError`` of a row that is not a ballot)."""

    def __init__(self, line: int, problem: str | BallotError) -> None:
        super().__init__(line, problem)
        self.line = line
        self.problem = problem


def read_ballots_csv(lines: Iterable[str], keys: Sequence[str]) -> list[list[str]]:
    """Parse and check a whole ballots CSV; raise BallotFileError at the first bad row.

    The file is the one ``ballots_csv`` writes: ``ballot,rank_1..rank_n``, entry
    keys most loved first, empty cells after the last ranked position.
    """
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise BallotFileError(1, "the file is empty; expected the header ballot,rank_1,...")
        if (
            not header
            or header[0].lstrip("\ufeff") != "ballot"
            or header[1:] != [f"rank_{p}" for p in range(1, len(header))]
        ):
            raise BallotFileError(1, f"expected the header {','.join(ballots_header(len(keys)))}")
        if len(header) - 1 > len(keys):
            raise BallotFileError(1, f"{len(header) - 1} rank columns, but the poll has {len(keys)} entries")
        rankings = []
        # One string per key, shared by every row: a million ballots, nine strings.
        canonical = {key: key for key in keys}
        for row in reader:
            line = reader.line_num
            if not "".join(row).strip():
                continue
            if len(row) != len(header):
                raise BallotFileError(line, f"{len(row)} cells, but the header has {len(header)}")
            cells = row[1:]
            ranked = [cell for cell in cells if cell]
            if cells[: len(ranked)] != ranked:
                raise BallotFileError(line, "an empty rank comes before a filled one")
            known = [canonical.get(cell) for cell in ranked]
            if not ranked or None in known or len(set(known)) != len(known):
                # Only a bad row pays for the full check, which names the problem.
                try:
                    check_ballot(ranked, keys)
                except BallotError as error:
                    raise BallotFileError(line, error) from error
            rankings.append(cast(list[str], known))  # every key was found, or check_ballot raised
    except csv.Error as error:
        raise BallotFileError(reader.line_num, f"not valid CSV ({error})") from error
    return rankings
