"""Every differentiable op's gradient against central finite differences, in float64."""
from __future__ import annotations

import numpy as np
import pytest

from tcalc import autograd, dtypes, ops
from tcalc.autograd import run_backward
from tcalc.differentiate import grad
from tcalc.tensor import Tensor


@pytest.fixture(autouse=True)
def every_tensor_kept_by_its_sizes(monkeypatch):
    """Graphs keep the tensors a backward reads only the shape of as stand-ins of NaN, at
    every size here (not only large ones): a backward that read one would fail these tests."""
    monkeypatch.setattr(autograd, "STAND_IN_SIZE", 0)


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
    return t.grad.data if t.grad is not None else np.zeros_like(x)  # None: f does not depend on x


def assert_second_derivatives(f, x: np.ndarray, rng=rng) -> None:
    """grad(grad(f)): the gradient of <grad f(x), w> against finite differences of grad f."""
    w = rng.normal(size=x.shape)

    def first(t):
        if not t.requires_grad:
            t = Tensor(t.data, requires_grad=True)
        return grad(ops.sum(f(t)), t, create_graph=True)

    np.testing.assert_allclose(analytic_gradient(first, x, w), numeric_gradient(first, x, w),
                               rtol=1e-4, atol=1e-5)


def positive(shape):
    return rng.uniform(0.5, 2.0, size=shape)


def anywhere(shape):
    return rng.uniform(-2.0, 2.0, size=shape)


