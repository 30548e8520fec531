"""torch.func and torch.autograd.functional: values against float64 finite differences,
vmap against the same computation one example at a time, and bad input as clean errors.

(What PyTorch prints for these functions is in tests/golden/functional.)
"""
from __future__ import annotations

import numpy as np
import pytest

from tcalc.errors import TcalcError
from tcalc.evaluator import Session
from tcalc.tensor import Tensor

X = np.array([0.3, -1.2, 0.8])
FUNCTIONS = {  # tcalc source of f, and the same f in NumPy
    "sin(t) * t.sum()": lambda t: np.sin(t) * t.sum(),
    "(t.exp() / (1 + t ** 2)).cumsum(0)": lambda t: np.cumsum(np.exp(t) / (1 + t ** 2)),
    "outer(t, t.tanh()).reshape(9)": lambda t: np.outer(t, np.tanh(t)).reshape(9),
}
SCALARS = {
    "(t.sin() * t ** 3).sum()": lambda t: (np.sin(t) * t ** 3).sum(),
    "t.logsumexp(0) * t.norm()": lambda t: np.log(np.exp(t).sum()) * np.linalg.norm(t),
}


def _value(source: str, session: Session | None = None):
    session = session or Session()
    values = list(session.run(source))
    return values[-1]


def _numerical_jacobian(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    columns = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    return np.stack(columns, axis=-1)


def _run_with_x(source: str):
    return _value(f"x = tensor({X.tolist()}, dtype=float64)\n{source}")


@pytest.mark.parametrize("body", FUNCTIONS)
@pytest.mark.parametrize("transform", ["jacrev", "jacfwd", "torch.autograd.functional.jacobian"])
def test_jacobians_match_finite_differences(body, transform):
    call = f"{transform}(lambda t: {body})(x)" if transform != "torch.autograd.functional.jacobian" \
        else f"{transform}(lambda t: {body}, x)"
    got = _run_with_x(call)
    assert isinstance(got, Tensor)
    np.testing.assert_allclose(got.data, _numerical_jacobian(FUNCTIONS[body], X), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("body", SCALARS)
@pytest.mark.parametrize("transform", ["hessian(lambda t: {body})(x)", "jacrev(jacrev(lambda t: {body}))(x)",
                                       "torch.autograd.functional.hessian(lambda t: {body}, x)"])
def test_hessians_match_finite_differences(body, transform):
    got = _run_with_x(transform.format(body=body))
    gradient = lambda t: _numerical_jacobian(SCALARS[body], t, 1e-5)  # noqa: E731
    np.testing.assert_allclose(got.data, _numerical_jacobian(gradient, X, 1e-4), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("body", SCALARS)
def test_products_match_the_jacobian(body):
    v = np.array([0.5, 2.0, -1.0])
    setup = f"v = tensor({v.tolist()}, dtype=float64)\nf = lambda t: {body}\n"
    hvp = _run_with_x(setup + "torch.autograd.functional.hvp(f, x, v)[1]")
    vhp = _run_with_x(setup + "torch.autograd.functional.vhp(f, x, v)[1]")
    gradient = lambda t: _numerical_jacobian(SCALARS[body], t, 1e-5)  # noqa: E731
    hessian = _numerical_jacobian(gradient, X, 1e-4)
    np.testing.assert_allclose(hvp.data, hessian @ v, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(vhp.data, v @ hessian, rtol=1e-4, atol=1e-6)
    jvp = _run_with_x(setup + "jvp(lambda t: t.sin() * t, (x,), (v,))[1]")
    np.testing.assert_allclose(jvp.data, (np.cos(X) * X + np.sin(X)) * v, rtol=1e-10)


def test_vmap_of_grad_gives_per_example_gradients():
    session = Session()
    source = """
W = randn(3, 2, dtype=float64)
X = randn(5, 3, dtype=float64)
Y = randn(5, 2, dtype=float64)
loss = lambda w, xb, yb: ((xb @ w - yb) ** 2).sum()
per_example = vmap(grad(loss), in_dims=(None, 0, 0))(W, X, Y)
one_by_one = stack([grad(loss)(W, X[i], Y[i]) for i in range(5)])
per_example.shape, (per_example - one_by_one).abs().max()
"""
    shape, difference = _value(source, session)
    assert tuple(shape) == (5, 3, 2)
    assert difference.data == 0
    W, X, Y = (session.globals[name].data for name in "WXY")
    expected = np.stack([2 * np.outer(X[i], X[i] @ W - Y[i]) for i in range(5)])
    np.testing.assert_allclose(session.globals["per_example"].data, expected, rtol=1e-12)


def test_vmap_in_and_out_dims():
    got = _value("vmap(lambda a, b: a * b, in_dims=(1, None), out_dims=1)(arange(6.).reshape(2, 3), tensor(2.))")
    np.testing.assert_array_equal(got.data, np.arange(6.0).reshape(2, 3) * 2)


def test_a_gradient_through_vmap_reaches_the_outer_input():
    got = _value("w = tensor([1., 2.], requires_grad=True)\n"
                 "y = vmap(lambda row: (row * w).sum())(arange(6.).reshape(3, 2)).sum()\n"
                 "y.backward(); w.grad")
    np.testing.assert_array_equal(got.data, np.arange(6.0).reshape(3, 2).sum(0))


@pytest.mark.parametrize("source", [
    "grad(3)", "jacrev(tensor(1.))(1)", "vmap(lambda t: t)(3)", "vmap(lambda t: t, in_dims='a')(ones(2))",
    "vmap(lambda t: t, in_dims=(0, 0))(ones(2))", "vmap(lambda t: 1.5)(ones(2))",
    "vmap(lambda t: t, out_dims=5)(ones(2))", "vjp(lambda t: t, ones(2))[1]()", "vjp(lambda t: 3, ones(2))",
    "jvp(lambda t: t, (ones(2),), ones(2))", "jacrev(lambda t: t)(ones(2), ones(2))",
    "torch.autograd.functional.jacobian(lambda t: t, 3)", "torch.autograd.functional.jacobian(lambda t: 3, ones(2))",
    "torch.autograd.functional.hvp(lambda t: t.sum(), ones(2), ones(3))", "grad(lambda t: t.sum(), argnums=())(ones(2))",
    "jacfwd(lambda t: t.sum(), argnums=(0, 3))(ones(2))",
])
def test_bad_input_is_a_clean_error(source):
    with pytest.raises(TcalcError) as caught:
        list(Session().run(source))
    assert caught.value.kind != "internal error", caught.value.message


def test_gradcheck_names_the_largest_difference():
    source = ("x = tensor([0.5, 1.5, -0.3], dtype=float64, requires_grad=True)\n"
              "x.register_hook(lambda g: g * 2);\n"
              "gradcheck(torch.sin, (x,))\n")
    with pytest.raises(TcalcError) as caught:
        list(Session().run(source))
    assert caught.value.message.startswith("Jacobian mismatch for output 0 with respect to input 0,")
    # The doubled gradient is off by cos(x) the most where |cos(x)| is largest: x = -0.3, element 2.
    assert "largest difference is 0.955" in caught.value.hint and "column 2" in caught.value.hint


def test_hooks_see_the_gradient_and_can_be_removed():
    session = Session()
    list(session.run("x = tensor([1., 2.], requires_grad=True)\nseen = []\n"
                     "handle = x.register_hook(lambda g: seen.append(g.sum()))\n"
                     "(x * x).sum().backward()\nhandle.remove()\n(x * 3).sum().backward()\n"))
    assert [float(t.data) for t in session.globals["seen"]] == [6.0]
    np.testing.assert_array_equal(session.globals["x"].grad.data, [5.0, 7.0])
