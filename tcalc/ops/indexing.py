"""Indexing: reading `x[index]` (getitem, and narrow, a slice along one dim) and writing
`X[index] = value` (setitem), with PyTorch's rules, checks and node names; the gradient of
a read is a scatter into zeros, whose own gradient reads again."""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.array_utils import byte_bounds

from .. import dtypes
from ..autograd import Op, apply, is_grad_enabled, keep
from ..errors import AutogradError, DTypeError, ShapeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from ..tensor import Tensor, bump_version
from ..values import type_name
from ._base import as_tensor, normalize_dim, writable
from .shape import expanded_shape, reshape, sum_to

# PyTorch indexes in two steps (torch/csrc/autograd/python_variable_indexing.cpp): it walks
# the index items left to right, selecting, slicing and unsqueezing a view as it goes and
# setting tensor items aside, then applies those tensors at once (advanced indexing). So
# `x[0, :, [0, 1]]` selects first and is (3, 2) where NumPy gives (2, 3). tcalc plans the
# same walk on shapes, with PyTorch's checks in PyTorch's order, and hands NumPy one basic
# index for the view and one index of int arrays for the rest.

def _index_backward(n, g):
    undo = n.params["undo"]
    if undo is None:  # an alias: its gradient passes unchanged
        return (g,)
    return (apply(undo, (g,), (g.data,), shape=n.inputs[0].data.shape, index=n.params["index"]),)


def _view_op(name: str) -> Op:
    return Op(name, lambda a, index, undo: a[index], _index_backward, saves=False, view=True)


SELECT, SLICE = _view_op("SelectBackward0"), _view_op("SliceBackward0")
UNSQUEEZE_INDEX, ALIAS = _view_op("UnsqueezeBackward0"), _view_op("AliasBackward0")
# PyTorch keeps the index tensors (inputs 1...: an int tensor, not a list or a mask).
INDEX = Op("IndexBackward0", lambda a, index, undo: _pick(a, index), _index_backward,
           saves=(keep(slice(1, None)),))


def _pick(a: np.ndarray, index: tuple) -> np.ndarray:
    """a[index] for an advanced index; an empty result is not checked for bounds (as in
    PyTorch, where NumPy would refuse `x[1:1, [9]]`)."""
    try:
        return a[index]
    except IndexError:  # only an empty result gets here: the bounds were checked before
        return np.empty(_advanced_result_shape(a.shape, index), dtype=a.dtype)


def _scatter_forward(g, shape, index):
    out = np.zeros(shape, dtype=g.dtype)
    if any(isinstance(i, np.ndarray) for i in index):
        np.add.at(out, index, g)  # repeated indices add up
    else:
        out[index] += g
    return out


def _scatter_backward(n, g):
    index = n.params["index"]
    op = INDEX if any(isinstance(i, np.ndarray) for i in index) else SELECT
    return (apply(op, (g,), (g.data,), index=index, undo=n.op),)


def _scatter_op(name: str) -> Op:
    return Op(name, _scatter_forward, _scatter_backward, saves=False)


# An index's gradient is a scatter into zeros; PyTorch names it after the first view the
# index made (its gradient is applied last): w[0, 1:] -> SelectBackwardBackward0.
UNDO = {SELECT: _scatter_op("SelectBackwardBackward0"), SLICE: _scatter_op("SliceBackwardBackward0"),
        UNSQUEEZE_INDEX: _scatter_op("SqueezeBackward1"), INDEX: _scatter_op("IndexPutImplBackward0"),
        ALIAS: None}


_INDEX_DTYPES = (np.int64, np.int32, np.uint8, np.bool_)  # PyTorch's checkIndexTensorTypes
_INVALID_INDEX = "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices"


class _Plan:
    """Where `index` takes a tensor: `basic` (ints, slices, None; ends with ...) makes a view
    recorded as `node` (None: the tensor itself; `first` is its first view), then `advanced` (int arrays and full
    slices, or None) picks from that view; `sizes` is the view's shape."""

    __slots__ = ("basic", "node", "first", "advanced", "sizes", "masks_only")


