"""Ops that move elements without changing them: views (reshape, permute, transpose, ...),
expand and its gradient sum_to, repeat, triangles and diagonals of matrices, squeeze and
unsqueeze. Indexing is tcalc.ops.indexing's; joining, tcalc.ops.joining's."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..autograd import Op, apply
from ..errors import ShapeError, TcalcIndexError, TcalcTypeError
from ..limits import check_shape
from ..tensor import Tensor, version_counter
from ..values import type_name
from ._base import as_tensor, normalize_dim


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

def _to_input_shape(n, g):
    """The gradient of an op that only reshapes (view, squeeze, unsqueeze): reshaped back."""
    return (reshape(g, n.inputs[0].data.shape),)


VIEW = Op("ViewBackward0", lambda a, shape: a.reshape(shape), _to_input_shape, saves=False, view=True)
UNSAFE_VIEW = Op("UnsafeViewBackward0", lambda a, shape: a.reshape(shape), _to_input_shape,
                 saves=False)


def reshape(x, *shape) -> Tensor:
    x = as_tensor(x)
    shape = infer_shape(sizes_from(shape), x.data.size)
    if shape == x.data.shape and x.grad_fn is None and not x.requires_grad:
        out = Tensor(x.data.view())
        out._vc = version_counter(x)
        return out
    copies = not is_view_compatible(x.data, shape)
    return apply(UNSAFE_VIEW if copies else VIEW, (x,), (x.data,), shape=shape)


def is_view_compatible(a: np.ndarray, shape) -> bool:
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
    if not is_view_compatible(x.data, shape):
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


# ---- expand and sum_to: broadcasting and its gradient, each the other's ------------------

def _expand_forward(a, shape):
    return np.broadcast_to(a, shape)


def _expand_backward(n, g):
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


def _sum_to_forward(a, shape):
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1)
    out = np.add.reduce(a, axis=axes, keepdims=True) if axes else a  # np.sum's reduction, without its layers
    return out.reshape(shape)


SUM_TO = Op("SumBackward1", _sum_to_forward, lambda n, g: (expand(g, n.inputs[0].data.shape),),
            saves=False)


def sum_to(x: Tensor, shape: tuple) -> Tensor:
    """Sum a broadcast result back to `shape` (the gradient of broadcasting)."""
    return apply(SUM_TO, (x,), (x.data,), shape=tuple(shape))


# ---- repeat: tiles of a tensor ------------------------------------------------------------

def _repeat_backward(n, g):
    """Each input element was copied once per tile: its gradient is the sum over the tiles.
    g is viewed as (tiles_0, size_0, tiles_1, size_1, ...), a broadcast of (1, size_0, 1,
    size_1, ...), and summed back to that."""
    repeats, own = n.params["repeats"], n.inputs[0].data.shape
    padded = (1,) * (len(repeats) - len(own)) + tuple(own)
    split = tuple(k for r, s in zip(repeats, padded) for k in (r, s))
    one_tile = tuple(k for s in padded for k in (1, s))
    return (reshape(sum_to(reshape(g, split), one_tile) if repeats else g, own),)


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


def _diagonal_of(a, offset):
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


UNSQUEEZE = Op("UnsqueezeBackward0", lambda a, dim: np.expand_dims(a, dim), _to_input_shape,
               saves=False, view=True)
SQUEEZE = Op("SqueezeBackward0", lambda a, dims: np.squeeze(a, dims), _to_input_shape,
             saves=False, view=True)
SQUEEZE_DIM = Op("SqueezeBackward1", lambda a, dims: np.squeeze(a, dims), _to_input_shape,
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
