"""What the app does with readers' suggestions: take one (a second of the same
kind replaces the first), show a reader their own, and the editors' queue:
approve, reject and merge nominations; what the results page shows.

A suggestion is tied to the reader's hashed identity only so that each reader
has one of each kind per poll; nothing here hands that identity out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..polls.models import Entry, Poll
from ..storage.sessions import one_transaction
from .models import (
    NOTE_LENGTH,
    SUGGESTED_TITLE_LENGTH,
    Nomination,
    NominationStatus,
    Suggestion,
    SuggestionKind,
    utcnow,
)
from .text import collapsed, is_plain, normal_title

T = TypeVar("T")
ATTEMPTS = 3  # two readers making the same nomination at once: the second finds the first's


class SuggestionProblem(StrEnum):
    POLL_NOT_OPEN = "poll_not_open"  # closed (or not open yet): it takes no suggestions
    NO_TITLE = "no_title"  # nothing but spaces and punctuation
    TITLE_TOO_LONG = "title_too_long"
    NOTE_TOO_LONG = "note_too_long"
    NOT_PLAIN = "not_plain"  # control or direction characters
    UNKNOWN_ENTRY = "unknown_entry"
    NO_SUCH_NOMINATION = "no_such_nomination"
    MERGED_ALREADY = "merged_already"  # a merged nomination is moderated through the one it joined
    MERGE_INTO_ITSELF = "merge_into_itself"
    NOT_APPROVED = "not_approved"  # only approved nominations start a new poll
    NONE_CHOSEN = "none_chosen"  # a new poll from suggestions, with none chosen


class SuggestionError(ValueError):
    """Why a suggestion or a moderation is refused: a problem and its data; the words are the caller's."""

    def __init__(self, problem: SuggestionProblem, **data: object) -> None:
        super().__init__(problem, data)
        self.problem = problem
        self.data = data


# ---------------------------------------------------------------- checking text


def check_title(text: str) -> str:
    """The title as it is kept (spaces collapsed); SuggestionError if it is not one."""
    title = collapsed(text)
    if not is_plain(title):
        raise SuggestionError(SuggestionProblem.NOT_PLAIN, field="title")
    if len(title) > SUGGESTED_TITLE_LENGTH:
        raise SuggestionError(SuggestionProblem.TITLE_TOO_LONG, most=SUGGESTED_TITLE_LENGTH, given=len(title))
    if not normal_title(title):
        raise SuggestionError(SuggestionProblem.NO_TITLE)
    return title


def check_note(text: str) -> str:
    note = collapsed(text)
    if not is_plain(note):
        raise SuggestionError(SuggestionProblem.NOT_PLAIN, field="note")
    if len(note) > NOTE_LENGTH:
        raise SuggestionError(SuggestionProblem.NOTE_TOO_LONG, most=NOTE_LENGTH, given=len(note))
    return note


# ---------------------------------------------------------------- readers


def _retried(work: Callable[[], T]) -> T:
    """Run ``work`` in a transaction, again when a concurrent one made the
    same row first (the unique constraints decide; the retry then finds it)."""
    for attempt in range(ATTEMPTS):
        try:
            with one_transaction():
                return work()
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _mine(poll: Poll, reader: str, kind: SuggestionKind) -> Suggestion | None:
    return db.session.execute(
        select(Suggestion).where(
            Suggestion.poll_id == poll.id, Suggestion.reader == reader, Suggestion.kind == kind
        )
    ).scalar_one_or_none()


def _nomination_for(poll: Poll, title: str) -> Nomination:
    """The nomination a title belongs to (following a merge), made if there is none."""
    normal = normal_title(title)
    found = db.session.execute(
        select(Nomination).where(Nomination.poll_id == poll.id, Nomination.normal == normal)
    ).scalar_one_or_none()
    if found is None:
        found = Nomination(poll_id=poll.id, title=title, normal=normal, status=NominationStatus.PENDING)
        db.session.add(found)
        db.session.flush()
    if found.merged_into_id is not None:
        joined = db.session.get(Nomination, found.merged_into_id)
        if joined is not None:
            return joined
    return found


def _require_open(poll: Poll) -> None:
    if not poll.is_open:
        raise SuggestionError(SuggestionProblem.POLL_NOT_OPEN, status=str(poll.status))


def suggest_missing(poll: Poll, reader: str, title_text: str, note_text: str = "") -> str:
    """Take the reader's "something is missing" (replacing an earlier one);
    returns the title of the nomination it counts for."""
    _require_open(poll)
    title, note = check_title(title_text), check_note(note_text)

    def work() -> str:
        nomination = _nomination_for(poll, title)
        mine = _mine(poll, reader, SuggestionKind.MISSING)
        if mine is None:
            mine = Suggestion(poll_id=poll.id, reader=reader, kind=SuggestionKind.MISSING)
            db.session.add(mine)
        mine.nomination_id, mine.note, mine.updated_at = nomination.id, note, utcnow()
        return nomination.title

    return _retried(work)


