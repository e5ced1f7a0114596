"""The results charts: well-formed SVG that says the same as the numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import NamedTuple

import pytest
from pollapp.core import ranking
from pollapp.core.ranking import format_points
from pollapp.polls.models import Poll
from pollapp.polls.service import EntryView
from pollapp.results.service import Results
from pollapp.web import charts
from pollapp.web.svg import SVG_NAMESPACE
from pollapp.words import RULE_DESCRIPTIONS

from helpers import POLL, set_poll, vote

NS = {"svg": SVG_NAMESPACE}
KEYS = ["kiss-a", "kiss-b", "kiss-c", "kiss-d"]


def entry(key: str, rank: int, drama: str | None = None, scene: str | None = None) -> EntryView:
    return EntryView(
        key, rank, drama or f"Drama {key[-1].upper()}", scene or "Rain kiss", "A & B", "Blurb.", None
    )


def make_results(
    ballots: list[list[str]], rule: ranking.Rule = "averaged", entries: list[EntryView] | None = None
) -> Results:
    """Results as the service builds them, without a database."""
    entries = entries or [entry(key, rank) for rank, key in enumerate(KEYS, start=1)]
    keys = [e.key for e in entries]
    counts = ranking.tally(ballots)
    return Results(
        poll=Poll(entry_noun="scene", entry_noun_plural="scenes"),
        outcome=ranking.outcome(counts, keys, rule),
        entries={e.key: e for e in entries},
        positions=ranking.position_matrix(counts, keys),
    )


# Editors: a, b, c, d. Readers put d first and a last: d rises 3, a falls 3.
BALLOTS = [
    ["kiss-d", "kiss-b", "kiss-c", "kiss-a"],
    ["kiss-d", "kiss-c", "kiss-b"],
    ["kiss-b", "kiss-d"],
]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{{{SVG_NAMESPACE}}}svg"
    return root


def rows(root: ET.Element, css_class: str) -> dict[str, ET.Element]:
    return {
        g.get("data-key"): g
        for g in root.iterfind(".//svg:g", NS)
        if css_class in (g.get("class") or "").split()  # type: ignore[misc]
    }


def texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iterfind(".//svg:text", NS)]


# ---------------------------------------------------------------- every chart


@pytest.mark.parametrize("draw", [charts.slope_chart, charts.points_chart, charts.position_heatmap])
def test_every_chart_is_an_image_named_by_its_title_and_description(draw):
    root = parse(draw(make_results(BALLOTS)))
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    title = root.find(f"svg:title[@id='{title_id}']", NS)
    desc = root.find(f"svg:desc[@id='{desc_id}']", NS)
    assert title is not None and title.text
    assert desc is not None and len(desc.text) > 40
    # No style attributes anywhere: the page's policy would block them.
    assert all(element.get("style") is None for element in root.iter())
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    assert (float(root.get("width")), float(root.get("height"))) == (width, height)


@pytest.mark.parametrize("draw", [charts.slope_chart, charts.points_chart, charts.position_heatmap])
def test_every_chart_draws_a_poll_without_ballots(draw):
    result = make_results([])
    root = parse(draw(result))
    assert len({g.get("data-key") for g in root.iterfind(".//svg:g[@data-key]", NS)}) == len(KEYS)


def test_the_three_charts_have_distinct_ids_so_they_can_share_a_page():
    drawn = charts.draw_all(make_results(BALLOTS))
    ids = [element.get("id") for svg in drawn for element in parse(svg).iter() if element.get("id")]
    assert len(ids) == len(set(ids)) == 6


class Hostile(NamedTuple):
    drama: str
    scene: str


HOSTILE = [
    Hostile("<script>alert('x')</script>", "Rain kiss"),
    Hostile("Tom & Jerry", 'The "kiss" <b>scene</b>'),
    Hostile("]]><svg onload=alert(1)>", "&amp; already escaped"),
]


@pytest.mark.parametrize("case", HOSTILE, ids=["script", "ampersand-and-quotes", "cdata-and-entity"])
@pytest.mark.parametrize("draw", [charts.slope_chart, charts.points_chart, charts.position_heatmap])
def test_entry_text_is_escaped_never_markup(draw, case):
    entries = [entry(KEYS[0], 1, case.drama, case.scene)] + [
        entry(key, rank) for rank, key in enumerate(KEYS[1:], start=2)
    ]
    svg = draw(make_results(BALLOTS, entries=entries))
    root = parse(svg)
    assert "<script" not in svg and "<b>" not in svg and "<svg onload" not in svg
    # Only the chart's own element kinds, whatever the text says.
    tags = {element.tag.split("}")[1] for element in root.iter()}
    assert tags <= {"svg", "title", "desc", "g", "line", "circle", "text", "tspan", "rect"}
    shown = " ".join(texts(root)) + " ".join(t.text or "" for t in root.iterfind(".//svg:title", NS))
    assert case.drama in shown
    assert case.scene in shown


# ---------------------------------------------------------------- slope chart


def test_the_slope_chart_draws_one_line_per_scene():
    root = parse(charts.slope_chart(make_results(BALLOTS)))
    lines = root.findall(".//svg:line", NS)
    assert len(lines) == len(KEYS)
    assert set(rows(root, "slope-row")) == set(KEYS)
    assert all(len(g.findall("svg:line", NS)) == 1 for g in rows(root, "slope-row").values())


def test_risers_climb_and_fallers_drop_dashed_with_the_move_in_words():
    result = make_results(BALLOTS)
    moves = {result.entries[s.entry].key: s.move for s in result.outcome.standings}
    assert moves["kiss-d"] == 3 and moves["kiss-a"] == -3
    slope = rows(parse(charts.slope_chart(result)), "slope-row")

    riser, faller = slope["kiss-d"], slope["kiss-a"]
    assert "slope-up" in riser.get("class")
    assert "slope-down" in faller.get("class")
    riser_line, faller_line = riser.find("svg:line", NS), faller.find("svg:line", NS)
    # SVG y grows downwards: a riser ends higher than it starts.
    assert float(riser_line.get("y2")) < float(riser_line.get("y1"))
    assert float(faller_line.get("y2")) > float(faller_line.get("y1"))
    assert faller_line.get("stroke-dasharray") and riser_line.get("stroke-dasharray") is None
    assert any("▲ up 3" in text for text in texts(riser))
    assert any("▼ down 3" in text for text in texts(faller))


def test_the_slope_chart_description_names_the_biggest_riser_and_faller():
    root = parse(charts.slope_chart(make_results(BALLOTS)))
    desc = root.find("svg:desc", NS).text
    assert "Biggest riser: Drama D: Rain kiss, up 3 (editors 4, readers 1)." in desc
    assert "Biggest faller: Drama A: Rain kiss, down 3 (editors 1, readers 4)." in desc


def test_the_slope_chart_places_tied_scenes_on_separate_rows():
    root = parse(charts.slope_chart(make_results([])))
    ends = [float(line.get("y2")) for line in root.iterfind(".//svg:line", NS)]
    assert len(set(ends)) == len(KEYS)
    assert "No ballots yet" in root.find("svg:desc", NS).text


# ---------------------------------------------------------------- points bars


def test_bars_follow_the_points_and_state_the_ballots_and_the_rule():
    result = make_results(BALLOTS, rule="truncated")
    root = parse(charts.points_chart(result))
    assert "Borda count, truncated rule, 3 ballots" in texts(root)
    assert str(RULE_DESCRIPTIONS["truncated"]) in root.find("svg:desc", NS).text
    bars = rows(root, "bar-row")
    widths = {key: float(g.find("svg:rect", NS).get("width")) for key, g in bars.items()}
    points = {result.entries[s.entry].key: s.points for s in result.outcome.standings}
    top = max(points, key=points.get)
    assert widths[top] == charts.BAR_WIDTH - charts.BAR_VALUE_SPACE
    for key in KEYS:
        assert widths[key] == pytest.approx(
            max(2.0, float(points[key] / points[top]) * widths[top]), abs=0.01
        )
        assert format_points(points[key]) in texts(bars[key])


def test_bars_list_scenes_in_the_readers_order():
    result = make_results(BALLOTS)
    root = parse(charts.points_chart(result))
    drawn = [g.get("data-key") for g in root.iterfind(".//svg:g[@data-key]", NS)]
    assert drawn == [result.entries[s.entry].key for s in result.outcome.standings]


def test_one_ballot_is_stated_in_the_singular():
    root = parse(charts.points_chart(make_results([["kiss-c"]])))
    assert "Borda count, averaged rule, 1 ballot" in texts(root)


# ---------------------------------------------------------------- heatmap


def test_every_heatmap_cell_shows_how_many_ballots_put_the_scene_there():
    result = make_results(BALLOTS)
    root = parse(charts.position_heatmap(result))
    cells = {
        (g.get("data-key"), g.get("data-position")): g for g in root.iterfind(".//svg:g[@data-position]", NS)
    }
    assert len(cells) == len(KEYS) * (len(KEYS) + 1)
    expected = {
        "kiss-a": [0, 0, 0, 1],
        "kiss-b": [1, 1, 1, 0],
        "kiss-c": [0, 1, 1, 0],
        "kiss-d": [2, 1, 0, 0],
    }
    unranked = {"kiss-a": 2, "kiss-b": 0, "kiss-c": 1, "kiss-d": 0}
    for key, counts in expected.items():
        for position, count in enumerate(counts, start=1):
            assert texts(cells[key, str(position)]) == [str(count)]
        assert texts(cells[key, "none"]) == [str(unranked[key])]


def test_heatmap_shades_grow_with_the_count_and_empty_cells_stay_blank():
    root = parse(charts.position_heatmap(make_results(BALLOTS)))
    cells = {
        (g.get("data-key"), g.get("data-position")): g.get("class")
        for g in root.iterfind(".//svg:g[@data-position]", NS)
    }
    assert cells["kiss-d", "1"] == "cell heat-5"  # 2 of at most 2
    assert cells["kiss-b", "1"] == "cell heat-3"  # 1 of 2
    assert cells["kiss-a", "1"] == "cell heat-0"
    assert cells["kiss-a", "none"] == "cell heat-none-5"


class Level(NamedTuple):
    count: int
    most: int
    level: int


@pytest.mark.parametrize(
    "case",
    [Level(0, 10, 0), Level(1, 10, 1), Level(2, 10, 1), Level(3, 10, 2), Level(10, 10, 5), Level(0, 0, 0)],
)
def test_heat_levels_run_from_blank_to_the_darkest_shade(case):
    assert charts.heat_level(case.count, case.most) == case.level


def test_the_heatmap_description_names_the_most_first_places():
    root = parse(charts.position_heatmap(make_results(BALLOTS)))
    desc = root.find("svg:desc", NS).text
    assert "3 ballots" in desc
    assert "Most first places: Drama D: Rain kiss, 2." in desc


# ---------------------------------------------------------------- on the results page


def test_the_results_page_shows_the_three_charts_once_it_ranks(app, client, keys):
    page = client.get(f"/polls/{POLL}/results").get_data(as_text=True)
    assert "No ballots yet." in page
    assert "<svg" not in page

    vote(client, [keys[8], keys[0]])
    assert "<svg" not in client.get(f"/polls/{POLL}/results").get_data(as_text=True)  # too early
    set_poll(app, min_ballots=1)
    page = client.get(f"/polls/{POLL}/results").get_data(as_text=True)
    for name in ("slope", "points", "heatmap"):
        assert page.count(f'class="chart chart-{name}"') == 1
    # Served as HTML, the SVG is still well-formed XML, and the titles are not escaped twice.
    start = page.index('<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-heatmap"')
    heatmap = parse(page[start : page.index("</svg>", start) + len("</svg>")])
    assert heatmap.find("svg:title", NS).text == "Where readers placed each scene"
    assert "&amp;amp;" not in page
