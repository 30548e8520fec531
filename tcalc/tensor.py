"""The Tensor: an ndarray plus what autograd needs. Behaviour lives in tcalc.ops."""
from __future__ import annotations

import numpy as np

from . import dtypes, limits

_BY_NUMPY = dtypes.BY_NUMPY


class Tensor:
    """A value of the tcalc language.

    `data` is always an ndarray (0-d for scalars); tensors made by `Y = X` share it, and
    views (slices, reshape, .T) share memory with their base as in PyTorch.
    `grad_fn` is the autograd Node that made it, None for leaves.
    `_vc` is PyTorch's version counter, a one-item list shared with the tensor's views (and
    detach()), counting the in-place changes of their memory; None until it is needed
    (version 0, no views), so that making a tensor costs nothing more.
    `_held` is what the tensor adds to held_elements(): the size of the array its data is
    a view of (or of the data itself), counted while the tensor lives.
    """

    __slots__ = ("data", "requires_grad", "grad", "grad_fn", "_vc", "_held", "__weakref__")

    def __init__(self, data: np.ndarray, requires_grad: bool = False, grad_fn=None):
        global _held
        self.data = data
        self.requires_grad = requires_grad
        self.grad: Tensor | None = None
        self.grad_fn = grad_fn
        self._vc: list | None = None
        base = data.base
        if base is None:
            n = data.size
        else:  # a view: the array it views stays alive, counted whole as limits counts it
            array = data
            while isinstance(base, np.ndarray):
                array, base = base, base.base
            n = array.size
        self._held = n
        _held += n

    def __del__(self):
        global _held
        _held -= self._held

    @property
    def dtype(self) -> dtypes.DType:
        try:
            return _BY_NUMPY[self.data.dtype]
        except KeyError:
            return dtypes.of_array(self.data)  # raises tcalc's error

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def __repr__(self) -> str:  # for debugging only; users see tcalc.render
        from .printing import tensor_repr

        name = self.grad_fn.name if self.grad_fn is not None else None
        return tensor_repr(self.data, requires_grad=self.requires_grad, grad_fn_name=name)

    # Python operators, for writing gradient formulas in tcalc.ops; the evaluator does not
    # use them (it dispatches through its own table).
    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().sub(self, other)

    def __rsub__(self, other):
        return _ops().sub(other, self)

    def __mul__(self, other):
        return _ops().mul(self, other)

    def __rmul__(self, other):
        return _ops().mul(other, self)

    def __truediv__(self, other):
        return _ops().div(self, other)

    def __rtruediv__(self, other):
        return _ops().div(other, self)

    def __neg__(self):
        return _ops().neg(self)

    def __pow__(self, other):
        return _ops().pow(self, other)

    def __rpow__(self, other):
        return _ops().pow(other, self)

    def __matmul__(self, other):
        return _ops().matmul(self, other)


# Elements of every Tensor alive, each counted with the whole array its data views. Every
# tensor a session's variables hold is among them, so this bounds the session's exact
# count (limits.elements_held) from above at no cost per statement: the limit walks the
# session only when this bound would pass it.
_held = 0


def held_elements() -> int:
    return _held


limits.held_by_tensors = held_elements


def version(t: Tensor) -> int:
    """How many in-place changes t's memory has had (PyTorch's `t._version`)."""
    vc = t._vc
    return vc[0] if vc is not None else 0


def bump_version(t: Tensor) -> None:
    """Count an in-place change of t (and of every view sharing its memory)."""
    vc = t._vc
    if vc is None:
        t._vc = [1]
    else:
        vc[0] += 1


def version_counter(t: Tensor) -> list:
    """t's counter, made on first use, to share with a view of t."""
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    return vc


def _ops():
    """tcalc.ops, bound on first use. The one deliberate upward link: the ops sit above this
    module (they import it), yet Tensor's operators, and autograd's engine fitting a gradient
    to its input (sum_to, to_dtype), call them."""
    global _ops_module
    if _ops_module is None:
        from . import ops

        _ops_module = ops
    return _ops_module


_ops_module = None


class Size(tuple):
    """torch.Size: a tuple of ints that prints as PyTorch prints it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(n) for n in self)}])"


def writable(data: np.ndarray) -> np.ndarray:
    """The array to write data's elements through: data itself, or, where NumPy made a
    read-only view of writable memory (expand's broadcast views, and what is taken of
    them), a writable view of the same elements, as PyTorch writes through such views
    (x.expand(3, 2)[0] = 1 changes x). Otherwise data, for NumPy to refuse."""
    if data.flags.writeable:
        return data
    root = data.base
    # Through read-only views, and the stand-in objects as_strided keeps its base in (the
    # views load makes of a stored expanded tensor).
    while root is not None and not (isinstance(root, np.ndarray) and root.flags.writeable):
        root = getattr(root, "base", None)
    if not isinstance(root, np.ndarray) or not root.flags.c_contiguous:
        return data
    offset = data.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    try:
        return np.ndarray(data.shape, data.dtype, buffer=root, offset=offset, strides=data.strides)
    except (TypeError, ValueError):  # not within root's memory after all
        return data
