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


def test_a_result_read_only_for_its_shape_is_freed_before_the_backward():
    # PyTorch's SumBackward0 keeps the sizes of x * x, not x * x: the session holds x and y,
    # and x * x (4 MB) is gone before the backward, as in PyTorch.
    n = 1_000_000
    session = Session()
    tracemalloc.start()
    try:
        assert run_program(f"x = ones({n}, requires_grad=True)", session)[1] is None
        before, _ = tracemalloc.get_traced_memory()
        assert run_program("y = (x * x).sum()", session)[1] is None
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 0.5 * 4 * n, (after - before) / (4 * n)
    assert run_program("y.backward()\nx.grad[:3]", session)[0] == "tensor([2., 2., 2.])\n"


def test_grad_with_respect_to_an_intermediate_kept_by_its_sizes():
    # h is an input of SumBackward0 and of AddBackward0, which keep only its sizes; grad()
    # still finds it by identity, and a second derivative through a result a node reads
    # (exp keeps its own result) still sees that result's graph.
    source = "\n".join([
        "x = tensor([1., 2., 3.], dtype=float64, requires_grad=True)",
        "h = x * x",
        "y = (h + 1).sum()",
        "torch.autograd.grad(y, h)",
        "z = exp(x).sum()",
        "(g,) = torch.autograd.grad(z, x, create_graph=True)",
        "torch.autograd.grad(g.sum(), x)",
    ])
    printed, error = run_program(source)
    assert error is None, error
    lines = printed.splitlines()
    assert lines[0] == "(tensor([1., 1., 1.], dtype=torch.float64),)"  # dy/dh
    assert lines[1] == "(tensor([ 2.7183,  7.3891, 20.0855], dtype=torch.float64),)"  # d2/dx2 exp = exp