UNARY = {
    "neg": (ops.neg, anywhere), "exp": (ops.exp, anywhere), "log": (ops.log, positive),
    "log2": (ops.log2, positive), "log10": (ops.log10, positive), "sqrt": (ops.sqrt, positive),
    "log1p": (ops.log1p, positive), "expm1": (ops.expm1, anywhere),
    "sinh": (ops.sinh, anywhere), "cosh": (ops.cosh, anywhere), "atan": (ops.atan, anywhere),
    "asinh": (ops.asinh, anywhere), "asin": (lambda x: ops.asin(x * 0.4), anywhere),
    "acos": (lambda x: ops.acos(x * 0.4), anywhere), "atanh": (lambda x: ops.atanh(x * 0.4), anywhere),
    "acosh": (lambda x: ops.acosh(x * x + 1.5), anywhere),
    "sin": (ops.sin, anywhere), "cos": (ops.cos, anywhere), "tan": (lambda x: ops.tan(x * 0.5), anywhere),
    "tanh": (ops.tanh, anywhere), "sigmoid": (ops.sigmoid, anywhere),
    "reciprocal": (ops.reciprocal, positive), "abs": (ops.abs, positive),
    "relu": (ops.relu, positive), "square": (lambda x: x ** 2, anywhere),
    "cube": (lambda x: ops.pow(x, 3), anywhere), "pow_half": (lambda x: x ** 0.5, positive),
    "scalar_pow": (lambda x: ops.pow(2.0, x), anywhere), "self_pow": (lambda x: x ** x, positive),
    "scale": (lambda x: 3 * x - 1, anywhere), "rdiv": (lambda x: 2 / x, positive),
    "rsub": (lambda x: ops.sub(1, x), anywhere), "div": (lambda x: x / 3, anywhere),
    "sum": (ops.sum, anywhere), "mean": (ops.mean, anywhere), "norm": (ops.norm, anywhere),
    "softmax": (lambda x: ops.softmax(x, -1), anywhere),
    "sort": (lambda x: ops.sort(x, 0, descending=True)[0], anywhere),
    "topk": (lambda x: ops.topk(x, 1, -1)[0], anywhere),
    "mT": (lambda x: ops.mT(ops.reshape(x, (1, -1))), anywhere),
    "log_softmax": (lambda x: ops.log_softmax(x, 0), anywhere),
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
    ("expm1", ops.expm1, lambda x: np.exp(x)),
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


# ---- the rest of the vocabulary (issue 3) ----------------------------------------------

def _flat(x):
    return ops.reshape(x, -1)


def _two_or_more(x):
    """x and x**2 side by side: at least two distinct values, whatever x's shape."""
    return ops.cat((_flat(x), _flat(x * x)))


def _matrix(x):
    return x if x.data.ndim == 2 else ops.reshape(x, 1, -1)


def _assign_slice(x):
    y = x * 2
    ops.setitem(y, (Ellipsis, slice(0, 1)), ops.getitem(x, (Ellipsis, slice(-1, None))) * 3) \
        if x.data.ndim else ops.setitem(y, (), x * 3)
    return y


def _assign_mask(x):
    y = x * 2
    mask = ops.gt(x, 0)
    ops.setitem(y, mask, ops.getitem(x * x, mask))
    return y


def _inplace_mul(x):
    y = x * 1
    ops.mul_(y, x)
    ops.add_(y, x, alpha=2)
    return y


MORE_UNARY = {
    "floor": (ops.floor, anywhere), "ceil": (ops.ceil, anywhere), "round": (ops.round, anywhere),
    "trunc": (ops.trunc, anywhere), "round_decimals": (lambda x: ops.round(x, decimals=1), anywhere),
    "sign": (ops.sign, anywhere), "abs_any": (ops.abs, anywhere),
    "clamp": (lambda x: ops.clamp(x, -1, 1), anywhere), "clamp_min": (lambda x: ops.clamp(x, min=0), anywhere),
    "clamp_max": (lambda x: ops.clamp(x, max=0.5), anywhere),
    "where": (lambda x: ops.where(ops.gt(x, 0), x * 2, x * x), anywhere),
    "where_scalar": (lambda x: ops.where(ops.gt(x, 0), x, 0.0), anywhere),
    "maximum_self": (lambda x: ops.maximum(x, x * x), anywhere),
    "minimum_self": (lambda x: ops.minimum(x, ops.sin(x)), anywhere),
    "prod": (ops.prod, anywhere), "prod_dim": (lambda x: ops.prod(x, -1), anywhere),
    "prod_dim_keepdim": (lambda x: ops.prod(x, 0, keepdim=True), anywhere),
    "max": (ops.max, anywhere), "min": (ops.min, anywhere),
    "max_dim": (lambda x: ops.max(x, -1)[0], anywhere),
    "min_dim_keepdim": (lambda x: ops.min(x, 0, keepdim=True).values, anywhere),
    "cumsum": (lambda x: ops.cumsum(x, -1), anywhere), "cumsum_0": (lambda x: ops.cumsum(x, 0), anywhere),
    "std": (lambda x: ops.std(_two_or_more(x)), anywhere),
    "var": (lambda x: ops.var(_two_or_more(x)), anywhere),
    "std_biased": (lambda x: ops.std(_two_or_more(x), unbiased=False), anywhere),
    "var_correction": (lambda x: ops.var(_two_or_more(x), correction=0), anywhere),
    "norm_1": (lambda x: ops.norm(x, 1), anywhere), "norm_3": (lambda x: ops.norm(x, 3), anywhere),
    "norm_inf": (lambda x: ops.norm(x, float("inf")), anywhere),
    "linalg_norm": (ops.linalg_norm, anywhere),
    "remainder": (lambda x: ops.remainder(x, 0.7), anywhere),
    "div_floor": (lambda x: ops.div(x, 0.7, rounding_mode="floor"), anywhere),
    "assign_slice": (_assign_slice, anywhere), "assign_mask": (_assign_mask, anywhere),
    "inplace": (_inplace_mul, anywhere),
    "squeeze": (ops.squeeze, anywhere), "transpose": (lambda x: ops.transpose(x, 0, -1) if x.data.ndim else x * 1, anywhere),
    "permute": (lambda x: ops.permute(x, *reversed(range(x.data.ndim))), anywhere),
    "t": (ops.t, anywhere), "clone": (ops.clone, anywhere), "to_copy": (lambda x: ops.to_dtype(x, dtypes.float64, copy=True), anywhere),
    "index_none_ellipsis": (lambda x: ops.getitem(x, (None, Ellipsis)), anywhere),
    "index_mask": (lambda x: ops.getitem(x, ops.gt(x, 0)), anywhere),
    "index_tensor": (lambda x: ops.getitem(_flat(x), Tensor(np.array([0, -1, 0]))), anywhere),
    "outer": (lambda x: ops.outer(_flat(x), _flat(x) * 2), anywhere),
    "trace": (lambda x: ops.trace(ops.reshape(x, 1, -1) if x.data.ndim < 2 else x), anywhere),
    "repeat": (lambda x: ops.repeat(x, 2, *([3] * x.data.ndim)), anywhere),
    "repeat_tuple": (lambda x: ops.repeat(x * x, (1,) * x.data.ndim + (2,)), anywhere),
    "logsumexp": (lambda x: ops.logsumexp(x, -1), anywhere),
    "logsumexp_keepdim": (lambda x: ops.logsumexp(x, list(range(max(x.data.ndim, 1))), keepdim=True), anywhere),
    "tril": (lambda x: ops.tril(_matrix(x)), anywhere), "triu": (lambda x: ops.triu(_matrix(x), 1), anywhere),
    "tril_below": (lambda x: ops.tril(_matrix(x), -1), anywhere),
    "diag_of_matrix": (lambda x: ops.diag(_matrix(x)), anywhere),
    "diag_above": (lambda x: ops.diag(_matrix(x), 1), anywhere),
    "diag_of_vector": (lambda x: ops.diag(_flat(x), -1), anywhere),
}


def _in_place(method, operands=lambda x: ()):
    """x -> (x * 1).method_(*operands(x)): the in-place form on a tensor autograd records."""
    return lambda x: method(x * 1, *operands(x))


INPLACE_MATH = {
    "tan_": (_in_place(ops.tan_), lambda s: rng.uniform(-1, 1, s)),
    "sinh_": (_in_place(ops.sinh_), anywhere), "cosh_": (_in_place(ops.cosh_), anywhere),
    "asin_": (_in_place(ops.asin_), lambda s: rng.uniform(-0.9, 0.9, s)),
    "acos_": (_in_place(ops.acos_), lambda s: rng.uniform(-0.9, 0.9, s)),
    "atan_": (_in_place(ops.atan_), anywhere), "log2_": (_in_place(ops.log2_), positive),
    "log10_": (_in_place(ops.log10_), positive), "log1p_": (_in_place(ops.log1p_), positive),
    "expm1_": (_in_place(ops.expm1_), anywhere), "erf_": (_in_place(ops.erf_), anywhere),
    "erfc_": (_in_place(ops.erfc_), anywhere),
    "erfinv_": (_in_place(ops.erfinv_), lambda s: rng.uniform(-0.9, 0.9, s)),
    "frac_": (_in_place(ops.frac_), anywhere), "deg2rad_": (_in_place(ops.deg2rad_), anywhere),
    "rad2deg_": (_in_place(ops.rad2deg_), anywhere),
    "atan2_": (_in_place(ops.atan2_, lambda x: (ops.exp(x),)), anywhere),
    "hypot_": (_in_place(ops.hypot_, lambda x: (x * x + 1,)), anywhere),
    "xlogy_": (_in_place(ops.xlogy_, lambda x: (x * x + 1,)), anywhere),
    "fmod_": (_in_place(ops.fmod_, lambda x: (0.7,)), anywhere), "remainder_": (_in_place(ops.remainder_, lambda x: (0.7,)), anywhere),
    "lerp_": (_in_place(ops.lerp_, lambda x: (ops.sin(x), 0.25)), anywhere),
    "lerp_tensor_weight": (_in_place(ops.lerp_, lambda x: (ops.sin(x), ops.sigmoid(x))), anywhere),
    "clamp_min_": (_in_place(ops.clamp_min_, lambda x: (0.3,)), anywhere),
    "clamp_max_tensor": (_in_place(ops.clamp_max_, lambda x: (ops.cos(x),)), anywhere),
    "cumsum_": (_in_place(ops.cumsum_, lambda x: (-1,)), anywhere), "cumprod_": (_in_place(ops.cumprod_, lambda x: (0,)), anywhere),
    "square_": (_in_place(ops.square_), anywhere),
    "tril_": (lambda x: ops.tril_(_matrix(x) * 1), anywhere),
    "triu_": (lambda x: ops.triu_(_matrix(x) * 1, 1), anywhere),
}

MORE_UNARY.update(INPLACE_MATH)

# torch.special (tcalc.ops.special_functions), each where it is smooth.
SPECIAL = {
    "logit": (ops.logit, lambda s: rng.uniform(0.05, 0.95, s)),
    "logit_eps": (lambda x: ops.logit(x, 0.2), lambda s: rng.uniform(0.3, 0.7, s)),
    "exp2": (ops.exp2, anywhere), "sinc": (ops.sinc, anywhere), "entr": (ops.entr, positive),
    "erfcx": (ops.erfcx, anywhere), "ndtr": (ops.ndtr, anywhere),
    "ndtri": (ops.ndtri, lambda s: rng.uniform(0.02, 0.98, s)),
    "log_ndtr": (ops.log_ndtr, lambda s: rng.uniform(-8, 3, s)),
    "xlog1py": (lambda x: ops.xlog1py(x, x * x), anywhere),
    "xlog1py_other": (lambda x: ops.xlog1py(2.0, x), positive),
    "i0": (ops.i0, anywhere), "i0e": (ops.i0e, anywhere), "i1": (ops.i1, anywhere), "i1e": (ops.i1e, anywhere),
    "i0e_large": (ops.i0e, lambda s: rng.uniform(20.5, 40, s)), "i1_large": (ops.i1, lambda s: rng.uniform(21, 30, s)),
    "gammaln": (ops.gammaln, positive), "gammaln_negative": (ops.gammaln, lambda s: rng.uniform(-0.9, -0.1, s)),
    "digamma": (ops.digamma, positive), "digamma_negative": (ops.digamma, lambda s: rng.uniform(-1.9, -1.1, s)),
    "polygamma_1": (lambda x: ops.polygamma(1, x), positive), "polygamma_3": (lambda x: ops.polygamma(3, x), positive),
    "multigammaln": (lambda x: ops.multigammaln(x + 2, 3), positive),
    "zeta_q": (lambda x: ops.zeta(2.5, x), positive),
}


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_gradients(name):
    """First and second derivatives against finite differences of the function and of its
    gradient."""
    f, sample = SPECIAL[name]
    x = sample((2, 3))
    weights = rng.normal(size=x.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=1e-5, atol=1e-6)
    assert_second_derivatives(f, x)

@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(MORE_UNARY))
def test_more_gradients(name, shape):
    f, sample = MORE_UNARY[name]
    x = sample(shape)
    weights = rng.normal(size=f(Tensor(x)).data.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=1e-5, atol=1e-6)


MORE_BINARY = {
    "maximum": ops.maximum, "minimum": ops.minimum, "remainder": ops.remainder,
    "where": lambda a, b: ops.where(ops.gt(a, b), a, b),
    "clamp_tensor_min": lambda a, b: ops.clamp(a, min=b),
    "clamp_tensor_max": lambda a, b: ops.clamp(a, max=b),
    "atan_like": lambda a, b: a * b / (a + b),
}


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (1, 4)), ((3, 4), (4,)), ((), (3, 4)),
                                    ((5,), ())], ids=str)
