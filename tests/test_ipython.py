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


def test_a_notebook_runs_end_to_end(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%load_ext tcalc.ipython"),
        nbformat.v4.new_code_cell("%%tcalc\nx = arange(4.)\nprint('sum', x.sum().item())\nx * 2"),
        nbformat.v4.new_code_cell("%%tcalc\nshow(x)"),
        nbformat.v4.new_code_cell("%tcalc_pull x\ntype(x).__module__, x.tolist()"),
        nbformat.v4.new_code_cell("%%tcalc\nx + undefined"),
    ])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert outputs[1][0]["text"] == "sum 6.0\n"
    assert outputs[1][1]["data"]["text/plain"] == "tensor([0., 2., 4., 6.])"
    assert "<table" not in outputs[2][0]["data"].get("text/html", "")  # 1-d: a sparkline
    assert outputs[2][0]["data"]["text/plain"].startswith("tensor of shape (4,)")
    assert outputs[3][0]["data"]["text/plain"] == "('numpy', [0.0, 1.0, 2.0, 3.0])"
    assert outputs[4][0]["name"] == "stderr" and "name 'undefined' is not defined" in outputs[4][0]["text"]
