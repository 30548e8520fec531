"""Ops that move elements without changing them: views, joins and indexing."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..autograd import Op, apply, is_grad_enabled
from ..errors import AutogradError, ShapeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from ..tensor import Tensor
from ._base import as_tensor, normalize_dim


def sizes_from(args) -> tuple[int, ...]:
    """Sizes given as varargs `(2, 3)` or as one tuple/list/Size `((2, 3))`."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for n in args:
        if type(n) is Tensor and n.data.ndim == 0 and n.dtype.category == dtypes.INT:
            continue
        if not isinstance(n, int) or isinstance(n, bool):
            raise TcalcTypeError(f"sizes must be ints, got {_describe(n)}")
    return tuple(int(n.data) if type(n) is Tensor else n for n in args)


def _describe(x) -> str:
    from ..render import type_name

    return type_name(x)


def infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """Resolve one -1 in a requested shape, with PyTorch's errors."""
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1:
        raise ShapeError("only one dimension can be inferred")
    for n in shape:
        if n < -1:
            raise ShapeError(f"invalid shape dimension {n}")
    known = math.prod(n for n in shape if n != -1)
    if unknown:
        if known == 0 or numel % known:
            raise ShapeError(f"shape '{_shape_list(shape)}' is invalid for input of size {numel}")
        shape = shape[: unknown[0]] + (numel // known,) + shape[unknown[0] + 1:]
    elif known != numel:
        raise ShapeError(f"shape '{_shape_list(shape)}' is invalid for input of size {numel}",
                         hint=f"the new shape must hold {numel} elements; use -1 for one size "
                              "to have it inferred")
    return shape


def _shape_list(shape) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


# ---- views -----------------------------------------------------------------------------

def _reshape_backward(n, g):
    return (reshape(g, n.inputs[0].data.shape),)


VIEW = Op("ViewBackward0", lambda a, shape: a.reshape(shape), _reshape_backward, saves=False)
UNSAFE_VIEW = Op("UnsafeViewBackward0", lambda a, shape: a.reshape(shape), _reshape_backward,
                 saves=False)


def reshape(x, *shape) -> Tensor:
    x = as_tensor(x)
    shape = infer_shape(sizes_from(shape), x.data.size)
    if shape == x.data.shape and x.grad_fn is None and not x.requires_grad:
        return Tensor(x.data.view())
    copies = not _is_view_compatible(x.data, shape)
    return apply(UNSAFE_VIEW if copies else VIEW, (x,), (x.data,), shape=shape)


def _is_view_compatible(a: np.ndarray, shape) -> bool:
    try:
        np.reshape(a, shape, copy=False)
        return True
    except ValueError:
        return False


def view(x, *shape) -> Tensor:
    x = as_tensor(x)
    if len(shape) == 1 and isinstance(shape[0], dtypes.DType):
        raise TcalcTypeError("view(dtype) is not supported; use .to(dtype)")
    shape = infer_shape(sizes_from(shape), x.data.size)
    if not _is_view_compatible(x.data, shape):
        raise ShapeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
            hint="use .reshape(...), or .contiguous().view(...)")
    return apply(VIEW, (x,), (x.data,), shape=shape)


def flatten(x, start_dim=0, end_dim=-1) -> Tensor:
    x = as_tensor(x)
    if x.data.ndim == 0:
        return reshape(x, 1)
    start, end = normalize_dim(start_dim, x.data.ndim), normalize_dim(end_dim, x.data.ndim)
    if start > end:
        raise TcalcIndexError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x.data.shape
    if start == end:
        return x
    return reshape(x, shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])


def _permute_backward(n, g):
    return (permute(g, *np.argsort(n.params["axes"]).tolist()),)


PERMUTE = Op("PermuteBackward0", lambda a, axes: a.transpose(axes), _permute_backward, saves=False)
TRANSPOSE = Op("TransposeBackward0", lambda a, axes: a.transpose(axes), _permute_backward, saves=False)
T_OP = Op("TBackward0", lambda a, axes: a.transpose(axes), _permute_backward, saves=False)