@pytest.mark.parametrize("name", sorted(MORE_BINARY))
def test_more_binary_gradients_unbroadcast(name, shapes):
    f = MORE_BINARY[name]
    a, b = positive(shapes[0]), positive(shapes[1])
    weights = rng.normal(size=np.broadcast_shapes(*shapes))
    np.testing.assert_allclose(analytic_gradient(lambda t: f(t, Tensor(b)), a, weights),
                               numeric_gradient(lambda t: f(t, Tensor(b)), a, weights), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(analytic_gradient(lambda t: f(Tensor(a), t), b, weights),
                               numeric_gradient(lambda t: f(Tensor(a), t), b, weights), rtol=1e-5, atol=1e-6)


def well_conditioned(shape):
    return rng.uniform(-1, 1, size=shape) + 3 * np.eye(shape[-1])


@pytest.mark.parametrize("name,f,shapes", [
    ("matmul_vec_batch", ops.matmul, ((4,), (2, 4, 3))),
    ("matmul_batch_vec", ops.matmul, ((2, 3, 4), (4,))),
    ("matmul_broadcast_batch", ops.matmul, ((2, 1, 3, 4), (3, 4, 2))),
    ("solve_vector", ops.solve, ((3, 3), (3,))),
    ("solve_matrix", ops.solve, ((3, 3), (3, 2))),
    ("solve_batched", ops.solve, ((2, 3, 3), (2, 3))),
])
def test_more_products(name, f, shapes):
    make_a = well_conditioned if name.startswith("solve") else anywhere
    a, b = make_a(shapes[0]), anywhere(shapes[1])
    weights = rng.normal(size=f(Tensor(a), Tensor(b)).data.shape)
    np.testing.assert_allclose(analytic_gradient(lambda t: f(t, Tensor(b)), a, weights),
                               numeric_gradient(lambda t: f(t, Tensor(b)), a, weights), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(analytic_gradient(lambda t: f(Tensor(a), t), b, weights),
                               numeric_gradient(lambda t: f(Tensor(a), t), b, weights), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,f", [("inv", ops.inv), ("det", ops.det), ("trace", ops.trace)])
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 3, 3)], ids=str)
def test_matrix_functions(name, f, shape):
    if name == "trace" and len(shape) > 2:
        pytest.skip("trace takes one matrix")
    x = well_conditioned(shape)
    weights = rng.normal(size=f(Tensor(x)).data.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), ((0, 1), False), (-1, False)])
@pytest.mark.parametrize("reduction", ["std", "var", "prod", "max", "min", "cumsum"])
def test_more_reductions_over_dims(reduction, dim, keepdim):
    if isinstance(dim, tuple) and reduction in ("prod", "max", "min", "cumsum"):
        pytest.skip("PyTorch's prod, max, min and cumsum take one dim")
    f = {"std": lambda t: ops.std(t, dim, keepdim=keepdim), "var": lambda t: ops.var(t, dim, keepdim=keepdim),
         "prod": lambda t: ops.prod(t, dim, keepdim), "max": lambda t: ops.max(t, dim, keepdim)[0],
         "min": lambda t: ops.min(t, dim, keepdim).values, "cumsum": lambda t: ops.cumsum(t, dim)}[reduction]
    x = anywhere((3, 4))
    weights = rng.normal(size=f(Tensor(x)).data.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=1e-5, atol=1e-6)


def test_prod_with_zeros():
    """One zero: only it gets the product of the others; two zeros: no gradient at all."""
    for values in ([2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [[1.0, 0.0], [2.0, 5.0]]):
        x = np.array(values)
        for f in (ops.prod, lambda t: ops.prod(t, -1)):
            weights = rng.normal(size=f(Tensor(x)).data.shape)
            np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                                       rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,f,sample", [
    ("prod", ops.prod, anywhere), ("std", lambda x: ops.std(_flat(x)), anywhere),
    ("var_dim", lambda x: ops.var(x, 0), anywhere), ("cumsum", lambda x: ops.cumsum(x, 1), anywhere),
    ("clamp", lambda x: ops.clamp(x * x, max=1.0), anywhere),
    ("maximum", lambda x: ops.maximum(x * x, ops.exp(x)), anywhere),
    ("where", lambda x: ops.where(ops.gt(x, 0), x ** 3, ops.sin(x)), anywhere),
    ("max_dim", lambda x: ops.max(x ** 3, 1)[0], anywhere),
    ("inv", ops.inv, lambda s: well_conditioned((3, 3))), ("det", ops.det, lambda s: well_conditioned((3, 3))),
    ("solve", lambda x: ops.solve(x, ops.sum(x, 0)), lambda s: well_conditioned((3, 3))),
    ("assign", lambda x: _assign_slice(x) ** 2, anywhere), ("inplace", _inplace_mul, anywhere),
    ("norm_inf", lambda x: ops.norm(x, float("inf")) ** 2, anywhere),
    ("logsumexp", lambda x: ops.logsumexp(x, 1) ** 2, anywhere),
    ("logsumexp_all", lambda x: ops.logsumexp(x * x, (0, 1)), anywhere),
    ("repeat", lambda x: ops.repeat(x ** 3, 2, 1, 3), anywhere),
    ("tril_triu", lambda x: ops.tril(x ** 3) + ops.triu(ops.sin(x), 1), anywhere),
    ("diag", lambda x: ops.diag(ops.diag(x ** 3), 1) * ops.exp(ops.reshape(ops.cat((_flat(x), ops.getitem(_flat(x), slice(0, 7)))), 4, 4)), anywhere),
])
def test_second_derivatives(name, f, sample):
    """grad(grad(f)): the gradient of <grad f(x), w> against finite differences of grad f."""
    x = sample((3, 3))
    assert_second_derivatives(f, x)


# ---- matrix norms (torch.linalg.matrix_norm, linalg.norm, torch.norm) -------------------

MATRIX_ORDS = ["fro", "nuc", 1, -1, 2, -2, float("inf"), -float("inf")]


@pytest.mark.parametrize("dim,keepdim", [((-2, -1), False), ((1, 2), True), ((2, 0), False), ((0, 2), True)],
                         ids=str)
@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norm_gradients(ord, dim, keepdim):
    """Random matrices have distinct singular values and no tied row or column sums, where
    every one of these norms is differentiable."""
    f = lambda t: ops.matrix_norm(t, ord, dim, keepdim)  # noqa: E731
    x = anywhere((2, 3, 4))
    weights = rng.normal(size=f(Tensor(x)).data.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,f", [
    ("linalg_norm_nuc", lambda t: ops.linalg_norm(t, "nuc")),
    ("linalg_norm_2", lambda t: ops.linalg_norm(t, 2)),
    ("linalg_norm_inf_dims", lambda t: ops.linalg_norm(t, float("inf"), dim=(1, 0))),
    ("torch_norm_nuc", lambda t: ops.norm(t, "nuc")),
    ("amax_dim", lambda t: ops.amax(t, 1)), ("amin_all", ops.amin),
    ("amax_keepdim", lambda t: ops.amax(t, (0, 1), keepdim=True)),
])
def test_matrix_norm_forms_and_amax(name, f):
    x = anywhere((3, 4))
    weights = rng.normal(size=f(Tensor(x)).data.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=1e-5, atol=1e-6)


def test_amax_shares_the_gradient_between_ties():
    x = Tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    run_backward([ops.amax(x, 0)], [Tensor(np.array(1.0))], retain_graph=False, create_graph=False)
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 0.5])


@pytest.mark.parametrize("ord,name", [("fro", "LinalgVectorNormBackward0"), ("nuc", "SumBackward1"),
                                      (2, "AmaxBackward0"), (-2, "AminBackward0"), (1, "AmaxBackward0"),
                                      (-float("inf"), "AminBackward0")])
def test_matrix_norm_grad_fn_names(ord, name):
    x = Tensor(anywhere((3, 3)), requires_grad=True)
    assert ops.matrix_norm(x, ord).grad_fn.name == name
    if ord in ("nuc", 2, -2):  # keepdim puts the dims back with a permute, as PyTorch does
        assert ops.matrix_norm(x, ord, keepdim=True).grad_fn.name == "PermuteBackward0"


