"""Copies, dtype conversions and detaching."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import Op, apply
from ..errors import AutogradError, TcalcValueError
from ..limits import check_elements, check_list
from ..tensor import Tensor, version_counter
from ._base import as_tensor

TO_COPY = Op("ToCopyBackward0", lambda a, dtype: a.astype(dtype.numpy),
             lambda n, g: (g,), saves=False)
CLONE = Op("CloneBackward0", lambda a: a.copy(), lambda n, g: (g,), saves=False)


def to_dtype(x, dtype: dtypes.DType, copy: bool = False) -> Tensor:
    """`x.to(dtype)`, `x.float()`: the same tensor when nothing changes, as in PyTorch."""
    x = as_tensor(x)
    if x.dtype is dtype and not copy:
        return x
    check_elements(x.data.size)
    if x.requires_grad and not dtype.is_floating_point:
        return Tensor(x.data.astype(dtype.numpy))
    return apply(TO_COPY, (x,), (x.data,), dtype=dtype)


def clone(x) -> Tensor:
    x = as_tensor(x)
    check_elements(x.data.size)
    return apply(CLONE, (x,), (x.data,))


def contiguous(x) -> Tensor:
    x = as_tensor(x)
    return x if x.data.flags.c_contiguous else clone(x)


def detach(x) -> Tensor:
    """A tensor sharing x's data, cut from the graph; it shares x's version counter too, so
    that changing it in place is seen by a backward that saved x (as in PyTorch)."""
    x = as_tensor(x)
    out = Tensor(x.data)
    out._vc = version_counter(x)
    return out


def data(x) -> Tensor:
    """`x.data`: like detach(), but with a version counter of its own (PyTorch's way to
    change a tensor unseen by autograd)."""
    return Tensor(as_tensor(x).data)


def requires_grad_(x: Tensor, requires_grad: bool = True) -> Tensor:
    if requires_grad and not (x.dtype.is_floating_point):
        raise AutogradError("only Tensors of floating point dtype can require gradients",
                            hint="convert first: x.float().requires_grad_()")
    if not requires_grad and not x.is_leaf:
        raise AutogradError(
            "you can only change requires_grad flags of leaf variables. If you want to use a "
            "computed variable in a subgraph that doesn't require differentiation use "
            "var_no_grad = var.detach().",
            hint="use x.detach() for a copy outside the graph")
    x.requires_grad = bool(requires_grad)
    return x


def item(x):
    """The Python number held by a one-element tensor."""
    x = as_tensor(x)
    if x.data.size != 1:
        raise TcalcValueError(
            f"a Tensor with {x.data.size} elements cannot be converted to Scalar",
            hint="item() needs exactly one element: index it first, or reduce it with sum()/mean()")
    return x.data.reshape(()).item()


def numpy(x) -> np.ndarray:
    x = as_tensor(x)
    if x.requires_grad:
        raise AutogradError("Can't call numpy() on Tensor that requires grad. "
                            "Use tensor.detach().numpy() instead.",
                            hint="x.detach().numpy()")
    return x.data


def tolist(x):
    data = as_tensor(x).data
    check_list(data.size)  # a list of Python numbers costs 30 bytes an item, not the tensor's 4
    return data.tolist()