def permute(x, *dims) -> Tensor:
    x = as_tensor(x)
    axes = tuple(normalize_dim(d, x.data.ndim) for d in sizes_from(dims))
    if sorted(axes) != list(range(x.data.ndim)):
        raise ShapeError("permute(sparse_coo): number of dimensions in the tensor input does not "
                         "match the length of the desired ordering of dimensions i.e. input.dim() = "
                         f"{x.data.ndim} is not equal to len(dims) = {len(axes)}"
                         if len(axes) != x.data.ndim else "permute(): duplicate dims are not allowed.")
    return apply(PERMUTE, (x,), (x.data,), axes=axes)


def transpose(x, dim0, dim1) -> Tensor:
    x = as_tensor(x)
    d0, d1 = normalize_dim(dim0, x.data.ndim), normalize_dim(dim1, x.data.ndim)
    axes = list(range(x.data.ndim))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return apply(TRANSPOSE, (x,), (x.data,), axes=tuple(axes))


def t(x) -> Tensor:
    x = as_tensor(x)
    if x.data.ndim > 2:
        raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.data.ndim}D",
                         hint="use .transpose(dim0, dim1) or .permute(...)")
    return apply(T_OP, (x,), (x.data,), axes=tuple(reversed(range(x.data.ndim))))


def T(x) -> Tensor:
    """`x.T`: reverses all dims (PermuteBackward0); a no-op view on 0-d and 1-d tensors."""
    x = as_tensor(x)
    return apply(PERMUTE, (x,), (x.data,), axes=tuple(reversed(range(x.data.ndim))))


def _expand_forward(a, shape):
    return np.broadcast_to(a, shape)


def _expand_backward(n, g):
    from .reduce import sum_to

    return (sum_to(g, n.inputs[0].data.shape),)


EXPAND = Op("ExpandBackward0", _expand_forward, _expand_backward, saves=False)


def expand(x, *sizes) -> Tensor:
    x = as_tensor(x)
    shape = expanded_shape(x.data.shape, sizes_from(sizes), x.dtype)
    return apply(EXPAND, (x,), (x.data,), shape=shape)


def expanded_shape(own: tuple, sizes: tuple, dtype: dtypes.DType) -> tuple:
    """The shape `expand(*sizes)` gives a tensor of shape `own` (-1 keeps a size), with
    PyTorch's errors."""
    if len(sizes) < len(own):
        raise ShapeError(
            f"expand(torch.{dtype.torch_name}Tensor{{{list(own)}}}, size={list(sizes)}): the number "
            f"of sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(own)})")
    lead = len(sizes) - len(own)
    shape = []
    for i, n in enumerate(sizes):
        current = own[i - lead] if i >= lead else 1
        if n == -1:
            if i < lead:
                raise ShapeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                                 f"non-existing dimension {i}")
            n = current
        elif current != 1 and current != n:
            raise ShapeError(f"The expanded size of the tensor ({n}) must match the existing size "
                             f"({current}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}."
                             f"  Tensor sizes: {list(own)}")
        shape.append(n)
    return tuple(shape)


def _unsqueeze_backward(n, g):
    return (reshape(g, n.inputs[0].data.shape),)


UNSQUEEZE = Op("UnsqueezeBackward0", lambda a, dim: np.expand_dims(a, dim), _unsqueeze_backward,
               saves=False)
SQUEEZE = Op("SqueezeBackward0", lambda a, dims: np.squeeze(a, dims), _unsqueeze_backward,
             saves=False)
SQUEEZE_DIM = Op("SqueezeBackward1", lambda a, dims: np.squeeze(a, dims), _unsqueeze_backward,
                 saves=False)


def unsqueeze(x, dim) -> Tensor:
    x = as_tensor(x)
    d = normalize_dim(dim, x.data.ndim + 1)
    return apply(UNSQUEEZE, (x,), (x.data,), dim=d)


