"""Norms: of the elements (vector_norm, norm), of matrices (matrix_norm, composed of
reductions as PyTorch composes it, so the grad_fn names agree), and linalg.norm, which picks
one of the two."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import OUT, Op, apply, keep
from ..errors import DTypeError, ShapeError, TcalcTypeError, TcalcValueError
from ..tensor import Tensor
from ..values import type_name
from ._base import as_tensor, normalize_dim
from .convert import to_dtype
from .creation import zeros_like
from .elementwise import abs as tensor_abs
from .elementwise import sign
from .joining import cat
from .linalg import svdvals
from .reduce import amax, amin, dims_of, expand_reduced, sum
from .shape import permute, unsqueeze

# ---- norms of the elements ----------------------------------------------------------------

def _vector_norm_forward(a, p, axes, keepdim):
    if a.dtype == np.float16:
        # PyTorch accumulates a float16 norm in float32 and rounds once: the squares of
        # values above 256 do not overflow on the way.
        return _vector_norm_forward(a.astype(np.float32), p, axes, keepdim).astype(np.float16)
    if p == 0:  # the number of non-zero elements
        return np.asarray(np.count_nonzero(a, axis=axes, keepdims=keepdim)).astype(a.dtype)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim, dtype=a.dtype))
    if p == float("inf"):
        return np.max(np.abs(a), axis=axes, keepdims=keepdim)
    if p == -float("inf"):
        return np.min(np.abs(a), axis=axes, keepdims=keepdim)
    if p == 1:
        return np.sum(np.abs(a), axis=axes, keepdims=keepdim, dtype=a.dtype)
    return np.power(np.sum(np.abs(a) ** p, axis=axes, keepdims=keepdim, dtype=a.dtype), 1.0 / p)


def _vector_norm_backward(n, g):
    x, p = n.inputs[0], n.params["p"]
    axes, keepdim = n.params["axes"], n.params["keepdim"]
    out = expand_reduced(n.output, x.data.shape, axes, keepdim)
    g = expand_reduced(g, x.data.shape, axes, keepdim)
    if p == 2:
        # d|x|/dx = x / |x|, taken as 0 where the norm is 0 (PyTorch's subgradient: x is 0
        # there too, so dividing by 1 instead gives it). `out` stays in the graph, so that a
        # second derivative sees the norm depend on x.
        zero = out.data == 0
        return (g * x / (out + Tensor(zero.astype(out.data.dtype))) if zero.any() else g * x / out,)
    if p == 1:
        return (g * sign(x),)
    if p == 0:
        return (g * 0,)
    if p in (float("inf"), -float("inf")):  # to the elements of largest size, shared evenly between ties
        hit = np.abs(x.data) == out.data
        count = np.sum(hit, axis=axes, keepdims=True) if axes is not None else np.sum(hit)
        return (g * sign(x) * Tensor((hit / count).astype(x.data.dtype)),)
    return (g * sign(x) * tensor_abs(x) ** (p - 1) / out ** (p - 1),)


# PyTorch keeps the input and the result.
VECTOR_NORM = Op("LinalgVectorNormBackward0", _vector_norm_forward, _vector_norm_backward,
                 saves=(keep(0), keep(OUT)))


def vector_norm(x, ord=2, dim=None, keepdim=False, dtype=None) -> Tensor:
    """torch.linalg.vector_norm: the norm of the elements over `dim` (all of them by default)."""
    x = as_tensor(x)
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TcalcTypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                             f"{type_name(ord)}", hint="matrix norms ('fro', 'nuc') are linalg.matrix_norm's")
    if not x.dtype.is_floating_point:
        raise DTypeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {x.dtype.torch_name}", hint="convert first: norm(x.float())")
    _check_dtype("linalg.vector_norm", x, dtype)
    if dtype is not None:
        x = to_dtype(x, dtype)
    axes = dims_of(dim, x.data.ndim)
    return apply(VECTOR_NORM, (x,), (x.data,), p=float(ord), axes=axes, keepdim=bool(keepdim))


def _check_dtype(function: str, x: Tensor, dtype) -> None:
    """dtype=: a float dtype that holds x's values without narrowing them."""
    if dtype is None:
        return
    if not dtype.is_floating_point:
        raise DTypeError(f"{function}: dtype should be floating point or complex, but got {dtype.torch_name}")
    if np.dtype(dtype.numpy).itemsize < x.data.dtype.itemsize:
        raise DTypeError(f"{function}: the dtype of the input ({x.dtype.torch_name}) should be "
                         f"convertible without narrowing to the specified dtype ({dtype.torch_name})",
                         hint=f"convert the input instead: x.to({dtype!r})")


