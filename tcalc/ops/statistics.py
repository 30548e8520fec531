"""Statistics over elements or along a dim: nansum, nanmean, var_mean/std_mean, aminmax,
median, nanmedian, mode, kthvalue, quantile/nanquantile, and the counts bincount and histc.

Where PyTorch computes one of these with the same formula as an existing reduction, its Op
here takes that reduction's forward and gradient under PyTorch's name for the node
(var_mean's is VarMeanBackward0, median's MedianBackward0)."""
from __future__ import annotations

import builtins
import math

import numpy as np

from .. import dtypes
from ..autograd import Op, apply
from ..errors import AutogradError, DTypeError, ShapeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from ..limits import check_shape
from ..tensor import Tensor
from ..values import ReturnTypes, type_name
from . import tie_order
from ._base import as_tensor, normalize_dim
from .convert import to_dtype
from .elementwise import isnan, logical_not
from .reduce import AMAX, AMIN, MAX_ALL, MAX_DIM, MEAN_DIM, STD, VAR, dims_of, expand_reduced, moment_arguments
from .reduce import sum as _sum
from .scans import GATHER
from .shape import permute, reshape
from .sorting import sort
from .special import lerp


def _renamed(name: str, op: Op) -> Op:
    """`op`'s forward and gradient under another node name."""
    return Op(name, op.forward, op.backward, saves=op.kept or op.saves)


# ---- nansum, nanmean -------------------------------------------------------------------------

def _nansum_forward(a, axes, keepdim, dtype):
    if a.dtype.kind == "f":
        a = np.where(np.isnan(a), a.dtype.type(0), a)
    wide = np.float32 if dtype.numpy == np.float16 else dtype.numpy
    return np.add.reduce(a, axis=axes, dtype=wide, keepdims=keepdim).astype(dtype.numpy, copy=False)


def _nansum_backward(n, g):
    x = n.inputs[0]
    g = expand_reduced(g, x.data.shape, n.params["axes"], n.params["keepdim"])
    return (g * logical_not(isnan(x)),)


NANSUM = Op("NansumBackward0", _nansum_forward, _nansum_backward)


def _reduced_axes(x: Tensor, dim):
    axes = dims_of(dim, x.data.ndim)
    return None if x.data.ndim == 0 else axes


def nansum(x, dim=None, keepdim=False, dtype=None) -> Tensor:
    """sum with NaN counted as zero; bools and integers give int64."""
    x = as_tensor(x)
    if dtype is None:
        dtype = x.dtype if x.dtype.is_floating_point else dtypes.int64
    axes = _reduced_axes(x, dim)
    return apply(NANSUM, (x,), (x.data,), axes=axes, keepdim=bool(keepdim) and axes is not None, dtype=dtype)


def nanmean(x, dim=None, keepdim=False, dtype=None) -> Tensor:
    """The mean of the elements that are not NaN: nansum over their count, as PyTorch's."""
    x = as_tensor(x)
    if dtype is not None:
        x = to_dtype(x, dtype)
    if not x.dtype.is_floating_point:
        raise DTypeError("nanmean(): expected input to have floating point or complex dtype but got "
                         f"{x.dtype.torch_name}", hint="convert first: x.float().nanmean()")
    count = _sum(logical_not(isnan(x)), dim, keepdim=keepdim)
    return nansum(x, dim, keepdim=keepdim) / count


# ---- var_mean, std_mean ---------------------------------------------------------------------

VAR_MEAN = _renamed("VarMeanBackward0", VAR)
STD_MEAN = _renamed("StdMeanBackward0", STD)
MEAN_OF_VAR_MEAN = _renamed("VarMeanBackward0", MEAN_DIM)
MEAN_OF_STD_MEAN = _renamed("StdMeanBackward0", MEAN_DIM)


def _spread_and_mean(name: str, spread: Op, mean: Op, x, dim, unbiased, keepdim, correction) -> tuple:
    x = as_tensor(x)
    if not x.dtype.is_floating_point:
        raise DTypeError(f"{name} only support floating point and complex dtypes",
                         hint=f"convert first: torch.{name}(x.float())")
    axes, keepdim, correction = moment_arguments(x, dim, unbiased, keepdim, correction, name)
    keepdim = keepdim and axes is not None
    first = apply(spread, (x,), (x.data,), axes=axes, keepdim=keepdim, correction=correction)
    return (first, apply(mean, (x,), (x.data,), axes=axes, keepdim=keepdim))


