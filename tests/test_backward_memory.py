"""What a backward allocates, and that the first .grad is the backward's own array only
when nothing else can see it."""
from __future__ import annotations

import tracemalloc

from conftest import run_program

from tcalc.evaluator import Session


def test_first_grad_is_not_copied():
    n = 1_000_000  # float32: 4 MB
    session = Session()
    assert run_program(f"x = ones({n}, requires_grad=True)\ny = (x * x).sum()", session)[1] is None
    tracemalloc.start()
    try:
        assert run_program("y.backward()", session)[1] is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The two products of MulBackward0 (one per operand); the first becomes x.grad and the
    # second is added into it. A copy for .grad would make it three.
    assert peak < 2.5 * 4 * n, peak / (4 * n)
    assert run_program("x.grad[:3]", session)[0] == "tensor([2., 2., 2.])\n"


def test_grads_that_are_shared_are_copied():
    source = "\n".join([
        "a = ones(3, requires_grad=True)",
        "b = ones(3, requires_grad=True)",
        "(a + b).sum().backward()",  # one gradient for both leaves
        "a.grad.add_(1)",
        "b.grad",
        "v = tensor([1., 2., 3.])",
        "c = ones(3, requires_grad=True)",
        "(c * 1).backward(v)",  # the caller's gradient passes through unchanged
        "c.grad.add_(1)",
        "v",
        "d = ones(3, requires_grad=True)",
        "d.backward(v)",  # a leaf given its own gradient
        "d.grad.mul_(10)",
        "v",
        "e = ones(2, 3, requires_grad=True)",
        "e.sum().backward()",  # a broadcast view of one number
        "e.grad.add_(1)",
    ])
    printed, error = run_program(source)
    assert error is None, error
    assert printed.splitlines() == [
        "tensor([2., 2., 2.])", "tensor([1., 1., 1.])",
        "tensor([2., 3., 4.])", "tensor([1., 2., 3.])",
        "tensor([10., 20., 30.])", "tensor([1., 2., 3.])",
        "tensor([[2., 2., 2.],", "        [2., 2., 2.]])",
    ]
