"""Pictures of the results: SVG drawn on the server, readable without JavaScript.

Every chart is built as an element tree, so the serialiser escapes all text,
and each carries a ``<title>`` and ``<desc>`` that screen readers announce in
place of the picture. Colours come from classes in the stylesheet (the page's
Content-Security-Policy forbids style attributes), and colour is never the only
signal: moves are also spelled out, fallers are dashed, every cell shows its count.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import NamedTuple

from flask_babel import gettext, ngettext
from markupsafe import Markup

from ..core.ranking import Standing, format_points
from ..polls.service import EntryView
from ..results.service import Results
from ..words import RULE_DESCRIPTIONS, RULE_NAMES
from .languages import nouns_shown
from .svg import element, markup, picture

HEAT_LEVELS = 5


class Charts(NamedTuple):
    slope: Markup
    points: Markup
    heatmap: Markup


def draw_all(result: Results) -> Charts:
    """The three results charts, ready to place in a page."""
    return Charts(slope_chart(result), points_chart(result), position_heatmap(result))


def label(entry: EntryView) -> str:
    return entry.label


def move_words(move: int) -> str:
    """A move in words: up 2, down 1, same place."""
    if move > 0:
        return str(gettext("up %(places)s", places=move))
    if move < 0:
        return str(gettext("down %(places)s", places=-move))
    return str(gettext("same place"))


def move_text(move: int) -> str:
    """A move in words with an arrow, so colour is never needed to read it."""
    arrow = "▲" if move > 0 else ("▼" if move < 0 else "=")
    return f"{arrow} {move_words(move)}"


def move_class(move: int) -> str:
    return "up" if move > 0 else ("down" if move < 0 else "same")


def _ballots_text(ballots: int) -> str:
    return str(ngettext("%(num)d ballot", "%(num)d ballots", ballots))


# ---------------------------------------------------------------- slope chart

SLOPE_ROW = 46
SLOPE_TOP = 44
SLOPE_LEFT = 18
SLOPE_RIGHT = 140
SLOPE_WIDTH = 400
DOT = 13


def _slope_desc(result: Results) -> str:
    outcome = result.outcome
    noun, nouns = nouns_shown(result.poll)
    parts = [
        gettext(
            "Lines join each %(noun)s's place in the editors' list, on the left, "
            "to its place in the readers' ranking, on the right.",
            noun=noun,
        )
    ]
    if not outcome.ballots:
        parts.append(gettext("No ballots yet, so every %(noun)s is tied.", noun=noun))
        return " ".join(parts)
    biggest = (
        (gettext("Biggest riser"), outcome.biggest_riser),
        (gettext("Biggest faller"), outcome.biggest_faller),
    )
    for kind, standing in biggest:
        if standing is not None:
            entry = result.entries[standing.entry]
            parts.append(
                gettext(
                    "%(kind)s: %(scene)s, %(move)s (editors %(editors)s, readers %(readers)s).",
                    kind=kind,
                    scene=label(entry),
                    move=move_words(standing.move),
                    editors=standing.editor_rank,
                    readers=standing.community_rank,
                )
            )
    kept = sum(1 for s in outcome.standings if s.move == 0)
    parts.append(
        ngettext(
            "%(kept)s of %(num)d %(noun)s kept its place.",
            "%(kept)s of %(num)d %(nouns)s kept their place.",
            len(outcome.standings),
            kept=kept,
            noun=noun,
            nouns=nouns,
        )
    )
    return " ".join(parts)


def slope_chart(result: Results) -> Markup:
    """Editors' order on the left, readers' on the right, a line per entry."""
    standings = result.outcome.standings
    height = SLOPE_TOP + len(standings) * SLOPE_ROW + 8
    root = picture(
        "slope",
        SLOPE_WIDTH,
        height,
        gettext("From the editors' order to the readers' order"),
        _slope_desc(result),
    )
    element(root, "text", gettext("Editors"), x=SLOPE_LEFT - DOT, y=22, class_="axis-label")
    element(root, "text", gettext("Readers"), x=SLOPE_RIGHT - DOT, y=22, class_="axis-label")

    def row_y(index: int) -> float:
        return SLOPE_TOP + index * SLOPE_ROW + SLOPE_ROW / 2

    # Draw the lines that kept their place first, so movers sit on top.
    order = sorted(range(len(standings)), key=lambda i: standings[i].move != 0)
    for index in order:
        standing = standings[index]
        entry = result.entries[standing.entry]
        kind = move_class(standing.move)
        y1, y2 = row_y(standing.editor_rank - 1), row_y(index)
        group = element(root, "g", class_=f"slope-row slope-{kind}", data_key=entry.key)
        element(
            group,
            "title",
            gettext(
                "%(scene)s: editors %(editors)s, readers %(readers)s (%(move)s)",
                scene=label(entry),
                editors=standing.editor_rank,
                readers=standing.community_rank,
                move=move_words(standing.move),
            ),
        )
        element(
            group,
            "line",
            x1=SLOPE_LEFT + DOT,
            y1=y1,
            x2=SLOPE_RIGHT - DOT,
            y2=y2,
            class_="slope-line",
            stroke_dasharray="6 4" if standing.move < 0 else None,
        )
        for x, y, rank in (
            (SLOPE_LEFT, y1, standing.editor_rank),
            (SLOPE_RIGHT, y2, standing.community_rank),
        ):
            element(group, "circle", cx=x, cy=y, r=DOT, class_="slope-dot")
            element(group, "text", str(rank), x=x, y=y + 5, class_="dot-label", text_anchor="middle")
        element(group, "text", entry.title, x=SLOPE_RIGHT + DOT + 10, y=y2 - 3, class_="row-label")
        detail = element(group, "text", x=SLOPE_RIGHT + DOT + 10, y=y2 + 14, class_="row-detail")
        detail.text = f"{entry.subtitle} " if entry.subtitle else ""
        element(detail, "tspan", move_text(standing.move), class_=f"move-{kind}")
    return markup(root)


# ---------------------------------------------------------------- points bars

BAR_ROW = 46
BAR_TOP = 40
BAR_WIDTH = 400
BAR_VALUE_SPACE = 64


def points_chart(result: Results) -> Markup:
    """Borda points as bars in community order, stating the ballots and the rule."""
    outcome = result.outcome
    standings = outcome.standings
    height = BAR_TOP + len(standings) * BAR_ROW + 6
    stated = gettext(
        "Borda count, %(rule)s rule, %(ballots)s",
        rule=RULE_NAMES[outcome.rule],
        ballots=_ballots_text(outcome.ballots),
    )
    leader = standings[0] if standings and outcome.ballots else None
    desc = f"{stated}. {RULE_DESCRIPTIONS[outcome.rule]}"
    if leader is not None:
        top = result.entries[leader.entry]
        desc += " " + gettext(
            "Most points: %(scene)s, %(points)s.", scene=label(top), points=format_points(leader.points)
        )
    root = picture(
        "points",
        BAR_WIDTH,
        height,
        gettext("Borda points per %(noun)s", noun=nouns_shown(result.poll)[0]),
        desc,
    )
    element(root, "text", stated, x=0, y=18, class_="axis-label")
    most = max((s.points for s in standings), default=0)
    span = BAR_WIDTH - BAR_VALUE_SPACE
    for index, standing in enumerate(standings):
        entry = result.entries[standing.entry]
        y = BAR_TOP + index * BAR_ROW
        group = element(root, "g", class_="bar-row", data_key=entry.key)
        element(
            group,
            "title",
            gettext(
                "%(scene)s: %(points)s points", scene=label(entry), points=format_points(standing.points)
            ),
        )
        element(
            group, "text", f"{standing.community_rank}. {label(entry)}", x=0, y=y + 14, class_="row-label"
        )
        length = float(standing.points / most * span) if most else 0.0
        element(group, "rect", x=0, y=y + 20, width=max(length, 2.0), height=16, rx=2, class_="bar")
        element(
            group,
            "text",
            format_points(standing.points),
            x=max(length, 2.0) + 6,
            y=y + 33,
            class_="bar-value",
        )
    return markup(root)


# ---------------------------------------------------------------- heatmap

# Each entry's name sits above its row of cells, so the grid fits a phone's width.
HEAT_CELL = 34
HEAT_CELL_HEIGHT = 30
HEAT_LABEL_HEIGHT = 20
HEAT_ROW = HEAT_LABEL_HEIGHT + HEAT_CELL_HEIGHT + 6
HEAT_TOP = 48
HEAT_GAP = 8
HEAT_NONE = 64


def heat_level(count: int, most: int) -> int:
    """A shade 0..HEAT_LEVELS: 0 only for no ballots, the top shade for the most.

    >>> heat_level(0, 10), heat_level(1, 10), heat_level(10, 10)
    (0, 1, 5)
    """
    if count <= 0 or most <= 0:
        return 0
    return max(1, math.ceil(HEAT_LEVELS * count / most))


def unranked_counts(result: Results) -> dict[str, int]:
    """How many ballots left each entry unranked."""
    return {key: result.outcome.ballots - sum(row) for key, row in result.positions.items()}


def _heat_desc(result: Results) -> str:
    outcome = result.outcome
    noun, nouns = nouns_shown(result.poll)
    parts = [
        gettext(
            "How many of the %(ballots)s put each %(noun)s at each position, "
            "%(nouns)s in the readers' order, positions 1 to %(last)s across, "
            "then how many left it unranked.",
            ballots=_ballots_text(outcome.ballots),
            noun=noun,
            nouns=nouns,
            last=len(result.positions),
        )
    ]
    if outcome.ballots:
        favourite = max(outcome.standings, key=lambda s: s.first_place_votes)
        entry = result.entries[favourite.entry]
        parts.append(
            gettext(
                "Most first places: %(scene)s, %(votes)s.",
                scene=label(entry),
                votes=favourite.first_place_votes,
            )
        )
    return " ".join(parts)


class Cell(NamedTuple):
    x: float
    y: float
    width: float
    ballots: int
    shade: str
    key: str
    position: str
    tip: str


def _cell(parent: ET.Element, cell: Cell) -> None:
    group = element(
        parent, "g", class_=f"cell heat-{cell.shade}", data_key=cell.key, data_position=cell.position
    )
    element(group, "title", cell.tip)
    element(group, "rect", x=cell.x + 1, y=cell.y, width=cell.width - 2, height=HEAT_CELL_HEIGHT, rx=3)
    element(
        group,
        "text",
        str(cell.ballots),
        x=cell.x + cell.width / 2,
        y=cell.y + HEAT_CELL_HEIGHT / 2 + 5,
        text_anchor="middle",
    )


def position_heatmap(result: Results) -> Markup:
    """How many readers put each entry at each position: the data behind the count."""
    standings: Sequence[Standing[str]] = result.outcome.standings
    size = len(result.positions)
    none_left = size * HEAT_CELL + HEAT_GAP
    width = none_left + HEAT_NONE
    height = HEAT_TOP + len(standings) * HEAT_ROW
    root = picture(
        "heatmap",
        width,
        height,
        gettext("Where readers placed each %(noun)s", noun=nouns_shown(result.poll)[0]),
        _heat_desc(result),
    )
    element(root, "text", gettext("Position on the ballot"), x=0, y=14, class_="axis-label")
    for p in range(1, size + 1):
        x = (p - 1) * HEAT_CELL + HEAT_CELL / 2
        element(root, "text", str(p), x=x, y=38, class_="column-label", text_anchor="middle")
    element(
        root,
        "text",
        gettext("unranked"),
        x=none_left + HEAT_NONE / 2,
        y=38,
        class_="column-label",
        text_anchor="middle",
    )

    most = max((count for row in result.positions.values() for count in row), default=0)
    left_out = unranked_counts(result)
    most_left_out = max(left_out.values(), default=0)
    for index, standing in enumerate(standings):
        entry = result.entries[standing.entry]
        top = HEAT_TOP + index * HEAT_ROW
        row_label = element(root, "text", x=0, y=top + 14, class_="row-label")
        row_label.text = f"{standing.community_rank}. {entry.title}" + (": " if entry.subtitle else "")
        element(row_label, "tspan", entry.subtitle, class_="row-detail")
        y = top + HEAT_LABEL_HEIGHT
        for p, count in enumerate(result.positions[entry.key], start=1):
            shade = str(heat_level(count, most))
            tip = gettext(
                "%(scene)s: %(count)s at position %(position)s", scene=label(entry), count=count, position=p
            )
            _cell(root, Cell((p - 1) * HEAT_CELL, y, HEAT_CELL, count, shade, entry.key, str(p), tip))
        count = left_out[entry.key]
        shade = f"none-{heat_level(count, most_left_out)}"
        tip = gettext("%(scene)s: left unranked by %(count)s", scene=label(entry), count=count)
        _cell(root, Cell(none_left, y, HEAT_NONE, count, shade, entry.key, "none", tip))
    return markup(root)
