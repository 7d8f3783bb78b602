"""Charts as server-rendered SVG: no script, no CDN, nothing the page's CSP must allow. Each function
returns an ``<svg>`` string with a title and a text description for screen readers, and axes labelled
in the page's language."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

W, H, PAD = 360, 240, 36


def _frame(title: str, desc: str, body: str, x_label: str, y_label: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>"
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 8}" y2="{H - PAD}" class="axis"/>'
        f'<line x1="{PAD}" y1="8" x2="{PAD}" y2="{H - PAD}" class="axis"/>'
        f'<text x="{(W + PAD) / 2}" y="{H - 6}" class="label" text-anchor="middle">{escape(x_label)}</text>'
        f'<text x="10" y="{(H - PAD) / 2}" class="label" text-anchor="middle" '
        f'transform="rotate(-90 10 {(H - PAD) / 2})">{escape(y_label)}</text>'
        f"{body}</svg>"
    )


def _xy(x: float, y: float, x_max: float, y_max: float) -> tuple[float, float]:
    return PAD + (W - 8 - PAD) * x / (x_max or 1), (H - PAD) - (H - PAD - 8) * y / (y_max or 1)


def _ticks(y_max: float, fmt: str = "{:.0%}") -> str:
    out = []
    for k in range(5):
        v = y_max * k / 4
        _, y = _xy(0, v, 1, y_max)
        out.append(f'<text x="{PAD - 4}" y="{y + 3:.1f}" class="tick" text-anchor="end">{fmt.format(v)}</text>')
    return "".join(out)


def lines(
    series: list[tuple[str, list[float], list[float]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_max: float = 1.0,
    y_max: float = 1.0,
    diagonal: bool = False,
) -> Markup:
    """Line chart of (name, xs, ys) series, e.g. a ROC curve (with the chance diagonal)."""
    body = [_ticks(y_max)]
    if diagonal:
        x0, y0 = _xy(0, 0, x_max, y_max)
        x1, y1 = _xy(x_max, y_max, x_max, y_max)
        body.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" class="chance"/>')
    for k, (name, xs, ys) in enumerate(series):
        points = " ".join("{:.1f},{:.1f}".format(*_xy(x, y, x_max, y_max)) for x, y in zip(xs, ys, strict=True))
        body.append(f'<polyline points="{points}" class="series s{k}"><title>{escape(name)}</title></polyline>')
    desc = "; ".join(f"{name}: {len(xs)} points" for name, xs, _ in series)
    return _frame(title, desc, "".join(body), x_label, y_label)


def points(
    pairs: list[tuple[float, float]], *, title: str, x_label: str, y_label: str, y_max: float | None = None
) -> Markup:
    """Scatter of (x, y) pairs on equal scales with the y = x line, e.g. predicted against observed."""
    top = y_max or max([max(x, y) for x, y in pairs] + [0.01]) * 1.1
    body = [_ticks(top, "{:.1%}")]
    x0, y0 = _xy(0, 0, top, top)
    x1, y1 = _xy(top, top, top, top)
    body.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" class="chance"/>')
    for x, y in pairs:
        cx, cy = _xy(x, y, top, top)
        tip = f"{x:.2%} → {y:.2%}"
        body.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" class="dot"><title>{tip}</title></circle>')
    desc = "; ".join(f"{x:.2%} predicted, {y:.2%} observed" for x, y in pairs)
    return _frame(title, desc, "".join(body), x_label, y_label)


def bars(items: list[tuple[str, float]], *, title: str, x_label: str, y_label: str, fmt: str = "{:,.0f}") -> Markup:
    """Bar chart of (label, value), e.g. firms per risk grade."""
    top = max([v for _, v in items] + [1e-9]) * 1.1
    n = max(len(items), 1)
    slot = (W - 8 - PAD) / n
    body = [_ticks(top, fmt)]
    for k, (label, value) in enumerate(items):
        x = PAD + k * slot + slot * 0.15
        _, y = _xy(0, value, 1, top)
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{(H - PAD) - y:.1f}" class="bar">'
            f"<title>{escape(label)}: {fmt.format(value)}</title></rect>"
            f'<text x="{x + slot * 0.35:.1f}" y="{H - PAD + 12}" class="tick" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    desc = "; ".join(f"{label}: {fmt.format(value)}" for label, value in items)
    return _frame(title, desc, "".join(body), x_label, y_label)
