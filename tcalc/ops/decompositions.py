"""torch.linalg's factorizations (eigh, svd, qr, cholesky, lu, lu_factor) and what is built
on them (slogdet, pinv, lstsq, matrix_rank, matrix_power, matrix_exp, cond,
solve_triangular), with PyTorch's named results and refusals.

A factorization has several differentiable outputs; tcalc's nodes have one. So each
output gets its own node, all named as PyTorch names the one node (LinalgEighBackward0),
and each node's backward is the part of PyTorch's formula that its output's gradient
feeds; the engine adds them up. The nodes keep the sibling outputs (params["outputs"]),
and the formulas are written with tcalc's ops on them, so they differentiate again.
"""
from __future__ import annotations

import numpy as np

from ..autograd import OUT, Op, apply, keep
from ..errors import DTypeError, ShapeError, TcalcTypeError, TcalcValueError
from ..limits import check_shape
from ..tensor import Tensor
from ..values import ReturnTypes, type_name
from ._base import as_tensor, broadcast_shape, result_type
from .convert import to_dtype
from .creation import zeros_like
from .elementwise import lt, where
from .indexing import getitem
from .joining import cat
from .linalg import (
    HALF_REFUSALS,
    INV,
    SOLVE,
    _floating,
    _inv_forward,
    _singular_pivot,
    _solve_forward,
    _square_float,
    inv,
    matmul,
    refuse_half,
    solve,
    solve_operands,
    svdvals,
    transpose_last,
)
from .losses import constant_pad_nd
from .norms import matrix_norm
from .shape import squeeze, tril, triu, unsqueeze


def _matrices(x, name: str, square: bool = True) -> Tensor:
    """linalg's checks in PyTorch's order: at least 2 dims, square, floating point."""
    x = as_tensor(x)
    if square:
        _square_float(x, name)
        return x
    if x.data.ndim < 2:
        raise ShapeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    _floating(x, name)
    return x


def _not_implemented_for_ints(x: Tensor, kernel: str) -> None:
    if not x.dtype.is_floating_point or x.dtype.name == "float16":
        raise DTypeError(f"\"{kernel}\" not implemented for '{x.dtype.torch_name}'",
                         hint="convert first, e.g. A.double()")


def _picked(a, value):
    return value


def _outputs(ops: tuple, x: Tensor, values: tuple) -> list:
    """One node per output (see the module's docstring); each keeps the others."""
    outs = [apply(op, (x,), (x.data,), value=np.array(value, order="C")) if op is not None else Tensor(value)
            for op, value in zip(ops, values)]
    siblings = tuple(outs)
    for out in outs:
        if out.grad_fn is not None:
            out.grad_fn.params["outputs"] = siblings
    return outs


def _diag_embed(v: Tensor) -> Tensor:
    n = v.data.shape[-1]
    return unsqueeze(v, -1) * Tensor(np.eye(n, dtype=v.data.dtype))


def _mul_rows(v: Tensor, m: Tensor) -> Tensor:
    """diag(v) @ m."""
    return unsqueeze(v, -1) * m


def _mul_cols(m: Tensor, v: Tensor) -> Tensor:
    """m @ diag(v)."""
    return m * unsqueeze(v, -2)


def _off_diagonal_inverse(d: Tensor) -> Tensor:
    """1 / d off the diagonal, 0 on it (the eigenvalue-gap matrices of eigh and svd)."""
    n = d.data.shape[-1]
    on_diagonal = Tensor(np.eye(n, dtype=bool))
    return where(on_diagonal, Tensor(np.zeros((), d.data.dtype)), 1 / where(on_diagonal, 1.0, d))


# ---- eigh and eigvalsh ----------------------------------------------------------------------

def _eigh_values_backward(n, g):
    v = n.params["outputs"][1]
    return (matmul(_mul_cols(v, g), transpose_last(v)),)


def _eigh_vectors_backward(n, g):
    """V [F o (V^T gV)] V^T with F = 1 / (L_j - L_i), made symmetric as PyTorch's is."""
    values, v = n.params["outputs"]
    gap = _off_diagonal_inverse(unsqueeze(values, -2) - unsqueeze(values, -1))
    inner = gap * matmul(transpose_last(v), g)
    grad = matmul(matmul(v, inner), transpose_last(v))
    return (0.5 * (grad + transpose_last(grad)),)


EIGH_VALUES = Op("LinalgEighBackward0", _picked, _eigh_values_backward)
EIGH_VECTORS = Op("LinalgEighBackward0", _picked, _eigh_vectors_backward)


def _uplo(UPLO) -> str:
    if UPLO not in ("L", "U"):
        raise TcalcValueError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO


def _eigh_arrays(x: Tensor, UPLO: str):
    _not_implemented_for_ints(x, "linalg_eigh_cpu")
    values, vectors = np.linalg.eigh(x.data, UPLO=_uplo(UPLO))
    return values.astype(x.data.dtype), vectors.astype(x.data.dtype)


def eigh(A, UPLO="L") -> ReturnTypes:
    """The eigenvalues (ascending) and eigenvectors of symmetric matrices, read from one
    triangle, as LAPACK's syevd returns them (signs included)."""
    x = as_tensor(A)
    if x.data.ndim < 2:
        raise ShapeError("linalg.eigh: The input tensor A must have at least 2 dimensions.")
    _square_float_after_ints(x, "eigh", "linalg_eigh_cpu")
    values, vectors = _outputs((EIGH_VALUES, EIGH_VECTORS), x, _eigh_arrays(x, UPLO))
    return ReturnTypes("linalg_eigh", {"eigenvalues": values, "eigenvectors": vectors})


def _square_float_after_ints(x: Tensor, name: str, kernel: str) -> None:
    rows, cols = x.data.shape[-2:]
    if rows != cols:
        raise ShapeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                         f"{rows} by {cols} matrices")
    _not_implemented_for_ints(x, kernel)


def eigvalsh(A, UPLO="L") -> Tensor:
    return eigh(A, UPLO).eigenvalues


def _refuse_eig(A, name: str):
    """Refused after PyTorch's checks: the eigenvalues of a general real matrix are
    complex, and tcalc has no complex dtypes."""
    _matrices(A, name)
    raise DTypeError(f"linalg.{name}: tcalc has no complex dtypes, and linalg.eig and linalg.eigvals "
                     "return complex eigenvalues and eigenvectors",
                     hint="for a symmetric matrix use torch.linalg.eigh or eigvalsh (real results); "
                          "singular values: torch.linalg.svdvals")


def eig(A):
    _refuse_eig(A, "eig")


def eigvals(A):
    _refuse_eig(A, "eigvals")


# ---- svd ------------------------------------------------------------------------------------

def _svd_values_backward(n, g):
    u, _, vh = n.params["outputs"]
    k = g.data.shape[-1]
    return (matmul(_mul_cols(_first_columns(u, k), g), _first_rows(vh, k)),)


def _first_columns(x: Tensor, k: int) -> Tensor:
    return x if x.data.shape[-1] == k else getitem(x, (Ellipsis, slice(0, k)))


def _first_rows(x: Tensor, k: int) -> Tensor:
    return x if x.data.shape[-2] == k else getitem(x, (Ellipsis, slice(0, k), slice(None)))


def _svd_gap(s: Tensor) -> Tensor:
    squares = s * s
    return _off_diagonal_inverse(unsqueeze(squares, -2) - unsqueeze(squares, -1))  # 1 / (s_j^2 - s_i^2)


