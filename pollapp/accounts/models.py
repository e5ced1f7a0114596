"""Editors, their refused logins, and the trail of what editors did."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..storage.columns import enum_check, enum_column

# An address as people type them: no spaces, one @, a domain with a dot.
EMAIL_PATTERN = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
)
EMAIL_LENGTH = 254  # the longest address mail can carry
PASSWORD_HASH_LENGTH = 200  # argon2's encoded hash is about 100 characters
LOGIN_KEY_LENGTH = 43  # secrets.token_urlsafe(32)
ADDRESS_LENGTH = 32  # a keyed hash of the client address, as the rate limits count it
ACTION_LENGTH = 20
DETAIL_LENGTH = 300  # what an action was about, such as the titles a merge joined


class EditorAction(StrEnum):
    """What the trail records an editor doing."""

    LOGGED_IN = "logged_in"
    LOGGED_OUT = "logged_out"
    OPENED = "opened"
    CLOSED = "closed"
    RELEASED = "released"  # counted a poll's held ballots
    APPROVED = "approved"  # a readers' nomination, for the results page
    REJECTED = "rejected"  # a readers' nomination
    MERGED = "merged"  # readers' nominations into one
    CREATED = "created"  # a poll, in the desk
    EDITED = "edited"  # a poll's text, entries or settings, in the desk
    RESCORED = "rescored"  # confirmed that a poll's ballots count anew (detail: RescoreView.token)


class LoginRefusal(StrEnum):
    """Why a login was refused."""

    WRONG_PASSWORD = "wrong_password"
    NO_SUCH_EDITOR = "no_such_editor"
    LOCKED_OUT = "locked_out"  # too many failures from the address or for the account


def utcnow() -> datetime:
    return datetime.now(UTC)


class Editor(Model):
    """Someone who may use the editors' desk. Flask-Login's user: ``get_id`` and the three flags."""

    __tablename__ = "editor"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), unique=True)
    # argon2id, with its parameters and salt; never the password.
    password_hash: Mapped[str] = mapped_column(String(PASSWORD_HASH_LENGTH))
    # What a session holds to name the editor: random, so that an account
    # removed and another made later never inherits the old one's sessions.
    login_key: Mapped[str] = mapped_column(String(LOGIN_KEY_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.login_key


class LoginFailure(Model):
    """A refused login: when, for which account (or what was typed), from where (keyed hash only)."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The account's email when there is such an account, else what was typed, cut to length.
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    refusal: Mapped[LoginRefusal] = mapped_column(enum_column(LoginRefusal, ACTION_LENGTH))
    # An HMAC of the client address with the secret key, never the address itself.
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))

    __table_args__ = (
        enum_check("refusal", LoginRefusal, "login_failure_refusal"),
        Index("login_failure_at", "at"),
    )


class AuditEntry(Model):
    """One thing an editor did: who, what, when, and to which poll."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The editor's email as it was: the trail outlives the account.
    editor_email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    action: Mapped[EditorAction] = mapped_column(enum_column(EditorAction, ACTION_LENGTH))
    poll_id: Mapped[int | None] = mapped_column(ForeignKey("poll.id", ondelete="SET NULL"))
    # For a release: how many held ballots it counted.
    ballots: Mapped[int | None] = mapped_column(Integer)
    # What the action was about, in the editors' or readers' words (never who a reader is).
    detail: Mapped[str | None] = mapped_column(String(DETAIL_LENGTH))

    __table_args__ = (
        enum_check("action", EditorAction, "audit_entry_action"),
        Index("audit_entry_poll", "poll_id"),
    )
