"""Shape and selection ops beyond indexing: flip and roll; pieces of a tensor that are views
of it (split, chunk, tensor_split, unbind); movedim, swapaxes, tile, repeat_interleave,
meshgrid and the *_as forms; picking by index tensors (gather, scatter, scatter_add,
index_select, index_add, take) and by masks (masked_fill, masked_select); nonzero, argwhere,
count_nonzero and unique. Each pick's gradient is the matching put, whose own gradient picks
again, so second derivatives work."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..autograd import OUT, Op, apply, is_grad_enabled, keep
from ..errors import AutogradError, DTypeError, ShapeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from ..limits import check_elements, check_shape
from ..tensor import Tensor, bump_version
from ..values import type_name
from . import convert, elementwise
from ._base import as_tensor, broadcast_shape, fill_array, normalize_dim
from .convert import clone
from .indexing import SLICE, UNDO
from .inplace import _check_leaf
from .reduce import sum as sum_all
from .shape import expand, permute, repeat, reshape, sizes_from, transpose, unsqueeze, view


def _int_list(value, what: str) -> tuple:
    """An int or a sequence of ints (dims, shifts), as a tuple."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    for item in items:
        if not isinstance(item, int) or isinstance(item, bool):
            raise TcalcTypeError(f"{what} must be ints, got {type_name(item)}")
    return items


def _distinct_dims(dims: tuple, ndim: int) -> tuple:
    axes = tuple(normalize_dim(d, ndim) for d in dims)
    for i, a in enumerate(axes):
        if a in axes[:i]:
            raise ShapeError(f"dim {a} appears multiple times in the list of dims")
    return axes


def _tensor_argument(value, function: str, name: str, position: int) -> Tensor:
    if type(value) is not Tensor:
        raise TcalcTypeError(f"{function}(): argument '{name}' (position {position}) must be Tensor, not "
                             f"{type_name(value)}")
    return value


def _dims_argument(function: str, by_position: tuple, dims) -> tuple:
    """dims given by position (x.flip(0, 1), flip(x, (0, 1))) or as dims=."""
    if dims is None:
        return by_position
    if by_position:
        raise TcalcTypeError(f"{function}() got multiple values for argument 'dims'")
    return (dims,)


def _shape_text(shape) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


# ---- flip and roll ---------------------------------------------------------------------

FLIP = Op("FlipBackward0", lambda a, axes: np.flip(a, axes).copy() if axes else a.copy(),
          lambda n, g: (apply(FLIP, (g,), (g.data,), axes=n.params["axes"]),), saves=False)


def flip(x, *by_position, dims=None) -> Tensor:
    """x with the order of its elements reversed along each of dims (a copy, as PyTorch's).
    The method's form: x.flip(0, 1), x.flip((0, 1)) or x.flip(dims=(0, 1))."""
    x = as_tensor(x)
    dims = _dims_argument("flip", by_position, dims)
    if not dims:
        raise TcalcTypeError('flip() missing 1 required positional arguments: "dims"',
                             hint="give the dims to reverse, e.g. x.flip(0)")
    if len(dims) > 1 and not _is_int(dims[0]):
        raise TcalcTypeError(f"flip() takes 1 positional argument but {len(dims)} were given")
    if by_position and _is_int(dims[0]):
        dims = (list(dims),)  # x.flip(0, 1): the ints are the tuple
    return _flip(x, _int_array(dims[0], "flip", "dims", 1 if by_position else None, allow_int=bool(by_position)))


def torch_flip(input, *by_position, dims=None) -> Tensor:
    """torch.flip(x, dims): dims is a tuple or list, never an int (PyTorch's signature)."""
    dims = _dims_argument("flip", by_position, dims)
    if not dims:
        raise TcalcTypeError('flip() missing 1 required positional arguments: "dims"',
                             hint="give the dims to reverse as a tuple, e.g. torch.flip(x, (0,))")
    if len(dims) > 1:
        raise TcalcTypeError(f"flip() takes 2 positional arguments but {len(dims) + 1} were given",
                             hint="give the dims as one tuple: torch.flip(x, (0, 1))")
    return _flip(as_tensor(input), _int_array(dims[0], "flip", "dims", 2 if by_position else None))


def _flip(x: Tensor, dims: tuple) -> Tensor:
    axes = _distinct_dims(dims, x.data.ndim)
    check_elements(x.data.size)
    return apply(FLIP, (x,), (x.data,), axes=axes if x.data.ndim else ())


def _is_int(value) -> bool:
    """An int as PyTorch's argument parser takes one: a Python int or a 0-d integer tensor."""
    if type(value) is Tensor:
        return value.data.ndim == 0 and value.dtype.category == dtypes.INT
    return isinstance(value, int) and not isinstance(value, bool)


def _int_array(value, function: str, name: str, position: int | None, allow_int: bool = False) -> tuple:
    """A sequence of ints (an IntArrayRef), or an int where allow_int (a method's one
    positional dim: x.flip(0)), refused in PyTorch's words."""
    where = f" (position {position})" if position is not None else ""
    if allow_int and _is_int(value):
        return (int(value.data) if type(value) is Tensor else value,)
    if not isinstance(value, (tuple, list)):
        raise TcalcTypeError(f"{function}(): argument '{name}'{where} must be tuple of ints, not "
                             f"{type_name(value)}", hint=f"write {name} as a tuple, e.g. (0,) or (0, 1)")
    items = []
    for i, item in enumerate(value):
        if _is_int(item) or (i and isinstance(item, bool)):
            items.append(int(item.data) if type(item) is Tensor else int(item))
        elif i == 0:
            raise TcalcTypeError(f"{function}(): argument '{name}'{where} must be tuple of ints, but found "
                                 f"element of type {type_name(item)} at pos 0")
        else:
            raise TcalcTypeError(f"{function}(): argument '{name}' failed to unpack the object at pos {i + 1} "
                                 f'with error "type must be tuple of ints,but got {type_name(item)}"')
    return tuple(items)


def fliplr(x) -> Tensor:
    x = as_tensor(x)
    if x.data.ndim < 2:
        raise ShapeError("Input must be >= 2-d.", hint="fliplr reverses dim 1; for a vector use x.flip(0)")
    return flip(x, 1)


def flipud(x) -> Tensor:
    x = as_tensor(x)
    if x.data.ndim < 1:
        raise ShapeError("Input must be >= 1-d.")
    return flip(x, 0)


def _roll_forward(a, shifts, axes):
    return np.roll(a, shifts, axes if axes else None)