def squeeze(x, dim=None) -> Tensor:
    x = as_tensor(x)
    if dim is None:
        dims = tuple(i for i, n in enumerate(x.data.shape) if n == 1)
        return apply(SQUEEZE, (x,), (x.data,), dims=dims)
    axes = dim if isinstance(dim, (tuple, list)) else (dim,)
    dims = tuple(d for d in (normalize_dim(a, x.data.ndim) for a in axes)
                 if x.data.ndim and x.data.shape[d] == 1)
    return apply(SQUEEZE_DIM, (x,), (x.data,), dims=dims)


# ---- joining -------------------------------------------------------------------------

def _cat_backward(n, g):
    dim, sizes = n.params["dim"], n.params["sizes"]
    grads, start = [], 0
    for size in sizes:
        grads.append(narrow(g, dim, start, size))
        start += size
    return tuple(grads)


CAT = Op("CatBackward0", lambda *arrays, dim, sizes: np.concatenate(arrays, axis=dim),
         _cat_backward, saves=False)


def _sequence_of_tensors(tensors, name: str) -> list[Tensor]:
    if not isinstance(tensors, (tuple, list)):
        raise TcalcTypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                             f"not {_describe(tensors)}", hint=f"write {name}((a, b), dim=0)")
    if not tensors:
        raise TcalcValueError(f"torch.{name}(): expected a non-empty list of Tensors")
    return [as_tensor(t) for t in tensors]


def cat(tensors, dim=0) -> Tensor:
    tensors = _sequence_of_tensors(tensors, "cat")
    dtype = dtypes.result_type(*tensors)
    # PyTorch skips legacy empty 1-d tensors of size (0,) when joining.
    joined = [t for t in tensors if not (t.data.ndim == 1 and t.data.size == 0)] or tensors[:1]
    ref = joined[0]
    if ref.data.ndim == 0:
        raise ShapeError("zero-dimensional tensor (at position 0) cannot be concatenated")
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
    arrays = tuple(t.data.astype(dtype.numpy, copy=False) for t in joined)
    return apply(CAT, tuple(joined), arrays, dim=d, sizes=tuple(t.data.shape[d] for t in joined))


def stack(tensors, dim=0) -> Tensor:
    tensors = _sequence_of_tensors(tensors, "stack")
    first = tensors[0].data.shape
    for i, t in enumerate(tensors):
        if t.data.shape != first:
            raise ShapeError(f"stack expects each tensor to be equal size, but got {list(first)} at "
                             f"entry 0 and {list(t.data.shape)} at entry {i}")
    d = normalize_dim(dim, len(first) + 1)
    out = cat([unsqueeze(t, d) for t in tensors], d)
    if out.grad_fn is not None:
        out.grad_fn.op = STACK
    return out


STACK = Op("StackBackward0", CAT.forward, _cat_backward, saves=False)


def narrow(x, dim, start, length) -> Tensor:
    x = as_tensor(x)
    d = normalize_dim(dim, x.data.ndim)
    index = (slice(None),) * d + (slice(start, start + length),)
    return getitem(x, index)


# ---- indexing ---------------------------------------------------------------------------

def _index_backward(n, g):
    return (index_put_zeros(g, n.inputs[0].data.shape, n.params["index"]),)


SELECT = Op("SelectBackward0", lambda a, index: a[index], _index_backward, saves=False)
SLICE = Op("SliceBackward0", lambda a, index: a[index], _index_backward, saves=False)
UNSQUEEZE_INDEX = Op("UnsqueezeBackward0", lambda a, index: a[index], _index_backward, saves=False)
ALIAS = Op("AliasBackward0", lambda a, index: a[index], _index_backward, saves=False)
INDEX = Op("IndexBackward0", lambda a, index: a[index], _index_backward)


def _scatter_forward(g, shape, index):
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, index, g)
    return out


SCATTER = Op("IndexPutBackward0", _scatter_forward,
             lambda n, g: (getitem(g, n.params["index"]),), saves=False)


def index_put_zeros(g: Tensor, shape, index) -> Tensor:
    """A zero tensor of `shape` with `g` added at `index` (the gradient of indexing)."""
    return apply(SCATTER, (g,), (g.data,), shape=shape, index=index)


