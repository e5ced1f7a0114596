"""Ballot files: the ballots CSV, PrefLib ``.soi`` and CEF files that ``ballots
export`` and the downloads write, read back for ``ballots import`` and checked
line by line."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import NamedTuple, cast

from ..core.ranking import BallotError, check_ballot
from ..core.terms import BallotSource

SOURCE_COLUMN = "source"
_SOURCES = {source.value: source for source in BallotSource}


def ballots_header(size: int) -> list[str]:
    """The header of a ballots CSV for a poll of ``size`` entries: the ballot's
    number, its ranks, and where it was cast (a ``BallotSource`` value)."""
    return ["ballot"] + [f"rank_{p}" for p in range(1, size + 1)] + [SOURCE_COLUMN]


class BallotFileError(ValueError):
    """A ballots CSV that cannot be imported: the line, and what is wrong with
    it (a sentence, or the ``BallotError`` of a row that is not a ballot)."""

    def __init__(self, line: int, problem: str | BallotError) -> None:
        super().__init__(line, problem)
        self.line = line
        self.problem = problem


class BallotRows(NamedTuple):
    """The ballots of a ballots CSV, in file order."""

    rankings: list[list[str]]
    # Each ballot's source, from the file's source column; None for a file without one.
    sources: list[BallotSource] | None


def read_ballots_csv(lines: Iterable[str], keys: Sequence[str], *, quick: bool = True) -> BallotRows:
    """Parse and check a whole ballots CSV; raise BallotFileError at the first bad row.

    The file is the one ``ballots_csv`` writes: ``ballot,rank_1..rank_n,source``,
    entry keys most loved first, empty cells after the last ranked position,
    then where the ballot was cast. A file may leave the source column out
    (files written before it, or by hand): it then says nothing of where its
    ballots were cast.

    A line with no quote and no lone carriage return is read by
    splitting it at its commas, which is what the csv module makes of such a
    line, and a line whose cells after the first were seen before gives the
    same ballot with no second look. From the first line that is not so
    (or with ``quick`` false, from the start) the csv module reads the rest.
    """
    reading = _Reading(keys)
    remaining = iter(lines)
    number = 0
    if quick:
        for line in remaining:
            number += 1
            first, _, rest = line.partition(",")
            # A ballot number (digits only) cannot open a quote the csv module would read on with.
            found = reading.seen.get(rest) if first.isdigit() and number > 1 else None
            if found is not None:
                reading.ballots.append(found)
                continue
            body = line[:-1] if line.endswith("\n") else line
            body = body[:-1] if body.endswith("\r") else body
            if '"' in body or "\r" in body or len(body) > _LONGEST_LINE:
                remaining = chain([line], remaining)
                number -= 1
                break
            cells = body.split(",") if body else []
            found = reading.row(cells, number)
            if found is not None and number > 1:
                reading.seen[rest] = found
    reader = csv.reader(remaining, strict=True)
    try:
        for cells in reader:
            reading.row(cells, number + reader.line_num)
    except csv.Error as error:
        raise BallotFileError(number + reader.line_num, f"not valid CSV ({error})") from error
    if reading.width is None:
        raise BallotFileError(1, "the file is empty; expected the header ballot,rank_1,...")
    ballots = reading.ballots
    rankings = [ranking for ranking, _ in ballots]
    return BallotRows(rankings, [source for _, source in ballots] if reading.sourced else None)


# Shorter than the csv module's longest field, so no line read by splitting it
# at its commas could have been refused by the csv module for its length.
_LONGEST_LINE = 100_000


class _Reading:
    """What reading a ballots CSV has found so far: the header's shape, the
    ballots (ranking, source), and the rows already checked (their cells after
    the ballot number -> ballot)."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = keys
        # One string per key, shared by every row: a million ballots, nine strings.
        self.canonical = {key: key for key in keys}
        self.width: int | None = None
        self.ranks = 0  # rank columns
        self.sourced = False  # whether the last column is the source
        self.ballots: list[tuple[list[str], BallotSource]] = []
        # Real ballots repeat: cells seen before (so already checked) give the
        # same ballot without a second check.
        self.checked: dict[tuple[str, ...], tuple[list[str], BallotSource]] = {}
        # The same, by the line's text after its first comma.
        self.seen: dict[str, tuple[list[str], BallotSource]] = {}

    def row(self, row: list[str], line: int) -> tuple[list[str], BallotSource] | None:
        """Take one record (the header first); the ballot it added, if any."""
        if self.width is None:
            self._header(row)
            return None
        width = self.width
        cells = tuple(row[1:])
        found = self.checked.get(cells)
        if found is not None and len(row) == width:
            self.ballots.append(found)
            return found
        if not "".join(row).strip():
            return None
        if len(row) != width:
            raise BallotFileError(line, f"{len(row)} cells, but the header has {width}")
        ranks = cells[: self.ranks]
        ranked = [cell for cell in ranks if cell]
        if list(ranks[: len(ranked)]) != ranked:
            raise BallotFileError(line, "an empty rank comes before a filled one")
        ranking = _checked(ranked, self.keys, self.canonical, line)
        # A file without the column says nothing of where its ballots were cast.
        source = _source(cells[-1], line) if self.sourced else BallotSource.IMPORTED
        self.checked[cells] = found = (ranking, source)
        self.ballots.append(found)
        return found

    def _header(self, header: list[str]) -> None:
        keys = self.keys
        names = [header[0].lstrip("\ufeff"), *header[1:]] if header else []
        sourced = len(names) > 1 and names[-1] == SOURCE_COLUMN
        ranks = names[1:-1] if sourced else names[1:]
        if not names or names[0] != "ballot" or ranks != [f"rank_{p}" for p in range(1, len(ranks) + 1)]:
            raise BallotFileError(
                1,
                f"expected the header {','.join(ballots_header(len(keys)))} "
                "(or fewer ranks; the source column may be left out)",
            )
        if len(ranks) > len(keys):
            raise BallotFileError(1, f"{len(ranks)} rank columns, but the poll has {len(keys)} entries")
        self.width, self.ranks, self.sourced = len(header), len(ranks), sourced


