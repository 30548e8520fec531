"""PyTorch's text for tensors, and IPython's layout for values that hold them.

Pure functions over NumPy arrays: no printing, no colour. The rules follow
torch/_tensor_str.py (default print options: precision 4, threshold 1000, edgeitems 3,
linewidth 80) and IPython.lib.pretty (max width 79), so that tcalc prints byte for byte
what a PyTorch user sees in Jupyter.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

PRECISION = 4
THRESHOLD = 1000  # more elements than this are summarised with '...'
EDGE_ITEMS = 3
LINE_WIDTH = 80
PRETTY_WIDTH = 79  # IPython's max_width
MAX_SEQ_LENGTH = 1000  # IPython shows at most this many items of a list or tuple

_DEFAULT_DTYPES = {np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_)}
_TORCH_DTYPE_NAMES = {
    np.dtype(np.bool_): "torch.bool", np.dtype(np.uint8): "torch.uint8",
    np.dtype(np.int8): "torch.int8", np.dtype(np.int16): "torch.int16",
    np.dtype(np.int32): "torch.int32", np.dtype(np.int64): "torch.int64",
    np.dtype(np.float16): "torch.float16", np.dtype(np.float32): "torch.float32",
    np.dtype(np.float64): "torch.float64",
}


# ---- one element's text -----------------------------------------------------------------

class _Formatter:
    """Decides, from all the values shown, one format for every element: integer-valued
    floats as `1.`, fixed point with 4 decimals, or scientific; and the common width."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        flat = values.reshape(-1)
        if not self.floating:
            if flat.size:
                texts = [str(v) for v in (flat.min(), flat.max())] if flat.dtype.kind in "iu" \
                    else [str(v) for v in flat.tolist()]
                self.width = max(self.width, *(len(t) for t in texts))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        smallest, largest = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8
            shown = (f"{v:.{PRECISION}e}" for v in finite.tolist()) if self.sci_mode \
                else (f"{v:.0f}." for v in _extremes(finite))
        else:
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
            shown = (f"{v:.{PRECISION}e}" for v in finite.tolist()) if self.sci_mode \
                else (f"{v:.{PRECISION}f}" for v in _extremes(finite))
        self.width = max(self.width, *(len(t) for t in shown))

    def format(self, value) -> str:
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.width}.{PRECISION}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRECISION}f}"
        else:
            text = str(value)
        return (self.width - len(text)) * " " + text


def _extremes(values: np.ndarray) -> list[float]:
    """The values whose fixed-point text is widest: in that format the width only grows
    with the magnitude, so the largest positive and the most negative decide it."""
    picks = [values.max(), values.min()]
    return [float(v) for v in picks]


# ---- a whole tensor -----------------------------------------------------------------------

def _summarized(data: np.ndarray) -> np.ndarray:
    """The elements that a summarised tensor shows: EDGE_ITEMS at each end of every dim."""
    if data.ndim == 0:
        return data
    if data.shape[0] > 2 * EDGE_ITEMS:
        data = np.concatenate((data[:EDGE_ITEMS], data[-EDGE_ITEMS:]))
    if data.ndim == 1:
        return data
    return np.stack([_summarized(row) for row in data])


