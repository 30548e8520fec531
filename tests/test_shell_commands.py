"""The shell's own commands and the undo of what was typed, through the shell's handler
(tcalc.repl.Shell.handle, what Enter runs), without a terminal."""
from __future__ import annotations

import pytest

from tcalc.output import Output
from tcalc.repl import Shell


@pytest.fixture
def shell():
    return Shell(Output(False))


def shown(capsys) -> tuple[str, str]:
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_each_statement_of_a_line_is_undone_alone(shell, capsys):
    shell.handle("a = 1; b = undefined_name; c = 3")
    out, err = shown(capsys)
    assert "name 'undefined_name' is not defined" in err
    assert "note: before it, `a = 1` ran and is kept" in err
    assert shell.session.globals["a"] == 1
    assert "b" not in shell.session.globals and "c" not in shell.session.globals


def test_no_note_when_the_first_statement_fails(shell, capsys):
    shell.handle("1 / 0; a = 1")
    assert "note" not in shown(capsys)[1]


def test_last_values(shell, capsys):
    shell.handle("2 + 3")
    shell.handle("_ * 10")
    shell.handle("(_, __)")
    assert shown(capsys)[0] == "5\n50\n(50, 5)\n"
    shell.handle("_ = 'mine'")  # the user's own `_` is left alone
    shell.handle("7")
    shell.handle("_")
    assert shown(capsys)[0] == "7\n'mine'\n"


def test_help_shows_signature_and_description(shell, capsys):
    shell.handle("help(sum)")
    out = shown(capsys)[0]
    assert out.splitlines()[0] == "sum(x, dim=None, keepdim=False, dtype=None, start=0)"
    assert "a function, torch.sum(x, ...), and a tensor method, x.sum(...)" in out
    shell.handle("x = ones(2)")
    shell.handle("x.add_?")
    assert shown(capsys)[0] == ("Tensor.add_(other, alpha=1)\n  a tensor method: x.add_(...)\n"
                                "  changes its tensor in place\n  PyTorch's documentation: torch.Tensor.add_ "
                                "(pytorch.org/docs/stable/generated/torch.Tensor.add_.html)\n")
    shell.handle("x.grad?")
    assert shown(capsys)[0] == "Tensor.grad\n  a tensor attribute: x.grad, settable (x.grad = ...)\n"
    shell.handle("torch.linalg.norm?")
    assert shown(capsys)[0].splitlines()[:2] == ["torch.linalg.norm(x, ord=None, dim=None, keepdim=False, dtype=None)",
                                                 "  a function of torch.linalg"]
    shell.handle("help")
    assert "help(name), name?" in shown(capsys)[0]
    shell.handle("help(nothing_here)")
    assert "no help for 'nothing_here'" in shown(capsys)[0]


def test_help_never_evaluates_what_is_typed(shell, capsys):
    shell.handle("help(x.__class__)")
    shell.handle("help(print('hi'))")
    out, err = shown(capsys)
    assert out.splitlines()[0] == "no help for 'x.__class__': not a name of this session (help lists the topics)"
    assert "hi" not in out.splitlines()


def test_who_tables_the_users_variables(shell, capsys):
    shell.handle("who")
    assert shown(capsys)[0] == "no variables yet\n"
    shell.handle("w = zeros(2, 3, requires_grad=True); n = 3; names = ['a']")
    shell.handle("who")
    rows = [row.split() for row in shown(capsys)[0].splitlines()]
    assert rows[1:] == [["w", "Tensor", "(2,", "3)", "float32", "requires_grad", "24", "B"],
                        ["n", "int"], ["names", "list,", "1", "item"]]


def test_a_users_variable_named_like_a_command_is_the_variable(shell, capsys):
    shell.handle("who = 5")
    shell.handle("who")
    assert shown(capsys)[0] == "5\n"
    assert shell.handle("exit") is False


def test_clear_forgets_the_variables_only_when_the_user_says_yes(capsys):
    answers = []
    shell = Shell(Output(False), ask=lambda question: answers.append(question) or reply)
    shell.handle("x = ones(2); y = 3")
    reply = False
    shell.handle("clear")
    assert answers == ["forget all 2 variables and start afresh?"]
    assert "x" in shell.session.globals and shown(capsys)[0] == "kept\n"
    reply = True
    shell.handle("clear")
    assert "x" not in shell.session.globals and shown(capsys)[0] == "a fresh session\n"
    shell.handle("who")
    assert shown(capsys)[0] == "no variables yet\n"
    shell.handle("sum(ones(3))")  # the builtins are all there
    assert shown(capsys)[0] == "tensor(3.)\n"


def test_tc_files_have_a_pygments_lexer():
    pygments = pytest.importorskip("pygments.lexers")
    from tcalc.lexer import TcalcLexer

    assert isinstance(pygments.get_lexer_by_name("tcalc"), TcalcLexer)  # the plugin is registered
    assert isinstance(pygments.get_lexer_for_filename("notebook.tc"), TcalcLexer)


def test_help_examples_are_golden_programs_recorded_from_pytorch():
    """What help shows as an example's output is checked against PyTorch's by the golden
    test of tests/golden/shell/help-examples.tc: every example is one of its lines."""
    from pathlib import Path

    from tcalc.shell_commands import EXAMPLES

    golden = (Path(__file__).parent / "golden" / "shell" / "help-examples.tc").read_text().splitlines()
    assert sorted(EXAMPLES.values()) == sorted(golden)


def test_help_shows_the_example_with_pytorchs_output(shell, capsys):
    shell.handle("help(sum)")
    assert shown(capsys)[0].endswith("  example:\n    >>> torch.sum(torch.tensor([[1., 2.], [3., 4.]]), dim=0)\n"
                                     "    tensor([4., 6.])\n")  # tests/golden/shell/help-examples.out
    shell.handle("x = ones(2)")
    shell.handle("x.unsqueeze?")
    assert "    tensor([[1],\n            [2]])\n" in shown(capsys)[0]


def test_help_names_pytorchs_documentation_page_where_pytorch_has_the_name(shell, capsys):
    shell.handle("help(sum)")
    shell.handle("x = ones(2)")
    shell.handle("x.mean?")
    shell.handle("help(show)")  # tcalc's own: no PyTorch page
    out = capsys.readouterr().out
    assert "PyTorch's documentation: torch.sum (pytorch.org/docs/stable/generated/torch.sum.html)" in out
    assert "PyTorch's documentation: torch.Tensor.mean" in out
    assert out.count("PyTorch's documentation") == 2


@pytest.mark.parametrize("value, colored", [("", True), ("1", False)])
def test_no_color_counts_only_when_not_empty(monkeypatch, value, colored):
    """no-color.org: NO_COLOR set to an empty string does not turn colour off."""
    monkeypatch.setenv("NO_COLOR", value)
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert Output(None).color is colored
