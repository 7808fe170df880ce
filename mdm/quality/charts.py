"""Charts for the quality dashboard, drawn on the server as inline SVG (no JavaScript, no CDN).

Three kinds: grouped bars (which system is worst on each metric), lines (a metric over the
snapshots, one line per system) and a heat map (element x system). Every value is a share
in [0, 1] or None (nothing to measure: drawn as a gap or a grey cell). Labels are escaped;
each mark carries a <title> so that hovering shows the exact figure.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

#: Colour-blind-safe palette (Okabe-Ito), one colour per series.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
ALL_COLOUR = "#444444"
FONT = 'font-family="sans-serif" font-size="11"'

Series = tuple[str, Sequence[float | None]]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def series_colour(index: int, name: str) -> str:
    return ALL_COLOUR if name == "ALL" else PALETTE[index % len(PALETTE)]


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    label = escape(title)
    return mark_safe(  # noqa: S308 - every text below went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{label}" class="quality-chart">'
        f"<title>{label}</title>"
        f'<text x="4" y="14" {FONT} font-weight="bold">{label}</text>' + "".join(body) + "</svg>"
    )


def _y_axis(left: int, top: int, plot_w: int, plot_h: int) -> list[str]:
    marks = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h - tick * plot_h
        marks.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" {FONT} text-anchor="end">{int(tick * 100)}%</text>'
        )
    return marks


def _legend(names: Sequence[str], x: int, y: int) -> list[str]:
    marks = []
    for i, name in enumerate(names):
        colour = series_colour(i, name)
        marks.append(
            f'<rect x="{x}" y="{y + i * 16}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{y + i * 16 + 9}" {FONT}>{escape(name)}</text>'
        )
    return marks


def bar_chart(title: str, groups: Sequence[str], series: Sequence[Series]) -> SafeString:
    """Grouped bars: one group per metric (``groups``), one bar per series (system)."""
    left, top, legend_w = 40, 24, 90
    group_w = max(60, 18 * len(series) + 20)
    plot_w, plot_h = group_w * max(1, len(groups)), 140
    width, height = left + plot_w + legend_w, top + plot_h + 36
    body = _y_axis(left, top, plot_w, plot_h)
    bar_w = (group_w - 20) / max(1, len(series))
    for g, group in enumerate(groups):
        x0 = left + g * group_w + 10
        for s, (name, values) in enumerate(series):
            value = values[g] if g < len(values) else None
            x = x0 + s * bar_w
            tip = escape(f"{name} · {group}: {_pct(value)}")
            if value is None:
                body.append(
                    f'<rect x="{x:.1f}" y="{top + plot_h - 2}" width="{bar_w - 2:.1f}" height="2" '
                    f'fill="#bbb"><title>{tip}</title></rect>'
                )
                continue
            h = max(0.0, min(1.0, value)) * plot_h
            body.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{h:.1f}" fill="{series_colour(s, name)}"><title>{tip}</title></rect>'
            )
        body.append(
            f'<text x="{x0 + (group_w - 20) / 2:.1f}" y="{top + plot_h + 16}" {FONT} '
            f'text-anchor="middle">{escape(group)}</text>'
        )
    body += _legend([name for name, _ in series], left + plot_w + 10, top)
    return _svg(width, height, title, body)


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> SafeString:
    """One line per series over ``labels`` (snapshot times); None leaves a gap."""
    left, top, legend_w = 40, 24, 90
    plot_w, plot_h = 360, 120
    width, height = left + plot_w + legend_w, top + plot_h + 36
    body = _y_axis(left, top, plot_w, plot_h)
    n = len(labels)
    step = plot_w / max(1, n - 1)

    def point(i: int, value: float) -> tuple[float, float]:
        x = left + (i * step if n > 1 else plot_w / 2)
        return x, top + plot_h - max(0.0, min(1.0, value)) * plot_h

    for s, (name, values) in enumerate(series):
        colour = series_colour(s, name)
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(values):
            if value is None:
                runs.append([])
                continue
            x, y = point(i, value)
            runs[-1].append((x, y))
            tip = escape(f"{name} · {labels[i]}: {_pct(value)}")
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>{tip}</title>'
                f"</circle>"
            )
        dash = ' stroke-dasharray="4 3"' if name == "ALL" else ""
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                body.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" '
                    f'stroke-width="1.5"{dash}/>'
                )
    if labels:
        body.append(
            f'<text x="{left}" y="{top + plot_h + 16}" {FONT}>{escape(labels[0])}</text>'
            f'<text x="{left + plot_w}" y="{top + plot_h + 16}" {FONT} text-anchor="end">'
            f"{escape(labels[-1])}</text>"
        )
    body += _legend([name for name, _ in series], left + plot_w + 10, top)
    return _svg(width, height, title, body)


def heat_colour(value: float | None) -> str:
    """Red below 80 %, amber below 95 %, green above; grey when there is nothing to measure."""
    if value is None:
        return "#eeeeee"
    if value < 0.8:
        return "#f4a6a6"
    if value < 0.95:
        return "#f9d98b"
    return "#a8dba8"


NEUTRAL_COLOUR = "#dde6f0"


def heat_map(
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    neutral_rows: Collection[str] = (),
) -> SafeString:
    """A cell per (row, column) coloured by ``heat_colour``, with the share written in it.

    Cells of ``neutral_rows`` get one neutral colour: their share is shown but not judged
    (e.g. the completeness of an optional element, often empty by design).
    """
    label_w, top, cell_w, cell_h = 150, 40, 70, 18
    width, height = label_w + cell_w * len(columns) + 4, top + cell_h * len(rows) + 4
    body = [
        f'<text x="{label_w + c * cell_w + cell_w / 2:.1f}" y="{top - 6}" {FONT} '
        f'text-anchor="middle" font-weight="bold">{escape(name)}</text>'
        for c, name in enumerate(columns)
    ]
    for r, row in enumerate(rows):
        y = top + r * cell_h
        body.append(f'<text x="4" y="{y + 13}" {FONT}>{escape(row)}</text>')
        for c, column in enumerate(columns):
            value = values[r][c]
            x = label_w + c * cell_w
            tip = escape(f"{row} · {column}: {_pct(value)}")
            fill = NEUTRAL_COLOUR if row in neutral_rows else heat_colour(value)
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{fill}"><title>{tip}</title></rect>'
                f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + 12}" {FONT} text-anchor="middle">'
                f"{escape(_pct(value))}</text>"
            )
    return _svg(width, height, title, body)
