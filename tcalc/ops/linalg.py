"""Products of vectors and matrices (dot, mv, mm, outer, matmul and its batches), trace,
and torch.linalg's inv, det, solve and the singular values."""
from __future__ import annotations

import numpy as np

from ..autograd import OUT, Op, apply, is_grad_enabled, keep
from ..errors import DTypeError, ShapeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from ..limits import check_elements, check_shape
from ..shape_hints import broadcast_hint
from ..tensor import Tensor
from ..values import type_name
from ._base import as_tensor, broadcast_shape, normalize_dim, result_type
from .convert import clone, to_dtype
from .einsum import einsum
from .elementwise import mul, times
from .shape import expand, is_view_compatible, reshape, squeeze, t, transpose, unsqueeze


def _same_dtype(a: Tensor, b: Tensor, name: str) -> None:
    if a.dtype is not b.dtype:
        if name == "dot":
            message = (f"dot : expected both vectors to have same dtype, but found "
                       f"{a.dtype.torch_name} and {b.dtype.torch_name}")
        else:
            message = (f"expected m1 and m2 to have the same dtype, but got: "
                       f"{a.dtype.type_meta} != {b.dtype.type_meta}")
        raise DTypeError(message, hint="convert one side, e.g. with .float()")


def _shape_text(shape) -> str:
    return "x".join(str(n) for n in shape)


# A product keeps each operand for the other's gradient; PyTorch checks them in this order.
_SELF_FIRST, _OTHER_FIRST = (keep(0, 1), keep(1, 0)), (keep(1, 0), keep(0, 1))
DOT = Op("DotBackward0", np.dot, lambda n, g: (times(g, n.inputs[1]) if n.needs_grad(0) else None,
                                               times(g, n.inputs[0]) if n.needs_grad(1) else None),
         saves=_SELF_FIRST)
# A product's gradient for an operand that does not require grad (the data X in X @ W) is
# a product as large as the forward: skipped, as PyTorch does.
MV = Op("MvBackward0", np.matmul, lambda n, g: (outer(g, n.inputs[1]) if n.needs_grad(0) else None,
                                                mv(t(n.inputs[0]), g) if n.needs_grad(1) else None),
        saves=_SELF_FIRST)


def _mm_backward(n, g):
    a, b = n.inputs
    if not is_grad_enabled() and g.data.dtype == a.data.dtype == b.data.dtype:
        # The products mm(g, t(b)) and mm(t(a), g) make, without their checks (the shapes and
        # dtypes are the forward's) and the Tensors of the transposes.
        return (Tensor(np.matmul(g.data, b.data.T)) if n.needs_grad(0) else None,
                Tensor(np.matmul(a.data.T, g.data)) if n.needs_grad(1) else None)
    return (mm(g, t(b)) if n.needs_grad(0) else None, mm(t(a), g) if n.needs_grad(1) else None)


MM = Op("MmBackward0", np.matmul, _mm_backward, saves=_OTHER_FIRST)


def dot(a, b) -> Tensor:
    a, b = as_tensor(a), as_tensor(b)
    if a.data.ndim != 1 or b.data.ndim != 1:
        raise ShapeError(f"1D tensors expected, but got {a.data.ndim}D and {b.data.ndim}D tensors",
                         hint="dot takes two vectors; use mv for matrix-vector, mm or @ for matrices")
    _same_dtype(a, b, "dot")
    if a.data.shape != b.data.shape:
        raise ShapeError(f"inconsistent tensor size, expected tensor [{a.data.shape[0]}] and src "
                         f"[{b.data.shape[0]}] to have the same number of elements, but got "
                         f"{a.data.shape[0]} and {b.data.shape[0]} elements respectively")
    _no_bool(a, "dot")
    return apply(DOT, (a, b), (a.data, b.data))


def mv(a, b) -> Tensor:
    a, b = as_tensor(a), as_tensor(b)
    if a.data.ndim == 0:
        raise TcalcIndexError("Dimension specified as 0 but tensor has no dimensions")
    if a.data.ndim != 2 or b.data.ndim != 1:
        raise ShapeError(f"vector + matrix @ vector expected, got 1, {a.data.ndim}, {b.data.ndim}")
    if a.data.shape[1] != b.data.shape[0]:
        raise ShapeError(f"size mismatch, got input ({a.data.shape[0]}), mat "
                         f"({_shape_text(a.data.shape)}), vec ({b.data.shape[0]})")
    _no_bool(a, "addmv_impl_cpu")
    if a.dtype is not b.dtype:
        raise DTypeError(f"addmv input tensors must have the same dtype, but got {b.dtype.torch_name}, "
                         f"{a.dtype.torch_name}, and {b.dtype.torch_name}",
                         hint="convert one side, e.g. with .float()")
    return apply(MV, (a, b), (a.data, b.data))


_FLOAT_MATRICES = frozenset(np.dtype(t) for t in (np.float32, np.float64))


