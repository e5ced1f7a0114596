"""Columns that hold one of an enum's values, or a moment in UTC, for every domain's models."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Dialect, Enum, TypeDecorator


def enum_column(enum: type[StrEnum], length: int) -> Enum:
    """A column holding one of an enum's values, stored as the value's text.

    The CHECK constraint is declared on the table by hand (``enum_check``, with
    the name the migrations gave it), so the column creates none of its own.
    """
    return Enum(
        enum,
        values_callable=lambda members: [member.value for member in members],
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
    )


def enum_check(column: str, enum: type[StrEnum], name: str) -> CheckConstraint:
    """The CHECK that ``column`` holds one of the enum's values."""
    allowed = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and read back aware of it, on every database.

    SQLite keeps a time as text without its offset, so a moment given in
    another zone is turned into UTC first; the triggers compare what is
    stored with the database's own clock, in UTC too. A naive time is refused:
    it names no moment.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a time without its time zone names no moment")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