def suggest_take_away(poll: Poll, reader: str, key: str) -> None:
    """Take the reader's "I'd take this away" (replacing an earlier one)."""
    _require_open(poll)
    entry = next((entry for entry in poll.entries if entry.key == key), None)
    if entry is None:
        raise SuggestionError(SuggestionProblem.UNKNOWN_ENTRY, key=key)
    entry_id = entry.id

    def work() -> None:
        mine = _mine(poll, reader, SuggestionKind.TAKE_AWAY)
        if mine is None:
            mine = Suggestion(poll_id=poll.id, reader=reader, kind=SuggestionKind.TAKE_AWAY)
            db.session.add(mine)
        mine.entry_id, mine.updated_at = entry_id, utcnow()

    _retried(work)


@dataclass(frozen=True)
class ReaderSuggestions:
    """A reader's own suggestions for a poll, to show them back."""

    missing: str | None = None  # the title they gave
    note: str = ""
    take_away: str | None = None  # the entry's key


def reader_suggestions(poll: Poll, reader: str | None) -> ReaderSuggestions:
    if reader is None:
        return ReaderSuggestions()
    rows = db.session.execute(
        select(Suggestion.kind, Nomination.title, Suggestion.note, Entry.key)
        .outerjoin(Nomination, Nomination.id == Suggestion.nomination_id)
        .outerjoin(Entry, Entry.id == Suggestion.entry_id)
        .where(Suggestion.poll_id == poll.id, Suggestion.reader == reader)
    ).all()
    found: dict[str, object] = {}
    for kind, title, note, key in rows:
        if kind == SuggestionKind.MISSING:
            found.update(missing=title, note=note)
        else:
            found.update(take_away=key)
    return ReaderSuggestions(**found)  # type: ignore[arg-type]  # the keys are the fields', from the rows above


# ---------------------------------------------------------------- what is shown


@dataclass(frozen=True)
class NominationView:
    """A nomination as the desk shows it: no reader's identity, only how many and what they wrote."""

    id: int
    title: str
    status: NominationStatus
    readers: int
    notes: tuple[str, ...]  # the sentences readers added, newest first
    spellings: tuple[str, ...]  # other titles merged into it

    @property
    def pending(self) -> bool:
        return self.status == NominationStatus.PENDING


@dataclass(frozen=True)
class TakeAway:
    """How many readers would take an entry away."""

    key: str
    editor_rank: int
    label: str  # the entry's text as the pages show it
    readers: int


@dataclass(frozen=True)
class Queue:
    nominations: list[NominationView]  # pending first, then by readers, most first
    take_away: list[TakeAway]

    @property
    def pending(self) -> int:
        return sum(1 for nomination in self.nominations if nomination.pending)


def _readers_per_nomination(poll: Poll) -> dict[int, int]:
    rows = db.session.execute(
        select(Suggestion.nomination_id, func.count())
        .where(Suggestion.poll_id == poll.id, Suggestion.kind == SuggestionKind.MISSING)
        .group_by(Suggestion.nomination_id)
    ).all()
    return {nomination: count for nomination, count in rows if nomination is not None}


def take_away_counts(poll: Poll) -> list[TakeAway]:
    """Each entry some reader would take away, most asked first, then in the editors' order."""
    rows = dict(
        db.session.execute(
            select(Suggestion.entry_id, func.count())
            .where(Suggestion.poll_id == poll.id, Suggestion.kind == SuggestionKind.TAKE_AWAY)
            .group_by(Suggestion.entry_id)
        ).all()
    )
    counted = [
        TakeAway(entry.key, entry.editor_rank, entry.label, rows[entry.id])
        for entry in poll.entries
        if rows.get(entry.id)
    ]
    return sorted(counted, key=lambda each: (-each.readers, each.editor_rank))


def queue(poll: Poll) -> Queue:
    """The desk's queue for a poll: every nomination some reader still makes,
    with its count, notes and merged spellings, and the take-away counts."""
    readers = _readers_per_nomination(poll)
    nominations = db.session.execute(
        select(Nomination).where(Nomination.poll_id == poll.id).order_by(Nomination.id)
    ).scalars()
    notes: dict[int, list[str]] = {}
    for nomination_id, note in db.session.execute(
        select(Suggestion.nomination_id, Suggestion.note)
        .where(
            Suggestion.poll_id == poll.id, Suggestion.kind == SuggestionKind.MISSING, Suggestion.note != ""
        )
        .order_by(Suggestion.updated_at.desc(), Suggestion.id.desc())
    ):
        if nomination_id is not None:
            notes.setdefault(nomination_id, []).append(note)
    spellings: dict[int, list[str]] = {}
    live = []
    for nomination in nominations:
        if nomination.status == NominationStatus.MERGED:
            if nomination.merged_into_id is not None:
                spellings.setdefault(nomination.merged_into_id, []).append(nomination.title)
        elif readers.get(nomination.id):
            live.append(nomination)
    views = [
        NominationView(
            n.id,
            n.title,
            n.status,
            readers[n.id],
            tuple(notes.get(n.id, ())),
            tuple(spellings.get(n.id, ())),
        )
        for n in live
    ]
    views.sort(key=lambda view: (not view.pending, -view.readers, view.id))
    return Queue(views, take_away_counts(poll))