ROLL = Op("RollBackward0", _roll_forward,
          lambda n, g: (apply(ROLL, (g,), (g.data,), shifts=tuple(-s for s in n.params["shifts"]),
                              axes=n.params["axes"]),), saves=False)


def roll(x, shifts, dims=None) -> Tensor:
    """x's elements shifted along dims, wrapping around; without dims, over the flattened
    tensor (the shape is kept)."""
    x = as_tensor(x)
    shifts = _int_list(shifts, "roll(): shifts")
    dims = () if dims is None else _int_list(dims, "roll(): dims")
    if not shifts:
        raise ShapeError("`shifts` required")
    if dims and len(shifts) != len(dims) or not dims and len(shifts) != 1:
        raise ShapeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    axes = tuple(normalize_dim(d, x.data.ndim) for d in dims)
    check_elements(x.data.size)
    if x.data.ndim == 0:
        return apply(ROLL, (x,), (x.data,), shifts=(0,), axes=())
    return apply(ROLL, (x,), (x.data,), shifts=shifts if axes else shifts[0:1], axes=axes)


# ---- pieces of a tensor, each a view of it ----------------------------------------------

def _put_piece_forward(g, index, shape, **unused):
    out = np.zeros(shape, g.dtype)
    out[index] = g
    return out


def _piece_op(name: str) -> Op:
    """A view of one piece (x[index]) whose gradient is that piece of zeros of x's shape.
    Its params name the function and the piece's number among its outputs, for PyTorch's
    refusal to change one of several views in place (tcalc.ops.inplace)."""
    def backward(n, g):
        return (apply(put, (g,), (g.data,), index=n.params["index"], shape=n.inputs[0].data.shape),)

    def put_backward(n, g):
        return (apply(piece, (g,), (g.data,), index=n.params["index"]),)

    piece = Op(name, lambda a, index, **unused: a[index], backward, saves=False, view=True)
    put = Op(name.replace("Backward0", "BackwardBackward0"), _put_piece_forward, put_backward, saves=False)
    return piece


SPLIT = _piece_op("SplitBackward0")
SPLIT_WITH_SIZES = _piece_op("SplitWithSizesBackward0")
UNBIND = _piece_op("UnbindBackward0")


def _pieces(x: Tensor, op: Op, axis: int, sizes) -> tuple:
    out, start = [], 0
    for size in sizes:
        index = (slice(None),) * axis + (slice(start, start + size),)
        out.append(apply(op, (x,), (x.data,), index=index, output_number=len(out)))
        start += size
    return tuple(out)


def split(x, split_size_or_sections, dim=0) -> tuple:
    """Pieces of split_size along dim (the last one smaller), or of the listed sizes."""
    x = as_tensor(x)
    if x.data.ndim == 0:
        raise ShapeError("split expects at least a 1-dimensional tensor")
    axis = normalize_dim(dim, x.data.ndim)
    n = x.data.shape[axis]
    sections = split_size_or_sections
    if type(sections) is Tensor and sections.data.ndim == 0 and sections.dtype.category == dtypes.INT:
        sections = int(sections.data)
    if isinstance(sections, (tuple, list)):
        sizes = sizes_from((tuple(sections),))
        if any(s < 0 for s in sizes):
            raise ShapeError("split_with_sizes expects split_sizes have only non-negative entries, but got "
                             f"split_sizes={_shape_text(sizes)}")
        if int(np.sum(sizes, dtype=np.int64)) != n:
            raise ShapeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                             f"at dimension {axis}), but got split_sizes={_shape_text(sizes)}",
                             hint=f"the sizes must add up to {n}; split(x, k) cuts pieces of k instead")
        return _pieces(x, SPLIT_WITH_SIZES, axis, sizes)
    if not isinstance(sections, int) or isinstance(sections, bool):
        raise TcalcTypeError(f"split(): argument 'split_size' must be int or a list of ints, not "
                             f"{type_name(sections)}")
    return _split_by_size(x, axis, sections)


