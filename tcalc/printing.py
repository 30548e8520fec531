"""PyTorch's tensor text and IPython's layout, rebuilt on NumPy.

`tensor_repr` writes what `repr(t)` gives in PyTorch 2.13 (under the print options in
PRINT_OPTS, torch's global of the same name, which `set_printoptions` changes; the rules of
torch/_tensor_str.py) and `pretty` lays values out as `IPython.lib.pretty.pretty` does
(max width 79). Both are pure: no printing, no colour. tests/golden_printing.json holds the
oracle's text for the rules used here.
"""
from __future__ import annotations

import math
from collections import deque
from itertools import compress

import numpy as np

from .limits import LIMITS, refuse


class PrintOptions:
    """PyTorch's print options, its defaults. (A plain class: dataclasses and the copy
    module it imports were 3% of start-up.)"""

    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self):
        self.precision = 4  # digits after the point
        self.threshold = 1000  # more elements than this: summarise with `...`
        self.edgeitems = 3  # elements kept at each end of a summarised dimension
        self.linewidth = 80
        self.sci_mode = None  # None: chosen from the values


# One for the process, as torch's PRINT_OPTS: set_printoptions lasts for the session.
PRINT_OPTS = PrintOptions()

# torch.set_printoptions(profile=...): the options each profile sets (sci_mode aside).
PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """torch.set_printoptions: the profile first, then each option given; sci_mode is
    always set (left out, it goes back to None), as in PyTorch."""
    if profile is not None:
        for key, value in PROFILES[profile].items():
            setattr(PRINT_OPTS, key, value)
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems,
             "linewidth": linewidth}
    for key, value in given.items():
        if value is not None:
            setattr(PRINT_OPTS, key, value)
    PRINT_OPTS.sci_mode = sci_mode


def reset_printoptions() -> None:
    set_printoptions(profile="default")


PREFIX = "tensor("
INDENT = len(PREFIX)

# IPython's defaults.
MAX_WIDTH = 79
MAX_SEQ_LENGTH = 1000  # items of a list or tuple shown before `...`

# Dtypes whose name PyTorch leaves out: the default float and int, and bool. An empty
# tensor has no digits to show its dtype, so there only float32 goes unnamed.
_IMPLIED_DTYPES = {"float32", "int64", "bool"}
_SUPPORTED_KINDS = "biuf"  # bool, int, uint, float


# ---- tensors ---------------------------------------------------------------------------

def tensor_repr(data: np.ndarray, *, requires_grad: bool = False,
                grad_fn_name: str | None = None) -> str:
    """`repr(t)` of a CPU tensor with these values, shape and dtype."""
    data = np.asarray(data)
    if data.dtype.kind not in _SUPPORTED_KINDS:
        raise TypeError(f"tensor_repr: no PyTorch text for dtype {data.dtype}")
    dtype = data.dtype.name
    suffixes = []
    if data.size == 0:
        body = "[]"
        if data.ndim != 1:
            suffixes.append(f"size={tuple(int(n) for n in data.shape)}")
        if dtype != "float32":
            suffixes.append(f"dtype=torch.{dtype}")
    else:
        body = _tensor_body(data)
        if not PRINT_OPTS.edgeitems:  # PyTorch names the size whenever edgeitems is 0
            suffixes.append(f"size={tuple(int(n) for n in data.shape)}")
        if dtype not in _IMPLIED_DTYPES:
            suffixes.append(f"dtype=torch.{dtype}")
    if grad_fn_name is not None:  # a non-leaf: its grad_fn says it all
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(PREFIX + body, suffixes)


