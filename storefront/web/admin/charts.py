"""The sales chart, drawn as SVG on the server: no script, nothing for the CSP to block.

One horizontal bar per day (days down the side, so the labels stay readable when a phone
shrinks the picture), a revenue axis with round ticks and grid lines along the bottom, and
each day's value written at the end of its bar. The SVG is an image with a name and a
summary; the same figures are in a table beside it for anyone who cannot see the picture.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from storefront.money import exponent, format_money
from storefront.web.admin.queries import DayTotal

WIDTH = 420
ROW = 24
LEFT = 60  # the day labels
RIGHT = 88  # room for the longest value after the longest bar
TOP = 8
AXIS = 38  # tick labels and the axis title under the bars


def nice_step(top: int, ticks: int = 4) -> int:
    """A round tick step (1, 2 or 5 × 10^k) so that about ``ticks`` steps reach ``top``."""
    rough = max(top / ticks, 1)
    magnitude = 1
    while magnitude * 10 <= rough:
        magnitude *= 10
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= rough:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _axis_money(amount: int, currency: str) -> str:
    """Tick labels in whole units where they are whole (€50, not €50.00)."""
    text = format_money(amount, currency)
    zeros = "." + "0" * exponent(currency)
    return text.replace(zeros, "") if exponent(currency) else text


def revenue_chart(days: list[DayTotal], currency: str) -> Markup:
    # At least ten whole units a step: a quiet fortnight gets an axis from 0 to 10, not 0.01.
    step = max(
        nice_step(max((d.revenue for d in days), default=0), ticks=4),
        10 ** (exponent(currency) + 1),
    )
    peak = max(max((d.revenue for d in days), default=0), 1)
    top = -(-peak // step) * step  # the first tick at or above the best day
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = ROW * max(len(days), 1)
    height = TOP + plot_h + AXIS
    total = sum(d.revenue for d in days)
    best = max(days, key=lambda d: d.revenue, default=None)
    orders = sum(d.orders for d in days)
    summary = (
        f"{len(days)} days, {orders} order{'' if orders == 1 else 's'}, "
        f"{format_money(total, currency)} in all"
    )
    if best is not None and best.revenue:
        summary += f"; best day {best.day:%d %B}: {format_money(best.revenue, currency)}"
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">Revenue per day, last {len(days)} days</title>',
        f'<desc id="chart-desc">{escape(summary)}.</desc>',
        '<g class="grid" aria-hidden="true">',
    ]
    for tick in range(0, top + 1, step):
        x = LEFT + plot_w * tick / top
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}"/>'
            f'<text class="tick" x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
            f"{escape(_axis_money(tick, currency))}</text>"
        )
    parts.append(
        f'<text class="axis-title" x="{LEFT + plot_w / 2:.1f}" y="{height - 3}" '
        f'text-anchor="middle">Revenue ({escape(currency)}, refunds deducted)</text></g>'
    )
    for i, day in enumerate(days):
        y = TOP + i * ROW
        w = plot_w * day.revenue / top
        value = format_money(day.revenue, currency)
        kind = "value" if day.revenue else "value zero"
        parts.append(
            f'<g class="day"><text class="tick" x="{LEFT - 6}" y="{y + ROW / 2 + 4:.1f}" '
            f'text-anchor="end">{day.day:%a %d}</text>'
            f'<rect class="bar" x="{LEFT}" y="{y + 4}" width="{w:.1f}" height="{ROW - 8}"/>'
            f'<text class="{kind}" x="{LEFT + w + 4:.1f}" y="{y + ROW / 2 + 4:.1f}">'
            f"{escape(value)}</text></g>"
        )
    parts.append(
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>'
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" '
        f'y2="{TOP + plot_h}"/></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped or numeric
