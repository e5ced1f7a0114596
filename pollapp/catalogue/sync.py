"""Loading poll files into the database: creating polls and updating them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from ..ballots.service import has_ballots
from ..extensions import db
from ..polls.models import Entry, Poll
from ..polls.service import add_rescores, bump_revision, rescores_needed
from .files import ENTRY_FIELDS, EntrySpec, PollFileError, PollSpec


def sync_polls(specs: Iterable[PollSpec]) -> list[str]:
    """Create or update polls from their files; never touches ballots.
    Returns a line per poll."""
    report = []
    for spec in specs:
        poll = db.session.execute(select(Poll).where(Poll.slug == spec.slug)).scalar_one_or_none()
        if poll is not None and _definition(poll) == _definition(spec):
            report.append(f"{spec.slug}: unchanged, {len(spec.entries)} entries")
            continue
        action = "created" if poll is None else "updated"
        store_poll(spec, poll)
        report.append(f"{spec.slug}: {action}, {len(spec.entries)} entries")
    db.session.commit()
    return report


class EntriesInUse(PollFileError):
    """Entries that have ballots, which a poll must keep."""

    def __init__(self, slug: str, keys: list[str]) -> None:
        super().__init__(
            f"poll {slug!r} has ballots, so its entries cannot be removed ({', '.join(keys)}); "
            "keep them in the file"
        )
        self.keys = keys


def store_poll(spec: PollSpec, poll: Poll | None = None) -> Poll:
    """Create a poll from its definition, or make ``poll`` match it (its slug
    too); the one way a poll is stored. Entries are matched by key, so an
    entry keeps its ballots across edits. Flushes, never commits.

    Status is set only when a poll is created, so a poll closed from the
    command line or the desk stays closed.
    """
    if poll is None:
        poll = Poll(
            slug=spec.slug, status=spec.status, results_visibility=spec.results_visibility, revision=0
        )
        db.session.add(poll)
    else:
        bump_revision(poll)  # the results' text, rule or order may change
    existing = {entry.key: entry for entry in poll.entries}
    wanted = {entry.key for entry in spec.entries}
    removed = sorted(set(existing) - wanted)
    cast = poll.id is not None and has_ballots(poll)
    if removed and cast:
        raise EntriesInUse(poll.slug, removed)
    # Ballots already cast count anew from now on; the poll keeps the record.
    changes = rescores_needed(poll, [entry.key for entry in spec.entries], spec.borda_rule) if cast else []
    poll.slug, poll.title, poll.intro, poll.borda_rule = spec.slug, spec.title, spec.intro, spec.borda_rule
    poll.results_visibility = spec.results_visibility
    poll.entry_noun, poll.entry_noun_plural = spec.entry_noun, spec.entry_noun_plural
    poll.min_ballots = spec.min_ballots
    poll.opens_at, poll.closes_at, poll.time_zone = spec.opens_at, spec.closes_at, spec.time_zone
    poll.shuffle_entries = spec.shuffle_entries
    poll.translations = spec.translations
    for key in removed:
        poll.entries.remove(existing[key])
    # Park editor ranks out of the way so a reordering never trips the unique constraint.
    for entry in existing.values():
        entry.editor_rank += 10_000
    db.session.flush()
    for rank, item in enumerate(spec.entries, start=1):
        entry = existing.get(item.key) or Entry(key=item.key)
        entry.editor_rank, entry.title, entry.subtitle = rank, item.title, item.subtitle
        entry.credit, entry.blurb, entry.link = item.credit, item.blurb, item.link
        entry.translations = item.translations
        if entry.id is None:
            poll.entries.append(entry)
    add_rescores(poll, changes)
    db.session.flush()
    return poll


def _definition(poll: Poll | PollSpec) -> tuple[object, ...]:
    """What a poll file decides, from the database or from the file alike."""
    entries = tuple(tuple(getattr(e, field) for field in ENTRY_FIELDS) for e in poll.entries)
    nouns = (poll.entry_noun, poll.entry_noun_plural)
    texts = (poll.translations or {}, tuple(e.translations or {} for e in poll.entries))
    shown = (poll.results_visibility, poll.min_ballots, poll.shuffle_entries)
    schedule = (poll.opens_at, poll.closes_at, poll.time_zone)
    return (poll.title, poll.intro, poll.borda_rule, shown, nouns, entries, texts, schedule)


def spec_of(poll: Poll) -> PollSpec:
    """A poll as it stands in the database, as its poll file would say it."""
    entries = tuple(
        EntrySpec(e.key, e.title, e.subtitle, e.credit, e.blurb, e.link, dict(e.translations or {}))
        for e in poll.entries
    )
    return PollSpec(
        slug=poll.slug,
        title=poll.title,
        intro=poll.intro,
        borda_rule=poll.borda_rule,
        status=poll.status,
        results_visibility=poll.results_visibility,
        entries=entries,
        entry_noun=poll.entry_noun,
        entry_noun_plural=poll.entry_noun_plural,
        translations=dict(poll.translations or {}),
        min_ballots=poll.min_ballots,
        opens_at=poll.opens_at,
        closes_at=poll.closes_at,
        time_zone=poll.time_zone,
        shuffle_entries=poll.shuffle_entries,
    )


def save_poll(spec: PollSpec, poll: Poll | None = None) -> Poll:
    """Store one poll made or edited in the desk, all of it or nothing."""
    try:
        stored = store_poll(spec, poll)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return stored
