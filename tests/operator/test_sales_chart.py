"""The dashboard's sales chart: an SVG image with a name and a summary, a revenue axis with
round ticks, each day's label and value, and bars in proportion."""

from __future__ import annotations

import re
from datetime import date, timedelta
from xml.etree import ElementTree

import pytest

from storefront.web.admin.charts import nice_step, revenue_chart
from storefront.web.admin.queries import DayTotal

SVG = "{http://www.w3.org/2000/svg}"


def week(*revenues: int) -> list[DayTotal]:
    start = date(2026, 11, 23)
    return [DayTotal(start + timedelta(days=i), 1 if r else 0, r) for i, r in enumerate(revenues)]


def parse(markup: str) -> ElementTree.Element:
    """The chart as XML (which also proves every text in it is escaped)."""
    svg = str(markup).replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1)
    return ElementTree.fromstring(svg)  # noqa: S314 - our own chart, not outside input


@pytest.mark.parametrize(
    ("top", "step"), [(0, 1), (3, 1), (9600, 5000), (12_900, 5000), (40_000, 10_000), (101, 50)]
)
def test_ticks_are_round(top: int, step: int) -> None:
    assert nice_step(top, ticks=4) == step


def test_the_chart_has_a_name_axes_labels_and_values() -> None:
    svg = parse(revenue_chart(week(0, 3200, 9600, 0, 6450, 0, 3200), "EUR"))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-title chart-desc"
    title = svg.find(f"{SVG}title")
    desc = svg.find(f"{SVG}desc")
    assert title is not None and title.text == "Revenue per day, last 7 days"
    assert desc is not None
    assert desc.text == "7 days, 4 orders, €224.50 in all; best day 25 November: €96.00."
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    # The revenue axis: round ticks from zero to the first one above the best day.
    assert [t for t in texts if t and re.fullmatch(r"€\d+", t)] == ["€0", "€50", "€100"]
    assert "Revenue (EUR, refunds deducted)" in texts
    # Each day's label and value.
    assert "Mon 23" in texts and "Sun 29" in texts
    assert texts.count("€32.00") == 2 and "€96.00" in texts and "€64.50" in texts
    assert texts.count("€0.00") == 3
    bars = [float(r.get("width", "0")) for r in svg.iter(f"{SVG}rect")]
    assert len(bars) == 7
    assert bars[0] == 0 and bars[2] == pytest.approx(3 * bars[1], rel=0.01)
    assert len([line for line in svg.iter(f"{SVG}line") if line.get("class") == "axis"]) == 2


def test_a_quiet_fortnight_draws_an_empty_chart_without_dividing_by_zero() -> None:
    svg = parse(revenue_chart(week(*[0] * 14), "EUR"))
    assert len(list(svg.iter(f"{SVG}rect"))) == 14
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and desc.text == "14 days, 0 orders, €0.00 in all."
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks[:2] == ["€0", "€10"]