def _split_by_size(x: Tensor, axis: int, size: int) -> tuple:
    n = x.data.shape[axis]
    if size < 0:
        raise ShapeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0 and n != 0:
        raise ShapeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
    count = max(-(-n // size), 1) if size else 1
    return _pieces(x, SPLIT, axis, [min(size, n - i * size) for i in range(count)])


def chunk(x, chunks, dim=0) -> tuple:
    """At most `chunks` pieces of equal size along dim (the last one smaller)."""
    x = as_tensor(x)
    if not isinstance(chunks, int) or isinstance(chunks, bool):
        raise TcalcTypeError(f"chunk(): argument 'chunks' (position 1) must be int, not {type_name(chunks)}")
    if x.data.ndim == 0:
        raise ShapeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise ShapeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    axis = normalize_dim(dim, x.data.ndim)
    n = x.data.shape[axis]
    if n == 0:  # PyTorch gives `chunks` empty pieces, by split_with_sizes
        return _pieces(x, SPLIT_WITH_SIZES, axis, [0] * chunks)
    return _split_by_size(x, axis, -(-n // chunks))


def tensor_split(x, indices_or_sections, dim=0) -> tuple:
    """`sections` pieces as equal as can be (the first ones one larger), or the pieces
    between the given indices; each a slice of x."""
    x = as_tensor(x)
    if x.data.ndim == 0:
        raise ShapeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    what = indices_or_sections
    if type(what) is Tensor:
        if what.data.dtype != np.int64:
            raise DTypeError("tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                             f"{what.dtype.torch_name}")
        if what.data.ndim > 1:
            raise ShapeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                             f"one-dimensional tensor, but got a tensor with {what.data.ndim} dims")
        what = int(what.data) if what.data.ndim == 0 else what.data.tolist()
    axis = normalize_dim(dim, x.data.ndim)
    n = x.data.shape[axis]
    if isinstance(what, (tuple, list)):
        bounds = sizes_from((tuple(what),))
        starts = (0,) + bounds
        stops = bounds + (n,)
    else:
        if not isinstance(what, int) or isinstance(what, bool):
            raise TcalcTypeError("tensor_split(): argument 'indices_or_sections' must be int or a list of ints, "
                                 f"not {type_name(what)}")
        if what <= 0:
            raise ShapeError(f"number of sections must be larger than 0, got {what}")
        small, extra = divmod(n, what)
        sizes = [small + (i < extra) for i in range(what)]
        starts = tuple(int(s) for s in np.cumsum([0] + sizes[:-1]))
        stops = tuple(s + k for s, k in zip(starts, sizes))
    out = []
    for start, stop in zip(starts, stops):
        start, stop = _clip(start, n), _clip(stop, n)
        index = (slice(None),) * axis + (slice(start, max(start, stop)), Ellipsis)
        out.append(apply(SLICE, (x,), (x.data,), index=index, undo=UNDO[SLICE]))
    return tuple(out)


def _clip(i: int, n: int) -> int:
    return min(max(i + n if i < 0 else i, 0), n)


def unbind(x, dim=0) -> tuple:
    """The slices of x along dim, each with that dim removed."""
    x = as_tensor(x)
    if x.data.ndim == 0:
        raise TcalcIndexError("Dimension specified as 0 but tensor has no dimensions")
    axis = normalize_dim(dim, x.data.ndim)
    out = []
    for i in range(x.data.shape[axis]):
        out.append(apply(UNBIND, (x,), (x.data,), index=(slice(None),) * axis + (i,), output_number=i))
    return tuple(out)


# ---- moving dims, tiling, repeating ----------------------------------------------------

def movedim(x, source, destination) -> Tensor:
    """x with the dims in `source` moved to the places in `destination`, the others kept in
    order (a permute: a view)."""
    x = as_tensor(x)
    ndim = x.data.ndim
    source, destination = _int_list(source, "movedim(): source"), _int_list(destination, "movedim(): destination")
    if len(source) != len(destination):
        raise ShapeError(f"movedim: Invalid source or destination dims: source ({_shape_text(source)} dims) "
                         f"should contain the same number of dims as destination ({_shape_text(destination)} dims)")
    src = [normalize_dim(d, ndim) for d in source]
    dst = [normalize_dim(d, ndim) for d in destination]
    for name, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise ShapeError(f"movedim: repeated dim in `{name}` ({_shape_text(source if name == 'source' else destination)})")
    if ndim == 0:  # dim 0 of a 0-d tensor is the tensor itself
        return permute(x)
    order = [-1] * ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in src)
    order = [d if d >= 0 else next(rest) for d in order]
    return permute(x, *order)


def swapaxes(x, axis0, axis1) -> Tensor:
    return transpose(x, axis0, axis1)


def tile(x, *by_position, dims=None) -> Tensor:
    """x tiled dims[i] times along dim i; fewer dims than x has are padded with 1s in front."""
    x = as_tensor(x)
    dims = _dims_argument("tile", by_position, dims)
    if not dims:
        raise TcalcTypeError('tile() missing 1 required positional arguments: "dims"')
    dims = _int_list(dims[0] if len(dims) == 1 else dims, "tile(): dims")
    dims = (1,) * (x.data.ndim - len(dims)) + dims
    return repeat(x, dims)


def repeat_interleave(x, repeats=None, dim=None, output_size=None) -> Tensor:
    """Each element repeated `repeats` times (or repeats[i] times for element i) along dim;
    without dim, over the flattened tensor. repeat_interleave(repeats) alone repeats the
    indices 0, 1, ... ."""
    x = as_tensor(x)
    if repeats is None:  # torch.repeat_interleave(repeats)
        return _repeated_indices(x)
    if dim is None:
        x, dim = _flattened(x), 0
    axis = normalize_dim(dim, x.data.ndim)
    if type(repeats) is Tensor:
        if repeats.data.ndim > 1:
            raise ShapeError("repeats must be 0-dim or 1-dim tensor")
        n = x.data.shape[axis] if x.data.ndim else 1
        if repeats.data.ndim == 1 and repeats.data.shape[0] not in (1, n):
            raise ShapeError("repeats must have the same size as input along dim, but got "
                             f"repeats.size(0) = {repeats.data.shape[0]} and input.size(0) = {n}")
        counts = np.broadcast_to(repeats.data.reshape(-1), (n,))
        index = _repeated_indices(Tensor(np.ascontiguousarray(counts)))
        return index_select(x, axis, index)
    if not isinstance(repeats, int) or isinstance(repeats, bool):
        raise TcalcTypeError(f"repeat_interleave(): argument 'repeats' must be Tensor or int, not {type_name(repeats)}")
    if repeats < 0:
        raise ShapeError("Repeats must be non-negative")
    if x.data.ndim == 0:
        x, axis = reshape(x, 1), 0
    shape = x.data.shape
    check_shape(shape[:axis] + (shape[axis] * repeats,) + shape[axis + 1:])
    # PyTorch's steps: unsqueeze, expand, a contiguous copy, a view.
    spread = expand(unsqueeze(x, axis + 1), *shape[:axis + 1], repeats, *shape[axis + 1:])
    return view(clone(spread), *shape[:axis], shape[axis] * repeats, *shape[axis + 1:])


def _flattened(x: Tensor) -> Tensor:
    return x if x.data.ndim == 1 else reshape(x, -1)


def _repeated_indices(counts: Tensor) -> Tensor:
    if counts.data.dtype not in (np.int64, np.int32):
        raise DTypeError(f'"repeat_interleave_cpu" not implemented for \'{counts.dtype.torch_name}\'')
    if counts.data.ndim > 1:
        raise ShapeError("repeats must be 0-dim or 1-dim tensor")
    values = counts.data.reshape(-1)
    if values.size and values.min() < 0:
        raise ShapeError("repeats can not be negative")
    check_elements(int(values.sum()))
    return Tensor(np.repeat(np.arange(values.size, dtype=np.int64), values))


def meshgrid(*tensors, indexing=None) -> tuple:
    """Coordinate grids: output i holds tensors[i] along dim i, expanded over the others
    ('xy' swaps the first two dims, as NumPy's meshgrid). Each is a view."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise ShapeError("meshgrid expects a non-empty TensorList")
    tensors = tuple(_tensor_argument(t, "meshgrid", "tensors", 1) for t in tensors)
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise TcalcValueError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in tensors:
        if t.data.ndim > 1:
            raise ShapeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a "
                             f"{t.data.ndim}-dimensional tensor of shape {_shape_text(t.data.shape)}")
    if len({t.dtype for t in tensors}) > 1:
        raise DTypeError("meshgrid expects all tensors to have the same dtype")
    sizes = [t.data.size for t in tensors]
    places = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        places[0], places[1] = 1, 0
        sizes[0], sizes[1] = sizes[1], sizes[0]
    check_shape(sizes)
    out = []
    for t, place in zip(tensors, places):
        shape = [1] * len(tensors)
        shape[place] = t.data.size
        out.append(expand(view(t, *shape), *sizes))
    return tuple(out)


def view_as(x, other) -> Tensor:
    return view(x, *_tensor_argument(other, "view_as", "other", 1).data.shape)


def reshape_as(x, other) -> Tensor:
    return reshape(x, *_tensor_argument(other, "reshape_as", "other", 1).data.shape)


def expand_as(x, other) -> Tensor:
    return expand(x, *_tensor_argument(other, "expand_as", "other", 1).data.shape)


# ---- picking along a dim by an index tensor: gather, scatter, scatter_add ----------------

def _grid(index: np.ndarray, axis: int) -> tuple:
    """The NumPy index that reads a[i][j][index[i][j][k]] (for axis 2) at each place of index."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[axis] = index
    return tuple(grid)


def _at_least_1d(a: np.ndarray) -> np.ndarray:
    return a.reshape(1) if a.ndim == 0 else a


def _check_index_dtype(index: Tensor, function: str, words: str = "Expected dtype int32/int64 for index") -> None:
    if index.data.dtype not in (np.int64, np.int32):
        raise DTypeError(f"{function}(): {words}", hint="convert the index with .long()")


def _check_in_bounds(index: np.ndarray, size: int, axis: int, negatives: bool = False) -> None:
    if not index.size:
        return
    low = -size if negatives else 0
    bad = (index < low) | (index >= size)
    if bad.any():
        raise TcalcIndexError(f"index {index.reshape(-1)[np.argmax(bad.reshape(-1))]} is out of bounds for "
                              f"dimension {axis} with size {size}")


def _gather_forward(a, index, axis):
    a, out_shape = _at_least_1d(a), index.shape
    return a[_grid(_at_least_1d(index), axis)].reshape(out_shape)


def _gather_backward(n, g):
    x, index = n.inputs
    return (scatter_add(Tensor(np.zeros(x.data.shape, g.data.dtype)), n.params["axis"], index, g), None)


GATHER = Op("GatherBackward0", _gather_forward, _gather_backward, saves=(keep(1),))


def gather(x, dim, index, sparse_grad=False) -> Tensor:
    """out[i][j] = x[i][index[i][j]] (for dim 1): values picked along dim at index's places."""
    x = as_tensor(x)
    index = _tensor_argument(index, "gather", "index", 2)
    axis = normalize_dim(dim, x.data.ndim)
    _check_index_dtype(index, "gather")
    if max(index.data.ndim, 1) != max(x.data.ndim, 1):
        raise ShapeError("Index tensor must have the same number of dimensions as input tensor",
                         hint=f"the index has {index.data.ndim} dims and the input {x.data.ndim}: "
                              "unsqueeze the index, e.g. index.unsqueeze(-1)")
    own, wanted = _at_least_1d(x.data).shape, _at_least_1d(index.data).shape
    for d, (n, m) in enumerate(zip(wanted, own)):
        if d != axis and n > m:
            raise ShapeError(f"Size does not match at dimension {d} expected index {_shape_text(index.data.shape)} "
                             f"to be no larger than self {_shape_text(x.data.shape)} apart from dimension {axis}")
    _check_in_bounds(index.data, own[axis], axis)
    return apply(GATHER, (x, index), (x.data, index.data.astype(np.int64, copy=False)), axis=axis)


def _check_scatter(x: Tensor, index: Tensor, src, axis: int, function: str) -> None:
    _check_index_dtype(index, "scatter")
    ndim = max(x.data.ndim, 1)
    if max(index.data.ndim, 1) != ndim:
        raise ShapeError("Index tensor must have the same number of dimensions as self tensor")
    if type(src) is Tensor and max(src.data.ndim, 1) != ndim:
        raise ShapeError("Index tensor must have the same number of dimensions as src tensor")
    if type(src) is Tensor and src.data.dtype != x.data.dtype:
        raise DTypeError("scatter(): Expected self.dtype to be equal to src.dtype",
                         hint=f"convert the source first, e.g. src.to({x.dtype!r})")
    own, wanted = _at_least_1d(x.data).shape, _at_least_1d(index.data).shape
    source = _at_least_1d(src.data).shape if type(src) is Tensor else None
    for d, n in enumerate(wanted):
        if (d != axis and n > own[d]) or (source is not None and n > source[d]):
            text = (f"Expected index {_shape_text(index.data.shape)} to be no larger than self "
                    f"{_shape_text(x.data.shape)} apart from dimension {axis}")
            if source is not None:
                text += f" and to be no larger size than src {_shape_text(src.data.shape)}"
            raise ShapeError(text)
    _check_in_bounds(index.data, own[axis], axis)


def _source_part(src: np.ndarray, shape: tuple) -> np.ndarray:
    """The corner of src that index's shape covers (scatter reads no more of it)."""
    return _at_least_1d(src)[tuple(slice(0, n) for n in shape)]


def _scatter_forward(a, index, src, axis, add):
    out = _at_least_1d(a).copy()
    index = _at_least_1d(index)
    values = _source_part(src, index.shape) if src.ndim else src
    if add:
        np.add.at(out, _grid(index, axis), values)
    else:
        out[_grid(index, axis)] = values
    return out.reshape(a.shape)


def _scatter_backward(n, g):
    x, index, src = n.inputs
    axis = n.params["axis"]
    grad_self = g if n.params["add"] else scatter(g, axis, index, 0)
    grad_src = None
    if type(src) is Tensor and n.needs_grad(2):
        grad_src = gather(g, axis, index)
        if grad_src.data.shape != src.data.shape:  # src was read only where index reached
            grad_src = _put_corner(grad_src, src.data.shape)
    return (grad_self, None, grad_src)


def _put_corner(g: Tensor, shape: tuple) -> Tensor:
    """g in the leading corner of zeros of `shape` (a differentiable pad)."""
    if g.data.ndim != len(shape):
        return g
    return apply(CORNER_PUT, (g,), (g.data,), index=tuple(slice(0, n) for n in g.data.shape), shape=shape)


CORNER_TAKE = Op("SliceBackward0", lambda a, index: a[index].copy(),
                 lambda n, g: (_put_corner(g, n.inputs[0].data.shape),), saves=False)
CORNER_PUT = Op("SliceBackwardBackward0", _put_piece_forward,
                lambda n, g: (apply(CORNER_TAKE, (g,), (g.data,), index=n.params["index"]),), saves=False)
SCATTER = Op("ScatterBackward0", _scatter_forward, _scatter_backward, saves=(keep(1),))
SCATTER_VALUE = Op("ScatterBackward1", _scatter_forward, _scatter_backward, saves=(keep(1),))
SCATTER_ADD = Op("ScatterAddBackward0", _scatter_forward, _scatter_backward, saves=(keep(1),))


def scatter(x, dim, index, src=None, value=None, reduce=None) -> Tensor:
    """A copy of x with src[i][j] (or a value) written at x[i][index[i][j]] (for dim 1);
    with reduce='add' or 'multiply', combined with what is there."""
    x = as_tensor(x)
    if src is None:
        src = value
    if src is None:
        raise TcalcTypeError("scatter() missing required argument 'src' or 'value'")
    if reduce is not None and not isinstance(reduce, str):
        raise TcalcTypeError(f"scatter(): argument 'reduce' must be str, not {type_name(reduce)}")
    index = _tensor_argument(index, "scatter", "index", 2)
    axis = normalize_dim(dim, x.data.ndim)
    _check_scatter(x, index, src, axis, "scatter")
    if type(src) is not Tensor and not isinstance(src, (bool, int, float)):
        raise TcalcTypeError(f"scatter(): argument 'value' must be Number, not {type_name(src)}")
    source = src.data if type(src) is Tensor else fill_array(src, x.data.dtype)
    if reduce is not None:
        if reduce not in _SCATTER_REDUCES:
            raise TcalcValueError("reduce argument must be either add or multiply.")
        return apply(SCATTER_REDUCE_OLD, (x, index, src), (x.data, index.data, source), axis=axis,
                     reduce=_SCATTER_REDUCES[reduce], include_self=True)
    return apply(SCATTER if type(src) is Tensor else SCATTER_VALUE, (x, index, src), (x.data, index.data, source),
                 axis=axis, add=False)


def scatter_add(x, dim, index, src) -> Tensor:
    """A copy of x with src[i][j] added at x[i][index[i][j]] (for dim 1); repeated places add up."""
    x = as_tensor(x)
    index = _tensor_argument(index, "scatter_add", "index", 2)
    src = _tensor_argument(src, "scatter_add", "src", 3)
    axis = normalize_dim(dim, x.data.ndim)
    _check_scatter(x, index, src, axis, "scatter_add")
    return apply(SCATTER_ADD, (x, index, src), (x.data, index.data, src.data), axis=axis, add=True)


# ---- scatter with a reduction: scatter(reduce=), scatter_reduce, index_reduce -------------
# The places index names are combined with the source by a ufunc (mean: summed, then divided
# by how many met there); without include_self, a place's old value is left out. index_reduce
# is scatter_reduce with its index spread over the source's shape.

_UFUNCS = {"sum": np.add, "prod": np.multiply, "mean": np.add, "amax": np.maximum, "amin": np.minimum}
_SCATTER_REDUCES = {"add": "sum", "multiply": "prod"}  # scatter(reduce=)'s names
# scatter_reduce takes max and min too, as the kernel's older names (its gradient does not).
_REDUCE_NAMES = {"sum": "sum", "prod": "prod", "mean": "mean", "amax": "amax", "amin": "amin", "max": "amax",
                 "min": "amin"}


def _identity(reduce: str, dtype: np.dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "b":
        return reduce == "amin"
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _scatter_reduce_forward(a, index, src, axis, reduce, include_self):
    reduce = _REDUCE_NAMES[reduce]
    out = _at_least_1d(a).copy()
    index = _at_least_1d(index)
    values = _source_part(src, index.shape) if src.ndim else np.broadcast_to(src, index.shape)
    places = _grid(index, axis)
    if not include_self:
        out[places] = _identity(reduce, out.dtype)
    _UFUNCS[reduce].at(out, places, values)
    if reduce == "mean":
        counts = np.full(out.shape, 1 if include_self else 0, dtype=np.int64)
        np.add.at(counts, places, 1)
        counts = np.maximum(counts, 1)
        if out.dtype.kind == "f":
            out = (out / counts).astype(out.dtype)
        else:  # integers: PyTorch divides with rounding_mode='floor'
            out = np.floor_divide(out, counts).astype(out.dtype)
    return out.reshape(a.shape)


def _scatter_reduce_backward(n, g):
    """PyTorch's scatter_reduce_backward: amax/amin share g evenly among the values equal
    to the result; prod divides the result by each factor, with zeros taken apart."""
    x, index, src = n.inputs
    axis, reduce, include_self = n.params["axis"], n.params["reduce"], n.params["include_self"]
    if reduce not in _UFUNCS:
        raise AutogradError(f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' but got {reduce}.",
                            hint=f"reduce='a{reduce}' has a gradient")
    part = _source_part_tensor(src, index)
    if reduce == "sum":
        grad_self, grad_src = g, gather(g, axis, index)
    elif reduce == "mean":
        counts = scatter_add(_filled_like(g, 1 if include_self else 0), axis, index, _filled_like(part, 1))
        counts = elementwise.where(elementwise.eq(counts, 0), 1, counts)
        grad_self = elementwise.div(g, counts)
        grad_src = elementwise.div(gather(g, axis, index), gather(counts, axis, index))
    elif reduce in ("amax", "amin"):
        result = n.output
        self_is = convert.to_dtype(elementwise.eq(x, result), x.dtype)
        src_is = convert.to_dtype(elementwise.eq(part, gather(result, axis, index)), x.dtype)
        shared = elementwise.div(g, scatter_add(self_is, axis, index, src_is))
        grad_self = elementwise.mul(self_is, shared)
        grad_src = elementwise.mul(src_is, gather(shared, axis, index))
    else:
        grad_self, grad_src = _prod_gradients(n, g, x, index, part, axis, include_self)
    if not include_self:
        grad_self = scatter(grad_self, axis, index, 0)
    if n.needs_grad(2) and grad_src.data.shape != src.data.shape:  # PyTorch's gradient is index's shape
        raise AutogradError(f"Function {n.op.name} returned an invalid gradient at index 1 - got "
                            f"{_shape_text(grad_src.data.shape)} but expected shape compatible with "
                            f"{_shape_text(src.data.shape)}", hint="make src the shape of index")
    return (grad_self, None, grad_src)


def _prod_gradients(n, g, x, index, part, axis, include_self):
    result, op = n.output, n.op
    again = dict(axis=axis, reduce="prod", include_self=include_self)
    # self's: the product of the others, a zero in self taken as 1
    masked_self = elementwise.where(elementwise.eq(x, 0), 1, x)
    others = apply(op, (masked_self, index, part), (masked_self.data, index.data, part.data), **again)
    grad_self = elementwise.div(elementwise.mul(g, others), masked_self)
    # src's: the result over the factor; for a place's only zero, the product of the others
    src_zero = elementwise.eq(part, 0)
    zeros_there = gather(scatter_add(_filled_like(x, 0), axis, index, convert.to_dtype(src_zero, x.dtype)),
                         axis, index)
    single_zero = elementwise.logical_and(src_zero, elementwise.eq(zeros_there, 1))
    masked_src = elementwise.where(single_zero, 1, part)
    without_zero = apply(op, (x, index, masked_src), (x.data, index.data, masked_src.data), **again)
    grad_src = elementwise.where(single_zero, gather(elementwise.mul(g, without_zero), axis, index),
                                 elementwise.div(gather(elementwise.mul(g, result), axis, index),
                                                 elementwise.where(src_zero, 1, part)))
    if (zeros_there.data > 1).any():  # PyTorch's gradient is then a node that refuses its own
        grad_src = apply(DOUBLE_BACKWARD_ERROR, (grad_src,), (grad_src.data,))
    return grad_self, grad_src


def _no_double_backward(n, g):
    raise AutogradError("scatter_reduce(): Double backward is unsupported for src when >1 zeros in src are "
                        "scattered to the same position in self")


DOUBLE_BACKWARD_ERROR = Op("Error", lambda a: a.copy(), _no_double_backward, saves=False)


def _filled_like(t: Tensor, value) -> Tensor:
    return Tensor(np.full(t.data.shape, value, dtype=t.data.dtype))


def _source_part_tensor(src: Tensor, index: Tensor) -> Tensor:
    """The corner of src that index covers, as a tensor (differentiable)."""
    shape = _at_least_1d(index.data).shape
    if _at_least_1d(src.data).shape == shape:
        return src
    return apply(CORNER_TAKE, (src,), (src.data,), index=tuple(slice(0, k) for k in shape))


def _no_scatter_derivative(n, g):
    raise AutogradError("derivative for aten::scatter is not implemented",
                        hint="scatter_reduce(..., 'sum' or 'prod') has a gradient")


# scatter with reduce= has no derivative in PyTorch: its node is NotImplemented.
SCATTER_REDUCE_OLD = Op("NotImplemented", _scatter_reduce_forward, _no_scatter_derivative, saves=False)
SCATTER_REDUCE = Op("ScatterReduceBackward0", _scatter_reduce_forward, _scatter_reduce_backward,
                    saves=(keep(0), keep(1), keep(2), keep(OUT)))
INDEX_REDUCE = Op("IndexReduceBackward0", _scatter_reduce_forward, _scatter_reduce_backward,
                  saves=(keep(0), keep(1), keep(2), keep(OUT)))


def scatter_reduce(x, dim, index, src, reduce, *, include_self=True) -> Tensor:
    """A copy of x with src[i][j] combined into x[i][index[i][j]] (for dim 1) by 'sum',
    'prod', 'mean', 'amax' or 'amin'; include_self=False leaves out x's old values there."""
    x = as_tensor(x)
    index = _tensor_argument(index, "scatter_reduce", "index", 2)
    src = _tensor_argument(src, "scatter_reduce", "src", 3)
    if not isinstance(reduce, str):
        raise TcalcTypeError(f"scatter_reduce(): argument 'reduce' (position 4) must be str, not {type_name(reduce)}")
    axis = normalize_dim(dim, x.data.ndim)
    if reduce not in _REDUCE_NAMES:
        raise TcalcValueError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    _check_scatter(x, index, src, axis, "scatter_reduce")
    if reduce == "mean" and x.dtype is dtypes.bool_:
        raise TcalcTypeError("\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'")
    return apply(SCATTER_REDUCE, (x, index, src), (x.data, index.data, src.data), axis=axis,
                 reduce=reduce, include_self=bool(include_self))


def index_reduce(x, dim, index, source, reduce, *, include_self=True) -> Tensor:
    """A copy of x with source's slices along dim combined into the slices at the given
    indices by 'prod', 'mean', 'amax' or 'amin'."""
    x = as_tensor(x)
    index = _tensor_argument(index, "index_reduce", "index", 2)
    source = _tensor_argument(source, "index_reduce", "source", 3)
    axis = normalize_dim(dim, x.data.ndim)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise TcalcValueError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    if index.data.dtype not in (np.int64, np.int32):
        raise DTypeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {index.dtype.torch_name}",
                         hint="convert the index with .long()")
    if index.data.ndim > 1:
        raise TcalcIndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {index.data.ndim} "
                              f"with type: {index.dtype.torch_name} and size: {_shape_text(index.data.shape)}")
    if source.data.dtype != x.data.dtype:
        raise DTypeError(f"index_reduce_(): self ({x.dtype.torch_name}) and source ({source.dtype.torch_name}) "
                         "must have the same scalar type")
    _check_slices(x, index, source, axis, "index_reduce_")
    positions = index.data.reshape(-1).astype(np.int64, copy=False)
    size = _at_least_1d(x.data).shape[axis]
    if positions.size and (positions.min() < 0 or positions.max() >= size):
        raise TcalcIndexError("index out of range in self")
    if reduce == "mean" and x.dtype is dtypes.bool_:
        raise TcalcTypeError("\"div_floor_cpu\" not implemented for 'Bool'")
    # index along dim, the same at every place of the other dims
    spread = _at_least_1d(source.data).shape
    places = np.broadcast_to(positions.reshape((-1,) + (1,) * (len(spread) - axis - 1)), spread)
    places = Tensor(np.ascontiguousarray(places).reshape(source.data.shape))
    return apply(INDEX_REDUCE, (x, places, source), (x.data, places.data, source.data), axis=axis,
                 reduce=reduce, include_self=bool(include_self))


# ---- picking whole slices along a dim: index_select, index_add; and take -----------------

def _index_select_forward(a, index, axis):
    return np.take(_at_least_1d(a), index, axis).reshape(index.shape if a.ndim == 0 else
                                                         a.shape[:axis] + index.shape + a.shape[axis + 1:])


def _index_select_backward(n, g):
    x, index = n.inputs
    zeros = Tensor(np.zeros(x.data.shape, g.data.dtype))
    return (index_add(zeros, n.params["axis"], index, g), None)


INDEX_SELECT = Op("IndexSelectBackward0", _index_select_forward, _index_select_backward, saves=(keep(1),))


def index_select(x, dim, index) -> Tensor:
    """The slices of x along dim at the given indices, in their order."""
    x = as_tensor(x)
    index = _tensor_argument(index, "index_select", "index", 2)
    axis = normalize_dim(dim, x.data.ndim)
    if index.data.dtype not in (np.int64, np.int32):
        raise DTypeError("index_select(): Expected dtype int32 or int64 for index", hint="convert the index with .long()")
    if index.data.ndim > 1:
        raise TcalcIndexError("index_select(): Index is supposed to be a vector")
    size = x.data.shape[axis] if x.data.ndim else 1
    positions = index.data.reshape(-1).astype(np.int64, copy=False)
    if positions.size and (positions.min() < 0 or positions.max() >= size):
        raise TcalcIndexError("index out of range in self")
    shape = x.data.shape
    check_shape(shape[:axis] + positions.shape + shape[axis + 1:])
    return apply(INDEX_SELECT, (x, index), (x.data, positions), axis=axis)


def _index_add_forward(a, index, source, axis, alpha):
    out = _at_least_1d(a).copy()
    source = _at_least_1d(source)
    moved = np.moveaxis(out, axis, 0)  # a view: adding into it adds into out
    np.add.at(moved, index, np.moveaxis(source, axis, 0) * alpha if alpha != 1 else np.moveaxis(source, axis, 0))
    return out.reshape(a.shape)


def _index_add_backward(n, g):
    x, index, source = n.inputs
    grad_source = None
    if n.needs_grad(2):
        grad_source = index_select(g, n.params["axis"], index)
        if n.params["alpha"] != 1:
            grad_source = grad_source * n.params["alpha"]
        grad_source = reshape(grad_source, *source.data.shape)
    return (g, None, grad_source)


INDEX_ADD = Op("IndexAddBackward0", _index_add_forward, _index_add_backward, saves=(keep(1),))


def _check_slices(x, index, source, axis: int, function: str) -> None:
    """index_add_'s and index_reduce_'s: one index for each of source's slices along dim,
    which are shaped as x's."""
    own, src = _at_least_1d(x.data).shape, _at_least_1d(source.data).shape
    count = index.data.size
    source_size = src[axis] if len(src) > axis else 1
    if count != source_size:
        raise ShapeError(f"{function}(): Number of indices ({count}) should be equal to source.size(dim): "
                         f"({source_size}), for dim: {axis}")
    if len(src) != len(own) or (x.data.ndim == 0) != (source.data.ndim == 0) \
            or any(a != b for d, (a, b) in enumerate(zip(own, src)) if d != axis):
        raise ShapeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                         f"Got self.shape = {_shape_text(x.data.shape)} source.shape = {_shape_text(source.data.shape)}")


def index_add(x, dim, index, source, alpha=1) -> Tensor:
    """A copy of x with source's slices along dim (times alpha) added at the given indices."""
    x = as_tensor(x)
    index = _tensor_argument(index, "index_add", "index", 2)
    source = _tensor_argument(source, "index_add", "source", 3)
    axis = normalize_dim(dim, x.data.ndim)
    if index.data.dtype not in (np.int64, np.int32):
        raise DTypeError(f"index_add_(): Expected dtype int32/int64 for index but got: {index.dtype.torch_name}",
                         hint="convert the index with .long()")
    if index.data.ndim > 1:
        raise TcalcIndexError("index_add_(): Index is supposed to be a vector")
    if source.data.dtype != x.data.dtype:
        raise DTypeError(f"index_add_(): self ({x.dtype.torch_name}) and source ({source.dtype.torch_name}) "
                         "must have the same scalar type")
    _check_slices(x, index, source, axis, "index_add_")
    own = _at_least_1d(x.data).shape
    positions = index.data.reshape(-1).astype(np.int64, copy=False)
    _check_in_bounds(positions, own[axis], axis)
    return apply(INDEX_ADD, (x, index, source), (x.data, positions, source.data), axis=axis, alpha=alpha)


def _take_forward(a, index):
    return a.reshape(-1)[index]


def _put_flat_forward(g, index, shape):
    out = np.zeros(math.prod(shape), g.dtype)
    np.add.at(out, index, g)
    return out.reshape(shape)


TAKE = Op("TakeBackward0", _take_forward,
          lambda n, g: (apply(PUT, (g,), (g.data,), index=n.params["index"], shape=n.inputs[0].data.shape), None),
          saves=(keep(1),))
PUT = Op("PutBackward0", _put_flat_forward,
         lambda n, g: (apply(TAKE_AGAIN, (g,), (g.data,), index=n.params["index"]),), saves=False)
TAKE_AGAIN = Op("TakeBackward0", _take_forward,
                lambda n, g: (apply(PUT, (g,), (g.data,), index=n.params["index"], shape=n.inputs[0].data.shape),),
                saves=False)


def take(x, index) -> Tensor:
    """x's elements at the given places of x flattened, shaped as index."""
    x = as_tensor(x)
    index = _tensor_argument(index, "take", "index", 1)
    if index.data.dtype != np.int64:
        raise DTypeError(f"take(): Expected a long tensor for index, but got {index.dtype.torch_name}",
                         hint="convert the index with .long()")
    n = x.data.size
    flat = index.data.reshape(-1)
    bad = (flat < -n) | (flat >= n)
    if bad.any():
        raise TcalcIndexError(f"out of range: tried to access index {flat[np.argmax(bad)]} on a tensor of {n} elements.")
    return apply(TAKE, (x, index), (x.data,), index=index.data.copy())


# ---- masks -----------------------------------------------------------------------------

_MASK_HINT = "a mask is a bool tensor: compare (x > 0), or convert with .bool()"


def _check_mask(mask, function: str) -> Tensor:
    mask = _tensor_argument(mask, function, "mask", 1)
    if mask.data.dtype != np.bool_:
        if function == "masked_select":
            raise DTypeError("masked_select: expected BoolTensor for mask", hint=_MASK_HINT)
        raise DTypeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype.type_meta}",
                         hint=_MASK_HINT)
    return mask


