"""Diagnostics as a user reads them: kind, place, source line, caret range, and a hint."""
from __future__ import annotations

import pytest
from conftest import run_program

from tcalc.errors import Span, TcalcError
from tcalc.evaluator import Session
from tcalc.render import error_text


def diagnose(source: str) -> str:
    printed, error = run_program(source)
    assert error is not None, f"expected an error, got {printed!r}"
    assert error.kind != "internal error", error.message
    return error_text(error, source, "t.tc")


# ---- the format ------------------------------------------------------------------------

def test_broadcast_error_exact_text():
    assert diagnose("x = arange(3)\ny = x + arange(4)") == """\
t.tc:2:7: shape error: The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0
  |
2 | y = x + arange(4)
  |     - ^ --------- shape (4,), int64
  |     |
  |     shape (3,), int64
  = hint: shapes line up from the right for broadcasting; each pair of sizes must be equal or 1:
            x          3
            arange(4)  4
                       ^  3 vs 4
          try `x + arange(4).unsqueeze(-1)` for every pair (shape (4, 3))"""


def test_name_error_exact_text():
    assert diagnose("total = 3\ntotla + 1") == """\
t.tc:2:1: name error: name 'totla' is not defined
  |
2 | totla + 1
  | ^^^^^
  = hint: did you mean 'total'?"""


def test_unclosed_bracket_exact_text():
    assert diagnose("x = tensor([1, 2,\n  3") == """\
t.tc:1:12: syntax error: '[' was never closed
  |
1 | x = tensor([1, 2,
  |            ^
  = hint: close it with ']'"""


def test_error_without_place_still_has_kind_and_hint():
    err = TcalcError("boom", hint="do this")
    assert error_text(err, "", "f.tc") == "f.tc: error: boom\n  hint: do this"


def test_caret_aligns_under_wide_characters():
    text = error_text(TcalcError("bad", Span(1, 8, 1, 9)), "名字 = 1 $", "t.tc")
    lines = text.splitlines()
    source, caret = lines[2], lines[3]
    # '名字' is two characters shown four columns wide: the caret moves two extra columns.
    assert caret.index("^") - caret.index("|") == source.index("$") - source.index("|") + 2 - 0 * 0
    assert "\x1b" not in error_text(TcalcError("bad", Span(1, 1, 1, 2)), "\x1b[31mx", "t.tc")


def test_long_line_is_cut_around_the_caret():
    source = "x = [" + "1, " * 300 + "2 3]"
    text = diagnose(source)
    shown = text.splitlines()[2]
    assert len(shown) < 130 and shown.startswith("1 | ...") and "2 3]" in shown


def test_error_inside_a_function_points_at_the_call():
    text = diagnose("g(t) = t + arange(5)\ny = 2 * g(arange(3))")
    assert "t.tc:2:9: shape error" in text
    assert "raised inside g()" in text


# ---- syntax errors say what was expected, in words -------------------------------------

@pytest.mark.parametrize("source, message, hint", [
    ("x = (1 + ", "'(' was never closed", "close it with ')'"),
    ("x.mean(", "'(' was never closed", "close it with ')'"),
    ("(1, 2]", "']' does not close '('", "close it with ')'"),
    (")", "unmatched ')'", "add the '(' it closes"),
    ("x = [1 2]", "unexpected number 2", "missing ',' between the items?"),
    ("3x", "unexpected name 'x'", "3 * x"),
    ("x === 2", "unexpected '='", "=="),
    ("a && b", "unexpected '&'", "`and`"),
    ("if x:\ny = 3", "expected an indented block after 'if' statement on line 1", "indent"),
    ("for i in range(3):\n    x = i\n  y = 2", "unindent does not match any outer indentation level", None),
    ("x = 1\n    y = 2", "unexpected indent", None),
    ("print x", "unexpected name 'x'", "print(x)"),
    ("return 3", "'return' outside function", None),
    ("break", "'break' outside loop", None),
    ("f'{}'", "f-string: empty expression not allowed", None),
    ("f'{1+}'", "f-string: invalid syntax", "not finished"),
    ("d = {'a': 1", "'{' was never closed", "close it with '}'"),
    ("f(x) = ", "unexpected end of line", "expected an expression"),
    ("1 × 2", "unexpected character '×'", "write *"),
    ("x = 'abc", "unterminated string", "close the string"),
    ('s = """abc\ndef', "unterminated triple-quoted string literal", 'close it with """'),
    ("s = '''abc", "unterminated triple-quoted string literal", "close it with '''"),
    ("a = 1 $ 2", "unexpected character '$'", None),
    ("x = 1 +* 2", "unexpected '*'", "expected an expression"),
])
def test_syntax_errors(source, message, hint):
    printed, error = run_program(source)
    assert error is not None and error.kind == "syntax error"
    assert message in error.message
    if hint:
        assert hint in (error.hint or "")
    for word in ("RPAR", "LSQB", "NAME", "_NL", "$END", "COMMA"):
        assert word not in error.message + (error.hint or "")


