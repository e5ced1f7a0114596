"""Ballot files as open data: PrefLib ``.soi`` and CEF written and read back,
the ``.soi`` read by preflibtools (a library written elsewhere), the ballots
CSV with or without its source column written and read back as the csv module
would, bad files refused naming the line."""

from __future__ import annotations

import io
from collections import Counter
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pollapp.ballots.files import (
    BallotFileError,
    BallotRows,
    ballots_header,
    cef_chunks,
    file_format,
    read_ballots_csv,
    read_cef,
    read_soi,
    soi_chunks,
)
from pollapp.core.terms import BallotSource
from pollapp.results.downloads import _plain_ballots_csv, csv_chunks

KEYS = ["toast", "bus-stop", "rooftop", "waterfall"]
NAMES = [
    "Pinocchio: toast kiss",
    "Emergency Couple: bus stop",
    "My Love: rooftop",
    "It's Okay, That's Love: falls",
]
STORED = ["rooftop,toast", "toast", "rooftop,toast", "bus-stop,waterfall,toast,rooftop", "rooftop,toast"]


def soi_text(stored: list[str], names: list[str] = NAMES) -> str:
    return "".join(soi_chunks("Kisses of 2014", names, KEYS, stored))


def cef_text(stored: list[str]) -> str:
    return "".join(cef_chunks("Kisses of 2014", NAMES, KEYS, stored))


def as_multiset(rankings: list[list[str]]) -> Counter[tuple[str, ...]]:
    return Counter(tuple(ranking) for ranking in rankings)


def test_soi_counts_identical_ballots_commonest_first_and_names_the_alternatives():
    assert soi_text(STORED).splitlines() == [
        "# TITLE: Kisses of 2014",
        "# DATA TYPE: soi",
        "# MODIFICATION TYPE: original",
        "# NUMBER ALTERNATIVES: 4",
        "# NUMBER VOTERS: 5",
        "# NUMBER UNIQUE ORDERS: 3",
        "# ALTERNATIVE NAME 1: Pinocchio: toast kiss",
        "# ALTERNATIVE NAME 2: Emergency Couple: bus stop",
        "# ALTERNATIVE NAME 3: My Love: rooftop",
        "# ALTERNATIVE NAME 4: It's Okay, That's Love: falls",
        "3: 3,1",
        "1: 1",
        "1: 2,4,1,3",
    ]


def test_cef_names_candidates_by_key_and_counts_identical_ballots():
    lines = cef_text(STORED).splitlines()
    assert "#/Candidates: toast ; bus-stop ; rooftop ; waterfall" in lines
    assert "#/Implicit Ranking: false" in lines
    assert lines[-3:] == ["rooftop > toast * 3", "bus-stop > waterfall > toast > rooftop * 1", "toast * 1"]


def test_a_name_over_two_lines_stays_one_header_line():
    text = soi_text(["toast"], ["Two\nlines", *NAMES[1:]])
    assert "# ALTERNATIVE NAME 1: Two lines" in text.splitlines()


def test_preflibtools_reads_back_exactly_the_stored_ballots(tmp_path):
    from preflibtools.instances import OrdinalInstance

    path = tmp_path / "ballots.soi"
    path.write_text(soi_text(STORED), encoding="utf-8")
    instance = OrdinalInstance()
    instance.parse_file(str(path))
    assert instance.data_type == "soi"
    assert instance.num_alternatives == len(KEYS)
    assert instance.num_voters == len(STORED)
    assert instance.alternatives_name == dict(enumerate(NAMES, start=1))
    read = Counter()
    for order in instance.orders:
        read[",".join(KEYS[alternative - 1] for (alternative,) in order)] += instance.multiplicity[order]
    assert read == Counter(STORED)


rankings = st.lists(
    st.permutations(KEYS).flatmap(lambda order: st.integers(1, len(KEYS)).map(lambda k: order[:k])),
    max_size=30,
)


