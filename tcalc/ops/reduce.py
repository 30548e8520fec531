"""Reductions over all elements or over dims: sum, mean, prod, amax/amin, max/min and their
indices, cumsum, var/std, all/any; and expand_reduced, which puts a reduction's dims back
on its gradient."""
from __future__ import annotations

import builtins
import warnings

import numpy as np

from .. import dtypes
from ..autograd import OUT, Op, apply, is_grad_enabled, keep
from ..errors import DTypeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from ..limits import check_shape
from ..tensor import Tensor
from ..values import ReturnTypes
from ._base import as_tensor, normalize_dim, scalar_operand
from .convert import to_dtype
from .elementwise import DIV, bitwise_and, eq, maximum, minimum, where
from .shape import expand, reshape


def dims_of(dim, ndim: int) -> tuple[int, ...] | None:
    """`dim` as a tuple of non-negative axes; None means every dim."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if not dim:  # PyTorch reads an empty list of dims as every dim
            return None
        axes = tuple(normalize_dim(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            raise TcalcTypeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return axes
    return (normalize_dim(dim, ndim),)


def expand_reduced(g: Tensor, shape: tuple, axes, keepdim: bool) -> Tensor:
    """Undo a reduction's shape on its gradient: put back the reduced dims, then broadcast."""
    if not is_grad_enabled():  # no graph to record: the views reshape and expand make, on the array
        return Tensor(_expanded_array(g.data, shape, axes, keepdim))
    if axes is not None and not keepdim:
        kept = list(g.data.shape)
        for a in sorted(axes):
            kept.insert(a, 1)
        g = reshape(g, tuple(kept))
    elif axes is None:
        g = reshape(g, (1,) * len(shape))
    return expand(g, shape)


def _expanded_array(g: np.ndarray, shape: tuple, axes, keepdim: bool) -> np.ndarray:
    """expand_reduced's reshape and expand as one read-only view; of a 0-d gradient (the
    usual one) made directly, as np.broadcast_to makes it, without its Python wrapper (9 us
    against 26 on a busy machine)."""
    if not g.ndim:
        view = np.ndarray(shape, g.dtype, buffer=g, strides=(0,) * len(shape))
        view.flags.writeable = False
        return view
    return np.broadcast_to(_with_reduced_dims(g, len(shape), axes, keepdim), shape)


def _with_reduced_dims(g: np.ndarray, ndim: int, axes, keepdim: bool) -> np.ndarray:
    """A reduction's gradient with its reduced dims put back, of size 1."""
    if axes is None:
        return g.reshape((1,) * ndim)
    if keepdim:
        return g
    kept = list(g.shape)
    for a in sorted(axes):
        kept.insert(a, 1)
    return g.reshape(kept)


# PyTorch accumulates a float16 sum in float32 and rounds once (4096 ones sum to 4096, not
# to float16's 2048), and a float32 scan in float64 (cumsum over 2**24 + 10 ones ends at
# 16777226): the accumulator for each dtype a reduction or a scan is computed in.
_SUM_ACCUMULATOR = {np.dtype(np.float16): np.float32}
_WIDE_FLOATS = frozenset((np.dtype(np.float32), np.dtype(np.float64)))
_SCAN_ACCUMULATOR = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float64}


def _check_empty_reduction(a: np.ndarray, axes, keepdim: bool) -> None:
    """A reduction's result is never larger than its input, except for an empty one:
    zeros(0, 5 * 10**8).sum(0) has 5 * 10**8 elements; it is checked before it is made."""
    if a.size == 0 and a.ndim:
        reduced = range(a.ndim) if axes is None else [axes] if isinstance(axes, int) else axes
        reduced = {r % a.ndim for r in reduced}
        check_shape(tuple(1 if i in reduced else n for i, n in enumerate(a.shape) if keepdim or i not in reduced))


