"""vmap's batched run: the user's function called once on the whole batch.

Each mapped argument becomes a Batched: its tensor with the batch as an extra leading
dimension (the *physical* tensor) that the function never sees. Its shape, .dim(), len()
and the dims it names (dim=, negative dims) are the *logical* ones, one example's; the
evaluator hands every operation that meets a Batched to `call`, `binary`, `attribute` or
`index` here, and a batching rule runs the op once on the physical tensors, with the batch
kept aligned (elementwise ops broadcast one example against another, matmul products
batch, reductions reduce over the logical dims).

A run must give exactly the loop's values (tcalc.functional runs f example by example).
Anything without a rule here, anything whose effect the loop would repeat (printing,
in-place changes, assignments outside the function) and any error raises NoBatchingRule,
and vmap then runs the whole call as the loop: a refusal before the op runs, so nothing
the batched run did is seen. A Batched refuses Python's own protocols (truth, iteration,
formatting, ==) the same way, so that no code that does not know it can read it wrongly;
its truth and its Python number (`if t.sum() > 0`, `t.item()`) PyTorch refuses, and so does
this, in PyTorch's words.

grad(f) of an example is batched too (tcalc.functional.call_batched_grad), and a vmap inside
the function runs both batches as one (flatten_batches, split_batches); each Batched knows
the run it belongs to (`level`), and a rule refuses to pair two runs' examples.
"""
from __future__ import annotations

import inspect
import math
from functools import lru_cache

from . import dtypes, nn_functional, ops

# What the evaluator meets of a batched run (Batched, the refusal that makes vmap loop, the
# vmaps in progress) is tcalc.batched's, so that a run without vmap need not import this;
# the rules here read and set its state.
from .batched import (  # noqa: F401  (functional reads them here)
    ENABLED,
    MODES,
    RUNS,
    Batched,
    NoBatchingRule,
    _attempts,
    _level,
    _runs_made,
    attempting,
    contains_batched,
    refusal,
    refuse_effects,
)
from .errors import TcalcValueError
from .tensor import Size, Tensor
from .values import CALLS_BACK

RANDOM = {ops.rand, ops.randn, ops.randint, ops.normal, ops.rand_like, ops.randn_like, nn_functional.dropout}


def _draws(function, args: tuple, kwargs: dict) -> bool:
    """Whether the call draws random numbers (dropout only when training, with p > 0)."""
    if function is nn_functional.dropout:
        p = args[1] if len(args) > 1 else kwargs.get("p", 0.5)
        training = args[2] if len(args) > 2 else kwargs.get("training", True)
        return bool(training) and p != 0
    return True


def check_random(function, args: tuple = (), kwargs: dict | None = None) -> None:
    if function in RANDOM and MODES and _draws(function, args, kwargs or {}):
        if "error" in MODES:
            raise TcalcValueError("vmap: called random operation while in randomness error mode. Please either use "
                                  "the 'same' or 'different' randomness flags on vmap or perform the randomness "
                                  "operation out of vmap",
                                  hint="vmap(f, randomness='different') gives each example its own numbers")
        if _attempts[0]:
            raise NoBatchingRule  # 'same' and 'different' run as the loop


def level_of(values) -> int:
    """The one level of the Batched among values (nested in lists, tuples, dicts)."""
    found: set = set()

    def walk(items):
        for v in items:
            kind = type(v)
            if kind is Batched:
                found.add(v.level)
            elif kind in (list, tuple):
                walk(v)
            elif kind is dict:
                walk(v.values())

    walk(values)
    if len(found) != 1:
        raise NoBatchingRule  # two vmaps' batches meet (or none): the outer vmap loops
    return found.pop()


UNBATCHED = object()  # `call`'s answer when no Batched is involved: call as usual