def mm(a, b) -> Tensor:
    if type(a) is Tensor and type(b) is Tensor:
        # Two float matrices of one dtype that fit: the checks below, in short
        x, y = a.data, b.data
        if x.ndim == 2 and y.ndim == 2 and x.shape[1] == y.shape[0] and x.dtype == y.dtype \
                and x.dtype in _FLOAT_MATRICES:
            check_elements(x.shape[0] * y.shape[1], "the product")
            return apply(MM, (a, b), (x, y))
    a, b = as_tensor(a), as_tensor(b)
    if a.data.ndim != 2:
        raise ShapeError("self must be a matrix")
    if b.data.ndim != 2:
        raise ShapeError("mat2 must be a matrix")
    if a.data.shape[1] != b.data.shape[0]:
        raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_text(a.data.shape)} "
                         f"and {_shape_text(b.data.shape)})", hint=_product_hint(a, b))
    _same_dtype(a, b, "mm")
    _no_bool(a, "addmm_impl_cpu_")
    check_shape((a.data.shape[0], b.data.shape[1]), "the product")
    return apply(MM, (a, b), (a.data, b.data))


def outer(a, b) -> Tensor:
    a, b = as_tensor(a), as_tensor(b)
    for name, x in (("self", a), ("vec2", b)):
        if x.data.ndim != 1:
            raise ShapeError(f"outer: Expected 1-D argument {name}, but got {x.data.ndim}-D")
    return mul(unsqueeze(a, 1), b)  # as PyTorch: b itself is what the product keeps


# ---- bmm and the fused products (input * beta + product * alpha) -----------------------

def _scaled(g: Tensor, factor) -> Tensor:
    return g if factor == 1 else g * factor


def _bmm_backward(n, g):
    a, b = n.inputs
    return (bmm(g, transpose_last(b)) if n.needs_grad(0) else None,
            bmm(transpose_last(a), g) if n.needs_grad(1) else None)


BMM_OP = Op("BmmBackward0", np.matmul, _bmm_backward, saves=_OTHER_FIRST)


def _check_bmm(a: Tensor, b: Tensor, kernel: str = "bmm") -> None:
    for name, x in (("batch1", a), ("batch2", b)):
        if x.data.ndim != 3:
            raise ShapeError(f"{name} must be a 3D tensor", hint="bmm multiplies batches of matrices "
                             "(b, n, m) @ (b, m, p); matmul or @ broadcasts other shapes")
    (count, _, k), (count2, k2, _) = a.data.shape, b.data.shape
    if (count2, k2) != (count, k):
        raise ShapeError(f"Expected size for first two dimensions of batch2 tensor to be: [{count}, {k}] "
                         f"but got: [{count2}, {k2}].", hint="the batch sizes and the inner sizes must agree")
    _no_bool(a, kernel)
    if a.dtype is not b.dtype:
        raise DTypeError(f"expected scalar type {a.dtype.torch_name} but found {b.dtype.torch_name}",
                         hint="convert one side, e.g. with .float()")
    check_shape((count, a.data.shape[1], b.data.shape[2]), "the product")


def bmm(input, mat2) -> Tensor:
    a, b = as_tensor(input), as_tensor(mat2)
    _check_bmm(a, b)
    return apply(BMM_OP, (a, b), (a.data, b.data))


def _fused_forward(c, a, b, beta, alpha, product):
    """beta * c + alpha * product(a, b); beta = 0 ignores c (nan and inf in it too)."""
    p = product(a, b)
    p = p if alpha == 1 else p * np.asarray(alpha, dtype=p.dtype)
    if beta == 0:
        return np.broadcast_to(p, p.shape).copy()
    return (c if beta == 1 else c * np.asarray(beta, dtype=c.dtype)) + p


def _addmm_backward(n, g):
    _, a, b = n.inputs
    alpha = n.params["alpha"]
    return (_scaled(g, n.params["beta"]) if n.needs_grad(0) else None,
            _scaled(mm(g, t(b)), alpha) if n.needs_grad(1) else None,
            _scaled(mm(t(a), g), alpha) if n.needs_grad(2) else None)


def _addmv_backward(n, g):
    _, a, v = n.inputs
    alpha = n.params["alpha"]
    return (_scaled(g, n.params["beta"]) if n.needs_grad(0) else None,
            _scaled(outer(g, v), alpha) if n.needs_grad(1) else None,
            _scaled(mv(t(a), g), alpha) if n.needs_grad(2) else None)


def _addr_backward(n, g):
    _, u, v = n.inputs
    alpha = n.params["alpha"]
    return (_scaled(g, n.params["beta"]) if n.needs_grad(0) else None,
            _scaled(mv(g, v), alpha) if n.needs_grad(1) else None,
            _scaled(mv(t(g), u), alpha) if n.needs_grad(2) else None)


def _baddbmm_backward(n, g):
    _, a, b = n.inputs
    alpha = n.params["alpha"]
    return (_scaled(g, n.params["beta"]) if n.needs_grad(0) else None,
            _scaled(bmm(g, transpose_last(b)), alpha) if n.needs_grad(1) else None,
            _scaled(bmm(transpose_last(a), g), alpha) if n.needs_grad(2) else None)


def _addbmm_backward(n, g):
    _, a, b = n.inputs
    alpha, count = n.params["alpha"], a.data.shape[0]
    g3 = expand(unsqueeze(g, 0), count, *g.data.shape)
    return (_scaled(g, n.params["beta"]) if n.needs_grad(0) else None,
            _scaled(bmm(g3, transpose_last(b)), alpha) if n.needs_grad(1) else None,
            _scaled(bmm(transpose_last(a), g3), alpha) if n.needs_grad(2) else None)