def _vector_text(data: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    element_width = formatter.width + 2  # with ', '
    per_line = max(1, (LINE_WIDTH - indent) // element_width)
    if summarize and data.shape[0] > 2 * EDGE_ITEMS:
        items = ([formatter.format(v) for v in data[:EDGE_ITEMS].tolist()] + [" ..."]
                 + [formatter.format(v) for v in data[-EDGE_ITEMS:].tolist()])
    else:
        items = [formatter.format(v) for v in data.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_text(data: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    if data.ndim == 0:
        return formatter.format(data.item())
    if data.ndim == 1:
        return _vector_text(data, indent, summarize, formatter)
    rows = range(data.shape[0])
    if summarize and data.shape[0] > 2 * EDGE_ITEMS:
        parts = ([_nested_text(data[i], indent + 1, summarize, formatter) for i in rows[:EDGE_ITEMS]]
                 + ["..."]
                 + [_nested_text(data[i], indent + 1, summarize, formatter) for i in rows[-EDGE_ITEMS:]])
    else:
        parts = [_nested_text(data[i], indent + 1, summarize, formatter) for i in rows]
    separator = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """`, dtype=...` after the data, or on a new line when the last line would pass 80."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1  # PyTorch's count, off by two on one line
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > LINE_WIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(data: np.ndarray, *, requires_grad: bool = False,
                grad_fn_name: str | None = None) -> str:
    """`repr(t)` of the PyTorch tensor with these values, dtype and autograd state."""
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append("size=" + str(tuple(data.shape)))
        if data.dtype != np.float32:
            suffixes.append("dtype=" + _TORCH_DTYPE_NAMES[data.dtype])
        body = "[]"
    else:
        if data.dtype not in _DEFAULT_DTYPES:
            suffixes.append("dtype=" + _TORCH_DTYPE_NAMES[data.dtype])
        if data.dtype == np.float16:
            data = data.astype(np.float32)  # PyTorch formats half precision as float
        summarize = data.size > THRESHOLD
        formatter = _Formatter(_summarized(data) if summarize else data)
        body = _nested_text(data, indent, summarize, formatter)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)


def numpy_repr(array: np.ndarray) -> str:
    """What IPython shows for a NumPy array: its own repr."""
    return repr(array)


class ReturnTypes:
    """PyTorch's named results (`torch.return_types.max(values=..., indices=...)`):
    a tuple you can unpack, index, or read by field name."""

    __slots__ = ("name", "fields")

    def __init__(self, name: str, fields: list[tuple[str, object]]):
        self.name = name
        self.fields = list(fields)

    def values(self) -> tuple:
        return tuple(value for _, value in self.fields)

    def field(self, name: str):
        for key, value in self.fields:
            if key == name:
                return value
        raise KeyError(name)


# ---- IPython's layout ---------------------------------------------------------------------

class _Group:
    __slots__ = ("depth", "breakables", "want_break")

    def __init__(self, depth: int):
        self.depth = depth
        self.breakables: deque = deque()
        self.want_break = False


class _Text:
    __slots__ = ("pieces", "width")

    def __init__(self):
        self.pieces: list[str] = []
        self.width = 0

    def emit(self, out: list, column: int) -> int:
        out.extend(self.pieces)
        return column + self.width


class _Breakable:
    __slots__ = ("separator", "width", "layout", "indentation", "group")

    def __init__(self, separator: str, layout: "_Layout"):
        self.separator = separator
        self.width = len(separator)
        self.layout = layout
        self.indentation = layout.indentation
        self.group = layout.group_stack[-1]
        self.group.breakables.append(self)

    def emit(self, out: list, column: int) -> int:
        self.group.breakables.popleft()
        if self.group.want_break:
            out.append("\n" + " " * self.indentation)
            return self.indentation
        if not self.group.breakables:
            self.layout.queue_remove(self.group)
        out.append(self.separator)
        return column + self.width


class _Layout:
    """Wadler-style pretty printing as IPython's RepresentationPrinter does it: text is
    buffered until it must break; then the outermost group with a breakable breaks."""

    def __init__(self, leaf_repr):
        self.leaf_repr = leaf_repr
        self.out: list[str] = []
        self.column = 0
        self.buffer: deque = deque()
        self.buffer_width = 0
        self.indentation = 0
        root = _Group(0)
        self.group_stack = [root]
        self.queue: list[list[_Group]] = []
        self.queue_add(root)

    # the queue of groups that may still break, by depth
    def queue_add(self, group: _Group) -> None:
        while group.depth > len(self.queue) - 1:
            self.queue.append([])
        self.queue[group.depth].append(group)

    def queue_take(self) -> _Group | None:
        for stack in self.queue:
            for idx, group in enumerate(reversed(stack)):
                if group.breakables:
                    # IPython deletes by the index counted from the end of the stack, so the
                    # group removed is not always the one returned; kept for identical text.
                    del stack[idx]
                    group.want_break = True
                    return group
            for group in stack:
                group.want_break = True
            del stack[:]
        return None

    def queue_remove(self, group: _Group) -> None:
        try:
            self.queue[group.depth].remove(group)
        except ValueError:
            pass

    # the printer
    def _break_group(self, group: _Group) -> None:
        while group.breakables:
            item = self.buffer.popleft()
            self.column = item.emit(self.out, self.column)
            self.buffer_width -= item.width
        while self.buffer and isinstance(self.buffer[0], _Text):
            item = self.buffer.popleft()
            self.column = item.emit(self.out, self.column)
            self.buffer_width -= item.width

    def _break_outer_groups(self) -> None:
        while PRETTY_WIDTH < self.column + self.buffer_width:
            group = self.queue_take()
            if not group:
                return
            self._break_group(group)

    def text(self, text: str) -> None:
        if self.buffer:
            last = self.buffer[-1]
            if not isinstance(last, _Text):
                last = _Text()
                self.buffer.append(last)
            last.pieces.append(text)
            last.width += len(text)
            self.buffer_width += len(text)
            self._break_outer_groups()
        else:
            self.out.append(text)
            self.column += len(text)

    def breakable(self) -> None:
        group = self.group_stack[-1]
        if group.want_break:
            self.flush()
            self.out.append("\n" + " " * self.indentation)
            self.column = self.indentation
            self.buffer_width = 0
        else:
            self.buffer.append(_Breakable(" ", self))
            self.buffer_width += 1
            self._break_outer_groups()

    def hard_break(self) -> None:
        group = self.queue_take()
        if group:
            self._break_group(group)
        self.flush()
        self.out.append("\n" + " " * self.indentation)
        self.column = self.indentation
        self.buffer_width = 0

    def begin_group(self, indent: int = 0, opening: str = "") -> None:
        if opening:
            self.text(opening)
        group = _Group(self.group_stack[-1].depth + 1)
        self.group_stack.append(group)
        self.queue_add(group)
        self.indentation += indent

    def end_group(self, dedent: int = 0, closing: str = "") -> None:
        self.indentation -= dedent
        group = self.group_stack.pop()
        if not group.breakables:
            self.queue_remove(group)
        if closing:
            self.text(closing)

    def flush(self) -> None:
        for item in self.buffer:
            self.column = item.emit(self.out, self.column)
        self.buffer.clear()
        self.buffer_width = 0

    # values
    def value(self, obj) -> None:
        if type(obj) in (tuple, list):
            self.sequence(obj)
        else:
            self.lines(self._repr(obj))

    def _repr(self, obj) -> str:
        if isinstance(obj, ReturnTypes):
            inner = ",\n".join(f"{key}={self._repr(value)}" for key, value in obj.fields)
            return f"torch.return_types.{obj.name}(\n{inner})"
        return self.leaf_repr(obj)

    def sequence(self, items) -> None:
        opening, closing = ("(", ")") if type(items) is tuple else ("[", "]")
        self.begin_group(1, opening)
        for i, item in enumerate(items):
            if i >= MAX_SEQ_LENGTH:
                self.text(",")
                self.breakable()
                self.text("...")
                break
            if i:
                self.text(",")
                self.breakable()
            self.value(item)
        if len(items) == 1 and type(items) is tuple:
            self.text(",")
        self.end_group(1, closing)

    def lines(self, text: str) -> None:
        """A multi-line repr: each line break becomes a hard break at the current indent."""
        self.begin_group()
        for i, line in enumerate(text.splitlines()):
            if i:
                self.hard_break()
            self.text(line)
        self.end_group()


def pretty(value, leaf_repr) -> str:
    """IPython.lib.pretty.pretty(value), for tuples and lists of leaves whose repr text
    `leaf_repr` gives (tensors, numbers, Size, ...)."""
    if type(value) not in (tuple, list) and not isinstance(value, ReturnTypes):
        text = leaf_repr(value)
        if "\n" not in text and len(text) <= PRETTY_WIDTH:
            return text  # the common case, without the layout machinery
    layout = _Layout(leaf_repr)
    layout.value(value)
    layout.flush()
    return "".join(layout.out)