def _source(cell: str, line: int) -> BallotSource:
    """The source a ballots CSV names, or BallotFileError naming the line."""
    source = _SOURCES.get(cell)
    if source is None:
        raise BallotFileError(line, f"{cell!r} is not a source of ballots (one of {', '.join(_SOURCES)})")
    return source


# ---------------------------------------------------------------- PrefLib .soi and CEF

FORMATS = ("csv", "soi", "cef")


def _one_line(text: str) -> str:
    """A name as one line of a header: runs of whitespace (newlines too) become a space."""
    return " ".join(text.split())


def soi_chunks(title: str, names: Sequence[str], keys: Sequence[str], stored: Iterable[str]) -> Iterator[str]:
    """The ballots as a PrefLib ``.soi`` file (strict orders, incomplete).

    ``names`` and ``keys`` are the poll's entries in order; alternative ``i`` is
    the ``i``-th. Identical ballots become one line ``count: a,b,c``, the
    commonest first. ``stored`` are rankings as stored (keys joined by commas).
    """
    counts = Counter(stored)
    number = {key: str(i) for i, key in enumerate(keys, start=1)}
    lines = sorted(
        ((times, ",".join([number[key] for key in ranking.split(",")])) for ranking, times in counts.items()),
        key=lambda line: (-line[0], line[1]),
    )
    header = [
        f"# TITLE: {_one_line(title)}",
        "# DATA TYPE: soi",
        "# MODIFICATION TYPE: original",
        f"# NUMBER ALTERNATIVES: {len(keys)}",
        f"# NUMBER VOTERS: {sum(counts.values())}",
        f"# NUMBER UNIQUE ORDERS: {len(counts)}",
    ] + [f"# ALTERNATIVE NAME {i}: {_one_line(name)}" for i, name in enumerate(names, start=1)]
    yield "\n".join(header) + "\n"
    for start in range(0, len(lines), 2_000):
        yield "".join([f"{times}: {order}\n" for times, order in lines[start : start + 2_000]])


def cef_chunks(title: str, names: Sequence[str], keys: Sequence[str], stored: Iterable[str]) -> Iterator[str]:
    """The ballots as a Condorcet Election Format file: candidates are the entry
    keys (plain letters, digits and hyphens, so never CEF syntax), identical
    ballots one line ``a > b > c * count``, the commonest first.

    Implicit ranking is off: a ballot says only what the reader ranked, as
    stored; the names are in comments.
    """
    counts = Counter(stored)
    header = [f"# {_one_line(title)}"] + [
        f"# {key}: {_one_line(name)}" for key, name in zip(keys, names, strict=True)
    ]
    header += [f"#/Candidates: {' ; '.join(keys)}", "#/Number of Seats: 1", "#/Implicit Ranking: false"]
    yield "\n".join(header) + "\n"
    lines = sorted(counts.items(), key=lambda line: (-line[1], line[0]))
    for start in range(0, len(lines), 2_000):
        yield "".join(
            [f"{ranking.replace(',', ' > ')} * {times}\n" for ranking, times in lines[start : start + 2_000]]
        )


def _checked(ranked: list[str], keys: Sequence[str], canonical: dict[str, str], line: int) -> list[str]:
    """The ranking with the poll's own key strings, or BallotFileError naming what is wrong.

    Only a bad row pays for the full check, which names the problem."""
    known = [canonical.get(key) for key in ranked]
    if not ranked or None in known or len(set(known)) != len(known):
        try:
            check_ballot(ranked, keys)
        except BallotError as error:
            raise BallotFileError(line, error) from error
    return cast(list[str], known)  # every key was found, or check_ballot raised


def _count(text: str, line: int) -> int:
    text = text.strip()
    if not text.isdigit() or int(text) < 1:
        raise BallotFileError(line, f"{text!r} is not a count of ballots (a whole number from 1)")
    return int(text)