def var_mean(x, dim=None, unbiased=None, keepdim=False, correction=None) -> tuple:
    """(var, mean) in one call: a tuple, as PyTorch's."""
    return _spread_and_mean("var_mean", VAR_MEAN, MEAN_OF_VAR_MEAN, x, dim, unbiased, keepdim, correction)


def std_mean(x, dim=None, unbiased=None, keepdim=False, correction=None) -> tuple:
    return _spread_and_mean("std_mean", STD_MEAN, MEAN_OF_STD_MEAN, x, dim, unbiased, keepdim, correction)


# ---- aminmax ---------------------------------------------------------------------------------

AMINMAX_MIN = _renamed("AminmaxBackward0", AMIN)
AMINMAX_MAX = _renamed("AminmaxBackward0", AMAX)


def aminmax(x, *, dim=None, keepdim=False) -> ReturnTypes:
    """torch.return_types.aminmax(min, max), over everything or along one dim."""
    x = as_tensor(x)
    if dim is None:
        if x.data.size == 0:
            raise TcalcValueError("aminmax(): cannot compute aminmax over an empty dimension as the operation "
                                  "has no identity.", hint="give a dim, or check the tensor is not empty")
        axes, keep = None, False
    else:
        axis = _one_dim(dim, x.data.ndim, "aminmax")
        if x.data.ndim and x.data.shape[axis] == 0:
            raise TcalcIndexError(f"aminmax: Expected reduction dim {axis} to have non-zero size.")
        axes, keep = ((axis,) if x.data.ndim else None), bool(keepdim) and x.data.ndim > 0
    low = apply(AMINMAX_MIN, (x,), (x.data,), axes=axes, keepdim=keep)
    high = apply(AMINMAX_MAX, (x,), (x.data,), axes=axes, keepdim=keep)
    return ReturnTypes("aminmax", {"min": low, "max": high})


def _one_dim(dim, ndim: int, name: str) -> int:
    if isinstance(dim, (tuple, list)) or not isinstance(dim, int) or isinstance(dim, bool):
        raise TcalcTypeError(f"{name}(): argument 'dim' must be int, not {type_name(dim)}",
                             hint=f"{name} reduces one dim at a time")
    return normalize_dim(dim, ndim)


# ---- median, nanmedian, mode, kthvalue: a value picked from each slice ------------------------