def _with_suffixes(text: str, suffixes: list[str]) -> str:
    """`, suffix` on the last line while it fits in the line width, else on a new indented line."""
    parts = [text]
    # PyTorch's measure: the last line's length plus 2.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * INDENT + suffix)
            last_line_len = INDENT + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _tensor_body(data: np.ndarray) -> str:
    """The bracketed digits. Only the elements shown are ever looked at."""
    summarize = data.size > PRINT_OPTS.threshold
    if summarize and not PRINT_OPTS.edgeitems:
        return "[...]"  # PyTorch keeps no element, only the dots
    shown = _edges(data) if summarize else data
    cells, width = _format_cells(shown)
    if data.ndim == 0:
        return cells[0]
    cut = [summarize and n > 2 * PRINT_OPTS.edgeitems for n in data.shape]
    return _nested_str(cells, width, shown.shape, cut, 0, 0, INDENT)


def _edges(data: np.ndarray) -> np.ndarray:
    """The elements a summarised tensor shows: edgeitems at each end of every long dim."""
    edgeitems = PRINT_OPTS.edgeitems
    keep = list(range(edgeitems)) + list(range(-edgeitems, 0))
    for axis, n in enumerate(data.shape):
        if n > 2 * edgeitems:
            data = data.take(keep, axis=axis)
    return data


def _format_cells(shown: np.ndarray) -> tuple[list[str], int]:
    """Every shown element as text (row-major), right-aligned to the common width; and
    that width, which also decides how many elements fit on a line."""
    if shown.dtype.kind != "f":
        texts = list(map(str, shown.ravel().tolist()))  # ints, True/False
        width = max(map(len, texts))
        return [t.rjust(width) for t in texts], width

    values = shown.ravel().astype(np.float64)  # exact for float16/32, as PyTorch's .item()
    measured = np.isfinite(values) & (values != 0)
    if not measured.any():
        # Nothing to measure (only 0, -0, nan, inf): PyTorch stays in integer mode, width 1.
        return _integral_texts(values), 1

    finite_nonzero = values[measured]
    magnitudes = np.abs(finite_nonzero)
    largest, smallest = float(magnitudes.max()), float(magnitudes.min())
    integral = bool(np.all(finite_nonzero == np.ceil(finite_nonzero)))
    # Python's float division gives inf on overflow, as PyTorch's double division does.
    scientific = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
    if PRINT_OPTS.sci_mode is not None:
        scientific = PRINT_OPTS.sci_mode

    precision = PRINT_OPTS.precision
    if scientific:
        texts = list(map(f"{{:.{precision}e}}".format, values.tolist()))
    elif integral:
        texts = _integral_texts(values)
    else:
        texts = list(map(f"{{:.{precision}f}}".format, values.tolist()))
    # The width comes from finite non-zero values only: nan, inf and -0. may stick out.
    width = max(map(len, compress(texts, measured.tolist())))
    return [t.rjust(width) for t in texts], width


def _integral_texts(values: np.ndarray) -> list[str]:
    """`3.`, `-0.`; nan and inf get no point."""
    texts = list(map("{:.0f}.".format, values.tolist()))
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        texts[i] = texts[i][:-1]
    return texts


def _nested_str(cells: list[str], width: int, shape: tuple, cut: list[bool], axis: int,
                start: int, indent: int) -> str:
    """Brackets for dims axis.. of the shown block whose first cell is cells[start]."""
    n = shape[axis]
    if axis == len(shape) - 1:
        return _row_str(cells[start:start + n], width, cut[axis], indent)
    step = math.prod(shape[axis + 1:])
    slices = [_nested_str(cells, width, shape, cut, axis + 1, start + i * step, indent + 1)
              for i in range(n)]
    if cut[axis]:
        slices.insert(PRINT_OPTS.edgeitems, "...")
    blank_lines = len(shape) - axis - 1  # 1-d slices: one newline; 2-d: a blank line; ...
    return "[" + ("," + "\n" * blank_lines + " " * (indent + 1)).join(slices) + "]"