_FUSED_SAVES = (keep(2, 1), keep(1, 2))
ADDMM = Op("AddmmBackward0", _fused_forward, _addmm_backward, saves=_FUSED_SAVES)
ADDMV = Op("AddmvBackward0", _fused_forward, _addmv_backward, saves=_FUSED_SAVES)
ADDR = Op("AddrBackward0", _fused_forward, _addr_backward, saves=_FUSED_SAVES)
BADDBMM = Op("BaddbmmBackward0", _fused_forward, _baddbmm_backward, saves=_FUSED_SAVES)
ADDBMM = Op("AddbmmBackward0", _fused_forward, _addbmm_backward, saves=_FUSED_SAVES)


def _fused(op, c, a, b, beta, alpha, product, shape):
    """The input c must expand to the product's shape (PyTorch's expand message)."""
    from .shape import expanded_shape

    expanded_shape(c.data.shape, shape, c.dtype)
    check_shape(shape, "the product")
    return apply(op, (c, a, b), (c.data, a.data, b.data), beta=beta, alpha=alpha, product=product)


def addmm(input, mat1, mat2, beta=1, alpha=1) -> Tensor:
    c, a, b = as_tensor(input), as_tensor(mat1), as_tensor(mat2)
    for name, x in (("mat1", a), ("mat2", b)):
        if x.data.ndim != 2:
            raise ShapeError(f"{name} must be a matrix, got {x.data.ndim}-D tensor")
    if a.data.shape[1] != b.data.shape[0]:
        raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_text(a.data.shape)} "
                         f"and {_shape_text(b.data.shape)})", hint=_product_hint(a, b))
    if c.dtype is not b.dtype:
        raise DTypeError(f"self and mat2 must have the same dtype, but got {c.dtype.torch_name} and "
                         f"{b.dtype.torch_name}", hint="convert one side, e.g. with .float()")
    _same_dtype(a, b, "mm")
    _no_bool(a, "addmm_impl_cpu_")
    return _fused(ADDMM, c, a, b, beta, alpha, np.matmul, (a.data.shape[0], b.data.shape[1]))


def addmv(input, mat, vec, beta=1, alpha=1) -> Tensor:
    c, a, v = as_tensor(input), as_tensor(mat), as_tensor(vec)
    if a.data.ndim != 2 or v.data.ndim != 1 or c.data.ndim > 1:
        raise ShapeError(f"vector + matrix @ vector expected, got {c.data.ndim}, {a.data.ndim}, {v.data.ndim}")
    rows = a.data.shape[0]
    if a.data.shape[1] != v.data.shape[0] or c.data.ndim == 1 and c.data.shape[0] not in (1, rows):
        raise ShapeError(f"size mismatch, got input ({c.data.shape[0] if c.data.ndim else 1}), mat "
                         f"({_shape_text(a.data.shape)}), vec ({v.data.shape[0]})")
    if not c.dtype is a.dtype is v.dtype:
        raise DTypeError(f"addmv input tensors must have the same dtype, but got {c.dtype.torch_name}, "
                         f"{a.dtype.torch_name}, and {v.dtype.torch_name}", hint="convert one side, e.g. with .float()")
    _no_bool(a, "addmv_impl_cpu")
    return _fused(ADDMV, c, a, v, beta, alpha, np.matmul, (rows,))


def addr(input, vec1, vec2, beta=1, alpha=1) -> Tensor:
    c, u, v = as_tensor(input), as_tensor(vec1), as_tensor(vec2)
    for name, x in (("vec1", u), ("vec2", v)):
        if x.data.ndim != 1:
            raise ShapeError(f"addr: Expected 1-D argument {name}, but got {x.data.ndim}-D")
    dtype = result_type(c, u, v)
    c, u, v = (to_dtype(x, dtype) for x in (c, u, v))  # addr promotes, unlike addmm
    return _fused(ADDR, c, u, v, beta, alpha, np.outer, (u.data.shape[0], v.data.shape[0]))


def baddbmm(input, batch1, batch2, beta=1, alpha=1) -> Tensor:
    c, a, b = as_tensor(input), as_tensor(batch1), as_tensor(batch2)
    _check_bmm(a, b)
    if c.dtype is not a.dtype or a.dtype is not b.dtype:
        raise DTypeError(f"Input dtypes must be the same, got: input {c.dtype.type_meta}, batch1: "
                         f"{a.dtype.type_meta}, batch2: {b.dtype.type_meta}", hint="convert first, e.g. with .float()")
    shape = (a.data.shape[0], a.data.shape[1], b.data.shape[2])
    return _fused(BADDBMM, c, a, b, beta, alpha, np.matmul, shape)


def addbmm(input, batch1, batch2, beta=1, alpha=1) -> Tensor:
    c, a, b = as_tensor(input), as_tensor(batch1), as_tensor(batch2)
    for name, x in (("batch1", a), ("batch2", b)):
        if x.data.ndim != 3:
            raise ShapeError(f"{name} must be a 3D tensor")
    if a.data.shape[0] != b.data.shape[0]:
        raise ShapeError(f"batch1 and batch2 must have same number of batches, got {a.data.shape[0]} and "
                         f"{b.data.shape[0]}")
    _check_bmm(a, b, "addbmm")
    return _fused(ADDBMM, c, a, b, beta, alpha, lambda x, y: np.matmul(x, y).sum(axis=0),
                  (a.data.shape[1], b.data.shape[2]))


