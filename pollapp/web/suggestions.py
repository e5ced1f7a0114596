"""The words for what the suggestions domain says in codes, for the readers' pages and the desk alike."""

from __future__ import annotations

from ..suggestions.service import SuggestionError, SuggestionProblem

CLOSED_TO_SUGGESTIONS = "This poll is closed, so it takes no more suggestions."


def suggestion_problem(error: SuggestionError) -> str:
    """A sentence saying why a suggestion or a moderation was refused."""
    data = error.data
    match error.problem:
        case SuggestionProblem.POLL_NOT_OPEN:
            return CLOSED_TO_SUGGESTIONS
        case SuggestionProblem.NO_TITLE:
            return "Write a title with at least one letter or digit."
        case SuggestionProblem.TITLE_TOO_LONG:
            return f"A title is at most {data['most']} characters; this one has {data['given']}."
        case SuggestionProblem.NOTE_TOO_LONG:
            return f"The sentence is at most {data['most']} characters; this one has {data['given']}."
        case SuggestionProblem.NOT_PLAIN:
            return "Use only letters, digits, spaces and punctuation."
        case SuggestionProblem.UNKNOWN_ENTRY:
            return "Choose one of the poll's entries."
        case SuggestionProblem.NO_SUCH_NOMINATION:
            return "That suggestion is not in this poll's queue any more. Reload the page."
        case SuggestionProblem.MERGED_ALREADY:
            return f"“{data['title']}” was merged into another suggestion already. Reload the page."
        case SuggestionProblem.MERGE_INTO_ITSELF:
            return "Choose other suggestions to merge, not the one they are merged into."


def readers(count: int) -> str:
    """How many readers, as a phrase: "1 reader", "41 readers"."""
    return f"{count:,} reader" if count == 1 else f"{count:,} readers"