def _list_as_tuple(seq) -> bool:
    """NumPy's old rule, kept by PyTorch: a list holding a sequence, slice, tensor, None or
    ... is a tuple of indices (`x[[0, [1]]]` is `x[0, [1]]`)."""
    return len(seq) < 32 and any(type(i) is Tensor or isinstance(i, (list, tuple, str, slice))
                                 or i is None or i is Ellipsis for i in seq)


def _index_array(seq) -> np.ndarray:
    """A list or tuple as an index tensor: bool if every element is a bool, else int64
    (floats truncated), as PyTorch's indexing_tensor_from_data."""
    try:
        array = np.array(seq)
    except ValueError:
        raise TcalcTypeError("'list' object cannot be interpreted as an integer") from None
    if array.dtype == np.bool_:
        return array
    if array.dtype.kind not in "iuf" and array.size:
        raise TcalcTypeError(f"new(): invalid data type '{type_name(array.flat[0])}'")
    return array.astype(np.int64)


def _specified_dims(items) -> int:
    """How many of the tensor's dims the items use up: a mask one per its dim; None, ... and
    Python bools none; anything else one (even what is refused later)."""
    count = 0
    for item in items:
        if type(item) is Tensor:
            count += item.data.ndim if item.data.dtype in (np.bool_, np.uint8) else 1
        elif not (item is None or item is Ellipsis or isinstance(item, bool)):
            count += 1
    return count


def _plan(shape: tuple, index, reading: bool = True) -> _Plan:
    ndim = len(shape)
    if isinstance(index, list) and _list_as_tuple(index):
        index = tuple(index)
    # A lone int or slice takes PyTorch's fast path: no count of dims, and reading x[:]
    # makes a slice even when it spans everything.
    lone = not isinstance(index, tuple) and isinstance(index, (int, slice)) and not isinstance(index, bool)
    items = index if isinstance(index, tuple) else (index,)
    specified = _specified_dims(items)
    if not lone and specified > ndim:
        raise TcalcIndexError(f"too many indices for tensor of dimension {ndim}",
                              hint=f"this tensor has {ndim} dim{'s' if ndim != 1 else ''}; None and ... "
                                   "take none, a bool mask one per its dim")
    # One cell per NumPy basic index item; `dims` are the cells of the view's current dims.
    order = [[slice(None)] for _ in range(ndim)]
    dims, sizes = list(order), list(shape)
    advanced: dict[int, np.ndarray] = {}
    node = first = None
    dim = 0

    def unsqueeze():
        nonlocal node, first
        node, first = UNSQUEEZE_INDEX, first or UNSQUEEZE_INDEX
        if dim > len(dims):
            normalize_dim(dim, len(dims) + 1)  # raises PyTorch's message
        cell = [None]
        order.insert(next(k for k, c in enumerate(order) if c is dims[dim]) if dim < len(dims)
                     else len(order), cell)
        dims.insert(dim, cell)
        sizes.insert(dim, 1)

    for real_dim, item in enumerate(items):
        if type(item) is Tensor and item.data.ndim == 0 and item.dtype.category == dtypes.INT \
                and item.data.dtype != np.uint8:
            item = int(item.data)
        elif type(item) is Tensor and item.data.ndim == 0 and item.data.dtype in (np.bool_, np.uint8):
            item = bool(item.data)
        elif isinstance(item, (list, tuple, str)):
            item = Tensor(_index_array(item))
        if isinstance(item, bool):
            unsqueeze()
            advanced[dim] = np.zeros(1 if item else 0, dtype=np.int64)
            dim += 1
        elif isinstance(item, int):
            if item == 0 and dim == 0 and not sizes:
                raise TcalcIndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                      "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
            size = sizes[dim] if dim < len(sizes) else 0
            if not -size <= item < size:
                raise TcalcIndexError(f"index {item} is out of bounds for dimension {real_dim} with size {size}")
            dims.pop(dim)[0] = item
            sizes.pop(dim)
            node = SELECT
            first = first or SELECT
        elif isinstance(item, slice):
            if item.step == 0:
                raise TcalcValueError("slice step cannot be zero")
            if item.step is not None and item.step < 0:
                raise TcalcValueError("step must be greater than zero", hint="to reverse a tensor use x.flip(0)")
            if not sizes:
                raise TcalcIndexError("slice() cannot be applied to a 0-dim tensor.")
            normalize_dim(dim, len(sizes))
            if (lone and reading) or item.start not in (None, 0) or item.step not in (None, 1) or (
                    item.stop is not None and item.stop < sizes[dim]):
                dims[dim][0] = item
                sizes[dim] = len(range(*item.indices(sizes[dim])))
                node = SLICE
                first = first or SLICE
            dim += 1
        elif item is Ellipsis:
            dim += ndim - specified
        elif item is None:
            unsqueeze()
            dim += 1
        elif type(item) is Tensor:
            advanced[dim] = item.data
            dim += item.data.ndim if item.data.dtype in (np.bool_, np.uint8) else 1
        else:
            raise TcalcIndexError(f"{_INVALID_INDEX} (got {type_name(item)})")
    plan = _Plan()
    plan.basic = tuple(c[0] for c in order) + (Ellipsis,)
    plan.sizes = tuple(sizes)
    plan.node = node if node is not None or advanced else ALIAS
    plan.first = first
    plan.advanced, plan.masks_only = _advanced_index(advanced, plan.sizes)
    return plan


