"""When the shell's Enter runs what was typed, and how the next line is indented: the
parser decides, as Python's shells ask its compiler. No prompt_toolkit here.
"""
from __future__ import annotations

from . import ast
from .errors import TcalcError
from .parser import is_incomplete, parse

BLOCKS = (ast.If, ast.While, ast.For, ast.With, ast.Def)
INDENT = "    "


def is_finished(text: str) -> bool:
    """Whether Enter at the end of `text` runs it: it is complete (no open bracket, no
    backslash, no block header waiting for its body), and a block statement has been
    ended by an empty line, as in Python's shell (its body may go on until then)."""
    if not text.strip():
        return True
    if is_incomplete(text):
        return False
    if not _opens_block(text):
        return True
    return text.rsplit("\n", 1)[-1].strip() == "" and "\n" in text


def _code(line: str) -> str:
    """The line without a trailing comment (a line with quotes is kept whole: a `#` may be
    inside a string)."""
    return line.split("#", 1)[0].rstrip() if "'" not in line and '"' not in line else line.rstrip()


def _opens_block(text: str) -> bool:
    try:
        program = parse(text)
    except TcalcError:  # an error that more lines cannot mend: run it, to show the error
        return False
    return any(isinstance(statement, BLOCKS) for statement in program.statements)


def next_indent(text_before_cursor: str) -> str:
    """The new line's indentation: the current line's, one level more after a colon."""
    line = text_before_cursor.rsplit("\n", 1)[-1]
    indent = line[:len(line) - len(line.lstrip())]
    return indent + INDENT if _code(line).endswith(":") else indent


def program_text(text: str) -> str:
    """What runs: the text without the empty lines that ended it."""
    return text.rstrip()
