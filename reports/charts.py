"""Charts as server-rendered inline SVG: no JavaScript, prints sharply, readable by screen readers.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that states what the
chart shows in words (total, peak); the page puts the same numbers in a table next to it. The
SVG scales with its container (``viewBox``); colours are attributes, so a chart saved on its own
still looks right.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Noto Sans CJK SC, sans-serif"'
INK, MUTED, GRID = "#1b1f24", "#505a66", "#d5dbe1"
DARK, LIGHT = "#0a5c57", "#b9dcd7"
_ids = itertools.count(1)


@dataclass
class Series:
    name: str
    values: list[float]
    color: str


def axis(value: float, *, ticks: int = 4) -> tuple[int, int]:
    """(step, top) of a count axis: a whole 1, 2 or 5 × 10ⁿ step, at most ``ticks`` steps up to
    the first one at or above ``value``. Counts get whole-number gridlines (0, 1, 2 — never 0.5)."""
    wanted = max(value / ticks, 1)
    magnitude = 10 ** math.floor(math.log10(wanted))
    step = next(s * magnitude for s in (1, 2, 5, 10) if s * magnitude >= wanted)
    return int(step), int(step * max(math.ceil(value / step), 1))


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _open(*, width: int, height: int, title: str, desc: str, css_class: str) -> tuple[str, list[str]]:
    chart_id = f"chart-{next(_ids)}"
    head = (
        f'<svg class="chart {escape(css_class)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg" {FONT}>'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )
    return head, []


def _legend(series: list[Series], *, x: float, y: float) -> str:
    parts = []
    for item in series:
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="12" height="12" rx="2" fill="{item.color}"/>'
            f'<text x="{x + 17:.1f}" y="{y + 1:.1f}" font-size="12" fill="{INK}">{escape(item.name)}</text>'
        )
        x += 30 + 7.2 * len(item.name)
    return "".join(parts)


def column_chart(
    *,
    title: str,
    desc: str,
    labels: list[str],
    series: list[Series],
    marker: tuple[int, str] | None = None,
    label_every: int | None = None,
    width: int = 640,
    height: int = 240,
    show_values: bool | None = None,
    max_value: float | None = None,
) -> SafeString:
    """Vertical columns, one per label. Several series are drawn over each other (the first one
    widest, behind), e.g. seats expected behind seats checked in. ``marker`` = (index, text) draws a
    dashed line at the left edge of that column (the session's start)."""
    head, body = _open(width=width, height=height, title=title, desc=desc, css_class="chart--columns")
    left, right, top, bottom = 44, 12, 28 if len(series) > 1 else 14, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(len(labels), 1)
    step, top_value = axis(max_value or max((v for s in series for v in s.values), default=0))
    band = plot_w / count
    label_every = label_every or max(1, math.ceil(count / 10))
    show_values = count <= 16 if show_values is None else show_values

    for index in range(top_value // step + 1):  # horizontal grid and y-axis numbers
        value = index * step
        y = top + plot_h - plot_h * value / top_value
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="{MUTED}">{value}</text>'
        )
    for s_index, item in enumerate(series):
        ratio = 0.78 - 0.3 * s_index if len(series) > 1 else 0.78
        bar_w = max(band * ratio, 1)
        for index, value in enumerate(item.values):
            bar_h = plot_h * value / top_value
            x = left + band * index + (band - bar_w) / 2
            y = top + plot_h - bar_h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" fill="{item.color}">'
                f"<title>{escape(labels[index])}: {escape(item.name)} {_number(value)}</title></rect>"
            )
            if show_values and s_index == len(series) - 1 and value:
                body.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle" '
                    f'fill="{INK}">{_number(value)}</text>'
                )
    for index, label in enumerate(labels):
        if index % label_every == 0:
            x = left + band * index + band / 2
            body.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 16:.1f}" font-size="11" text-anchor="middle" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{MUTED}"/>')
    if marker is not None:
        index, text = marker
        x = left + band * index
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{top + plot_h}" stroke="{INK}" '
            f'stroke-dasharray="4 3" stroke-width="1.2"/>'
            f'<text x="{x + 4:.1f}" y="{top + 8}" font-size="11" fill="{INK}">{escape(text)}</text>'
        )
    if len(series) > 1:
        body.append(_legend(series, x=left, y=14))
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every text above is escaped


def bar_chart(
    *,
    title: str,
    desc: str,
    labels: list[str],
    series: list[Series],
    width: int = 440,
    row_height: int = 30,
    label_width: int = 140,
) -> SafeString:
    """Horizontal bars, one row per label, series drawn over each other; the numbers at the end of
    each row ("9 / 12" for two series)."""
    legend_h = 26 if len(series) > 1 else 0
    height = legend_h + row_height * max(len(labels), 1) + 8
    head, body = _open(width=width, height=height, title=title, desc=desc, css_class="chart--bars")
    value_w = 56
    plot_w = width - label_width - value_w - 8
    top_value = max((v for s in series for v in s.values), default=0) or 1
    for index, label in enumerate(labels):
        y = legend_h + row_height * index + 4
        short = label if len(label) <= 18 else label[:17] + "…"
        body.append(
            f'<text x="{label_width - 8}" y="{y + row_height / 2 + 2:.1f}" font-size="13" text-anchor="end" '
            f'fill="{INK}"><title>{escape(label)}</title>{escape(short)}</text>'
        )
        for s_index, item in enumerate(series):
            bar_h = (row_height - 8) * (1 if s_index == 0 else 0.55)
            bar_y = y + (row_height - 8 - bar_h) / 2
            bar_w = plot_w * item.values[index] / top_value
            body.append(
                f'<rect x="{label_width}" y="{bar_y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" rx="2" '
                f'fill="{item.color}"><title>{escape(label)}: {escape(item.name)} '
                f"{_number(item.values[index])}</title></rect>"
            )
        numbers = " / ".join(_number(item.values[index]) for item in reversed(series))
        end = label_width + plot_w * max(item.values[index] for item in series) / top_value
        body.append(
            f'<text x="{end + 6:.1f}" y="{y + row_height / 2 + 2:.1f}" font-size="12" fill="{INK}">{numbers}</text>'
        )
    if len(series) > 1:
        body.append(_legend(list(reversed(series)), x=label_width, y=14))
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every text above is escaped