def norm(x, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
    """torch.norm: a number p is a vector norm over `dim` (even over two dims); 'fro' is the
    2-norm of the elements; 'nuc' (or a bad string) goes to linalg.matrix_norm."""
    x = as_tensor(x)
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(x, 2, dim, keepdim, dtype)
        return matrix_norm(x, p, tuple(range(x.data.ndim)) if dim is None else dim, keepdim, dtype)
    return vector_norm(x, 2 if p is None else p, dim, keepdim, dtype)


# ---- matrix norms ------------------------------------------------------------------------

def _dims_text(dims) -> str:
    return " ".join(str(d) for d in dims)  # how C++ prints a vector of dims


def matrix_norm(x, ord="fro", dim=(-2, -1), keepdim=False, dtype=None) -> Tensor:
    """torch.linalg.matrix_norm, composed as PyTorch composes it (so the grad_fn names agree):
    'fro' is a vector 2-norm; 'nuc', 2, -2 reduce the singular values; 1, -1 (inf, -inf) take
    the largest (smallest) absolute column (row) sum."""
    x = as_tensor(x)
    if ord not in ("fro", "nuc") and (isinstance(ord, str) or abs(ord) not in (1, 2, float("inf"))):
        raise TcalcValueError(f"linalg.matrix_norm: Order {ord if isinstance(ord, str) else f'{ord:g}'} "
                              "not supported.", hint="matrix norms: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf")
    if x.data.ndim < 2:
        raise ShapeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.",
                         hint="for a vector use linalg.vector_norm(x, ord)")
    if not x.dtype.is_floating_point:
        raise DTypeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as input. "
                         f"Got {x.dtype.torch_name}", hint="convert first, e.g. A.float()")
    dims = [dim] if isinstance(dim, int) else list(dim)
    if len(dims) != 2:
        raise ShapeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {_dims_text(dims)}")
    d0, d1 = (normalize_dim(d, x.data.ndim) for d in dims)
    if d0 == d1:
        raise ShapeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    _check_dtype("linalg.matrix_norm", x, dtype)
    if ord == "fro":
        return vector_norm(x, 2, (d0, d1), keepdim, dtype)
    extreme = amax if ord == "nuc" or ord > 0 else amin
    if ord in ("nuc", 2, -2):
        if dtype is not None:
            x = to_dtype(x, dtype)
        order = [d for d in range(x.data.ndim) if d not in (d0, d1)] + [d0, d1]
        values = svdvals(permute(x, *order))
        if ord == 2 and values.data.shape[-1] == 0:  # PyTorch's 2-norm of an empty matrix is 0
            values = cat((values, zeros_like(sum(values, -1, True))), -1)
        result = sum(values, -1, keepdim) if ord == "nuc" else extreme(values, -1, keepdim)
        if keepdim:
            result = permute(unsqueeze(result, -1), *np.argsort(order).tolist())
        return result
    if abs(ord) == float("inf"):  # the inf-norm is the 1-norm of the transpose
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    return extreme(vector_norm(x, 1, d0, keepdim, dtype), d1, keepdim)


def linalg_norm(x, ord=None, dim=None, keepdim=False, dtype=None) -> Tensor:
    """torch.linalg.norm: a matrix norm for a string ord, for two dims, or for a matrix with
    an ord and no dim; otherwise a vector norm (the 2-norm of all elements without ord)."""
    x = as_tensor(x)
    dims = None if dim is None else [dim] if isinstance(dim, int) else list(dim)
    if dims is not None and len(dims) not in (1, 2):
        raise ShapeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dims}")
    if dims is None and ord is not None and x.data.ndim not in (1, 2):
        raise ShapeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or "
                         f"2D. Got {x.data.ndim}D.")
    if ord is not None and (isinstance(ord, str) or (len(dims) == 2 if dims is not None else x.data.ndim == 2)):
        return matrix_norm(x, ord, dims if dims is not None else (0, 1), keepdim, dtype)
    return vector_norm(x, 2 if ord is None else ord, dim, keepdim, dtype)


_NORM_PARAMETERS = ("ord", "dim", "keepdim", "dtype")


def linalg_norm_call(*args, **kwargs) -> Tensor:
    """torch.linalg.norm: a vector's norm, or a matrix's (ord 'fro', 'nuc', 1, -1, 2, -2,
    inf or -inf, over two dims). Its arguments are read as PyTorch's argument parser reads
    them: one of a type no overload of linalg_norm accepts is refused in its words."""
    if not args or type(args[0]) is not Tensor:
        raise TcalcTypeError("linalg_norm(): argument 'input' (position 1) must be Tensor, not "
                             f"{type_name(args[0]) if args else 'nothing'}")
    named = dict(zip(_NORM_PARAMETERS, args[1:]))
    fits = len(args) <= 1 + len(_NORM_PARAMETERS) and not (set(kwargs) - set(_NORM_PARAMETERS)) \
        and not (set(kwargs) & set(named))
    named.update(kwargs)
    ord, dim = named.get("ord"), named.get("dim")
    fits = fits and (ord is None or isinstance(ord, (bool, int, float, str)) or _zero_dim(ord))
    fits = fits and type(named.get("keepdim", False)) is bool
    fits = fits and (named.get("dtype") is None or isinstance(named.get("dtype"), dtypes.DType))
    fits = fits and (dim is None or _int_like(dim) or (isinstance(dim, (tuple, list)) and
                                                        (not dim or _int_like(dim[0]))))
    if not fits:
        given = [type_name(a) for a in args] + [f"{k}={type_name(v)}" for k, v in kwargs.items()]
        raise TcalcTypeError(f"linalg_norm() received an invalid combination of arguments - got "
                             f"({', '.join(given)}), but expected one of:",
                             hint="linalg.norm(A, ord=None, dim=None, keepdim=False, *, dtype=None): ord a "
                                  "number or 'fro' / 'nuc', dim an int or a tuple of ints")
    if isinstance(dim, (tuple, list)):
        for i, d in enumerate(dim):
            if not _int_like(d):
                raise TcalcTypeError(f"linalg_norm(): argument 'dim' failed to unpack the object at pos "
                                     f'{i + 1} with error "type must be tuple of ints,but got {type_name(d)}"')
        named["dim"] = tuple(_as_int(d) for d in dim)
    elif dim is not None:
        named["dim"] = _as_int(dim)
    if type(ord) is Tensor:
        named["ord"] = ord.data.item()
    return linalg_norm(args[0], **named)


linalg_norm_call.__wrapped__ = linalg_norm  # help and completion show linalg_norm's parameters


def _zero_dim(value) -> bool:
    return type(value) is Tensor and value.data.ndim == 0


def _int_like(value) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or \
        (_zero_dim(value) and value.dtype.category == dtypes.INT)


def _as_int(value) -> int:
    return int(value.data) if type(value) is Tensor else value