def _sum_forward(a, axes, keepdim, dtype):
    _check_empty_reduction(a, axes, keepdim)
    wide = _SUM_ACCUMULATOR.get(dtype.numpy)
    if wide is not None:
        return np.add.reduce(a, axis=axes, dtype=wide, keepdims=keepdim).astype(dtype.numpy)
    # np.add.reduce is what np.sum calls, without its Python wrapper (a third of a small
    # sum's time).
    return np.add.reduce(a, axis=axes, dtype=dtype.numpy, keepdims=keepdim)


def _sum_backward(n, g):
    shape = n.inputs[0].data.shape
    return (expand_reduced(g, shape, n.params["axes"], n.params["keepdim"]),)


SUM_ALL = Op("SumBackward0", _sum_forward, _sum_backward, saves=False)
SUM_DIM = Op("SumBackward1", _sum_forward, _sum_backward, saves=False)


_FLOAT_SUMS = {np.dtype(np.float32): dtypes.float32, np.dtype(np.float64): dtypes.float64,
               np.dtype(np.float16): dtypes.float16}


def _reduction_dtype(x: Tensor, dtype) -> dtypes.DType:
    """Sums of bools and integers are int64, as in PyTorch."""
    if dtype is not None:
        return dtype
    return x.dtype if x.dtype.is_floating_point else dtypes.int64


def sum_of_floats(a: np.ndarray) -> np.ndarray:
    """`x.sum()` of a float32 or float64 array, as sum's short path below computes it: for the
    evaluator's fast path, which runs on arrays."""
    return SUM_ALL.forward(a, axes=None, keepdim=False, dtype=_FLOAT_SUMS[a.dtype])


def sum(x, dim=None, keepdim=False, dtype=None) -> Tensor:
    if dim is None and dtype is None and type(x) is Tensor:  # x.sum() of a float, in short
        float_dtype = _FLOAT_SUMS.get(x.data.dtype)
        if float_dtype is not None:
            return apply(SUM_ALL, (x,), (x.data,), axes=None, keepdim=bool(keepdim), dtype=float_dtype)
    x = as_tensor(x)
    axes = dims_of(dim, x.data.ndim)
    if x.data.ndim == 0:
        axes = None
    op = SUM_ALL if dim is None else SUM_DIM
    return apply(op, (x,), (x.data,), axes=axes, keepdim=bool(keepdim),
                 dtype=_reduction_dtype(x, dtype))


def mean_of_floats(a: np.ndarray):
    """`x.mean()` of a non-empty float32 or float64 array as np.mean computes it (the sum
    over all elements, divided by the count as an intp), without its Python layers."""
    total = np.add.reduce(a, None)
    return total.dtype.type(total / np.intp(a.size))


def _mean_forward(a, axes, keepdim):
    if axes is None and not keepdim and a.size and a.dtype in _WIDE_FLOATS:
        return mean_of_floats(a)
    _check_empty_reduction(a, axes, keepdim)
    wide = _SUM_ACCUMULATOR.get(a.dtype, a.dtype)
    if a.size == 0:  # nan, as in PyTorch, without NumPy's "Mean of empty slice" warning
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.mean(a, axis=axes, keepdims=keepdim, dtype=wide).astype(a.dtype, copy=False)
    return np.mean(a, axis=axes, keepdims=keepdim, dtype=wide).astype(a.dtype, copy=False)


def _mean_backward(n, g):
    shape = n.inputs[0].data.shape
    count = n.inputs[0].data.size // builtins.max(n.output.data.size, 1) if n.inputs[0].data.size else 0
    count = builtins.max(count, 1)
    if not is_grad_enabled() and g.data.dtype in _WIDE_FLOATS:
        # No graph to record: the division `/ count` of the expanded gradient, each element
        # divided as there, written into the result as the division broadcasts (float16
        # divides in float32 and takes the general way)
        kept = _with_reduced_dims(g.data, len(shape), n.params["axes"], n.params["keepdim"])
        out = np.empty(shape, g.data.dtype)
        return (Tensor(DIV.forward(kept, scalar_operand(count, g.data.dtype), out=out)),)
    return (expand_reduced(g, shape, n.params["axes"], n.params["keepdim"]) / count,)


