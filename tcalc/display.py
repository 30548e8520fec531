"""The tables a value is shown through, below everything that makes values: a module of
the vocabulary (a plot, a summary, a graph drawing) registers how its values look here,
and tcalc.render reads the tables (filling them for the core's own types) for the front
ends. Nothing here draws or prints.
"""
from __future__ import annotations

from typing import Callable


class Shown:
    """How one value looks. `text` is always there; `rich` (a rich renderable, or a
    function making one, so that rich is imported only by a front end that draws it),
    `html`, `png` and `svg` are there when the value has such a form (each may be a
    function that makes it, or gives None after all)."""

    __slots__ = ("text", "rich", "html", "png", "svg")

    def __init__(self, text: str, rich=None, html: str | None = None, png: bytes | None = None, svg=None):
        self.text = text
        self.rich = rich
        self.html = html
        self.png = png
        self.svg = svg


# type -> the text of a value of that type where it stands alone or inside a tuple or list
# (IPython lays the containers out around these texts); types not listed show their repr().
LEAF_TEXT: dict[type, Callable[[object], str]] = {}
# type -> its Shown; types not listed are shown as their text (pretty-printed containers
# included). A value with a drawing, a plot or a picture registers its renderer here.
RENDERERS: dict[type, Callable[[object], Shown]] = {}
