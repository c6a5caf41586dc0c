"""Text widths from the font the browser is given, so that the pictures place their names
without guessing: the pictures are drawn in Source Sans 3 (`make frontend` copies its WOFF2
files from npm into static/vendor/source-sans-3/, and the stylesheet serves them with
@font-face), and this module reads the advance widths from those very files with fontTools.

The pictures switch kerning off (``font-kerning: none`` in site.css), so a text's width is
exactly the sum of its glyphs' advances: what is computed here is what the browser draws.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

FAMILY = "Source Sans 3"
FOLDER = Path(__file__).parents[1] / "static" / "vendor" / "source-sans-3"
FILES = {
    False: "source-sans-3-latin-400-normal.woff2",
    True: "source-sans-3-latin-700-normal.woff2",
}


@cache
def _advances(bold: bool) -> tuple[dict[int, int], int, int]:
    """(code point → advance, units per em, advance of the missing glyph) of one weight."""
    path = FOLDER / FILES[bold]
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `make frontend` (the pictures' font)")
    font = TTFont(path)
    metrics = font["hmtx"].metrics
    widths = {code: metrics[name][0] for code, name in font.getBestCmap().items()}
    return widths, font["head"].unitsPerEm, metrics[".notdef"][0]


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width in px of ``text`` set at ``size`` px in the served font, without kerning.

    A character the font lacks is counted at the missing glyph's advance; the pictures keep
    such characters (the ★) out of measured text and draw them as shapes instead.
    """
    widths, units, missing = _advances(bold)
    return sum(widths.get(ord(c), missing) for c in text) * size / units


def covers(text: str) -> bool:
    """Whether the served font has a glyph for every character of ``text``."""
    widths = _advances(False)[0]
    return all(ord(c) in widths for c in text)