def _svd_u_backward(n, g):
    """U [F o (U^T gU - gU^T U)] S V^T + (I - U U^T) gU S^-1 V^T (Townsend's formula)."""
    u, s, vh = n.params["outputs"]
    k = s.data.shape[-1]
    u, vh, g = _first_columns(u, k), _first_rows(vh, k), _first_columns(g, k)
    ut_g = matmul(transpose_last(u), g)
    inner = _mul_cols(_svd_gap(s) * (ut_g - transpose_last(ut_g)), s)
    outside = _mul_cols(g - matmul(u, ut_g), 1 / s)
    return (matmul(matmul(u, inner), vh) + matmul(outside, vh),)


def _svd_vh_backward(n, g):
    """U S [F o (V^T gV - gV^T V)] V^T + U S^-1 gV^T (I - V V^T), with gV = gVh^T."""
    u, s, vh = n.params["outputs"]
    k = s.data.shape[-1]
    u, vh, g = _first_columns(u, k), _first_rows(vh, k), _first_rows(g, k)
    vt_gv = matmul(vh, transpose_last(g))
    inner = _mul_rows(s, _svd_gap(s) * (vt_gv - transpose_last(vt_gv)))
    outside = _mul_rows(1 / s, g - matmul(transpose_last(vt_gv), vh))
    return (matmul(matmul(u, inner), vh) + matmul(u, outside),)


SVD_U = Op("LinalgSvdBackward0", _picked, _svd_u_backward)
SVD_S = Op("LinalgSvdBackward0", _picked, _svd_values_backward)
SVD_VH = Op("LinalgSvdBackward0", _picked, _svd_vh_backward)


def _square_factor_fits(x: Tensor) -> None:
    """The full U (or Q) of a tall matrix is rows x rows: refused before it is made."""
    rows = x.data.shape[-2]
    check_shape(x.data.shape[:-2] + (rows, rows), "the full factor")


def _svd_arrays(x: Tensor, full_matrices: bool):
    if full_matrices:
        _square_factor_fits(x)
    try:
        u, s, vh = np.linalg.svd(x.data, full_matrices=bool(full_matrices))
    except np.linalg.LinAlgError:
        raise TcalcValueError("linalg.svd: The algorithm failed to converge because the input matrix "
                              "contained non-finite values.", hint="check the matrix for nan and inf") from None
    return tuple(y.astype(x.data.dtype) for y in (u, s, vh))


def svd(A, full_matrices=True) -> ReturnTypes:
    """U, S, Vh with A = U diag(S) Vh, as LAPACK's gesdd returns them."""
    x = _matrices(A, "svd", square=False)
    u, s, vh = _outputs((SVD_U, SVD_S, SVD_VH), x, _svd_arrays(x, full_matrices))
    return ReturnTypes("linalg_svd", {"U": u, "S": s, "Vh": vh})


def torch_svd(input, some=True, compute_uv=True) -> ReturnTypes:
    """torch.svd, the older spelling: V itself (not Vh), reduced unless some=False."""
    x = as_tensor(input)
    if x.data.ndim < 2:
        raise ShapeError(f"linalg.svd: input should have at least 2 dimensions, but has {x.data.ndim} "
                         "dimensions instead")
    if not compute_uv:  # U and V as zeros, of the full shapes
        rows, cols = x.data.shape[-2:]
        batch = x.data.shape[:-2]
        u, v = (Tensor(np.zeros(batch + (n, n), x.data.dtype)) for n in (rows, cols))
        return ReturnTypes("svd", {"U": u, "S": svdvals(x), "V": v})
    result = svd(x, full_matrices=not some)
    return ReturnTypes("svd", {"U": result.U, "S": result.S, "V": transpose_last(result.Vh)})


# ---- qr -------------------------------------------------------------------------------------

def _copy_lower_to_upper(m: Tensor) -> Tensor:
    below = tril(m, -1)
    return below + transpose_last(below) + m * Tensor(np.eye(m.data.shape[-1], dtype=m.data.dtype))