# ---- kron, cross, inner, vecdot, multi_dot ------------------------------------------------

def _kron_backward(n, g):
    """kron's result, seen as (a1, b1, a2, b2, ...), is a * b with interleaved letters."""
    a, b = n.inputs
    nd = max(a.data.ndim, b.data.ndim)
    sa = (1,) * (nd - a.data.ndim) + a.data.shape
    sb = (1,) * (nd - b.data.ndim) + b.data.shape
    g4 = reshape(g, *[n for pair in zip(sa, sb) for n in pair])
    la, lb = "abcdefghijklm"[:nd], "nopqrstuvwxyz"[:nd]
    both = "".join(x + y for x, y in zip(la, lb))
    ga = reshape(einsum(f"{both},{lb}->{la}", g4, reshape(to_dtype(b, g.dtype), *sb)),
                 *a.data.shape) if n.needs_grad(0) else None
    gb = reshape(einsum(f"{both},{la}->{lb}", g4, reshape(to_dtype(a, g.dtype), *sa)),
                 *b.data.shape) if n.needs_grad(1) else None
    return (ga, gb)


KRON = Op("UnsafeViewBackward0", lambda a, b, dtype: np.kron(a, b).astype(dtype, copy=False),
          _kron_backward, saves=_OTHER_FIRST)


def kron(a, b) -> Tensor:
    for position, (name, x) in enumerate((("input", a), ("other", b)), 1):
        if type(x) is not Tensor:
            raise TcalcTypeError(f"kron(): argument '{name}' (position {position}) must be Tensor, "
                                 f"not {type_name(x)}")
    nd = max(a.data.ndim, b.data.ndim)
    sa = (1,) * (nd - a.data.ndim) + a.data.shape
    sb = (1,) * (nd - b.data.ndim) + b.data.shape
    check_shape(tuple(x * y for x, y in zip(sa, sb)), "kron's result")
    dtype = result_type(a, b)
    return apply(KRON, (a, b), (a.data, b.data), dtype=dtype.numpy)


def _cross_backward(n, g):
    a, b = n.inputs
    dim = n.params["dim"]
    return (_cross(b, g, dim) if n.needs_grad(0) else None,
            _cross(g, a, dim) if n.needs_grad(1) else None)


CROSS = Op("LinalgCrossBackward0", lambda a, b, dim: np.cross(a, b, axis=dim), _cross_backward,
           saves=_OTHER_FIRST)


def _cross(a: Tensor, b: Tensor, dim: int) -> Tensor:
    return apply(CROSS, (a, b), (a.data, b.data), dim=dim)


def _check_cross(a: Tensor, b: Tensor) -> tuple:
    if a.data.ndim != b.data.ndim:
        raise ShapeError("linalg.cross: inputs must have the same number of dimensions.",
                         hint="unsqueeze the smaller one: its batch dims then broadcast")
    if a.dtype is not b.dtype:
        raise DTypeError(f"expected scalar type {a.dtype.torch_name} but found {b.dtype.torch_name}",
                         hint="convert one side, e.g. with .float()")
    return broadcast_shape(a.data.shape, b.data.shape)


def linalg_cross(input, other, dim=-1) -> Tensor:
    a, b = as_tensor(input), as_tensor(other)
    shape = _check_cross(a, b)
    if not shape:
        raise TcalcIndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    axis = normalize_dim(dim, len(shape))
    if a.data.shape[axis] != 3 or b.data.shape[axis] != 3:
        raise ShapeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                         f"{a.data.shape[axis]} and {b.data.shape[axis]}")
    return _cross(a, b, axis - len(shape))


def cross(input, other, dim=None) -> Tensor:
    """torch.cross: without dim, the first dim of size 3 (PyTorch's deprecated default)."""
    a, b = as_tensor(input), as_tensor(other)
    shape = _check_cross(a, b)
    if dim is None:
        if 3 not in shape:
            raise ShapeError("no dimension of size 3 in input", hint="cross products are of 3-vectors")
        dim = shape.index(3)
    return linalg_cross(a, b, dim)


def inner(input, other) -> Tensor:
    for position, (name, x) in enumerate((("input", input), ("other", other)), 1):
        if type(x) is not Tensor:
            raise TcalcTypeError(f"inner(): argument '{name}' (position {position}) must be Tensor, "
                                 f"not {type_name(x)}")
    a, b = input, other
    if a.data.ndim == 0 or b.data.ndim == 0:
        return mul(a, b)
    if a.data.shape[-1] != b.data.shape[-1]:
        raise ShapeError(f"inner() the last dimension must match on both input tensors but got shapes "
                         f"{list(a.data.shape)} and {list(b.data.shape)}")
    if a.dtype is not b.dtype:
        raise DTypeError("both inputs should have same dtype", hint="convert one side, e.g. with .float()")
    return einsum("...i,...i", a, b) if a.data.ndim == b.data.ndim == 1 else \
        einsum(f"{_letters(a, 'A')}i,{_letters(b, 'a')}i->{_letters(a, 'A')}{_letters(b, 'a')}", a, b)