@given(rankings)
def test_soi_and_cef_round_trip_any_ballots(ballots):
    stored = [",".join(ballot) for ballot in ballots]
    expected = as_multiset([list(ballot) for ballot in ballots])
    assert as_multiset(read_soi(soi_text(stored).splitlines(), KEYS, NAMES)) == expected
    assert as_multiset(read_cef(cef_text(stored).splitlines(), KEYS)) == expected


def test_cef_reads_tags_comments_and_a_byte_order_mark():
    text = "\ufeff#/Candidates: toast;rooftop\n\n# a comment\njo || rooftop>toast * 2 # kept\ntoast\n"
    assert read_cef(text.splitlines(), KEYS) == [["rooftop", "toast"], ["rooftop", "toast"], ["toast"]]


class Bad(NamedTuple):
    name: str
    text: str
    line: int
    words: str


BAD_SOI = [
    Bad("a tie", "# NUMBER ALTERNATIVES: 4\n1: {1,2},3\n", 2, "a tie"),
    Bad("an unknown alternative", "2: 1,5\n", 1, "'5' is not an alternative number from 1 to 4"),
    Bad("a repeated alternative", "1: 1,1\n", 1, "repeated"),
    Bad("no count", "1,2\n", 1, "expected 'count: a,b,c'"),
    Bad("a zero count", "0: 1,2\n", 1, "'0' is not a count of ballots"),
    Bad("another data type", "# DATA TYPE: toc\n", 1, "only soi and soc"),
    Bad("other alternatives", "# NUMBER ALTERNATIVES: 5\n", 1, "5 alternatives, but the poll has 4 entries"),
    Bad(
        "another poll's names", "# ALTERNATIVE NAME 2: Boys Over Flowers\n", 1, "alternative 2 is 'Boys Over"
    ),
    Bad("a header after ballots", "1: 1\n# TITLE: late\n", 2, "a header line after the first ballot"),
]

BAD_CEF = [
    Bad("a tie", "toast = rooftop\n", 1, "a tie (=)"),
    Bad("a weight", "toast > rooftop ^2\n", 1, "a weighted vote"),
    Bad("an unknown candidate", "#/Candidates: toast;kiss\n", 1, "the candidate 'kiss' is not an entry"),
    Bad("an unknown key in a vote", "\ntoast > kiss\n", 2, "kiss"),
    Bad("a bad quantifier", "toast * many\n", 1, "'many' is not a count"),
    Bad("an instruction", "/EMPTY_RANKING/ * 1\n", 1, "is not a ballot"),
]


READERS = {"soi": lambda lines: read_soi(lines, KEYS, NAMES), "cef": lambda lines: read_cef(lines, KEYS)}
BAD_FILES = [("soi", case) for case in BAD_SOI] + [("cef", case) for case in BAD_CEF]


@pytest.mark.parametrize(
    ("kind", "case"), BAD_FILES, ids=[f"{kind}: {case.name}" for kind, case in BAD_FILES]
)
def test_a_bad_file_is_refused_at_its_line(kind, case):
    with pytest.raises(BallotFileError) as refused:
        READERS[kind](case.text.splitlines())
    assert refused.value.line == case.line
    assert case.words in str(refused.value.problem) or case.words in repr(refused.value.problem)


@pytest.mark.parametrize(
    ("name", "first", "expected"),
    [
        ("b.soi", "", "soi"),
        ("b.SOC", "", "soi"),
        ("b.cef", "", "cef"),
        ("b.csv", "#/x", "csv"),
        ("b.txt", "# TITLE: x", "soi"),
        ("b.txt", "#/Candidates: a", "cef"),
        ("b.cvotes", "toast > rooftop", "cef"),
        ("b", "\ufeffballot,rank_1", "csv"),
    ],
)
def test_a_file_format_is_known_by_its_name_then_its_first_line(name, first, expected):
    assert file_format(name, first) == expected


# ---------------------------------------------------------------- the ballots CSV read by its commas


def read_csv(text: str, *, quick: bool) -> BallotRows | tuple[int, str]:
    """The ballots of a ballots CSV, or the refusal's line and problem."""
    try:
        return read_ballots_csv(io.StringIO(text, newline="\n"), KEYS, quick=quick)
    except BallotFileError as refused:
        return refused.line, repr(refused.problem)


