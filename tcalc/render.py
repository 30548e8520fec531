"""Values and errors for a person to see: PyTorch's exact text, and richer forms beside it.

A value is shown through one table, RENDERERS, keyed by the value's type: each renderer
returns a Shown, which always has the plain text (the contract: byte for byte what PyTorch
and IPython print) and may carry a richer form (a rich renderable for the shell, HTML or a
PNG for a notebook). The core never prints: the command line, the shell and a notebook each
ask for the form they can show (tcalc.output), as Numbat turns one Markup tree into ANSI or
HTML. Colour is added by the front end over the text's spans, so the characters never change.
"""
from __future__ import annotations

import numpy as np

from .display import LEAF_TEXT, RENDERERS, Shown
from .errors import TcalcError
from .printing import pretty, tensor_repr
from .python_values import DICT_VIEWS, python_repr
from .tensor import Tensor
from .values import UserFunction


def show(value) -> Shown:
    """What a front end shows for the value of a statement."""
    renderer = _lookup(RENDERERS, type(value))
    return renderer(value) if renderer is not None else Shown(value_text(value))


def value_text(value) -> str:
    """What Jupyter would show for the matching PyTorch value."""
    return pretty(value, leaf_text)


def leaf_text(value) -> str:
    text = _lookup(LEAF_TEXT, type(value))
    return text(value) if text is not None else repr(value)


def _lookup(table: dict, cls: type):
    """The entry for `cls`, or for its nearest base that has one (a subclass is shown as
    its base is), or None."""
    found = table.get(cls)
    if found is None:
        for base in cls.__mro__[1:]:
            found = table.get(base)
            if found is not None:
                break
    return found


def _tensor_text(value: Tensor) -> str:
    name = value.grad_fn.name if value.grad_fn is not None else None
    return tensor_repr(value.data, requires_grad=value.requires_grad, grad_fn_name=name)


def _function_text(function: UserFunction) -> str:
    """`f(x) = ...` as tcalc writes it; a def or lambda as Jupyter shows a Python function."""
    if function.kind == "expression":
        return f"<function {function.name}({', '.join(function.params)})>"
    parts, defaults = [], iter(function.defaults)
    for param in function.params:
        if param.kind:
            parts.append(param.kind + param.name)
        elif param.default is not None:
            parts.append(f"{param.name}={python_repr(next(defaults))}")
        else:
            parts.append(param.name)
    return f"<function __main__.{function.name}({', '.join(parts)})>"


def _dict_view_text(view) -> str:
    return f"{type(view).__name__}({value_text(list(view))})"


LEAF_TEXT[Tensor] = _tensor_text
LEAF_TEXT[np.ndarray] = repr  # IPython shows a NumPy array (from `.numpy()`) as its repr
LEAF_TEXT[UserFunction] = _function_text
for _view in DICT_VIEWS:
    LEAF_TEXT[_view] = _dict_view_text


# ---- diagnostics -----------------------------------------------------------------------
#
#   file.tc:3:7: shape error: The size of tensor a (3) must match the size of tensor b (4) ...
#     |
#   3 | y = x + arange(4)
#     |     - ^ --------- shape (4,)
#     |     |
#     |     shape (3,)
#     = hint: shapes line up from the right for broadcasting: ...
#
# The first line is the headline (PyTorch's wording where PyTorch has one); the caret marks
# the fault, `-` marks other places with a note; the hint teaches the usual fix.

def error_text(err: TcalcError, source: str, filename: str) -> str:
    """`file:line:col: kind: message`, the source line, a caret range, and a hint.

    An error raised inside a def's body is shown where it was raised, with the calls that
    led there after it, innermost first, each with its line (`= in f(), called at ...`):
    a short traceback, most recent call first, in the same style."""
    span = err.span
    if span is None:
        out = f"{filename}: {err.kind}: {err.message}"
        return out + "".join(f"\n  {i and ' ' * 6 or 'hint: '}{h}"
                             for i, h in enumerate((err.hint or "").splitlines()))
    # (place, labels, source, filename): where it was raised first, then each call site.
    places = [(frame_span, labels, frame_source[0], frame_source[1])
              for frame_span, labels, frame_source, _ in getattr(err, "frames", ())]
    places.append((span, getattr(err, "labels", ()), source, filename))
    names = [name for *_, name in getattr(err, "frames", ())]
    first_span, _, _, first_file = places[0]
    gutter = " " * max(len(str(place[0].line)) for place in places)
    parts = [f"{first_file}:{first_span.line}:{first_span.column}: {err.kind}: {err.message}"]
    for i, (place, labels, text, name) in enumerate(places):
        if i:
            parts.append(f"{gutter} = in {names[i - 1]}(), called at {name}:{place.line}:{place.column}")
        parts.extend(_snippet(place, labels, text, gutter))
    for note in getattr(err, "notes", ()):
        parts.append(f"{gutter} = note: {note}")
    if err.hint:
        hint_lines = err.hint.splitlines()
        parts.append(f"{gutter} = hint: {hint_lines[0]}")
        parts.extend(f"{gutter}         {h}" for h in hint_lines[1:])
    return "\n".join(parts)