def to_numpy_index(index) -> tuple:
    """A user's index (ints, slices, None, ..., bool/int tensors, lists) as a NumPy index."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for item in items:
        if type(item) is Tensor:
            if item.dtype.is_floating_point:
                raise TcalcIndexError("tensors used as indices must be long, int, byte or bool tensors",
                                      hint="convert the index with .long()")
            out.append(item.data)
        elif isinstance(item, np.ndarray):  # already converted (a gradient re-applying an index)
            out.append(item)
        elif isinstance(item, list):
            array = np.asarray(item)
            if array.dtype.kind not in "biu" and array.size:
                raise TcalcIndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(array.astype(np.int64) if array.size == 0 else array)
        elif isinstance(item, slice):
            if item.step == 0:
                raise TcalcValueError("slice step cannot be zero")
            if item.step is not None and item.step < 0:
                raise TcalcValueError("step must be greater than zero",
                                      hint="to reverse a tensor use x.flip(0)")
            out.append(item)
        elif item is None or item is Ellipsis or isinstance(item, (bool, int)):
            out.append(item)
        else:
            raise TcalcIndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                                  f"Variables are valid indices (got {_describe(item)})")
    return tuple(out)


def _is_noop(item) -> bool:
    """`:` and `...` select everything and make no view of their own."""
    return item is Ellipsis or (isinstance(item, slice) and item == slice(None))


def _is_advanced(item) -> bool:
    return isinstance(item, np.ndarray)


def _index_op(index: tuple, lone_slice: bool) -> Op:
    """The node PyTorch records: it applies the index items in order, skipping full slices."""
    if lone_slice:  # x[:] alone is a slice; inside a tuple a full slice is skipped
        return SLICE
    if any(_is_advanced(i) or isinstance(i, bool) for i in index):
        return INDEX
    meaningful = [i for i in index if not _is_noop(i)]
    if not meaningful:
        return ALIAS
    last = meaningful[-1]
    if last is None:
        return UNSQUEEZE_INDEX
    return SLICE if isinstance(last, slice) else SELECT


def _numpy_indexing(function, a: np.ndarray, index: tuple):
    _check_masks(a, index)
    try:
        return function(a, index)
    except IndexError as err:
        raise TcalcIndexError(_torch_index_message(str(err), a, index)) from None


def _check_masks(a: np.ndarray, index: tuple) -> None:
    """PyTorch's message for a bool mask that does not fit the dims it covers."""
    if not any(_is_mask(i) for i in index):
        return
    dim = 0
    for position, item in enumerate(index):
        if item is Ellipsis:
            dim = a.ndim - _dims_consumed(index[position + 1:])
            continue
        if _is_mask(item):
            for k, size in enumerate(item.shape):
                if dim + k >= a.ndim or a.shape[dim + k] != size:
                    raise TcalcIndexError(
                        f"The shape of the mask {list(item.shape)} at index {k} does not match the "
                        f"shape of the indexed tensor {list(a.shape)} at index {dim + k}")
        dim += _dims_consumed((item,))


def _is_mask(item) -> bool:
    return _is_advanced(item) and item.dtype == np.bool_


def _dims_consumed(items) -> int:
    """How many of the tensor's dims these index items use up (a mask uses one per its dim)."""
    return sum(0 if i is None or isinstance(i, bool) else i.ndim if _is_mask(i) else 1 for i in items)


def _torch_index_message(message: str, a: np.ndarray, index) -> str:
    if "out of bounds" in message:
        return message.replace("axis", "dimension")
    if "too many indices" in message:
        return f"too many indices for tensor of dimension {a.ndim}"
    return message


def getitem(x, index) -> Tensor:
    x = as_tensor(x)
    lone_slice = isinstance(index, slice)
    index = to_numpy_index(index)
    if x.data.ndim == 0 and any(isinstance(i, (int, slice)) and not isinstance(i, bool) for i in index):
        raise TcalcIndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                              "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    op = _index_op(index, lone_slice)
    return _numpy_indexing(lambda a, i: apply(op, (x,), (a,), index=i), x.data, index)


# ---- assignment through an index ----------------------------------------------------------

