"""Values reach the screen through one renderer table (tcalc.render.RENDERERS): the plain
text is PyTorch's, and a value with a richer form is drawn with it only where a front end
can draw (a colour terminal), never in piped output."""
from __future__ import annotations

import io

from tcalc import render
from tcalc.evaluator import Session
from tcalc.output import Output


class Picture:
    """A stand-in for a value with a drawing (a graph, a plot)."""


def _shown_picture(value) -> render.Shown:
    from rich.text import Text

    return render.Shown("plain picture", rich=lambda: Text("drawn picture"))


def _print(value, color: bool, monkeypatch) -> str:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    output = Output(color)
    if color:
        from rich.console import Console

        output._console = Console(file=out, force_terminal=True, color_system=None, highlight=False)
    output.value(value)
    return out.getvalue()


def test_a_registered_renderer_draws_on_a_terminal_and_is_text_when_piped(monkeypatch):
    monkeypatch.setitem(render.RENDERERS, Picture, _shown_picture)
    assert _print(Picture(), color=False, monkeypatch=monkeypatch) == "plain picture\n"
    assert _print(Picture(), color=True, monkeypatch=monkeypatch) == "drawn picture\n"


def test_subclasses_are_shown_as_their_registered_base(monkeypatch):
    class Photo(Picture):
        pass

    monkeypatch.setitem(render.RENDERERS, Picture, _shown_picture)
    assert render.show(Photo()).text == "plain picture"


def test_values_without_a_renderer_are_pytorchs_text_in_colour_too(monkeypatch):
    (value,) = Session().run("(arange(3), 2.5)")
    assert _print(value, color=False, monkeypatch=monkeypatch) == "(tensor([0, 1, 2]), 2.5)\n"
    assert _print(value, color=True, monkeypatch=monkeypatch) == "(tensor([0, 1, 2]), 2.5)\n"
