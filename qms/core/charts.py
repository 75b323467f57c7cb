"""Server-rendered SVG charts: the same markup works in pages and in WeasyPrint PDFs.

No JavaScript and no inline styles (the CSP forbids them): only SVG presentation
attributes. Every chart has a <title> and <desc> for screen readers and a data table
can be shown next to it by the template.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ["#0b4f8a", "#e07b00", "#2e8540", "#a4262c", "#6f42c1", "#00838f", "#795548"]
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


def _fmt(value: float, unit: str = "") -> str:
    text = f"{value:,.1f}" if isinstance(value, float) and not value.is_integer() else f"{value:,.0f}"
    return f"{text}{unit}"


def bar_chart(items: Sequence[tuple[str, float | None]], *, title: str, unit: str = "",
              max_value: float | None = None, width: int = 640, bar_height: int = 22,
              color: str = PALETTE[0], empty_label: str = "—") -> Markup:
    """Horizontal bars, one per (label, value); ``None`` values are drawn as no bar."""
    label_w = 210
    gap = 8
    height = 40 + len(items) * (bar_height + gap)
    values = [v for _, v in items if v is not None]
    top = max_value if max_value is not None else (max(values) if values else 1) or 1
    plot_w = width - label_w - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="qms-chart" {FONT}>',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-size="14" font-weight="bold" fill="#222">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = 32 + i * (bar_height + gap)
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_height * 0.7:.1f}" font-size="12" '
                     f'text-anchor="end" fill="#333">{escape(str(label)[:34])}</text>')
        if value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + bar_height * 0.7:.1f}" font-size="12" '
                         f'fill="#666">{escape(empty_label)}</text>')
            continue
        w = max(0.0, min(1.0, value / top)) * plot_w
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                     f'fill="{color}"><title>{escape(str(label))}: {escape(_fmt(value, unit))}'
                     f"</title></rect>")
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_height * 0.7:.1f}" '
                     f'font-size="12" fill="#222">{escape(_fmt(value, unit))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part is escaped above


def line_chart(series: dict[str, Sequence[tuple[str, float | None]]], *, title: str,
               unit: str = "", y_min: float = 0, y_max: float | None = None,
               width: int = 640, height: int = 280, target: float | None = None,
               target_label: str = "", desc: str = "") -> Markup:
    """One line per series over shared x labels (e.g. survey waves, months).

    ``target`` draws a dashed horizontal reference line (an objective's target) labelled
    ``target_label``; the y axis always reaches it. ``desc`` is read by screen readers.
    """
    labels: list[str] = []
    for points in series.values():
        for label, _ in points:
            if label not in labels:
                labels.append(label)
    values = [v for pts in series.values() for _, v in pts if v is not None]
    if target is not None:
        values.append(target)
    top = y_max if y_max is not None else (max(values) if values else 1)
    if y_max is None and target is not None:
        top = top * 1.1 if top > 0 else top + 1  # room above the target line's label
    top = top if top > y_min else y_min + 1
    left, right, top_pad, bottom = 50, 20, 40, 60
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    step = plot_w / max(1, len(labels) - 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        return left + index * step, top_pad + plot_h * (1 - (value - y_min) / (top - y_min))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="qms-chart" {FONT}>',
        f"<title>{escape(title)}</title>",
        *([f"<desc>{escape(desc)}</desc>"] if desc else []),
        f'<text x="0" y="18" font-size="14" font-weight="bold" fill="#222">{escape(title)}</text>',
    ]
    for k in range(5):  # horizontal grid with 5 ticks
        value = y_min + (top - y_min) * k / 4
        _, y = xy(0, value)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
                     f'fill="#555">{escape(_fmt(value, unit))}</text>')
    for i, label in enumerate(labels):
        x, _ = xy(i, y_min)
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 18}" font-size="11" '
                     f'text-anchor="middle" fill="#333">{escape(str(label)[:16])}</text>')
    if target is not None:
        _, ty = xy(0, target)
        parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" '
                     'stroke="#a4262c" stroke-width="2" stroke-dasharray="6 4" '
                     'class="qms-chart-target"/>')
        parts.append(f'<text x="{width - right}" y="{ty - 6:.1f}" font-size="11" '
                     f'text-anchor="end" fill="#a4262c">{escape(target_label)} '
                     f"{escape(_fmt(target, unit))}</text>")
    for n, (name, points) in enumerate(series.items()):
        color = PALETTE[n % len(PALETTE)]
        lookup = dict(points)
        coords = [(xy(i, lookup[lb]), lookup[lb]) for i, lb in enumerate(labels)
                  if lookup.get(lb) is not None]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for (x, y), _ in coords)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" '
                         'stroke-width="2.5"/>')
        for (x, y), value in coords:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"><title>'
                         f"{escape(name)}: {escape(_fmt(value, unit))}</title></circle>")
        lx = left + n * 150
        parts.append(f'<rect x="{lx}" y="{height - 22}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{lx + 16}" y="{height - 12}" font-size="12" fill="#222">'
                     f"{escape(str(name)[:20])}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part is escaped above
