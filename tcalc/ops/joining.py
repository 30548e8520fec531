"""Joining tensors: cat along a dim, stack along a new one. The gradient cuts the
result's gradient back into the pieces (narrow)."""
from __future__ import annotations

import numpy as np

from ..autograd import Op, apply
from ..errors import ShapeError, TcalcTypeError, TcalcValueError
from ..limits import check_elements
from ..tensor import Tensor
from ..values import type_name
from ._base import as_tensor, normalize_dim, result_type
from .indexing import narrow
from .shape import unsqueeze


def _cat_backward(n, g):
    dim, sizes = n.params["dim"], n.params["sizes"]
    grads, start = [], 0
    for size in sizes:
        grads.append(narrow(g, dim, start, size))
        start += size
    return tuple(grads)


def _concatenate_forward(*arrays, dim, sizes):
    return np.concatenate(arrays, axis=dim)


CAT = Op("CatBackward0", _concatenate_forward, _cat_backward, saves=False)
STACK = Op("StackBackward0", _concatenate_forward, _cat_backward, saves=False)


def _sequence_of_tensors(tensors, name: str) -> list[Tensor]:
    if not isinstance(tensors, (tuple, list)):
        raise TcalcTypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                             f"not {type_name(tensors)}", hint=f"write {name}((a, b), dim=0)")
    if not tensors:
        raise TcalcValueError(f"torch.{name}(): expected a non-empty list of Tensors" if name == "cat" else
                              f"{name} expects a non-empty TensorList")
    return [as_tensor(t) for t in tensors]


def cat(tensors, dim=0) -> Tensor:
    return _concatenate(CAT, _sequence_of_tensors(tensors, "cat"), dim)


def stack(tensors, dim=0) -> Tensor:
    """The tensors joined along a new dim: each unsqueezed there, then concatenated (one
    StackBackward0 node, as in PyTorch)."""
    tensors = _sequence_of_tensors(tensors, "stack")
    first = tensors[0].data.shape
    for i, t in enumerate(tensors):
        if t.data.shape != first:
            raise ShapeError(f"stack expects each tensor to be equal size, but got {list(first)} at "
                             f"entry 0 and {list(t.data.shape)} at entry {i}")
    d = normalize_dim(dim, len(first) + 1)
    return _concatenate(STACK, [unsqueeze(t, d) for t in tensors], d)


def _concatenate(op: Op, tensors: list[Tensor], dim) -> Tensor:
    dtype = result_type(*tensors)
    # PyTorch skips legacy empty 1-d tensors of size (0,) when joining.
    joined = [t for t in tensors if not (t.data.ndim == 1 and t.data.size == 0)] or tensors[:1]
    for i, t in enumerate(tensors):
        if t.data.ndim == 0:
            raise ShapeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    ref = joined[0]
    d = normalize_dim(dim, ref.data.ndim)
    for i, t in enumerate(joined):
        if t.data.ndim != ref.data.ndim:
            raise ShapeError(f"Tensors must have same number of dimensions: got {ref.data.ndim} "
                             f"and {t.data.ndim}")
        for axis in range(ref.data.ndim):
            if axis != d and t.data.shape[axis] != ref.data.shape[axis]:
                raise ShapeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.data.shape[axis]} but got size {t.data.shape[axis]} for tensor number "
                    f"{i} in the list.")
    check_elements(sum(t.data.size for t in joined))
    arrays = tuple(t.data.astype(dtype.numpy, copy=False) for t in joined)
    return apply(op, tuple(joined), arrays, dim=d, sizes=tuple(t.data.shape[d] for t in joined))