# ---- shape and selection (issue 11, tcalc.ops.selection) -------------------------------

def _pieces_weighted(pieces):
    """Pieces of one tensor joined again, each scaled differently, so that each piece's
    gradient is checked on its own."""
    return ops.cat(tuple(_flat(p) * (k + 1) for k, p in enumerate(pieces)))


def _index_along_last(x, values):
    return Tensor(np.array(values, dtype=np.int64) % max(x.data.shape[-1] if x.data.ndim else 1, 1))


def _gather_index(x):
    m = _matrix(x)
    rows, cols = m.data.shape
    return Tensor(np.array([[(r + k) % cols for k in range(3)] for r in range(rows)], dtype=np.int64))


def _alternating_mask(x):
    """A mask of shape (2, *x.shape): x broadcasts to it, so the gradient sums back."""
    return Tensor(np.arange(2 * x.data.size).reshape((2,) + x.data.shape) % 2 == 0)


SELECTION = {
    "flip": (lambda x: ops.flip(x, tuple(range(x.data.ndim))), anywhere),
    "flip_last": (lambda x: ops.flip(_matrix(x), 1), anywhere),
    "fliplr": (lambda x: ops.fliplr(_matrix(x)), anywhere), "flipud": (lambda x: ops.flipud(_flat(x)), anywhere),
    "roll": (lambda x: ops.roll(x, 2), anywhere), "roll_dims": (lambda x: ops.roll(_matrix(x), (1, -1), (0, 1)), anywhere),
    "split": (lambda x: _pieces_weighted(ops.split(_flat(x), 2)), anywhere),
    "split_sizes": (lambda x: _pieces_weighted(ops.split(_matrix(x), [1, _matrix(x).data.shape[1] - 1], 1)), anywhere),
    "chunk": (lambda x: _pieces_weighted(ops.chunk(_flat(x), 3)), anywhere),
    "tensor_split": (lambda x: _pieces_weighted(ops.tensor_split(_flat(x), 3)), anywhere),
    "tensor_split_indices": (lambda x: _pieces_weighted(ops.tensor_split(_flat(x), [1, 3])), anywhere),
    "unbind": (lambda x: _pieces_weighted(ops.unbind(_matrix(x), 1)), anywhere),
    "movedim": (lambda x: ops.movedim(ops.unsqueeze(x, 0), 0, -1) * 2, anywhere),
    "swapaxes": (lambda x: ops.swapaxes(_matrix(x), 0, 1) * ops.swapaxes(_matrix(x), 1, 0), anywhere),
    "tile": (lambda x: ops.tile(x, (2, 3)), anywhere),
    "repeat_interleave": (lambda x: ops.repeat_interleave(x, 3), anywhere),
    "repeat_interleave_dim": (lambda x: ops.repeat_interleave(_matrix(x), 2, dim=1), anywhere),
    "repeat_interleave_tensor": (lambda x: ops.repeat_interleave(
        _flat(x), Tensor(np.arange(_flat(x).data.size, dtype=np.int64) % 3)), anywhere),
    "meshgrid": (lambda x: ops.meshgrid(_flat(x), _flat(x) * 2, indexing="xy")[0] *
                 ops.meshgrid(_flat(x), _flat(x) * 2, indexing="ij")[1], anywhere),
    "view_as": (lambda x: ops.view_as(x, Tensor(np.zeros(x.data.size))) * 3, anywhere),
    "reshape_as": (lambda x: ops.reshape_as(ops.T(x), Tensor(np.zeros(x.data.size))), anywhere),
    "expand_as": (lambda x: ops.expand_as(x, Tensor(np.zeros((2,) + x.data.shape))), anywhere),
    "gather": (lambda x: ops.gather(_matrix(x), 1, _gather_index(x)), anywhere),
    "gather_repeated": (lambda x: ops.gather(_flat(x), 0, Tensor(np.zeros(4, dtype=np.int64))), anywhere),
    "scatter_value": (lambda x: ops.scatter(_matrix(x), 1, ops.getitem(_gather_index(x), (slice(None), slice(0, 1))),
                                            0.5), anywhere),
    "scatter_add_self": (lambda x: ops.scatter_add(_matrix(x), 1, _gather_index(x),
                                                   Tensor(np.ones(_gather_index(x).data.shape))), anywhere),
    "index_select": (lambda x: ops.index_select(_matrix(x), 1, _index_along_last(_matrix(x), [0, 2, 0])), anywhere),
    "index_add_self": (lambda x: ops.index_add(_matrix(x), 1, _index_along_last(_matrix(x), [1, 1]),
                                               Tensor(np.ones((_matrix(x).data.shape[0], 2))), alpha=2), anywhere),
    "take": (lambda x: ops.take(x, Tensor(np.array([0, -1, 0], dtype=np.int64))), anywhere),
    "masked_fill": (lambda x: ops.masked_fill(x, ops.gt(x, 0), 0.5), anywhere),
    "masked_fill_broadcast": (lambda x: ops.masked_fill(x, _alternating_mask(x), 2.0), anywhere),
    "masked_select": (lambda x: ops.masked_select(x, ops.gt(x, 0)), anywhere),
    "masked_select_broadcast": (lambda x: ops.masked_select(x, _alternating_mask(x)), anywhere),
    "masked_fill_": (lambda x: ops.masked_fill_(x * 1, ops.gt(x, 0), 0.5), anywhere),
    "index_add_": (lambda x: ops.index_add_(_flat(x) * 1, 0, Tensor(np.array([0, 0])),
                                            ops.expand(ops.getitem(_flat(x), slice(0, 1)), 2) * 3), anywhere),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(SELECTION))
def test_selection_gradients(name, shape):
    f, sample = SELECTION[name]
    x = sample(shape)
    weights = rng.normal(size=f(Tensor(x)).data.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=1e-5, atol=1e-6)


SOURCE_INDEX = Tensor(np.array([[0, 2], [3, 3], [1, 0]], dtype=np.int64))  # repeats add in scatter_add
DISTINCT_INDEX = Tensor(np.array([[0, 2], [3, 1], [1, 0]], dtype=np.int64))  # scatter's writes must not clash
SQUARE_INDEX = Tensor(np.array([[0, 2], [2, 1], [1, 0]], dtype=np.int64))  # within 3 columns


def _two_columns(t):
    return ops.getitem(t, (slice(None), slice(0, 2)))


@pytest.mark.parametrize("name,f,source_shape", [
    ("scatter_src", lambda t, s: ops.scatter(t, 1, DISTINCT_INDEX, s), (3, 3)),
    ("scatter_add_src", lambda t, s: ops.scatter_add(t, 1, SOURCE_INDEX, s), (3, 2)),
    ("index_add_source", lambda t, s: ops.index_add(t, 0, Tensor(np.array([2, 0, 2])), s, alpha=-2), (3, 4)),
    ("masked_fill_value", lambda t, s: ops.masked_fill(t, ops.gt(t, 0), s), ()),
    ("scatter__src", lambda t, s: ops.scatter_(t * 1, 0, SQUARE_INDEX, s), (3, 3)),
    ("scatter_add__src", lambda t, s: ops.scatter_add_(t * 1, 1, SOURCE_INDEX, s), (3, 2)),
])
def test_selection_gradients_of_both_operands(name, f, source_shape):
    _check_both_operands(f, anywhere((3, 4)), anywhere(source_shape))


REDUCTIONS = [(reduce, include_self) for reduce in ("sum", "prod", "mean", "amax", "amin") for include_self in (True, False)]


