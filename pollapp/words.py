"""The words for what the layers below say in codes: a ballot's problems and
the Borda rules. Every page, API error and command takes them from here, so
the wording and its translation live in one place: each sentence is chosen
in the reader's language when it is shown (Flask-Babel's catalogues)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Protocol

from babel import Locale
from flask_babel import get_locale, gettext, lazy_gettext, ngettext, pgettext

from .core.ranking import BallotError, BallotProblem, Rule
from .core.terms import BallotSource, RescoreCause

RULE_DESCRIPTIONS: dict[Rule, str] = {
    Rule.AVERAGED: lazy_gettext(
        "Position p earns n − p points; every entry a ballot leaves unranked "
        "shares the points nobody on that ballot received, (n − k − 1) / 2 each."
    ),
    Rule.TRUNCATED: lazy_gettext("Position p earns n − p points; unranked entries earn nothing."),
    Rule.MODIFIED: lazy_gettext(
        "Modified Borda (Emerson): on a ballot ranking k entries, position p earns "
        "k − p + 1 points; unranked entries earn nothing."
    ),
}

RULE_NAMES: dict[Rule, str] = {
    Rule.AVERAGED: lazy_gettext("averaged"),
    Rule.TRUNCATED: lazy_gettext("truncated"),
    Rule.MODIFIED: lazy_gettext("modified"),
}

POLL_CHANGED = lazy_gettext(
    "This ballot does not fit the poll as it stands now; load the poll again and rank afresh."
)


def _shown(key: object) -> str:
    return repr(str(key)[:60])


def ballot_problem(error: BallotError) -> str:
    """A sentence saying why a ranking is not a ballot of the poll.

    >>> ballot_problem(BallotError(BallotProblem.REPEATED, key="a"))
    "Each entry can be ranked only once; repeated: 'a'."
    """
    data = error.data
    match error.problem:
        case BallotProblem.EMPTY:
            return str(gettext("Rank at least one entry."))
        case BallotProblem.TOO_LONG:
            return str(
                gettext(
                    "A ballot ranks at most %(most)s entries; this one has %(given)s.",
                    most=data["most"],
                    given=data["given"],
                )
            )
        case BallotProblem.UNKNOWN:
            return str(gettext("There is no entry called %(key)s in this poll.", key=_shown(data["key"])))
        case BallotProblem.REPEATED:
            return str(
                gettext("Each entry can be ranked only once; repeated: %(key)s.", key=_shown(data["key"]))
            )


class Taken(Protocol):
    """What became of a stored ballot (``ballots.service.Cast``)."""

    @property
    def replaced(self) -> bool: ...

    @property
    def held(self) -> bool: ...


HELD = lazy_gettext(
    "Many ballots came from your connection at once, so yours waits for a quick check "
    "before it counts. Nothing more to do: it is kept."
)


def ballot_taken(cast: Taken) -> str:
    """What a reader is told once their ballot is stored."""
    return _taken(get_locale(), cast.replaced, cast.held)


# Said after every ballot, in one of a few ways per language: each is looked up in
# the catalogue once per process, not again for every ballot.
@lru_cache(maxsize=64)
def _taken(locale: Locale | None, replaced: bool, held: bool) -> str:
    start = (
        gettext("Your new ballot replaced your earlier one.")
        if replaced
        else gettext("Thank you! Your ballot is in.")
    )
    return f"{start} {HELD}" if held else str(start)


def ballot_sources(sources: Mapping[BallotSource, int]) -> str:
    """Where the counted ballots were cast, in a sentence ("" for none):
    "41 ballots: 30 on this site, 11 in embedded polls, 4 of them without a cookie."."""
    total = sum(sources.values())
    site = sources.get(BallotSource.SITE, 0)
    if total == 0:
        return ""
    if site == total:
        return str(
            ngettext(
                "The one ballot was cast on this site.", "All %(num)d ballots were cast on this site.", total
            )
        )
    parts = []
    if site:
        parts.append(ngettext("%(num)d on this site", "%(num)d on this site", site))
    without = sources.get(BallotSource.EMBED_NO_COOKIE, 0)
    embedded = sources.get(BallotSource.EMBED_COOKIE, 0) + without
    if embedded:
        parts.append(ngettext("%(num)d in an embedded poll", "%(num)d in embedded polls", embedded))
    if without:
        parts.append(
            ngettext("%(num)d of them without a cookie", "%(num)d of them without a cookie", without)
            if without < embedded
            else ngettext("without a cookie", "all of them without a cookie", without)
        )
    if api := sources.get(BallotSource.API, 0):
        parts.append(ngettext("%(num)d sent through the API", "%(num)d sent through the API", api))
    if imported := sources.get(BallotSource.IMPORTED, 0):
        parts.append(ngettext("%(num)d imported from a file", "%(num)d imported from a file", imported))
    return str(
        gettext(
            "%(ballots)s: %(sources)s.",
            ballots=ngettext("%(num)d ballot", "%(num)d ballots", total),
            sources=pgettext("between the parts of a list", ", ").join(parts),
        )
    )


class Rescoring(Protocol):
    """A re-score of a poll's ballots (``polls.service.RescoreView``)."""

    @property
    def cause(self) -> RescoreCause: ...

    @property
    def entries_before(self) -> int: ...

    @property
    def entries_after(self) -> int: ...

    @property
    def rule_before(self) -> Rule: ...

    @property
    def rule_after(self) -> Rule: ...