def _advanced_index(advanced: dict, sizes: tuple):
    """The tensors set aside, checked as PyTorch's index() does (dtypes, masks, broadcast),
    as a NumPy index of int arrays; masks become their nonzero() positions."""
    if not advanced:
        return None, False
    for array in advanced.values():
        if array.dtype not in _INDEX_DTYPES:
            raise TcalcIndexError("tensors used as indices must be long, int, byte or bool tensors",
                                  hint="convert the index with .long()")
    slots: list = [slice(None)] * max(p + max(a.ndim if a.dtype in (np.bool_, np.uint8) else 1, 1)
                                      for p, a in advanced.items())
    if len(slots) > len(sizes):
        raise TcalcIndexError(f"too many indices for tensor of dimension {len(sizes)} (got {len(slots)})")
    masks = 0
    for position, array in sorted(advanced.items()):
        if array.dtype in (np.bool_, np.uint8):
            masks += 1
            for j, n in enumerate(array.shape):
                if n != sizes[position + j]:
                    raise TcalcIndexError(
                        f"The shape of the mask {list(array.shape)} at index {j} does not match the shape "
                        f"of the indexed tensor {list(sizes)} at index {position + j}")
            slots[position:position + array.ndim] = np.nonzero(array)
        else:
            slots[position] = array
    arrays = [s for s in slots if isinstance(s, np.ndarray)]
    try:
        if len(arrays) > 1:
            np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        raise TcalcIndexError("shape mismatch: indexing tensors could not be broadcast together with "
                              "shapes " + ", ".join(str(list(a.shape)) for a in arrays)) from None
    return tuple(slots), masks == 1 and len(advanced) == 1


def _check_bounds(plan: _Plan) -> None:
    """PyTorch's kernel checks each index array as it goes (nothing when the result is
    empty); the k-th array is 'dimension k'."""
    columns = [(k, s) for k, s in enumerate(plan.advanced) if isinstance(s, np.ndarray)]
    if all(not s.size or (-plan.sizes[k] <= s.min() and s.max() < plan.sizes[k]) for k, s in columns):
        return
    if math.prod(_advanced_result_shape(plan.sizes, plan.advanced)) == 0:
        return
    arrays = np.broadcast_arrays(*(s for _, s in columns))
    bad = [(a < -plan.sizes[k]) | (a >= plan.sizes[k]) for (k, _), a in zip(columns, arrays)]
    if not any(b.any() for b in bad):
        return
    first = min(int(np.argmax(b.reshape(-1))) for b in bad if b.any())
    for i, ((k, _), a, b) in enumerate(zip(columns, arrays, bad)):
        if b.reshape(-1)[first]:
            raise TcalcIndexError(f"index {a.reshape(-1)[first]} is out of bounds for dimension {i} "
                                  f"with size {plan.sizes[k]}")