def _qr_check_backward(n) -> None:
    mode, (rows, cols) = n.params["mode"], n.inputs[0].data.shape[-2:]
    if mode == "r":
        raise TcalcValueError("The derivative of linalg.qr depends on Q, which is not computed when "
                              "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                              "differentiate through linalg.qr.")
    if mode == "complete" and rows > cols:
        raise TcalcValueError("The QR decomposition is not differentiable when mode='complete' and "
                              "nrows > ncols.")
    if rows < cols:
        raise TcalcValueError("tcalc differentiates linalg.qr only for matrices with at least as many rows "
                              "as columns", hint="transpose first: the QR of A.mT")


def _qr_backward(n, g, which: int):
    """gA = [gQ + Q copyltu(M)] R^-T with M = R gR^T - gQ^T Q (A with rows >= cols)."""
    _qr_check_backward(n)
    q, r = n.params["outputs"]
    if which == 0:
        m = -matmul(transpose_last(g), q)
        left = g + matmul(q, _copy_lower_to_upper(m))
    else:
        left = matmul(q, _copy_lower_to_upper(matmul(r, transpose_last(g))))
    return (solve_triangular(transpose_last(r), left, upper=False, left=False),)  # left R^-T


QR_Q = Op("LinalgQrBackward0", _picked, lambda n, g: _qr_backward(n, g, 0))
QR_R = Op("LinalgQrBackward0", _picked, lambda n, g: _qr_backward(n, g, 1))


def qr(A, mode="reduced") -> ReturnTypes:
    x = _matrices(A, "qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise TcalcValueError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                              "(default), 'r', or 'complete'")
    if mode == "complete":
        _square_factor_fits(x)
    if mode == "r":
        r = np.linalg.qr(x.data, mode="r")
        q = np.zeros((0,), dtype=x.data.dtype)
    else:
        q, r = np.linalg.qr(x.data, mode=mode)
    outs = _outputs((QR_Q, QR_R), x, (q.astype(x.data.dtype), r.astype(x.data.dtype)))
    for out in outs:
        if out.grad_fn is not None:
            out.grad_fn.params["mode"] = mode
    return ReturnTypes("linalg_qr", {"Q": outs[0], "R": outs[1]})


def torch_qr(input, some=True) -> ReturnTypes:
    result = qr(input, "reduced" if some else "complete")
    return ReturnTypes("qr", {"Q": result.Q, "R": result.R})


# ---- cholesky -------------------------------------------------------------------------------

def _cholesky_backward(n, g):
    """gA = L^-T Phi L^-1 with Phi = (tril(L^T gL) + its strict lower part transposed) / 2,
    as PyTorch writes it (symmetric); an upper factor is the lower one transposed."""
    lower = n.output if not n.params["upper"] else transpose_last(n.output)
    g = g if not n.params["upper"] else transpose_last(g)
    phi = tril(matmul(transpose_last(lower), g))
    phi = 0.5 * (phi + transpose_last(tril(phi, -1)))
    left = solve_triangular(transpose_last(lower), phi, upper=True)
    return (solve_triangular(lower, left, upper=False, left=False),)


CHOLESKY = Op("LinalgCholeskyExBackward0", lambda a, upper: _cholesky_forward(a, upper),
              _cholesky_backward, saves=(keep(OUT),))
OLD_CHOLESKY = Op("CholeskyBackward0", CHOLESKY.forward, _cholesky_backward, saves=(keep(OUT),))


def _cholesky_forward(a, upper):
    try:
        lower = np.linalg.cholesky(a)
        failed = np.isnan(np.diagonal(lower, axis1=-2, axis2=-1)).any()
    except np.linalg.LinAlgError:
        failed = True
    if failed:
        raise TcalcValueError(f"linalg.cholesky: {_not_positive_definite(a)}",
                              hint="Cholesky needs a symmetric positive-definite matrix")
    return np.swapaxes(lower, -1, -2).copy() if upper else lower


def _not_positive_definite(a: np.ndarray) -> str:
    """PyTorch's words: the first batch element whose leading minor of some order fails."""
    flat = a.reshape(-1, *a.shape[-2:])
    for i, matrix in enumerate(flat):
        if _positive_definite(matrix, matrix.shape[-1]):
            continue
        # Once a leading minor fails every larger one does: bisect for the first.
        good, bad = 0, matrix.shape[-1]
        while bad - good > 1:
            middle = (good + bad) // 2
            good, bad = (middle, bad) if _positive_definite(matrix, middle) else (good, middle)
        text = ("The factorization could not be completed because the input is not positive-definite "
                f"(the leading minor of order {bad} is not positive-definite).")
        return f"(Batch element {i}): {text}" if a.ndim > 2 else text
    return "The factorization could not be completed because the input is not positive-definite."


def _positive_definite(matrix: np.ndarray, order: int) -> bool:
    """LAPACK's potrf fails on a pivot that is not positive, nan included."""
    try:
        factor = np.linalg.cholesky(matrix[:order, :order])
    except np.linalg.LinAlgError:
        return False
    return not np.isnan(np.diagonal(factor)).any()


def cholesky(A, upper=False) -> Tensor:
    x = _matrices(A, "cholesky")
    return apply(CHOLESKY, (x,), (x.data,), upper=bool(upper))


def torch_cholesky(input, upper=False) -> Tensor:
    x = _matrices(input, "cholesky")
    return apply(OLD_CHOLESKY, (x,), (x.data,), upper=bool(upper))


# ---- solve_triangular -----------------------------------------------------------------------

def _triangle(a: np.ndarray, upper: bool, unitriangular: bool) -> np.ndarray:
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t.copy()
        idx = np.arange(a.shape[-1])
        t[..., idx, idx] = 1
    return t


def _solve_triangular_forward(a, b, upper, left, unitriangular):
    t = _triangle(a, upper, unitriangular)
    if not left:  # X A = B is A^T X^T = B^T
        return np.swapaxes(_substitute(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2), not upper), -1, -2).copy()
    return _substitute(t, b, upper)


def _substitute(t, b, upper):
    """Back (or forward) substitution, row by row as LAPACK's trsm: a zero on the diagonal
    gives inf and nan, not an error."""
    shape = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = np.broadcast_to(t, shape + t.shape[-2:])
    x = np.array(np.broadcast_to(b, shape + b.shape[-2:]), dtype=np.result_type(t, b))
    n = t.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in (reversed(range(n)) if upper else range(n)):
            done = slice(i + 1, n) if upper else slice(0, i)
            rest = np.einsum("...j,...jk->...k", t[..., i, done], x[..., done, :])
            x[..., i, :] = (x[..., i, :] - rest) / t[..., i, i, None]
    return x


def _solve_triangular_backward(n, g):
    a, b = n.inputs
    p = n.params
    x = n.output
    upper, left, unit = p["upper"], p["left"], p["unitriangular"]
    grad_b = solve_triangular(transpose_last(a), g, upper=not upper, left=left, unitriangular=unit)
    if left:
        grad_a = -matmul(grad_b, transpose_last(x))
    else:
        grad_a = -matmul(transpose_last(x), grad_b)
    shift = 1 if unit else 0
    grad_a = triu(grad_a, shift) if upper else tril(grad_a, -shift)
    return (grad_a if n.needs_grad(0) else None, grad_b if n.needs_grad(1) else None)


SOLVE_TRIANGULAR = Op("LinalgSolveTriangularBackward0", _solve_triangular_forward, _solve_triangular_backward,
                      saves=(keep(0, 1), keep(OUT, 0)))


def solve_triangular(A, B, *, upper=None, left=True, unitriangular=False) -> Tensor:
    """X with A X = B (X A = B when left=False) for a triangular A; only its triangle is
    read."""
    if upper is None:
        raise TcalcTypeError('linalg_solve_triangular() missing 1 required positional arguments: "upper"')
    a, b = as_tensor(A), as_tensor(B)
    if b.data.ndim < 2:
        raise ShapeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    _square_float(a, "solve_triangular")
    n = a.data.shape[-1]
    broadcast_shape(b.data.shape[:-2], a.data.shape[:-2])  # batches broadcast, in PyTorch's words
    rows = b.data.shape[-2] if left else b.data.shape[-1]
    if rows != n:
        equation = "AX = B" if left else "XA = B"
        shape_b = "x".join(str(k) for k in b.data.shape[-2:])
        raise ShapeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                         f"{equation} ({n}x{n} and {shape_b})")
    dtype = result_type(a, b)
    a, b = to_dtype(a, dtype), to_dtype(b, dtype)
    return apply(SOLVE_TRIANGULAR, (a, b), (a.data, b.data), upper=bool(upper), left=bool(left),
                 unitriangular=bool(unitriangular))


# ---- slogdet --------------------------------------------------------------------------------

def _slogdet_backward(n, g):
    a = n.inputs[0]
    return (unsqueeze(unsqueeze(g, -1), -1) * transpose_last(inv(a)),)


SLOGDET_SIGN = Op("LinalgSlogdetBackward0", _picked, lambda n, g: (None,), saves=False)
SLOGDET_LOG = Op("LinalgSlogdetBackward0", _picked, _slogdet_backward, saves=(keep(0),))


def slogdet(A) -> ReturnTypes:
    return _slogdet(A, "linalg_slogdet")


def _slogdet(A, name: str) -> ReturnTypes:
    x = _matrices(A, "slogdet")
    sign_value, log_value = np.linalg.slogdet(x.data)
    nan = np.isnan(x.data).any(axis=(-2, -1))
    if nan.any():  # LAPACK may answer for a matrix holding nan: PyTorch's nan
        sign_value, log_value = np.where(nan, np.nan, sign_value), np.where(nan, np.nan, log_value)
    dtype = x.data.dtype
    sign_out, log_out = _outputs((SLOGDET_SIGN, SLOGDET_LOG), x,
                                 (np.asarray(sign_value, dtype), np.asarray(log_value, dtype)))
    return ReturnTypes(name, {"sign": sign_out, "logabsdet": log_out})


def torch_slogdet(input) -> ReturnTypes:
    return _slogdet(input, "slogdet")


def logdet(input) -> Tensor:
    """log(det(A)): nan for a negative determinant, -inf for zero (PyTorch's where of slogdet)."""
    refuse_half(as_tensor(input), HALF_REFUSALS["logdet"])
    result = slogdet(input)
    return where(lt(result.sign, 0), float("nan"), result.logabsdet)


# ---- pinv, lstsq, matrix_rank ---------------------------------------------------------------