def _letters(x: Tensor, first: str) -> str:
    start = ord(first)
    return "".join(chr(start + i) for i in range(x.data.ndim - 1))


def vecdot(x, y, dim=-1) -> Tensor:
    """torch.linalg.vecdot: sum(x * y, dim), as PyTorch computes it."""
    a, b = as_tensor(x), as_tensor(y)
    if a.dtype is not b.dtype:
        raise DTypeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                         f"{a.dtype.torch_name} and y of type {b.dtype.torch_name} instead",
                         hint="convert one side, e.g. y.to(x.dtype)")
    if not a.dtype.is_floating_point:
        raise DTypeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got "
                         f"{a.dtype.torch_name}", hint="convert first, e.g. x.float()")
    from .reduce import sum as tensor_sum

    return tensor_sum(mul(a, b), dim)


def multi_dot(tensors) -> Tensor:
    """torch.linalg.multi_dot: a chain of products (the first and last may be vectors)."""
    if type(tensors) not in (list, tuple) or any(type(x) is not Tensor for x in tensors):
        raise TcalcTypeError(f"linalg_multi_dot(): argument 'tensors' (position 1) must be tuple of Tensors, "
                             f"not {type_name(tensors)}", hint="multi_dot([A, B, C])")
    if len(tensors) < 2:
        raise TcalcValueError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    last = len(tensors) - 1
    for i, x in enumerate(tensors):
        allowed = (1, 2) if i in (0, last) else (2,)
        if x.data.ndim not in allowed:
            which = "first" if i == 0 else "last" if i == last else None
            if which:
                raise ShapeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got {x.data.ndim}D")
            raise ShapeError(f"multi_dot(): tensor {i} must be 2D but got {x.data.ndim}D")
        if x.dtype is not tensors[0].dtype:
            raise DTypeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                             f"{tensors[0].dtype.type_meta} and tensor {i} {x.dtype.type_meta}")
    for i in range(last):
        if tensors[i].data.shape[-1] != tensors[i + 1].data.shape[0]:
            shapes = [list(x.data.shape) for x in tensors[i:i + 2]]
            raise ShapeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {shapes[0]} and {shapes[1]} "
                             "cannot be multiplied")
    # Tensor i is a matrix of letters (i, i + 1); a vector at either end keeps only its inner one.
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if len(tensors) >= len(letters):
        raise TcalcValueError(f"multi_dot(): tcalc multiplies at most {len(letters) - 1} tensors in one chain")
    terms = [letters[i:i + 2] for i in range(len(tensors))]
    if tensors[0].data.ndim == 1:
        terms[0] = terms[0][1]
    if tensors[-1].data.ndim == 1:
        terms[-1] = terms[-1][0]
    output = (letters[0] if tensors[0].data.ndim == 2 else "") + \
        (letters[len(tensors)] if tensors[-1].data.ndim == 2 else "")
    return einsum(",".join(terms) + "->" + output, *tensors)


def _batched_matmul_backward(n, g):
    """A 1-d operand acts as a row (left) or a column (right); the engine sums the batch
    dims of each gradient back to its operand's shape."""
    a, b = n.inputs
    left = a if a.data.ndim > 1 else unsqueeze(a, 0)
    right = b if b.data.ndim > 1 else unsqueeze(b, -1)
    if a.data.ndim == 1:
        g = unsqueeze(g, -2)
    if b.data.ndim == 1:
        g = unsqueeze(g, -1)
    grad_a = matmul(g, transpose_last(right)) if n.needs_grad(0) else None
    grad_b = matmul(transpose_last(left), g) if n.needs_grad(1) else None
    if grad_a is not None and a.data.ndim == 1:
        grad_a = squeeze(grad_a, -2)
    if grad_b is not None and b.data.ndim == 1:
        grad_b = squeeze(grad_b, -1)
    return (grad_a, grad_b)


# PyTorch folds a batch into matrix rows (or reshapes it to one batch dim) and keeps that: a
# view of the operand, of shape params["shapes"][i] (or a copy, see matmul).
BMM = Op("UnsafeViewBackward0", lambda a, b, shapes: np.matmul(a, b), _batched_matmul_backward,
         saves=(keep(1, 0, folded=True), keep(0, 1, folded=True)))
BMV = Op("UnsafeViewBackward0", BMM.forward, _batched_matmul_backward,  # a batch times a vector, a matrix times a batch
         saves=(keep(0, 1, folded=True), keep(1, 0, folded=True)))


def transpose_last(x: Tensor) -> Tensor:
    return transpose(x, -1, -2)