def _masked_fill_forward(a, mask, value, shape):
    return np.where(mask, value, a).astype(a.dtype, copy=False) if shape == a.shape else \
        np.where(mask, value, np.broadcast_to(a, shape)).astype(a.dtype, copy=False)


def _masked_fill_backward(n, g):
    x, mask, value = n.inputs
    grad_value = None
    if type(value) is Tensor and n.needs_grad(2):
        grad_value = sum_all(g - masked_fill(g, mask, 0))  # the sum of g where mask holds
    return (masked_fill(g, mask, 0), None, grad_value)


MASKED_FILL = Op("MaskedFillBackward0", _masked_fill_forward, _masked_fill_backward, saves=(keep(1),))
MASKED_FILL_TENSOR = Op("MaskedFillBackward1", _masked_fill_forward, _masked_fill_backward, saves=(keep(1),))


def masked_fill(x, mask, value) -> Tensor:
    """A copy of x with value where mask (broadcast) holds."""
    x = as_tensor(x)
    mask = _check_mask(mask, "masked_fill")
    shape = broadcast_shape(mask.data.shape, x.data.shape)
    if type(value) is Tensor:
        if value.data.ndim:
            raise ShapeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                             f"{value.data.ndim} dimension(s).")
        return apply(MASKED_FILL_TENSOR, (x, mask, value),
                     (x.data, mask.data, value.data.astype(x.data.dtype)), shape=shape)
    if not isinstance(value, (bool, int, float)):
        raise TcalcTypeError(f"masked_fill(): argument 'value' must be Number, not {type_name(value)}")
    return apply(MASKED_FILL, (x, mask, value), (x.data, mask.data, fill_array(value, x.data.dtype)), shape=shape)