MEAN_ALL = Op("MeanBackward0", _mean_forward, _mean_backward, saves=False)
MEAN_DIM = Op("MeanBackward1", _mean_forward, _mean_backward, saves=False)


def mean(x, dim=None, keepdim=False, dtype=None) -> Tensor:
    x = as_tensor(x)
    if dtype is not None:
        if not dtype.is_floating_point:
            raise DTypeError("mean(): could not infer output dtype. Optional dtype must be either a "
                             f"floating point or complex dtype. Got: {dtype.torch_name}")
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


# What an op keeps when its gradient reads both its input and its result.
_INPUT_AND_RESULT = (keep(0), keep(OUT))


# ---- amax/amin: the largest (smallest) values over dims, ties sharing the gradient ----------

def _amax_backward(n, g):
    x = n.inputs[0]
    axes, keepdim = n.params["axes"], n.params["keepdim"]
    out = expand_reduced(n.output, x.data.shape, axes, keepdim)
    hit = x.data == out.data
    share = hit / np.sum(hit, axis=axes, keepdims=True)  # PyTorch splits the gradient between ties
    return (expand_reduced(g, x.data.shape, axes, keepdim) * Tensor(share.astype(x.data.dtype)),)


AMAX = Op("AmaxBackward0", lambda a, axes, keepdim: np.max(a, axis=axes, keepdims=keepdim), _amax_backward,
          saves=_INPUT_AND_RESULT)
AMIN = Op("AminBackward0", lambda a, axes, keepdim: np.min(a, axis=axes, keepdims=keepdim), _amax_backward,
          saves=_INPUT_AND_RESULT)


def _amax(name: str, op: Op, x, dim, keepdim) -> Tensor:
    x = as_tensor(x)
    axes = dims_of(dim, x.data.ndim) if dim not in ((), []) else None
    if x.data.ndim == 0:
        axes = None
    if x.data.size == 0:
        if axes is None:
            raise TcalcValueError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                                  "Specify the reduction dim with the 'dim' argument.")
        for a, given in zip(axes, dim if isinstance(dim, (tuple, list)) else (dim,)):
            if x.data.shape[a] == 0:  # PyTorch names the dim as it was given
                raise TcalcIndexError(f"{name}(): Expected reduction dim {given} to have non-zero size.")
    return apply(op, (x,), (x.data,), axes=axes, keepdim=bool(keepdim) and x.data.ndim > 0)


def amax(x, dim=(), keepdim=False) -> Tensor:
    return _amax("amax", AMAX, x, dim, keepdim)


def amin(x, dim=(), keepdim=False) -> Tensor:
    return _amax("amin", AMIN, x, dim, keepdim)


# ---- prod, max/min, argmax/argmin, cumsum, std/var, all/any ---------------------------