@pytest.mark.parametrize("source, hint", [
    ("x = 1 +* 2", "expected an expression here"),
    ("f(1,,2)", "expected an expression or ')' here"),
    ("ones(2,,)", "expected an expression or ')' here"),
])
def test_syntax_hint_offers_only_what_fits_there(source, hint):
    """The end of the line is not offered where the statement cannot end (after an operator,
    inside brackets)."""
    printed, error = run_program(source)
    assert error is not None and error.hint == hint, error.hint


@pytest.mark.parametrize("source, place", [
    ("f'{1+}'", (1, 6)),  # at the '}': the text placing adds after the expression is not the user's
    ("x = 1\ny = f'a {x * } b'", (2, 14)),
    ("f'{x:>{1 -}}'", (2 - 1, 11)),  # a format spec's own expression
    ("f'{1 + * 2}'", (1, 8)),  # inside the expression: the token itself
])
def test_an_f_string_expression_error_is_placed_in_the_source(source, place):
    printed, error = run_program(source)
    assert error is not None and error.kind == "syntax error"
    assert (error.span.line, error.span.column) == place, error


# ---- names, shapes, dtypes, autograd --------------------------------------------------

@pytest.mark.parametrize("source, hint", [
    ("x = arange(3)\nx.meen()", "did you mean 'mean'?"),
    ("aragne(3)", "did you mean 'arange'?"),
    ("torch.zeroes(3)", "did you mean 'zeros'?"),
    ("np.zeros(3)", "import numpy as np"),
    ("F.relu(1)", "import torch.nn.functional as F"),
    ("x = arange(3)\nx.__class__", "not reachable"),
    ("__import__('os')", "not available"),
    ("eval('1')", "not available"),
    ("Tensor = 1\ntensor_ = 2\nTENSOR", "did you mean"),
])
def test_name_errors_suggest(source, hint):
    printed, error = run_program(source)
    assert error is not None and error.kind == "name error", error
    assert hint in (error.hint or ""), error.hint


def test_shape_error_keeps_pytorch_headline_and_caret_under_operator():
    source = "A = ones(2, 3)\nA * ones(3, 2)"
    printed, error = run_program(source)
    assert error.kind == "shape error"
    assert error.message == ("The size of tensor a (3) must match the size of tensor b (2) at "
                             "non-singleton dimension 1")
    assert (error.span.line, error.span.column, error.span.end_column) == (2, 3, 4)
    assert "A @ ones(3, 2)` for a matrix product" in error.hint
    assert "A.T * ones(3, 2)" in error.hint


def test_matmul_shape_error_suggests_transpose():
    printed, error = run_program("A = ones(2, 3)\nB = ones(2, 3)\nA @ B")
    assert error.message == "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"
    assert "try `A @ B.T`" in error.hint


def test_mean_of_int_tensor_suggests_float():
    printed, error = run_program("arange(4).mean()")
    assert error.kind == "dtype error" and ".float()" in error.hint


def test_second_backward_explains_retain_graph():
    printed, error = run_program("x = arange(3.0, requires_grad=True)\ny = (x * x).sum()\n"
                                 "y.backward()\ny.backward()")
    assert error.kind == "autograd error" and "retain_graph=True" in error.hint
    assert error.span.line == 4


def test_backward_of_non_scalar_explains_gradient():
    printed, error = run_program("x = arange(3.0, requires_grad=True)\n(x * x).backward()")
    assert error.kind == "autograd error"
    assert "scalar outputs" in error.message
    assert "gradient=" in error.hint and "sum()" in error.hint


def test_int_requires_grad_suggests_float():
    printed, error = run_program("arange(3).requires_grad_()")
    assert "float" in error.hint


def test_method_hints_name_the_users_tensor():
    """Hints write the tensor as x; for `A.mean()` the hint says A.float().mean()."""
    printed, error = run_program("A = arange(6).reshape(2, 3)\nA.mean()")
    assert error.hint == "convert to a float tensor first: A.float().mean()"
    printed, error = run_program("arange(6).mean()")  # no name to use
    assert error.hint == "convert to a float tensor first: x.float().mean()"


# ---- errors inside blocks -------------------------------------------------------------

def test_error_inside_a_def_shows_the_body_line_then_each_call():
    text = diagnose("def inner(v):\n    return v + arange(3)\n\ndef outer(v):\n    return inner(v * 2)\n\n"
                    "y = outer(arange(2))")
    lines = text.splitlines()
    assert lines[0].startswith("t.tc:2:14: shape error:")
    assert "2 |     return v + arange(3)" in text
    assert "= in inner(), called at t.tc:5:12" in text and "5 |     return inner(v * 2)" in text
    assert "= in outer(), called at t.tc:7:5" in text and "7 | y = outer(arange(2))" in text
    assert text.index("inner(), called") < text.index("outer(), called")


def test_a_loop_that_fails_says_its_earlier_rounds_stay_done():
    session = Session()
    printed, error = run_program("total = 0\nfor i in range(5):\n    total += i\n    if i == 2:\n"
                                 "        total += undefined_name\n", session)
    assert error is not None and error.kind == "name error"
    assert any("stopped in its round 3; what ran before the error stays done: its first 2 rounds, and this "
               "round's statements before it" in note for note in error.notes)
    assert session.globals["total"] == 3  # rounds 1-3 added 0 + 1 + 2; the failing statement is undone