def matmul(a, b) -> Tensor:
    """`@`: dot, mv, mm or a batched product, by the operands' dims (as torch.matmul)."""
    if type(a) is Tensor and type(b) is Tensor and a.data.ndim == 2 and b.data.ndim == 2:
        return mm(a, b)
    a, b = as_tensor(a), as_tensor(b)
    if a.data.ndim == 0 or b.data.ndim == 0:
        raise ShapeError(f"both arguments to matmul need to be at least 1D, but they are "
                         f"{a.data.ndim}D and {b.data.ndim}D")
    if a.data.ndim == 1 and b.data.ndim == 1:
        return dot(a, b)
    if a.data.ndim == 2 and b.data.ndim == 1:
        return mv(a, b)
    if a.data.ndim == 2 and b.data.ndim == 2:
        return mm(a, b)
    if a.data.ndim == 1 and b.data.ndim == 2:
        _check_inner((1,) + a.data.shape, b.data.shape)
        row = mm(unsqueeze(a, 0), b)  # the vector as a one-row matrix
        return apply(SQUEEZE_ROW, (row,), (row.data,))  # its one row: PyTorch's SqueezeBackward4
    _check_batched(a, b)
    folds = b.data.ndim <= 2 or a.data.ndim <= 2
    shapes = (_kept_shape(a, folds), _kept_shape(b, folds))
    if is_grad_enabled():
        # PyTorch keeps a copy when the reshape cannot be a view (an expanded batch): so
        # does tcalc, in the graph, so that changing the operand later changes nothing.
        a, b = (clone(x) if shape is None and other.requires_grad else x
                for x, shape, other in ((a, shapes[0], b), (b, shapes[1], a)))
    return apply(BMV if b.data.ndim == 1 or a.data.ndim <= 2 else BMM, (a, b), (a.data, b.data), shapes=shapes)


def _kept_shape(x: Tensor, folds: bool):
    """The shape of the view of x that PyTorch's matmul keeps, None if it needs a copy:
    x's rows (folded with the other operand a matrix or vector), else one batch dim."""
    shape = x.data.shape
    if len(shape) <= 2:
        return shape
    kept = (int(np.prod(shape[:-1])), shape[-1]) if folds else (int(np.prod(shape[:-2])),) + shape[-2:]
    return kept if is_view_compatible(x.data, kept) else None


def _check_batched(a: Tensor, b: Tensor) -> None:
    """PyTorch folds a batch times a matrix or vector into one mm or mv, and runs bmm
    otherwise; each path has its own messages."""
    sa, sb = a.data.shape, b.data.shape
    if b.data.ndim <= 2:  # folded: (batch * rows, k) times (k, n) or (k,)
        rows = int(np.prod(sa[:-1]))
        if b.data.ndim == 1:
            if sa[-1] != sb[0]:
                raise ShapeError(f"size mismatch, got input ({rows}), mat ({rows}x{sa[-1]}), vec ({sb[0]})")
            _no_bool(a, "addmv_impl_cpu")
            if a.dtype is not b.dtype:
                raise DTypeError(f"addmv input tensors must have the same dtype, but got "
                                 f"{b.dtype.torch_name}, {a.dtype.torch_name}, and {b.dtype.torch_name}",
                                 hint="convert one side, e.g. with .float()")
            return
        _no_bool(a, "addmm_impl_cpu_")
        _check_inner((rows, sa[-1]), sb)
        _same_dtype(a, b, "mm")
        return
    batch = broadcast_shape(sa[:-2], sb[:-2]) if a.data.ndim > 1 else sb[:-2]
    _no_bool(a, "bmm")
    if a.dtype is not b.dtype:
        raise DTypeError(f"expected scalar type {a.dtype.torch_name} but found {b.dtype.torch_name}",
                         hint="convert one side, e.g. with .float()")
    k = sa[-1]
    if sb[-2] != k:
        count = int(np.prod(batch))
        raise ShapeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                         f"[{count}, {k}] but got: [{count}, {sb[-2]}].",
                         hint="the inner sizes must agree; transpose one side with .mT?")
    rows = sa[-2] if a.data.ndim > 1 else 1
    check_shape(tuple(batch) + (rows, sb[-1]), "the product")


def _no_bool(x: Tensor, kernel: str) -> None:
    if x.dtype.name == "bool":
        raise DTypeError(f"\"{kernel}\" not implemented for 'Bool'")


def _check_inner(sa, sb) -> None:
    if sa[-1] != sb[-2]:
        raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_text(sa)} and "
                         f"{_shape_text(sb)})", hint=_product_hint(sa, sb))


def _product_hint(a, b) -> str | None:
    """The hint `a @ b` gets, for mm(a, b) and matmul(a, b) too (one owner: tcalc.shape_hints)."""
    shape_a, shape_b = (x.data.shape if type(x) is Tensor else tuple(x) for x in (a, b))
    return broadcast_hint("@", shape_a, shape_b)


def _squeeze_row_backward(n, g):
    return (unsqueeze(g, 0),)


SQUEEZE_ROW = Op("SqueezeBackward4", lambda a: a[0], _squeeze_row_backward, saves=False, view=True)


# ---- trace and torch.linalg --------------------------------------------------------------

def _trace_backward(n, g):
    shape = n.inputs[0].data.shape
    return (g * Tensor(np.eye(*shape, dtype=g.data.dtype)),)


TRACE = Op("TraceBackward0", lambda a, dtype: np.asarray(np.trace(a, dtype=dtype)), _trace_backward,
           saves=False)


