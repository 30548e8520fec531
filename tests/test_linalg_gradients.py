"""einsum, the fused products and torch.linalg's factorizations: gradients against central
finite differences in float64 (as tests/test_gradcheck.py), to second order where PyTorch
has one. Functions of eigenvectors and singular vectors are taken gauge-invariant (abs()
of them, U S Vh), and symmetric inputs are made from any matrix, as PyTorch's own checks do."""
from __future__ import annotations

import numpy as np
import pytest
from test_gradcheck import analytic_gradient, assert_second_derivatives, numeric_gradient

from tcalc import ops
from tcalc.errors import DTypeError
from tcalc.tensor import Tensor

rng = np.random.default_rng(7)


def check(f, x: np.ndarray, rtol=1e-5, atol=1e-6) -> None:
    weights = rng.normal(size=f(Tensor(x)).data.shape)
    np.testing.assert_allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights),
                               rtol=rtol, atol=atol)


def check_second(f, x: np.ndarray) -> None:
    """grad(grad(f)) against finite differences of the first gradient."""
    assert_second_derivatives(f, x, rng)


def anywhere(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def symmetric(t):
    return (t + ops.mT(t)) / 2


def positive_definite(t):
    return ops.matmul(t, ops.mT(t)) + 3 * Tensor(np.eye(t.data.shape[-1]))


# ---- einsum: each operand's gradient, for the equations' kinds -----------------------------

EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij->ji", [(2, 3)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
    ("ij->", [(2, 3)]), ("i,j->ij", [(2,), (3,)]), ("ij,ij->i", [(2, 3), (2, 3)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("...ij,...jk", [(2, 2, 3), (3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]), ("iij->ij", [(2, 2, 3)]), ("ij,j->j", [(2, 3), (3,)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]), ("i,i,i->", [(3,), (3,), (3,)]), ("ijk,jk->i", [(2, 3, 2), (3, 2)]),
]


@pytest.mark.parametrize("equation,shapes", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_gradients(equation, shapes):
    values = [anywhere(*s) for s in shapes]
    for k in range(len(values)):
        def f(t, k=k):
            operands = [t if j == k else Tensor(v) for j, v in enumerate(values)]
            return ops.einsum(equation, *operands)
        check(f, values[k])


@pytest.mark.parametrize("equation,shapes", [("ij,jk->ik", [(3, 3), (3, 3)]), ("ii->i", [(3, 3)]),
                                             ("ij,ij->", [(3, 3), (3, 3)])])
def test_einsum_second_derivatives(equation, shapes):
    def f(t):
        return ops.einsum(equation, *([t * t] + [ops.sin(t)] * (len(shapes) - 1)))
    check_second(f, anywhere(3, 3))


# ---- the products -----------------------------------------------------------------------------

PRODUCTS = {
    "bmm": (lambda a, b, c: ops.bmm(a, b), [(2, 3, 4), (2, 4, 2), (1,)]),
    "baddbmm": (lambda a, b, c: ops.baddbmm(c, a, b, beta=0.5, alpha=2), [(2, 3, 4), (2, 4, 2), (3, 2)]),
    "addbmm": (lambda a, b, c: ops.addbmm(c, a, b, beta=2, alpha=0.5), [(2, 3, 4), (2, 4, 2), (3, 2)]),
    "addmm": (lambda a, b, c: ops.addmm(c, a, b, beta=3, alpha=-1), [(3, 4), (4, 2), (2,)]),
    "addmv": (lambda a, b, c: ops.addmv(c, a, b, alpha=2), [(3, 4), (4,), (3,)]),
    "addr": (lambda a, b, c: ops.addr(c, a, b, beta=0.5), [(3,), (4,), (3, 4)]),
    "kron": (lambda a, b, c: ops.kron(a, b), [(2, 3), (3, 2), (1,)]),
    "kron_dims": (lambda a, b, c: ops.kron(a, b), [(3,), (2, 2), (1,)]),
    "cross": (lambda a, b, c: ops.linalg_cross(a, b), [(2, 3), (1, 3), (1,)]),
    "cross_dim": (lambda a, b, c: ops.cross(a, b, dim=0), [(3, 2), (3, 2), (1,)]),
    "inner": (lambda a, b, c: ops.inner(a, b), [(2, 3), (4, 3), (1,)]),
    "vecdot": (lambda a, b, c: ops.vecdot(a, b), [(2, 3), (3,), (1,)]),
    "multi_dot": (lambda a, b, c: ops.multi_dot([a, b, c]), [(2, 3), (3, 4), (4, 2)]),
    "multi_dot_vectors": (lambda a, b, c: ops.multi_dot([a, b, c]), [(3,), (3, 4), (4,)]),
}


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_product_gradients(name):
    f, shapes = PRODUCTS[name]
    values = [anywhere(*s) for s in shapes]
    for k in range(3):
        def g(t, k=k):
            args = [t if j == k else Tensor(v) for j, v in enumerate(values)]
            return f(*args)
        check(g, values[k])


@pytest.mark.parametrize("name", ["bmm", "addmm", "kron", "cross"])
def test_product_second_derivatives(name):
    f, shapes = PRODUCTS[name]
    square = {"bmm": lambda t: ops.bmm(ops.unsqueeze(t * t, 0), ops.unsqueeze(ops.sin(t), 0)),
              "addmm": lambda t: ops.addmm(t, t * t, ops.exp(t), beta=2),
              "kron": lambda t: ops.kron(t * t, ops.sin(t)),
              "cross": lambda t: ops.linalg_cross(t * t, ops.sin(t))}[name]
    check_second(square, anywhere(3, 3))


# ---- the factorizations and what is built on them --------------------------------------------

W3 = rng.normal(size=3)
W32 = rng.normal(size=(3, 2))
W33 = rng.normal(size=(3, 3))

FACTORIZATIONS = {
    "eigvalsh": (lambda t: ops.eigvalsh(symmetric(t)), (3, 3)),
    "eigh_values_batched": (lambda t: ops.eigh(symmetric(t)).eigenvalues, (2, 3, 3)),
    "eigh_vectors": (lambda t: ops.abs(ops.eigh(symmetric(t)).eigenvectors) * Tensor(W33), (3, 3)),
    "eigh_upper": (lambda t: ops.abs(ops.eigh(symmetric(t), UPLO="U").eigenvectors) + ops.eigvalsh(symmetric(t)), (3, 3)),
    "svd_reconstruct": (lambda t: _reconstruct(ops.svd(t, full_matrices=False)), (3, 2)),
    "svd_values": (lambda t: ops.svd(t).S, (2, 3)),
    "svd_u": (lambda t: ops.abs(ops.svd(t, full_matrices=False).U) * Tensor(W32), (3, 2)),
    "svd_vh": (lambda t: ops.abs(ops.svd(t, full_matrices=False).Vh), (2, 3)),
    "svd_full_u": (lambda t: ops.getitem(ops.abs(ops.svd(t).U), (Ellipsis, slice(0, 2))), (3, 2)),
    "torch_svd_v": (lambda t: ops.abs(ops.torch_svd(t).V), (3, 2)),
    "svdvals": (ops.svdvals, (3, 4)),
    "qr_q": (lambda t: ops.qr(t).Q, (3, 2)),
    "qr_r": (lambda t: ops.qr(t).R, (3, 2)),
    "qr_square": (lambda t: ops.qr(t).Q + ops.qr(t).R, (3, 3)),
    "cholesky": (lambda t: ops.cholesky(positive_definite(t)), (3, 3)),
    "cholesky_upper": (lambda t: ops.cholesky(positive_definite(t), upper=True), (3, 3)),
    "torch_cholesky": (lambda t: ops.torch_cholesky(positive_definite(t)), (2, 3, 3)),
    "lu_l": (lambda t: ops.lu(t + 3 * Tensor(np.eye(3))).L, (3, 3)),
    "lu_u": (lambda t: ops.lu(t + 3 * Tensor(np.eye(3))).U, (3, 3)),
    "lu_factor": (lambda t: ops.lu_factor(t).LU, (3, 3)),
    "slogdet": (lambda t: ops.slogdet(t).logabsdet, (3, 3)),
    "pinv_tall": (ops.pinv, (3, 2)),
    "pinv_wide": (ops.pinv, (2, 3)),
    "pinv_square": (ops.pinv, (3, 3)),
    "lstsq_a": (lambda t: ops.lstsq(t, Tensor(W32)).solution, (3, 2)),
    "matrix_exp": (lambda t: ops.matrix_exp(t / 2), (3, 3)),
    "matrix_power": (lambda t: ops.matrix_power(t, 3), (3, 3)),
    "matrix_power_negative": (lambda t: ops.matrix_power(t + 3 * Tensor(np.eye(3)), -2), (3, 3)),
    "solve_triangular_upper": (lambda t: ops.solve_triangular(t + 3 * Tensor(np.eye(3)), Tensor(W32), upper=True), (3, 3)),
    "solve_triangular_lower_right": (lambda t: ops.solve_triangular(t + 3 * Tensor(np.eye(3)), Tensor(W32.T),
                                                                    upper=False, left=False), (3, 3)),
    "solve_triangular_unit": (lambda t: ops.solve_triangular(t, Tensor(W32), upper=False, unitriangular=True), (3, 3)),
    "solve_triangular_b": (lambda t: ops.solve_triangular(Tensor(np.triu(W33) + 3 * np.eye(3)), t, upper=True), (3, 2)),
    "cond": (ops.cond, (3, 3)),
    "cond_fro": (lambda t: ops.cond(t + 3 * Tensor(np.eye(3)), "fro"), (3, 3)),
    # the *_ex variants, torch.lu, lu_unpack and lu_solve
    "cholesky_ex": (lambda t: ops.cholesky_ex(positive_definite(t)).L, (3, 3)),
    "cholesky_ex_upper": (lambda t: ops.cholesky_ex(positive_definite(t), upper=True).L, (2, 3, 3)),
    "inv_ex": (lambda t: ops.inv_ex(t + 3 * Tensor(np.eye(3))).inverse, (3, 3)),
    "solve_ex_a": (lambda t: ops.solve_ex(t + 3 * Tensor(np.eye(3)), Tensor(W32)).result, (3, 3)),
    "solve_ex_b": (lambda t: ops.solve_ex(Tensor(W33 + 3 * np.eye(3)), t).result, (3, 2)),
    "lu_factor_ex": (lambda t: ops.lu_factor_ex(t).LU, (3, 3)),
    "solve_right_a": (lambda t: ops.solve(t + 3 * Tensor(np.eye(3)), Tensor(W32.T), left=False), (3, 3)),
    "solve_right_b": (lambda t: ops.solve(Tensor(W33 + 3 * np.eye(3)), t, left=False), (2, 3)),
    "solve_ex_right": (lambda t: ops.solve_ex(t + 3 * Tensor(np.eye(3)), Tensor(W32.T), left=False).result, (3, 3)),
    "torch_lu": (lambda t: ops.torch_lu(t)[0], (3, 3)),
    "lu_unpack": (lambda t: _unpacked(ops.lu_unpack(*ops.lu_factor(t))), (3, 3)),
    "lu_unpack_tall": (lambda t: _unpacked(ops.lu_unpack(t, ops.lu_factor_ex(Tensor(W32)).pivots)), (3, 2)),
    "lu_unpack_wide": (lambda t: _unpacked(ops.lu_unpack(t, ops.lu_factor_ex(Tensor(W32.T)).pivots)), (2, 3)),
    "lu_solve_a": (lambda t: _lu_solved(t + 3 * Tensor(np.eye(3)), Tensor(W32)), (3, 3)),
    "lu_solve_b": (lambda t: _lu_solved(Tensor(W33 + 3 * np.eye(3)), t), (3, 2)),
    "lu_solve_adjoint": (lambda t: _lu_solved(t + 3 * Tensor(np.eye(3)), Tensor(W32), adjoint=True), (3, 3)),
    "lu_solve_right": (lambda t: _lu_solved(t + 3 * Tensor(np.eye(3)), Tensor(W32.T), left=False), (3, 3)),
    "lu_solve_right_adjoint": (lambda t: _lu_solved(t + 3 * Tensor(np.eye(3)), Tensor(W32.T), left=False,
                                                    adjoint=True), (3, 3)),
    "torch_lu_solve_b": (lambda t: ops.torch_lu_solve(t, *ops.lu_factor(Tensor(W33 + 3 * np.eye(3)))), (3, 2)),
}


def _unpacked(plu):
    """L and U of lu_unpack, weighted so that each entry counts."""
    _, lower, upper = plu
    return ops.sum(lower * ops.exp(lower)) + ops.sum(upper * ops.sin(upper))


def _lu_solved(a, b, **options):
    return ops.linalg_lu_solve(*ops.lu_factor(a), b, **options)


def _reconstruct(usv):
    u, s, vh = usv
    return ops.matmul(u * ops.unsqueeze(s, -2), vh)


@pytest.mark.parametrize("name", sorted(FACTORIZATIONS))
def test_factorization_gradients(name):
    f, shape = FACTORIZATIONS[name]
    check(f, anywhere(*shape))


def test_lstsq_gradient_for_b():
    a = anywhere(3, 2)
    check(lambda t: ops.lstsq(Tensor(a), t).solution, anywhere(3, 2))
    check(lambda t: ops.lstsq(Tensor(a), t).solution, anywhere(3))


@pytest.mark.parametrize("name", ["eigvalsh", "eigh_vectors", "svd_values", "svd_u", "qr_q", "cholesky",
                                  "lu_u", "pinv_tall", "matrix_exp", "solve_triangular_upper", "slogdet",
                                  "svdvals", "cholesky_ex", "inv_ex", "solve_ex_a", "lu_solve_a",
                                  "lu_solve_adjoint", "lu_solve_right", "solve_right_a"])
def test_factorization_second_derivatives(name):
    f, shape = FACTORIZATIONS[name]
    if shape != (3, 3):
        check_second(lambda t: f(ops.getitem(t, (slice(None),) + tuple(slice(0, n) for n in shape[1:]))
                                 if shape[0] == 3 else ops.mT(ops.getitem(t, (slice(None), slice(0, 2))))),
                     anywhere(3, 3))
    else:
        check_second(f, anywhere(3, 3))


def test_eig_is_refused_without_complex_dtypes():
    with pytest.raises(DTypeError, match="tcalc has no complex dtypes"):
        ops.eig(Tensor(np.eye(2)))
