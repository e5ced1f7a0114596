"""Columns that hold one of an enum's values, for every domain's models."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum


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
