"""Backwards that compute with NumPy directly when no graph is being built
(elementwise.plain_backward, the matrix product's, sum's and mean's, negation's, and
the sum of a broadcast gradient back to its input's shape) give the very bits that their
formulas through tcalc's ops give, which is what a backward with create_graph=True runs."""
from __future__ import annotations

import numpy as np
import pytest

from tcalc import ops
from tcalc.autograd import run_backward
from tcalc.tensor import Tensor

rng = np.random.default_rng(11)


def gradients(f, arrays, seed, create_graph):
    leaves = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    y = f(*leaves)
    run_backward([y], [Tensor(seed)], retain_graph=False, create_graph=create_graph)
    return [leaf.grad.data for leaf in leaves]


CASES = {
    "tanh": (lambda x: ops.tanh(x), [(256, 64)]),
    "tanh small": (lambda x: ops.tanh(x), [(3, 4)]),
    "tanh 0-d": (lambda x: ops.tanh(x), [()]),
    "pow 0-d": (lambda x: ops.pow(x, 2), [()]),
    "pow 2": (lambda x: ops.pow(x, 2), [(256, 10)]),
    "pow 3.5": (lambda x: ops.pow(ops.abs(x), 3.5), [(7, 5)]),
    "pow -1": (lambda x: ops.pow(x, -1), [(7, 5)]),
    "mm": (lambda a, b: ops.mm(a, b), [(6, 5), (5, 4)]),
    "mul": (lambda a, b: ops.mul(a, b), [(6, 5), (6, 5)]),
    "mul 0-d": (lambda a, b: ops.mul(a, b), [(), (6, 5)]),
    "mul by numbers": (lambda a: ops.mul(ops.mul(2, a), 0.1), [(6, 5)]),
    "mul broadcast": (lambda a, b: ops.mul(a, b), [(6, 1), (1, 5)]),
    "tiny graph": (lambda x: ops.mul(2, ops.dot(x, x)), [(3,)]),
    "sum": (lambda x: ops.sum(ops.mul(x, x)), [(4, 3)]),
    "mean": (lambda x: ops.mean(ops.mul(x, x)), [(1000, 1)]),
    "mean 0-d": (lambda x: ops.mean(x), [()]),
    "mean of a dim": (lambda x: ops.mean(x, 1), [(5, 7)]),
    "mean of dims, kept": (lambda x: ops.mean(x, (0, 2), keepdim=True), [(3, 4, 5)]),
    "sum of a dim": (lambda x: ops.sum(ops.tanh(x), 0), [(6, 3)]),
    "sub and neg": (lambda a, b: ops.neg(ops.sub(a, b)), [(4, 3), (4, 3)]),
    "sub broadcast": (lambda a, b: ops.sub(a, b), [(6, 5), (5,)]),
    "add broadcast": (lambda a, b: ops.add(a, b), [(1000, 1), (1,)]),
    "the linear regression": (lambda w, b: ops.mean(ops.pow(ops.sub(ops.add(ops.mm(X10, w), b), Y), 2)),
                              [(10, 1), (1,)]),
    "the MLP": (lambda w1, w2: ops.sum(ops.pow(ops.mm(ops.tanh(ops.mm(X, w1)), w2), 2)), [(512, 64), (64, 10)]),
}
X = Tensor((rng.standard_normal((256, 512))).astype(np.float32))
X10, Y = (Tensor(rng.standard_normal(shape).astype(np.float32)) for shape in ((1000, 10), (1000, 1)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CASES))
def test_same_bits_as_the_ops(name, dtype):
    f, shapes = CASES[name]
    if name in ("the MLP", "the linear regression") and dtype is np.float64:
        pytest.skip("X is float32")
    arrays = [np.asarray(rng.standard_normal(s) / (20 if name == "the MLP" else 1)).astype(dtype) for s in shapes]
    out_shape = f(*[Tensor(a) for a in arrays]).data.shape
    seed = np.asarray(rng.standard_normal(out_shape)).astype(dtype)
    plain = gradients(f, arrays, seed, create_graph=False)
    through_ops = gradients(f, arrays, seed, create_graph=True)
    for p, o in zip(plain, through_ops):
        assert p.dtype == o.dtype == dtype
        np.testing.assert_array_equal(np.atleast_1d(p).view(np.uint8), np.atleast_1d(o).view(np.uint8))


def test_the_incoming_gradient_is_not_written():
    """tanh's backward writes into an array of its own: here one gradient reaches both
    tanh nodes (an add hands g to each side), and both must see it unchanged."""
    x = Tensor(rng.standard_normal((64, 64)).astype(np.float32), requires_grad=True)
    y = ops.add(ops.tanh(x), ops.tanh(ops.mul(x, 2.0)))
    seed = Tensor(np.ones((64, 64), np.float32))
    run_backward([y], [seed], retain_graph=False, create_graph=False)
    t = np.tanh(x.data.astype(np.float64))
    t2 = np.tanh(2 * x.data.astype(np.float64))
    np.testing.assert_allclose(x.grad.data, (1 - t * t) + 2 * (1 - t2 * t2), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(seed.data, 1)
