"""Every differentiable op's gradient against central finite differences, in float64."""
from __future__ import annotations

import numpy as np
import pytest

from tcalc import ops
from tcalc.autograd import run_backward
from tcalc.differentiate import grad
from tcalc.tensor import Tensor

SHAPES = [(), (5,), (3, 4), (1, 4)]
rng = np.random.default_rng(0)


def numeric_gradient(f, x: np.ndarray, weights: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d/dx of sum(f(x) * weights), by central differences."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += eps
        minus[i] -= eps
        g[i] = (np.sum(f(Tensor(plus)).data * weights) - np.sum(f(Tensor(minus)).data * weights)) / (2 * eps)
    return g


def analytic_gradient(f, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    t = Tensor(x.copy(), requires_grad=True)
    y = f(t)
    run_backward([y], [Tensor(weights)], retain_graph=False, create_graph=False)
    return t.grad.data


def positive(shape):
    return rng.uniform(0.5, 2.0, size=shape)


def anywhere(shape):
    return rng.uniform(-2.0, 2.0, size=shape)


UNARY = {
    "neg": (ops.neg, anywhere), "exp": (ops.exp, anywhere), "log": (ops.log, positive),
    "log2": (ops.log2, positive), "log10": (ops.log10, positive), "sqrt": (ops.sqrt, positive),
    "sin": (ops.sin, anywhere), "cos": (ops.cos, anywhere), "tan": (lambda x: ops.tan(x * 0.5), anywhere),
    "tanh": (ops.tanh, anywhere), "sigmoid": (ops.sigmoid, anywhere),
    "reciprocal": (ops.reciprocal, positive), "abs": (ops.abs, positive),
    "relu": (ops.relu, positive), "square": (lambda x: x ** 2, anywhere),
    "cube": (lambda x: ops.pow(x, 3), anywhere), "pow_half": (lambda x: x ** 0.5, positive),
    "scalar_pow": (lambda x: ops.pow(2.0, x), anywhere), "self_pow": (lambda x: x ** x, positive),
    "scale": (lambda x: 3 * x - 1, anywhere), "rdiv": (lambda x: 2 / x, positive),
    "rsub": (lambda x: ops.sub(1, x), anywhere), "div": (lambda x: x / 3, anywhere),
    "sum": (ops.sum, anywhere), "mean": (ops.mean, anywhere), "norm": (ops.norm, anywhere),
    "T": (ops.T, anywhere), "flatten": (ops.flatten, anywhere),
    "reshape": (lambda x: ops.reshape(x, -1), anywhere),
    "unsqueeze": (lambda x: ops.unsqueeze(x, 0), anywhere),
    "expand": (lambda x: ops.expand(x, 2, *x.data.shape), anywhere),
    "cat": (lambda x: ops.cat((ops.reshape(x, -1), ops.reshape(x * 2, -1))), anywhere),
    "stack": (lambda x: ops.stack((x, x * x)), anywhere),
    "self_mul": (lambda x: x * x, anywhere), "self_dot": (lambda x: ops.dot(ops.reshape(x, -1), ops.reshape(x, -1)), anywhere),
    "index_first": (lambda x: ops.getitem(ops.reshape(x, -1), 0), anywhere),
    "index_slice": (lambda x: ops.getitem(ops.reshape(x, -1), slice(None, None, 2)), anywhere),
    "index_list": (lambda x: ops.getitem(ops.reshape(x, -1), [0, 0]), anywhere),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradient(name, shape):
    f, sample = UNARY[name]
    x = sample(shape)
    weights = rng.normal(size=f(Tensor(x)).data.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=1e-5, atol=1e-6)


BINARY = {
    "add": ops.add, "sub": ops.sub, "mul": ops.mul, "div": ops.div, "pow": ops.pow,
}


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (1, 4)), ((3, 4), (4,)), ((), (3, 4)),
                                    ((5,), ())], ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradient_unbroadcasts(name, shapes):
    f = BINARY[name]
    a, b = positive(shapes[0]), positive(shapes[1])
    weights = rng.normal(size=np.broadcast_shapes(*shapes))
    np.testing.assert_allclose(analytic_gradient(lambda t: f(t, Tensor(b)), a, weights),
                               numeric_gradient(lambda t: f(t, Tensor(b)), a, weights), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(analytic_gradient(lambda t: f(Tensor(a), t), b, weights),
                               numeric_gradient(lambda t: f(Tensor(a), t), b, weights), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,f,shapes", [
    ("dot", ops.dot, ((4,), (4,))),
    ("mv", ops.mv, ((3, 4), (4,))),
    ("mm", ops.mm, ((3, 4), (4, 2))),
    ("matmul_batched", ops.matmul, ((2, 3, 4), (4, 5))),
    ("matmul_vec_mat", ops.matmul, ((4,), (4, 3))),
])
def test_products(name, f, shapes):
    a, b = anywhere(shapes[0]), anywhere(shapes[1])
    weights = rng.normal(size=f(Tensor(a), Tensor(b)).data.shape)
    np.testing.assert_allclose(analytic_gradient(lambda t: f(t, Tensor(b)), a, weights),
                               numeric_gradient(lambda t: f(t, Tensor(b)), a, weights), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(analytic_gradient(lambda t: f(Tensor(a), t), b, weights),
                               numeric_gradient(lambda t: f(Tensor(a), t), b, weights), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), ((0, 1), False), (-1, False)])
@pytest.mark.parametrize("reduction", ["sum", "mean", "norm"])
def test_reductions_over_dims(reduction, dim, keepdim):
    f = {"sum": lambda t: ops.sum(t, dim, keepdim), "mean": lambda t: ops.mean(t, dim, keepdim),
         "norm": lambda t: ops.norm(t, dim=dim, keepdim=keepdim)}[reduction]
    x = anywhere((3, 4))
    weights = rng.normal(size=f(Tensor(x)).data.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=1e-5, atol=1e-6)


def test_second_derivative_by_nested_grad():
    """d2/dx2 of x**3 is 6x: the gradient graph is itself differentiable."""
    x = Tensor(np.array(1.5), requires_grad=True)
    first = grad(x ** 3, x, create_graph=True)
    second = grad(first, x)
    assert np.isclose(first.data, 3 * 1.5 ** 2)
    assert np.isclose(second.data, 6 * 1.5)


@pytest.mark.parametrize("name,f,second", [
    ("exp", ops.exp, lambda x: np.exp(x)),
    ("tanh", ops.tanh, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    ("sigmoid", ops.sigmoid, lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
    ("sqrt", ops.sqrt, lambda x: -0.25 * x ** -1.5),
    ("reciprocal", ops.reciprocal, lambda x: 2 * x ** -3),
    ("sin", ops.sin, lambda x: -np.sin(x)),
])
def test_second_derivatives_of_ops_whose_gradient_uses_their_output(name, f, second):
    x = Tensor(np.array(0.7), requires_grad=True)
    first = grad(f(x), x, create_graph=True)
    np.testing.assert_allclose(grad(first, x).data, second(0.7), rtol=1e-10)