def _cutoff(s: np.ndarray, shape, dtype, atol, rtol) -> np.ndarray:
    """PyTorch's threshold: max(atol, rtol * largest singular value); rtol defaults to
    eps * max(rows, cols) when neither is given, to 0 when only atol is."""
    if rtol is None:
        rtol = np.finfo(dtype).eps * max(shape[-2:]) if atol is None else 0.0
    atol = 0.0 if atol is None else atol
    largest = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    return np.maximum(_tolerance(atol, s), _tolerance(rtol, s) * largest)


def _tolerance(value, s):
    return value.data[..., None] if type(value) is Tensor else np.asarray(value, dtype=s.dtype)


def _pinv_forward(a, atol, rtol, hermitian):
    if hermitian:
        w, v = np.linalg.eigh(a)
        s = np.abs(w)
        order = np.argsort(-s, axis=-1, kind="stable")
        cut = _cutoff(np.take_along_axis(s, order, -1), a.shape, a.dtype, atol, rtol)
        inverse = np.where(s > cut, 1 / np.where(s > cut, w, 1), 0)
        return ((v * inverse[..., None, :]) @ np.swapaxes(v, -1, -2)).astype(a.dtype)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    cut = _cutoff(s, a.shape, a.dtype, atol, rtol)
    inverse = np.where(s > cut, 1 / np.where(s > cut, s, 1), 0)
    return (np.swapaxes(vh, -1, -2) * inverse[..., None, :]) @ np.swapaxes(u, -1, -2)


def _pinv_gradient(a: Tensor, p: Tensor, g: Tensor) -> Tensor:
    """PyTorch's formula for the gradient of pinv(A), of rank not changing near A."""
    ph, gh = transpose_last(p), transpose_last(g)
    rows, cols = a.data.shape[-2:]
    if rows <= cols:
        k = matmul(gh, p)
        k_ph = matmul(k, ph)
        return (-transpose_last(matmul(p, k)) + k_ph - matmul(matmul(a, p), k_ph)
                + matmul(matmul(ph, p), gh - matmul(k, a)))
    k = matmul(p, gh)
    ph_k = matmul(ph, k)
    return (-transpose_last(matmul(k, p)) + matmul(matmul(gh - matmul(a, k), p), ph) + ph_k
            - matmul(matmul(ph_k, p), a))


PINV = Op("LinalgPinvBackward0", _pinv_forward, lambda n, g: (_pinv_gradient(n.inputs[0], n.output, g),),
          saves=(keep(0), keep(OUT)))


def pinv(A, *, atol=None, rtol=None, hermitian=False, rcond=None) -> Tensor:
    x = as_tensor(A)
    if x.data.ndim < 2 or not x.dtype.is_floating_point or x.dtype.name in ("float16", "bfloat16"):
        shape = ", ".join(str(k) for k in x.data.shape)
        raise DTypeError(f"linalg.pinv({x.dtype.torch_name}{{[{shape}]}}): expected a tensor with 2 or more "
                         "dimensions of float, double, cfloat or cdouble types",
                         hint="pinv takes matrices of floats: convert with .double()")
    if rcond is not None:
        rtol = rcond
    _check_tolerances("linalg_pinv", x, atol=atol, rtol=rtol)
    return apply(PINV, (x,), (x.data,), atol=atol, rtol=rtol, hermitian=bool(hermitian))


def pinverse(input, rcond=1e-15) -> Tensor:
    if type(rcond) is Tensor or not _is_real_number(rcond):
        raise TcalcTypeError(f"pinverse(): argument 'rcond' (position 2) must be float, not {type_name(rcond)}")
    return pinv(input, rtol=rcond)


def _is_real_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_tolerances(function: str, x: Tensor, **tolerances) -> None:
    """Each tolerance is None, a number, or a tensor of one per matrix (broadcasting)."""
    for name, value in tolerances.items():
        if value is None or _is_real_number(value):
            continue
        if type(value) is not Tensor:
            raise TcalcTypeError(f"{function}() received an invalid combination of arguments - got (Tensor, "
                                 f"{type_name(value)}), but expected one of:",
                                 hint=f"{name}= is a float or a tensor of floats, one per matrix")
        broadcast_shape(value.data.shape, x.data.shape[:-2])


def _lstsq_backward(n, g):
    a, b = n.inputs
    p = pinv(a)
    vector = n.params["vector"]
    g2 = unsqueeze(g, -1) if vector else g
    b2 = unsqueeze(b, -1) if vector else b
    grad_a = _pinv_gradient(a, p, matmul(g2, transpose_last(b2))) if n.needs_grad(0) else None
    grad_b = matmul(transpose_last(p), g2) if n.needs_grad(1) else None
    if grad_b is not None and vector:
        grad_b = squeeze(grad_b, -1)
    return (grad_a, grad_b)


def _pivoted_qr(a: np.ndarray):
    """Householder QR with column pivoting (LAPACK's geqp3: the column of largest
    remaining norm first): Q, R and the column order, with A[:, order] = Q R."""
    m, n = a.shape
    r = a.astype(np.float64)
    q = np.eye(m)
    order = np.arange(n)
    for j in range(min(m, n)):
        p = j + int(np.argmax(np.linalg.norm(r[j:, j:], axis=0)))
        r[:, [j, p]], order[[j, p]] = r[:, [p, j]], order[[p, j]]
        x = r[j:, j]
        norm = np.linalg.norm(x)
        if norm == 0:
            continue
        v = x.copy()
        v[0] += np.copysign(norm, x[0])
        v /= np.linalg.norm(v)
        r[j:, :] -= 2 * np.outer(v, v @ r[j:, :])
        q[:, j:] -= 2 * np.outer(q[:, j:] @ v, v)
    return q, np.triu(r), order


def _gelsy(a: np.ndarray, b: np.ndarray, rcond: float):
    """gelsy's answer: the rank is the largest r whose leading r x r block of the pivoted R
    has a condition number below 1 / rcond; the solution is the minimum-norm one of that
    rank (the complete orthogonal factorization's)."""
    m, n = a.shape
    q, r, order = _pivoted_qr(a)
    rank = 0
    for k in range(1, min(m, n) + 1):
        s = np.linalg.svd(r[:k, :k], compute_uv=False)
        if s[0] == 0 or s[-1] < rcond * s[0]:
            break
        rank = k
    y = np.zeros((n, b.shape[1]))
    if rank:
        top = r[:rank, :]  # [R11 R12]: the minimum-norm y of top @ y = (Q^T b)[:rank]
        c = (q.T @ b)[:rank]
        y = top.T @ np.linalg.solve(top @ top.T, c)
    x = np.empty_like(y)
    x[order] = y
    return x, rank


def _lstsq_one(a: np.ndarray, b: np.ndarray, rcond: float, driver: str):
    """One matrix: the solution, the rank (None for gels) and the singular values (gelsd
    and gelss)."""
    if driver == "gelsy":
        x, rank = _gelsy(a, b, rcond)
        return x, rank, None
    if driver == "gels":
        return np.linalg.lstsq(a, b, rcond=None)[0], None, None
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    keep_ = s > rcond * (s[0] if s.size else 0)
    inverse = np.where(keep_, 1 / np.where(keep_, s, 1), 0)
    return vh.T @ (inverse[:, None] * (u.T @ b)), int(keep_.sum()), s


