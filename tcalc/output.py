"""Output the shell and the command line share: each value of a program as its renderer
shows it (tcalc.render), PyTorch's plain text when piped or with NO_COLOR, coloured with
rich on a terminal; errors as caret diagnostics on standard error. With the shell, the only
code that prints.
"""
from __future__ import annotations

import os
import sys

from .errors import OutputFailed, TcalcError
from .render import error_text, show


class Output:
    """Writes values to stdout and errors to stderr; colour only on a terminal."""

    def __init__(self, color: bool | None):
        no_color = bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"  # no-color.org: non-empty
        self.color = sys.stdout.isatty() and not no_color if color is None else color
        self.error_color = sys.stderr.isatty() and not no_color if color is None else color
        self._console = None

    def value(self, value) -> None:
        shown = show(value)
        if self.color:
            drawing = shown.rich() if callable(shown.rich) else shown.rich
            self._rich().print(drawing if drawing is not None else _highlight(shown.text), soft_wrap=True)
        else:
            sys.stdout.write(shown.text + "\n")
        sys.stdout.flush()

    def text(self, text: str) -> None:
        """What the program printed (print's own newlines included), as it is."""
        sys.stdout.write(text)
        sys.stdout.flush()

    def error(self, text: str) -> None:
        sys.stdout.flush()
        if self.error_color:
            from rich.console import Console
            from rich.text import Text

            first, _, rest = text.partition("\n")
            styled = Text(first, style="bold red")
            if rest:
                styled.append("\n" + rest)
            Console(stderr=True, highlight=False).print(styled, soft_wrap=True)
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def _rich(self):
        if self._console is None:
            from rich.console import Console

            self._console = Console(highlight=False)
        return self._console


def _highlight(text: str):
    from rich.highlighter import ReprHighlighter
    from rich.text import Text

    return ReprHighlighter()(Text(text))


def run_source(session, source: str, filename: str, output: Output, atomic: bool = False) -> bool:
    """Run one program; prints its values as they come. False if it stopped at an error.
    `atomic` (the shell) undoes the whole text when a statement fails."""
    session.write = output.text
    if "\r" in source:  # the diagnostics count lines as the session does
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    try:
        for value in session.run(source, atomic=atomic, filename=filename):
            try:
                output.value(value)
            except TcalcError as err:
                raise session.placed_at_shown(err) from None
    except TcalcError as err:
        output.error(error_text(err, source, filename))
        return False
    except OutputFailed as failed:  # print() could not write: the front end's own fault
        raise failed.error from None
    except RecursionError:  # showing a value nested deeper than Python can follow
        output.error(error_text(session.too_deep_to_show(), source, filename))
        return False
    return True
