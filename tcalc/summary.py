"""`show(x)`: a tensor at one glance, for when a printout is too long to read.

    tensor of shape (3, 4), float32, requires_grad=True, grad not set
    min -1.523  max 2.219  mean 0.1432  std 0.9871
    12 elements: 2 zeros, 0 NaN, 0 inf

then, for a 1-d tensor, a sparkline of its values and, for a 2-d one, a heatmap: shade
characters in the plain text (a pipe, NO_COLOR), coloured cells sized to the terminal through
a rich renderable in the shell. A large tensor is summarised, never printed; its picture
averages blocks of elements. The printout of a value itself stays PyTorch's text: a summary
is a value of its own, shown through tcalc.display's table.
"""
from __future__ import annotations

import numpy as np

from . import display
from .errors import TcalcTypeError
from .tensor import Tensor
from .values import type_name

SPARK = "▁▂▃▄▅▆▇█"
SHADES = "·░▒▓█"  # the plain heatmap, low to high
PLAIN_WIDTH = 72  # columns of a plain picture (a pipe has no width to ask)
MAX_ROWS = 24  # rows of a heatmap
# The heatmap's colours, low to high (viridis' anchors), interpolated between.
_PALETTE = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]


class Summary:
    """What show(x) returns: the statistics of one tensor and its values for a picture."""

    __slots__ = ("tensor",)

    def __init__(self, tensor: Tensor):
        self.tensor = tensor

    def __repr__(self) -> str:
        return self.text()

    def lines(self) -> list[str]:
        t = self.tensor
        a = t.data
        shape = "(" + ", ".join(map(str, a.shape)) + ("," if a.ndim == 1 else "") + ")"
        head = f"tensor of shape {shape}, {t.dtype.name}"
        if t.dtype.is_floating_point:
            head += f", requires_grad={t.requires_grad}"
            head += ", grad set" if t.grad is not None else ", grad not set"
        if t.grad_fn is not None:
            head += f", grad_fn={t.grad_fn.name}"
        lines = [head]
        # Statistics without a float64 copy of a large tensor: float64 accumulators instead.
        count = a.size
        floating = a.dtype.kind == "f"
        nans = int(np.count_nonzero(np.isnan(a))) if floating else 0
        infs = int(np.count_nonzero(np.isinf(a))) if floating else 0
        kept = a[np.isfinite(a)] if nans or infs else a.reshape(-1)
        if kept.size:
            if kept.dtype == np.bool_:
                kept = kept.view(np.uint8)
            std = float(kept.std(dtype=np.float64, ddof=1)) if kept.size > 1 else float("nan")
            stats = (f"min {_number(kept.min())}  max {_number(kept.max())}  "
                     f"mean {_number(kept.mean(dtype=np.float64))}  std {_number(std)}")
            lines.append(stats + ("  (of the finite values)" if nans or infs else ""))
        lines.append(f"{count:,} element{'s' * (count != 1)}: {int(np.count_nonzero(a == 0)):,} zeros, "
                     f"{nans:,} NaN, {infs:,} inf")
        return lines

    def text(self, width: int = PLAIN_WIDTH) -> str:
        """The plain text: statistics and a picture of shade characters (no colour codes)."""
        lines = self.lines()
        a = self.tensor.data
        if a.ndim == 1 and a.size > 1:
            lines.append(sparkline(a, width))
        elif a.ndim == 2 and a.size > 1:
            # Two characters a value, so that a square matrix looks square.
            cells = block_means(a, min(a.shape[0], MAX_ROWS), min(a.shape[1], width // 2))
            levels = _levels(cells, len(SHADES))
            lines.extend("".join(SHADES[v] * 2 if v >= 0 else "??" for v in row) for row in levels)
            lines.append(_scale_text(cells) + _averaged(cells, a))
        return "\n".join(lines)


def show(x) -> Summary:
    """show(x): the summary of a tensor (or a NumPy array)."""
    if isinstance(x, np.ndarray):
        from .numpy_module import from_numpy

        x = from_numpy(x)
    if type(x) is not Tensor:
        raise TcalcTypeError(f"show() summarises a tensor, not a {type_name(x)}",
                             hint="show(tensor(values)) for a list of numbers")
    return Summary(x)


def _number(value) -> str:
    return f"{float(value):.4g}"


def sparkline(a: np.ndarray, width: int) -> str:
    """One character a value (a block's mean when there are more values than columns)."""
    means = block_means(a.reshape(1, -1), 1, min(a.size, width))[0]
    return "".join(SPARK[v] if v >= 0 else " " for v in _levels(means, len(SPARK)))


def block_means(a: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """The means of the finite values of `rows` x `columns` blocks of a 2-d array (NaN for
    a block without any), in one pass over the array."""
    finite = np.isfinite(a) if a.dtype.kind == "f" else np.ones(a.shape, bool)
    values = np.where(finite, a, 0) if a.dtype.kind == "f" else a
    row_edges = np.linspace(0, a.shape[0], rows + 1).astype(int)[:-1]
    column_edges = np.linspace(0, a.shape[1], columns + 1).astype(int)[:-1]

    def blocks(v):  # in float64, however narrow the tensor's dtype
        return np.add.reduceat(np.add.reduceat(v, row_edges, axis=0, dtype=np.float64), column_edges, axis=1)

    sums, counts = blocks(values), blocks(finite)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _levels(cells: np.ndarray, n: int) -> np.ndarray:
    """Each cell's level 0..n-1 between the cells' min and max; -1 for NaN."""
    finite = np.isfinite(cells)
    if not finite.any():
        return np.full(cells.shape, -1)
    low, high = cells[finite].min(), cells[finite].max()
    span = high - low
    scaled = np.zeros(cells.shape) if span == 0 else (np.where(finite, cells, low) - low) / span
    levels = np.minimum((scaled * n).astype(int), n - 1)
    return np.where(finite, levels, -1)


def _scale_text(cells: np.ndarray) -> str:
    finite = cells[np.isfinite(cells)]
    if not finite.size:
        return "(no finite values)"
    return f"{SHADES[0] * 2} {_number(finite.min())} .. {SHADES[-1] * 2} {_number(finite.max())}"


def _averaged(cells: np.ndarray, a: np.ndarray) -> str:
    return "" if cells.shape == a.shape else f"  (each cell the mean of a block of {a.shape[0] / cells.shape[0]:.3g}" \
        f" x {a.shape[1] / cells.shape[1]:.3g})"


def _colour(level: float) -> str:
    """The palette's colour at `level` in [0, 1], as rich writes it."""
    position = level * (len(_PALETTE) - 1)
    i = min(int(position), len(_PALETTE) - 2)
    f = position - i
    r, g, b = (round(p + (q - p) * f) for p, q in zip(_PALETTE[i], _PALETTE[i + 1]))
    return f"rgb({r},{g},{b})"


class _Drawing:
    """The summary for a terminal: a rich renderable sized to the console's width."""

    def __init__(self, summary: Summary):
        self.summary = summary

    def __rich_console__(self, console, options):
        from rich.text import Text

        summary = self.summary
        a = summary.tensor.data
        for line in summary.lines():
            yield Text(line)
        width = max(options.max_width - 1, 8)
        if a.ndim == 1 and a.size > 1:
            means = block_means(a.reshape(1, -1), 1, min(a.size, width))[0]
            picture = Text()
            for level in _levels(means, len(SPARK)):
                picture.append(SPARK[level] if level >= 0 else " ",
                               style=_colour(level / (len(SPARK) - 1)) if level >= 0 else None)
            yield picture
        elif a.ndim == 2 and a.size > 1:
            rows, columns = min(a.shape[0], MAX_ROWS), min(a.shape[1], width // 2)
            cells = block_means(a, rows, columns)
            levels = _levels(cells, 256)
            for row in levels:
                picture = Text()
                for level in row:
                    picture.append("  " if level >= 0 else "??",
                                   style=f"on {_colour(level / 255)}" if level >= 0 else "red")
                yield picture
            finite = cells[np.isfinite(cells)]
            if finite.size:
                scale = Text()
                scale.append("  ", style=f"on {_colour(0)}")
                scale.append(f" {_number(finite.min())}  ")
                scale.append("  ", style=f"on {_colour(1)}")
                scale.append(f" {_number(finite.max())}" + _averaged(cells, a))
                yield scale


def _html(summary: Summary) -> str:
    """For a notebook: the statistics, and the heatmap as a table of coloured cells."""
    from html import escape

    a = summary.tensor.data
    parts = ["<pre>" + escape("\n".join(summary.lines())) + "</pre>"]
    if a.ndim == 1 and a.size > 1:
        parts.append("<pre>" + escape(sparkline(a, 120)) + "</pre>")
    elif a.ndim == 2 and a.size > 1:
        cells = block_means(a, min(a.shape[0], 48), min(a.shape[1], 96))
        levels = _levels(cells, 256)
        rows = ("<tr>" + "".join(
            f'<td style="background:{_colour(v / 255) if v >= 0 else "red"};width:8px;height:8px;padding:0"></td>'
            for v in row) + "</tr>" for row in levels)
        parts.append('<table style="border-collapse:collapse">' + "".join(rows) + "</table>")
        parts.append("<pre>" + escape(_scale_text(cells) + _averaged(cells, a)) + "</pre>")
    return "".join(parts)


def _shown(summary: Summary) -> display.Shown:
    # The richer forms are made only when a front end asks for them.
    return display.Shown(summary.text(), rich=lambda: _Drawing(summary), html=lambda: _html(summary))


display.RENDERERS[Summary] = _shown
display.LEAF_TEXT[Summary] = lambda summary: summary.text()