def call(function, name: str, effect, args: tuple, kwargs: dict, method: bool):
    """A table function or method called while a vmap runs: refused, batched, or
    UNBATCHED (no Batched among the arguments; the caller calls it as usual)."""
    check_random(function, args, kwargs)
    if _attempts[0] and effect is not None and effect is not CALLS_BACK:
        raise NoBatchingRule
    if not (contains_batched(args) or kwargs and contains_batched(kwargs.values())):
        return UNBATCHED
    rule = _RULES.get(function)
    if rule is None:
        rule = (_METHODS if method else _FUNCTIONS).get(name)
    if rule is None:
        raise NoBatchingRule
    _level[0] = level_of((*args, *kwargs.values()) if kwargs else args)
    return rule(function, args, kwargs)


def binary(function, left, right):
    return call(function, "", None, (left, right), {}, False)


def unary(function, value):
    return call(function, "", None, (value,), {}, False)


# ---- helpers -------------------------------------------------------------------------------------------

def _batched(result):
    """Wrap an op's physical result (a tensor, or a tuple of them such as max's)."""
    if type(result) is Tensor:
        return Batched(result)
    if isinstance(result, tuple) and hasattr(result, "_fields"):
        return type(result)(result.name, {k: _batched(v) for k, v in zip(result._fields, result)})
    raise NoBatchingRule


