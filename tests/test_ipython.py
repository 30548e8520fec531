"""The IPython extension: %%tcalc cells in one session per shell, values displayed through the
renderer table, variables passed in and out; runs only where IPython is installed (it is not
a dependency of tcalc)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("IPython")


@pytest.fixture(scope="module")
def shell():
    from IPython.testing.globalipapp import start_ipython

    ip = start_ipython()
    # As a notebook's kernel does: every form (HTML, PNG), not only the terminal's text.
    ip.display_formatter.active_types = list(ip.display_formatter.formatters)
    ip.run_line_magic("load_ext", "tcalc")
    return ip


def run(shell, capsys, cell: str, magic: str = "%%tcalc\n"):
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        shell.run_cell(magic + cell)
    return captured


class _Seen:
    """What a user of the cell sees, in the order it comes: ("out", printed text), ("value",
    a displayed value's text) and ("err", error text), a stream's consecutive writes joined."""

    def __init__(self):
        self.events: list[tuple[str, str]] = []

    def add(self, kind: str, text: str) -> None:
        if self.events and self.events[-1][0] == kind and kind != "value":
            self.events[-1] = (kind, self.events[-1][1] + text)
        elif text:
            self.events.append((kind, text))

    def stream(self, kind: str):
        seen = self

        class Stream:
            def write(self, text: str) -> int:
                seen.add(kind, text)
                return len(text)

            def flush(self) -> None:
                pass

        return Stream()


def seen_in_order(shell, cell: str, magic: str = "%%tcalc\n"):
    """Run a cell; what it showed, in order, and IPython's result (its error_in_exec)."""
    import contextlib

    from IPython.core.displaypub import CapturingDisplayPublisher

    seen = _Seen()
    publisher = CapturingDisplayPublisher()
    publisher.publish = lambda data, *args, **kwargs: seen.add("value", data["text/plain"])
    saved, shell.display_pub = shell.display_pub, publisher
    try:
        with contextlib.redirect_stdout(seen.stream("out")), contextlib.redirect_stderr(seen.stream("err")):
            result = shell.run_cell(magic + cell)
    finally:
        shell.display_pub = saved
    return seen.events, result


def test_cells_share_one_session_and_show_pytorchs_text(shell, capsys):
    run(shell, capsys, "x = arange(4.)\nprint('made', len(x))")
    captured = run(shell, capsys, "x * 2\n(x ** 2).sum()")
    assert [o.data["text/plain"] for o in captured.outputs] == ["tensor([0., 2., 4., 6.])", "tensor(14.)"]
    captured = run(shell, capsys, "x.sum()", magic="%tcalc ")
    assert captured.outputs[0].data["text/plain"] == "tensor(6.)"


def test_print_and_errors(shell, capsys):
    captured = run(shell, capsys, "print('hello', 1 + 1)")
    assert captured.stdout == "hello 2\n"
    captured = run(shell, capsys, "y = x + arange(3)")
    assert "shape error" in captured.stderr and "Traceback" not in captured.stderr + captured.stdout


def test_printed_text_and_values_come_out_in_statement_order(shell):
    events, _ = seen_in_order(shell, "print(1)\n2\nprint(3)\n4")
    assert events == [("out", "1\n"), ("value", "2"), ("out", "3\n"), ("value", "4")]


def test_a_failing_statement_is_undone_alone_as_in_the_shell(shell):
    """What ran before the failure stays, its values shown before the error, which says so."""
    events, _ = seen_in_order(shell, "z = 1\n5\nz = z + 10\nz = z + undefined")
    assert [kind for kind, _ in events] == ["value", "err"] and events[0] == ("value", "5")
    error = events[1][1]
    # line 5 of the cell, as the notebook numbers it: `%%tcalc` is its line 1
    assert error.startswith("<cell ") and ":5:9: name error: name 'undefined' is not defined" in error
    assert "= note: before it, `z = 1`, `5`, `z = z + 10` ran and are kept" in error
    assert "Traceback" not in error
    events, _ = seen_in_order(shell, "z")
    assert events == [("value", "11")]  # the failing statement's own assignment is undone


def test_gradients_stay_when_a_later_statement_fails(shell):
    seen_in_order(shell, "g = tensor([1., 2.], requires_grad=True)\nloss = (g * g).sum()")
    events, _ = seen_in_order(shell, "loss.backward()\ng.grad\n1/0")
    assert events[0] == ("value", "tensor([2., 4.])")
    assert events[1][0] == "err" and "division by zero" in events[1][1]
    assert "`loss.backward()`, `g.grad` ran and are kept" in events[1][1]
    assert seen_in_order(shell, "g.grad")[0] == [("value", "tensor([2., 4.])")]


def test_a_line_magic_runs_as_a_cell_does(shell):
    events, _ = seen_in_order(shell, "q = 3; q = q + undefined", magic="%tcalc ")
    assert events[0][0] == "err" and "= note: before it, `q = 3` ran and is kept" in events[0][1]
    # As in the shell (and Python's): of statements joined by `;`, the last one's value shows.
    assert seen_in_order(shell, "q * 2; q", magic="%tcalc ")[0] == [("value", "3")]


def test_windows_line_ends_point_the_caret_at_the_right_line(shell):
    events, _ = seen_in_order(shell, "r = 1\r\nr = r + undefined\r\n")
    assert "3 | r = r + undefined" in events[0][1]  # the cell's line 3, after `%%tcalc`


def test_an_interrupt_undoes_its_statement_and_stops_the_cell(shell):
    """Ctrl-C (the kernel's interrupt) while a statement runs: tcalc says what stays, and the
    cell fails as interrupted, so that the kernel drops the cells queued after it."""
    from tcalc.ipython import shell_of

    output = shell_of(shell).output
    write = output.text

    def interrupted_at_stop(text):  # the interrupt arrives while print('stop') writes
        if text == "stop\n":
            raise KeyboardInterrupt
        write(text)

    output.text = interrupted_at_stop
    try:
        events, result = seen_in_order(shell, "k = 1\nk = k + 1; print('stop')\nk = 100")
    finally:
        del output.text
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    report = "".join(text for kind, text in events if kind == "err")
    assert "interrupted: the statement that was running is undone" in report
    assert "= note: before it, `k = 1`, `k = k + 1` ran and are kept" in report
    assert seen_in_order(shell, "k")[0] == [("value", "2")]


def test_summaries_have_html_and_plots_a_picture(shell, capsys):
    captured = run(shell, capsys, "show(arange(6.).reshape(2, 3))")
    data = captured.outputs[0].data
    assert data["text/plain"].startswith("tensor of shape (2, 3)") and "<table" in data["text/html"]
    pytest.importorskip("matplotlib")
    captured = run(shell, capsys, "plot([1, 3, 2])")
    assert "image/png" in captured.outputs[0].data


def test_a_graph_is_a_picture_beside_its_text(shell, capsys):
    import shutil

    captured = run(shell, capsys, "x = arange(3., requires_grad=True)\ngraph((x * x).sum())")
    data = captured.outputs[0].data
    assert data["text/plain"].startswith("SumBackward0")
    if shutil.which("dot") is None:
        assert "image/svg+xml" not in data
    else:
        assert "<svg" in data["image/svg+xml"] and "MulBackward0" in data["image/svg+xml"]


def test_push_and_pull(shell, capsys):
    shell.user_ns["a"] = np.arange(3, dtype=np.float32)
    shell.run_line_magic("tcalc_push", "a")
    captured = run(shell, capsys, "b = a * 10\nb")
    assert captured.outputs[0].data["text/plain"] == "tensor([ 0., 10., 20.])"
    shell.run_line_magic("tcalc_pull", "b")
    assert isinstance(shell.user_ns["b"], np.ndarray) and shell.user_ns["b"].tolist() == [0., 10., 20.]


def _notebook(tmp_path, *sources: str, allow_errors: bool):
    """A notebook of these code cells after `%load_ext tcalc.ipython`, run by a Jupyter
    kernel through nbclient (where they are installed): the notebook and its client."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)
                                               for source in ("%load_ext tcalc.ipython", *sources)])
    return notebook, nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=allow_errors,
                                             resources={"metadata": {"path": str(tmp_path)}})


def test_a_notebook_runs_end_to_end(tmp_path):
    notebook, client = _notebook(
        tmp_path,
        "%%tcalc\nx = arange(4.)\nprint('sum', x.sum().item())\nx * 2",
        "%%tcalc\nshow(x)",
        "%tcalc_pull x\ntype(x).__module__, x.tolist()",
        "%%tcalc\nx + undefined",
        "%%tcalc\nprint('first')\ns = x.sum()\ns\nprint('then')\ns / undefined",
        "%%tcalc\ns", allow_errors=True)
    client.execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert outputs[1][0]["text"] == "sum 6.0\n"
    assert outputs[1][1]["data"]["text/plain"] == "tensor([0., 2., 4., 6.])"
    assert "<table" not in outputs[2][0]["data"].get("text/html", "")  # 1-d: a sparkline
    assert outputs[2][0]["data"]["text/plain"].startswith("tensor of shape (4,)")
    assert outputs[3][0]["data"]["text/plain"] == "('numpy', [0.0, 1.0, 2.0, 3.0])"
    assert outputs[4][0]["name"] == "stderr" and "name 'undefined' is not defined" in outputs[4][0]["text"]
    # In the kernel's own order: printed text, the value, more text, then the error; s stays.
    shown = [(o["output_type"], o.get("text") or o["data"]["text/plain"]) for o in outputs[5]]
    assert shown[:3] == [("stream", "first\n"), ("display_data", "tensor(6.)"), ("stream", "then\n")]
    assert shown[3][0] == "stream" and outputs[5][3]["name"] == "stderr" and "ran and are kept" in shown[3][1]
    assert outputs[6][0]["data"]["text/plain"] == "tensor(6.)"


def test_a_cell_with_an_error_is_a_failed_cell(shell):
    """As a Python cell with an error is: IPython's result says so (a kernel then replies
    "error" and a notebook's Run All stops), with no traceback after tcalc's diagnostic."""
    events, result = seen_in_order(shell, "q = 1\nq + undefined")
    assert not result.success and type(result.error_in_exec).__name__ == "CellFailed"
    assert [kind for kind, _ in events] == ["err"] and "Traceback" not in events[0][1]
    events, result = seen_in_order(shell, "q")
    assert result.success and events == [("value", "1")]


def test_run_all_stops_at_a_tcalc_error(tmp_path):
    notebook, client = _notebook(tmp_path, "%%tcalc\nx = arange(3)\nx + undefined", "%%tcalc\nprint('after')",
                                 allow_errors=False)
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError):
        client.execute()
    assert "name 'undefined' is not defined" in notebook.cells[1].outputs[0]["text"]
    assert notebook.cells[2].outputs == []  # never run
