"""Ops that move elements without changing them: views, joins and indexing."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..autograd import Op, apply, is_grad_enabled, keep
from ..errors import AutogradError, DTypeError, ShapeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from ..limits import check_shape
from ..tensor import Tensor, bump_version, version_counter
from ..values import type_name
from ._base import as_tensor, normalize_dim, result_type


def sizes_from(args) -> tuple[int, ...]:
    """Sizes given as varargs `(2, 3)` or as one tuple/list/Size `((2, 3))`."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for n in args:
        if type(n) is Tensor and n.data.ndim == 0 and n.dtype.category == dtypes.INT:
            continue
        if not isinstance(n, int) or isinstance(n, bool):
            raise TcalcTypeError(f"sizes must be ints, got {type_name(n)}")
    return tuple(int(n.data) if type(n) is Tensor else n for n in args)


def infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """Resolve one -1 in a requested shape, with PyTorch's errors."""
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1:
        raise ShapeError("only one dimension can be inferred")
    for i, n in enumerate(shape):
        if n < -1:
            raise ShapeError(f"invalid shape dimension {n} at index {i} of shape {_shape_list(shape)}")
    known = math.prod(n for n in shape if n != -1)
    if unknown:
        if known == 0 and numel == 0:
            raise ShapeError(f"cannot reshape tensor of 0 elements into shape {_shape_list(shape)} because "
                             "the unspecified dimension size -1 can be any value and is ambiguous")
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


VIEW = Op("ViewBackward0", lambda a, shape: a.reshape(shape), _reshape_backward, saves=False, view=True)
UNSAFE_VIEW = Op("UnsafeViewBackward0", lambda a, shape: a.reshape(shape), _reshape_backward,
                 saves=False)


def reshape(x, *shape) -> Tensor:
    x = as_tensor(x)
    shape = infer_shape(sizes_from(shape), x.data.size)
    if shape == x.data.shape and x.grad_fn is None and not x.requires_grad:
        out = Tensor(x.data.view())
        out._vc = version_counter(x)
        return out
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
    for d in (start_dim, end_dim):
        if not isinstance(d, int) or isinstance(d, bool):
            raise TcalcTypeError(f"flatten(): argument '{'start_dim' if d is start_dim else 'end_dim'}' must "
                                 f"be int, not {type_name(d)}")
    start, end = normalize_dim(start_dim, x.data.ndim), normalize_dim(end_dim, x.data.ndim)
    if x.data.ndim == 0:
        return reshape(x, 1)
    if start > end:
        raise TcalcIndexError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x.data.shape
    if start == end:
        return x
    return reshape(x, shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])


def _permute_backward(n, g):
    return (permute(g, *np.argsort(n.params["axes"]).tolist()),)


PERMUTE = Op("PermuteBackward0", lambda a, axes: a.transpose(axes), _permute_backward, saves=False,
             view=True)
TRANSPOSE = Op("TransposeBackward0", lambda a, axes: a.transpose(axes), _permute_backward, saves=False,
               view=True)
T_OP = Op("TBackward0", lambda a, axes: a.transpose(axes), _permute_backward, saves=False, view=True)


def permute(x, *dims) -> Tensor:
    x = as_tensor(x)
    dims = sizes_from(dims)
    if len(dims) != x.data.ndim:
        raise ShapeError("permute(sparse_coo): number of dimensions in the tensor input does not "
                         "match the length of the desired ordering of dimensions i.e. input.dim() = "
                         f"{x.data.ndim} is not equal to len(dims) = {len(dims)}")
    axes = tuple(normalize_dim(d, x.data.ndim) for d in dims)
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
    if axes:  # a 0-d tensor has its one "dim" 0 and nothing to swap
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


def mT(x) -> Tensor:
    """`x.mT`: transposes the last two dims (TransposeBackward0); the identity on 0-d."""
    x = as_tensor(x)
    if x.data.ndim == 1:
        raise ShapeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.",
                         hint="a vector has no rows and columns to swap; use x.unsqueeze(0) for a row")
    return transpose(x, -2, -1) if x.data.ndim else x


def _expand_forward(a, shape):
    return np.broadcast_to(a, shape)


def _expand_backward(n, g):
    from .reduce import sum_to

    return (sum_to(g, n.inputs[0].data.shape),)


EXPAND = Op("ExpandBackward0", _expand_forward, _expand_backward, saves=False, view=True)


def expand(x, *sizes) -> Tensor:
    x = as_tensor(x)
    shape = expanded_shape(x.data.shape, sizes_from(sizes), x.dtype)
    return apply(EXPAND, (x,), (x.data,), shape=shape)


