"""Scans along one dim beside cumsum: cumprod, cummax and cummin (values with their indices),
and diff (n-th differences, with prepend= and append=)."""
from __future__ import annotations

import builtins

import numpy as np

from .. import dtypes
from ..autograd import COPY, OUT, Op, apply, keep
from ..errors import ShapeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from ..limits import check_shape
from ..tensor import Tensor
from ..values import ReturnTypes, type_name
from ._base import as_tensor, normalize_dim
from .convert import to_dtype
from .elementwise import logical_xor, where
from .indexing import getitem, setitem
from .joining import cat
from .reduce import cumsum, sum
from .shape import transpose, unsqueeze

# A float16 running product is accumulated in float32 and a float32 one in float64, as
# cumsum's (PyTorch's scans accumulate in a wider type).
_SCAN_ACCUMULATOR = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float64}


def _scan_dim(x: Tensor, dim, name: str) -> int | None:
    """The dim a scan runs along, or None for a 0-d tensor (the scan is the element)."""
    if dim is None:
        raise TcalcTypeError(f"{name}(): argument 'dim' (position 2) must be int, not NoneType",
                             hint=f"{name} runs along one dim: x.{name}(0), or x.flatten().{name}(0)")
    if isinstance(dim, (tuple, list)):
        raise TcalcTypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}",
                             hint=f"{name} runs along one dim at a time")
    axis = normalize_dim(dim, x.data.ndim)
    return axis if x.data.ndim else None


# ---- cumprod -----------------------------------------------------------------------------

def _cumprod_forward(a, axis):
    if axis is None:
        return a.copy()
    wide = _SCAN_ACCUMULATOR.get(a.dtype)
    if wide is not None:
        return np.cumprod(a, axis=axis, dtype=wide).astype(a.dtype)
    return np.cumprod(a, axis=axis)


def _reverse_cumsum(v: Tensor, axis: int) -> Tensor:
    """sum over j >= i along axis: the total, less the running sum before i."""
    return sum(v, axis, keepdim=True) - cumsum(v, axis) + v


def _cumprod_backward(n, g):
    """d out_j / d x_i = prod_{k <= j, k != i} x_k for j >= i. Without zeros that is
    out_j / x_i, so the gradient is a reverse running sum of g * out over x. With a zero the
    products are formed one by one (an n by n table along the dim), which stays exact."""
    x, axis = n.inputs[0], n.params["axis"]
    if axis is None:
        return (g,)
    if not np.any(x.data == 0):
        return (_reverse_cumsum(g * n.output, axis) / x,)
    size = x.data.shape[axis]
    moved, g_moved = transpose(x, axis, -1), transpose(g, axis, -1)
    check_shape(moved.data.shape + (size,))
    diagonal = Tensor(np.eye(size, dtype=bool))
    # others[..., i, k] is x_k, with x_i replaced by 1; its running product along k is the table.
    others = where(diagonal, 1.0, unsqueeze(moved, -2))
    table = cumprod(others, -1)
    upper = Tensor(np.triu(np.ones((size, size), dtype=x.data.dtype)))  # j >= i
    grad = transpose(sum(unsqueeze(g_moved, -2) * table * upper, -1), axis, -1)
    # PyTorch writes this gradient into a zero tensor, a slice at a time (its node is
    # CopySlices): here all but the last place along the dim, then the last.
    written = Tensor(np.zeros(x.data.shape, grad.data.dtype))
    before = (slice(None),) * axis
    if size > 1:
        setitem(written, before + (slice(0, size - 1),), getitem(grad, before + (slice(0, size - 1),)))
    setitem(written, before + (size - 1,), getitem(grad, before + (size - 1,)))
    return (written,)


CUMPROD = Op("CumprodBackward0", _cumprod_forward, _cumprod_backward, saves=(keep(0), keep(OUT)))


def cumprod(x, dim, dtype=None) -> Tensor:
    """The running product along dim; bools and integers give int64, as cumsum's."""
    x = as_tensor(x)
    axis = _scan_dim(x, dim, "cumprod")
    if dtype is None and not x.dtype.is_floating_point:
        dtype = dtypes.int64
    if dtype is not None:
        x = to_dtype(x, dtype)
    return apply(CUMPROD, (x,), (x.data,), axis=axis)


# ---- cummax, cummin ----------------------------------------------------------------------------

def _running_extreme(a: np.ndarray, axis: int, largest: bool) -> tuple[np.ndarray, np.ndarray]:
    """The running max (min) and where each came from: of equal values the latest, and once a
    NaN is met it is the value, its index moving on to each later NaN (PyTorch's choice)."""
    values = (np.maximum if largest else np.minimum).accumulate(a, axis=axis)
    hits = a == values
    if a.dtype.kind == "f":
        hits |= np.isnan(a)
    positions = np.arange(a.shape[axis]).reshape((-1,) + (1,) * (a.ndim - axis - 1))
    indices = np.maximum.accumulate(np.where(hits, positions, 0), axis=axis)
    return values, indices.astype(np.int64)


