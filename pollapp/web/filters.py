"""Template filters every blueprint's templates use."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from fractions import Fraction

from babel.lists import format_list
from flask import Flask
from flask_babel import (
    format_datetime,
    format_decimal,
    format_percent,
    format_timedelta,
    get_locale,
    gettext,
)

from ..core.ranking import format_points
from ..polls.models import Poll
from ..polls.service import EntryView


def points_filter(points: Fraction | float | int) -> str:
    return format_points(points)


def correlation_filter(value: float | None) -> str:
    if value is None:
        return str(gettext("undefined"))
    return str(format_decimal(value, format="0.000")).replace("-", "−")


def number_filter(value: int) -> str:
    """A count with the reader's language's digit grouping: 12,345."""
    return str(format_decimal(value))


def share_filter(value: float) -> str:
    """A share of 0..1 as a whole percentage in the reader's language: 94%."""
    return str(format_percent(value))


def labels_filter(keys: Iterable[str], entries: Mapping[str, EntryView]) -> list[str]:
    """``keys|labels(result.entries)``: the entries' names, in the keys' order."""
    return [entries[key].label for key in keys]


def names_filter(names: Iterable[str]) -> str:
    """Names as one list in the reader's language: "A, B, and C", "A, B 및 C"."""
    return str(format_list(list(names), locale=get_locale() or "en"))


def moment_filter(value: datetime) -> str:
    """A moment in UTC, in the reader's language: 02 Dec 2026 13:00, 2026. 12. 2. 13:00."""
    # The pattern is Babel's (CLDR) date pattern, translated like any sentence.
    return str(format_datetime(value, gettext("dd MMM y HH:mm"), rebase=False))


def schedule_filter(poll: Poll) -> str:
    """When an open poll opens or closes, from now, in the reader's language:
    "Closes in 3 days", "2시간 후 시작"; nothing for a poll without such a time ahead."""
    now = datetime.now(UTC)
    if poll.is_upcoming and poll.opens_at is not None:
        when = format_timedelta(poll.opens_at - now, add_direction=True)
        return str(gettext("Opens %(when)s", when=when))
    if poll.is_open and poll.closes_at is not None:
        when = format_timedelta(poll.closes_at - now, add_direction=True)
        return str(gettext("Closes %(when)s", when=when))
    return ""


def init_app(app: Flask) -> None:
    app.add_template_filter(points_filter, "points")
    app.add_template_filter(correlation_filter, "correlation")
    app.add_template_filter(number_filter, "number")
    app.add_template_filter(moment_filter, "moment")
    app.add_template_filter(share_filter, "share")
    app.add_template_filter(labels_filter, "labels")
    app.add_template_filter(names_filter, "names")
    app.add_template_filter(schedule_filter, "schedule")