def read_soi(
    lines: Iterable[str], keys: Sequence[str], names: Sequence[str] | None = None
) -> list[list[str]]:
    """Parse and check a PrefLib ``.soi`` (or ``.soc``) file whose alternatives are
    the poll's entries in order; raise BallotFileError at the first bad line.

    When ``names`` is given, the file's alternative names must be the poll's: a
    file of another poll is refused rather than read with the wrong entries.
    """
    canonical = {key: key for key in keys}
    rankings: list[list[str]] = []
    seen = 0
    for line, text in enumerate(lines, start=1):
        text = text.lstrip("\ufeff").strip()
        if not text:
            continue
        if text.startswith("#"):
            if seen:
                raise BallotFileError(line, "a header line after the first ballot")
            _soi_header(text, line, keys, names)
            continue
        seen += 1
        times, colon, order = text.partition(":")
        if not colon:
            raise BallotFileError(
                line, "expected 'count: a,b,c' (a count of ballots, then alternative numbers)"
            )
        if "{" in order:
            raise BallotFileError(
                line, "a tie ({...}) cannot be a ballot here: each position holds one entry"
            )
        ranked = []
        for cell in order.split(","):
            cell = cell.strip()
            if not cell.isdigit() or not 1 <= int(cell) <= len(keys):
                raise BallotFileError(line, f"{cell!r} is not an alternative number from 1 to {len(keys)}")
            ranked.append(keys[int(cell) - 1])
        ranking = _checked(ranked, keys, canonical, line)
        rankings.extend([ranking] * _count(times, line))
    return rankings


def _soi_header(text: str, line: int, keys: Sequence[str], names: Sequence[str] | None) -> None:
    field, _, value = text.lstrip("#").strip().partition(":")
    value = value.strip()
    if field == "DATA TYPE" and value not in ("soi", "soc"):
        raise BallotFileError(
            line, f"the data type is {value!r}; only soi and soc (strict orders) are ballots"
        )
    if field == "NUMBER ALTERNATIVES" and value != str(len(keys)):
        raise BallotFileError(line, f"{value} alternatives, but the poll has {len(keys)} entries")
    if field.startswith("ALTERNATIVE NAME ") and names is not None:
        number = field.removeprefix("ALTERNATIVE NAME ").strip()
        if not number.isdigit() or not 1 <= int(number) <= len(names):
            raise BallotFileError(line, f"there is no alternative {number} in a poll of {len(names)} entries")
        expected = _one_line(names[int(number) - 1])
        if value != expected:
            raise BallotFileError(
                line, f"alternative {number} is {value!r} in the file but {expected!r} in the poll"
            )


def read_cef(lines: Iterable[str], keys: Sequence[str]) -> list[list[str]]:
    """Parse and check a Condorcet Election Format file whose candidates are the
    poll's entry keys; raise BallotFileError at the first bad line.

    Tags (``tag || a > b``) are read past; ties (``=``), weights (``^``) and
    special instructions are refused, since a ballot ranks one entry per place.
    """
    canonical = {key: key for key in keys}
    rankings: list[list[str]] = []
    for line, text in enumerate(lines, start=1):
        text = text.lstrip("\ufeff")
        if text.startswith("#/"):
            name, _, value = text[2:].partition(":")
            if name.strip().lower() == "candidates":
                unknown = [c.strip() for c in value.split(";") if c.strip() and c.strip() not in canonical]
                if unknown:
                    raise BallotFileError(line, f"the candidate {unknown[0]!r} is not an entry of this poll")
            continue
        vote = text.partition("#")[0].strip()
        if not vote:
            continue
        vote = vote.rpartition("||")[2]
        times = 1
        if "*" in vote:
            vote, _, quantity = vote.rpartition("*")
            times = _count(quantity, line)
        if "^" in vote:
            raise BallotFileError(
                line, "a weighted vote (^) cannot be a ballot here: every ballot counts once"
            )
        if "=" in vote:
            raise BallotFileError(line, "a tie (=) cannot be a ballot here: each position holds one entry")
        if vote.strip().startswith("/"):
            raise BallotFileError(line, f"the instruction {vote.strip()!r} is not a ballot")
        ranking = _checked([key.strip() for key in vote.split(">")], keys, canonical, line)
        rankings.extend([ranking] * times)
    return rankings


def file_format(name: str, first_line: str) -> str:
    """Which of ``FORMATS`` a ballots file is in: by its name's suffix, else by its first line."""
    suffix = name.rpartition(".")[2].lower()
    if suffix in FORMATS:
        return suffix
    if suffix in ("soc", "cvotes"):  # .cvotes: the name CEF's own tools give
        return "soi" if suffix == "soc" else "cef"
    first = first_line.lstrip("\ufeff")
    if first.startswith("#/") or (first.startswith("#") and not first.startswith("# ")):
        return "cef"
    return "soi" if first.startswith("#") else "csv"