@pytest.mark.parametrize("reduce,include_self", REDUCTIONS)
def test_scatter_reduce_gradients(reduce, include_self):
    """scatter_reduce, index_reduce and scatter_reduce_: amax/amin's values have no ties here;
    prod's factors include zeros, once and twice at a place (prod is linear in each factor, so
    the central differences are exact there)."""
    a, b = anywhere((3, 4)), anywhere((3, 2))
    if reduce == "prod":
        a[1, 3], a[2, 0], b[1, 0], b[1, 1], b[0, 0] = 0.0, 0.0, 0.0, 0.0, 0.0
    _check_both_operands(lambda t, s: ops.scatter_reduce(t, 1, SOURCE_INDEX, s, reduce, include_self=include_self),
                         a, b)
    _check_both_operands(lambda t, s: ops.scatter_reduce_(t * 1, 1, SOURCE_INDEX, s, reduce,
                                                          include_self=include_self), a, b)
    if reduce != "sum":
        _check_both_operands(lambda t, s: ops.index_reduce(t, 0, Tensor(np.array([2, 0, 2])), s, reduce,
                                                           include_self=include_self), a, anywhere((3, 4)))


def _check_both_operands(f, a, b):
    """scatter(x, ..., src) and the like: the gradients with respect to x and to src (only the
    part of src that index reaches gets one)."""
    weights = rng.normal(size=f(Tensor(a), Tensor(b)).data.shape)
    np.testing.assert_allclose(analytic_gradient(lambda t: f(t, Tensor(b)), a, weights),
                               numeric_gradient(lambda t: f(t, Tensor(b)), a, weights), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(analytic_gradient(lambda t: f(Tensor(a), t), b, weights),
                               numeric_gradient(lambda t: f(Tensor(a), t), b, weights), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,f", [
    ("flip_roll", lambda x: ops.roll(ops.flip(x ** 3, (0,)), 1, 1)),
    ("split", lambda x: _pieces_weighted(ops.split(x ** 3, [1, 2], 1))),
    ("unbind", lambda x: _pieces_weighted(ops.unbind(ops.sin(x)))),
    ("gather", lambda x: ops.gather(x ** 3, 1, SQUARE_INDEX)),
    ("scatter", lambda x: ops.scatter(x ** 2, 1, SQUARE_INDEX, ops.sin(x)) ** 2),
    ("scatter_add", lambda x: ops.scatter_add(x ** 2, 0, SQUARE_INDEX, ops.sin(x)) ** 2),
    ("index_select", lambda x: ops.index_select(x ** 3, 0, Tensor(np.array([2, 2, 0])))),
    ("index_add", lambda x: ops.index_add(x ** 2, 1, Tensor(np.array([0, 0, 2])), ops.exp(x)) ** 2),
    # scatter_reduce's src has index's shape (PyTorch's gradient for it has)
    ("scatter_reduce_sum", lambda x: ops.scatter_reduce(x ** 2, 0, SQUARE_INDEX, _two_columns(ops.sin(x)), "sum") ** 2),
    ("scatter_reduce_prod", lambda x: ops.scatter_reduce(x ** 2, 1, SQUARE_INDEX, _two_columns(ops.sin(x)) + 2, "prod")),
    ("scatter_reduce_mean", lambda x: ops.scatter_reduce(x, 1, SQUARE_INDEX, _two_columns(ops.sin(x)), "mean",
                                                         include_self=False) ** 2),
    ("scatter_reduce_amax", lambda x: ops.scatter_reduce(x ** 2, 0, SQUARE_INDEX, _two_columns(x ** 3), "amax")),
    ("index_reduce_prod", lambda x: ops.index_reduce(x, 1, Tensor(np.array([0, 0, 2])), ops.exp(x), "prod")),
    ("take", lambda x: ops.take(x ** 3, Tensor(np.array([[0, 8], [8, 4]])))),
    ("masked_fill", lambda x: ops.masked_fill(x ** 3, ops.gt(x, 0), ops.sum(x * x))),
    ("masked_select", lambda x: ops.masked_select(x ** 3, ops.gt(x, 0))),
    ("repeat_interleave", lambda x: ops.repeat_interleave(x ** 3, Tensor(np.array([1, 0, 2])), dim=0)),
    ("tile_meshgrid", lambda x: ops.tile(x ** 3, (2,)) + ops.sum(ops.meshgrid(ops.sin(ops.getitem(x, 0)), ops.getitem(x, 1), indexing="ij")[0])),
])
def test_selection_second_derivatives(name, f):
    x = anywhere((3, 3))
    assert_second_derivatives(f, x)


# ---- convolutions and pooling (tcalc.ops.convolution) --------------------------------------

CONVOLUTIONS = {  # name: (function, input shape, weight shape, keywords)
    "conv2d": (ops.conv2d, (2, 2, 5, 5), (3, 2, 3, 3), {}),
    "conv2d_stride_padding": (ops.conv2d, (1, 2, 6, 5), (2, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2))),
    "conv2d_dilation": (ops.conv2d, (1, 1, 6, 6), (2, 1, 2, 3), dict(dilation=2, padding=1)),
    "conv2d_groups": (ops.conv2d, (2, 4, 4, 4), (6, 2, 2, 2), dict(groups=2, stride=2)),
    "conv2d_same": (ops.conv2d, (1, 2, 4, 5), (2, 2, 2, 3), dict(padding="same")),
    "conv2d_unbatched": (ops.conv2d, (2, 4, 4), (3, 2, 3, 3), dict(padding=1)),
    "conv1d": (ops.conv1d, (2, 3, 7), (2, 3, 3), dict(stride=2, padding=1)),
    "conv1d_groups_dilation": (ops.conv1d, (1, 4, 8), (4, 1, 3), dict(groups=4, dilation=2)),
    "conv1d_unbatched": (ops.conv1d, (3, 6), (2, 3, 2), dict(padding="same")),
    # transposed: the weight is [in, out / groups, ...]; an output_padding of at least the
    # stride (below the dilation) leaves places of the result that no window reaches
    "conv_transpose2d": (ops.conv_transpose2d, (2, 3, 3, 4), (3, 2, 2, 3), {}),
    "conv_transpose2d_stride_padding": (ops.conv_transpose2d, (1, 2, 3, 3), (2, 2, 3, 2),
                                        dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2))),
    "conv_transpose2d_groups_dilation": (ops.conv_transpose2d, (1, 4, 3, 3), (4, 1, 2, 2),
                                         dict(groups=2, dilation=2, output_padding=1)),
    "conv_transpose2d_unbatched": (ops.conv_transpose2d, (2, 3, 3), (2, 3, 2, 2), dict(stride=2, padding=1)),
    "conv_transpose1d": (ops.conv_transpose1d, (2, 3, 5), (3, 2, 3), dict(stride=2, padding=1, output_padding=1)),
    "conv_transpose1d_groups": (ops.conv_transpose1d, (1, 4, 4), (4, 1, 2), dict(groups=4, dilation=3, output_padding=2)),
}


@pytest.mark.parametrize("name", sorted(CONVOLUTIONS))
def test_convolution_gradients(name):
    """The gradients for the input, the weight and the bias."""
    f, input_shape, weight_shape, keywords = CONVOLUTIONS[name]
    channels = weight_shape[1] * keywords.get("groups", 1) if "transpose" in name else weight_shape[0]
    x, w, b = anywhere(input_shape), anywhere(weight_shape), anywhere((channels,))
    weights = rng.normal(size=f(Tensor(x), Tensor(w), Tensor(b), **keywords).data.shape)
    for position in range(3):
        def with_variable(t, position=position):
            operands = [Tensor(x), Tensor(w), Tensor(b)]
            operands[position] = t
            return f(*operands, **keywords)

        point = (x, w, b)[position]
        np.testing.assert_allclose(analytic_gradient(with_variable, point, weights),
                                   numeric_gradient(with_variable, point, weights), rtol=1e-5, atol=1e-6)


