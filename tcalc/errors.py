"""Errors that reach the user: a message, the kind of fault, where it is, and a hint.

Every step of the pipeline raises TcalcError; only the CLI and the shell render it.
A step that does not know the place (an op deep inside the evaluator) raises without
a span, and the evaluator fills in the span of the innermost node being evaluated.
"""
from __future__ import annotations


class Span:
    """A range of source text: 1-based line and column, end exclusive. Immutable.

    A plain slotted class rather than a dataclass: every run imports it, and building a
    dataclass costs start-up time.
    """

    __slots__ = ("line", "column", "end_line", "end_column")

    def __init__(self, line: int, column: int, end_line: int, end_column: int):
        set_field = object.__setattr__
        set_field(self, "line", line)
        set_field(self, "column", column)
        set_field(self, "end_line", end_line)
        set_field(self, "end_column", end_column)

    def __setattr__(self, name, value):
        raise AttributeError(f"Span is immutable: cannot set {name}")

    def _key(self) -> tuple[int, int, int, int]:
        return (self.line, self.column, self.end_line, self.end_column)

    def __eq__(self, other) -> bool:
        return type(other) is Span and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return "Span(line={}, column={}, end_line={}, end_column={})".format(*self._key())


class TcalcError(Exception):
    """An error in the user's program. `kind` names the family shown to the user."""

    kind = "error"

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None,
                 labels: tuple[tuple[Span, str], ...] = ()):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        # Secondary places, each with a short note (rustc's `-` underlines): for `a * b`
        # the operands' shapes under the operands, the caret under the operator.
        self.labels = tuple(labels)

    def at(self, span: Span | None) -> "TcalcError":
        """Attach a place if the error has none yet (the innermost place wins)."""
        if self.span is None:
            self.span = span
        return self


class TcalcSyntaxError(TcalcError):
    kind = "syntax error"


class TcalcNameError(TcalcError):
    kind = "name error"


class TcalcTypeError(TcalcError):
    kind = "type error"


class TcalcValueError(TcalcError):
    kind = "value error"


class TcalcIndexError(TcalcError):
    kind = "index error"


class TcalcKeyError(TcalcError):
    kind = "key error"


class TcalcImportError(TcalcError):
    kind = "import error"


class TcalcAssertionError(TcalcError):
    kind = "assertion error"


class ShapeError(TcalcError):
    kind = "shape error"


class DTypeError(TcalcError):
    kind = "dtype error"


class AutogradError(TcalcError):
    kind = "autograd error"


class LimitError(TcalcError):
    kind = "limit exceeded"


class ArithmeticError_(TcalcError):
    kind = "arithmetic error"


class InternalError(TcalcError):
    """A bug in tcalc, reported like any error instead of a traceback."""

    kind = "internal error"


class Terminated(BaseException):
    """SIGTERM, which the CLI turns into this exception so that what is being done is undone
    and cleaned up on the way out (a save's temporary file is removed): it passes through the
    evaluator's error handling, as KeyboardInterrupt does, to the CLI, which exits 143."""


class OutputFailed(BaseException):
    """The front end could not write what the program printed (a closed pipe, a full disk).
    Not the program's error: it passes through the evaluator's error handling (as
    KeyboardInterrupt does) to the front end, which stops as Unix tools stop."""

    def __init__(self, error: OSError):
        super().__init__(error)
        self.error = error
