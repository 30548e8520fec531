"""Reductions over all elements or over dims, and sum_to (the broadcast-gradient helper)."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import Op, apply
from ..errors import DTypeError, TcalcTypeError
from ..tensor import Tensor
from ._base import as_tensor, normalize_dim


def dims_of(dim, ndim: int) -> tuple[int, ...] | None:
    """`dim` as a tuple of non-negative axes; None means every dim."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        axes = tuple(normalize_dim(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            raise TcalcTypeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return axes
    return (normalize_dim(dim, ndim),)


def _expand_reduced(g: Tensor, shape: tuple, axes, keepdim: bool) -> Tensor:
    """Undo a reduction's shape on its gradient: put back the reduced dims, then broadcast."""
    from .shape import expand, reshape

    if axes is not None and not keepdim:
        kept = list(g.data.shape)
        for a in sorted(axes):
            kept.insert(a, 1)
        g = reshape(g, tuple(kept))
    elif axes is None:
        g = reshape(g, (1,) * len(shape))
    return expand(g, shape)


def _sum_forward(a, axes, keepdim, dtype):
    return np.sum(a, axis=axes, keepdims=keepdim, dtype=dtype.numpy)


def _sum_backward(n, g):
    return (_expand_reduced(g, n.inputs[0].data.shape, n.params["axes"], n.params["keepdim"]),)


SUM_ALL = Op("SumBackward0", _sum_forward, _sum_backward, saves=False)
SUM_DIM = Op("SumBackward1", _sum_forward, _sum_backward, saves=False)


def _reduction_dtype(x: Tensor, dtype) -> dtypes.DType:
    """Sums of bools and integers are int64, as in PyTorch."""
    if dtype is not None:
        return dtype
    return x.dtype if x.dtype.is_floating_point else dtypes.int64


def sum(x, dim=None, keepdim=False, dtype=None) -> Tensor:
    x = as_tensor(x)
    axes = dims_of(dim, x.data.ndim)
    if x.data.ndim == 0:
        axes = None
    op = SUM_ALL if dim is None else SUM_DIM
    return apply(op, (x,), (x.data,), axes=axes, keepdim=bool(keepdim),
                 dtype=_reduction_dtype(x, dtype))


def _mean_forward(a, axes, keepdim):
    return np.mean(a, axis=axes, keepdims=keepdim, dtype=a.dtype)


def _mean_backward(n, g):
    shape = n.inputs[0].data.shape
    count = n.inputs[0].data.size // max(n.output.data.size, 1) if n.inputs[0].data.size else 0
    return (_expand_reduced(g, shape, n.params["axes"], n.params["keepdim"]) / max(count, 1),)


MEAN_ALL = Op("MeanBackward0", _mean_forward, _mean_backward, saves=False)
MEAN_DIM = Op("MeanBackward1", _mean_forward, _mean_backward, saves=False)


def mean(x, dim=None, keepdim=False, dtype=None) -> Tensor:
    x = as_tensor(x)
    if dtype is not None:
        from .convert import to_dtype

        x = to_dtype(x, dtype)
    if not x.dtype.is_floating_point:
        raise DTypeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {x.dtype.torch_name}",
            hint="convert to a float tensor first: x.float().mean()")
    axes = dims_of(dim, x.data.ndim)
    if x.data.ndim == 0:
        axes = None
    op = MEAN_ALL if dim is None else MEAN_DIM
    return apply(op, (x,), (x.data,), axes=axes, keepdim=bool(keepdim))


def _sum_to_forward(a, shape):
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1)
    out = np.sum(a, axis=axes, keepdims=True) if axes else a
    return out.reshape(shape)


SUM_TO = Op("SumBackward1", _sum_to_forward,
            lambda n, g: (_broadcast_to(g, n.inputs[0].data.shape),), saves=False)


def _broadcast_to(g: Tensor, shape) -> Tensor:
    from .shape import expand

    return expand(g, shape)


def sum_to(x: Tensor, shape: tuple) -> Tensor:
    """Sum a broadcast result back to `shape` (the gradient of broadcasting)."""
    return apply(SUM_TO, (x,), (x.data,), shape=tuple(shape))


def _vector_norm_forward(a, p, axes, keepdim):
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim, dtype=a.dtype))
    if p == float("inf"):
        return np.max(np.abs(a), axis=axes, keepdims=keepdim)
    if p == 1:
        return np.sum(np.abs(a), axis=axes, keepdims=keepdim, dtype=a.dtype)
    return np.power(np.sum(np.abs(a) ** p, axis=axes, keepdims=keepdim, dtype=a.dtype), 1.0 / p)


def _vector_norm_backward(n, g):
    from .elementwise import abs as abs_, sign

    x, p = n.inputs[0], n.params["p"]
    axes, keepdim = n.params["axes"], n.params["keepdim"]
    out = _expand_reduced(n.output, x.data.shape, axes, keepdim)
    g = _expand_reduced(g, x.data.shape, axes, keepdim)
    if p == 2:
        # d|x|/dx = x / |x|, taken as 0 where the norm is 0 (PyTorch's subgradient).
        safe = Tensor(np.where(out.data == 0, 1, out.data).astype(out.data.dtype))
        return (g * x / safe * Tensor((out.data != 0).astype(out.data.dtype)),)
    if p == 1:
        return (g * sign(x),)
    return (g * sign(x) * abs_(x) ** (p - 1) / out ** (p - 1),)


VECTOR_NORM = Op("LinalgVectorNormBackward0", _vector_norm_forward, _vector_norm_backward)


def norm(x, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
    x = as_tensor(x)
    if not x.dtype.is_floating_point:
        raise DTypeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {x.dtype.torch_name}", hint="convert first: norm(x.float())")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise TcalcTypeError(f"norm: unsupported p={p!r}")
    axes = dims_of(dim, x.data.ndim)
    return apply(VECTOR_NORM, (x,), (x.data,), p=float(p), axes=axes, keepdim=bool(keepdim))