def _snippet(span, labels, source: str, gutter: str) -> list[str]:
    """The source line of `span` with its caret, and the notes under the labelled places."""
    lines = [line.rstrip("\r") for line in source.split("\n")] or [""]  # lines as the lexer counts them
    line_no = min(max(span.line, 1), len(lines))
    text = lines[line_no - 1]
    marks = [(span.column, _end_column(span, text), "^", "")]
    for label_span, note in labels:
        if label_span.line == line_no and label_span.end_line == line_no:
            marks.append((label_span.column, _end_column(label_span, text), "-", note))
    text, marks = _window(text, marks)
    parts = [f"{gutter} |", f"{str(line_no).rjust(len(gutter))} | {_visible(text)}"]
    parts.extend(f"{gutter} | {row}".rstrip() for row in _underlines(marks, text))
    return parts


WINDOW = 100  # characters of a long source line shown around the fault


def _window(text: str, marks: list) -> tuple[str, list]:
    """A long line (a pasted tensor, a generated program) is cut to a window around the
    caret, with ... at the cut ends; marks outside the window are dropped."""
    if len(text) <= WINDOW + 20:
        return text, marks
    start = max(marks[0][0] - 1 - WINDOW // 3, 0)
    end = min(start + WINDOW, len(text))
    start = max(min(start, end - WINDOW), 0)
    prefix, suffix = ("..." if start > 0 else ""), ("..." if end < len(text) else "")
    shift = start - len(prefix)
    limit = len(prefix) + (end - start) + 1
    shown = []
    for a, b, char, note in marks:
        a, b = a - shift, min(b - shift, limit)
        if a < len(prefix) + 1 or a >= limit:
            if char != "^":
                continue
            a = min(max(a, len(prefix) + 1), limit - 1)
        shown.append((a, max(b, a + 1), char, note))
    return prefix + text[start:end] + suffix, shown


def _end_column(span, text: str) -> int:
    end = span.end_column if span.end_line == span.line else len(text) + 1
    return max(end, span.column + 1)


def _underlines(marks, text: str) -> list[str]:
    """The row of carets and dashes, then the notes of the dashed places, rustc style."""
    cells: dict[int, str] = {}
    placed = []
    for start, end, char, note in marks:
        a, b = _width(text, start), _width(text, end)
        b = max(b, a + 1)
        for col in range(a, b):
            if char == "^" or col not in cells:
                cells[col] = char
        if note:
            placed.append((a, b, note))
    row = "".join(cells.get(c, " ") for c in range(max(cells) + 1))
    rows = [row]
    placed.sort()
    if placed and placed[-1][1] >= len(row.rstrip()):
        # The rightmost note fits on the underline row itself.
        rows[0] = row.rstrip() + " " + placed.pop()[2]
    while placed:
        starts = [p[0] for p in placed]
        rows.append(_row({s: "|" for s in starts}))
        last = placed.pop()
        rows.append(_row({s: "|" for s in starts[:-1]}).ljust(last[0]) + last[2])
    return rows


def _row(cells: dict[int, str]) -> str:
    return "".join(cells.get(c, " ") for c in range(max(cells) + 1)) if cells else ""


def _char_width(ch: str) -> int:
    import unicodedata

    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _width(text: str, column: int) -> int:
    """The display column (0-based) of the 1-based character column `column` of `text`."""
    prefix = text[: max(column - 1, 0)]
    return sum(_char_width(c) for c in prefix) + max(column - 1 - len(text), 0)


def _visible(text: str) -> str:
    """The source line as it is safe to show: tabs as one space, control characters (an
    escape sequence in a pasted line) as U+FFFD, so carets stay aligned."""
    return "".join(" " if c == "\t" else "\ufffd" if (ord(c) < 32 or 0x7f <= ord(c) < 0xa0) else c
                   for c in text)


# ---- drawings ---------------------------------------------------------------------------

def _register_drawings() -> None:
    from .values import GraphDrawing

    # tcalc.graph is imported by the graph() that made the drawing, not by tcalc's start.
    def shown(drawing) -> Shown:
        from . import graph

        return Shown(graph.text(drawing), rich=lambda: graph.rich_tree(drawing),
                     svg=lambda: graph.svg_or_none(drawing))  # a notebook's picture

    def text(drawing) -> str:
        from . import graph

        return graph.text(drawing)

    RENDERERS[GraphDrawing] = shown
    LEAF_TEXT[GraphDrawing] = text


_register_drawings()