def _lstsq_arrays(a: np.ndarray, b: np.ndarray, vector: bool, rcond, driver: str):
    """The four results for a batch: solutions, residuals, ranks, singular values."""
    rows, cols = a.shape[-2:]
    b = b[..., None] if vector else b
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a_all = np.broadcast_to(a, batch + a.shape[-2:]).reshape(-1, rows, cols)
    b_all = np.broadcast_to(b, batch + b.shape[-2:]).reshape(-1, rows, b.shape[-1])
    rcond = np.finfo(a.dtype).eps * max(rows, cols) if rcond is None else rcond
    solutions, ranks, values = [], [], []
    for matrix, right in zip(a_all, b_all):
        x, rank, s = _lstsq_one(matrix.astype(np.float64), right.astype(np.float64), rcond, driver)
        solutions.append(x)
        ranks.append(rank)
        values.append(s)
    x = np.array(solutions).reshape(batch + (cols, b.shape[-1])).astype(a.dtype)
    full = rows > cols and (driver == "gels" or all(rank == cols for rank in ranks))
    residuals = np.zeros((0,), a.dtype)
    if full and driver != "gelsy":
        residuals = np.sum((a_all @ x.reshape(-1, cols, b.shape[-1]) - b_all) ** 2, axis=-2)
        residuals = residuals.reshape(batch + (b.shape[-1],)).astype(a.dtype)
    rank = np.zeros((0,), np.int64) if driver == "gels" else np.array(ranks, np.int64).reshape(batch)
    singular = np.zeros((0,), a.dtype) if driver in ("gels", "gelsy") else \
        np.array(values).reshape(batch + (min(rows, cols),)).astype(a.dtype)
    return (x[..., 0] if vector else x), residuals, rank, singular


LSTSQ = Op("LinalgLstsqBackward0", lambda a, b, value, vector: value, _lstsq_backward, saves=(keep(0), keep(1)))
# PyTorch's backward reads only the solution's gradient: the residuals' is dropped.
LSTSQ_RESIDUALS = Op("LinalgLstsqBackward0", lambda a, b, value: value, lambda n, g: (None, None),
                     saves=False)
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, driver=None) -> ReturnTypes:
    """The least-squares solution of A X = B, as PyTorch's CPU drivers return it: gelsy
    (the default) with the rank only, gelsd and gelss with the singular values too, gels
    without either; the residuals for tall matrices of full rank (not from gelsy)."""
    a, b = as_tensor(A), as_tensor(B)
    if a.data.ndim < 2:
        raise ShapeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if a.dtype is not b.dtype:
        raise DTypeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
                         f"input's dtype {a.dtype.torch_name} and other's dtype {b.dtype.torch_name}",
                         hint="convert one side, e.g. B.to(A.dtype)")
    _floating(a, "lstsq")
    if not 0 <= a.data.ndim - b.data.ndim <= 1:
        raise ShapeError("torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                         "(input.dim() - other.dim()) <= 1")
    vector = b.data.ndim == a.data.ndim - 1
    broadcast_shape(a.data.shape[:-2], b.data.shape[:-1] if vector else b.data.shape[:-2])
    rows = b.data.shape[-1] if vector else b.data.shape[-2]
    if rows != a.data.shape[-2]:
        raise ShapeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise TcalcValueError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if rcond is not None and not _is_real_number(rcond):
        raise TcalcTypeError(f"linalg_lstsq(): argument 'rcond' must be float, not {type_name(rcond)}")
    x, residuals, rank, singular = _lstsq_arrays(a.data, b.data, vector, rcond, driver)
    solution = apply(LSTSQ, (a, b), (a.data, b.data), value=x, vector=vector)
    residuals = apply(LSTSQ_RESIDUALS, (a, b), (a.data, b.data), value=residuals)
    return ReturnTypes("linalg_lstsq", {"solution": solution, "residuals": residuals,
                                        "rank": Tensor(rank), "singular_values": Tensor(singular)})


def _rank(a: np.ndarray, atol, rtol, hermitian) -> np.ndarray:
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False)
    if hermitian:
        s = -np.sort(-s, axis=-1)
    return np.asarray(np.sum(s > _cutoff(s, a.shape, a.dtype, atol, rtol), axis=-1), dtype=np.int64)


def matrix_rank(A, tol=None, *, atol=None, rtol=None, hermitian=False) -> Tensor:
    x = as_tensor(A)
    if x.data.ndim < 2:
        raise ShapeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    if x.dtype.name not in ("float32", "float64"):
        raise DTypeError("This function doesn't handle types other than float and double",
                         hint="convert first, e.g. A.double()")
    _check_tolerances("linalg_matrix_rank", x, tol=tol, atol=atol, rtol=rtol)
    if tol is not None:
        atol, rtol = tol, 0.0
    return Tensor(_rank(x.data, atol, rtol, bool(hermitian)))


# ---- matrix_power, matrix_exp, cond ---------------------------------------------------------

IDENTITY_COPY = Op("CopyBackwards",
                   lambda a: np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy(),
                   lambda n, g: (zeros_like(g),), saves=False)


