"""The desk's forms. Each carries a CSRF token; the action forms carry nothing else."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, StringField, SubmitField, ValidationError
from wtforms.validators import AnyOf, DataRequired, Length

from ..accounts.models import EMAIL_LENGTH
from ..core.terms import PollStatus
from ..web.forms import AppForm

PASSWORD_LENGTH = 1024  # longer than any password manager makes


def _printable(form: FlaskForm, field: Field) -> None:
    if not str(field.data or "").isprintable():
        raise ValidationError(gettext("Use only letters, digits and punctuation."))


class LoginForm(AppForm):
    email = StringField(
        _("Email"),
        validators=[
            DataRequired(_("Enter the email address of your account.")),
            Length(
                max=EMAIL_LENGTH,
                message=_("An email address is at most %(most)s characters.", most=EMAIL_LENGTH),
            ),
            _printable,
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"},
    )
    password = PasswordField(
        _("Password"),
        validators=[
            DataRequired(_("Enter your password.")),
            Length(
                max=PASSWORD_LENGTH,
                message=_("A password is at most %(most)s characters.", most=PASSWORD_LENGTH),
            ),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_("Log in"))


class LogoutForm(AppForm):
    submit = SubmitField(_("Log out"))


class StatusForm(AppForm):
    """Open or close a poll: the status it is to have (a poll never goes back to draft)."""

    status = HiddenField(validators=[AnyOf([PollStatus.OPEN.value, PollStatus.CLOSED.value])])


class ReleaseForm(AppForm):
    """Count a poll's held ballots."""