QUOTED_OVER_TWO_LINES = 'ballot,rank_1,rank_2\n1,toast,rooftop\n"2,toast,rooftop\n",toast,rooftop\n'


def test_a_quote_in_a_ballot_number_is_read_on_as_the_csv_module_reads_it():
    # Line 3 ends as line 2 does, but its quote opens a cell that holds the line break.
    assert read_csv(QUOTED_OVER_TWO_LINES, quick=True) == read_csv(QUOTED_OVER_TWO_LINES, quick=False)
    assert read_csv(QUOTED_OVER_TWO_LINES, quick=True) == BallotRows([["toast", "rooftop"]] * 2, None)


class Csv(NamedTuple):
    name: str
    text: str


CSV_FILES = [
    Csv("a quote in a ballot number", QUOTED_OVER_TWO_LINES),
    Csv("a lone carriage return in a cell", "ballot,rank_1,rank_2\n1,toast\r,rooftop\n"),
    Csv("a carriage return ending the last line", "ballot,rank_1\r\n1,toast\r"),
    Csv("a quoted key", 'ballot,rank_1,rank_2\r\n1,"toast",rooftop\r\n2,toast,rooftop\r\n'),
    Csv("broken quoting after good rows", 'ballot,rank_1\n1,toast\n2,"toast"x\n'),
    Csv("blank lines and blank rows", "ballot,rank_1,rank_2\n\n ,\n,,\n1,toast,\n"),
    Csv("an empty header line", "\n1,toast\n"),
    Csv("nothing at all", ""),
    Csv("a NUL in a cell", "ballot,rank_1\n1,to\x00ast\n"),
    Csv("sources", "ballot,rank_1,rank_2,source\r\n1,toast,,site\r\n2,toast,,api\r\n3,toast,,site\r\n"),
    Csv("a quoted source", 'ballot,rank_1,source\r\n1,toast,site\r\n2,toast,"api"\r\n'),
    Csv("an unknown source after good rows", "ballot,rank_1,source\n1,toast,site\n2,toast,somewhere\n"),
    Csv("an empty source", "ballot,rank_1,source\n1,toast,\n"),
    Csv("a source column not last", "ballot,source,rank_1\n1,site,toast\n"),
]


@pytest.mark.parametrize("case", CSV_FILES, ids=[case.name for case in CSV_FILES])
def test_a_csv_read_by_its_commas_reads_as_the_csv_module_reads_it(case):
    assert read_csv(case.text, quick=True) == read_csv(case.text, quick=False)


CELLS = st.sampled_from(
    [
        *KEYS,
        "",
        "",
        "7",
        " ",
        '"',
        '"toast"',
        "toast\r",
        "\r",
        "kiss",
        "\x00",
        "site",
        "api",
        "imported",
        "Site",
    ]
)
ROWS = st.lists(st.lists(CELLS, min_size=0, max_size=6).map(",".join), max_size=8)


@given(
    header=st.sampled_from(
        [
            "ballot,rank_1,rank_2,rank_3",
            "ballot,rank_1,rank_2,source",
            "\ufeffballot,rank_1,source",
            "\ufeffballot,rank_1",
            "ballot,rank_1,rank_2",
            '"ballot",rank_1',
            "voter",
        ]
    ),
    rows=ROWS,
    ends=st.sampled_from(["\n", "\r\n"]),
    last=st.booleans(),
)
def test_reading_a_csv_by_its_commas_gives_what_the_csv_module_gives(header, rows, ends, last):
    text = ends.join([header, *rows]) + (ends if last else "")
    assert read_csv(text, quick=True) == read_csv(text, quick=False)


def test_repeated_rows_read_by_their_commas_share_one_ranking():
    text = (
        "ballot,rank_1,rank_2\r\n" + "".join(f"{n},rooftop,toast\r\n" for n in range(1, 6)) + "6,toast,\r\n"
    )
    read = read_ballots_csv(io.StringIO(text, newline="\n"), KEYS)
    assert read == BallotRows([["rooftop", "toast"]] * 5 + [["toast"]], None)
    assert all(ranking is read.rankings[0] for ranking in read.rankings[:5])


