"""Pygments' lexer for tcalc programs (`.tc` files): Python's, whose syntax tcalc's is, under
tcalc's name. Registered as a Pygments plugin (pyproject.toml), so that other tools
highlight `.tc` files (`pygmentize -l tcalc`, `pygmentize script.tc`); the shell uses it too.
"""
from __future__ import annotations

from pygments.lexers.python import PythonLexer


class TcalcLexer(PythonLexer):
    name = "tcalc"
    aliases = ["tcalc", "tc"]
    filenames = ["*.tc"]
    mimetypes = ["text/x-tcalc"]
    url = ""
