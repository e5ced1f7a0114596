"""The readers' two suggestion forms, and what the pages show of suggestions.

Each form works without JavaScript: it posts, and the reader is sent back
with a message. The rules for a title and a sentence are the suggestions
domain's; the forms put its refusals beside the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectField, StringField, SubmitField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; the stubs have not caught up
from wtforms.validators import AnyOf, DataRequired

from ..polls.models import Poll
from ..suggestions.models import NOTE_LENGTH, SUGGESTED_TITLE_LENGTH
from ..suggestions.service import (
    PublicSuggestions,
    ReaderSuggestions,
    SuggestionError,
    check_note,
    check_title,
    public_suggestions,
    reader_suggestions,
)
from ..web.forms import AppForm
from ..web.suggestions import suggestion_problem

# Where a form sends the reader back to: the page it was on.
PAGES = ("poll", "results")
NOT_CHOSEN = ""


def _checked_by(check: Callable[[str], str]) -> Callable[[FlaskForm, Field], None]:
    def validate(form: FlaskForm, field: Field) -> None:
        try:
            field.data = check(str(field.data or ""))
        except SuggestionError as error:
            raise ValidationError(suggestion_problem(error)) from error

    return validate


class MissingForm(AppForm):
    """ "Is something missing?": a title and an optional sentence."""

    title = StringField(
        _l("What is missing?"),
        validators=[DataRequired(_l("Write the title you would add.")), _checked_by(check_title)],
        render_kw={"maxlength": SUGGESTED_TITLE_LENGTH, "autocomplete": "off"},
    )
    note = TextAreaField(
        _l("Why it belongs (optional)"),
        validators=[_checked_by(check_note)],
        render_kw={"maxlength": NOTE_LENGTH, "rows": 2},
    )
    back = HiddenField(default="poll", validators=[AnyOf(PAGES)])
    submit = SubmitField(_l("Suggest it"))


class TakeAwayForm(AppForm):
    """ "Anything you'd take away?": one of the poll's entries."""

    # The choice is checked below, with words of its own.
    entry = SelectField(_l("What would you take away?"), validate_choice=False, default=NOT_CHOSEN)
    back = HiddenField(default="poll", validators=[AnyOf(PAGES)])
    submit = SubmitField(_l("Suggest taking it away"))
    keys: frozenset[str] = frozenset()  # the poll's entries, set by take_away_form

    def validate_entry(self, field: Field) -> None:
        if field.data not in self.keys:
            raise ValidationError(gettext("Choose the entry you would take away."))


def take_away_form(poll: Poll, **kwargs: object) -> TakeAwayForm:
    form = TakeAwayForm(prefix="away", **kwargs)
    form.keys = frozenset(entry.key for entry in poll.entries)
    form.entry.choices = [SelectChoice(NOT_CHOSEN, gettext("— choose one —"))] + [
        SelectChoice(entry.key, entry.label) for entry in poll.entries
    ]
    return form


def missing_form(**kwargs: object) -> MissingForm:
    return MissingForm(prefix="missing", **kwargs)


@dataclass(frozen=True)
class SuggestionPanel:
    """Everything a page shows of suggestions: the reader's forms (filled in
    with their own suggestions), and, on the results page, the public ones."""

    missing: MissingForm
    take_away: TakeAwayForm
    mine: ReaderSuggestions
    back: str  # the page the forms are on
    public: PublicSuggestions | None = None


def suggestion_panel(poll: Poll, reader: str | None, back: str = "poll") -> SuggestionPanel:
    """The panel for a page that shows the forms unsent (a GET)."""
    mine = reader_suggestions(poll, reader)
    return SuggestionPanel(
        missing=missing_form(formdata=None, data={"title": mine.missing, "note": mine.note, "back": back}),
        take_away=take_away_form(poll, formdata=None, data={"entry": mine.take_away or "", "back": back}),
        mine=mine,
        back=back,
        public=public_suggestions(poll) if back == "results" else None,
    )
