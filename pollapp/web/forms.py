"""The ballot form: one select per position, so it works without JavaScript.

The ranking widget fills the same fields, so the server checks every ballot
the same way whatever the reader used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from babel import support
from flask import current_app
from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectField, ValidationError
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; the stubs have not caught up
from wtforms.i18n import messages_path

from ..polls.service import EntryView
from .languages import current_language
from .readers import IDEMPOTENCY_KEY

NOT_RANKED = ""


@lru_cache(maxsize=8)
def _wtforms_translations(language: str) -> support.NullTranslations:
    """WTForms' own messages ("Not a valid choice") in a language, read once per process."""
    return support.Translations.load(messages_path(), [language], domain="wtforms")


class AppForm(FlaskForm):
    """Every form of the app: Flask-WTF's, with WTForms' own messages in the reader's
    language read once per process, where Flask-WTF reads their catalogue again for
    every request that builds a form."""

    class Meta:
        def get_translations(self, form: FlaskForm) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return None  # WTForms' messages as they are written
            return _wtforms_translations(current_language())


def add_error(field: Field, message: str) -> None:
    """Add an error to a field that has been validated."""
    field.errors = [*field.errors, message]


class BallotForm(AppForm):
    """Positions ``rank_1`` .. ``rank_n``; subclassed per poll by ``ballot_form``."""

    size = 0

    def position_fields(self) -> list[SelectField]:
        return [self[f"rank_{p}"] for p in range(1, self.size + 1)]

    def show(self, ranking: Sequence[str]) -> None:
        """Select a ranking in the position fields, most loved first (a reader's earlier ballot)."""
        for field, key in zip(self.position_fields(), ranking, strict=False):
            field.data = key

    @property
    def ranking(self) -> list[str]:
        """The chosen entry keys, most loved first."""
        return [field.data for field in self.position_fields() if field.data]

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        fields = self.position_fields()
        problems = ranking_problems([field.data or NOT_RANKED for field in fields])
        for problem in problems:
            add_error(fields[problem.position], _problem_words(problem))
        return valid and not problems

    @staticmethod
    def plain_ranking(data: Mapping[str, str]) -> list[str] | None:
        """The ranking sent with this form (its ``rank_1`` .. ``rank_n`` values) when
        nothing about it needs saying, by the rules ``validate`` applies
        (``ranking_problems``), read without building the form, which costs more than
        the ballot's own statement; None when something does need saying, for the
        whole form to say. Whether the entries are the poll's is left to the ballot's
        statement, which refuses any other."""
        chosen: dict[int, str] = {}
        for name, value in data.items():
            if (position := _POSITION.fullmatch(name)) is not None:
                if len(position.group(1)) > _MOST_DIGITS:
                    return None  # a position this reading does not go to: the whole form's to say
                chosen[int(position.group(1))] = value
        if not chosen:
            return None
        values = [chosen.get(p, NOT_RANKED) for p in range(1, max(chosen) + 1)]
        return None if ranking_problems(values) else [key for key in values if key]


_POSITION = re.compile(r"rank_([1-9][0-9]*)")  # a position field's name, as ballot_form names them
_MOST_DIGITS = 3  # positions up to 999 are read plainly; a ballot reaching further goes the long way


class PositionProblem(NamedTuple):
    """What is wrong at one position of a ballot form (0 for rank 1)."""

    position: int
    kind: Literal["nothing ranked", "gap", "repeat"]
    first: int = 0  # for a repeat, the position the entry was ranked at first


def ranking_problems(chosen: Sequence[str]) -> list[PositionProblem]:
    """What is wrong with the entries chosen at each position, most loved first
    (``NOT_RANKED`` where none was): nothing chosen at all, a gap before a later
    choice, an entry chosen twice. Whether the entries are the poll's own is
    for the form's choices, or the ballot's statement, to say."""
    if not any(chosen):
        return [PositionProblem(0, "nothing ranked")]
    last = max(p for p, key in enumerate(chosen) if key)
    problems = [PositionProblem(p, "gap") for p in range(last) if not chosen[p]]
    seen: dict[str, int] = {}
    for p, key in enumerate(chosen):
        if key in seen:
            problems.append(PositionProblem(p, "repeat", seen[key]))
        elif key:
            seen[key] = p
    return problems


def _problem_words(problem: PositionProblem) -> str:
    match problem.kind:
        case "nothing ranked":
            return str(gettext("Pick your favourite first, then as many more as you like."))
        case "gap":
            return str(
                gettext(
                    "Rank %(rank)s is empty but a later rank is filled: close the gap.",
                    rank=problem.position + 1,
                )
            )
        case "repeat":
            return str(gettext("Already ranked at %(rank)s: pick each one once.", rank=problem.first + 1))


def _reader_key_is_well_formed(form: BallotForm, field: Field) -> None:
    if not IDEMPOTENCY_KEY.fullmatch(field.data or ""):
        raise ValidationError(gettext("This ballot has lost its reader key. Reload the page and vote again."))


def ballot_form(entries: Sequence[EntryView], *, reader_key: bool = False, **kwargs: Any) -> BallotForm:
    """A ballot form for a poll with these entries, one select per position.

    ``reader_key``: the form carries the key that stands for its reader (the
    embed, where no cookie can), in a hidden ``reader_key`` field.
    """
    choices = [SelectChoice(NOT_RANKED, gettext("— not ranked —"))] + [
        SelectChoice(e.key, e.label) for e in entries
    ]
    fields: dict[str, object] = {
        f"rank_{p}": SelectField(
            gettext("Rank %(rank)s", rank=p), choices=choices, default=NOT_RANKED, validate_choice=True
        )
        for p in range(1, len(entries) + 1)
    }
    if reader_key:
        fields["reader_key"] = HiddenField(validators=[_reader_key_is_well_formed])
    form_class: type[BallotForm] = type("PollBallotForm", (BallotForm,), {"size": len(entries), **fields})
    return form_class(**kwargs)