def _take(x: Tensor, plan: _Plan, tensors: tuple = ()) -> Tensor:
    """x indexed by a plan: the basic view (one node), then the advanced pick (IndexBackward0);
    `tensors` are the index's int tensors, which the pick saves."""
    out = x if plan.node is None else apply(plan.node, (x,), (x.data,), index=plan.basic,
                                            undo=UNDO[plan.first] if plan.first else None)
    if plan.advanced is not None:
        out = apply(INDEX, (out,) + tensors, (out.data,), index=plan.advanced, undo=UNDO[INDEX])
    return out


def getitem(x, index) -> Tensor:
    x = as_tensor(x)
    # The common x[i] and x[a:b] need no plan (PyTorch's fast path too).
    if type(index) is int and x.data.ndim and -x.data.shape[0] <= index < x.data.shape[0]:
        return apply(SELECT, (x,), (x.data,), index=(index, Ellipsis), undo=UNDO[SELECT])
    if type(index) is slice and x.data.ndim and (index.step is None or index.step > 0):
        return apply(SLICE, (x,), (x.data,), index=(index, Ellipsis), undo=UNDO[SLICE])
    plan = _plan(x.data.shape, index)
    if plan.advanced is not None:
        _check_bounds(plan)
    return _take(x, plan, _index_tensors(index))


def _index_tensors(index) -> tuple:
    """The int tensors of an index, which PyTorch saves (masks become fresh indices first)."""
    items = index if isinstance(index, (tuple, list)) else (index,)
    return tuple([i for i in items if type(i) is Tensor and i.data.ndim and i.data.dtype.kind in "iu"
                  and i.data.dtype != np.uint8])


def _advanced_result_shape(sizes: tuple, advanced: tuple) -> tuple:
    """The shape of view[advanced], without indexing: NumPy's rule (the broadcast index
    shape in place when the arrays are adjacent, else in front)."""
    positions = [k for k, s in enumerate(advanced) if isinstance(s, np.ndarray)]
    broadcast = np.broadcast_shapes(*(advanced[k].shape for k in positions))
    rest = [n for k, n in enumerate(sizes) if k not in positions]
    if positions == list(range(positions[0], positions[-1] + 1)):
        return tuple(rest[:positions[0]]) + broadcast + tuple(rest[positions[0]:])
    return broadcast + tuple(rest)


def narrow(x, dim, start, length) -> Tensor:
    """x[..., start:start + length] along `dim`, with PyTorch's checks (a view)."""
    x = as_tensor(x)
    if x.data.ndim == 0:
        raise ShapeError("narrow() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, x.data.ndim)
    size = x.data.shape[d]
    if not -size <= start <= size:
        raise TcalcIndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got "
                              f"{start})")
    if length < 0:
        raise ShapeError("narrow(): length must be non-negative.")
    start = start % size if start < 0 else start
    if start + length > size:
        raise ShapeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(x, (slice(None),) * d + (slice(start, start + length),))


# ---- assignment through an index ----------------------------------------------------------

_CLONE_HINT = "write into x.clone() instead"


def refuse_writing_shared_elements(target: np.ndarray) -> None:
    """PyTorch refuses to write (copy_, add_, ...) into a tensor several of whose elements
    are one memory location: a dim of stride 0, as expand makes."""
    if not target.flags.writeable and any(stride == 0 and size > 1
                                          for stride, size in zip(target.strides, target.shape)):
        raise TcalcValueError(
            "unsupported operation: more than one element of the written-to tensor refers to a single "
            "memory location. Please clone() the tensor before performing the operation.",
            hint="it was made by expand, which repeats elements without copying them; " + _CLONE_HINT)