def trace(x) -> Tensor:
    x = as_tensor(x)
    if x.data.ndim != 2:
        raise ShapeError(f"trace: expected a matrix, but got tensor with dim {x.data.ndim}")
    if x.dtype.name == "bool":
        raise DTypeError("\"trace\" not implemented for 'Bool'")
    dtype = x.data.dtype if x.dtype.is_floating_point else np.int64  # sums of ints are int64
    return apply(TRACE, (x,), (x.data,), dtype=dtype)


def _square_float(x: Tensor, name: str) -> None:
    """linalg's checks, in PyTorch's order and words (solve checks the dtype first)."""
    if name == "solve":
        _floating(x, name)
    if x.data.ndim < 2:
        raise ShapeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    rows, cols = x.data.shape[-2:]
    if rows != cols:
        raise ShapeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                         f"{rows} by {cols} matrices")
    _floating(x, name)


def _floating(x: Tensor, name: str) -> None:
    if not x.dtype.is_floating_point:
        raise DTypeError(f"linalg.{name}: Expected a floating point or complex tensor as input. "
                         f"Got {x.dtype.torch_name}", hint="convert first, e.g. A.float()")
    if x.dtype.name == "float16" and name in HALF_REFUSALS:
        refuse_half(x, HALF_REFUSALS[name])


def _kernel(name: str) -> str:
    return f"\"{name}\" not implemented for 'Half'"


# What PyTorch's CPU build says to a float16 matrix, by function (LAPACK has no half).
HALF_REFUSALS = {
    "inv": "linalg.inv: Low precision dtypes not supported. Got Half",
    "slogdet": "linalg.slogdet: Low precision dtypes not supported. Got Half",
    "logdet": "logdet: Low precision dtypes not supported. Got Half",
    "det": _kernel("lu_cpu"), "solve": _kernel("lu_cpu"), "lu": _kernel("lu_cpu"),
    "svd": _kernel("linalg_svd_cpu"), "cond": _kernel("linalg_svd_cpu"), "eigh": _kernel("linalg_eigh_cpu"),
    "qr": _kernel("geqrf_cpu"), "cholesky": _kernel("cholesky_cpu"),
    "solve_triangular": _kernel("triangular_solve_cpu"),
    "lstsq": "This function doesn't handle types other than float and double",
}


def refuse_half(x: Tensor, message: str) -> None:
    if x.dtype.name == "float16":
        raise DTypeError(message, hint="LAPACK has no float16: convert first, e.g. A.float()")


def _singular_pivot(a: np.ndarray) -> str:
    """Where LU with partial pivoting first meets a zero pivot (LAPACK's info), in PyTorch's
    words: 'The diagonal element 2', after '(Batch element 1): ' for a batch. Only runs when
    inversion has already failed."""
    for i, matrix in enumerate(a.reshape(-1, *a.shape[-2:])):
        pivot = _zero_pivot(matrix)
        if pivot:
            element = f"The diagonal element {pivot}"
            return f"(Batch element {i}): {element}" if a.ndim > 2 else element
    return f"The diagonal element {a.shape[-1]}"


def _zero_pivot(matrix: np.ndarray) -> int:
    """The 1-based index of the first zero pivot of a finite matrix, 0 if there is none."""
    if not np.isfinite(matrix).all():
        return 0
    u = matrix.astype(np.float64)  # a copy: eliminated in place below
    for k in range(u.shape[0]):  # n steps of vectorized elimination
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1:, k:] -= np.outer(u[k + 1:, k] / u[k, k], u[k, k:])
    return 0


def _nan_where_not_finite(function, a, *rest):
    """LAPACK calls a matrix holding nan or inf singular; PyTorch answers nan for it. So
    solve the finite matrices (identity in place of the others) and put nan in the rest."""
    bad = ~np.isfinite(a).all(axis=(-2, -1))
    if not bad.any():
        return None
    out = function(np.where(bad[..., None, None], np.eye(a.shape[-1], dtype=a.dtype), a), *rest)
    return np.where(bad.reshape(bad.shape + (1,) * (out.ndim - bad.ndim)), np.nan, out).astype(out.dtype)


def _inv_forward(a):
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        out = _nan_where_not_finite(_inv_forward, a)
        if out is not None:
            return out
        raise TcalcValueError(
            f"linalg.inv: {_singular_pivot(a)} is zero, the inversion could "
            "not be completed because the input matrix is singular.",
            hint="a singular matrix has no inverse; check det(A), or use linalg.solve") from None


INV = Op("LinalgInvExBackward0", _inv_forward,
         lambda n, g: (-matmul(transpose_last(n.output), matmul(g, transpose_last(n.output))),),
         saves=(keep(OUT),))


def inv(x) -> Tensor:
    x = as_tensor(x)
    _square_float(x, "inv")
    return apply(INV, (x,), (x.data,))


def _adjugate_transpose(a: np.ndarray) -> np.ndarray:
    """d det(A) / dA = adj(A)^T, from the SVD so that it is defined for singular A too."""
    u, s, vt = np.linalg.svd(a)
    others = np.empty_like(s)
    for i in range(s.shape[-1]):  # product of the other singular values: n is small
        others[..., i] = np.prod(np.delete(s, i, axis=-1), axis=-1)
    sign = np.linalg.det(u) * np.linalg.det(vt)
    adj = np.swapaxes(vt, -1, -2) @ (others[..., :, None] * np.swapaxes(u, -1, -2))
    return np.swapaxes(adj * sign[..., None, None], -1, -2)