POOLS = {  # name: (function of the input, input shape)
    "max_pool2d": (lambda t: ops.max_pool2d(t, 2), (2, 2, 4, 5)),
    "max_pool2d_padding_ceil": (lambda t: ops.max_pool2d(t, 3, 2, 1, ceil_mode=True), (1, 2, 6, 5)),
    "max_pool2d_dilation": (lambda t: ops.max_pool2d(t, 2, 1, 1, 2), (1, 1, 5, 5)),
    "max_pool2d_unbatched": (lambda t: ops.max_pool2d(t, (2, 3), (1, 2)), (2, 4, 5)),
    "max_pool1d": (lambda t: ops.max_pool1d(t, 3, 2, 1), (2, 2, 7)),
    "avg_pool2d": (lambda t: ops.avg_pool2d(t, 2), (2, 2, 4, 5)),
    "avg_pool2d_padding_ceil": (lambda t: ops.avg_pool2d(t, 3, 2, 1, ceil_mode=True), (1, 2, 6, 5)),
    "avg_pool2d_exclude_pad": (lambda t: ops.avg_pool2d(t, 3, 2, 1, True, count_include_pad=False), (1, 1, 5, 6)),
    "avg_pool2d_divisor": (lambda t: ops.avg_pool2d(t, 2, 1, divisor_override=3), (3, 4, 4)),
    "avg_pool1d": (lambda t: ops.avg_pool1d(t, 3, 2, 1, ceil_mode=True), (2, 7)),
}


@pytest.mark.parametrize("name", sorted(POOLS))
def test_pooling_gradients(name):
    f, input_shape = POOLS[name]
    x = anywhere(input_shape)
    weights = rng.normal(size=f(Tensor(x)).data.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=1e-5, atol=1e-6)


FIXED_WEIGHT = anywhere((2, 2, 2, 3))
FIXED_INPUT = anywhere((2, 2, 4, 5))


@pytest.mark.parametrize("name,f,shape", [
    ("conv2d_input", lambda x: ops.conv2d(ops.sin(x), Tensor(FIXED_WEIGHT), stride=(1, 2), padding=1) ** 2,
     (2, 2, 4, 5)),
    ("conv2d_weight", lambda w: ops.conv2d(Tensor(FIXED_INPUT), w, dilation=(2, 1), groups=1) ** 2, (2, 2, 2, 3)),
    ("conv2d_both", lambda x: ops.conv2d(x, ops.reshape(ops.getitem(ops.reshape(x, -1), slice(0, 12)), 1, 2, 2, 3),
                                         padding="same") ** 2, (1, 2, 3, 4)),
    ("conv1d_groups", lambda x: ops.conv1d(x ** 2, ops.reshape(ops.getitem(ops.reshape(x, -1), slice(0, 6)), 2, 1, 3),
                                           groups=2), (1, 2, 6)),
    ("conv_transpose2d_input", lambda x: ops.conv_transpose2d(ops.sin(x), Tensor(FIXED_WEIGHT), stride=(1, 2),
                                                             output_padding=(0, 1)) ** 2, (2, 2, 4, 5)),
    ("conv_transpose2d_both", lambda x: ops.conv_transpose2d(
        x, ops.reshape(ops.getitem(ops.reshape(x, -1), slice(0, 12)), 2, 1, 2, 3), groups=2, dilation=2,
        output_padding=1) ** 2, (1, 2, 3, 4)),
    ("conv_transpose1d_both", lambda x: ops.conv_transpose1d(
        x ** 2, ops.reshape(ops.getitem(ops.reshape(x, -1), slice(0, 12)), 2, 2, 3), stride=2, padding=1), (1, 2, 6)),
    ("max_pool2d", lambda x: ops.max_pool2d(x ** 3, 2, 1, 1), (1, 2, 3, 4)),
    ("avg_pool2d", lambda x: ops.avg_pool2d(x ** 3, 3, 2, 1, True, False), (1, 2, 5, 4)),
])
def test_convolution_second_derivatives(name, f, shape):
    """The gradients are written with unfold, fold (each the other's gradient), einsum and
    scatter_add, so they have gradients in turn, as PyTorch's do."""
    x = anywhere(shape)
    assert_second_derivatives(f, x)


def test_convolution_grad_fn_names():
    x, w = Tensor(anywhere((1, 2, 4, 4)), requires_grad=True), Tensor(anywhere((2, 2, 3, 3)))
    assert ops.conv2d(x, w).grad_fn.name == "ConvolutionBackward0"
    assert ops.conv1d(ops.getitem(x, (slice(None), slice(None), 0)), ops.getitem(w, (Ellipsis, 0))).grad_fn.name \
        == "ConvolutionBackward0"
    assert ops.conv2d(ops.getitem(x, 0), w).grad_fn.name == "SqueezeBackward1"
    assert ops.conv_transpose2d(x, w).grad_fn.name == "ConvolutionBackward0"
    assert ops.conv_transpose2d(ops.getitem(x, 0), w).grad_fn.name == "SqueezeBackward1"
    assert ops.max_pool2d(x, 2).grad_fn.name == "MaxPool2DWithIndicesBackward0"
    assert ops.max_pool2d(ops.getitem(x, 0), 2).grad_fn.name == "MaxPool2DWithIndicesBackward0"
    assert ops.avg_pool2d(x, 2).grad_fn.name == "AvgPool2DBackward0"
    assert ops.max_pool1d(ops.getitem(x, 0), 2).grad_fn.name == "SqueezeBackward1"
    assert ops.avg_pool1d(ops.getitem(x, 0), 2).grad_fn.name == "SqueezeBackward1"


# ---- more math (issue 11): special functions, scans, statistics --------------------------

def _with_nans(x):
    """x's elements and a NaN (nansum and friends pass over it)."""
    return ops.cat((_flat(x), Tensor(np.array([float("nan")]))))


def _last_dim(x):
    return -1 if x.data.ndim else 0


MATH_UNARY = {
    "erf": (ops.erf, anywhere), "erfc": (ops.erfc, anywhere),
    "erfinv": (lambda x: ops.erfinv(x * 0.45), anywhere), "erfinv_tail": (lambda x: ops.erfinv(0.99 - x * 0.001), anywhere),
    "frac": (ops.frac, anywhere), "deg2rad": (ops.deg2rad, anywhere), "rad2deg": (ops.rad2deg, anywhere),
    "cumprod": (lambda x: ops.cumprod(x, _last_dim(x)), anywhere), "cumprod_0": (lambda x: ops.cumprod(x, 0), anywhere),
    "cummax": (lambda x: ops.cummax(x, _last_dim(x)).values, anywhere),
    "cummin_0": (lambda x: ops.cummin(x, 0)[0], anywhere),
    "diff": (lambda x: ops.diff(_two_or_more(x)), anywhere),
    "diff_2": (lambda x: ops.diff(_two_or_more(x), 2, prepend=ops.reshape(x, -1)), anywhere),
    "nansum": (lambda x: ops.nansum(_with_nans(x)), anywhere), "nanmean": (lambda x: ops.nanmean(_with_nans(x)), anywhere),
    "nansum_dim": (lambda x: ops.nansum(x, -1 if x.data.ndim else None), anywhere),
    "var_mean": (lambda x: ops.var_mean(_two_or_more(x))[0] + ops.var_mean(_two_or_more(x))[1] * 3, anywhere),
    "std_mean": (lambda x: ops.std_mean(_two_or_more(x), correction=0)[0] * ops.std_mean(_two_or_more(x))[1], anywhere),
    "aminmax": (lambda x: ops.aminmax(x).min * 2 + ops.aminmax(x).max, anywhere),
    "aminmax_dim": (lambda x: ops.aminmax(x, dim=0, keepdim=True).max, anywhere),
    "median": (ops.median, anywhere), "median_dim": (lambda x: ops.median(x, _last_dim(x)).values, anywhere),
    "nanmedian": (lambda x: ops.nanmedian(_with_nans(x)), anywhere),
    "nanmedian_dim": (lambda x: ops.nanmedian(x, 0, keepdim=True).values, anywhere),
    "mode": (lambda x: ops.mode(x).values, anywhere), "kthvalue": (lambda x: ops.kthvalue(_two_or_more(x), 2).values, anywhere),
    "quantile": (lambda x: ops.quantile(x, 0.3), anywhere),
    "quantile_levels": (lambda x: ops.quantile(x, Tensor(np.array([0.1, 0.5, 0.8])), 0, keepdim=True), anywhere),
    "quantile_midpoint": (lambda x: ops.quantile(x, 0.4, interpolation="midpoint"), anywhere),
    "nanquantile": (lambda x: ops.nanquantile(_with_nans(x), 0.7), anywhere),
    "clamp_min": (lambda x: ops.clamp_min(x, 0.1), anywhere), "clamp_max": (lambda x: ops.clamp_max(x, 0.1), anywhere),
    "lerp_number": (lambda x: ops.lerp(x, ops.sin(x), 0.3), anywhere),
    "xlogy_number": (lambda x: ops.xlogy(x, 2.5), anywhere), "xlogy_number_self": (lambda x: ops.xlogy(2.0, x), positive),
    "fmod_number": (lambda x: ops.fmod(x, 0.7), anywhere),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(MATH_UNARY))