def _scatter_add_forward(g, indices, axis, shape):
    out = np.zeros(shape, g.dtype)
    if out.ndim == 0:
        out[()] = g
        return out
    grid = list(np.indices(indices.shape, sparse=True))
    grid[axis] = indices
    np.add.at(out, tuple(grid), g)
    return out


def _scatter_add_backward(n, g):
    return (apply(GATHER, (g,), (g.data,), indices=n.params["indices"], axis=n.params["axis"]),)


def _gather_forward(a, indices, axis):
    return np.take_along_axis(a, indices, axis) if a.ndim else a.copy()


def _gather_backward(n, g):
    p = n.params
    return (apply(SCATTER_ADD, (g,), (g.data,), indices=p["indices"], axis=p["axis"],
                  shape=n.inputs[0].data.shape),)


# The gradient of a running max goes back to where each value came from, added up.
SCATTER_ADD = Op("ScatterAddBackward0", _scatter_add_forward, _scatter_add_backward)
GATHER = Op("GatherBackward0", _gather_forward, _gather_backward)


def _cumulative_extreme_backward(n, g):
    p = n.params
    if p["axis"] is None:
        return (g,)
    return (apply(SCATTER_ADD, (g,), (g.data,), indices=p["indices"], axis=p["axis"],
                  shape=n.inputs[0].data.shape),)


CUMMAX = Op("CummaxBackward0", lambda a, axis, indices: _gather_forward(a, indices, axis) if axis is not None
            else a.copy(), _cumulative_extreme_backward)
CUMMIN = Op("CumminBackward0", CUMMAX.forward, _cumulative_extreme_backward)


def _cumulative_extreme(name: str, x, dim) -> ReturnTypes:
    x = as_tensor(x)
    if x.data.ndim == 0 and isinstance(dim, int) and not isinstance(dim, bool) and dim not in (-1, 0):
        raise TcalcIndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
    axis = _scan_dim(x, dim, name)
    if axis is None:
        indices = np.zeros((), np.int64)
    else:
        _, indices = _running_extreme(x.data, axis, name == "cummax")
    values = apply(CUMMAX if name == "cummax" else CUMMIN, (x,), (x.data,), axis=axis, indices=indices)
    return ReturnTypes(name, {"values": values, "indices": Tensor(indices)})


def cummax(x, dim) -> ReturnTypes:
    return _cumulative_extreme("cummax", x, dim)


def cummin(x, dim) -> ReturnTypes:
    return _cumulative_extreme("cummin", x, dim)


# ---- diff ------------------------------------------------------------------------------------

def diff(x, n=1, dim=-1, prepend=None, append=None) -> Tensor:
    """out[i] = x[i + 1] - x[i] along dim, n times over (bools: !=), after joining prepend
    and append to x along dim. Written with narrowing and subtraction, as PyTorch's."""
    x = as_tensor(x)
    if x.data.ndim == 0:
        raise ShapeError("diff expects input to be at least one-dimensional",
                         hint="diff compares neighbours: give it a vector")
    if not isinstance(n, int) or isinstance(n, bool):
        raise TcalcTypeError(f"diff(): argument 'n' must be int, not {type_name(n)}")
    if n < 0:
        raise TcalcValueError(f"order must be non-negative but got {n}")
    axis = normalize_dim(dim, x.data.ndim)
    ends = []
    for argument, end in (("prepend", prepend), ("append", append)):
        if end is None:
            continue
        if type(end) is not Tensor:
            raise TcalcTypeError(f"diff(): argument '{argument}' must be Tensor, not {type_name(end)}",
                                 hint=f"wrap it: {argument}=torch.tensor([{end!r}])")
        if end.data.ndim != x.data.ndim:
            raise ShapeError("diff expects prepend or append to be the same dimension as input")
        ends.append((argument, end))
    if ends:
        pieces = [end for argument, end in ends if argument == "prepend"] + [x] + \
            [end for argument, end in ends if argument == "append"]
        x = cat(pieces, axis)
    if n == 0:
        return apply(COPY, (x,), (x.data,))
    before = (slice(None),) * axis
    # Each difference is one shorter: past the dim's length the answer stays empty, so
    # diff(x, n=10**9) stops there.
    for _ in range(builtins.min(n, x.data.shape[axis] + 1)):
        later, earlier = getitem(x, before + (slice(1, None),)), getitem(x, before + (slice(None, -1),))
        x = logical_xor(later, earlier) if x.dtype is dtypes.bool_ else later - earlier
    return x

