"""Plots in the terminal: plot, scatter and hist, drawn by uniplot (small, NumPy-based).

    plot(f, a, b)                 f over [a, b] (f is called on a tensor of points)
    plot(f, a, b, grad=True)      f and its derivative from autograd, side by side in one plot
    plot(losses)                  a list (or 1-d tensor) of numbers against their index
    plot(x, y1, y2, legend=[...]) data, one series per y
    scatter(x, y), hist(x, bins=20)

Each returns a Plot, a value shown through tcalc.display's table: coloured through rich on a
terminal (sized to it), plain text when piped (several series told apart by ASCII marks, a
single one in Unicode blocks, never an escape code). `file='f.png'` (or .svg, .pdf) writes the
picture with matplotlib instead, which is the optional `plots` extra; without it, the error
says how to install it.
"""
from __future__ import annotations

import math

import numpy as np

from . import display
from .errors import TcalcError, TcalcTypeError, TcalcValueError
from .tensor import Tensor
from .values import type_name

POINTS = 200  # where a function is evaluated
MAX_POINTS = 100_000  # a longer series is thinned to evenly spaced points before drawing
PLAIN_WIDTH, HEIGHT = 60, 15
INSTALL_HINT = "pip install 'tcalc[plots]' (or: pip install matplotlib)"


class Plot:
    """Series to draw: each (xs, ys, label); `kind` is 'line', 'scatter' or 'hist'."""

    __slots__ = ("series", "kind", "title", "bins")

    def __init__(self, series: list, kind: str, title: str | None = None, bins: int = 20):
        self.series, self.kind, self.title, self.bins = series, kind, title, bins

    def __repr__(self) -> str:
        return self.text()

    def _uniplot_options(self, width: int, color: bool) -> dict:
        labels = [label for _, _, label in self.series]
        options = dict(width=max(width, 10), height=HEIGHT, color=color, lines=self.kind != "scatter")
        if self.title is not None:
            options["title"] = str(self.title)
        if any(labels):
            options["legend_labels"] = [label or f"series {i + 1}" for i, label in enumerate(labels)]
        if not color and len(self.series) > 1:
            options["character_set"] = "ascii"  # without colour, marks tell the series apart
        return options

    def text(self, width: int = PLAIN_WIDTH, color: bool = False) -> str:
        uniplot = _uniplot()
        options = self._uniplot_options(width, color)
        try:
            if self.kind == "hist":
                values = np.concatenate([ys[np.isfinite(ys)] for _, ys, _ in self.series])
                low, high = float(values.min()), float(values.max())
                if low == high:  # one value: a bin around it
                    low, high = low - 0.5, high + 0.5
                return uniplot.histogram_to_string([ys for _, ys, _ in self.series], bins=self.bins,
                                                   bins_min=low, bins_max=high, **options).rstrip("\n")
            return uniplot.plot_to_string([ys for _, ys, _ in self.series], [xs for xs, _, _ in self.series],
                                          **options).rstrip("\n")
        except (ArithmeticError, ValueError, AssertionError, IndexError) as err:
            # What the checks before drawing did not foresee: said, never a traceback.
            return f"(uniplot could not draw this plot: {type(err).__name__}: {err})"

    def save(self, path: str) -> None:
        """The picture as a file, through matplotlib (the `plots` extra)."""
        from . import files

        figure = self._figure(_figure_class())
        # The format from the extension, as savefig(path) picks it (png without one).
        extension = path.rsplit(".", 1)[1].lower() if "." in path.rsplit("/", 1)[-1] else None

        def write(file) -> None:
            try:
                figure.savefig(file, format=extension)
            except ValueError as err:
                raise files.FileError(f"cannot write the plot to '{path}': {err}") from None

        files.write_atomically(path, write, "plot")  # regular files only, as save writes them

    def png(self) -> bytes | None:
        """The picture as PNG bytes (for a notebook), or None without matplotlib."""
        try:
            figure = self._figure(_figure_class())
        except TcalcValueError:
            return None
        import io

        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()

    def _figure(self, figure_class):
        figure = figure_class(figsize=(6.4, 4.0))
        axes = figure.subplots()
        for xs, ys, label in self.series:
            if self.kind == "hist":
                axes.hist(ys[np.isfinite(ys)], bins=self.bins, label=label)
            elif self.kind == "scatter":
                axes.scatter(xs, ys, s=8, label=label)
            else:
                axes.plot(xs, ys, label=label)
        if any(label for _, _, label in self.series):
            axes.legend()
        if self.title:
            axes.set_title(self.title)
        axes.grid(alpha=0.3)
        return figure