def test_more_math_gradients(name, shape):
    f, sample = MATH_UNARY[name]
    x = sample(shape)
    weights = rng.normal(size=f(Tensor(x)).data.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=1e-5, atol=1e-6)


MATH_BINARY = {
    "atan2": ops.atan2, "hypot": ops.hypot, "logaddexp": ops.logaddexp, "logaddexp2": ops.logaddexp2,
    "xlogy": ops.xlogy, "fmod": ops.fmod, "lerp_end": lambda a, b: ops.lerp(a, b, 0.7),
    "lerp_weight": lambda a, b: ops.lerp(a * 2, ops.exp(a), b), "clamp_min": ops.clamp_min, "clamp_max": ops.clamp_max,
}


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (1, 4)), ((3, 4), (4,)), ((), (3, 4)),
                                    ((5,), ())], ids=str)
@pytest.mark.parametrize("name", sorted(MATH_BINARY))
def test_more_math_binary_gradients_unbroadcast(name, shapes):
    f = MATH_BINARY[name]
    if name == "lerp_weight" and shapes[0] != np.broadcast_shapes(*shapes):
        pytest.skip("lerp's start and weight here are both made from a: the result has a's shape")
    a, b = positive(shapes[0]), positive(shapes[1])
    weights = rng.normal(size=np.broadcast_shapes(*shapes))
    np.testing.assert_allclose(analytic_gradient(lambda t: f(t, Tensor(b)), a, weights),
                               numeric_gradient(lambda t: f(t, Tensor(b)), a, weights), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(analytic_gradient(lambda t: f(Tensor(a), t), b, weights),
                               numeric_gradient(lambda t: f(Tensor(a), t), b, weights), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 1.5], [0.0, 0.0, 3.0], [[1.0, 0.0], [2.0, 5.0]], [[0.5, 2.0, 0.0]]])
@pytest.mark.parametrize("dim", [0, -1])
def test_cumprod_with_zeros(values, dim):
    """With zeros in the running product the gradient is formed from the products themselves."""
    x = np.array(values)
    f = lambda t: ops.cumprod(t, dim)  # noqa: E731
    weights = rng.normal(size=x.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=1e-5, atol=1e-6)


