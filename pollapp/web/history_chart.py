"""The ranks through time: a line per entry from the poll's first hours to now,
drawn on the server as SVG like the other results charts (``web.charts``)."""

from __future__ import annotations

from typing import NamedTuple

from flask_babel import gettext, ngettext
from markupsafe import Markup

from ..results.history import Point
from ..results.service import Results
from .charts import label
from .filters import moment_filter
from .svg import element, markup, picture

WIDTH = 640
LEFT, RIGHT_LABELS, TOP, ROW = 34, 230, 24, 26
LINE_STYLES = 6  # history-line-0..5 in the stylesheet; each line is labelled too


class HistoryChart(NamedTuple):
    points: list[Point]
    svg: Markup


def history_chart(points: list[Point], result: Results) -> HistoryChart:
    """The chart of ``points`` (oldest first), with each line named at its end."""
    keys = [standing.entry for standing in result.outcome.standings]
    if not points:
        return HistoryChart(points, Markup(""))
    n = len(keys)
    height = TOP + n * ROW + 20
    right = WIDTH - RIGHT_LABELS
    first, last = points[0].at, points[-1].at
    span = (last - first).total_seconds() or 1.0

    def x(point: Point) -> float:
        return LEFT + (right - LEFT) * ((point.at - first).total_seconds() / span if len(points) > 1 else 1.0)

    def y(rank: int) -> float:
        return TOP + (rank - 1) * ROW + ROW / 2

    desc = ngettext(
        "Community ranks at %(num)d moment from %(first)s to %(last)s UTC. "
        "Rank 1 at the top. The table below gives every moment.",
        "Community ranks at %(num)d moments from %(first)s to %(last)s UTC. "
        "Rank 1 at the top. The table below gives every moment.",
        len(points),
        first=moment_filter(first),
        last=moment_filter(last),
    )
    root = picture("history", WIDTH, height, gettext("Community ranks through time"), desc)
    for rank in range(1, n + 1):
        element(root, "text", str(rank), x=LEFT - 10, y=y(rank) + 4, class_="axis-label", text_anchor="end")
    element(root, "text", moment_filter(first), x=LEFT, y=height - 4, class_="axis-label")
    element(root, "text", gettext("now"), x=right, y=height - 4, class_="axis-label", text_anchor="end")
    for index, key in enumerate(keys):
        entry = result.entries[key]
        group = element(root, "g", class_=f"history-row history-line-{index % LINE_STYLES}", data_key=key)
        ranks = [(x(point), y(point.ranks[key])) for point in points if key in point.ranks]
        if not ranks:
            continue
        steps: list[tuple[float, float]] = [ranks[0]]
        for px, py in ranks[1:]:
            steps += [(px, steps[-1][1]), (px, py)]  # the rank holds until the next moment
        element(
            group,
            "title",
            f"{label(entry)}: {', '.join(str(p.ranks[key]) for p in points if key in p.ranks)}",
        )
        element(
            group,
            "polyline",
            points=" ".join(f"{px:.1f},{py:.1f}" for px, py in steps),
            class_="history-line",
            fill="none",
        )
        final = points[-1].ranks.get(key)
        if final is not None:
            element(
                group, "text", f"{final}. {label(entry)}", x=right + 8, y=y(final) + 4, class_="history-label"
            )
    return HistoryChart(points, markup(root))
