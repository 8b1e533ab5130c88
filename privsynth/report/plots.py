"""Inline SVG rendering of the report's plot data (see ``privsynth.metrics.curves``)."""

from __future__ import annotations

from html import escape

from privsynth.metrics.curves import TOP_LEVELS

REAL, SYN = "#4c72b0", "#dd8452"


# ---- SVG -------------------------------------------------------------------------------


def _legend(a: str, b: str) -> str:
    return (
        f"<rect x='8' y='6' width='10' height='10' fill='{REAL}'/>"
        f"<text x='22' y='15' font-size='10'>{escape(a)}</text>"
        f"<rect x='110' y='6' width='10' height='10' fill='{SYN}'/>"
        f"<text x='124' y='15' font-size='10'>{escape(b)}</text>"
    )


def bars_svg(
    first: list[float],
    second: list[float],
    labels: list[str] | None = None,
    names: tuple[str, str] = ("real", "synthetic"),
    caption: str = "",
) -> str:
    w, h, top, bottom = 360, 170, 22, 30
    n = max(len(first), 1)
    peak = max(first + second + [1e-9])
    slot = (w - 20) / n
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' role='img' "
        f"aria-label='{escape(caption)}'>",
        _legend(*names),
    ]
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        x = 10 + i * slot
        for j, (v, color) in enumerate(((a, REAL), (b, SYN))):
            bh = (h - top - bottom) * v / peak
            parts.append(
                f"<rect x='{x + j * slot / 2:.1f}' y='{h - bottom - bh:.1f}' "
                f"width='{max(slot / 2 - 1, 1):.1f}' height='{bh:.1f}' fill='{color}'/>"
            )
        if labels and n <= TOP_LEVELS + 1:
            parts.append(
                f"<text x='{x + slot / 2:.1f}' y='{h - bottom + 12}' font-size='8' "
                f"text-anchor='middle'>{escape(labels[i][:10])}</text>"
            )
    parts.append(
        f"<text x='10' y='{h - 4}' font-size='9' fill='#57606a'>{escape(caption)}</text></svg>"
    )
    return "".join(parts)


def heatmap_svg(columns: list[str], matrix: list[list[float]]) -> str:
    n = len(columns)
    cell = max(min(24, 360 // max(n, 1)), 8)
    pad = 110
    size = pad + cell * n
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{size}' height='{size}' "
        "role='img' aria-label='correlation difference'>"
    ]
    for i in range(n):
        parts.append(
            f"<text x='{pad - 4}' y='{pad + i * cell + cell * 0.7:.1f}' font-size='9' "
            f"text-anchor='end'>{escape(columns[i][:16])}</text>"
        )
        for j in range(n):
            v = min(max(matrix[i][j], 0.0), 1.0)
            shade = int(255 - 200 * v)
            parts.append(
                f"<rect x='{pad + j * cell}' y='{pad + i * cell}' width='{cell}' "
                f"height='{cell}' fill='rgb(255,{shade},{shade})'><title>"
                f"{escape(columns[i])} × {escape(columns[j])}: {v:.3f}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)


def roc_svg(points: list[list[float]], auc: float | None) -> str:
    s = 160
    path = " ".join(
        f"{'M' if k == 0 else 'L'}{20 + x * s:.1f},{10 + (1 - y) * s:.1f}"
        for k, (x, y) in enumerate(points)
    )
    label = "" if auc is None else f"AUC {auc:.3f}"
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{s + 40}' height='{s + 40}' "
        "role='img' aria-label='membership inference ROC'>"
        f"<rect x='20' y='10' width='{s}' height='{s}' fill='none' stroke='#d0d7de'/>"
        f"<path d='M20,{10 + s} L{20 + s},10' stroke='#aaa' stroke-dasharray='3'/>"
        f"<path d='{path}' fill='none' stroke='{SYN}' stroke-width='2'/>"
        f"<text x='24' y='{s + 30}' font-size='10'>false positive rate → {label}</text>"
        "</svg>"
    )