def _masked_select_forward(a, mask, shape):
    return np.broadcast_to(a, shape)[np.broadcast_to(mask, shape)]


def _masked_scatter_forward(g, mask, shape):
    out = np.zeros(shape, g.dtype)
    out[np.broadcast_to(mask, shape)] = g
    return out


MASKED_SELECT = Op("MaskedSelectBackward0", _masked_select_forward,
                   lambda n, g: (apply(MASKED_SCATTER, (g, n.inputs[1]), (g.data, n.inputs[1].data),
                                       shape=n.params["shape"]), None), saves=(keep(1),))
MASKED_SCATTER = Op("MaskedScatterBackward0", _masked_scatter_forward,
                    lambda n, g: (masked_select(g, n.inputs[1]), None), saves=(keep(1),))


def masked_select(x, mask) -> Tensor:
    """The elements of x (broadcast with mask) where mask holds, as a vector."""
    x = as_tensor(x)
    mask = _check_mask(mask, "masked_select")
    shape = broadcast_shape(mask.data.shape, x.data.shape)
    return apply(MASKED_SELECT, (x, mask), (x.data, mask.data), shape=shape)


# ---- where the nonzero elements are -----------------------------------------------------

def nonzero(x, as_tuple=False):
    """The indices of x's nonzero elements: one row each (int64), or one tensor per dim."""
    x = as_tensor(x)
    if as_tuple:
        return tuple(Tensor(i.astype(np.int64)) for i in np.nonzero(_at_least_1d(x.data)))
    return Tensor(np.argwhere(x.data).astype(np.int64))