def _lower_median(a: np.ndarray, ignore_nan: bool) -> np.ndarray:
    flat = np.sort(a.reshape(-1))  # NaN sorts last
    if flat.size == 0:
        return np.asarray(np.nan, a.dtype) if a.dtype.kind == "f" else np.zeros((), a.dtype)
    count = int(np.count_nonzero(~np.isnan(flat))) if ignore_nan and a.dtype.kind == "f" else flat.size
    if not ignore_nan and a.dtype.kind == "f" and np.isnan(flat[-1]):
        return np.asarray(np.nan, a.dtype)
    return np.asarray(flat[builtins.max((count - 1) // 2, 0)])


# The median of everything: the gradient is shared between the elements equal to it, as max's.
MEDIAN_ALL = Op("MedianBackward0", lambda a: _lower_median(a, False), MAX_ALL.backward, saves=MAX_ALL.kept)
NANMEDIAN_ALL = Op("NanmedianBackward0", lambda a: _lower_median(a, True), MAX_ALL.backward, saves=MAX_ALL.kept)

# Along a dim: the gradient goes to the index picked, as max(dim)'s.
MEDIAN_DIM = _renamed("MedianBackward1", MAX_DIM)
NANMEDIAN_DIM = _renamed("NanmedianBackward1", MAX_DIM)
MODE = _renamed("ModeBackward0", MAX_DIM)
KTHVALUE = _renamed("KthvalueBackward0", MAX_DIM)


def _no_bool(name: str, x: Tensor) -> None:
    if x.dtype is dtypes.bool_:
        raise DTypeError(f"\"{name}_cpu\" not implemented for 'Bool'", hint="convert first, e.g. x.long()")


def _stable_order(a: np.ndarray, axis: int) -> np.ndarray:
    """Indices sorting each slice, equal values in their order, NaN last."""
    return np.argsort(a.view(np.uint8) if a.dtype == np.bool_ else a, axis=axis, kind="stable")


def _at_rank(order: np.ndarray, ranks: np.ndarray, axis: int) -> np.ndarray:
    return np.take_along_axis(order, np.expand_dims(ranks, axis), axis).squeeze(axis)


def _median_indices(a: np.ndarray, axis: int, ignore_nan: bool) -> np.ndarray:
    order = _stable_order(a, axis)
    size = a.shape[axis]
    if a.dtype.kind != "f":
        return _at_rank(order, np.full(np.delete(a.shape, axis), (size - 1) // 2), axis)
    nan = np.isnan(a)
    if ignore_nan:  # the lower median of the numbers; a slice of NaNs only gives its first
        counts = size - np.count_nonzero(nan, axis=axis)
        return _at_rank(order, np.maximum((counts - 1) // 2, 0), axis)
    picked = _at_rank(order, np.full(np.delete(a.shape, axis), (size - 1) // 2), axis)
    return np.where(nan.any(axis=axis), np.argmax(nan, axis=axis), picked)  # NaN wins: its first


def _slices(a: np.ndarray, axis: int) -> np.ndarray:
    """The slices along axis as the rows of a matrix (in the order of the other dims)."""
    return np.moveaxis(a, axis, -1).reshape(-1, a.shape[axis])


def _mode_indices(a: np.ndarray, axis: int) -> np.ndarray:
    """Each slice's most frequent value (the smallest of equally frequent ones) and the place
    PyTorch's mode names: the end of that run in std::sort's order. Up to 16 elements that
    sort is an insertion sort, stable, and this is the last place of the value; longer
    slices, and slices with NaN, follow std::sort itself (tie_order)."""
    indices = _stable_mode_indices(a, axis)
    if a.shape[axis] <= 16 and (a.dtype.kind != "f" or not np.isnan(a).any()):
        return indices
    rows, flat = _slices(a, axis), indices.reshape(-1).copy()
    for row in range(rows.shape[0]):
        flat[row] = tie_order.mode_index(rows[row].tolist())[1]
    return flat.reshape(indices.shape)


def _stable_mode_indices(a: np.ndarray, axis: int) -> np.ndarray:
    order = _stable_order(a, axis)
    values = np.take_along_axis(a, order, axis)
    size = a.shape[axis]
    shape = (-1,) + (1,) * (a.ndim - axis - 1)
    positions = np.arange(size).reshape(shape)
    changes = np.diff(values, axis=axis) != 0 if a.dtype != np.bool_ else np.diff(values.view(np.uint8), axis=axis) != 0
    first = np.ones_like(np.take(values, [0], axis=axis), dtype=bool)
    starts = np.concatenate([first, changes], axis=axis)
    ends = np.concatenate([changes, first], axis=axis)
    run_start = np.maximum.accumulate(np.where(starts, positions, 0), axis=axis)
    lengths = np.where(ends, positions - run_start + 1, 0)
    best = np.argmax(lengths, axis=axis)  # the first longest run: the smallest value
    return np.take_along_axis(order, np.expand_dims(best, axis), axis).squeeze(axis)


def _pick(name: str, op: Op, x: Tensor, axis: int, keepdim: bool, indices) -> ReturnTypes:
    """The values at `indices` along `axis` (one per slice) and the indices, as return_types."""
    if x.data.ndim == 0:
        indices, keepdim = np.zeros((), np.int64), False
    indices = np.asarray(indices, np.int64)
    values = apply(op, (x,), (x.data,), axis=axis if x.data.ndim else None, keepdim=keepdim,
                   indices=indices, pick=lambda a: a.reshape(()))
    index_data = np.expand_dims(indices, axis) if keepdim else indices
    return ReturnTypes(name, {"values": values, "indices": Tensor(index_data)})


def _slice_dim(name: str, x: Tensor, dim) -> int:
    axis = _one_dim(dim, x.data.ndim, name)
    if x.data.ndim and x.data.shape[axis] == 0:
        raise TcalcIndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    return axis


def _empty_pick(name: str, x: Tensor, axis: int, keepdim: bool) -> ReturnTypes:
    """A non-empty dim of an empty tensor: empty values and indices."""
    shape = list(x.data.shape)
    shape[axis] = 1
    if not keepdim:
        del shape[axis]
    return ReturnTypes(name, {"values": Tensor(np.zeros(shape, x.data.dtype)),
                              "indices": Tensor(np.zeros(shape, np.int64))})


def _median(name: str, x, dim, keepdim, ignore_nan: bool):
    x = as_tensor(x)
    _no_bool(name, x)
    if dim is None:
        return apply(NANMEDIAN_ALL if ignore_nan else MEDIAN_ALL, (x,), (x.data,))
    axis = _slice_dim(name, x, dim)
    if x.data.size == 0:
        return _empty_pick(name, x, axis, bool(keepdim))
    data = x.data if x.data.ndim else x.data.reshape(1)
    indices = _median_indices(data, axis, ignore_nan)
    return _pick(name, NANMEDIAN_DIM if ignore_nan else MEDIAN_DIM, x, axis, bool(keepdim), indices)


def median(x, dim=None, keepdim=False):
    """The lower median: of everything (a tensor, NaN if any is NaN), or along dim
    (torch.return_types.median(values, indices))."""
    return _median("median", x, dim, keepdim, ignore_nan=False)


def nanmedian(x, dim=None, keepdim=False):
    """median that passes over NaN (NaN only where a slice holds nothing else)."""
    return _median("nanmedian", x, dim, keepdim, ignore_nan=True)


def mode(x, dim=-1, keepdim=False) -> ReturnTypes:
    x = as_tensor(x)
    axis = _slice_dim("mode", x, dim)
    if x.data.size == 0:
        return _empty_pick("mode", x, axis, bool(keepdim))
    data = x.data if x.data.ndim else x.data.reshape(1)
    return _pick("mode", MODE, x, axis, bool(keepdim), _mode_indices(data, axis))


def kthvalue(x, k, dim=-1, keepdim=False) -> ReturnTypes:
    """The k-th smallest of each slice (k from 1), equal values taken in their order."""
    x = as_tensor(x)
    _no_bool("kthvalue", x)
    if not isinstance(k, int) or isinstance(k, bool):
        raise TcalcTypeError(f"kthvalue(): argument 'k' (position 2) must be int, not {type_name(k)}")
    axis = _slice_dim("kthvalue", x, dim)
    size = x.data.shape[axis] if x.data.ndim else 1
    if not 1 <= k <= size:
        raise TcalcIndexError(f"kthvalue(): selected number k out of range for dimension {axis}",
                              hint=f"k counts from 1 to the dim's size, {size}")
    data = x.data if x.data.ndim else x.data.reshape(1)
    indices = _at_rank(_stable_order(data, axis), np.full(np.delete(data.shape, axis), k - 1), axis)
    return _pick("kthvalue", KTHVALUE, x, axis, bool(keepdim), _quickselect_ties(data, axis, k, indices))


def _quickselect_ties(a: np.ndarray, axis: int, k: int, indices: np.ndarray) -> np.ndarray:
    """Where the k-th value of a slice occurs more than once, the one PyTorch's quickselect
    leaves at place k (tie_order); elsewhere every order agrees."""
    rows, flat = _slices(a, axis), indices.reshape(-1).copy()
    chosen = rows[np.arange(rows.shape[0]), flat][:, None]
    same = (rows == chosen) | (np.isnan(rows) & np.isnan(chosen)) if a.dtype.kind == "f" else rows == chosen
    for row in np.flatnonzero(np.count_nonzero(same, axis=1) > 1):
        flat[row] = tie_order.quickselect_index(rows[row].tolist(), k - 1)
    return flat.reshape(indices.shape)


# ---- quantile, nanquantile ---------------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


# PyTorch's quantile ends in a squeeze of the levels' and the reduced dims.
SQUEEZE_DIMS = Op("SqueezeBackward4", lambda a, shape: a.reshape(shape),
                  lambda n, g: (reshape(g, n.inputs[0].data.shape),), saves=False)


def _quantile(x, q, dim, keepdim, interpolation, ignore_nan: bool) -> Tensor:
    name = "quantile"  # nanquantile's refusals say quantile() too, as PyTorch's
    x = as_tensor(x)
    if x.dtype not in (dtypes.float32, dtypes.float64):
        raise DTypeError(f"{name}() input tensor must be either float or double dtype",
                         hint=f"convert first: x.float().{name}(q)")
    if type(q) is Tensor:
        if q.data.ndim > 1:
            raise ShapeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype is not x.dtype:
            raise DTypeError(f"{name}() q tensor must be same dtype as the input tensor",
                             hint="convert q first: q.to(x.dtype)")
        levels = q.data.reshape(-1)
    elif isinstance(q, (int, float)) and not isinstance(q, bool):
        levels = np.asarray([q], x.data.dtype)
    else:
        raise TcalcTypeError(f"{name}(): argument 'q' must be float or Tensor, not {type_name(q)}")
    if x.data.size == 0:
        raise TcalcValueError(f"{name}() input tensor must be non-empty")
    if type(q) is not Tensor and not 0 <= q <= 1:
        raise TcalcValueError(f"{name}() q must be in the range [0, 1] but got {q}")
    if not np.all((levels >= 0) & (levels <= 1)):
        raise TcalcValueError(f"{name}() q values must be in the range [0, 1]")
    if interpolation not in _INTERPOLATIONS:
        raise TcalcValueError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or "
                              f"nearest, but got {interpolation}")
    # Each slice along dim in the last place, sorted (NaN last).
    if dim is None:
        moved, kept_shape = reshape(x, -1) if x.data.ndim != 1 else x, (1,) * x.data.ndim
    else:
        axis = normalize_dim(dim, x.data.ndim)
        order = [i for i in range(x.data.ndim) if i != axis] + [axis] if x.data.ndim else []
        moved = permute(x, *order) if x.data.ndim > 1 and axis != x.data.ndim - 1 else x
        kept_shape = tuple(1 if i == axis else n for i, n in enumerate(x.data.shape))
        moved = reshape(moved, 1) if x.data.ndim == 0 else moved
    check_shape(moved.data.shape[:-1] + (len(levels),))  # the levels of every slice
    ordered = sort(moved, -1).values
    data = ordered.data
    size = data.shape[-1]
    # The rank of each level in its slice, computed in the input's dtype as PyTorch does.
    nan = np.isnan(data)
    counts = (size - np.count_nonzero(nan, axis=-1, keepdims=True)) if ignore_nan else \
        np.full(data.shape[:-1] + (1,), size)
    ranks = levels.astype(data.dtype) * (counts - 1).astype(data.dtype)
    last = np.full_like(ranks, size - 1)
    ranks = np.where(counts == 0, last, ranks) if ignore_nan else np.where(nan[..., -1:], last, ranks)
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)  # half to even, as PyTorch's round
    below = ranks.astype(np.int64)
    result = apply(GATHER, (ordered,), (data,), indices=below, axis=-1)
    if interpolation in ("linear", "midpoint"):
        above = np.ceil(ranks).astype(np.int64)
        weights = np.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
        upper = apply(GATHER, (ordered,), (data,), indices=above, axis=-1)
        result = lerp(result, upper, Tensor(weights.astype(data.dtype)))
    # (..., levels) -> (levels, ...), then the reduced dim dropped or kept, and a scalar q's dim.
    batch = result.data.shape[:-1]
    if batch and len(levels) > 1:
        result = permute(result, result.data.ndim - 1, *range(result.data.ndim - 1))
    shape = kept_shape if keepdim else (() if dim is None else
                                        tuple(n for i, n in enumerate(x.data.shape) if i != axis))
    if type(q) is Tensor and q.data.ndim == 1:
        shape = (len(levels),) + shape
    return apply(SQUEEZE_DIMS, (result,), (result.data,), shape=shape)


def quantile(x, q, dim=None, keepdim=False, *, interpolation="linear") -> Tensor:
    """The q-th quantiles of x (of everything, or of each slice along dim), PyTorch's way:
    ranks q * (n - 1) into the sorted values, between which `interpolation` chooses."""
    return _quantile(x, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(x, q, dim=None, keepdim=False, *, interpolation="linear") -> Tensor:
    return _quantile(x, q, dim, keepdim, interpolation, ignore_nan=True)


# ---- bincount, histc -------------------------------------------------------------------------

def _no_bincount_derivative(n, g):
    raise AutogradError("derivative for aten::bincount is not implemented")


BINCOUNT_WEIGHTS = Op("NotImplemented", lambda w, x, length: np.bincount(x, w, length).astype(w.dtype),
                      _no_bincount_derivative, saves=False)


def bincount(x, weights=None, minlength=0) -> Tensor:
    """How often each value 0, 1, ... occurs in a 1-d tensor of non-negative integers (or the
    sum of their weights: float32 weights give float32, others float64)."""
    x = as_tensor(x)
    if x.dtype.is_floating_point or x.dtype is dtypes.bool_:
        raise DTypeError(f"\"bincount_cpu\" not implemented for '{x.dtype.torch_name}'",
                         hint="bincount counts integers: x.long().bincount()")
    if not isinstance(minlength, int) or isinstance(minlength, bool):
        raise TcalcTypeError(f"bincount(): argument 'minlength' must be int, not {type_name(minlength)}")
    if minlength < 0:
        raise TcalcValueError("minlength should be >= 0")
    if x.data.ndim != 1 or (x.data.size and x.data.min() < 0):
        raise TcalcValueError("bincount only supports 1-d non-negative integral inputs.",
                              hint="shift or clip the values first, e.g. (x - x.min()).bincount()")
    length = builtins.max(int(x.data.max()) + 1 if x.data.size else 0, minlength)
    check_shape((length,))
    values = x.data.astype(np.int64)
    if weights is None:
        return Tensor(np.bincount(values, minlength=length).astype(np.int64))
    weights = as_tensor(weights)
    if weights.data.ndim != 1 or weights.data.shape != x.data.shape:
        raise TcalcValueError("weights should be 1-d and have the same length as input")
    dtype = weights.dtype if weights.dtype is dtypes.float32 else dtypes.float64
    return apply(BINCOUNT_WEIGHTS, (weights,), (weights.data.astype(dtype.numpy),), x=values, length=length)


def _cpp_number(v: float) -> str:
    """A bound as C++'s stream prints it in PyTorch's message: 1, 2.5, inf, -nan."""
    if math.isnan(v):
        return "-nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:g}"


def histc(x, bins=100, min=0, max=0) -> Tensor:
    """A histogram of `bins` equal bins over [min, max] (the data's range when both are 0);
    elements outside are not counted, and max falls in the last bin."""
    x = as_tensor(x)
    if not x.dtype.is_floating_point:
        raise DTypeError(f"\"histogram_cpu\" not implemented for '{x.dtype.torch_name}'",
                         hint="convert first: x.float().histc()")
    if not isinstance(bins, int) or isinstance(bins, bool):
        raise TcalcTypeError(f"histc(): argument 'bins' must be int, not {type_name(bins)}")
    if bins <= 0:
        raise TcalcValueError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    check_shape((bins,))
    for position, (argument, bound) in enumerate((("min", min), ("max", max)), 3):
        if not isinstance(bound, (int, float)) or isinstance(bound, bool):
            raise TcalcTypeError(f"histc(): argument '{argument}' (position {position}) must be Number, not "
                                 f"{type_name(bound)}")
        if math.isfinite(bound) and builtins.abs(bound) > np.finfo(x.data.dtype).max:
            raise TcalcValueError(f"value cannot be converted to type {x.dtype.cpp_type} without overflow")
    data = x.data.reshape(-1)
    low, high = (float(np.asarray(v, x.data.dtype)) for v in (min, max))
    if low == high and data.size:
        low, high = float(data.min()), float(data.max())
    if low > high:
        raise TcalcValueError("torch.histc: max must be larger than min")
    if not (math.isfinite(low) and math.isfinite(high)):
        raise TcalcValueError(f"torch.histc: range of [{_cpp_number(low)}, {_cpp_number(high)}] is not finite")
    if low == high:
        low, high = low - 1, high + 1
    inside = data[(data >= low) & (data <= high)].astype(np.float64)
    positions = ((inside - low) * bins / (high - low)).astype(np.int64)
    positions = np.minimum(positions, bins - 1)  # max itself belongs to the last bin
    return Tensor(np.bincount(positions, minlength=bins).astype(x.data.dtype))
