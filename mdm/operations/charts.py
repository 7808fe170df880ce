"""Small line charts as inline SVG, drawn on the server: no script, no CDN, CSP-safe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

WIDTH, HEIGHT, PAD = 560, 140, 28


class _Point(Protocol):
    @property
    def at(self) -> object: ...
    @property
    def value(self) -> float | None: ...


def line_chart(points: Sequence[_Point], *, label: str, unit: str = "") -> SafeString:
    """A polyline of the points with a gap where a value is missing, the maximum on the y axis
    and the first and last times on the x axis; ``label`` names the chart for screen readers."""
    values = [p.value for p in points if p.value is not None]
    top = max(values) if values else 0.0
    top = top if top > 0 else 1.0
    n = max(len(points) - 1, 1)

    def xy(i: int, value: float) -> str:
        x = PAD + (WIDTH - 2 * PAD) * i / n
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / top
        return f"{x:.1f},{y:.1f}"

    runs: list[list[str]] = [[]]
    for i, point in enumerate(points):
        if point.value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(xy(i, point.value))
    lines = format_html_join(
        "",
        '<polyline points="{}" fill="none" stroke="#417690" stroke-width="2"></polyline>',
        ((" ".join(run),) for run in runs if len(run) > 1),
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="2.5" fill="#417690"></circle>',
        (tuple(run[0].split(",")) for run in runs if len(run) == 1),
    )
    first = _when(points[0].at) if points else ""
    last = _when(points[-1].at) if points else ""
    empty = (
        ""
        if values
        else format_html(
            '<text x="{}" y="{}" text-anchor="middle" fill="#666">{}</text>',
            WIDTH // 2,
            HEIGHT // 2,
            "—",
        )
    )
    return format_html(
        '<svg class="ops-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img"'
        ' aria-label="{label}">'
        '<line x1="{p}" y1="{base}" x2="{right}" y2="{base}" stroke="#ccc"></line>'
        '<text x="{p}" y="14" fill="#666" font-size="11">{top}{unit}</text>'
        '<text x="{p}" y="{h2}" fill="#666" font-size="11">{first}</text>'
        '<text x="{right}" y="{h2}" fill="#666" font-size="11" text-anchor="end">{last}</text>'
        "{lines}{dots}{empty}</svg>",
        w=WIDTH,
        h=HEIGHT,
        p=PAD,
        base=HEIGHT - PAD,
        right=WIDTH - PAD,
        h2=HEIGHT - 8,
        label=label,
        top=_number(top if values else 0),
        unit=unit,
        first=first,
        last=last,
        lines=lines,
        dots=dots,
        empty=mark_safe(empty),
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.2f}".rstrip("0").rstrip(".")


def _when(at) -> str:
    return date_format(localtime(at), "m-d H:i")