def argwhere(x) -> Tensor:
    return nonzero(x)


def count_nonzero(x, dim=None) -> Tensor:
    x = as_tensor(x)
    if dim is None:
        return Tensor(np.asarray(np.count_nonzero(x.data), dtype=np.int64))
    axes = _distinct_dims(_int_list(dim, "count_nonzero(): dim"), x.data.ndim)
    return Tensor(np.asarray(np.count_nonzero(x.data, axis=axes if x.data.ndim else None), dtype=np.int64))


# ---- unique ------------------------------------------------------------------------------

def _not_differentiable(name: str):
    def backward(n, g):
        raise AutogradError(f"the derivative for '{name}' is not implemented.",
                            hint="unique's values are not differentiable; detach() them first")
    return backward


UNIQUE = Op("Unique2Backward0", lambda a, values: values, _not_differentiable("_unique2"), saves=False)
UNIQUE_DIM = Op("UniqueDimBackward0", lambda a, values: values, _not_differentiable("unique_dim"), saves=False)


def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """x's distinct values in ascending order (of its slices along dim, if given); with
    return_inverse, where each element went; with return_counts, how often each occurs."""
    x = as_tensor(x)
    if dim is None:
        values, inverse, counts = np.unique(x.data.reshape(-1), return_inverse=True, return_counts=True,
                                            equal_nan=False)
        inverse = inverse.reshape(x.data.shape)
        out = apply(UNIQUE, (x,), (x.data,), values=values)
    else:
        axis = normalize_dim(dim, x.data.ndim)
        data = x.data if x.data.ndim else x.data.reshape(1)
        values, inverse, counts = np.unique(data, return_inverse=True, return_counts=True, axis=axis)
        inverse = inverse.reshape(-1)
        out = apply(UNIQUE_DIM, (x,), (x.data,), values=values)
    extra = ((Tensor(inverse.astype(np.int64)),) if return_inverse else ()) + \
        ((Tensor(counts.astype(np.int64)),) if return_counts else ())
    return (out,) + extra if extra else out