def _one_dim(dim, ndim: int, name: str):
    """A single dim (PyTorch's max, argmax, prod, cumsum take no list), or None."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        raise TcalcTypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}",
                             hint=f"{name} reduces one dim at a time")
    return normalize_dim(dim, ndim)


def _prod_forward(a, axis, keepdim, dtype):
    _check_empty_reduction(a, axis, keepdim)
    return np.prod(a, axis=axis, keepdims=keepdim, dtype=dtype.numpy)


def _prod_backward(n, g):
    """d prod / d x_i is the product of the others; with zeros present only the lone zero
    (if there is exactly one) gets a gradient. Written with tcalc ops so it differentiates."""
    x = n.inputs[0]
    axis, keepdim = n.params["axis"], n.params["keepdim"]
    axes = None if axis is None else (axis,)
    zero = eq(x, 0)
    if not np.any(zero.data):
        out = expand_reduced(n.output, x.data.shape, axes, keepdim)
        return (expand_reduced(g, x.data.shape, axes, keepdim) * out / x,)
    safe = where(zero, 1.0, x)
    others = expand_reduced(prod(safe, axis, keepdim=True) if axis is not None else prod(safe),
                             x.data.shape, axes, True)
    zeros = expand_reduced(sum(zero, axis, keepdim=True) if axis is not None else sum(zero),
                            x.data.shape, axes, True)
    grad = where(eq(zeros, 0), others / safe, where(bitwise_and(zero, eq(zeros, 1)), others, 0.0))
    return (expand_reduced(g, x.data.shape, axes, keepdim) * grad,)


PROD_ALL = Op("ProdBackward0", _prod_forward, _prod_backward, saves=_INPUT_AND_RESULT)
PROD_DIM = Op("ProdBackward1", _prod_forward, _prod_backward, saves=_INPUT_AND_RESULT)


def prod(x, dim=None, keepdim=False, dtype=None) -> Tensor:
    x = as_tensor(x)
    axis = _one_dim(dim, x.data.ndim, "prod")
    if x.data.ndim == 0:
        axis = None
    op = PROD_ALL if dim is None else PROD_DIM
    return apply(op, (x,), (x.data,), axis=axis, keepdim=bool(keepdim) and dim is not None,
                 dtype=_reduction_dtype(x, dtype))


def _evenly_backward(n, g):
    """max() over everything: ties share the gradient evenly (PyTorch's choice)."""
    x = n.inputs[0]
    hit = (x.data == n.output.data) | (np.isnan(x.data) & np.isnan(n.output.data))
    return (g * Tensor((hit / builtins.max(int(np.count_nonzero(hit)), 1)).astype(x.data.dtype, copy=False)),)


def _select_backward(n, g):
    """max(dim): the gradient goes to the chosen index of each slice."""
    x = n.inputs[0]
    axis, keepdim = n.params["axis"], n.params["keepdim"]
    mask = np.zeros(x.data.shape, dtype=x.data.dtype)
    if x.data.ndim:  # params["indices"] has the reduced shape, without the kept dim
        np.put_along_axis(mask, np.expand_dims(n.params["indices"], axis), 1, axis=axis)
    else:
        mask[()] = 1
    return (expand_reduced(g, x.data.shape, (axis,) if x.data.ndim else None, keepdim) * Tensor(mask),)


def _extreme_forward(a, axis, keepdim, indices, pick):
    if axis is None:
        return pick(a)
    return np.take_along_axis(a, np.expand_dims(indices, axis), axis).reshape(
        indices.shape if not keepdim else np.expand_dims(indices, axis).shape)


MAX_ALL = Op("MaxBackward1", lambda a, **p: np.max(a), _evenly_backward, saves=_INPUT_AND_RESULT)
MIN_ALL = Op("MinBackward1", lambda a, **p: np.min(a), _evenly_backward, saves=_INPUT_AND_RESULT)
MAX_DIM = Op("MaxBackward0", lambda a, **p: _extreme_forward(a, **p), _select_backward)
MIN_DIM = Op("MinBackward0", lambda a, **p: _extreme_forward(a, **p), _select_backward)


def _arg_extreme(a: np.ndarray, axis: int | None, largest: bool) -> np.ndarray:
    """Index of the first max (min); a NaN counts as the extreme, as in PyTorch."""
    found = np.argmax(a, axis=axis) if largest else np.argmin(a, axis=axis)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        if nan.any():  # only the slices that hold a NaN take its index
            return np.where(nan.any(axis=axis), np.argmax(nan, axis=axis), found)
    return found


def _extreme(name: str, x, dim, keepdim, other):
    x = as_tensor(x)
    largest = name == "max"
    if type(dim) is Tensor and other is None:  # torch.max(a, b): the elementwise maximum
        dim, other = None, dim
    if other is not None:
        return (maximum if largest else minimum)(x, other)
    if dim is None:
        if x.data.size == 0:
            raise TcalcValueError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument.")
        return apply(MAX_ALL if largest else MIN_ALL, (x,), (x.data,))
    axis = _one_dim(dim, x.data.ndim, name)
    data = x.data if x.data.ndim else x.data.reshape(1)
    if data.shape[axis] == 0:
        raise TcalcIndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    indices = _arg_extreme(data, axis, largest).astype(np.int64)
    if x.data.ndim == 0:
        indices, keep = indices.reshape(()), False
    else:
        keep = bool(keepdim)
    values = apply(MAX_DIM if largest else MIN_DIM, (x,), (x.data,), axis=axis if x.data.ndim else None,
                   keepdim=keep, indices=indices, pick=np.max if largest else np.min)
    if x.data.ndim == 0:
        values.data = x.data.copy()
    index_data = np.expand_dims(indices, axis) if keep else indices
    return ReturnTypes(name, {"values": values, "indices": Tensor(index_data)})


def max(x, dim=None, keepdim=False, other=None):
    """max(x); max(x, dim) -> (values, indices); max(x, other_tensor) -> maximum."""
    return _extreme("max", x, dim, keepdim, other)


def min(x, dim=None, keepdim=False, other=None):
    return _extreme("min", x, dim, keepdim, other)


def _argument(name: str, x, dim, keepdim) -> Tensor:
    x = as_tensor(x)
    if x.dtype is dtypes.bool_:
        raise DTypeError(f"{name}(): does not support bool input", hint=f"convert first: x.long().{name}()")
    if x.data.size == 0 and dim is None:
        raise TcalcIndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
    if dim is None:
        index = _arg_extreme(x.data.reshape(-1), 0, name == "argmax")
        return Tensor(np.asarray(index, dtype=np.int64).reshape((1,) * x.data.ndim if keepdim else ()))
    axis = _one_dim(dim, x.data.ndim, name)
    if x.data.ndim == 0:
        return Tensor(np.asarray(0, dtype=np.int64))
    if x.data.shape[axis] == 0:
        raise TcalcIndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    if x.data.size == 0:  # reducing a non-empty dim of an empty tensor: an empty answer
        shape = list(x.data.shape)
        shape[axis] = 1
        return Tensor(np.zeros(shape if keepdim else shape[:axis] + shape[axis + 1:], dtype=np.int64))
    index = _arg_extreme(x.data, axis, name == "argmax").astype(np.int64)
    return Tensor(np.expand_dims(index, axis) if keepdim else index)


def argmax(x, dim=None, keepdim=False) -> Tensor:
    return _argument("argmax", x, dim, keepdim)


def argmin(x, dim=None, keepdim=False) -> Tensor:
    return _argument("argmin", x, dim, keepdim)


def _cumsum_backward(n, g):
    """The gradient of a running sum is the running sum from the other end: total - cumsum + g."""
    axis = n.params["axis"]
    if axis is None:
        return (g,)
    return (sum(g, axis, keepdim=True) - cumsum(g, axis) + g,)


def _cumsum_forward(a, axis, dtype):
    if axis is None:
        return a.astype(dtype.numpy)
    wide = _SCAN_ACCUMULATOR.get(dtype.numpy)
    if wide is not None:
        return np.cumsum(a, axis=axis, dtype=wide).astype(dtype.numpy)
    return np.cumsum(a, axis=axis, dtype=dtype.numpy)


CUMSUM = Op("CumsumBackward0", _cumsum_forward, _cumsum_backward, saves=False)


def cumsum(x, dim, dtype=None) -> Tensor:
    x = as_tensor(x)
    if dim is None:
        raise TcalcTypeError("cumsum(): argument 'dim' (position 2) must be int, not NoneType",
                             hint="cumsum runs along one dim: x.cumsum(0), or x.flatten().cumsum(0)")
    axis = _one_dim(dim, x.data.ndim, "cumsum")
    if x.data.ndim == 0:
        axis = None
    return apply(CUMSUM, (x,), (x.data,), axis=axis, dtype=_reduction_dtype(x, dtype))


def moment_arguments(x: Tensor, dim, unbiased, keepdim, correction, name: str):
    """The arguments of std and var as (axes, keepdim, correction), PyTorch's way: a bool
    first argument is `unbiased`, `correction` wins over `unbiased`."""
    if not x.dtype.is_floating_point:
        raise DTypeError("std and var only support floating point and complex dtypes",
                         hint=f"convert first: x.float().{name}()")
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased in (None, True) else 0
    axes = dims_of(dim, x.data.ndim)
    if x.data.ndim == 0 or axes == ():
        axes = None
    return axes, bool(keepdim), correction


def _var_forward(a, axes, keepdim, correction):
    # Too few elements for the correction give inf or nan, as in PyTorch, without NumPy's warning.
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # float16 accumulates in float32 and is rounded once, as in PyTorch.
        wide = np.float32 if a.dtype == np.float16 else a.dtype
        return np.asarray(np.var(a, axis=axes, keepdims=keepdim, ddof=correction, dtype=wide), dtype=a.dtype)


def _var_backward(n, g):
    x = n.inputs[0]
    axes, keepdim, correction = n.params["axes"], n.params["keepdim"], n.params["correction"]
    count = x.data.size // builtins.max(n.output.data.size, 1)
    centred = x - mean(x, axes, keepdim=True) if axes is not None else x - mean(x)
    g = expand_reduced(g, x.data.shape, axes, keepdim)
    return (g * centred * (2.0 / (count - correction)),)


def _std_backward(n, g):
    x = n.inputs[0]
    axes, keepdim, correction = n.params["axes"], n.params["keepdim"], n.params["correction"]
    count = x.data.size // builtins.max(n.output.data.size, 1)
    centred = x - mean(x, axes, keepdim=True) if axes is not None else x - mean(x)
    out = expand_reduced(n.output, x.data.shape, axes, keepdim)
    g = expand_reduced(g, x.data.shape, axes, keepdim)
    return (g * centred / (out * (count - correction)),)


VAR = Op("VarBackward0", _var_forward, _var_backward, saves=(keep(0),))


def _std_forward(a, **params):
    wide = a.astype(np.float32) if a.dtype == np.float16 else a  # one rounding, as in PyTorch
    return np.sqrt(_var_forward(wide, **params)).astype(a.dtype, copy=False)


STD = Op("StdBackward0", _std_forward, _std_backward, saves=_INPUT_AND_RESULT)


def var(x, dim=None, unbiased=None, keepdim=False, correction=None) -> Tensor:
    x = as_tensor(x)
    axes, keepdim, correction = moment_arguments(x, dim, unbiased, keepdim, correction, "var")
    return apply(VAR, (x,), (x.data,), axes=axes, keepdim=keepdim, correction=correction)


def std(x, dim=None, unbiased=None, keepdim=False, correction=None) -> Tensor:
    x = as_tensor(x)
    axes, keepdim, correction = moment_arguments(x, dim, unbiased, keepdim, correction, "std")
    return apply(STD, (x,), (x.data,), axes=axes, keepdim=keepdim, correction=correction)


def _logical_reduction(function, x, dim, keepdim) -> Tensor:
    x = as_tensor(x)
    # Unlike sum, all/any read an empty list of dims as no dims: each element on its own.
    axes = () if isinstance(dim, (list, tuple)) and not dim else dims_of(dim, x.data.ndim)
    if x.data.ndim == 0:
        axes = None
    _check_empty_reduction(x.data, axes, bool(keepdim) and axes is not None)
    out = function(x.data, axis=axes, keepdims=bool(keepdim) and axes is not None)
    # uint8 stays uint8 (PyTorch's legacy mask type); everything else gives bool.
    return Tensor(np.asarray(out, dtype=np.uint8 if x.dtype is dtypes.uint8 else np.bool_))


def all(x, dim=None, keepdim=False) -> Tensor:
    return _logical_reduction(np.all, x, dim, keepdim)


def any(x, dim=None, keepdim=False) -> Tensor:
    return _logical_reduction(np.any, x, dim, keepdim)
