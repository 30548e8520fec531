"""softmax, log_softmax and logsumexp: exps normalised over a dim (or summed over dims, in
log space), each computed without overflow."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import OUT, Op, apply, keep
from ..errors import DTypeError, TcalcTypeError, TcalcValueError
from ..tensor import Tensor
from ..values import type_name
from ._base import as_tensor, normalize_dim
from .convert import to_dtype
from .elementwise import exp
from .reduce import dims_of, expand_reduced, sum

_NO_DIM = object()  # PyTorch tells a missing dim from dim=None


def _softmax_forward(a, axis, log):
    # float16 is computed in float32 and rounded once, as PyTorch's kernel does (but see
    # log_softmax over the last dim); a 0-d tensor is its own one-element dim.
    wide = (a.astype(np.float32) if a.dtype == np.float16 else a).reshape(a.shape or (1,))
    if wide.size == 0:
        return a.copy()
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        shifted = wide - np.max(wide, axis=axis, keepdims=True)  # exp cannot overflow
        if log and a.dtype == np.float16 and axis % wide.ndim == wide.ndim - 1:
            # PyTorch's float16 kernel over the last dim keeps the sum of the exps, then its
            # log, in float16 buffers: x - (max + log(sum)) with those two roundings.
            top = np.max(wide, axis=axis, keepdims=True)
            total = np.sum(np.exp(shifted), axis=axis, keepdims=True).astype(np.float16).astype(np.float32)
            out = wide - (top + np.log(total).astype(np.float16).astype(np.float32))
        elif log:
            out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        else:
            e = np.exp(shifted)
            out = e / np.sum(e, axis=axis, keepdims=True)
    return out.astype(a.dtype, copy=False).reshape(a.shape)


def _softmax_backward(n, g):
    y, axis = n.output, n.params["axis"]
    if not y.data.ndim:
        return (g * 0,)
    gy = g * y
    return (gy - y * sum(gy, axis, keepdim=True),)


def _log_softmax_backward(n, g):
    y, axis = n.output, n.params["axis"]
    if not y.data.ndim:
        return (g * 0,)
    return (g - exp(y) * sum(g, axis, keepdim=True),)


# Both keep their result, which their gradients read.
SOFTMAX = Op("SoftmaxBackward0", lambda a, axis: _softmax_forward(a, axis, False), _softmax_backward,
             saves=(keep(OUT),))
LOG_SOFTMAX = Op("LogSoftmaxBackward0", lambda a, axis: _softmax_forward(a, axis, True),
                 _log_softmax_backward, saves=(keep(OUT),))


def _softmax(op: Op, name: str, x, dim, dtype) -> Tensor:
    x = as_tensor(x)
    if dim is _NO_DIM:
        raise TcalcTypeError(f'{name}() missing 1 required positional arguments: "dim"',
                             hint=f"give the dim the probabilities run along, e.g. {name}(x, dim=-1)")
    if not isinstance(dim, int) or isinstance(dim, bool):
        position = " (position 2)" if dim is not None else ""
        raise TcalcTypeError(f"{name}(): argument 'dim'{position} must be int, not {type_name(dim)}",
                             hint=f"give the dim the probabilities run along, e.g. {name}(x, dim=-1)")
    axis = normalize_dim(dim, x.data.ndim)
    if dtype is not None:
        x = to_dtype(x, dtype)
    if not x.dtype.is_floating_point:
        kernel = "lastdim_kernel_impl" if axis == max(x.data.ndim - 1, 0) else "kernel_impl"
        raise DTypeError(f'"{name}_{kernel}" not implemented for \'{x.dtype.torch_name}\'',
                         hint=f"convert to a float tensor first, e.g. {name}(x.float(), dim)")
    return apply(op, (x,), (x.data,), axis=axis)


def softmax(x, dim=_NO_DIM, dtype=None) -> Tensor:
    """softmax(x, dim): exp(x) / exp(x).sum(dim), computed without overflow."""
    return _softmax(SOFTMAX, "softmax", x, dim, dtype)


def log_softmax(x, dim=_NO_DIM, dtype=None) -> Tensor:
    """log_softmax(x, dim): x - log(exp(x).sum(dim)), computed without overflow."""
    return _softmax(LOG_SOFTMAX, "log_softmax", x, dim, dtype)


# ---- logsumexp: the log of a sum of exps, over dims ---------------------------------------

def _logsumexp_forward(a, axes, keepdim):
    # As PyTorch: shift by the largest value of each slice (taken as 0 where it is infinite,
    # so inf stays inf and a slice of -inf gives -inf), then add it back. float16 is computed
    # in float32 and rounded once.
    wide = a.astype(np.float32) if a.dtype == np.float16 else a
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        if wide.size == 0:  # the sum of nothing is 0: log(0) is -inf
            out = np.log(np.sum(np.exp(wide), axis=axes, keepdims=keepdim))
        else:
            top = np.max(wide, axis=axes, keepdims=True)
            top = np.where(np.isinf(top), 0, top).astype(wide.dtype, copy=False)
            out = np.log(np.sum(np.exp(wide - top), axis=axes, keepdims=True)) + top
            if not keepdim:
                out = out.reshape(np.sum(wide, axis=axes).shape)
    return np.asarray(out).astype(a.dtype, copy=False)


def _logsumexp_backward(n, g):
    """d logsumexp / dx = exp(x - result): the softmax of x over the reduced dims. `result`
    is the output with its graph, so that a second derivative sees it depend on x."""
    x, axes, keepdim = n.inputs[0], n.params["axes"], n.params["keepdim"]
    out = expand_reduced(n.output, x.data.shape, axes, keepdim)
    return (expand_reduced(g, x.data.shape, axes, keepdim) * exp(x - out),)


# PyTorch keeps the input and the result.
LOGSUMEXP = Op("LogsumexpBackward0", _logsumexp_forward, _logsumexp_backward, saves=(keep(0), keep(OUT)))


def logsumexp(x, dim=_NO_DIM, keepdim=False) -> Tensor:
    """logsumexp(x, dim): log(exp(x).sum(dim)), computed without overflow; ints give float32."""
    x = as_tensor(x)
    hint = "give the dims to reduce, e.g. logsumexp(x, dim=-1), or logsumexp(x, dim=(0, 1)) for all"
    if dim is _NO_DIM:
        raise TcalcTypeError('logsumexp() missing 1 required positional arguments: "dim"', hint=hint)
    if not isinstance(dim, (int, tuple, list)) or isinstance(dim, bool) or (
            isinstance(dim, (tuple, list)) and not all(
                isinstance(d, int) and not isinstance(d, bool) for d in dim)):
        position = " (position 2)" if dim is not None else ""
        raise TcalcTypeError(f"logsumexp(): argument 'dim'{position} must be tuple of ints, not "
                             f"{type_name(dim)}", hint=hint)
    axes = dims_of(dim, x.data.ndim)
    if axes is None and not keepdim and x.data.ndim:  # dim=() reduces everything, but PyTorch's
        raise TcalcValueError(f"output with shape [] doesn't match the broadcast shape "  # out= clashes
                              f"[{', '.join(['1'] * x.data.ndim)}]",
                              hint="give the dims to reduce, e.g. dim=(0, 1), or keepdim=True")
    if x.data.ndim == 0:
        axes = None
    if not x.dtype.is_floating_point:
        x = to_dtype(x, dtypes.DEFAULT_FLOAT)
    return apply(LOGSUMEXP, (x,), (x.data,), axes=axes, keepdim=bool(keepdim) and x.data.ndim > 0)
