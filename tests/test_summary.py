"""show(x): a tensor's summary at one glance, plain through a pipe, coloured on a terminal."""
from __future__ import annotations

import io

from conftest import tcalc_command

from tcalc.evaluator import Session
from tcalc.render import show as shown_of


def summary(source: str):
    return list(Session().run(source))[-1]


def test_statistics_and_flags_of_a_tensor():
    text = shown_of(summary("x = tensor([[1., 0.], [nan, inf]], requires_grad=True)\nshow(x)")).text
    lines = text.split("\n")
    assert lines[0] == "tensor of shape (2, 2), float32, requires_grad=True, grad not set"
    assert lines[1] == "min 0  max 1  mean 0.5  std 0.7071  (of the finite values)"
    assert lines[2] == "4 elements: 1 zeros, 1 NaN, 1 inf"


def test_grad_set_and_integer_tensors():
    text = shown_of(summary("x = ones(3, requires_grad=True); x.sum().backward()\nshow(x)")).text
    assert text.startswith("tensor of shape (3,), float32, requires_grad=True, grad set\n")
    assert shown_of(summary("show(arange(6).reshape(2, 3))")).text == (
        "tensor of shape (2, 3), int64\nmin 0  max 5  mean 2.5  std 1.871\n6 elements: 1 zeros, 0 NaN, 0 inf\n"
        "··░░▒▒\n▓▓████\n·· 0 .. ██ 5")


def test_a_sparkline_for_1d():
    last = shown_of(summary("show(tensor([0., 1., 2., 3., 4., 5., 6., 7.]))")).text.split("\n")[-1]
    assert last == "▁▂▃▄▅▆▇█"


def test_a_large_tensor_is_summarised_not_printed():
    text = shown_of(summary("show(arange(1_000_000.).reshape(1000, 1000))")).text
    lines = text.split("\n")
    assert len(lines) == 3 + 24 + 1 and max(len(line) for line in lines) <= 80
    assert "mean of a block" in lines[-1]
    assert "1,000,000 elements" in text


def test_more_dimensions_empty_and_0d():
    assert len(shown_of(summary("show(zeros(2, 3, 4))")).text.split("\n")) == 3
    assert shown_of(summary("show(zeros(0))")).text.endswith("0 elements: 0 zeros, 0 NaN, 0 inf")
    assert "1 element:" in shown_of(summary("show(tensor(3.))")).text


def test_through_a_pipe_plain_text_and_refusals():
    result = tcalc_command("-e", "show(linspace(0, 1, 5))\nshow([1, 2])")
    assert result.stdout.split("\n")[3] == "▁▃▅▇█" and "\x1b[" not in result.stdout
    assert result.returncode == 1 and "show() summarises a tensor, not a list" in result.stderr


def test_on_a_terminal_a_coloured_heatmap_sized_to_the_width():
    from rich.console import Console

    from tcalc.output import Output

    output = Output(True)
    buffer = io.StringIO()
    output._console = Console(file=buffer, force_terminal=True, width=40, color_system="truecolor")
    output.value(summary("show(arange(200.).reshape(4, 50))"))
    lines = buffer.getvalue().split("\n")
    assert lines[0] == "tensor of shape (4, 50), float32, requires_grad=False, grad not set"
    assert "\x1b[48;2;68;1;84m" in lines[3]  # the lowest colour, as a background
    assert lines[3].count("  ") == 19  # two columns a cell, within the 40 columns