def refuse_partial_overlap(target: np.ndarray, source: np.ndarray) -> None:
    """PyTorch refuses a write whose source overlaps the memory written to without being
    the same elements in the same layout (`a[1:] = a[:-1]`, `y = x.T; y -= x`); it checks
    only tensors whose elements are dense (a contiguous layout, its dims in any order), as
    its get_overlap_status does."""
    if source.ndim == 0 or not np.may_share_memory(target, source):
        return
    if _dense(target) and _dense(source) and (byte_bounds(target) != byte_bounds(source)
                                              or target.strides != source.strides):
        raise TcalcValueError(
            "unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
            "single memory location. Please clone() the tensor before performing the operation.",
            hint="the value is a view of the same memory: write its copy, e.g. a[1:] = a[:-1].clone()")


def _dense(a: np.ndarray) -> bool:
    """Whether the elements of `a` fill its memory without gaps or repeats, in some order
    of its dims (PyTorch's is_non_overlapping_and_dense)."""
    expected = a.itemsize
    for stride, size in sorted((abs(stride), size) for stride, size in zip(a.strides, a.shape) if size != 1):
        if stride != expected:
            return False
        expected *= size
    return True


def refuse_changing_one_of_several_views(x: Tensor, view: Op | None = None) -> None:
    """PyTorch refuses to change in place one of the views a function such as split returned
    (their shared history could not be rewritten), or a view of one: those pieces carry
    their output_number (tcalc.ops.selection). PyTorch's message names the view changed:
    `view`, the one an index makes of x on the way, or else x's own."""
    if not is_grad_enabled():
        return
    node = x.grad_fn
    while node is not None and node.op.view and "output_number" not in node.params:
        base = node.inputs[0]
        node = base.grad_fn if type(base) is Tensor else None
    if node is None or not node.op.view:
        return
    if view is not None:
        number, function = 0, view.name
    elif node is x.grad_fn:
        number, function = node.params["output_number"], node.name
    else:
        number, function = 0, x.grad_fn.name
    raise AutogradError(
        f"Output {number} of {function[:-len('Backward0')]} is a view and is being modified inplace. This view "
        "is the output of a function that returns multiple views. Such functions do not allow the output views "
        "to be modified inplace. You should replace the inplace operation by an out-of-place one.",
        hint="compute a new tensor (piece = piece + 1), or change a clone() of the piece")


def setitem(x: Tensor, index, value) -> None:
    """`X[index] = value`: writes into X's memory (id(X) and views of X see the change),
    with PyTorch's copy_ (basic index) or index_put_ (tensors in the index) rules."""
    if type(x) is not Tensor:
        raise TcalcTypeError(f"cannot assign into {type_name(x)}")
    if type(value) is Tensor:
        source, source_dtype = value.data, value.dtype
    elif isinstance(value, (bool, int, float)):
        source, source_dtype = np.asarray(value).astype(x.data.dtype), x.dtype
    else:
        raise TcalcTypeError(f"can't assign a {type_name(value)} to a torch.{x.dtype.torch_name}Tensor")
    if index is False:  # PyTorch writes nothing and checks nothing
        return
    plan = _plan(x.data.shape, index, reading=False)
    kind = ("whole" if plan.advanced is None else "put") if plan.node in (None, ALIAS) else "view"
    refuse_changing_one_of_several_views(x, plan.node if kind == "view" else None)
    if is_grad_enabled() and x.requires_grad and x.is_leaf:
        raise AutogradError(
            f"a {'view of a ' if kind == 'view' else ''}leaf Variable that requires grad is being used "
            "in an in-place operation.",
            hint="change it outside autograd: x.detach()[...] = ..., or work on x.clone()")
    target = x.data[plan.basic]
    refuse_writing_shared_elements(target)
    target = writable(target)
    if type(value) is Tensor:
        refuse_partial_overlap(target, source)
    source = _without_leading_ones(source) if source.shape != target.shape else source
    if plan.advanced is None:
        if source.ndim and source.shape != target.shape:
            try:
                expanded_shape(source.shape, target.shape, source_dtype)
            except ShapeError as err:  # PyTorch's expand error, about the value
                err.hint = f"the value must broadcast to {tuple(target.shape)}, the shape the index selects"
                raise
    else:
        shape = _advanced_result_shape(plan.sizes, plan.advanced)
        if not (plan.masks_only and source.size == 1):  # a one-element value is a masked_fill_
            if source.ndim > len(shape) or any(s not in (1, n) for s, n in
                                               zip(reversed(source.shape), reversed(shape))):
                raise ShapeError(f"shape mismatch: value tensor of shape {list(source.shape)} cannot be "
                                 f"broadcast to indexing result of shape {list(shape)}")
            if source_dtype is not x.dtype:
                raise DTypeError(f"Index put requires the source and destination dtypes match, got "
                                 f"{x.dtype.torch_name} for the destination and {source_dtype.torch_name} "
                                 "for the source.", hint="convert the value first, e.g. value.to(x.dtype)")
        elif source.ndim:
            source = source.reshape(())
        _check_bounds(plan)
    if _writes_nothing(target, plan):  # unchecked bounds: NumPy must not see the index
        bump_version(x)  # PyTorch's copy_ counts even an empty write
        return
    with np.errstate(all="ignore"):
        target[plan.advanced if plan.advanced is not None else ...] = source.astype(x.data.dtype, copy=False)
    bump_version(x)
    if is_grad_enabled() and (x.requires_grad or (type(value) is Tensor and value.requires_grad)):
        _record_assignment(x, plan, value, kind, _index_tensors(index))


