"""tcalc in IPython and Jupyter: `%load_ext tcalc.ipython` (or `%load_ext tcalc`), then

    %%tcalc                 a cell of tcalc, run in the notebook's one tcalc session
    %tcalc EXPR             one line of tcalc
    %tcalc_push NAME ...    copy Python variables (NumPy arrays, numbers, anything with
                            __array__) into the tcalc session, as tensors
    %tcalc_pull NAME ...    copy tcalc tensors into Python, as NumPy arrays

A cell runs as the shell runs what was typed (tcalc.repl.Shell, one per notebook): statement
by statement, each value displayed as it is made, in order with what print() writes; every
top-level expression statement shows its value, as in the shell (not only a cell's last, as
Python cells do); of statements joined by `;`, the last one's; `_` is the last value shown.
A statement that fails is undone alone: what ran before it stays, and the error, tcalc's
caret diagnostic (never a traceback), says so. An interrupt is reported in the same way, then
raised on to IPython, so that the kernel drops the cells queued after it.

Each value is displayed through tcalc.render's table, as the shell shows it: its plain text
(PyTorch's), and HTML or a PNG where its renderer has one (a summary's heatmap; a plot, when
matplotlib is installed; graph(y) as an SVG picture, when Graphviz's dot is installed).
IPython is not a dependency of tcalc: it is imported here only, by IPython itself.
"""
from __future__ import annotations

import sys

import numpy as np

_SHELLS: dict[int, object] = {}  # one tcalc shell (its session) for each IPython shell (a notebook)


def shell_of(shell):
    """The notebook's tcalc shell: its cells run as the terminal's shell runs what was typed."""
    from .repl import Shell

    tcalc_shell = _SHELLS.get(id(shell))
    if tcalc_shell is None:
        tcalc_shell = _SHELLS[id(shell)] = Shell(_NotebookOutput())
    return tcalc_shell


def session_of(shell):
    return shell_of(shell).session


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

        sys.stdout.flush()  # what was printed before the value comes out before it
        display(Displayed(show(value)))

    def text(self, text: str) -> None:
        sys.stdout.write(text)

    def error(self, text: str) -> None:
        sys.stdout.flush()
        sys.stderr.write(text + "\n")


def run_cell(shell, source: str) -> bool:
    """Run a cell in the notebook's tcalc shell, statement by statement as the shell does;
    False if it stopped at an error."""
    from .errors import OutputFailed

    if "\r" in source:  # the diagnostics count lines as the session does
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    count = getattr(shell, "execution_count", 0)
    try:
        outcome = shell_of(shell).run(source, f"<cell {count}>")
    except OutputFailed as failed:  # print() could not write: the kernel's own fault
        raise failed.error from None
    if outcome == "interrupted":  # reported; raised on so that the kernel drops the cells queued after it
        raise KeyboardInterrupt from None
    return outcome == "done"


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


class CellFailed(Exception):
    """The result's error of a cell whose tcalc error has been shown."""


_FAILED: set[int] = set()  # the IPython shells whose running cell had a tcalc error
_HOOKS: dict[int, object] = {}  # each shell's post_run_cell hook, to take away on unload


def load_ipython_extension(shell) -> None:
    """What `%load_ext tcalc.ipython` calls."""
    def tcalc(line, cell=None):
        # A cell's body starts on the cell's second line, after `%%tcalc`: counted from
        # there, an error's line is the one the notebook numbers.
        if not run_cell(shell, line if cell is None else "\n" + cell):
            _FAILED.add(id(shell))

    def mark_failed(result) -> None:
        # A cell with a tcalc error is a failed cell, as one with a Python error is: the
        # kernel replies "error", so a notebook's Run All stops there. Marked on the result,
        # not raised: the caret diagnostic is the report, with no traceback after it.
        if id(shell) in _FAILED:
            _FAILED.discard(id(shell))
            if result.error_in_exec is None and result.error_before_exec is None:
                result.error_in_exec = CellFailed("the tcalc cell stopped at an error")

    shell.register_magic_function(tcalc, "line_cell", "tcalc")
    shell.register_magic_function(lambda line: push(shell, line), "line", "tcalc_push")
    shell.register_magic_function(lambda line: pull(shell, line), "line", "tcalc_pull")
    if id(shell) not in _HOOKS:
        _HOOKS[id(shell)] = mark_failed
        shell.events.register("post_run_cell", mark_failed)


def unload_ipython_extension(shell) -> None:
    _SHELLS.pop(id(shell), None)
    hook = _HOOKS.pop(id(shell), None)
    if hook is not None:
        shell.events.unregister("post_run_cell", hook)