@dataclass(frozen=True)
class Approved:
    title: str
    readers: int


@dataclass(frozen=True)
class PublicSuggestions:
    """What the results page shows of readers' suggestions."""

    nominated: list[Approved]  # approved nominations, most asked first
    take_away: list[TakeAway]

    def __bool__(self) -> bool:
        return bool(self.nominated or self.take_away)


def public_suggestions(poll: Poll) -> PublicSuggestions:
    readers = _readers_per_nomination(poll)
    approved = db.session.execute(
        select(Nomination.id, Nomination.title).where(
            Nomination.poll_id == poll.id, Nomination.status == NominationStatus.APPROVED
        )
    ).all()
    nominated = [Approved(title, readers[id_]) for id_, title in approved if readers.get(id_)]
    nominated.sort(key=lambda each: (-each.readers, normal_title(each.title)))
    return PublicSuggestions(nominated, take_away_counts(poll))


def pending_counts() -> dict[str, int]:
    """Poll slug -> how many nominations wait for an editor (those some reader still makes)."""
    rows = db.session.execute(
        select(Poll.slug, func.count(func.distinct(Nomination.id)))
        .join(Nomination, Nomination.poll_id == Poll.id)
        .join(Suggestion, Suggestion.nomination_id == Nomination.id)
        .where(Nomination.status == NominationStatus.PENDING)
        .group_by(Poll.slug)
    ).all()
    return {slug: count for slug, count in rows}


# ---------------------------------------------------------------- the editors' queue


def _nomination(poll: Poll, nomination_id: int) -> Nomination:
    nomination = db.session.execute(
        select(Nomination).where(Nomination.poll_id == poll.id, Nomination.id == nomination_id)
    ).scalar_one_or_none()
    if nomination is None:
        raise SuggestionError(SuggestionProblem.NO_SUCH_NOMINATION, id=nomination_id)
    if nomination.status == NominationStatus.MERGED:
        raise SuggestionError(SuggestionProblem.MERGED_ALREADY, title=nomination.title)
    return nomination


def approve(poll: Poll, nomination_id: int, title_text: str | None = None) -> str:
    """Approve a nomination for the results page, under a better title if
    given; returns the title it is shown under."""
    with one_transaction():
        nomination = _nomination(poll, nomination_id)
        if title_text is not None and collapsed(title_text):
            nomination.title = check_title(title_text)
        nomination.status = NominationStatus.APPROVED
        return nomination.title


def reject(poll: Poll, nomination_id: int) -> str:
    """Keep a nomination off the results page; returns its title."""
    with one_transaction():
        nomination = _nomination(poll, nomination_id)
        nomination.status = NominationStatus.REJECTED
        return nomination.title


def merge(poll: Poll, into_id: int, others: Sequence[int]) -> tuple[str, list[str]]:
    """Count the readers of ``others`` for ``into_id`` from now on (a later
    suggestion of a merged title counts there too). Returns the title kept and
    the titles merged into it."""
    with one_transaction():
        into = _nomination(poll, into_id)
        merged = []
        for other_id in dict.fromkeys(others):
            if other_id == into_id:
                raise SuggestionError(SuggestionProblem.MERGE_INTO_ITSELF, title=into.title)
            other = _nomination(poll, other_id)
            db.session.execute(
                update(Suggestion).where(Suggestion.nomination_id == other.id).values(nomination_id=into.id)
            )
            db.session.execute(
                update(Nomination).where(Nomination.merged_into_id == other.id).values(merged_into_id=into.id)
            )
            other.status, other.merged_into_id = NominationStatus.MERGED, into.id
            merged.append(other.title)
        return into.title, merged


def approved_titles(poll: Poll, ids: Sequence[int]) -> list[str]:
    """The titles of these approved nominations of the poll, each once, in the
    order asked for: the entries of a new poll made from readers' suggestions.
    Refuses an empty choice and any id that is not an approved nomination."""
    if not ids:
        raise SuggestionError(SuggestionProblem.NONE_CHOSEN)
    rows = db.session.execute(
        select(Nomination.id, Nomination.title).where(
            Nomination.poll_id == poll.id,
            Nomination.status == NominationStatus.APPROVED,
            Nomination.id.in_(set(ids)),
        )
    ).all()
    approved = {nomination_id: title for nomination_id, title in rows}
    if set(ids) - set(approved):
        raise SuggestionError(SuggestionProblem.NOT_APPROVED)
    return [approved[each] for each in dict.fromkeys(ids)]