def rescore_sentence(change: Rescoring) -> str:
    """What confirming a re-score does to the points, said before it is made."""
    before, after = change.entries_before, change.entries_after
    if change.cause == RescoreCause.RULE_CHANGED:
        return str(
            gettext(
                "Every ballot is re-scored under the %(after)s rule instead of the %(before)s rule: %(how)s",
                after=RULE_NAMES[change.rule_after],
                before=RULE_NAMES[change.rule_before],
                how=RULE_DESCRIPTIONS[change.rule_after],
            )
        )
    first, was = after - 1, before - 1  # what a first place earns under n − p
    match change.rule_after:
        case Rule.AVERAGED:
            return str(
                gettext(
                    "Every ballot is re-scored with n = %(after)d instead of %(before)d: a first place "
                    "earns %(first)d points instead of %(was)d, and on each ballot cast so far the new "
                    "ones share the points of the places it left unranked.",
                    after=after,
                    before=before,
                    first=first,
                    was=was,
                )
            )
        case Rule.TRUNCATED:
            return str(
                gettext(
                    "Every ballot is re-scored with n = %(after)d instead of %(before)d: a first place "
                    "earns %(first)d points instead of %(was)d, and the new ones earn nothing from the "
                    "ballots cast so far.",
                    after=after,
                    before=before,
                    first=first,
                    was=was,
                )
            )
    return str(
        gettext(
            "Every ballot is re-scored with n = %(after)d instead of %(before)d: under the modified "
            "rule the points a ballot gives do not depend on n, so they stay as they are, and the new "
            "ones earn nothing from the ballots cast so far.",
            after=after,
            before=before,
        )
    )


def rescored_sentence(change: Rescoring, when: str) -> str:
    """What a re-score did, said on the results page afterwards; ``when`` is its moment as shown."""
    if change.cause == RescoreCause.RULE_CHANGED:
        return str(
            gettext(
                "%(when)s: the rule changed from %(before)s to %(after)s, and every ballot was "
                "re-scored under it.",
                when=when,
                before=RULE_NAMES[change.rule_before],
                after=RULE_NAMES[change.rule_after],
            )
        )
    return str(
        gettext(
            "%(when)s: the list grew from %(before)d to %(after)d, and every ballot was re-scored "
            "with n = %(after)d.",
            when=when,
            before=change.entries_before,
            after=change.entries_after,
        )
    )