def _row_str(items: list[str], width: int, cut: bool, indent: int) -> str:
    """The last dim: as many items per line as fit in the line width after the indent."""
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (width + 2)))
    if cut:
        # PyTorch counts " ..." as one more item when it fills lines.
        edgeitems = PRINT_OPTS.edgeitems
        items = items[:edgeitems] + [" ..."] + items[edgeitems:]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def numpy_repr(arr: np.ndarray) -> str:
    """IPython shows a NumPy array (from `.numpy()`) as its plain repr."""
    return repr(arr)


# ---- named results: torch.return_types.max(values=..., indices=...) --------------------

def _is_return_types(value) -> bool:
    # Duck-typed, so any tuple carrying a `name` and `_fields` prints this way.
    return (isinstance(value, tuple) and isinstance(getattr(value, "name", None), str)
            and isinstance(getattr(value, "_fields", None), tuple))


def return_types_repr(value, leaf_repr) -> str:
    """PyTorch's structseq repr: each field on its own line, not indented."""
    fields = ",\n".join(f"{key}={_python_repr(item, leaf_repr)}"
                        for key, item in zip(value._fields, value))
    return f"torch.return_types.{value.name}(\n{fields})"


def _python_repr(value, leaf_repr) -> str:
    """Python's own repr() of tuples and lists (no layout), with leaves from leaf_repr."""
    if type(value) is tuple:
        inner = ", ".join(_python_repr(v, leaf_repr) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if type(value) is list:
        return "[" + ", ".join(_python_repr(v, leaf_repr) for v in value) + "]"
    if _is_return_types(value):
        return return_types_repr(value, leaf_repr)
    return leaf_repr(value)


# ---- IPython's layout ------------------------------------------------------------------
#
# IPython's RepresentationPrinter, reduced to what tcalc shows. Text waits in a buffer
# while the line may still fit; once it would pass MAX_WIDTH, the outermost group with a
# pending breakable "wants break" and its breakables become newlines. A newline inside a
# repr forces a break too, which is why a tuple breaks after a multi-line tensor.

_CONTAINERS = (tuple, list, dict, set)


def pretty(value, leaf_repr) -> str:
    """IPython.lib.pretty.pretty(value): tuples, lists, dicts, sets and named results laid
    out in 79 columns; any other value is a leaf whose text leaf_repr gives (it may hold
    newlines)."""
    if type(value) not in _CONTAINERS and not _is_return_types(value):
        lines = leaf_repr(value).splitlines()
        if len(lines) <= 1:
            return "".join(lines)  # a one-line leaf is written as it is, however long
    layout = _Layout()
    if _shortest_text(value, frozenset(), [layout.limit]) < 0:
        raise _too_long(layout.limit)  # as the layout would, before its work
    _emit(layout, value, leaf_repr, frozenset())
    layout.flush()
    return "".join(layout.out)


def _shortest_text(value, enclosing: frozenset, budget: list) -> int:
    """What is left of `budget` after the fewest characters the layout can write for the
    value (its brackets, each item at least one character, a comma between two, up to
    MAX_SEQ_LENGTH items), walking the containers only until it runs out: the layout writes
    about a character a microsecond, so `[[[0] * 1000] * 1000] * 1000` is refused in half a
    second, not after ten."""
    kind = type(value)
    if kind is not list and kind is not tuple and kind is not dict and kind is not set:
        budget[0] -= 1
        return budget[0]
    if id(value) in enclosing:  # [...]
        budget[0] -= 5
        return budget[0]
    inner = enclosing | {id(value)}
    budget[0] -= 2
    for index, item in enumerate(value.values() if kind is dict else value):
        if index == MAX_SEQ_LENGTH:
            break
        if index:
            budget[0] -= 1
        if _shortest_text(item, inner, budget) < 0:
            break
    return budget[0]


def _too_long(limit: int):
    return refuse("max_list_items", f"the text of this value is longer than {limit:,} characters",
                  "show a part of it: xs[:10]")


def _emit(layout: _Layout, value, leaf_repr, enclosing: frozenset) -> None:
    layout.begin_group()
    if type(value) is tuple or type(value) is list:
        # Exact types only: a tuple subclass with its own repr (torch.Size) is a leaf.
        if id(value) in enclosing:  # a list that holds itself
            layout.text("(...)" if type(value) is tuple else "[...]")
        else:
            _emit_sequence(layout, value, leaf_repr, enclosing | {id(value)})
    elif type(value) is dict or type(value) is set:
        if id(value) in enclosing:
            layout.text("{...}")
        elif type(value) is dict:
            _emit_dict(layout, value, leaf_repr, enclosing | {id(value)})
        else:
            _emit_set(layout, value, leaf_repr, enclosing | {id(value)})
    elif _is_return_types(value):
        _emit_lines(layout, return_types_repr(value, leaf_repr))
    else:
        _emit_lines(layout, leaf_repr(value))
    layout.end_group()


def _emit_items(layout: _Layout, items, emit_one) -> None:
    """IPython's separators between a container's items: `, ` and a break where the line
    is full, `...` after MAX_SEQ_LENGTH of them."""
    for index, item in enumerate(items):
        if index == MAX_SEQ_LENGTH:
            layout.text(",")
            layout.breakable()
            layout.text("...")
            break
        if index:
            layout.text(",")
            layout.breakable()
        emit_one(item)


def _emit_dict(layout: _Layout, items: dict, leaf_repr, enclosing: frozenset) -> None:
    """IPython's dict printer: `{key: value, ...}` in insertion order."""
    def pair(key):
        _emit(layout, key, leaf_repr, enclosing)
        layout.text(": ")
        _emit(layout, items[key], leaf_repr, enclosing)

    layout.begin_group(1, "{")
    _emit_items(layout, items, pair)
    layout.end_group(1, "}")


def _emit_set(layout: _Layout, items: set, leaf_repr, enclosing: frozenset) -> None:
    """IPython's set printer: sorted where the items can be, `set()` when empty."""
    if not items:
        layout.text("set()")
        return
    try:
        ordered = sorted(items)
    except TypeError:
        ordered = list(items)
    layout.begin_group(1, "{")
    _emit_items(layout, ordered, lambda item: _emit(layout, item, leaf_repr, enclosing))
    layout.end_group(1, "}")


def _emit_sequence(layout: _Layout, items, leaf_repr, enclosing: frozenset) -> None:
    opening, closing = ("(", ")") if type(items) is tuple else ("[", "]")
    layout.begin_group(1, opening)
    _emit_items(layout, items, lambda item: _emit(layout, item, leaf_repr, enclosing))
    if len(items) == 1 and type(items) is tuple:
        layout.text(",")
    layout.end_group(1, closing)


def _emit_lines(layout: _Layout, text: str) -> None:
    """A repr's lines, each later one starting on a new line at the current indentation."""
    layout.begin_group()
    for index, line in enumerate(text.splitlines()):
        if index:
            layout.break_()
        layout.text(line)
    layout.end_group()


class _Group:
    __slots__ = ("depth", "breakables", "want_break")

    def __init__(self, depth: int):
        self.depth = depth
        self.breakables: deque[_Breakable] = deque()
        self.want_break = False


class _Breakable:
    """A space that becomes a newline (at the indentation of its time) if its group breaks."""
    __slots__ = ("sep", "width", "indentation", "group")

    def __init__(self, sep: str, indentation: int, group: _Group):
        self.sep, self.width = sep, len(sep)
        self.indentation = indentation
        self.group = group


class _Text:
    __slots__ = ("parts", "width")

    def __init__(self):
        self.parts: list[str] = []
        self.width = 0


class _Layout:
    def __init__(self):
        self.out: list[str] = []
        # The characters written so far, held to the list-items limit: a list that holds one
        # list many times is small, its text a billion characters.
        self.written, self.limit = 0, LIMITS.max_list_items
        self.output_width = 0  # columns already written on the current line
        self.buffer: deque = deque()  # _Text and _Breakable not yet decided
        self.buffer_width = 0
        self.indentation = 0
        root = _Group(0)
        self.group_stack = [root]
        self.queue: list[list[_Group]] = []  # groups that may still break, by depth
        self._enqueue(root)

    # -- the group queue: which group breaks first

    def _enqueue(self, group: _Group) -> None:
        while len(self.queue) <= group.depth:
            self.queue.append([])
        self.queue[group.depth].append(group)

    def _dequeue(self) -> _Group | None:
        """The outermost (latest at its depth) group with a pending breakable, marked as
        wanting a break; shallower groups without one are marked and dropped on the way."""
        for groups in self.queue:
            for index, group in enumerate(reversed(groups)):
                if group.breakables:
                    # IPython deletes this index counted from the front, not from the back
                    # where it found the group; kept for identical output.
                    del groups[index]
                    group.want_break = True
                    return group
            for group in groups:
                group.want_break = True
            groups.clear()
        return None

    def _forget(self, group: _Group) -> None:
        if group in self.queue[group.depth]:
            self.queue[group.depth].remove(group)

    # -- writing

    def _write(self, item) -> None:
        """Send one buffered item to the output."""
        if isinstance(item, _Text):
            self.out.extend(item.parts)
            self.output_width += item.width
            return
        group = item.group
        group.breakables.popleft()
        if group.want_break:
            self.out.append("\n" + " " * item.indentation)
            self.output_width = item.indentation
            return
        if not group.breakables:
            self._forget(group)
        self.out.append(item.sep)
        self.output_width += item.width

    def _pop_and_write(self) -> None:
        item = self.buffer.popleft()
        self.buffer_width -= item.width
        self._write(item)

    def _break_group(self, group: _Group) -> None:
        """Write the buffer through the group's last breakable, then the text after it."""
        while group.breakables:
            self._pop_and_write()
        while self.buffer and isinstance(self.buffer[0], _Text):
            self._pop_and_write()

    def _break_outer_groups(self) -> None:
        while self.output_width + self.buffer_width > MAX_WIDTH:
            group = self._dequeue()
            if group is None:
                return
            self._break_group(group)

    def _newline(self) -> None:
        self.out.append("\n" + " " * self.indentation)
        self.output_width = self.indentation
        self.buffer_width = 0

    def text(self, text: str) -> None:
        self.written += len(text)
        if self.written > self.limit:
            raise _too_long(self.limit)
        if not self.buffer:
            self.out.append(text)
            self.output_width += len(text)
            return
        last = self.buffer[-1]
        if not isinstance(last, _Text):
            last = _Text()
            self.buffer.append(last)
        last.parts.append(text)
        last.width += len(text)
        self.buffer_width += len(text)
        self._break_outer_groups()

    def breakable(self, sep: str = " ") -> None:
        group = self.group_stack[-1]
        if group.want_break:
            self.flush()
            self._newline()
            return
        item = _Breakable(sep, self.indentation, group)
        group.breakables.append(item)
        self.buffer.append(item)
        self.buffer_width += item.width
        self._break_outer_groups()

    def break_(self) -> None:
        """A forced newline (a line break inside a repr)."""
        group = self._dequeue()
        if group is not None:
            self._break_group(group)
        self.flush()
        self._newline()

    def begin_group(self, indent: int = 0, opening: str = "") -> None:
        if opening:
            self.text(opening)
        group = _Group(self.group_stack[-1].depth + 1)
        self.group_stack.append(group)
        self._enqueue(group)
        self.indentation += indent

    def end_group(self, dedent: int = 0, closing: str = "") -> None:
        self.indentation -= dedent
        group = self.group_stack.pop()
        if not group.breakables:
            self._forget(group)
        if closing:
            self.text(closing)

    def flush(self) -> None:
        while self.buffer:
            self._write(self.buffer.popleft())
        self.buffer_width = 0