def matrix_power(A, n) -> Tensor:
    """A @ A @ ... by repeated squaring, as PyTorch multiplies (its grad_fn: MmBackward0);
    inv(A) first for a negative n."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TcalcTypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type_name(n)}")
    x = as_tensor(A)
    if x.data.ndim < 2:
        raise ShapeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    rows, cols = x.data.shape[-2:]
    if rows != cols:
        raise ShapeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                         f"{rows} by {cols} matrices")
    if n == 0:  # the identity copied into a tensor like A: its gradient is zero
        return apply(IDENTITY_COPY, (x,), (x.data,))
    if n < 0:
        x, n = inv(x), -n
        if n == 1:
            return x
    if n == 1:
        from .convert import clone

        return clone(x)
    result, power = None, x
    while n:  # PyTorch's order: the lowest bits first
        if n & 1:
            result = power if result is None else matmul(result, power)
        n >>= 1
        if n:
            power = matmul(power, power)
    return result


def _matrix_exp_forward(a):
    """Scaling and squaring with a degree-18 Taylor polynomial, computed in float64."""
    work = a.astype(np.float64)
    norm = np.max(np.sum(np.abs(work), axis=-2), axis=-1, initial=0.0) if a.size else np.zeros(a.shape[:-2])
    squarings = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / 0.5))).astype(int)
    squarings = np.where(np.isfinite(norm), squarings, 0)
    most = int(squarings.max(initial=0))
    scaled = work / (2.0 ** squarings)[..., None, None]
    n = a.shape[-1]
    term = np.broadcast_to(np.eye(n), work.shape).copy()
    total = term.copy()
    for k in range(1, 19):
        term = term @ scaled / k
        total = total + term
    for step in range(most):
        squared = total @ total
        total = np.where((squarings > step)[..., None, None], squared, total)
    return total.astype(a.dtype)


def _matrix_exp_backward(n, g):
    """d exp(A) against g: the upper-right block of exp([[A^T, g], [0, A^T]])."""
    a = n.inputs[0]
    size = a.data.shape[-1]
    at = transpose_last(a)
    top = cat((at, g), -1)
    bottom = cat((Tensor(np.zeros(at.data.shape, at.data.dtype)), at), -1)
    block = matrix_exp(cat((top, bottom), -2))
    return (getitem(block, (Ellipsis, slice(0, size), slice(size, None))),)


MATRIX_EXP = Op("LinalgMatrixExpBackward0", _matrix_exp_forward, _matrix_exp_backward, saves=(keep(0),))


def matrix_exp(A) -> Tensor:
    x = _matrices(A, "matrix_exp")
    return apply(MATRIX_EXP, (x,), (x.data,))


_COND_NORMS = ("fro", "nuc", 1, -1, float("inf"), -float("inf"))


def cond(A, p=None) -> Tensor:
    """The condition number: a ratio of singular values (p None, 2, -2) or
    norm(A, p) * norm(inv(A), p)."""
    x = as_tensor(A)
    if p is not None and p not in (2, -2) and p not in _COND_NORMS:
        raise TcalcValueError(f"linalg.cond got an invalid norm type: {p}",
                              hint="p is one of None, 2, -2, 'fro', 'nuc', 1, -1, inf, -inf")
    if p in (None, 2, -2):
        _matrices(x, "cond", square=False)
        s = svdvals(x)  # largest first
        big, small = getitem(s, (Ellipsis, slice(0, 1))), getitem(s, (Ellipsis, slice(-1, None)))
        return squeeze(big / small if p != -2 else small / big, -1)
    if x.data.ndim >= 2 and x.data.shape[-1] != x.data.shape[-2]:
        rows, cols = x.data.shape[-2:]
        raise ShapeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
                         f"{rows} by {cols} matrices")
    _matrices(x, "cond")
    try:
        inverse = inv(x)
    except TcalcValueError:  # singular: PyTorch answers inf
        return Tensor(np.full(x.data.shape[:-2], np.inf, x.data.dtype))
    return matrix_norm(x, p) * matrix_norm(inverse, p)


# ---- lu and lu_factor -----------------------------------------------------------------------

def _lu_arrays(a: np.ndarray):
    """LU with partial pivoting (LAPACK's getrf: the first largest pivot in each column):
    the packed factors and the 1-based pivots (row i swapped with pivots[i])."""
    lu = np.array(a, dtype=a.dtype)
    rows, cols = a.shape[-2:]
    k = min(rows, cols)
    pivots = np.zeros(a.shape[:-2] + (k,), dtype=np.int32)
    if lu.size == 0:
        return lu, pivots
    flat = lu.reshape(-1, rows, cols)
    flat_pivots = pivots.reshape(-1, k)
    every = np.arange(flat.shape[0])
    for j in range(k):
        p = j + np.argmax(np.abs(flat[:, j:, j]), axis=1)
        flat_pivots[:, j] = p + 1
        row_j, row_p = flat[every, j].copy(), flat[every, p].copy()
        flat[every, j], flat[every, p] = row_p, row_j
        pivot = flat[:, j, j]
        with np.errstate(divide="ignore", invalid="ignore"):
            factors = np.where(pivot[:, None] != 0, flat[:, j + 1:, j] / pivot[:, None], 0)
        flat[:, j + 1:, j] = factors
        flat[:, j + 1:, j + 1:] -= factors[:, :, None] * flat[:, j, None, j + 1:]
    return lu, pivots


def _unpack(lu: np.ndarray, pivots: np.ndarray):
    rows, cols = lu.shape[-2:]
    k = min(rows, cols)
    lower = np.tril(lu[..., :, :k], -1)  # a -0.0 below the diagonal stays as LAPACK left it
    lower[..., range(k), range(k)] = 1
    upper = np.triu(lu[..., :k, :])
    perm = np.broadcast_to(np.arange(rows), lu.shape[:-2] + (rows,)).copy()
    count = int(np.prod(lu.shape[:-2]))
    flat_perm, flat_pivots = perm.reshape(count, rows), pivots.reshape(count, k)
    for i in range(k):
        j = flat_pivots[:, i] - 1
        every = np.arange(flat_perm.shape[0])
        a, b = flat_perm[every, i].copy(), flat_perm[every, j].copy()
        flat_perm[every, i], flat_perm[every, j] = b, a
    # A = P L U: row r of P L U is row perm[r] of A, so P[perm[r], r] = 1
    p = np.zeros(lu.shape[:-2] + (rows, rows), dtype=lu.dtype)
    np.put_along_axis(p, perm[..., :, None], 1, axis=-1)
    return np.swapaxes(p, -1, -2).copy(), lower, upper


def _lu_gradient(p: Tensor, lower: Tensor, upper: Tensor, g_lower, g_upper) -> Tensor:
    """PyTorch's formula for square A = P L U:
    gA = P L^-T [tril(L^T gL, -1) + triu(gU U^T)] U^-T."""
    phi = None
    if g_lower is not None:
        phi = tril(matmul(transpose_last(lower), g_lower), -1)
    if g_upper is not None:
        term = triu(matmul(g_upper, transpose_last(upper)))
        phi = term if phi is None else phi + term
    left = solve_triangular(transpose_last(lower), phi, upper=True, unitriangular=True)
    right = solve_triangular(transpose_last(upper), left, upper=False, left=False)
    return matmul(p, right)


def _lu_check_backward(a: Tensor) -> None:
    rows, cols = a.data.shape[-2:]
    if rows != cols:
        raise TcalcValueError("tcalc differentiates linalg.lu and lu_factor only for square matrices")


def _lu_lower_backward(n, g):
    _lu_check_backward(n.inputs[0])
    p, lower, upper = n.params["outputs"]
    return (_lu_gradient(p, lower, upper, g, None),)


def _lu_upper_backward(n, g):
    _lu_check_backward(n.inputs[0])
    p, lower, upper = n.params["outputs"]
    return (_lu_gradient(p, lower, upper, None, g),)


LU_L = Op("LinalgLuBackward0", _picked, _lu_lower_backward)
LU_U = Op("LinalgLuBackward0", _picked, _lu_upper_backward)


def _lu_input(A, name: str) -> Tensor:
    """name: the function PyTorch's message names (linalg.lu, torch.lu_factor, ...)."""
    x = as_tensor(A)
    if x.data.ndim < 2:
        raise ShapeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: "
                         f"{list(x.data.shape)} instead")
    _not_implemented_for_ints(x, "lu_cpu")
    return x


def lu(A, *, pivot=True) -> ReturnTypes:
    x = _lu_input(A, "linalg.lu")
    if not pivot:
        raise TcalcValueError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    p, lower, upper = _unpack(*_lu_arrays(x.data))
    outs = _outputs((None, LU_L, LU_U), x, (p, lower, upper))
    return ReturnTypes("linalg_lu", {"P": outs[0], "L": outs[1], "U": outs[2]})


def _lu_factor_backward(n, g):
    _lu_check_backward(n.inputs[0])
    packed = n.output
    size = packed.data.shape[-1]
    lower = tril(packed, -1) + Tensor(np.eye(size, dtype=packed.data.dtype))
    upper = triu(packed)
    p = Tensor(_unpack(packed.data, n.params["pivots"])[0])
    return (_lu_gradient(p, lower, upper, tril(g, -1), triu(g)),)


LU_FACTOR = Op("LinalgLuFactorExBackward0", lambda a, value, pivots: value, _lu_factor_backward,
               saves=(keep(OUT),))