def test_median_shares_the_gradient_between_ties_and_median_dim_picks_one():
    x = Tensor(np.array([1.0, 2.0, 2.0, 5.0]), requires_grad=True)
    run_backward([ops.median(x)], [Tensor(np.array(1.0))], retain_graph=False, create_graph=False)
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 0.5, 0.0])
    y = Tensor(np.array([1.0, 2.0, 2.0, 5.0]), requires_grad=True)
    run_backward([ops.median(y, 0).values], [Tensor(np.array(1.0))], retain_graph=False, create_graph=False)
    np.testing.assert_array_equal(y.grad.data, [0.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("name,f,sample", [
    ("erf", lambda x: ops.erf(x * x), anywhere), ("erfc", ops.erfc, anywhere),
    ("erfinv", lambda x: ops.erfinv(x * 0.4), anywhere),
    ("atan2", lambda x: ops.atan2(x, ops.exp(x)), anywhere), ("hypot", lambda x: ops.hypot(x, x * x + 1), anywhere),
    ("logaddexp", lambda x: ops.logaddexp(x, x * x), anywhere), ("logaddexp2", lambda x: ops.logaddexp2(x, ops.sin(x)), anywhere),
    ("xlogy", lambda x: ops.xlogy(x, x * x + 1), anywhere), ("lerp", lambda x: ops.lerp(x, x * x, ops.sin(x)), anywhere),
    ("fmod", lambda x: ops.fmod(x ** 3, x * x + 1), anywhere),
    ("cumprod", lambda x: ops.cumprod(x, 1), anywhere),
    ("cumprod_zero", lambda x: ops.cumprod(ops.where(ops.eq(ops.reshape(ops.arange(9.0), 3, 3), 4), 0.0, x), 0), anywhere),
    ("cummax", lambda x: ops.cummax(x ** 3, 0).values, anywhere), ("diff", lambda x: ops.diff(x ** 3, 2, 0), anywhere),
    ("nansum", lambda x: ops.nansum(x ** 3, 1), anywhere), ("nanmean", lambda x: ops.nanmean(x ** 3, 0), anywhere),
    ("var_mean", lambda x: ops.var_mean(x, 1)[0] * ops.var_mean(x, 1)[1], anywhere),
    ("std_mean", lambda x: ops.std_mean(x, 0)[0] + ops.std_mean(x ** 3, 0)[1], anywhere),
    ("aminmax", lambda x: ops.aminmax(x ** 3, dim=1).max, anywhere),
    ("median", lambda x: ops.median(x ** 3), anywhere), ("median_dim", lambda x: ops.median(x ** 3, 1).values, anywhere),
    ("kthvalue", lambda x: ops.kthvalue(x ** 3, 2, 0).values, anywhere), ("mode", lambda x: ops.mode(x ** 3, 0).values, anywhere),
    ("quantile", lambda x: ops.quantile(x ** 3, Tensor(np.array([0.2, 0.9])), 1), anywhere),
    ("clamp_min", lambda x: ops.clamp_min(x ** 3, 0.2), anywhere), ("clamp_max_tensor", lambda x: ops.clamp_max(x ** 3, x * x), anywhere),
])
def test_more_math_second_derivatives(name, f, sample):
    x = sample((3, 3))
    assert_second_derivatives(f, x)


@pytest.mark.parametrize("f,name", [
    (ops.erf, "ErfBackward0"), (ops.erfc, "ErfcBackward0"), (ops.erfinv, "ErfinvBackward0"),
    (lambda x: ops.atan2(x, x), "Atan2Backward0"), (lambda x: ops.cumprod(x, 0), "CumprodBackward0"),
    (lambda x: ops.cummax(x, 0).values, "CummaxBackward0"), (lambda x: ops.cummin(x, 0).values, "CumminBackward0"),
    (ops.diff, "SubBackward0"), (ops.nansum, "NansumBackward0"), (ops.nanmean, "DivBackward0"),
    (lambda x: ops.var_mean(x)[1], "VarMeanBackward0"), (lambda x: ops.std_mean(x)[0], "StdMeanBackward0"),
    (lambda x: ops.aminmax(x).min, "AminmaxBackward0"), (ops.median, "MedianBackward0"),
    (lambda x: ops.median(x, 0).values, "MedianBackward1"), (ops.nanmedian, "NanmedianBackward0"),
    (lambda x: ops.mode(x).values, "ModeBackward0"), (lambda x: ops.kthvalue(x, 1).values, "KthvalueBackward0"),
    (lambda x: ops.quantile(x, 0.5), "SqueezeBackward4"), (lambda x: ops.lerp(x, x, x), "LerpBackward1"),
    (lambda x: ops.clamp_min(x, 0), "ClampMinBackward0"), (lambda x: ops.clamp_max(x, x), "ClampMaxBackward1"),
    (lambda x: ops.xlogy(2.0, x), "XlogyBackward1"), (lambda x: ops.fmod(x, x), "FmodBackward1"),
])
def test_more_math_grad_fn_names(f, name):
    assert f(Tensor(positive((4,)), requires_grad=True)).grad_fn.name == name


# ---- torch.nn.functional's activations and losses (issue 11) ----------------------------

def _nn_functional_cases():
    from tcalc import nn_functional as F
    from tcalc.ops import losses

    target = Tensor(rng.uniform(0.05, 0.95, (3, 4)))
    probabilities = Tensor(rng.dirichlet(np.ones(4), 3))
    classes = Tensor(np.array([1, 3, 0]))
    ignored = Tensor(np.array([1, -100, 2]))
    weight = Tensor(np.array([0.5, 2.0, 1.0, 1.5]))
    other = Tensor(rng.uniform(-2, 2, (3, 4)))
    inside = lambda x: ops.sigmoid(x)  # noqa: E731  (probabilities for binary_cross_entropy)
    return {
        "relu6": lambda x: F.FUNCTIONS["relu6"](x * 4),
        "elu": lambda x: F.FUNCTIONS["elu"](x, alpha=0.7),
        "elu_inplace": lambda x: F.FUNCTIONS["elu"](x * 1, alpha=0.7, inplace=True),
        "gelu": F.FUNCTIONS["gelu"],
        "gelu_tanh": lambda x: F.FUNCTIONS["gelu"](x, approximate="tanh"),
        "hardtanh": lambda x: F.FUNCTIONS["hardtanh"](x, -0.5, 1.2),
        "smooth_l1_loss": lambda x: F.FUNCTIONS["smooth_l1_loss"](x, other, beta=0.8),
        "smooth_l1_loss_none": lambda x: F.FUNCTIONS["smooth_l1_loss"](other, x, reduction="none"),
        "huber_loss": lambda x: F.FUNCTIONS["huber_loss"](x, other, delta=0.6),
        "huber_loss_sum": lambda x: F.FUNCTIONS["huber_loss"](other, x, reduction="sum"),
        "binary_cross_entropy": lambda x: F.FUNCTIONS["binary_cross_entropy"](inside(x), target),
        "binary_cross_entropy_weight": lambda x: F.FUNCTIONS["binary_cross_entropy"](
            inside(x), target, weight=weight, reduction="none"),
        "binary_cross_entropy_target": lambda x: F.FUNCTIONS["binary_cross_entropy"](target, inside(x)),
        "kl_div": lambda x: F.FUNCTIONS["kl_div"](x, probabilities, reduction="batchmean"),
        "kl_div_target": lambda x: F.FUNCTIONS["kl_div"](other, inside(x), reduction="none"),
        "kl_div_log_target": lambda x: F.FUNCTIONS["kl_div"](other, x, reduction="sum", log_target=True),
        "cosine_similarity": lambda x: F.FUNCTIONS["cosine_similarity"](x, other),
        "cosine_similarity_dim0": lambda x: F.FUNCTIONS["cosine_similarity"](other, x, dim=0),
        "pairwise_distance": lambda x: F.FUNCTIONS["pairwise_distance"](x, other),
        "pairwise_distance_p3": lambda x: F.FUNCTIONS["pairwise_distance"](other, x, p=3, keepdim=True),
        "pad": lambda x: F.FUNCTIONS["pad"](x, (1, 2, -1, 1), value=0.5),
        # the other modes: each output place reads one input place, repeated places add up
        # (the squared ones are checked to second order too)
        "pad_reflect": lambda x: F.FUNCTIONS["pad"](x, (3, 2), mode="reflect"),
        "pad_reflect_2d": lambda x: F.FUNCTIONS["pad"](ops.reshape(x, 1, 3, 4), (1, -2, 2, 1), mode="reflect") ** 2,
        "pad_reflect_3d": lambda x: F.FUNCTIONS["pad"](ops.reshape(x, 1, 1, 1, 3, 4), (2, 1, 0, 2, 0, 0), "reflect"),
        "pad_replicate": lambda x: F.FUNCTIONS["pad"](x, (5, -1), mode="replicate"),
        "pad_replicate_2d": lambda x: F.FUNCTIONS["pad"](ops.reshape(x, 1, 3, 4), (2, 0, 1, 3), mode="replicate"),
        "pad_replicate_3d": lambda x: F.FUNCTIONS["pad"](ops.reshape(x, 1, 1, 3, 4), (1, 1, 2, 0, 1, 1), "replicate") ** 2,
        "pad_circular": lambda x: F.FUNCTIONS["pad"](x, (3, -1), mode="circular"),
        "pad_circular_2d": lambda x: F.FUNCTIONS["pad"](ops.reshape(x, 1, 3, 4), (3, 2, -1, 2), mode="circular") ** 2,
        "cross_entropy_smoothing": lambda x: F.cross_entropy(x, ignored, weight=weight, label_smoothing=0.3),
        "cross_entropy_smoothing_none": lambda x: F.cross_entropy(x, classes, label_smoothing=0.2, reduction="none"),
        "cross_entropy_probabilities": lambda x: F.cross_entropy(x, probabilities, label_smoothing=0.1),
        "cross_entropy_probabilities_target": lambda x: F.cross_entropy(other, ops.softmax(x, 1), weight=weight),
        "cross_entropy_weight": lambda x: F.cross_entropy(x, ignored, weight=weight),
        "nll_loss_weight_none": lambda x: losses.nll_loss(x, ignored, weight=weight, reduction="none"),
    }


NN_FUNCTIONAL = _nn_functional_cases()


@pytest.mark.parametrize("name", sorted(NN_FUNCTIONAL))
def test_nn_functional_gradient(name):
    f = NN_FUNCTIONAL[name]
    x = rng.uniform(-2, 2, (3, 4))
    weights = rng.uniform(-1, 1, f(Tensor(x)).data.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights), atol=1e-6)


@pytest.mark.parametrize("name", ["elu", "gelu", "gelu_tanh", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                                  "kl_div_target", "cosine_similarity", "pairwise_distance",
                                  "cross_entropy_smoothing", "cross_entropy_probabilities", "pad_reflect_2d",
                                  "pad_replicate_3d", "pad_circular_2d"])
def test_nn_functional_second_derivative(name):
    """The gradient is itself differentiable: d/dx of <grad f(x), v> by finite differences."""
    f = NN_FUNCTIONAL[name]
    x = rng.uniform(-2, 2, (3, 4))
    weights = Tensor(rng.uniform(-1, 1, f(Tensor(x)).data.shape))
    v = rng.uniform(-1, 1, x.shape)

    def first(t):
        return ops.sum(grad(ops.sum(f(t) * weights), t, create_graph=True) * Tensor(v))

    def first_value(t):
        t = Tensor(t.data.copy(), requires_grad=True)
        return Tensor(np.asarray(first(t).data))

    t = Tensor(x.copy(), requires_grad=True)
    analytic = grad(first(t), t).data
    np.testing.assert_allclose(analytic, numeric_gradient(first_value, x, np.ones(())), atol=1e-5)

