"""The desk's form for making and editing a poll: its text, settings and a
fixed number of entry rows, so it works without script."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import request
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; the stubs have not caught up
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput

from ..ballots.service import has_ballots
from ..catalogue.files import BLURB_LENGTH, ENTRY_TRANSLATED, EntrySpec, PollSpec, control_character
from ..core.ranking import Rule
from ..core.terms import (
    KEY_PATTERN,
    LINK_LENGTH,
    MIN_BALLOTS,
    MOST_MIN_BALLOTS,
    NOUN_LENGTH,
    SLUG_LENGTH,
    TITLE_LENGTH,
    PollStatus,
    ResultsVisibility,
    key_from,
    plausible_link,
    time_zones,
    zone_of,
)
from ..polls.models import Poll
from ..polls.service import RescoreView, all_polls, rescores_needed
from ..web.forms import AppForm
from ..words import RULE_NAMES, rescore_sentence

# The language the desk edits beside the original text (the poll file may
# carry more; the desk keeps those as they are).
SECOND_LANGUAGE = "ko"
SPARE_ROWS = 5  # empty entry rows offered below the poll's entries
FEWEST_ROWS = 8
MOST_ROWS = 200

VISIBILITY_NAMES = {
    ResultsVisibility.ALWAYS: _("Always"),
    ResultsVisibility.AFTER_VOTE: _("Once the reader has voted"),
    ResultsVisibility.AFTER_CLOSE: _("Once the poll is closed"),
}


def _at_most(limit: int) -> Callable[[Form, StringField], None]:
    """Plain text of at most ``limit`` characters: every text field of the desk's poll form."""
    length = Length(max=limit, message=_("At most %(most)s characters.", most=limit))

    def check(form: Form, field: StringField) -> None:
        length(form, field)
        _plain(form, field)

    return check


def _link(form: Form, field: Field) -> None:
    if field.data and not plausible_link(str(field.data).strip()):
        raise ValidationError(gettext("A link must be an http:// or https:// address."))


def _plain(form: Form, field: Field) -> None:
    control = control_character(field.data) if isinstance(field.data, str) else None
    if control is not None:
        raise ValidationError(
            gettext("Plain text only: this holds an invisible control character (%(which)s).", which=control)
        )


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class EntryRow(Form):
    """One entry; a row whose title is blank is no entry."""

    key = HiddenField()
    # Where the row goes in the editors' order: the form's way to reorder without
    # script (desk-order.js keeps it in step with the moves it offers).
    position = IntegerField(
        _("Place in the list"),
        validators=[
            Optional(),
            NumberRange(1, MOST_ROWS, _("Give a whole number from 1 to %(most)s.", most=MOST_ROWS)),
        ],
    )
    title = StringField(_("Title"), validators=[_at_most(TITLE_LENGTH)], filters=[_strip])
    subtitle = StringField(_("Subtitle"), validators=[_at_most(TITLE_LENGTH)], filters=[_strip])
    credit = StringField(_("Credit"), validators=[_at_most(TITLE_LENGTH)], filters=[_strip])
    blurb = TextAreaField(_("Blurb"), validators=[_at_most(BLURB_LENGTH)], filters=[_strip])
    link = StringField(_("Link"), validators=[_at_most(LINK_LENGTH), _link], filters=[_strip])
    title_ko = StringField(_("Title in Korean"), validators=[_at_most(TITLE_LENGTH)], filters=[_strip])
    subtitle_ko = StringField(_("Subtitle in Korean"), validators=[_at_most(TITLE_LENGTH)], filters=[_strip])
    credit_ko = StringField(_("Credit in Korean"), validators=[_at_most(TITLE_LENGTH)], filters=[_strip])
    blurb_ko = TextAreaField(_("Blurb in Korean"), validators=[_at_most(BLURB_LENGTH)], filters=[_strip])