def _refuse_zero_pivot(packed: np.ndarray, name: str = "lu_factor") -> None:
    """lu_factor refuses a U with a zero on its diagonal (LAPACK's info > 0), as PyTorch."""
    k = min(packed.shape[-2:])
    diagonal = np.diagonal(packed, axis1=-2, axis2=-1)[..., :k].reshape(int(np.prod(packed.shape[:-2])), k)
    for i, row in enumerate(diagonal):
        zeros = np.flatnonzero(row == 0)
        if zeros.size:
            where_ = f"(Batch element {i}): " if packed.ndim > 2 else ""
            j = zeros[0] + 1
            raise TcalcValueError(
                f"torch.linalg.{name}: {where_}U[{j},{j}] is zero and using it on lu_solve would result "
                "in a division by zero. If you still want to perform the factorization, consider calling "
                "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)",
                hint="the matrix is singular; linalg.lu factors it all the same")


def lu_factor(A, *, pivot=True) -> ReturnTypes:
    x = _lu_input(A, "linalg.lu_factor")
    if not pivot:
        raise TcalcValueError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    packed, pivots = _lu_arrays(x.data)
    _refuse_zero_pivot(packed)
    out = apply(LU_FACTOR, (x,), (x.data,), value=packed, pivots=pivots)
    return ReturnTypes("linalg_lu_factor", {"LU": out, "pivots": Tensor(pivots)})



# ---- the *_ex variants: a LAPACK info instead of a refusal -----------------------------------
#
# Each returns its result beside `info` (int32, one per matrix: 0, or LAPACK's 1-based index
# of the first pivot that failed) and refuses only with check_errors=True. Where a matrix
# fails, the result holds what LAPACK leaves (checked against PyTorch 2.13's MKL on small
# matrices): the factor up to the failing pivot, inf and NaN from the division by zero.

def _info(failed: np.ndarray, batch_shape: tuple) -> Tensor:
    return Tensor(np.asarray(failed, dtype=np.int32).reshape(batch_shape))


def _first_zero_pivot(packed: np.ndarray) -> np.ndarray:
    """getrf's info for each matrix of packed LU factors: the first zero of U's diagonal."""
    k = min(packed.shape[-2:])
    diagonal = np.diagonal(packed, axis1=-2, axis2=-1)[..., :k]
    zero = diagonal == 0
    return np.where(zero.any(axis=-1), np.argmax(zero, axis=-1) + 1, 0)


def _lu_substitute(packed: np.ndarray, pivots: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A^-1 B from A's packed LU factors, as LAPACK's getrs: the row swaps, then unit-lower
    and upper substitution, a zero pivot dividing as IEEE divides (inf, nan)."""
    x = np.array(np.broadcast_to(b, packed.shape[:-2] + b.shape[-2:]), dtype=packed.dtype)
    for i in range(packed.shape[-1]):
        j = np.broadcast_to((pivots[..., i] - 1)[..., None, None], x.shape[:-2] + (1, x.shape[-1]))
        row_i = x[..., i:i + 1, :].copy()
        x[..., i:i + 1, :] = np.take_along_axis(x, j, -2)
        np.put_along_axis(x, j, row_i, -2)
    lower = _substitute(_triangle(packed, False, True), x, upper=False)
    return _substitute(_triangle(packed, True, False), lower, upper=True)


INV_EX = Op("LinalgInvExBackward0", lambda a, value: value, INV.backward, saves=(keep(OUT),))


def inv_ex(A, *, check_errors=False) -> ReturnTypes:
    x = as_tensor(A)
    _square_float(x, "inv")
    packed, pivots = _lu_arrays(x.data)
    failed = _first_zero_pivot(packed) * np.isfinite(x.data).all(axis=(-2, -1))
    if check_errors and failed.any():
        raise TcalcValueError(f"linalg.inv_ex: {_singular_pivot(x.data)} is zero, the inversion could not "
                              "be completed because the input matrix is singular.",
                              hint="a singular matrix has no inverse; check det(A), or use linalg.solve")
    if failed.any():
        identity = np.eye(x.data.shape[-1], dtype=x.data.dtype)
        value = _lu_substitute(packed, pivots, identity)
        good = failed == 0
        if good.any():
            value[good] = _inv_forward(x.data[good])
    else:
        value = _inv_forward(x.data)
    inverse = apply(INV_EX, (x,), (x.data,), value=value)
    return ReturnTypes("linalg_inv_ex", {"inverse": inverse, "info": _info(failed, x.data.shape[:-2])})


SOLVE_EX = Op("LinalgSolveExBackward0", lambda a, b, vector, left, value: value, SOLVE.backward,
              saves=(keep(0), keep(OUT)))


def solve_ex(A, B, *, left=True, check_errors=False) -> ReturnTypes:
    a, b, vector = solve_operands(A, B, left)
    # X A = B is solved as A^T X^T = B^T, from the factors of A^T.
    system = a.data if left else np.swapaxes(a.data, -1, -2)
    packed, pivots = _lu_arrays(system)
    failed = _first_zero_pivot(packed) * np.isfinite(a.data).all(axis=(-2, -1))
    if check_errors and failed.any():
        raise TcalcValueError("torch.linalg.solve_ex: The solver failed because the input matrix is singular.",
                              hint="a singular A has no unique solution; check det(A)")
    if failed.any():
        rhs = b.data[..., None] if vector else b.data if left else np.swapaxes(b.data, -1, -2)
        value = _lu_substitute(packed, pivots, rhs)
        value = value[..., 0] if vector else value if left else np.swapaxes(value, -1, -2)
    else:
        value = _solve_forward(a.data, b.data, vector, left)
    result = apply(SOLVE_EX, (a, b), (a.data, b.data), vector=vector, left=bool(left), value=value)
    return ReturnTypes("linalg_solve_ex", {"result": result, "info": _info(failed, a.data.shape[:-2])})


def _cholesky_partial(a: np.ndarray, upper: bool):
    """potrf's factor and info: column by column (left-looking, as LAPACK's unblocked
    potf2), stopping at the first pivot that is not positive, which is left as computed
    (a[j, j] - |L[j, :j]|^2) with the columns after it as they were; the other triangle 0."""
    lower = np.tril(np.swapaxes(a, -1, -2) if upper else a).astype(a.dtype, copy=True)
    n = a.shape[-1]
    failed = np.zeros(a.shape[:-2], dtype=np.int32)
    with np.errstate(all="ignore"):
        for j in range(n):
            going = failed == 0
            row = lower[..., j, :j]
            pivot = lower[..., j, j] - np.sum(row * row, axis=-1)
            bad = going & ~(pivot > 0)
            failed = np.where(bad, j + 1, failed)
            ok = going & ~bad
            root = np.sqrt(np.where(ok, pivot, 1))
            lower[..., j, j] = np.where(going, np.where(ok, root, pivot), lower[..., j, j])
            below = (lower[..., j + 1:, j] - (lower[..., j + 1:, :j] @ row[..., :, None])[..., 0]
                     if j else lower[..., j + 1:, j]) / root[..., None]
            lower[..., j + 1:, j] = np.where(ok[..., None], below, lower[..., j + 1:, j])
    return (np.swapaxes(lower, -1, -2).copy() if upper else lower), failed


CHOLESKY_EX = Op("LinalgCholeskyExBackward0", lambda a, upper, value: value, _cholesky_backward,
                 saves=(keep(OUT),))


def cholesky_ex(A, *, upper=False, check_errors=False) -> ReturnTypes:
    x = _matrices(A, "cholesky")
    partial, failed = _cholesky_partial(x.data, bool(upper))
    if check_errors and failed.any():
        raise TcalcValueError(f"linalg.cholesky_ex: {_not_positive_definite(x.data)}",
                              hint="Cholesky needs a symmetric positive-definite matrix")
    value = partial if failed.any() else _cholesky_forward(x.data, bool(upper))
    factor = apply(CHOLESKY_EX, (x,), (x.data,), upper=bool(upper), value=value)
    return ReturnTypes("linalg_cholesky_ex", {"L": factor, "info": _info(failed, x.data.shape[:-2])})


def lu_factor_ex(A, *, pivot=True, check_errors=False) -> ReturnTypes:
    LU, pivots, info = _lu_factor_with_info(A, pivot, check_errors, "linalg.lu_factor_ex", "lu_factor_ex")
    return ReturnTypes("linalg_lu_factor_ex", {"LU": LU, "pivots": pivots, "info": info})


def _lu_factor_with_info(A, pivot, check_errors: bool, name: str, refusal: str):
    x = _lu_input(A, name)
    if not pivot:
        raise TcalcValueError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    packed, pivots = _lu_arrays(x.data)
    if check_errors:
        _refuse_zero_pivot(packed, refusal)
    out = apply(LU_FACTOR, (x,), (x.data,), value=packed, pivots=pivots)
    return out, Tensor(pivots), _info(_first_zero_pivot(packed), x.data.shape[:-2])


def torch_lu(A, pivot=True, get_infos=False):
    """The older torch.lu: (LU, pivots), or with get_infos=True a named triple with info.
    A singular matrix is not refused either way (PyTorch 2.13's torch.lu does not check)."""
    LU, pivots, info = _lu_factor_with_info(A, pivot, False, "torch.lu_factor", "lu_factor")
    if get_infos:
        return ReturnTypes("_lu_with_info", {"LU": LU, "pivots": pivots, "info": info})
    return (LU, pivots)


# ---- lu_unpack and lu_solve: what the packed factors are for ------------------------------------

def _lu_operands(LU_data, LU_pivots, name: str) -> Tensor:
    lu_data = as_tensor(LU_data)
    if type(LU_pivots) is not Tensor or LU_pivots.dtype.name != "int32":
        raise DTypeError(f"{name}: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.",
                         hint="pass the pivots lu_factor returned")
    if lu_data.data.ndim < 2:
        raise ShapeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: "
                         f"{list(lu_data.data.shape)} instead")
    return lu_data