def expanded_shape(own: tuple, sizes: tuple, dtype: dtypes.DType) -> tuple:
    """The shape `expand(*sizes)` gives a tensor of shape `own` (-1 keeps a size), with
    PyTorch's errors: it checks the sizes from the last one back."""
    if len(sizes) < len(own):
        raise ShapeError(
            f"expand(torch.{dtype.torch_name}Tensor{{{list(own)}}}, size={list(sizes)}): the number "
            f"of sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(own)})")
    lead = len(sizes) - len(own)
    shape = list(sizes)
    for i in reversed(range(len(sizes))):
        n, current = sizes[i], own[i - lead] if i >= lead else 1
        if n == -1:
            if i < lead:
                raise ShapeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                                 f"non-existing dimension {i}")
            shape[i] = current
        elif current != 1 and current != n:
            raise ShapeError(f"The expanded size of the tensor ({n}) must match the existing size "
                             f"({current}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}."
                             f"  Tensor sizes: {list(own)}")
    if any(n < 0 for n in shape):  # a negative size where a size of 1 stretches
        raise ShapeError("numel: integer multiplication overflow")
    return tuple(shape)


# ---- repeat: tiles of a tensor ------------------------------------------------------------

def _repeat_backward(n, g):
    """Each input element was copied once per tile: its gradient is the sum over the tiles.
    g is viewed as (tiles_0, size_0, tiles_1, size_1, ...) and summed over the tiles."""
    from .reduce import sum

    repeats, own = n.params["repeats"], n.inputs[0].data.shape
    padded = (1,) * (len(repeats) - len(own)) + tuple(own)
    split = tuple(k for r, s in zip(repeats, padded) for k in (r, s))
    tiles = tuple(range(0, 2 * len(repeats), 2))
    return (reshape(sum(reshape(g, split), tiles) if tiles else g, own),)


REPEAT = Op("RepeatBackward0", lambda a, repeats: np.tile(a, repeats), _repeat_backward, saves=False)


def repeat(x, *repeats) -> Tensor:
    """x.repeat(*sizes): x tiled sizes[i] times along dim i; more sizes than dims add
    leading dims (PyTorch's Tensor.repeat, np.tile)."""
    x = as_tensor(x)
    if not repeats:
        raise TcalcTypeError('repeat() missing 1 required positional arguments: "repeats"',
                             hint="give the number of copies along each dim, e.g. x.repeat(2, 1)")
    if len(repeats) == 1 and isinstance(repeats[0], (tuple, list)):
        repeats = tuple(repeats[0])
    elif len(repeats) > 1 and isinstance(repeats[0], (tuple, list)):
        raise TcalcTypeError(f"repeat() takes 1 positional argument but {len(repeats)} were given")
    for i, r in enumerate(repeats):
        if type(r) is Tensor and r.data.ndim == 0 and r.dtype.category == dtypes.INT:
            continue
        if not isinstance(r, int) or isinstance(r, bool):
            if len(repeats) == 1:
                raise TcalcTypeError("repeat(): argument 'repeats' (position 1) must be tuple of ints, "
                                     f"not {type_name(r)}")
            raise TcalcTypeError(f"repeat(): argument 'repeats' failed to unpack the object at pos {i + 1} "
                                 f'with error "type must be tuple of ints,but got {type_name(r)}"')
    repeats = tuple(int(r.data) if type(r) is Tensor else r for r in repeats)
    own = x.data.shape
    if len(repeats) < len(own):
        raise ShapeError("Number of dimensions of repeat dims can not be smaller than number of "
                         "dimensions of tensor",
                         hint=f"give one size per dim ({len(own)}), e.g. x.repeat("
                              f"{', '.join(['2'] + ['1'] * (len(own) - 1))})")
    padded = (1,) * (len(repeats) - len(own)) + tuple(own)
    shape = [r * s for r, s in zip(repeats, padded)]
    for n in shape:
        if n < 0:
            raise ShapeError(f"Trying to create tensor with negative dimension {n}: {_shape_list(shape)}")
    if math.prod(shape) * x.data.itemsize > 2 ** 63 - 1:
        raise ShapeError(f"Storage size calculation overflowed with sizes={_shape_list(shape)}")
    check_shape(shape)  # refuse a result too large before tiling
    return apply(REPEAT, (x,), (x.data,), repeats=repeats)


# ---- tril, triu, diag: triangles and diagonals of matrices ------------------------------

def _diagonal_argument(name: str, diagonal) -> int:
    if not isinstance(diagonal, int) or isinstance(diagonal, bool):
        raise TcalcTypeError(f"{name}(): argument 'diagonal' (position 2) must be int, not "
                             f"{type_name(diagonal)}")
    return diagonal


def _triangle_backward(n, g):
    """Only the kept triangle reached the result: the gradient keeps the same triangle."""
    return (apply(n.op, (g,), (g.data,), diagonal=n.params["diagonal"]),)


TRIL = Op("TrilBackward0", lambda a, diagonal: np.tril(a, diagonal), _triangle_backward, saves=False)
TRIU = Op("TriuBackward0", lambda a, diagonal: np.triu(a, diagonal), _triangle_backward, saves=False)


def _triangle(name: str, op: Op, x, diagonal) -> Tensor:
    x = as_tensor(x)
    diagonal = _diagonal_argument(name, diagonal)
    if x.data.ndim < 2:
        raise ShapeError(f"{name}: input tensor must have at least 2 dimensions",
                         hint="tril and triu take a matrix or a batch of matrices")
    return apply(op, (x,), (x.data,), diagonal=diagonal)


