"""What the app does with editor accounts: add, list and remove them, check a
login, and keep the record of refused logins and the trail of editors' actions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from ..extensions import db
from ..polls.models import Poll
from ..storage.sessions import one_transaction
from . import passwords
from .models import (
    DETAIL_LENGTH,
    EMAIL_LENGTH,
    EMAIL_PATTERN,
    LOGIN_KEY_LENGTH,
    AuditEntry,
    Editor,
    EditorAction,
    LoginFailure,
    LoginRefusal,
)

MIN_PASSWORD_LENGTH = 12


class AccountProblem(StrEnum):
    MALFORMED_EMAIL = "malformed_email"
    SHORT_PASSWORD = "short_password"
    TAKEN = "taken"  # an editor with that email exists
    NO_SUCH_EDITOR = "no_such_editor"


class AccountError(ValueError):
    """Why an account cannot be made or found: a problem and its data; the words are the caller's."""

    def __init__(self, problem: AccountProblem, **data: object) -> None:
        super().__init__(problem, data)
        self.problem = problem
        self.data = data


def normal_email(text: str) -> str:
    """An email as accounts are kept and looked up: no surrounding spaces, lower case."""
    return text.strip().lower()


def _without_controls(text: str) -> str:
    return "".join(c for c in text if c.isprintable())


def _find(email: str) -> Editor | None:
    # Only a plausible email reaches the database (PostgreSQL refuses a NUL with an error).
    if len(email) > EMAIL_LENGTH or _without_controls(email) != email:
        return None
    return db.session.execute(select(Editor).where(Editor.email == email)).scalar_one_or_none()


def check_new_email(text: str) -> str:
    """The email a new account would have; AccountError if it is malformed or taken."""
    email = normal_email(text)
    if len(email) > EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        raise AccountError(AccountProblem.MALFORMED_EMAIL, email=text)
    if _find(email) is not None:
        raise AccountError(AccountProblem.TAKEN, email=email)
    return email


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(AccountProblem.SHORT_PASSWORD, least=MIN_PASSWORD_LENGTH, given=len(password))


def add_editor(email_text: str, password: str) -> Editor:
    """Make an editor account; AccountError for a malformed or taken email or a short password."""
    email = check_new_email(email_text)
    check_password(password)
    editor = Editor(
        email=email, password_hash=passwords.hash_password(password), login_key=secrets.token_urlsafe(32)
    )
    with one_transaction():
        db.session.add(editor)
    return editor


def all_editors() -> list[Editor]:
    return list(db.session.execute(select(Editor).order_by(Editor.email)).scalars())


def remove_editor(email_text: str) -> None:
    """Remove an account; its sessions end with it. The trail keeps its entries."""
    editor = _find(normal_email(email_text))
    if editor is None:
        raise AccountError(AccountProblem.NO_SUCH_EDITOR, email=email_text)
    with one_transaction():
        db.session.delete(editor)


def editor_by_login_key(key: str) -> Editor | None:
    """The editor a session names, if the account is still there."""
    if len(key) != LOGIN_KEY_LENGTH:
        return None
    return db.session.execute(select(Editor).where(Editor.login_key == key)).scalar_one_or_none()


def authenticate(email_text: str, password: str) -> Editor | None:
    """The editor whose email and password these are, or None.

    A wrong password and an unknown email cost the same: both check one hash.
    """
    editor = _find(normal_email(email_text))
    if not passwords.verify(editor.password_hash if editor else None, password):
        return None
    assert editor is not None
    if passwords.needs_rehash(editor.password_hash):
        with one_transaction():
            editor.password_hash = passwords.hash_password(password)
    return editor


def record_refused_login(email_text: str, address: str, *, locked_out: bool = False) -> LoginRefusal:
    """Keep a refused login: when, the account's email if there is such an
    account (else what was typed, cut to length), why, and the keyed hash of
    the client's address. Returns why."""
    tried = normal_email(email_text)
    editor = _find(tried)
    if locked_out:
        refusal = LoginRefusal.LOCKED_OUT
    else:
        refusal = LoginRefusal.NO_SUCH_EDITOR if editor is None else LoginRefusal.WRONG_PASSWORD
    email = editor.email if editor else _without_controls(tried)[:EMAIL_LENGTH]
    with one_transaction():
        db.session.add(LoginFailure(email=email, refusal=refusal, address=address))
    return refusal


def record(
    editor: Editor,
    action: EditorAction,
    poll: Poll | None = None,
    ballots: int | None = None,
    detail: str | None = None,
) -> None:
    """Add an entry to the trail of editors' actions; ``detail`` (what it was about) is cut to length."""
    with one_transaction():
        db.session.add(
            AuditEntry(
                editor_email=editor.email,
                action=action,
                poll_id=poll.id if poll is not None else None,
                ballots=ballots,
                detail=detail[:DETAIL_LENGTH] if detail is not None else None,
            )
        )


@dataclass(frozen=True)
class TrailEntry:
    at: datetime
    editor_email: str
    action: EditorAction
    ballots: int | None
    detail: str | None


def poll_trail(poll: Poll) -> list[TrailEntry]:
    """What editors did to a poll, newest first."""
    rows = db.session.execute(
        select(
            AuditEntry.at, AuditEntry.editor_email, AuditEntry.action, AuditEntry.ballots, AuditEntry.detail
        )
        .where(AuditEntry.poll_id == poll.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()
    return [TrailEntry(*row) for row in rows]
