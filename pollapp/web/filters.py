"""Template filters every blueprint's templates use."""

from __future__ import annotations

from fractions import Fraction

from flask import Flask

from ..core.ranking import format_points


def points_filter(points: Fraction | float | int) -> str:
    return format_points(points)


def correlation_filter(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}".replace("-", "−")


def init_app(app: Flask) -> None:
    app.add_template_filter(points_filter, "points")
    app.add_template_filter(correlation_filter, "correlation")