def _figure_class():
    """matplotlib's Figure, used without pyplot: no window, and a notebook's own pyplot state
    (its backend, its current figure) is left alone."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise TcalcValueError("writing a plot to a file needs matplotlib, which is not installed",
                              hint=INSTALL_HINT) from None
    return Figure


class _Drawing:
    """A Plot on a terminal: uniplot's coloured text, as wide as the console."""

    def __init__(self, plot: Plot):
        self.plot = plot

    def __rich_console__(self, console, options):
        from rich.text import Text

        # uniplot draws the frame and its y labels around the plotting width.
        yield Text.from_ansi(self.plot.text(width=min(max(options.max_width - 12, 10), 120), color=True))


# ---- the functions --------------------------------------------------------------------

def plot(*args, legend=None, grad=False, title=None, file=None, points=POINTS):
    """plot(f, a, b[, grad=True]), plot(ys), plot(x, y1, y2, ..., legend=[...])."""
    if args and callable(args[0]) and not isinstance(args[0], (Tensor, list, tuple)):
        result = _function_plot(args, grad, points, legend, title)
    else:
        if grad:
            raise TcalcTypeError("grad=True goes with a function: plot(f, a, b, grad=True)")
        result = Plot(_data_series(args, legend, "plot"), "line", title)
    return _finish(result, file)


def scatter(x, y, *more, legend=None, title=None, file=None):
    """scatter(x, y): the points (x[i], y[i])."""
    return _finish(Plot(_data_series((x, y, *more), legend, "scatter"), "scatter", title), file)


def hist(x, bins=20, legend=None, title=None, file=None):
    """hist(x, bins=20): how many values fall in each of `bins` equal intervals."""
    if type(bins) is not int or not 1 <= bins <= 1000:
        raise TcalcValueError(f"hist(): bins must be a whole number from 1 to 1000, not {bins!r}")
    values = _finite(_numbers(x, "hist"), "hist")
    if not np.isfinite(values).any():
        raise TcalcValueError("hist(): there is nothing to count (no values)")
    label = _labels(legend, 1)[0]
    return _finish(Plot([(None, values, label)], "hist", title, bins), file)


def _uniplot():
    try:
        import uniplot
    except ImportError:  # an install that predates the dependency
        raise TcalcValueError("plots in the terminal need uniplot, which is not installed",
                              hint="pip install uniplot (tcalc depends on it)") from None
    return uniplot


def _finish(result: Plot, file):
    if file is None:
        _uniplot()  # said now, not when the plot is shown
        return result
    if type(file) is not str or not file:
        raise TcalcTypeError(f"file= takes a file name in quotes, not {type_name(file)}",
                             hint="e.g. plot(losses, file='losses.png')")
    result.save(file)
    return None


def _function_plot(args, grad: bool, points: int, legend, title) -> Plot:
    if len(args) != 3:
        raise TcalcTypeError("plot(f, a, b) takes a function and the ends of the interval",
                             hint="e.g. plot(sin, -pi, pi)")
    f, a, b = args
    a, b = _end(a, "a"), _end(b, "b")
    if not a < b:
        raise TcalcValueError(f"plot(f, a, b) needs a < b, not a = {a:g}, b = {b:g}")
    if type(points) is not int or not 2 <= points <= MAX_POINTS:
        raise TcalcValueError(f"points= must be a whole number from 2 to {MAX_POINTS:,}")
    if max(abs(a), abs(b)) > 1e30:
        raise TcalcValueError(f"plot(f, a, b): [{a:g}, {b:g}] is beyond what float32 points can span",
                              hint="ends within ±1e30")
    xs = np.linspace(a, b, points, dtype=np.float32)
    ys = _evaluate(f, xs, with_grad=grad)
    labels = _labels(legend, 2 if grad else 1)
    if grad:
        ys, slopes = ys
        return Plot([(xs, _finite(ys, "plot"), labels[0] or "f"), (xs, _finite(slopes, "plot"), labels[1] or "df/dx")],
                    "line", title)
    return Plot([(xs, _finite(ys, "plot"), labels[0])], "line", title)


def _evaluate(f, xs: np.ndarray, with_grad: bool):
    """f at the points, on one tensor of them (f is elementwise, as d2l's functions are) or,
    if that fails, point by point; with its derivative from autograd when asked."""
    from . import ops
    from .autograd import grad_mode
    from .differentiate import grad

    def at(points: np.ndarray):
        x = Tensor(points.copy(), requires_grad=with_grad)
        with grad_mode(True):
            y = f(x)
            y_tensor = ops._base.as_tensor(y) if not isinstance(y, Tensor) else y
            if y_tensor.data.shape != points.shape:
                raise TcalcValueError(f"f gave a value of shape {tuple(y_tensor.data.shape)} for "
                                      f"{points.size} points")
            if not with_grad:
                return y_tensor.data.astype(np.float64), None
            if not y_tensor.requires_grad:  # a constant: its derivative is 0
                return y_tensor.data.astype(np.float64), np.zeros(points.shape)
            slope = grad(ops.sum(y_tensor), x)
            return y_tensor.data.astype(np.float64), slope.data.astype(np.float64)

    try:
        ys, slopes = at(xs)
    except TcalcError:
        # f is not elementwise (it calls .item() or branches on x): one point at a time, the
        # first point's error being the one the user sees.
        pairs = [at(np.array(x, dtype=np.float32)) for x in xs]
        ys = np.array([float(y) for y, _ in pairs])
        slopes = np.array([float(s) for _, s in pairs]) if with_grad else None
    return (ys, slopes) if with_grad else ys


