"""The desk's forms. Each carries a CSRF token; the action forms carry nothing else."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, StringField, SubmitField, ValidationError
from wtforms.validators import AnyOf, DataRequired, Length

from ..accounts.models import EMAIL_LENGTH
from ..core.terms import PollStatus

PASSWORD_LENGTH = 1024  # longer than any password manager makes


def _printable(form: FlaskForm, field: Field) -> None:
    if not str(field.data or "").isprintable():
        raise ValidationError("Use only letters, digits and punctuation.")


class LoginForm(FlaskForm):
    email = StringField(
        "Email",
        validators=[
            DataRequired("Enter the email address of your account."),
            Length(max=EMAIL_LENGTH, message=f"An email address is at most {EMAIL_LENGTH} characters."),
            _printable,
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"},
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter your password."),
            Length(max=PASSWORD_LENGTH, message=f"A password is at most {PASSWORD_LENGTH} characters."),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Log in")


class LogoutForm(FlaskForm):
    submit = SubmitField("Log out")


class StatusForm(FlaskForm):
    """Open or close a poll: the status it is to have."""

    status = HiddenField(validators=[AnyOf([status.value for status in PollStatus])])


class ReleaseForm(FlaskForm):
    """Count a poll's held ballots."""
