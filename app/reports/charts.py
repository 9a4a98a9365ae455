"""Horizontal bar charts as inline SVG, drawn on the server (no JavaScript, same in HTML and PDF).

Every label is escaped: labels come from catalogues and user-maintained reference data. Hidden
(suppressed) values come as their marker (".", or "x" for secondary suppression): no bar, the marker
as label.
"""
from markupsafe import Markup, escape


ROW_HEIGHT = 18
LABEL_WIDTH = 190
BAR_WIDTH = 260
VALUE_WIDTH = 60


def bar_chart(title, items, locale_format=str, colour="#2f6f9f"):
    """``items``: (label, count or a hidden cell's marker); returns an SVG element as Markup."""
    shown = [value for _, value in items if isinstance(value, int) and value]
    largest = max(shown) if shown else 1
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = ROW_HEIGHT * len(items) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-size="10">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(items):
        y = 4 + index * ROW_HEIGHT
        text = _shorten(str(label))
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 12}" text-anchor="end">{escape(text)}</text>'
        )
        if isinstance(value, str):
            shown_value = value
        else:
            length = round(BAR_WIDTH * value / largest, 1) if value else 0
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{length}" height="{ROW_HEIGHT - 5}" '
                f'fill="{colour}"/>'
            )
            shown_value = locale_format(value)
        parts.append(
            f'<text x="{width - 4}" y="{y + 12}" text-anchor="end">{escape(shown_value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _shorten(text, limit=34):
    return text if len(text) <= limit else text[: limit - 1] + "…"