def _end(value, name: str) -> float:
    if type(value) is Tensor and value.data.size == 1:
        value = value.data.item()
    if type(value) not in (int, float) or not math.isfinite(value):
        raise TcalcTypeError(f"plot(f, a, b): {name} must be a finite number, not {type_name(value)}")
    return float(value)


def _data_series(args, legend, name: str) -> list:
    if not args:
        raise TcalcTypeError(f"{name}() needs data: {name}(ys) or {name}(x, y1, y2, ...)")
    columns = [_numbers(a, name) for a in args]
    if len(columns) == 1:
        xs, ys_list = np.arange(columns[0].size, dtype=np.float64), columns
    else:
        xs, ys_list = columns[0], columns[1:]
    for ys in ys_list:
        if ys.size != xs.size:
            raise TcalcValueError(f"{name}(): x has {xs.size} values and a y has {ys.size}",
                                  hint="each y needs one value for each x")
    if xs.size == 0:
        raise TcalcValueError(f"{name}(): there is nothing to plot (no values)")
    labels = _labels(legend, len(ys_list))
    step = max(1, math.ceil(xs.size / MAX_POINTS))  # thinned: uniplot draws every point it gets
    xs = _finite(xs[::step], name)
    if np.isnan(xs).any():
        raise TcalcValueError(f"{name}(): x must be finite everywhere (it holds NaN or inf)")
    return [(xs, _finite(ys[::step], name), label) for ys, label in zip(ys_list, labels)]


def _numbers(value, name: str) -> np.ndarray:
    """A series as float64 values: a 1-d tensor, array, list or tuple of numbers."""
    if type(value) is Tensor:
        data = value.data
    elif isinstance(value, np.ndarray):
        data = value
    elif isinstance(value, (list, tuple)):
        items = [v.data.item() if type(v) is Tensor and v.data.size == 1 else v for v in value]
        if not all(type(v) in (int, float, bool) for v in items):
            raise TcalcTypeError(f"{name}(): a list to plot holds numbers (or one-element tensors) only")
        data = np.array(items, dtype=np.float64)
    else:
        raise TcalcTypeError(f"{name}() plots tensors and lists of numbers, not a {type_name(value)}")
    if data.ndim != 1:
        squeezed = data.squeeze()
        if squeezed.ndim > 1:
            raise TcalcValueError(f"{name}() plots 1-d data, not shape {tuple(data.shape)}",
                                  hint="one series per argument: plot(x, Y[:, 0], Y[:, 1])")
        data = squeezed.reshape(-1)
    return data.astype(np.float64)


# Beyond this, the span of the values (max - min) overflows, and an axis has no scale.
_LARGEST = 1e150


def _finite(values: np.ndarray, name: str) -> np.ndarray:
    """The values to draw, NaN where they are not finite; refused when nothing is left or
    they are too large for an axis."""
    finite = np.isfinite(values)
    if values.size and not finite.any():
        raise TcalcValueError(f"{name}(): no finite values to plot")
    if values.size and np.abs(values[finite]).max() > _LARGEST:
        raise TcalcValueError(f"{name}(): values as large as {np.abs(values[finite]).max():.3g} are "
                              f"beyond what an axis can scale (at most {_LARGEST:g})",
                              hint="plot their logarithm, or clamp them")
    return np.where(finite, values, np.nan)


def _labels(legend, count: int) -> list:
    if legend is None:
        return [None] * count
    if isinstance(legend, str):
        legend = [legend]
    if not isinstance(legend, (list, tuple)) or not all(isinstance(s, str) for s in legend):
        raise TcalcTypeError("legend= takes a list of names, one for each series: legend=['train', 'test']")
    if len(legend) != count:
        raise TcalcValueError(f"legend= has {len(legend)} names for {count} series")
    return list(legend)


def _shown(result: Plot) -> display.Shown:
    # The PNG (for a notebook) is drawn only when a front end asks for it.
    return display.Shown(result.text(), rich=lambda: _Drawing(result), png=result.png)


display.RENDERERS[Plot] = _shown
display.LEAF_TEXT[Plot] = lambda result: result.text()