# ---------------------------------------------------------------- where each ballot was cast


@pytest.mark.parametrize("quick", [True, False], ids=["by its commas", "by the csv module"])
def test_the_source_column_gives_each_ballots_source_in_file_order(quick):
    text = (
        "\ufeffballot,rank_1,rank_2,source\r\n1,toast,rooftop,site\r\n2,toast,rooftop,embed_no_cookie\r\n"
        "3,toast,rooftop,site\r\n4,rooftop,,api\r\n5,toast,rooftop,embed_cookie\r\n6,waterfall,,imported\r\n"
    )
    read = read_ballots_csv(io.StringIO(text, newline="\n"), KEYS, quick=quick)
    pair = ["toast", "rooftop"]
    assert read.rankings == [pair, pair, pair, ["rooftop"], pair, ["waterfall"]]
    assert read.sources == [
        BallotSource.SITE,
        BallotSource.EMBED_NO_COOKIE,
        BallotSource.SITE,
        BallotSource.API,
        BallotSource.EMBED_COOKIE,
        BallotSource.IMPORTED,
    ]


def test_a_file_without_the_source_column_names_no_source():
    read = read_ballots_csv(io.StringIO("ballot,rank_1\r\n1,toast\r\n", newline="\n"), KEYS)
    assert read == BallotRows([["toast"]], None)


class BadSource(NamedTuple):
    name: str
    text: str
    line: int
    problem: str


BAD_SOURCES = [
    BadSource(
        "an unknown source", "ballot,rank_1,source\n1,toast,site\n2,toast,somewhere\n", 3, "'somewhere'"
    ),
    BadSource("an empty source", "ballot,rank_1,source\n1,toast,site\n2,toast,\n", 3, "''"),
    BadSource("a source in capitals", "ballot,rank_1,source\n1,toast,Site\n", 2, "'Site'"),
    BadSource(
        "a source seen before, mistyped", "ballot,rank_1,source\n1,toast,api\n2,toast,api \n", 3, "'api '"
    ),
    BadSource("no source cell", "ballot,rank_1,rank_2,source\n1,toast,rooftop\n", 2, "3 cells"),
    BadSource("a source column not last", "ballot,source,rank_1\n1,site,toast\n", 1, "expected the header"),
]


@pytest.mark.parametrize("quick", [True, False], ids=["by its commas", "by the csv module"])
@pytest.mark.parametrize("case", BAD_SOURCES, ids=[case.name for case in BAD_SOURCES])
def test_a_bad_source_is_refused_naming_the_line(case, quick):
    line, problem = read_csv(case.text, quick=quick)
    assert line == case.line and case.problem in problem
    if case.problem.startswith("'"):
        assert (
            "is not a source of ballots (one of site, embed_cookie, embed_no_cookie, api, imported)"
            in problem
        )


# ---------------------------------------------------------------- the ballots CSV written by its commas

BALLOTS = st.lists(
    st.tuples(
        st.permutations(KEYS).flatmap(lambda keys: st.integers(1, 4).map(lambda k: keys[:k])),
        st.sampled_from(BallotSource),
    ),
    max_size=30,
)


@given(ballots=BALLOTS)
def test_the_ballots_csv_written_by_its_commas_is_what_the_csv_writer_writes(ballots):
    stored = [f"{source.value},{','.join(ranking)}" for ranking, source in ballots]
    rows = [
        [number, *ranking, *[""] * (len(KEYS) - len(ranking)), source.value]
        for number, (ranking, source) in enumerate(ballots, 1)
    ]
    written = "".join(_plain_ballots_csv(len(KEYS), stored))
    assert written == "".join(csv_chunks(ballots_header(len(KEYS)), rows))
    read = read_ballots_csv(io.StringIO(written, newline="\n"), KEYS)
    assert read == BallotRows([ranking for ranking, _ in ballots], [source for _, source in ballots])