def _unpacked_backward(n, g):
    """L and U are LU's strict lower part (with ones) and its upper part: their gradients,
    padded to LU's shape where it is not square."""
    rows, cols = n.inputs[0].data.shape[-2:]
    k = min(rows, cols)
    if n.params["part"] == "L":
        return (constant_pad_nd(tril(g, -1), (0, cols - k)),)
    return (constant_pad_nd(triu(g), (0, 0, 0, rows - k)),)


LU_UNPACK = Op("LuUnpackBackward0", lambda a, value, part: value, _unpacked_backward, saves=False)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True) -> ReturnTypes:
    """torch.lu_unpack: P, L, U with A = P L U; an empty tensor for a part not asked for."""
    lu_data = _lu_operands(LU_data, LU_pivots, "torch.lu_unpack")
    p, lower, upper = _unpack(lu_data.data, LU_pivots.data)
    empty = np.zeros((0,), lu_data.data.dtype)
    P = Tensor(p) if unpack_pivots else Tensor(empty)
    if not unpack_data:
        return ReturnTypes("lu_unpack", {"P": P, "L": Tensor(empty), "U": Tensor(empty)})
    L = apply(LU_UNPACK, (lu_data,), (lu_data.data,), value=lower, part="L")
    U = apply(LU_UNPACK, (lu_data,), (lu_data.data,), value=upper, part="U")
    return ReturnTypes("lu_unpack", {"P": P, "L": L, "U": U})


def _lu_solve_forward(packed, b, pivots, left, adjoint):
    """X with A X = B (A^T X = B for adjoint; X A = B for left=False) from A's factors."""
    if not left:  # X A = B is A^T X^T = B^T
        return np.swapaxes(_lu_solve_forward(packed, np.swapaxes(b, -1, -2), pivots, True, not adjoint), -1, -2)
    if not adjoint:
        return _lu_substitute(packed, pivots, b)
    # A^T = U^T L^T P^T: solve with U^T (lower), then L^T (unit upper), then undo the swaps.
    p, lower, upper = _unpack(packed, pivots)
    y = _substitute(np.swapaxes(upper, -1, -2), b, upper=False)
    return p @ _substitute(np.swapaxes(lower, -1, -2), y, upper=True)


def _lu_solve_backward(n, g):
    """Through A = P L U: with M = A (A^T for adjoint), X = M^-1 B gives gB = M^-T g and
    gM = -gB X^T (for X = B M^-1: gB = g M^-T, gM = -X^T gB); then
    gLU = tril(P^T gA U^T, -1) + triu(L^T P^T gA)."""
    packed, b = n.inputs
    x, left, adjoint = n.output, n.params["left"], n.params["adjoint"]
    size = packed.data.shape[-1]
    lower = tril(packed, -1) + Tensor(np.eye(size, dtype=packed.data.dtype))
    upper = triu(packed)
    p = Tensor(_unpack(packed.data, n.params["pivots"])[0])
    a = matmul(p, matmul(lower, upper))
    m = transpose_last(a) if adjoint else a
    if left:
        grad_b = solve(transpose_last(m), g)
        grad_m = -matmul(grad_b, transpose_last(x))
    else:
        grad_b = transpose_last(solve(m, transpose_last(g)))
        grad_m = -matmul(transpose_last(x), grad_b)
    grad_a = transpose_last(grad_m) if adjoint else grad_m
    grad_lu = None
    if n.needs_grad(0):
        p_t_grad = matmul(transpose_last(p), grad_a)
        grad_lu = tril(matmul(p_t_grad, transpose_last(upper)), -1) + triu(matmul(transpose_last(lower), p_t_grad))
    return (grad_lu, grad_b)


LU_SOLVE = Op("LinalgLuSolveBackward0", lambda packed, b, pivots, left, adjoint: _lu_solve_forward(
    packed, b, pivots, left, adjoint), _lu_solve_backward, saves=(keep(0), keep(OUT)))


def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False) -> Tensor:
    """torch.linalg.lu_solve: X with A X = B from lu_factor's LU and pivots."""
    lu_data = _lu_operands(LU, pivots, "linalg.lu_solve")
    b = as_tensor(B)
    if b.data.ndim < 2:
        raise ShapeError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    n = lu_data.data.shape[-1]
    rows = b.data.shape[-2] if left else b.data.shape[-1]
    if lu_data.data.shape[-2] != n or rows != n:
        equation = "AX = B" if left else "XA = B"
        raise ShapeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation {equation} "
                         f"({n}x{n} and {b.data.shape[-2]}x{b.data.shape[-1]})")
    if b.dtype is not lu_data.dtype:
        raise DTypeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type "
                         f"{lu_data.dtype.torch_name} and B of type {b.dtype.torch_name} instead")
    return apply(LU_SOLVE, (lu_data, b), (lu_data.data, b.data), pivots=pivots.data, left=bool(left),
                 adjoint=bool(adjoint))


def torch_lu_solve(b, LU_data, LU_pivots) -> Tensor:
    """The older torch.lu_solve, whose arguments come in another order."""
    return linalg_lu_solve(LU_data, LU_pivots, b)