# ---- in place: masked_fill_, scatter_, scatter_add_, scatter_reduce_, index_add_, index_reduce_

def _in_place(function, x, *args, **kwargs) -> Tensor:
    """x = function(x, ...), written into x's memory; x's shape may not change."""
    x = as_tensor(x)
    _check_leaf(x)
    tracked = is_grad_enabled() and (x.requires_grad or any(type(a) is Tensor and a.requires_grad for a in args))
    old = Tensor(x.data.copy(), x.requires_grad, x.grad_fn) if tracked else Tensor(x.data)
    result = function(old, *args, **kwargs)
    if result.data.shape != x.data.shape:
        raise ShapeError(f"output with shape {_shape_text(x.data.shape)} doesn't match the broadcast shape "
                         f"{_shape_text(result.data.shape)}")
    x.data[...] = result.data
    bump_version(x)
    if tracked:
        x.requires_grad, x.grad_fn = True, result.grad_fn
    return x


def masked_fill_(x, mask, value) -> Tensor:
    return _in_place(masked_fill, x, mask, value)


def scatter_(x, dim, index, src=None, value=None, reduce=None) -> Tensor:
    return _in_place(scatter, x, dim, index, src, value=value, reduce=reduce)


def scatter_add_(x, dim, index, src) -> Tensor:
    return _in_place(scatter_add, x, dim, index, src)


def scatter_reduce_(x, dim, index, src, reduce, *, include_self=True) -> Tensor:
    return _in_place(scatter_reduce, x, dim, index, src, reduce, include_self=include_self)


def index_reduce_(x, dim, index, source, reduce, *, include_self=True) -> Tensor:
    return _in_place(index_reduce, x, dim, index, source, reduce, include_self=include_self)


def index_add_(x, dim, index, source, alpha=1) -> Tensor:
    return _in_place(index_add, x, dim, index, source, alpha=alpha)
