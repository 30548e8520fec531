"""tcalc in IPython and Jupyter: `%load_ext tcalc.ipython` (or `%load_ext tcalc`), then

    %%tcalc                 a cell of tcalc, run in the notebook's one tcalc session
    %tcalc EXPR             one line of tcalc
    %tcalc_push NAME ...    copy Python variables (NumPy arrays, numbers, anything with
                            __array__) into the tcalc session, as tensors
    %tcalc_pull NAME ...    copy tcalc tensors into Python, as NumPy arrays

Each value a statement shows is displayed through tcalc.render's table, as the shell shows
it: its plain text (PyTorch's), and HTML or a PNG where its renderer has one (a summary's
heatmap; a plot, when matplotlib is installed; graph(y) as an SVG picture, when Graphviz's
dot is installed). print() writes to the cell's output; an
error is shown as tcalc's caret diagnostic, never a traceback. IPython is not a dependency
of tcalc: it is imported here only, by IPython itself.
"""
from __future__ import annotations

import sys

import numpy as np

_SESSIONS: dict[int, object] = {}  # one tcalc session for each IPython shell (a notebook)


def session_of(shell):
    from .evaluator import Session

    session = _SESSIONS.get(id(shell))
    if session is None:
        session = _SESSIONS[id(shell)] = Session()
    return session


class Displayed:
    """A tcalc value as IPython displays objects: through its _repr_*_ methods."""

    def __init__(self, shown):
        self.shown = shown

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.shown.text)

    def _repr_html_(self):
        return _resolved(self.shown.html)

    def _repr_png_(self):
        return _resolved(self.shown.png)

    def _repr_svg_(self):  # graph(y), laid out by Graphviz when it is installed
        return _resolved(self.shown.svg)


def _resolved(form):
    """A richer form, made on demand when the renderer gave a function for it."""
    return form() if callable(form) else form


class _NotebookOutput:
    """The Output interface of tcalc.output for a cell: values displayed, text printed."""

    color = error_color = False

    def value(self, value) -> None:
        from IPython.display import display

        from .render import show

        display(Displayed(show(value)))

    def text(self, text: str) -> None:
        sys.stdout.write(text)

    def error(self, text: str) -> None:
        sys.stdout.flush()
        sys.stderr.write(text + "\n")


def run_cell(shell, source: str) -> bool:
    """Run tcalc source in the shell's session; False if it stopped at an error."""
    from .output import run_source

    session = session_of(shell)
    count = getattr(shell, "execution_count", 0)
    return run_source(session, source, f"<cell {count}>", _NotebookOutput(), atomic=True)


def push(shell, names: str) -> None:
    from .tensor import Tensor

    session = session_of(shell)
    for name in names.split():
        if name not in shell.user_ns:
            sys.stderr.write(f"tcalc_push: there is no Python variable '{name}'\n")
            continue
        value = shell.user_ns[name]
        if isinstance(value, (bool, int, float, str)) or value is None:
            session.globals[name] = value
            continue
        from . import dtypes, limits
        from .errors import TcalcError

        try:
            array = np.asarray(value)
            limits.check_elements(array.size, f"'{name}'")
            array = array.copy()  # the two sides do not share memory
        except TcalcError as err:
            sys.stderr.write(f"tcalc_push: {err.message}\n")
            continue
        except Exception as err:  # noqa: BLE001 - whatever the object's __array__ raises
            sys.stderr.write(f"tcalc_push: '{name}' is not an array: {err}\n")
            continue

        if array.dtype not in dtypes.BY_NUMPY:
            sys.stderr.write(f"tcalc_push: '{name}' holds {array.dtype} values, which tcalc has no dtype for\n")
            continue
        session.globals[name] = Tensor(array)


def pull(shell, names: str) -> None:
    from .tensor import Tensor

    session = session_of(shell)
    for name in names.split():
        value = session.globals.get(name)
        if value is None and name not in session.globals:
            sys.stderr.write(f"tcalc_pull: there is no tcalc variable '{name}'\n")
        elif type(value) is Tensor:
            shell.user_ns[name] = value.data.copy()
        elif isinstance(value, (bool, int, float, str, np.ndarray)) or value is None:
            shell.user_ns[name] = value
        else:
            sys.stderr.write(f"tcalc_pull: '{name}' is not a tensor or a number\n")


def load_ipython_extension(shell) -> None:
    """What `%load_ext tcalc.ipython` calls."""
    def tcalc(line, cell=None):
        run_cell(shell, line if cell is None else cell)

    shell.register_magic_function(tcalc, "line_cell", "tcalc")
    shell.register_magic_function(lambda line: push(shell, line), "line", "tcalc_push")
    shell.register_magic_function(lambda line: pull(shell, line), "line", "tcalc_pull")


def unload_ipython_extension(shell) -> None:
    _SESSIONS.pop(id(shell), None)
