"""Errors that reach the user: a message, the kind of fault, where it is, and a hint.

Every step of the pipeline raises TcalcError; only the CLI and the shell render it.
A step that does not know the place (an op deep inside the evaluator) raises without
a span, and the evaluator fills in the span of the innermost node being evaluated.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A range of source text: 1-based line and column, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


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