def tril(x, diagonal=0) -> Tensor:
    """The lower triangle of the last two dims (on and below `diagonal`), zeros elsewhere."""
    return _triangle("tril", TRIL, x, diagonal)


def triu(x, diagonal=0) -> Tensor:
    """The upper triangle of the last two dims (on and above `diagonal`), zeros elsewhere."""
    return _triangle("triu", TRIU, x, diagonal)


def _diagonal_of(a, offset, shape=None):
    return np.diagonal(a, offset).copy()


def _on_diagonal(v, offset, shape):
    """A matrix of `shape`, zero but for the vector v on diagonal `offset`."""
    out = np.zeros(shape, dtype=v.dtype)
    rows = np.arange(v.shape[0]) + max(-offset, 0)
    out[rows, rows + offset] = v
    return out



def _take_diagonal_backward(n, g):
    return (apply(PUT_DIAGONAL, (g,), (g.data,), offset=n.params["offset"], shape=n.inputs[0].data.shape),)


def _put_diagonal_backward(n, g):
    return (apply(TAKE_DIAGONAL, (g,), (g.data,), offset=n.params["offset"]),)


# diag(vector) embeds it in a matrix; diag(matrix) copies a diagonal out. Each one's gradient
# is the other, so second derivatives work.
DIAG_EMBED = Op("DiagEmbedBackward0", _on_diagonal, _put_diagonal_backward, saves=False)
DIAGONAL_COPY = Op("DiagonalBackward0_copy", _diagonal_of, _take_diagonal_backward, saves=False)
TAKE_DIAGONAL = Op("DiagonalBackward0", _diagonal_of, _take_diagonal_backward, saves=False)
PUT_DIAGONAL = Op("DiagonalBackwardBackward0", _on_diagonal, _put_diagonal_backward, saves=False)


def diag(x, diagonal=0) -> Tensor:
    """diag(vector): a square matrix with the vector on diagonal `diagonal`; diag(matrix):
    that diagonal of the matrix, as a vector."""
    x = as_tensor(x)
    diagonal = _diagonal_argument("diag", diagonal)
    if x.data.ndim not in (1, 2):
        raise ShapeError(f"diag(): Supports 1D or 2D tensors. Got {x.data.ndim}D",
                         hint="diag takes a vector (to make a matrix) or a matrix (to read a diagonal)")
    if x.data.ndim == 1:
        size = x.data.shape[0] + abs(diagonal)
        check_shape((size, size))  # a long vector, or a far diagonal, makes a huge matrix
        return apply(DIAG_EMBED, (x,), (x.data,), offset=diagonal, shape=(size, size))
    return apply(DIAGONAL_COPY, (x,), (x.data,), offset=diagonal)


def _unsqueeze_backward(n, g):
    return (reshape(g, n.inputs[0].data.shape),)


UNSQUEEZE = Op("UnsqueezeBackward0", lambda a, dim: np.expand_dims(a, dim), _unsqueeze_backward,
               saves=False, view=True)
SQUEEZE = Op("SqueezeBackward0", lambda a, dims: np.squeeze(a, dims), _unsqueeze_backward,
             saves=False, view=True)
SQUEEZE_DIM = Op("SqueezeBackward1", lambda a, dims: np.squeeze(a, dims), _unsqueeze_backward,
                 saves=False, view=True)


def unsqueeze(x, dim) -> Tensor:
    x = as_tensor(x)
    d = normalize_dim(dim, x.data.ndim + 1)
    return apply(UNSQUEEZE, (x,), (x.data,), dim=d)


def squeeze(x, dim=None) -> Tensor:
    x = as_tensor(x)
    if dim is None:
        dims = tuple(i for i, n in enumerate(x.data.shape) if n == 1)
        return apply(SQUEEZE, (x,), (x.data,), dims=dims)
    axes = [normalize_dim(a, x.data.ndim) for a in (dim if isinstance(dim, (tuple, list)) else (dim,))]
    for i, a in enumerate(axes):
        if a in axes[:i]:
            raise ShapeError(f"dim {a} appears multiple times in the list of dims")
    dims = tuple(d for d in axes if x.data.ndim and x.data.shape[d] == 1)
    return apply(SQUEEZE_DIM, (x,), (x.data,), dims=dims)


# ---- joining -------------------------------------------------------------------------

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
    arrays = tuple(t.data.astype(dtype.numpy, copy=False) for t in joined)
    return apply(op, tuple(joined), arrays, dim=d, sizes=tuple(t.data.shape[d] for t in joined))


def narrow(x, dim, start, length) -> Tensor:
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


# ---- indexing ---------------------------------------------------------------------------
#
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


# ---- assignment through an index ----------------------------------------------------------

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
    if is_grad_enabled() and x.requires_grad and x.is_leaf:
        raise AutogradError(
            f"a {'view of a ' if kind == 'view' else ''}leaf Variable that requires grad is being used "
            "in an in-place operation.",
            hint="change it outside autograd: x.detach()[...] = ..., or work on x.clone()")
    target = x.data[plan.basic]
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
        from .reduce import sum_to

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
