"""Bar charts drawn on the server as SVG geometry; the template turns it into markup.

No chart library and no JavaScript: the chart is an image with a text alternative, and the same
numbers are in a table next to it for screen readers and for anyone who wants exact values.
"""

from dataclasses import dataclass

from catalog.money import format_money
from dashboards.selectors.seller import RevenueSeries

WIDTH = 600
HEIGHT = 200
# The plot is stretched to the page's width, so its labels are HTML text around it, never SVG
# text that would shrink on a phone; the SVG holds only bars.
TOP = 4
BOTTOM = 0
GAP_RATIO = 0.2


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class BarChart:
    currency: str
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    first_label: str
    last_label: str
    max_label: str
    title: str
    description: str
    # When every sale of the period fell in one bar, a sentence says so instead of a chart
    # that is one bar at the edge of an empty plot.
    only_bucket: str = ""


def _day_label(series: RevenueSeries, day) -> str:
    if series.by_year:
        return f"{day:%Y}"
    return f"{day:%b %Y}" if series.by_month else f"{day:%d %b %Y}"


def revenue_bar_chart(*, series: RevenueSeries) -> BarChart:
    points = series.points
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = HEIGHT - BOTTOM
    highest = max((point.gross for point in points), default=0)
    slot = WIDTH / max(len(points), 1)
    bars = []
    for index, point in enumerate(points):
        height = plot_height * point.gross / highest if highest else 0
        bars.append(
            Bar(
                x=round(index * slot + slot * GAP_RATIO / 2, 2),
                y=round(baseline - height, 2),
                width=round(slot * (1 - GAP_RATIO), 2),
                height=round(height, 2),
                label=f"{_day_label(series, point.day)}: "
                f"{format_money(point.gross, series.currency)} "
                f"({point.count} sale{'' if point.count == 1 else 's'})",
            )
        )
    unit = series.unit
    best = max(points, key=lambda point: point.gross, default=None)
    description = (
        f"Gross sales per {unit} in {series.currency.upper()} from "
        f"{_day_label(series, points[0].day)} to {_day_label(series, points[-1].day)}: "
        f"{format_money(series.total, series.currency)} in total"
    )
    if best is not None and best.gross:
        description += (
            f"; best {unit} {_day_label(series, best.day)} with "
            f"{format_money(best.gross, series.currency)}"
        )
    busy = [point for point in points if point.count]
    only_bucket = ""
    if len(busy) == 1:
        only = busy[0]
        only_bucket = (
            f"All {format_money(only.gross, series.currency)} of this period came on "
            f"{_day_label(series, only.day)} ({only.count} sale{'' if only.count == 1 else 's'})."
        )
    return BarChart(
        currency=series.currency,
        width=WIDTH,
        height=HEIGHT,
        baseline=baseline,
        bars=bars,
        first_label=_day_label(series, points[0].day),
        last_label=_day_label(series, points[-1].day),
        max_label=format_money(highest, series.currency),
        title=f"Gross sales per {unit} ({series.currency.upper()})",
        description=description + ".",
        only_bucket=only_bucket,
    )
