"""QR codes as inline SVG (segno): presentation attributes only, no style, so the CSP holds."""

import segno
from django.utils.safestring import mark_safe


def qr_svg(data: str, *, scale: int | None = None, css_class: str = "qr-code") -> str:
    """The QR code of `data`; without `scale` it has no size and fills its container (CSS)."""
    code = segno.make(data, error="m")
    svg = code.svg_inline(
        scale=scale or 1,
        border=4,
        dark="#000",
        light="#fff",
        omitsize=scale is None,
        svgclass=css_class,
    )
    return mark_safe(svg)  # noqa: S308 — segno's own markup; `data` only becomes QR modules
