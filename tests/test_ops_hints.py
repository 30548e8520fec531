"""Function forms of the binary ops teach as the operators do: `add(a, b)`, `torch.mul(a, b)`
and `a.add(b)` get the hint of `a + b` (tcalc.hints owns the text; the operands are named
a and b here, the names a function form's hint uses, so the operator form quotes the same)."""
from __future__ import annotations

import pytest
from conftest import run_program

CLASH = "a = ones(2, 3); b = ones(3, 2)\n"  # no broadcast
INNER = "a = ones(2, 3); b = ones(2, 3)\n"  # no matrix product


def hint_of(statement: str, setup: str = CLASH) -> str:
    printed, error = run_program(setup + statement)
    assert error is not None and error.kind == "shape error", (printed, error)
    assert error.hint, statement
    return error.hint


@pytest.mark.parametrize("operator,forms,setup", [
    ("a + b", ["add(a, b)", "torch.add(a, b)", "a.add(b)"], CLASH),
    ("a - b", ["sub(a, b)", "torch.subtract(a, b)", "a.sub(b)"], CLASH),
    ("a * b", ["mul(a, b)", "torch.mul(a, b)", "a.mul(b)", "torch.multiply(a, b)"], CLASH),
    ("a / b", ["div(a, b)", "torch.div(a, b)", "a.div(b)", "torch.true_divide(a, b)"], CLASH),
    ("a ** b", ["pow(a, b)", "a.pow(b)"], CLASH),
    ("a % b", ["remainder(a, b)", "a.remainder(b)"], CLASH),
    ("a == b", ["eq(a, b)", "a.eq(b)"], CLASH),
    ("a < b", ["lt(a, b)", "torch.lt(a, b)"], CLASH),
    ("a @ b", ["mm(a, b)", "matmul(a, b)", "a.matmul(b)", "torch.mm(a, b)"], INNER),
])
def test_function_forms_get_the_operator_hint(operator, forms, setup):
    expected = hint_of(operator, setup)
    assert "shapes line up" in expected or "needs the last size" in expected
    for form in forms:
        assert hint_of(form, setup) == expected, form


def test_function_form_hint_suggests_a_fix_written_with_the_operator():
    assert "try `a.T * b`" in hint_of("torch.mul(a, ones(2))")


def test_ops_without_an_operator_explain_the_shapes_without_a_rewrite():
    hint = hint_of("where(a > 0, a, ones(2))")
    assert hint.startswith("shapes line up from the right")
    assert "reshape or unsqueeze one side" in hint


@pytest.mark.parametrize("statement,words", [
    ("x[0, 1, 2]", "this tensor has 2 dims"),
    ("x[[0, 1], [0, 1, 2]]", "pair up element by element"),
    ("x[tensor([True, False, True])]", "a bool mask has the shape of the dims it covers"),
    ("x[:, [5]]", "indices of a dimension of size n run from -n to n-1"),
    ("x[0] = ones(2, 4)", "the value must broadcast to (3,)"),
    ("x[[0, 1]] = ones(4)", "the value must broadcast to the shape of what the index selects"),
    ("x[tensor([0.])]", "convert the index with .long()"),
])
def test_index_refusals_teach(statement, words):
    printed, error = run_program("x = arange(6.).reshape(2, 3)\n" + statement)
    assert error is not None and error.hint and words in error.hint, (error and error.hint)