def _writes_nothing(target: np.ndarray, plan: _Plan) -> bool:
    if plan.advanced is None:
        return target.size == 0
    return math.prod(_advanced_result_shape(plan.sizes, plan.advanced)) == 0


def _without_leading_ones(source: np.ndarray) -> np.ndarray:
    """PyTorch drops a value's leading size-1 dims before broadcasting it (slicePrefix1sSize)."""
    lead = 0
    while lead < source.ndim and source.shape[lead] == 1:
        lead += 1
    return source.reshape(source.shape[lead:]) if lead else source


def _assignment_backward(n, g):
    plan, value_shape = n.params["plan"], n.params["value_shape"]
    grad_base = g * Tensor(n.params["kept"])
    value = n.inputs[1]
    if type(value) is not Tensor:
        return (grad_base, None)
    grad_value = _take(g, plan)
    if len(value_shape) > grad_value.data.ndim:  # value had leading size-1 dims
        stripped = value_shape[len(value_shape) - grad_value.data.ndim:]
        grad_value = reshape(sum_to(grad_value, stripped), value_shape)
    return (grad_base, grad_value)


_ASSIGNMENT = {
    "view": Op("CopySlices", lambda base, value, **p: base, _assignment_backward),
    "put": Op("IndexPutBackward0", lambda base, value, **p: base, _assignment_backward,
              saves=(keep(slice(2, None)),)),  # the index tensors (inputs 2...)
    "fill": Op("FillBackward3", lambda base, value, **p: base, _assignment_backward),
    "copy": Op("CopyBackwards", lambda base, value, **p: base, _assignment_backward),
}


def _record_assignment(x: Tensor, plan: _Plan, value, kind: str, tensors: tuple = ()) -> None:
    """Rebase x's history: x is now `old x with index overwritten by value`."""
    if kind == "whole":
        kind = "copy" if type(value) is Tensor else "fill"
    old = Tensor(x.data, x.requires_grad, x.grad_fn)
    kept = np.ones(x.data.shape, dtype=x.data.dtype)
    kept[plan.basic][plan.advanced if plan.advanced is not None else ...] = 0
    value_shape = value.data.shape if type(value) is Tensor else ()
    node_out = apply(_ASSIGNMENT[kind], (old, value) + tensors, (x.data, None), plan=plan, kept=kept,
                     value_shape=value_shape)
    x.requires_grad, x.grad_fn = True, node_out.grad_fn