def _logical_dim(dim, ndim: int, extra: int = 0) -> int:
    """A logical dim (negative ones too) as the physical one; out of range raises, so the
    loop gives PyTorch's message."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise NoBatchingRule
    size = ndim + extra
    if size == 0 or not -size <= dim < size:
        raise NoBatchingRule
    return dim % size + 1


def _logical_dims(dim, ndim: int):
    if isinstance(dim, (tuple, list)):
        return tuple(_logical_dim(d, ndim) for d in dim)
    return _logical_dim(dim, ndim)


_PLAIN = (int, float, bool, complex, str, type(None), dtypes.DType)


def _plain(value) -> bool:
    return isinstance(value, _PLAIN)


# ---- elementwise ops: operands broadcast one example against another -----------------------------

def _elementwise(function, args, kwargs):
    values = (*args, *kwargs.values()) if kwargs else args
    ndim, dtypes_seen, zero_d = 0, set(), False
    for a in values:
        kind = type(a)
        if kind is Batched:
            k = a.value.data.ndim - 1
            dtypes_seen.add(a.value.data.dtype)
            zero_d = zero_d or k == 0
        elif kind is Tensor:
            k = a.data.ndim
            dtypes_seen.add(a.data.dtype)
        elif isinstance(a, _PLAIN):
            continue
        else:
            raise NoBatchingRule
        ndim = k if k > ndim else ndim
    if zero_d and len(dtypes_seen) > 1:
        # A 0-d example promotes as a 0-d tensor, its physical tensor as a dimensioned one.
        raise NoBatchingRule

    def physical(a):
        if type(a) is not Batched:
            return a
        shape = a.value.data.shape
        if len(shape) == ndim + 1:
            return a.value
        return ops.reshape(a.value, shape[:1] + (1,) * (ndim + 1 - len(shape)) + shape[1:])

    if kwargs:
        return _batched(function(*[physical(a) for a in args], **{k: physical(v) for k, v in kwargs.items()}))
    return _batched(function(*[physical(a) for a in args]))


ELEMENTWISE = {
    ops.neg, ops.exp, ops.log, ops.log2, ops.log10, ops.log1p, ops.expm1, ops.sqrt, ops.sin, ops.cos, ops.tan,
    ops.tanh, ops.sinh, ops.cosh, ops.asin, ops.acos, ops.atan, ops.asinh, ops.acosh, ops.atanh, ops.sigmoid,
    ops.relu, ops.reciprocal, ops.sign, ops.floor, ops.ceil, ops.trunc, ops.round, ops.abs, ops.isnan, ops.isinf,
    ops.isfinite, ops.isposinf, ops.isneginf, ops.logical_not, ops.bitwise_not, ops.clone, ops.contiguous,
    ops.detach, ops.zeros_like, ops.ones_like, ops.full_like, ops.clamp,
    ops.add, ops.sub, ops.mul, ops.div, ops.pow, ops.remainder, ops.floor_divide, ops.maximum, ops.minimum,
    ops.eq, ops.ne, ops.lt, ops.le, ops.gt, ops.ge, ops.logical_and, ops.logical_or, ops.logical_xor,
    ops.bitwise_and, ops.bitwise_or, ops.bitwise_xor,
}


def _where(function, args, kwargs):
    if len(args) + len(kwargs) != 3:  # where(cond) alone gives indices
        raise NoBatchingRule
    return _elementwise(function, args, kwargs)


# ---- products: matmul, mm, mv, dot -----------------------------------------------------------------------

def _product(function, args, kwargs):
    """a @ b with the batch kept out of the product: each example's vector is the row or
    column NumPy makes of it, so every product is the one the loop computes."""
    if kwargs or len(args) != 2 or not all(type(a) is Tensor or type(a) is Batched for a in args):
        raise NoBatchingRule
    a, b = args
    ka, kb = (x.ndim if type(x) is Batched else x.data.ndim for x in (a, b))
    wanted = {ops.mm: (2, 2), ops.mv: (2, 1), ops.dot: (1, 1)}.get(function)
    if ka == 0 or kb == 0 or wanted is not None and (ka, kb) != wanted:
        raise NoBatchingRule
    dtype_a, dtype_b = (x.value.dtype if type(x) is Batched else x.dtype for x in (a, b))
    if dtype_a is not dtype_b:
        raise NoBatchingRule
    rank = max(max(ka, 2), max(kb, 2))

    def matrix(x, k, vector_axis):
        tensor = x.value if type(x) is Batched else x
        if k == 1:
            tensor = ops.unsqueeze(tensor, vector_axis)
        if type(x) is not Batched:
            return tensor
        shape = tensor.data.shape
        return ops.reshape(tensor, shape[:1] + (1,) * (rank - max(k, 2)) + shape[1:])

    product = ops.matmul(matrix(a, ka, -2), matrix(b, kb, -1))
    if kb == 1:
        product = ops.squeeze(product, -1)
    if ka == 1:  # the row a vector made: just before the column (or the end)
        product = ops.squeeze(product, -1 if kb == 1 else -2)
    return Batched(product)


# ---- reductions and other ops over logical dims ---------------------------------------------------

@lru_cache(maxsize=None)
def _parameter_names(function) -> tuple:
    return tuple(inspect.signature(function).parameters)


def _bound(function, args, kwargs) -> dict:
    names = _parameter_names(function)
    if len(args) > len(names) or any(k not in names for k in kwargs):
        raise NoBatchingRule
    bound = dict(zip(names, args))
    for k, v in kwargs.items():
        if k in bound:
            raise NoBatchingRule
        bound[k] = v
    return bound


# How dim=None (or absent) is read: all logical dims as a tuple, the flattened example,
# or not batched.
_ALL_AS_TUPLE, _FLATTENED, _NEEDS_DIM, _AMAX = "tuple", "flattened", "needs dim", "amax"
REDUCTIONS = {
    ops.sum: _ALL_AS_TUPLE, ops.mean: _ALL_AS_TUPLE, ops.amax: _ALL_AS_TUPLE, ops.amin: _ALL_AS_TUPLE,
    ops.std: _ALL_AS_TUPLE, ops.var: _ALL_AS_TUPLE,
    ops.prod: _FLATTENED, ops.argmax: _FLATTENED, ops.argmin: _FLATTENED, ops.all: _FLATTENED,
    ops.any: _FLATTENED, ops.max: _AMAX, ops.min: _AMAX, ops.norm: _FLATTENED,
    ops.logsumexp: _NEEDS_DIM, ops.softmax: _NEEDS_DIM, ops.log_softmax: _NEEDS_DIM, ops.cumsum: _NEEDS_DIM,
}


_ONE_ELEMENT = {ops.sum, ops.mean, ops.amax, ops.amin, ops.max, ops.min, ops.prod}


def _reduction(function, args, kwargs):
    bound = _bound(function, args, kwargs)
    names = _parameter_names(function)
    x = bound.pop(names[0], None)
    if type(x) is not Batched or any(not _plain(v) and not isinstance(v, tuple) for v in bound.values()) \
            or contains_batched(bound.values()):
        raise NoBatchingRule
    k = x.ndim
    dim = bound.get("dim", None)
    if function is ops.norm and bound.get("p", "fro") not in ("fro", 2, 2.0) and dim is None:
        raise NoBatchingRule
    if isinstance(dim, tuple) and not dim and function in (ops.amax, ops.amin):
        dim = None  # amax's dim=() is every dim
    if dim is not None:
        bound["dim"] = _logical_dims(dim, k)
        return _batched(function(x.value, **bound))
    how = REDUCTIONS[function]
    if bound.get("keepdim"):
        raise NoBatchingRule
    if k == 0 and function in _ONE_ELEMENT:  # a 0-d example reduced whole: its one element
        function = {ops.max: ops.amax, ops.min: ops.amin}.get(function, function)
        bound["dim"] = 1
        return _batched(function(ops.unsqueeze(x.value, 1), **bound))
    if k == 0 or how == _NEEDS_DIM:
        raise NoBatchingRule
    if how == _AMAX:
        return Batched((ops.amax if function is ops.max else ops.amin)(x.value, tuple(range(1, k + 1))))
    if how == _ALL_AS_TUPLE:
        bound["dim"] = tuple(range(1, k + 1))
        return _batched(function(x.value, **bound))
    if k > 1 and function is ops.norm:
        raise NoBatchingRule
    value = x.value if k == 1 else ops.reshape(x.value, (x.value.data.shape[0], -1))
    bound["dim"] = 1
    return _batched(function(value, **bound))


# ---- shapes and views ------------------------------------------------------------------------------------

def _only(args, kwargs, count: int):
    """The receiver, a Batched, and the other arguments, none of them a tensor."""
    x = args[0] if args else None
    if type(x) is not Batched or len(args) > count or contains_batched(args[1:]) or \
            any(type(a) is Tensor for a in args[1:]) or kwargs and contains_batched(kwargs.values()):
        raise NoBatchingRule
    return x


def _sizes(args) -> tuple:
    sizes = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in sizes):
        raise NoBatchingRule
    return tuple(sizes)


def _reshape(function, args, kwargs):
    x = _only(args, kwargs, len(args))
    if kwargs:
        raise NoBatchingRule
    return Batched(function(x.value, (x.value.data.shape[0],) + _sizes(args[1:])))


def _permute(function, args, kwargs):
    x = _only(args, kwargs, len(args))
    dims = _sizes(args[1:])
    if kwargs or len(dims) != x.ndim:
        raise NoBatchingRule
    return Batched(ops.permute(x.value, (0,) + tuple(_logical_dim(d, x.ndim) for d in dims)))


def _transpose(function, args, kwargs):
    x = _only(args, kwargs, 3)
    bound = _bound(function, args, kwargs)
    return Batched(ops.transpose(x.value, _logical_dim(bound.get("dim0"), x.ndim),
                                 _logical_dim(bound.get("dim1"), x.ndim)))


def _t(function, args, kwargs):
    x = _only(args, kwargs, 1)
    if x.ndim > 2:
        raise NoBatchingRule
    return x if x.ndim < 2 else Batched(ops.transpose(x.value, 1, 2))


def _flatten(function, args, kwargs):
    x = _only(args, kwargs, 3)
    bound = _bound(function, args, kwargs)
    start, end = bound.get("start_dim", 0), bound.get("end_dim", -1)
    if x.ndim == 0:
        raise NoBatchingRule
    return Batched(ops.flatten(x.value, _logical_dim(start, x.ndim), _logical_dim(end, x.ndim)))


def _unsqueeze(function, args, kwargs):
    x = _only(args, kwargs, 2)
    bound = _bound(function, args, kwargs)
    return Batched(ops.unsqueeze(x.value, _logical_dim(bound.get("dim"), x.ndim, extra=1)))


def _squeeze(function, args, kwargs):
    x = _only(args, kwargs, 2)
    dim = _bound(function, args, kwargs).get("dim")
    if dim is None:  # every size-1 dim of the example, never the batch's
        dims = [i + 1 for i, n in enumerate(x.shape) if n == 1]
    elif isinstance(dim, (tuple, list)):
        dims = [_logical_dim(d, x.ndim) for d in dim]
    else:
        dims = [_logical_dim(dim, x.ndim)]
    value = x.value
    for d in sorted(set(dims), reverse=True):
        if value.data.shape[d] == 1:
            value = ops.squeeze(value, d)
    return Batched(value)


def _expand(function, args, kwargs):
    x = _only(args, kwargs, len(args))
    sizes = _sizes(args[1:])
    new = len(sizes) - x.ndim
    if kwargs or new < 0 or any(n == -1 for n in sizes[:new]):
        raise NoBatchingRule
    shape = x.value.data.shape
    value = ops.reshape(x.value, shape[:1] + (1,) * new + shape[1:]) if new else x.value
    return Batched(ops.expand(value, (shape[0],) + sizes))


def _join(function, args, kwargs):
    bound = _bound(function, args, kwargs)
    tensors = bound.get("tensors")
    if type(tensors) not in (list, tuple) or not tensors or not all(type(t) is Batched for t in tensors):
        raise NoBatchingRule
    ks = {t.ndim for t in tensors}
    if len(ks) != 1 or len({t.value.dtype for t in tensors}) != 1 or set(bound) - {"tensors", "dim"}:
        raise NoBatchingRule
    k = ks.pop()
    dim = _logical_dim(bound.get("dim", 0), k, extra=1 if function is ops.stack else 0)
    return Batched(function([t.value for t in tensors], dim))


def _T(x: Batched):
    if x.ndim > 2:  # PyTorch warns there: the loop says so
        raise NoBatchingRule
    return x if x.ndim < 2 else Batched(ops.transpose(x.value, 1, 2))


def _mT(x: Batched):
    if x.ndim < 2:
        raise NoBatchingRule
    return Batched(ops.transpose(x.value, -1, -2))


def index(x: Batched, index):
    """x[index] for ints, slices, None and ...: the batch dim is passed over."""
    _level[0] = x.level
    items = index if type(index) is tuple else (index,)
    for item in items:
        if not (type(item) is int or type(item) is slice or item is None or item is Ellipsis):
            raise NoBatchingRule
    if x.ndim == 0 and any(type(item) is int or type(item) is slice for item in items):
        raise NoBatchingRule
    return Batched(ops.getitem(x.value, (slice(None),) + items))


# ---- what a method or attribute says about the example ------------------------------------------------

def _size(function, args, kwargs):
    x = _only(args, kwargs, 2)
    dim = args[1] if len(args) > 1 else kwargs.get("dim")
    if dim is None:
        return Size(x.shape)
    return x.value.data.shape[_logical_dim(dim, x.ndim)]


def _dim(function, args, kwargs):
    return _only(args, kwargs, 1).ndim


def _numel(function, args, kwargs):
    return math.prod(_only(args, kwargs, 1).shape)


def _length(function, args, kwargs):
    x = _only(args, kwargs, 1)
    if x.ndim == 0:
        raise NoBatchingRule
    return x.shape[0]


def _same_shape(function, args, kwargs):
    """A conversion (x.float(), x.to(float64)): on the physical tensor, as is."""
    x = _only(args, kwargs, len(args))
    if not all(_plain(a) for a in (*args[1:], *kwargs.values())):
        raise NoBatchingRule
    result = function(x.value, *args[1:], **kwargs)
    return Batched(result) if type(result) is Tensor else result


def _item(function, args, kwargs):
    _only(args, kwargs, 1)
    raise refusal("vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over calling "
                  ".item() on a Tensor, please try to rewrite what you're doing with other operations. If error is "
                  "occurring somewhere inside PyTorch internals, please file a bug report.",
                  "keep the example a tensor: t * t.sum() rather than t * t.sum().item()")


def _is_floating_point(function, args, kwargs):
    return _only(args, kwargs, 1).value.dtype.is_floating_point


ATTRIBUTES = {
    "shape": lambda x: Size(x.shape),
    "ndim": lambda x: x.ndim,
    "dtype": lambda x: x.value.dtype,
    "requires_grad": lambda x: x.value.requires_grad,
    "T": _T,
    "mT": _mT,
}


def attribute(x: Batched, name: str):
    getter = ATTRIBUTES.get(name)
    if getter is None:
        raise NoBatchingRule
    _level[0] = x.level
    return getter(x)


_RULES = {function: _elementwise for function in ELEMENTWISE}
_RULES.update({function: _reduction for function in REDUCTIONS})
_RULES.update({
    ops.where: _where, ops.matmul: _product, ops.mm: _product, ops.mv: _product, ops.dot: _product,
    ops.reshape: _reshape, ops.view: _reshape, ops.permute: _permute, ops.transpose: _transpose, ops.t: _t,
    ops.flatten: _flatten, ops.unsqueeze: _unsqueeze, ops.squeeze: _squeeze, ops.expand: _expand,
    ops.stack: _join, ops.cat: _join, ops.item: _item,
})
# Table entries that are not ops (builtins' own functions), known by their names.
_METHODS = {"size": _size, "dim": _dim, "ndimension": _dim, "numel": _numel, "is_floating_point": _is_floating_point,
            "to": _same_shape, "type": _same_shape, "cpu": _same_shape,
            **{dtype.conversion_method: _same_shape for dtype in dtypes.ALL if dtype.conversion_method}}
_FUNCTIONS = {"len": _length, "numel": _numel, "float": _item, "int": _item, "bool": _item}


# ---- a whole call: the batched arguments in, the results out ------------------------------------------

def _compact(shape: tuple, strides: tuple, itemsize: int) -> bool:
    """Whether an array of this shape and strides is laid out in C order without gaps."""
    expected = itemsize
    for n, stride in zip(reversed(shape), reversed(strides)):
        if n != 1 and stride != expected:
            return False
        expected *= n
    return True


def _physical_argument(leaf: Tensor, dim: int) -> Tensor:
    """The mapped argument with its batch dim first, in C order. NumPy sums in memory
    order, so an example of the loop laid out otherwise (with gaps, or transposed) could
    round differently from the same example here (and BLAS takes another kernel for a
    strided vector): such an argument runs the loop."""
    data = leaf.data
    example_shape = data.shape[:dim] + data.shape[dim + 1:]
    example_strides = data.strides[:dim] + data.strides[dim + 1:]
    if not _compact(example_shape, example_strides, data.itemsize):
        raise NoBatchingRule
    if dim:
        leaf = ops.permute(leaf, (dim,) + tuple(d for d in range(data.ndim) if d != dim))
    return leaf if leaf.data.flags.c_contiguous else ops.contiguous(leaf)


def _output(leaf, dim, size: int, inputs: set, level: int):
    if type(leaf) is Batched:
        if leaf.level != level:  # another vmap's batch (an outer one's, captured)
            raise NoBatchingRule
        value = leaf.value
        if dim is None or not isinstance(dim, int) or isinstance(dim, bool):
            raise NoBatchingRule
        ndim = value.data.ndim
        if not -ndim <= dim < ndim:
            raise NoBatchingRule
        dim %= ndim
        if id(value) in inputs:  # f returned its argument: a new tensor, as the loop's stack is
            value = ops.getitem(value, (slice(None),))
        if dim:
            value = ops.permute(value, tuple(range(1, dim + 1)) + (0,) + tuple(range(dim + 1, ndim)))
        return value
    if type(leaf) is Tensor:
        if dim is None:
            return leaf
        return ops.stack([leaf] * size, dim)  # f's result does not depend on the example: as the loop
    raise NoBatchingRule


def run(function, leaves: list, dims: list, rebuild, kwargs: dict, out_dims, size: int, chunk_size, call, leaves_of,
        rebuild_out):
    """f once on the batch (or once a chunk); raises NoBatchingRule when it cannot."""
    physical = [leaf if d is None else _physical_argument(leaf, d) for leaf, d in zip(leaves, dims)]
    step = size if chunk_size is None else min(chunk_size, size)
    pieces = []
    _runs_made[0] += 1
    level = _runs_made[0]
    _attempts[0] += 1
    try:
        for start in range(0, size, step):
            chunk = [p if d is None else Batched(p if step == size else ops.getitem(p, slice(start, start + step)),
                                                 level)
                     for p, d in zip(physical, dims)]
            inputs = {id(c.value) for c in chunk if type(c) is Batched}
            out = call(function, rebuild(chunk), kwargs)
            out_leaves = leaves_of(out)
            per_leaf = list(out_dims) if isinstance(out_dims, tuple) else [out_dims] * len(out_leaves)
            if len(per_leaf) != len(out_leaves):
                raise NoBatchingRule
            pieces.append((out, [_output(leaf, d, min(step, size - start), inputs, level)
                                 for leaf, d in zip(out_leaves, per_leaf)]))
    finally:
        _attempts[0] -= 1
    out, results = pieces[0]
    if chunk_size is not None:  # PyTorch joins the chunks with cat, even a single one
        per_leaf = list(out_dims) if isinstance(out_dims, tuple) else [out_dims] * len(results)
        results = [r if d is None else ops.cat([piece[1][i] for piece in pieces], d)
                   for i, (r, d) in enumerate(zip(results, per_leaf))]
    return rebuild_out(out, iter(results))


def flatten_batches(leaf, dim, outer: int, inner: int):
    """An argument of a vmap inside an outer vmap's batched run, as a physical tensor of
    both batches in one (outer index major), or the argument itself when neither maps it."""
    if type(leaf) is Batched:
        value = leaf.value
        if dim is None:  # every inner example sees the outer example whole
            _physical_argument(value, 0)  # (its layout checked as the loop's example)
            expanded = ops.expand(ops.unsqueeze(value, 1), (outer, inner) + value.data.shape[1:])
        else:
            expanded = _physical_argument(value, 0)
            data = expanded.data
            if dim:
                strides = data.strides[1:dim + 1] + data.strides[dim + 2:]
                if not _compact(data.shape[1:dim + 1] + data.shape[dim + 2:], strides, data.itemsize):
                    raise NoBatchingRule
                expanded = ops.permute(expanded, (0, dim + 1) + tuple(d for d in range(1, data.ndim) if d != dim + 1))
        shape = expanded.data.shape
        return ops.contiguous(ops.reshape(expanded, (outer * inner,) + shape[2:]))
    if dim is None:
        return leaf
    value = _physical_argument(leaf, dim)  # the inner batch first; the same for every outer example
    shape = value.data.shape
    return ops.contiguous(ops.reshape(ops.expand(ops.unsqueeze(value, 0), (outer,) + shape), (outer * inner,) + shape[1:]))


def split_batches(result, dim, outer: int, inner: int, level: int):
    """A result of the flattened run as the outer batch's Batched: the inner batch at dim."""
    if type(result) is not Tensor or dim is None or not isinstance(dim, int) or isinstance(dim, bool):
        raise NoBatchingRule
    shape = result.data.shape
    if not shape or shape[0] != outer * inner:
        raise NoBatchingRule
    ndim = len(shape)  # the example's dims and the inner batch's
    if not -ndim <= dim < ndim:
        raise NoBatchingRule
    dim %= ndim
    value = ops.reshape(result, (outer, inner) + shape[1:])
    if dim:
        order = (0,) + tuple(range(2, dim + 2)) + (1,) + tuple(range(dim + 2, ndim + 1))
        value = ops.permute(value, order)
    return Batched(value, level)


def generator_state():
    """The default generator's state, for randomness='same' (every example draws the same)."""
    return ops.creation.random_source().state


def restore_generator(state) -> None:
    ops.creation.random_source().state = state