def _assignment_kind(index: tuple) -> str:
    """What PyTorch does for `x[index] = v`: "whole" (fill_/copy_ of x itself), "put"
    (index_put_ on x itself), or "view" (write into a view of x, recorded as CopySlices)."""
    basic = [i for i in index if not _is_advanced(i)]
    if all(_is_noop(i) for i in basic):
        return "put" if len(basic) < len(index) else "whole"
    return "view"


def setitem(x: Tensor, index, value) -> None:
    """`X[index] = value`: writes into X's memory (id(X) and views of X see the change)."""
    if type(x) is not Tensor:
        raise TcalcTypeError(f"cannot assign into {_describe(x)}")
    index = to_numpy_index(index)
    kind = _assignment_kind(index)
    if is_grad_enabled() and x.requires_grad and x.is_leaf:
        raise AutogradError(
            f"a {'view of a ' if kind == 'view' else ''}leaf Variable that requires grad is being used "
            "in an in-place operation.",
            hint="change it outside autograd: x.detach()[...] = ..., or work on x.clone()")
    if type(value) is Tensor:
        source = value.data
    elif isinstance(value, (bool, int, float)):
        source = np.asarray(value)
    else:
        raise TcalcTypeError(f"can't assign a {_describe(value)} to a torch.{x.dtype.torch_name}Tensor")
    target_shape = _numpy_indexing(lambda a, i: a[i], x.data, index).shape
    source = _fit_value(source, target_shape, x.dtype, advanced=kind == "put" or any(map(_is_advanced, index)))
    with np.errstate(all="ignore"):
        _numpy_indexing(lambda a, i: a.__setitem__(i, source.astype(a.dtype, copy=False)), x.data, index)
    if is_grad_enabled() and (x.requires_grad or (type(value) is Tensor and value.requires_grad)):
        _record_assignment(x, index, value, kind)


def _fit_value(source: np.ndarray, target: tuple, dtype: dtypes.DType, advanced: bool) -> np.ndarray:
    """PyTorch drops a value's leading size-1 dims, then broadcasts it to the target."""
    while source.ndim > len(target) and source.shape[0] == 1:
        source = source[0]
    try:
        np.broadcast_shapes(source.shape, target)
        if source.ndim > len(target):
            raise ValueError
    except ValueError:
        if advanced:
            raise ShapeError(f"shape mismatch: value tensor of shape {list(source.shape)} cannot be "
                             f"broadcast to indexing result of shape {list(target)}") from None
        expanded_shape(source.shape, target, dtype)  # raises PyTorch's expand error
    return source


def _assignment_backward(n, g):
    index, value_shape = n.params["index"], n.params["value_shape"]
    grad_base = g * Tensor(n.params["kept"])
    value = n.inputs[1]
    if type(value) is not Tensor:
        return (grad_base, None)
    grad_value = getitem(g, index)
    if len(value_shape) > grad_value.data.ndim:  # value had leading size-1 dims
        from .reduce import sum_to

        stripped = value_shape[len(value_shape) - grad_value.data.ndim:]
        grad_value = reshape(sum_to(grad_value, stripped), value_shape)
    return (grad_base, grad_value)


_ASSIGNMENT = {
    "view": Op("CopySlices", lambda base, value, **p: base, _assignment_backward),
    "put": Op("IndexPutBackward0", lambda base, value, **p: base, _assignment_backward),
    "fill": Op("FillBackward3", lambda base, value, **p: base, _assignment_backward),
    "copy": Op("CopyBackwards", lambda base, value, **p: base, _assignment_backward),
}


def _record_assignment(x: Tensor, index: tuple, value, kind: str) -> None:
    """Rebase x's history: x is now `old x with index overwritten by value`."""
    if kind == "whole":
        kind = "copy" if type(value) is Tensor else "fill"
    old = Tensor(x.data, x.requires_grad, x.grad_fn)
    kept = np.ones(x.data.shape, dtype=x.data.dtype)
    kept[index] = 0
    value_shape = value.data.shape if type(value) is Tensor else ()
    node_out = apply(_ASSIGNMENT[kind], (old, value), (x.data, None), index=index, kept=kept,
                     value_shape=value_shape)
    x.requires_grad, x.grad_fn = True, node_out.grad_fn