def _det_backward(n, g):
    a = n.inputs[0]
    scale = unsqueeze(unsqueeze(g, -1), -1)
    if np.all(n.output.data != 0):
        # det(A) * A^-T, written with tcalc ops so that it differentiates again.
        return (scale * unsqueeze(unsqueeze(n.output, -1), -1) * transpose_last(inv(a)),)
    # At a singular matrix PyTorch's formula still multiplies by det(A) = 0: its gradient is
    # zero there (signed like the adjugate), not the adjugate itself. Matched, not improved.
    det_scale = unsqueeze(unsqueeze(n.output, -1), -1)
    return (scale * det_scale * Tensor(_adjugate_transpose(a.data).astype(a.data.dtype)),)


def _det_forward(a):
    det = np.asarray(np.linalg.det(a))
    nan = np.isnan(a).any(axis=(-2, -1))  # LAPACK may give 0 for a matrix holding nan
    return np.where(nan, np.nan, det).astype(det.dtype) if nan.any() else det


DET = Op("LinalgDetBackward0", _det_forward, _det_backward, saves=(keep(0), keep(OUT)))


def det(x) -> Tensor:
    x = as_tensor(x)
    _square_float(x, "det")
    return apply(DET, (x,), (x.data,))


def _solve_forward(a, b, vector, left=True):
    if not left:  # X A = B is A^T X^T = B^T (B is a matrix: solve_operands refuses vectors)
        return np.swapaxes(_solve_forward(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), False), -1, -2)
    try:
        if vector:
            return np.linalg.solve(a, b[..., None])[..., 0]
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        out = _nan_where_not_finite(lambda m: _solve_forward(m, b, vector), a)
        if out is not None:
            return out
        raise TcalcValueError("torch.linalg.solve: The solver failed because the input matrix is "
                              "singular.", hint="a singular A has no unique solution; check det(A)") from None


def _solve_backward(n, g):
    a, b = n.inputs
    x = n.output
    vector = n.params["vector"]
    if not n.params.get("left", True):  # X = B A^-1
        grad_b = transpose_last(solve(a, transpose_last(g)))
        return (-matmul(transpose_last(x), grad_b), grad_b)
    grad_b = solve(transpose_last(a), g)
    if vector:
        grad_a = -matmul(unsqueeze(grad_b, -1), unsqueeze(x, -2))
    else:
        grad_a = -matmul(grad_b, transpose_last(x))
    return (grad_a, grad_b)


SOLVE = Op("LinalgSolveExBackward0", _solve_forward, _solve_backward, saves=(keep(0), keep(OUT)))


def solve(A, B, *, left=True) -> Tensor:
    """X with A @ X = B (X @ A = B for left=False); B may be a vector (or a batch of
    vectors) as in torch.linalg.solve."""
    a, b, vector = solve_operands(A, B, left)
    return apply(SOLVE, (a, b), (a.data, b.data), vector=vector, left=bool(left))


def solve_operands(a, b, left=True) -> tuple[Tensor, Tensor, bool]:
    """solve's checks, in PyTorch's order and words; and whether B is a vector."""
    a, b = as_tensor(a), as_tensor(b)
    _floating(a, "solve")
    if a.dtype is not b.dtype:
        raise DTypeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                         f"{a.dtype.torch_name} and B of type {b.dtype.torch_name} instead",
                         hint="convert one side, e.g. B.to(A.dtype)")
    _square_float(a, "solve")
    if b.data.ndim == 0:
        raise ShapeError("linalg.solve: The input tensor B must have at least 2 dimensions.")
    n = a.data.shape[-1]
    # B is a vector when it is 1-D, or when it has one dim less than A and matches A's batch;
    # a vector is a column, so X A = B has no room for one.
    vector = b.data.ndim == 1 or (b.data.ndim == a.data.ndim - 1 and b.data.shape == a.data.shape[:-1])
    if left:
        fits = (b.data.shape[-1] if vector else b.data.shape[-2]) == n
    else:
        fits = not vector and b.data.shape[-1] == n
    if not fits:
        shape_b = f"{b.data.shape[-1]}x1" if vector else _shape_text(b.data.shape[-2:])
        raise ShapeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                         f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {shape_b})")
    return a, b, vector


def _svdvals_forward(a):
    try:
        return np.linalg.svd(a, compute_uv=False)
    except np.linalg.LinAlgError:
        raise TcalcValueError("linalg.svd: The algorithm failed to converge because the input matrix "
                              "contained non-finite values.", hint="check the matrix for nan and inf") from None


SVDVALS = Op("LinalgSvdBackward0", _svdvals_forward, None)  # no gradient: used when none is wanted


def svdvals(x: Tensor) -> Tensor:
    """The singular values of the matrices in x (the last two dims), largest first. As in
    PyTorch, the singular vectors are computed only when a gradient will need them."""
    x = as_tensor(x)
    if x.data.ndim < 2:
        raise ShapeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    _floating(x, "svd")
    if x.requires_grad and is_grad_enabled():
        from .decompositions import svd  # built on this module's products

        return svd(x, full_matrices=False).S
    return apply(SVDVALS, (x,), (x.data,))