class PollForm(AppForm):
    """A poll's definition; ``poll`` is the poll being edited, None for a new one."""

    title = StringField(
        _("Title"),
        validators=[DataRequired(_("Give the poll a title.")), _at_most(TITLE_LENGTH)],
        filters=[_strip],
    )
    intro = TextAreaField(
        _("Introduction"),
        validators=[DataRequired(_("Write an introduction for readers.")), _at_most(BLURB_LENGTH)],
        filters=[_strip],
    )
    slug = StringField(
        _("Address (slug)"),
        validators=[Optional(), _at_most(SLUG_LENGTH)],
        filters=[_strip],
        description=_("Left empty, it is made from the title."),
    )
    entry_noun = StringField(_("One entry is called"), validators=[_at_most(NOUN_LENGTH)], filters=[_strip])
    entry_noun_plural = StringField(
        _("Several entries are called"), validators=[_at_most(NOUN_LENGTH)], filters=[_strip]
    )
    borda_rule = SelectField(
        _("Borda rule"), choices=[SelectChoice(rule.value, RULE_NAMES[rule]) for rule in Rule]
    )
    results_visibility = SelectField(
        _("Readers see the results"),
        choices=[SelectChoice(value.value, name) for value, name in VISIBILITY_NAMES.items()],
    )
    min_ballots = IntegerField(
        _("Ballots before the results rank the entries"),
        default=MIN_BALLOTS,
        validators=[
            Optional(),
            NumberRange(
                1, MOST_MIN_BALLOTS, _("Give a whole number from 1 to %(most)s.", most=MOST_MIN_BALLOTS)
            ),
        ],
        description=_("Until then the results page shows the counts and says it is too early to call."),
    )
    opens = DateTimeLocalField(
        _("Opens at"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_("Optional. Before then readers see the poll but cannot vote yet."),
    )
    closes = DateTimeLocalField(
        _("Closes at"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_("Optional. At that moment the poll stops taking ballots, by itself."),
    )
    time_zone = SelectField(
        _("Time zone of these times"),
        choices=[SelectChoice(name, name) for name in time_zones()],
        validate_choice=False,  # a form sent without it means UTC; see validate_time_zone
    )
    shuffle_entries = BooleanField(
        _("Each reader's ballot lists the entries in an order of its own"),
        default=True,
        description=_(
            "So the editors' order does not steer the readers'. "
            "The editors' list beside the ballot keeps its order."
        ),
    )
    title_ko = StringField(_("Title in Korean"), validators=[_at_most(TITLE_LENGTH)], filters=[_strip])
    intro_ko = TextAreaField(
        _("Introduction in Korean"), validators=[_at_most(BLURB_LENGTH)], filters=[_strip]
    )
    entry_noun_ko = StringField(
        _("An entry is called, in Korean"),
        validators=[_at_most(NOUN_LENGTH)],
        filters=[_strip],
        description=_("Korean has one word for one and for several; left empty, readers see “항목”."),
    )
    entries = FieldList(FormField(EntryRow), min_entries=FEWEST_ROWS, max_entries=MOST_ROWS)
    # Ticked, it carries what exactly the editor agreed to (RescoreView.token),
    # so a confirmation of one change never lets another through.
    rescore = StringField(_("Re-score every ballot as said above"), widget=CheckboxInput())

    def __init__(self, poll: Poll | None = None, **kwargs: Any) -> None:
        # Only a page being shown starts from the poll: a sent form is what was sent, row by row.
        if poll is not None and request.method != "POST":
            kwargs.setdefault("obj", poll)
            kwargs.setdefault("borda_rule", poll.borda_rule.value)
            kwargs.setdefault("results_visibility", poll.results_visibility.value)
            zone = zone_of(poll.time_zone) or UTC
            for name, moment in (("opens", poll.opens_at), ("closes", poll.closes_at)):
                if moment is not None:  # shown in the poll's own zone, to the minute
                    kwargs.setdefault(name, moment.astimezone(zone).replace(tzinfo=None, second=0))
            given = (poll.translations or {}).get(SECOND_LANGUAGE, {})
            for name in POLL_WORDS:
                kwargs.setdefault(f"{name}_{SECOND_LANGUAGE}", given.get(name, ""))
        super().__init__(**kwargs)
        self.poll = poll
        self._has_ballots = poll is not None and has_ballots(poll)
        self.rescores: list[RescoreView] = []
        while len(self.entries) < max(FEWEST_ROWS, len(poll.entries) + SPARE_ROWS if poll else 0):
            self.entries.append_entry()
        if request.method != "POST":
            for place, row in enumerate(self.entries, start=1):
                row.position.data = place
        if poll is not None and request.method != "POST":
            for row, entry in zip(self.entries, poll.entries, strict=False):
                given = (entry.translations or {}).get(SECOND_LANGUAGE, {})
                for name in ENTRY_TRANSLATED:
                    row[f"{name}_{SECOND_LANGUAGE}"].data = given.get(name, "")

    def _rows(self) -> list[tuple[dict[str, str], dict[str, str] | None]]:
        """Each entry row's data, with its Korean text (None when the form did not carry it), in
        the order the rows' places give (rows without a place, and ties, keep the form's order)."""
        rows = [row for row in self.entries if row.data["title"]]
        rows.sort(key=lambda row: row.data["position"] or MOST_ROWS + 1)
        return [(row.data, _translated(row.form, ENTRY_TRANSLATED)) for row in rows]

    def proposed_slug(self) -> str:
        taken = {poll.slug for poll in all_polls() if poll is not self.poll}
        return key_from(str(self.title.data or ""), taken, fallback="poll")

    def validate_slug(self, field: Field) -> None:
        slug = str(field.data or "")
        if not slug:
            return
        if not KEY_PATTERN.fullmatch(slug):
            raise ValidationError(
                gettext("Use lowercase letters and digits, in words joined by single hyphens.")
            )
        if any(poll.slug == slug for poll in all_polls() if poll is not self.poll):
            raise ValidationError(gettext("Another poll has this address already."))
        if self.poll is not None and slug != self.poll.slug and self._has_ballots:
            raise ValidationError(
                gettext("This poll has ballots, so its address stays “%(slug)s”.", slug=self.poll.slug)
            )

    def moment(self, field: Field) -> datetime | None:
        """A time of the form as a moment: the wall-clock time in the chosen zone."""
        zone = zone_of(str(self.time_zone.data or "UTC"))
        if field.data is None or zone is None:
            return None
        moment: datetime = field.data.replace(tzinfo=zone)
        return moment.astimezone(UTC)

    def validate_time_zone(self, field: Field) -> None:
        field.data = field.data or "UTC"
        if zone_of(str(field.data)) is None:
            raise ValidationError(gettext("Choose a time zone from the list."))

    def validate_closes(self, field: Field) -> None:
        closes = self.moment(field)
        if closes is None:
            return
        kept = self.poll.closes_at if self.poll is not None else None
        same = kept is not None and kept.replace(second=0, microsecond=0) == closes
        if closes <= datetime.now(UTC) and not same:
            raise ValidationError(
                gettext("This closing time has passed already: choose a time to come, or leave it empty.")
            )
        opens = self.moment(self.opens)
        if opens is not None and opens >= closes:
            raise ValidationError(gettext("The poll has to open before it closes."))

    def validate_entries(self, field: Field) -> None:
        rows = [data for data, _ in self._rows()]
        if len(rows) < 2:
            raise ValidationError(gettext("A poll needs at least two entries."))
        if self.poll is not None and self._has_ballots:
            kept = {row["key"] for row in rows}
            gone = [entry.title for entry in self.poll.entries if entry.key not in kept]
            if gone:
                raise ValidationError(
                    gettext(
                        "Readers have ranked these entries, so they stay in the poll: %(titles)s.",
                        titles=", ".join(f"“{title}”" for title in gone),
                    )
                )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.poll is None or not self._has_ballots:
            return True
        spec = self.spec()
        self.rescores = rescores_needed(self.poll, [entry.key for entry in spec.entries], spec.borda_rule)
        if self.rescores and self.rescore.data != self.rescore_token:
            self.rescore.errors = [
                gettext("This poll has ballots: confirm the re-score to save it, or leave the change out.")
            ]
            return False
        return True

    @property
    def rescore_token(self) -> str:
        return " ".join(change.token for change in self.rescores)

    def rescore_sentences(self) -> list[str]:
        """What saving the form does to the points of the ballots cast so far."""
        return [rescore_sentence(change) for change in self.rescores]

    def spec(self) -> PollSpec:
        """The poll this form defines, each entry keyed: an existing entry keeps
        its key, a new one gets a key made from its title."""
        # The desk edits the original text and the Korean; other languages a poll
        # file gave are kept, and so is the Korean when the form did not carry it.
        kept = {entry.key: entry.translations or {} for entry in self.poll.entries} if self.poll else {}
        existing = set(kept)
        used: set[str] = set()
        entries = []
        for row, korean in self._rows():
            key = row["key"] if row["key"] in existing and row["key"] not in used else ""
            key = key or key_from(row["title"], existing | used)
            used.add(key)
            fields = {name: row[name] or "" for name in ("title", "subtitle", "credit", "blurb")}
            translations = _with_language(kept.get(key, {}), korean)
            entries.append(EntrySpec(key=key, link=row["link"] or None, translations=translations, **fields))
        korean = _translated(self, POLL_WORDS)
        if korean and korean.get("entry_noun"):
            korean["entry_noun_plural"] = korean["entry_noun"]
        return PollSpec(
            slug=str(self.slug.data or "") or self.proposed_slug(),
            title=str(self.title.data),
            intro=str(self.intro.data),
            borda_rule=Rule(self.borda_rule.data),
            status=PollStatus.DRAFT,  # readers see a new poll once an editor opens it
            results_visibility=ResultsVisibility(self.results_visibility.data),
            entries=tuple(entries),
            entry_noun=str(self.entry_noun.data or "") or "entry",
            entry_noun_plural=str(self.entry_noun_plural.data or "") or "entries",
            translations=_with_language((self.poll.translations or {}) if self.poll else {}, korean),
            min_ballots=int(self.min_ballots.data or MIN_BALLOTS),
            opens_at=self._kept_or(self.opens, self.poll.opens_at if self.poll else None),
            closes_at=self._kept_or(self.closes, self.poll.closes_at if self.poll else None),
            time_zone=str(self.time_zone.data or "UTC"),
            shuffle_entries=bool(self.shuffle_entries.data),
        )

    def _kept_or(self, field: Field, kept: datetime | None) -> datetime | None:
        """The form's time, or the stored one where the form shows it unchanged
        (the form has minutes; a poll file may have given seconds)."""
        given = self.moment(field)
        if kept is not None and given == kept.replace(second=0, microsecond=0):
            return kept
        return given


# The poll's own words the desk gives in Korean (its plural is the same word).
POLL_WORDS = ("title", "intro", "entry_noun")


def _translated(form: Form, names: tuple[str, ...]) -> dict[str, str] | None:
    """The Korean text a form sent for these fields, blanks left out; None when
    the form did not carry the fields at all (a script sending only the original)."""
    fields = [form[f"{name}_{SECOND_LANGUAGE}"] for name in names]
    if not any(field.raw_data for field in fields):
        return None
    return {name: str(field.data) for name, field in zip(names, fields, strict=True) if field.data}


def _with_language(
    translations: dict[str, dict[str, str]], given: dict[str, str] | None
) -> dict[str, dict[str, str]]:
    """The translations with the desk's Korean in place of what was there."""
    if given is None:
        return dict(translations)
    others = {language: text for language, text in translations.items() if language != SECOND_LANGUAGE}
    return {**others, SECOND_LANGUAGE: given} if given else others
