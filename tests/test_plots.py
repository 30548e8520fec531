"""Terminal plots (uniplot): their shape and text through a pipe, colour on a terminal, and
pictures written with matplotlib (the optional `plots` extra) or a message saying how to
install it."""
from __future__ import annotations

import io
import sys

import pytest
from conftest import run_program, tcalc_command

from tcalc.evaluator import Session
from tcalc.render import show


def plot_text(source: str) -> str:
    return show(list(Session().run(source))[-1]).text


def frame(text: str) -> list[str]:
    """The plotting area's rows, without the frame and the y labels (60 columns)."""
    lines = text.split("\n")
    top = next(i for i, line in enumerate(lines) if line.startswith("┌"))
    bottom = next(i for i, line in enumerate(lines) if line.startswith("└"))
    assert all(line[0] == "│" and line[61] == "│" for line in lines[top + 1:bottom])
    return [line[1:61] for line in lines[top + 1:bottom]]


def test_a_function_over_an_interval():
    rows = frame(plot_text("plot(lambda x: x ** 2, -1, 1)"))
    assert len(rows) == 15
    first, last = rows[0], rows[-1]
    assert first[0] != " " and first[-1] != " "  # x**2 is high at both ends...
    assert last[28:32].strip()  # ...and low in the middle


def test_grad_draws_the_derivative_beside_the_function():
    text = plot_text("f(x) = x ** 3 - 3 * x\nplot(f, -2, 2, grad=True)")
    assert text.split("\n")[-1].split() == ["++", "f", "xx", "df/dx"]  # ASCII marks: no colour
    rows = frame(text)
    # df/dx = 3x^2 - 3 is 9 at both ends: the top row holds its marks at both ends.
    assert rows[0][0] == "x" and rows[0][-1] == "x"


def test_a_function_that_is_not_elementwise_is_evaluated_point_by_point():
    text = plot_text("def g(t):\n    return t.item() if t.item() > 0 else 0.0\nplot(g, -1, 1)")
    assert len(frame(text)) == 15


def test_data_series_with_a_legend_and_a_list_of_losses():
    text = plot_text("x = linspace(0, 6, 50)\nplot(x, sin(x), cos(x), legend=['sin', 'cos'])")
    assert text.split("\n")[-1].split() == ["++", "sin", "xx", "cos"]
    losses = plot_text("losses = [1 / (i + 1) for i in range(30)]\nplot(losses, title='loss')")
    assert losses.split("\n")[0].strip() == "loss"
    assert frame(losses)[0][0] != " " and not frame(losses)[0][1:].strip()  # the first loss is the largest
    assert "\x1b[" not in text + losses


def test_scatter_and_hist():
    assert len(frame(plot_text("manual_seed(0)\nscatter(randn(100), randn(100))"))) == 15
    rows = frame(plot_text("hist(tensor([0., 0., 0., 1.]), bins=2)"))
    assert len(rows) == 15


def test_through_a_pipe_plain_text():
    result = tcalc_command("-e", "plot([1, 2, 3])")
    assert result.returncode == 0 and "┌" in result.stdout and "\x1b[" not in result.stdout


def test_on_a_terminal_coloured_and_sized_to_it():
    from rich.console import Console

    from tcalc.output import Output

    output = Output(True)
    buffer = io.StringIO()
    output._console = Console(file=buffer, force_terminal=True, width=50, color_system="standard")
    output.value(list(Session().run("x = linspace(0, 6, 50)\nplot(x, sin(x), cos(x))"))[-1])
    text = buffer.getvalue()
    assert "\x1b[34m" in text and "\x1b[35m" in text  # one colour a series
    from rich.text import Text

    assert max(Text.from_ansi(line).cell_len for line in text.split("\n")) <= 50


@pytest.mark.parametrize("source, words", [
    ("plot()", "needs data"),
    ("plot([1, 2], [1, 2, 3])", "x has 2 values"),
    ("plot(sin, 1, 0)", "a < b"),
    ("plot(sin, 0)", "a function and the ends"),
    ("plot(lambda x: stack([x, x]), 0, 1)", "for 1 points"),
    ("plot([1, 2], grad=True)", "grad=True goes with a function"),
    ("plot(ones(2, 2, 2))", "1-d data"),
    ("plot(['a'])", "numbers"),
    ("plot([1, 2], legend=['a', 'b'])", "2 names for 1 series"),
    ("hist([1, 2], bins=0)", "bins"),
    ("plot([nan, nan])", "no finite values"),
    ("plot(lambda x: undefined_name, 0, 1)", "undefined_name"),
    ("plot([1, 2], file=3)", "file name"),
])
def test_clean_errors(source, words):
    printed, error = run_program(source)
    assert error is not None and words in error.message, (source, error and error.message)


def test_file_needs_matplotlib_and_says_how_to_install_it(monkeypatch, tmp_path):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed (nor imported before)
    printed, error = run_program(f"plot([1, 2], file='{tmp_path / 'p.png'}')")
    assert error is not None and "matplotlib" in error.message and "tcalc[plots]" in error.hint
    assert not (tmp_path / "p.png").exists()


def test_file_writes_a_picture_with_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    printed, error = run_program(f"plot(sin, 0, 3, grad=True, file='{tmp_path / 'p.png'}')\n"
                                 f"hist(randn(100), file='{tmp_path / 'h.svg'}')")
    assert error is None and printed == ""
    assert (tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in (tmp_path / "h.svg").read_bytes()[:500]


@pytest.mark.parametrize("source", [
    "plot(sin, -1e300, 1e300)", "plot(sin, -1e20, 1e20)", "plot(exp, 0, 1000)", "plot([1e308, -1e308, 1])",
    "scatter([1], [2])", "hist([5, 5, 5])", "plot([2, 2, 2])", "plot([nan, 1])", "plot([1, 2], [nan, 1])",
    "hist([1e200])", "plot(lambda x: x * 0, 0, 1, grad=True)", "plot(tensor([]))", "hist([])",
    "plot(arange(300000.))", "scatter(tensor([1e-300, 2e-300]), tensor([1., 1.]))", "hist([nan, 1.])",
    "plot([True, False])", "plot(zeros(3, 1))", "plot(lambda x: x.item(), -1, 1, grad=True)",
    "show(tensor([1e38, -1e38], dtype=float32) * 10)", "show(tensor([[nan, nan]]))",
])
def test_odd_data_ends_in_a_plot_or_a_clean_error(source):
    printed, error = run_program(source)  # a TcalcError at most, never a Python exception
    if error is None:
        value = list(Session().run(source))[-1]
        assert "could not draw" not in show(value).text, source


def test_without_uniplot_a_clean_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "uniplot", None)
    printed, error = run_program("plot([1, 2])")
    assert error is not None and "uniplot" in error.message and "pip install uniplot" in error.hint
