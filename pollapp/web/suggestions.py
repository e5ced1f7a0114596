"""The words for what the suggestions domain says in codes, for the readers' pages and the desk alike."""

from __future__ import annotations

from flask_babel import format_decimal, gettext, lazy_gettext, ngettext

from ..suggestions.service import SuggestionError, SuggestionProblem

CLOSED_TO_SUGGESTIONS = lazy_gettext("This poll is closed, so it takes no more suggestions.")


def suggestion_problem(error: SuggestionError) -> str:
    """A sentence saying why a suggestion or a moderation was refused."""
    data = error.data
    match error.problem:
        case SuggestionProblem.POLL_NOT_OPEN:
            return str(CLOSED_TO_SUGGESTIONS)
        case SuggestionProblem.NO_TITLE:
            return str(gettext("Write a title with at least one letter or digit."))
        case SuggestionProblem.TITLE_TOO_LONG:
            return str(
                gettext(
                    "A title is at most %(most)s characters; this one has %(given)s.",
                    most=data["most"],
                    given=data["given"],
                )
            )
        case SuggestionProblem.NOTE_TOO_LONG:
            return str(
                gettext(
                    "The sentence is at most %(most)s characters; this one has %(given)s.",
                    most=data["most"],
                    given=data["given"],
                )
            )
        case SuggestionProblem.NOT_PLAIN:
            return str(gettext("Use only letters, digits, spaces and punctuation."))
        case SuggestionProblem.UNKNOWN_ENTRY:
            return str(gettext("Choose one of the poll's entries."))
        case SuggestionProblem.NOT_APPROVED:
            return str(gettext("Only suggestions the editors approved can start a poll: choose among those."))
        case SuggestionProblem.NONE_CHOSEN:
            return str(gettext("Choose at least one approved suggestion to start the poll with."))
        case SuggestionProblem.NO_SUCH_NOMINATION:
            return str(gettext("That suggestion is not in this poll's queue any more. Reload the page."))
        case SuggestionProblem.MERGED_ALREADY:
            return str(
                gettext(
                    "“%(title)s” was merged into another suggestion already. Reload the page.",
                    title=data["title"],
                )
            )
        case SuggestionProblem.MERGE_INTO_ITSELF:
            return str(gettext("Choose other suggestions to merge, not the one they are merged into."))


def readers(count: int) -> str:
    """How many readers, as a phrase: "1 reader", "41 readers"."""
    return str(ngettext("%(shown)s reader", "%(shown)s readers", count, shown=format_decimal(count)))
