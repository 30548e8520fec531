"""sort, argsort and topk: PyTorch's order (ties kept in order, NaN largest). The values'
gradient goes back to where each was picked, by an op whose own gradient picks again."""
from __future__ import annotations

import numpy as np

from ..autograd import Op, apply
from ..errors import TcalcTypeError, TcalcValueError
from ..tensor import Tensor
from ..values import ReturnTypes, type_name
from ._base import as_tensor, normalize_dim


def _order(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """The indices that sort `a` along `axis` as PyTorch's CPU sort does: ties in their order,
    NaN largest (last ascending, first descending)."""
    if a.ndim == 0:
        return np.zeros((), np.int64)
    keys = a.view(np.uint8) if a.dtype == np.bool_ else a
    if not descending:
        return np.argsort(keys, axis=axis, kind="stable").astype(np.int64, copy=False)
    # Descending and stable: sort the reversed dim ascending, then read it backwards.
    backwards = np.argsort(np.flip(keys, axis), axis=axis, kind="stable")
    return (a.shape[axis] - 1 - np.flip(backwards, axis)).astype(np.int64, copy=False)


def _top(a: np.ndarray, k: int, axis: int, largest: bool) -> np.ndarray:
    """The indices of the k largest (or smallest) along `axis`, in topk's order. A few out
    of many are selected first (a partition, linear time) and only those sorted:
    randn(5 * 10**7).topk(3) takes well under a second instead of a full sort's ten."""
    if a.ndim == 0:
        return _order(a, axis, largest)
    size = a.shape[axis]
    if size < 4096 or k * 4 >= size:
        return np.take(_order(a, axis, largest), np.arange(k), axis=axis)
    keys = a.view(np.uint8) if a.dtype == np.bool_ else a  # NaN partitions as the largest
    if largest:
        candidates = np.take(np.argpartition(keys, size - k, axis=axis), np.arange(size - k, size), axis=axis)
    else:
        candidates = np.take(np.argpartition(keys, k - 1, axis=axis), np.arange(k), axis=axis)
    candidates = np.sort(candidates, axis=axis)  # in their order in `a`, so that ties keep it
    order = _order(np.take_along_axis(a, candidates, axis), axis, largest)
    return np.take_along_axis(candidates, order, axis).astype(np.int64, copy=False)


def _pick_forward(a, indices, axis):
    return np.take_along_axis(a, indices, axis) if a.ndim else a.copy()


def _put_forward(g, indices, axis, shape):
    out = np.zeros(shape, g.dtype)
    if out.ndim:
        np.put_along_axis(out, indices, g, axis)
    else:
        out[()] = g
    return out


def _picked_backward(n, g):
    """The values were picked from x at `indices`: their gradients go back there."""
    p = n.params
    return (apply(PUT_BACK, (g,), (g.data,), indices=p["indices"], axis=p["axis"],
                  shape=n.inputs[0].data.shape),)


def _put_backward(n, g):
    p = n.params
    return (apply(PICK_AGAIN, (g,), (g.data,), indices=p["indices"], axis=p["axis"]),)


# They keep the indices, which nothing can change (saves=True): the values are not read.
SORT = Op("SortBackward0", _pick_forward, _picked_backward)
TOPK = Op("TopkBackward0", _pick_forward, _picked_backward)
PUT_BACK = Op("ValueSelectingReductionBackwardBackward0", _put_forward, _put_backward)
PICK_AGAIN = Op("GatherBackward0", _pick_forward, _picked_backward)


def sort(x, dim=-1, descending=False, stable=False) -> tuple:
    """torch.sort: torch.return_types.sort(values, indices), ties kept in order."""
    x = as_tensor(x)
    axis = normalize_dim(dim, x.data.ndim)
    indices = _order(x.data, axis, bool(descending))
    values = apply(SORT, (x,), (x.data,), indices=indices, axis=axis)
    return ReturnTypes("sort", {"values": values, "indices": Tensor(indices)})


def argsort(x, dim=-1, descending=False, stable=False) -> Tensor:
    x = as_tensor(x)
    return Tensor(_order(x.data, normalize_dim(dim, x.data.ndim), bool(descending)))


def topk(x, k, dim=-1, largest=True, sorted=True) -> tuple:
    """torch.topk: the k largest (or smallest) along dim, largest first."""
    x = as_tensor(x)
    axis = normalize_dim(dim, x.data.ndim)
    if not isinstance(k, int) or isinstance(k, bool):
        raise TcalcTypeError(f"topk(): argument 'k' (position 2) must be int, not {type_name(k)}")
    size = x.data.shape[axis] if x.data.ndim else 1
    if not 0 <= k <= size:
        raise TcalcValueError("selected index k out of range",
                              hint=f"k runs from 0 to the size of the dim ({size})")
    indices = _top(x.data, k, axis, bool(largest))
    values = apply(TOPK, (x,), (x.data,), indices=indices, axis=axis)
    return ReturnTypes("topk", {"values": values, "indices": Tensor(indices)})
