"""torch.func and torch.autograd.functional: functions of functions, on tcalc's reverse mode.

Everything here is built from one primitive, a vector-Jacobian product (`_vjp`: one backward
pass of the engine with `inputs=`). Forward mode is the double-vjp trick: J v is the
gradient, with respect to a dummy cotangent u, of (J^T u) . v, so the values, shapes and
the signs of zeros are forward mode's. Jacobians stack one product per output element
(jacrev) or per input element (jacfwd).

Nesting (hessian = jacfwd(jacrev(f)), vmap(grad(f)), grad(grad(f))) works because each
transform differentiates a fresh handle on its inputs (`_Watched`): an input that already
requires grad (an outer transform is watching it, or the user made it so) is followed
through `x + 0`, and the results stay attached to its graph; otherwise the handle is a new
leaf and the results come back detached, as torch.func returns them.

The transforms that return functions (grad, jacrev, vmap, ...) make values.Transformed; the
evaluator calls those through differentiate.call_grad_function, which hands them to CALL
here with the evaluator's `call`. The functions that call f at once (vjp, jvp and
torch.autograd.functional) are table functions that receive f as a Python callable.
"""
from __future__ import annotations

import numpy as np

from . import batching, ops
from .autograd import grad_mode, run_backward
from .errors import AutogradError, ShapeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from .tensor import Tensor
from .values import Closure, Transformed

# ---- inputs and outputs as trees of tensors (PyTorch's pytrees: tuples, lists, dicts) -----


def _leaves(tree) -> list:
    if type(tree) in (tuple, list):
        return [leaf for item in tree for leaf in _leaves(item)]
    if type(tree) is dict:
        return [leaf for item in tree.values() for leaf in _leaves(item)]
    return [tree]


def _rebuild(tree, leaves):
    """`tree` with its leaves replaced, in order, by the items of the iterator `leaves`."""
    if type(tree) in (tuple, list):
        return type(tree)(_rebuild(item, leaves) for item in tree)
    if type(tree) is dict:
        return {key: _rebuild(item, leaves) for key, item in tree.items()}
    return next(leaves)


def _python_class(value) -> str:
    """`<class 'float'>`, as PyTorch's messages name a Python type."""
    if type(value) is Tensor:
        return "<class 'torch.Tensor'>"
    return f"<class '{type(value).__name__}'>"


def _size(shape) -> str:
    return "torch.Size([" + ", ".join(str(n) for n in shape) + "])"


# ---- watching inputs, and the one primitive ---------------------------------------------------

class _Watched:
    """Fresh handles on the tensors a transform differentiates with respect to."""

    def __init__(self, tensors: list):
        self.originals = tensors
        self.outer = any(t.requires_grad for t in tensors)
        self.handles = []
        for t in tensors:
            if not t.dtype.is_floating_point:
                raise AutogradError("only Tensors of floating point dtype can require gradients",
                                    hint="pass a float tensor, e.g. tensor(2.0) or x.float()")
            self.handles.append(t + 0.0 if t.requires_grad else Tensor(t.data, requires_grad=True))

    def result(self, t):
        """A result as the transform returns it: detached unless an outer graph watches."""
        if type(t) is not Tensor or self.outer:
            return t
        return Tensor(t.data)


def _vjp(outputs: list, cotangents: list, inputs: list, create_graph: bool) -> list:
    """sum_k cotangent_k . d output_k / d input, for each input (zeros where unused)."""
    pairs = [(y, g) for y, g in zip(outputs, cotangents) if y.requires_grad]
    results = [None] * len(inputs)
    if pairs:
        results = run_backward([y for y, _ in pairs], [g for _, g in pairs], retain_graph=True,
                               create_graph=create_graph, inputs=inputs)
    return [Tensor(np.zeros_like(x.data)) if r is None else r for r, x in zip(results, inputs)]


def _jvp(outputs: list, inputs: list, tangents: list, create_graph: bool) -> list:
    """sum_i d output / d input_i . tangent_i, for each output: the double-vjp trick."""
    dummies = [Tensor(np.zeros_like(y.data), requires_grad=True) for y in outputs]
    with grad_mode(True):
        pulled = _vjp(outputs, dummies, inputs, create_graph=True)
    return _vjp(pulled, tangents, dummies, create_graph)


def _check_cotangent(g, y: Tensor, i: int) -> Tensor:
    g = ops._base.as_tensor(g)
    if g.data.shape != y.data.shape:
        raise ShapeError(f"Mismatch in shape: grad_output[{i}] has a shape of {_size(g.data.shape)} and "
                         f"output[{i}] has a shape of {_size(y.data.shape)}.",
                         hint="each cotangent has the shape of the output it belongs to")
    return g


def _one_hot(shape: tuple, dtype, k: int) -> Tensor:
    data = np.zeros(int(np.prod(shape, dtype=np.int64)), dtype)
    data[k] = 1
    return Tensor(data.reshape(shape))


# ---- argnums and the differentiated arguments ------------------------------------------------

def _argnums(argnums) -> tuple:
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        return (argnums,)
    if type(argnums) is tuple and argnums and all(isinstance(a, int) and not isinstance(a, bool)
                                                   for a in argnums):
        return argnums
    if type(argnums) is tuple and not argnums:
        raise TcalcValueError("argnums must be non-empty")
    raise AutogradError(f"argnums must be int or Tuple[int, ...], got: {_python_class(argnums)}")


def _chosen(args: tuple, argnums) -> list:
    """The positions of args that argnums names, checked."""
    positions = []
    for i in _argnums(argnums):
        if not -len(args) <= i < len(args):
            raise AutogradError(f"Got argnum={i}, but only {len(args)} positional inputs",
                                hint="argnums counts the positional arguments from 0")
        positions.append(i % len(args))
    return positions


def _tensor_leaves(tree) -> list:
    leaves = _leaves(tree)
    for leaf in leaves:
        if type(leaf) is not Tensor:
            raise TcalcValueError(f"Thing passed to transform API must be Tensor, got {_python_class(leaf)}",
                                  hint="pass tensors: tensor(2.0) rather than 2.0")
    return leaves


class _Differentiated:
    """The arguments of one call of a transformed function, with handles in the places
    argnums names."""

    def __init__(self, args: tuple, argnums):
        self.positions = _chosen(args, argnums)
        self.many = isinstance(argnums, tuple)
        trees = [args[i] for i in self.positions]
        self.trees = trees
        self.watched = _Watched([leaf for tree in trees for leaf in _tensor_leaves(tree)])
        handles = iter(self.watched.handles)
        args = list(args)
        for i, tree in zip(self.positions, trees):
            args[i] = _rebuild(tree, handles)
        self.args = tuple(args)

    def per_input(self, values: list):
        """Results, one per watched leaf, in the shape of the differentiated arguments."""
        values = iter(values)
        shaped = [_rebuild(tree, values) for tree in self.trees]
        return tuple(shaped) if self.many else shaped[0]


def _split_aux(out, has_aux: bool, where: str):
    if not has_aux:
        return out, None
    if type(out) is not tuple or len(out) != 2:
        raise AutogradError(f"{where}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return out


# ---- grad and grad_and_value --------------------------------------------------------------------

def _grad_and_value(t: Transformed, args: tuple, kwargs: dict, call):
    where = "grad_and_value(f)(*args)"
    diff = _Differentiated(args, t.options.get("argnums", 0))
    with grad_mode(True):
        out, aux = _split_aux(call(t.function, diff.args, kwargs), t.options.get("has_aux", False), where)
        if type(out) is not Tensor:
            raise AutogradError(f"{where}: Expected f(*args) to return a Tensor, got {_python_class(out)}")
        if out.data.ndim != 0:
            raise AutogradError(f"{where}: Expected f(*args) to return a scalar Tensor, got tensor with "
                                f"{out.data.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs instead?",
                                hint="make f return a 0-d tensor (sum() its result), or use jacrev(f) for a "
                                     "Jacobian")
        watched = diff.watched
        grads = _vjp([out], [Tensor(np.ones_like(out.data))], watched.handles, create_graph=watched.outer)
    grads = diff.per_input([watched.result(g) for g in grads])
    value = watched.result(out)
    if aux is not None:
        aux = _rebuild(aux, iter([watched.result(a) for a in _leaves(aux)]))
        return (grads, aux), (value, aux)
    return grads, value


def call_grad(t, args, kwargs, call):
    grads, _ = _grad_and_value(t, args, kwargs, call)
    return grads


def call_grad_and_value(t, args, kwargs, call):
    return _grad_and_value(t, args, kwargs, call)


def call_batched_grad(t: Transformed, args: tuple, kwargs: dict, call):
    """grad(f) or grad_and_value(f) of one example of vmap's batch (tcalc.batching), for
    every example at once: each differentiated argument becomes a leaf holding the whole
    batch (an unbatched one copied along the batch, so that each example has its own), and
    one backward from the sum of f's per-example scalars gives each example's gradient, as
    the batching rules never mix examples. Anything else raises NoBatchingRule (vmap loops)."""
    argnums, has_aux = t.options.get("argnums", 0), t.options.get("has_aux", False)
    positions = _chosen(args, argnums)
    level = batching.level_of(args)
    size = next(leaf.value.data.shape[0] for leaf in _leaves(args) if type(leaf) is batching.Batched)
    trees = [args[i] for i in positions]
    originals = [leaf for tree in trees for leaf in _leaves(tree)]
    if not all(type(x) is Tensor or type(x) is batching.Batched for x in originals):
        raise batching.NoBatchingRule
    physical = [x.value if type(x) is batching.Batched else ops.expand(ops.unsqueeze(x, 0), (size,) + x.data.shape)
                for x in originals]
    if not all(p.dtype.is_floating_point for p in physical):
        raise batching.NoBatchingRule
    outer = any(p.requires_grad for p in physical)
    handles = [p + 0.0 if p.requires_grad else Tensor(np.ascontiguousarray(p.data), requires_grad=True)
               for p in physical]
    batched = iter([batching.Batched(h, level) for h in handles])
    arguments = list(args)
    for i, tree in zip(positions, trees):
        arguments[i] = _rebuild(tree, batched)
    with grad_mode(True):
        out = call(t.function, tuple(arguments), kwargs)
        out, aux = _split_aux(out, has_aux, "grad_and_value(f)(*args)")
        # (A result that is not batched depends on no example: its gradients are zeros.)
        if type(out) is batching.Batched and out.level != level:
            raise batching.NoBatchingRule
        physical_out = out.value if type(out) is batching.Batched else out
        if type(physical_out) is not Tensor or physical_out.data.ndim != (type(out) is batching.Batched) or \
                not physical_out.dtype.is_floating_point:
            raise batching.NoBatchingRule  # the loop says what is wrong with f's result
        grads = _vjp([physical_out], [Tensor(np.ones_like(physical_out.data))], handles, create_graph=outer)

    def result(v):
        if type(v) is batching.Batched:
            return v if outer else batching.Batched(Tensor(v.value.data), v.level)
        return v if outer or type(v) is not Tensor else Tensor(v.data)

    values = iter([result(batching.Batched(g, level)) for g in grads])
    shaped = [_rebuild(tree, values) for tree in trees]
    grads = tuple(shaped) if isinstance(argnums, tuple) else shaped[0]
    value = result(out)
    if aux is not None:
        aux = _rebuild(aux, iter([result(a) for a in _leaves(aux)]))
        grads, value = (grads, aux), (value, aux)
    return grads if t.kind == "grad" else (grads, value)


# ---- Jacobians --------------------------------------------------------------------------------------

def _output_leaves(out, where: str) -> list:
    """f's results as tensors; `where` is vjp's or jvp's name for itself in the message."""
    leaves = _leaves(out)
    for leaf in leaves:
        if type(leaf) is not Tensor:
            raise AutogradError(f"{where}: expected f(*primals) to return only tensors, got unsupported type "
                                f"{_python_class(leaf)}", hint="f must return tensors (or tuples of them)")
    return leaves


def _jacobian_rows(ys: list, xs: list, create_graph: bool) -> list:
    """For each output, for each input: d y / d x of shape y.shape + x.shape, a vjp per
    element of y (reverse mode)."""
    table = []
    for y in ys:
        rows = [_vjp([y], [_one_hot(y.data.shape, y.data.dtype, k)], xs, create_graph)
                for k in range(y.data.size)]
        table.append([_stacked([row[i] for row in rows], y.data.shape, x.data.shape, x, first=True)
                      for i, x in enumerate(xs)])
    return table


def _jacobian_columns(ys: list, xs: list, create_graph: bool) -> list:
    """The same table by a jvp per element of each input (forward mode)."""
    table = [[None] * len(xs) for _ in ys]
    for i, x in enumerate(xs):
        columns = []
        for k in range(x.data.size):
            tangents = [_one_hot(x.data.shape, x.data.dtype, k) if j == i else Tensor(np.zeros_like(other.data))
                        for j, other in enumerate(xs)]
            columns.append(_jvp(ys, xs, tangents, create_graph))
        for o, y in enumerate(ys):
            table[o][i] = _stacked([column[o] for column in columns], y.data.shape, x.data.shape, y, first=False)
    return table


def _stacked(pieces: list, out_shape: tuple, in_shape: tuple, like: Tensor, first: bool) -> Tensor:
    """Rows (one per output element) or columns (one per input element) as one Jacobian of
    shape out_shape + in_shape."""
    if not pieces:
        return Tensor(np.zeros(out_shape + in_shape, like.data.dtype))
    return ops.reshape(ops.stack(pieces, 0 if first else -1), out_shape + in_shape)


def _jacobian_transform(t: Transformed, args: tuple, kwargs: dict, call, forward: bool):
    where = "jvp(f, primals, tangents)" if forward else "vjp(f, *primals)"
    diff = _Differentiated(args, t.options.get("argnums", 0))
    watched = diff.watched
    with grad_mode(True):
        out, aux = _split_aux(call(t.function, diff.args, kwargs), t.options.get("has_aux", False),
                              "jacfwd" if forward else "jacrev")
        ys = _output_leaves(out, where)
        table = (_jacobian_columns if forward else _jacobian_rows)(ys, watched.handles, watched.outer)
    jacobians = _rebuild(out, iter([diff.per_input([watched.result(j) for j in row]) for row in table]))
    if aux is not None:
        return jacobians, _rebuild(aux, iter([watched.result(a) for a in _leaves(aux)]))
    return jacobians


def call_jacrev(t, args, kwargs, call):
    return _jacobian_transform(t, args, kwargs, call, forward=False)


def call_jacfwd(t, args, kwargs, call):
    return _jacobian_transform(t, args, kwargs, call, forward=True)


# ---- vmap -----------------------------------------------------------------------------------------------

def _function_name(function) -> str:
    return getattr(function, "name", "f")


def _dims_text(in_dims) -> str:
    """in_dims as PyTorch's messages write it: with str(), so in_dims='a' shows as a."""
    if type(in_dims) is tuple:
        items = [_dims_text(d) for d in in_dims]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return str(in_dims) if isinstance(in_dims, (int, str)) or in_dims is None else type(in_dims).__name__


def _tree_spec(tree, indent: int = 2) -> str:
    """PyTorch's TreeSpec text of a pytree: * for a leaf, one child a line after the first."""
    if type(tree) in (tuple, list, dict):
        items = tree.values() if type(tree) is dict else tree
        children = (",\n" + " " * indent).join(_tree_spec(item, indent + 2) for item in items)
        context = list(tree) if type(tree) is dict else None
        return f"TreeSpec({type(tree).__name__}, {context}, [{children}])"
    return "*"


def _batch_dims(t: Transformed, args: tuple) -> list:
    """The mapped dimension (or None) of each tensor leaf of the arguments, checked."""
    in_dims = t.options.get("in_dims", 0)
    if not args:
        raise TcalcValueError(f"vmap({_function_name(t.function)})(<inputs>): got no inputs. Maybe you forgot to add "
                              "inputs, or you are trying to vmap over a function with no inputs. The latter is "
                              "unsupported.", hint="pass the batch: vmap(f)(xs)")
    if type(in_dims) is int and all(type(arg) is Tensor for arg in args):  # the usual call, quickly
        for arg in args:
            ndim = arg.data.ndim
            if not -ndim <= in_dims < ndim:
                break
        else:
            return [in_dims % arg.data.ndim for arg in args]
    head = f"vmap({_function_name(t.function)}, in_dims={_dims_text(in_dims)}, ...)(<inputs>)"
    if isinstance(in_dims, tuple):
        if len(in_dims) != len(args):
            raise TcalcValueError(f"{head}: in_dims is not compatible with the structure of `inputs`. in_dims "
                                  f"has structure {_tree_spec(in_dims)} but inputs has structure "
                                  f"{_tree_spec(tuple(args))}.", hint="give one in_dim per argument")
        per_arg = list(in_dims)
    elif not isinstance(in_dims, int) or isinstance(in_dims, bool):
        raise TcalcValueError(f"{head}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
                              f"structure of inputs, got: {_python_class(in_dims)}.",
                              hint="in_dims=0 maps over the first dimension of every argument")
    else:
        per_arg = [in_dims] * len(args)
    dims = []
    for arg, dim in zip(args, per_arg):
        for leaf in _leaves(arg):
            if dim is None:
                dims.append(None)
                continue
            if not isinstance(dim, int) or isinstance(dim, bool):
                raise TcalcValueError(f"{head}: in_dims must be int, None or a tuple of them, got "
                                      f"{_python_class(dim)}")
            if type(leaf) is not Tensor:
                raise TcalcValueError(f"{head}: Got in_dim={dim} for an input but the input is of type "
                                      f"{_python_class(leaf)}. We cannot vmap over non-Tensor arguments, "
                                      f"please use None as the respective in_dim")
            ndim = leaf.data.ndim
            if not -ndim <= dim < ndim or ndim == 0:
                raise TcalcValueError(f"{head}: Got in_dim={dim} for some input, but that input is a Tensor of "
                                      f"dimensionality {ndim} so expected in_dim to satisfy -{ndim} <= in_dim "
                                      f"< {ndim}.")
            dims.append(dim % ndim)
    if all(d is None for d in dims):
        raise TcalcValueError(f"{head}: at least one input must be a Tensor with a batch dimension "
                              "(in_dims other than None)", hint="say which dimension of an argument to map over")
    return dims


def call_vmap(t: Transformed, args: tuple, kwargs: dict, call):
    """f once on the whole batch (tcalc.batching), or, when that cannot be exact, one example
    at a time (each example's graph its own); the results stacked along out_dims."""
    leaves = [leaf for arg in args for leaf in _leaves(arg)]
    if batching.contains_batched(leaves):  # inside an outer vmap's batched run
        return _nested_vmap(t, args, kwargs, call, leaves)
    dims = _batch_dims(t, args)
    sizes = [leaf.data.shape[d] for leaf, d in zip(leaves, dims) if d is not None]
    if len(set(sizes)) > 1:
        raise TcalcValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got "
                              f"sizes {sizes} for the mapped dimension",
                              hint="every mapped input needs the same batch size")
    randomness = t.options.get("randomness", "error")
    batching.MODES.append(randomness)
    try:
        if sizes[0] and batching.ENABLED[0]:
            try:
                result = batching.run(t.function, leaves, dims, lambda chunk: _arguments(args, chunk), kwargs,
                                    t.options.get("out_dims", 0), sizes[0], t.options.get("chunk_size"), call,
                                    _leaves, _rebuild)
                batching.RUNS["batched"] += 1
                return result
            except batching.NoBatchingRule:
                pass
            except Exception as err:  # noqa: BLE001 - the loop meets the same fault in an example, and reports it
                if getattr(err, "refused_by_vmap", False):
                    raise
        batching.RUNS["looped"] += 1
        return _vmap_loop(t, args, kwargs, call, leaves, dims, sizes[0], randomness)
    finally:
        batching.MODES.pop()


def _nested_vmap(t: Transformed, args: tuple, kwargs: dict, call, leaves: list):
    """vmap inside an outer vmap's batched run: the two batches as one, outer index major
    (example (i, j) is row i * inner + j), run by the same rules; the results split back into
    the outer batch and the inner one, placed at out_dims. Anything else raises
    NoBatchingRule: the outer vmap loops, and this one batches each of its examples."""
    if t.options.get("chunk_size") is not None:
        raise batching.NoBatchingRule
    # The arguments' shapes as one example of the outer batch sees them, to check in_dims by.
    examples = [Tensor(np.broadcast_to(np.zeros((), leaf.value.data.dtype), leaf.shape))
                if type(leaf) is batching.Batched else leaf for leaf in leaves]
    dims = _batch_dims(t, _arguments(args, examples))
    sizes = {example.data.shape[d] for example, d in zip(examples, dims) if d is not None}
    level = batching.level_of(leaves)
    outer = {leaf.value.data.shape[0] for leaf in leaves if type(leaf) is batching.Batched}
    if len(sizes) != 1 or len(outer) != 1 or not all(sizes) or not all(outer):
        raise batching.NoBatchingRule
    (inner,), (size,) = sizes, outer
    flattened = [batching.flatten_batches(leaf, d, size, inner) for leaf, d in zip(leaves, dims)]
    mapped = [0 if type(leaf) is batching.Batched or d is not None else None for leaf, d in zip(leaves, dims)]
    out_dims = t.options.get("out_dims", 0)
    batching.MODES.append(t.options.get("randomness", "error"))
    try:
        out, results = batching.run(t.function, flattened, mapped,
                                    lambda chunk: _arguments(args, chunk), kwargs, 0, size * inner, None, call,
                                    _leaves, lambda out, values: (out, list(values)))
    finally:
        batching.MODES.pop()
    per_leaf = list(out_dims) if isinstance(out_dims, tuple) else [out_dims] * len(results)
    if len(per_leaf) != len(results):
        raise batching.NoBatchingRule
    split = iter([batching.split_batches(r, d, size, inner, level) for r, d in zip(results, per_leaf)])
    batching.RUNS["batched"] += 1
    return _rebuild(out, split)


def _arguments(args: tuple, leaves: list) -> tuple:
    leaves = iter(leaves)
    return tuple(_rebuild(arg, leaves) for arg in args)


def _vmap_loop(t: Transformed, args: tuple, kwargs: dict, call, leaves: list, dims: list, size: int,
               randomness: str):
    outputs = []
    state = batching.generator_state() if randomness == "same" else None
    for b in range(size):
        if state is not None:  # randomness='same': every example draws what the first drew
            batching.restore_generator(state)
        example = [leaf if d is None else ops.getitem(leaf, (slice(None),) * d + (b,)) for leaf, d in zip(leaves, dims)]
        outputs.append(call(t.function, _arguments(args, example), kwargs))
    if not outputs:  # an empty batch: f's result on zeros gives the shapes of the empty results
        example = [leaf if d is None else Tensor(np.zeros(leaf.data.shape[:d] + leaf.data.shape[d + 1:],
                                                          leaf.data.dtype))
                   for leaf, d in zip(leaves, dims)]
        shapes = call(t.function, _arguments(args, example), kwargs)
        return _rebuild(shapes, iter([ops.getitem(ops.stack([leaf], 0), slice(0, 0)) if type(leaf) is Tensor
                                      else leaf for leaf in _leaves(shapes)]))
    return _stack_outputs(t, outputs)


def _stack_outputs(t: Transformed, outputs: list):
    out_dims = t.options.get("out_dims", 0)
    first = outputs[0]
    columns = list(zip(*[_leaves(out) for out in outputs]))
    per_leaf = list(out_dims) if isinstance(out_dims, tuple) else [out_dims] * len(columns)
    stacked = []
    for column, dim in zip(columns, per_leaf):
        if type(column[0]) is not Tensor:
            name = _function_name(t.function)
            raise TcalcValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                                  f"{_python_class(column[0])}. Did you mean to set out_dims= to None for output?")
        if dim is None:
            stacked.append(column[0])
            continue
        ndim = column[0].data.ndim + 1
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise TcalcValueError(f"vmap: out_dims must be an int, None or a tuple of them, got {_python_class(dim)}")
        if not -ndim <= dim < ndim:
            raise TcalcIndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but "
                                  f"got {dim})", hint="out_dims counts the dimensions of f's result and the batch one")
        stacked.append(ops.stack(list(column), dim))
    return _rebuild(first, iter(stacked))


# ---- the transforms a language function is called through ------------------------------------------

def call_hessian(t: Transformed, args: tuple, kwargs: dict, call):
    inner = Transformed("jacrev", t.function, argnums=t.options.get("argnums", 0))
    return call_jacfwd(Transformed("jacfwd", inner, argnums=t.options.get("argnums", 0)), args, kwargs, call)


def _in_grad_mode(t: Transformed, args: tuple, kwargs: dict, call):
    with grad_mode(t.options["enabled"]):
        return call(t.function, args, kwargs)


CALL = {
    "no_grad": _in_grad_mode,
    "enable_grad": _in_grad_mode,
    "inference_mode": _in_grad_mode,
    "set_grad_enabled": _in_grad_mode,
    "grad": call_grad,
    "grad_and_value": call_grad_and_value,
    "jacrev": call_jacrev,
    "jacfwd": call_jacfwd,
    "hessian": call_hessian,
    "vmap": call_vmap,
}


def _transform(kind: str, function, **options) -> Transformed:
    from .values import CALLABLES

    if not isinstance(function, CALLABLES):
        raise TcalcTypeError(f"{kind}(f): f must be a function, not {type(function).__name__}",
                             hint=f"pass the function itself: {kind}(f), not {kind}(f(x))")
    return Transformed(kind, function, **options)


def grad(func, argnums=0, has_aux=False):
    _argnums(argnums)
    return _transform("grad", func, argnums=argnums, has_aux=has_aux)


def grad_and_value(func, argnums=0, has_aux=False):
    _argnums(argnums)
    return _transform("grad_and_value", func, argnums=argnums, has_aux=has_aux)


def jacrev(func, argnums=0, has_aux=False, chunk_size=None):
    _argnums(argnums)
    return _transform("jacrev", func, argnums=argnums, has_aux=has_aux)


def jacfwd(func, argnums=0, has_aux=False, randomness="error"):
    _argnums(argnums)
    return _transform("jacfwd", func, argnums=argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    _argnums(argnums)
    return _transform("hessian", func, argnums=argnums)


def vmap(func, in_dims=0, out_dims=0, randomness="error", chunk_size=None):
    if randomness not in ("error", "different", "same"):
        raise TcalcValueError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                              f"{randomness}", hint="randomness='different' gives each example its own numbers")
    if chunk_size is not None:
        if not isinstance(chunk_size, int) or isinstance(chunk_size, bool):
            raise TcalcTypeError(f"vmap: chunk_size must be an int or None, not {type(chunk_size).__name__}")
        if chunk_size <= 0:
            raise TcalcValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})",
                                  hint="chunk_size=100 runs the batch 100 examples at a time")
    return _transform("vmap", func, in_dims=in_dims, out_dims=out_dims, randomness=randomness,
                      chunk_size=chunk_size)


# ---- the functions that call f at once: f arrives as a Python callable ---------------------------

def vjp(func, *primals, has_aux=False):
    """torch.func.vjp: (f(*primals), vjp_fn[, aux]); vjp_fn(cotangents) is a tuple with one
    gradient per primal."""
    diff = _Differentiated(primals, tuple(range(len(primals))))
    watched = diff.watched
    with grad_mode(True):
        out, aux = _split_aux(func(*diff.args), has_aux, "vjp(f, *primals)")
        ys = _output_leaves(out, "vjp(f, *primals)")

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        gs = _leaves(cotangents)
        if len(gs) != len(ys):
            raise AutogradError(f"Expected pytree structure of cotangents to be the same as pytree structure "
                                f"of outputs to the function. cotangents: {len(gs)} tensors, "
                                f"primal output: {len(ys)} tensors")
        gs = [_check_cotangent(g, y, i) for i, (g, y) in enumerate(zip(gs, ys))]
        with grad_mode(True):
            grads = _vjp(ys, gs, watched.handles, create_graph=watched.outer)
        values = iter([watched.result(g) for g in grads])
        return tuple(_rebuild(tree, values) for tree in diff.trees)

    shown = Closure("vjp_fn", vjp_fn, "torch._functorch.eager_transforms._vjp_with_argnums.<locals>.wrapper("
                    "cotangents: 'Any', retain_graph: 'bool' = True, create_graph: 'bool | None' = None) -> 'Any'")
    value = _rebuild(out, iter([watched.result(y) for y in ys]))
    if has_aux:
        return value, shown, _rebuild(aux, iter([watched.result(a) for a in _leaves(aux)]))
    return value, shown


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """torch.func.jvp: (f(*primals), J tangents)."""
    where = "jvp(f, primals, tangents)"
    if type(primals) is not tuple:
        raise AutogradError(f"{where}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    if _tree_spec(tangents) != _tree_spec(primals):
        raise AutogradError(f"{where}: Expected primals and tangents to have the same python structure. For "
                            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
                            f"with structure {_tree_spec(primals)} and tangents with structure "
                            f"{_tree_spec(tangents)}", hint="give one tangent per primal, in a tuple: (v,)")
    diff = _Differentiated(primals, tuple(range(len(primals))))
    watched = diff.watched
    vs = _tensor_leaves(tangents)
    for x, v in zip(watched.handles, vs):
        if v.data.shape != x.data.shape:
            raise ShapeError("Trying to set a forward gradient that has a different size than that of the "
                             f"original Tensor, this is not supported. Tensor is of size "
                             f"[{', '.join(map(str, x.data.shape))}] while the given forward gradient is of "
                             f"size [{', '.join(map(str, v.data.shape))}].",
                             hint="each tangent has the shape of its primal")
    with grad_mode(True):
        out, aux = _split_aux(func(*diff.args), has_aux, where)
        ys = _output_leaves(out, where)
        directions = _jvp(ys, watched.handles, vs, create_graph=watched.outer)
    value = _rebuild(out, iter([watched.result(y) for y in ys]))
    derivative = _rebuild(out, iter([watched.result(d) for d in directions]))
    if has_aux:
        return value, derivative, _rebuild(aux, iter([watched.result(a) for a in _leaves(aux)]))
    return value, derivative


# ---- torch.autograd.functional: the same products on tensors or tuples of tensors ------------------
#
# Its inputs are fresh leaves (detached copies); results come back detached unless
# create_graph=True.

def _functional_inputs(inputs, where: str) -> tuple[bool, list]:
    many = type(inputs) in (tuple, list)
    xs = list(inputs) if many else [inputs]
    for i, x in enumerate(xs):
        if type(x) is not Tensor:
            which = f"the value at index {i} has" if many else "the given inputs has"
            raise TcalcTypeError(f"The inputs given to {where} must be either a Tensor or a tuple of Tensors but "
                                 f"{which} type {_python_class(x)}.")
        if not x.dtype.is_floating_point:
            raise AutogradError("only Tensors of floating point dtype can require gradients")
    return many, [Tensor(x.data, requires_grad=True) for x in xs]


def _functional_outputs(out, where: str) -> tuple[bool, list]:
    many = type(out) in (tuple, list)
    ys = list(out) if many else [out]
    for i, y in enumerate(ys):
        if type(y) is not Tensor:
            which = f"the value at index {i} has" if many else "the given outputs of the user-provided function has"
            raise TcalcTypeError(f"The outputs of the user-provided function given to {where} must be either a "
                                 f"Tensor or a tuple of Tensors but {which} type {_python_class(y)}.")
    return many, ys


def _vectors(v, like: list, many: bool, where: str, what: str) -> list:
    vs = list(v) if type(v) in (tuple, list) else [v]
    if len(vs) != len(like):
        raise AutogradError("The given v should contain a single Tensor." if not many else
                            f"v is a tuple of invalid length: should be {len(like)} but got {len(vs)}.")
    checked = []
    for x, g in zip(like, vs):
        g = ops._base.as_tensor(g)
        if g.data.shape != x.data.shape:
            raise AutogradError(f"v has invalid size: should be {_size(x.data.shape)} but got {_size(g.data.shape)}.",
                                hint=f"v has the shape of the {what}")
        checked.append(g)
    return checked


def _default_vector(v, like: list, many: bool, where: str, message: str) -> list:
    if v is not None:
        return v
    if many or like[0].data.size != 1:
        raise AutogradError(message)
    return [Tensor(np.ones_like(like[0].data))]


def _finish(t: Tensor, create_graph: bool) -> Tensor:
    return t if create_graph else Tensor(t.data)


def autograd_jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
                      strategy="reverse-mode"):
    many_in, xs = _functional_inputs(inputs, "jacobian")
    with grad_mode(True):
        many_out, ys = _functional_outputs(func(*xs), "jacobian")
        table = (_jacobian_columns if strategy == "forward-mode" else _jacobian_rows)(ys, xs, create_graph)
    rows = [tuple(_finish(j, create_graph) for j in row) if many_in else _finish(row[0], create_graph)
            for row in table]
    return tuple(rows) if many_out else rows[0]


def autograd_hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
                     outer_jacobian_strategy="reverse-mode"):
    many_in, xs = _functional_inputs(inputs, "hessian")

    def gradient(*handles):
        out = func(*handles)
        many, ys = _functional_outputs(out, "hessian")
        if many or ys[0].data.size != 1:
            raise AutogradError("The Tensor returned by the function given to hessian should contain a single "
                                "element", hint="make the function return one number (sum() its result)")
        grads = _vjp([ys[0]], [Tensor(np.ones_like(ys[0].data))], list(handles), create_graph=True)
        return tuple(grads)

    with grad_mode(True):
        table = _jacobian_rows(list(gradient(*xs)), xs, create_graph)
    rows = [tuple(_finish(j, create_graph) for j in row) if many_in else _finish(row[0], create_graph)
            for row in table]
    return tuple(rows) if many_in else rows[0]


def autograd_vjp(func, inputs, v=None, create_graph=False, strict=False):
    many_in, xs = _functional_inputs(inputs, "vjp")
    with grad_mode(True):
        out = func(*xs)
        many_out, ys = _functional_outputs(out, "vjp")
        vs = _default_vector(v, ys, many_out, "vjp", "The vector v can only be None if the user-provided function "
                             "returns a single Tensor with a single element.")
        vs = _vectors(vs, ys, many_out, "vjp", "outputs")
        grads = _vjp(ys, vs, xs, create_graph)
    value = tuple(_finish(y, create_graph) for y in ys) if many_out else _finish(ys[0], create_graph)
    grads = [_finish(g, create_graph) for g in grads]
    return value, tuple(grads) if many_in else grads[0]


def autograd_jvp(func, inputs, v=None, create_graph=False, strict=False):
    many_in, xs = _functional_inputs(inputs, "jvp")
    vs = _default_vector(v, xs, many_in, "jvp", "The vector v can only be None if the input to the user-provided "
                         "function is a single Tensor with a single element.")
    vs = _vectors(vs, xs, many_in, "jvp", "inputs")
    with grad_mode(True):
        many_out, ys = _functional_outputs(func(*xs), "jvp")
        directions = _jvp(ys, xs, vs, create_graph)
    value = tuple(_finish(y, create_graph) for y in ys) if many_out else _finish(ys[0], create_graph)
    directions = [_finish(d, create_graph) for d in directions]
    return value, tuple(directions) if many_out else directions[0]


def _second_order(func, inputs, v, create_graph, where: str, double_back: bool):
    many_in, xs = _functional_inputs(inputs, where)
    vs = _default_vector(v, xs, many_in, where, "The vector v can only be None if the input to the user-provided "
                         "function is a single Tensor with a single element.")
    vs = _vectors(vs, xs, many_in, where, "inputs")
    with grad_mode(True):
        many_out, ys = _functional_outputs(func(*xs), where)
        if many_out or ys[0].data.size != 1:
            raise AutogradError(f"The Tensor returned by the function given to {where} should contain a single "
                                "element", hint="make the function return one number (sum() its result)")
        grads = _vjp([ys[0]], [Tensor(np.ones_like(ys[0].data))], xs, create_graph=True)
        # vhp is v^T H, a vjp of the gradient; hvp is H v, as PyTorch computes it: a jvp of it.
        products = _jvp(grads, xs, vs, create_graph) if double_back else _vjp(grads, vs, xs, create_graph)
    products = [_finish(p, create_graph) for p in products]
    return _finish(ys[0], create_graph), tuple(products) if many_in else products[0]


def autograd_hvp(func, inputs, v=None, create_graph=False, strict=False):
    return _second_order(func, inputs, v, create_graph, "hvp", double_back=True)


def autograd_vhp(func, inputs, v=None, create_graph=False, strict=False):
    return _second_order(func, inputs, v, create_graph, "vhp", double_back=False)


# ---- gradcheck and gradgradcheck: the analytical Jacobian against finite differences ---------------

def _numerical_jacobian(func, xs: list, i: int, ys: list, eps: float) -> list:
    """d y / d xs[i] for each output, by central differences in the input's own dtype. As
    PyTorch does, each element is moved in the input's memory (and put back), so a tensor
    that shares it (x.detach()) moves too."""
    x = xs[i]
    columns: list[list] = [[] for _ in ys]
    memory = x.data if x.data.flags.writeable and x.data.flags.c_contiguous else None
    flat = (memory if memory is not None else x.data.copy()).reshape(-1)
    for k in range(flat.size):
        original = flat[k].copy()
        values = []
        for step in (eps, -eps):
            flat[k] = original + step
            args = list(xs)
            if memory is None:
                args[i] = Tensor(flat.reshape(x.data.shape).copy())
            try:
                with grad_mode(False):
                    values.append([o.data.copy() for o in _functional_outputs(func(*args), "gradcheck")[1]])
            finally:
                flat[k] = original
        for o, y in enumerate(ys):
            difference = (values[0][o] - values[1][o]).astype(y.data.dtype, copy=False)
            columns[o].append((difference / (2 * eps)).reshape(-1))
    return [np.stack(column, axis=1) if column else np.zeros((y.data.size, 0)) for column, y in zip(columns, ys)]


def _mismatch(o: int, i: int, numerical: np.ndarray, analytical: np.ndarray) -> AutogradError:
    from .printing import tensor_repr

    difference = np.abs(numerical - analytical)
    where = np.unravel_index(int(np.argmax(difference)), difference.shape)
    return AutogradError(
        f"Jacobian mismatch for output {o} with respect to input {i},\nnumerical:{tensor_repr(numerical)}\n"
        f"analytical:{tensor_repr(analytical)}\n",
        hint=f"the largest difference is {float(difference[where]):.6g}, at row {where[0]} (output element) "
             f"and column {where[1]} (input element): analytical {float(analytical[where]):.6g}, numerical "
             f"{float(numerical[where]):.6g}; float32 inputs are too coarse for these tolerances, use float64")


def gradcheck(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001, raise_exception=True, **ignored):
    """torch.autograd.gradcheck: True when backward's Jacobian of func matches finite
    differences for every input that requires grad; else PyTorch's error (or False)."""
    xs = list(inputs) if type(inputs) in (tuple, list) else [inputs]
    checked = [i for i, x in enumerate(xs) if type(x) is Tensor and x.requires_grad]
    if not checked:
        raise TcalcValueError("gradcheck expects at least one input tensor to require gradient, but none of "
                              "them have requires_grad=True.", hint="create the inputs with requires_grad=True")
    with grad_mode(True):
        _, ys = _functional_outputs(func(*xs), "gradcheck")
        for i in checked:
            numerical = _numerical_jacobian(func, xs, i, ys, eps)
            for o, y in enumerate(ys):
                rows = [_vjp([y], [_one_hot(y.data.shape, y.data.dtype, k)], [xs[i]], create_graph=False)[0]
                        for k in range(y.data.size)]
                analytical = (np.stack([r.data.reshape(-1) for r in rows]) if rows
                              else np.zeros((0, xs[i].data.size), y.data.dtype))
                if not np.allclose(analytical, numerical[o], rtol=rtol, atol=atol):
                    if not raise_exception:
                        return False
                    raise _mismatch(o, checked.index(i), numerical[o], analytical.astype(y.data.dtype))
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-06, atol=1e-05, rtol=0.001, raise_exception=True,
                  **ignored):
    """torch.autograd.gradgradcheck: gradcheck of the function that computes func's vjp with
    create_graph, with respect to the inputs and the (random, float64) cotangents."""
    xs = list(inputs) if type(inputs) in (tuple, list) else [inputs]
    differentiable = [x for x in xs if type(x) is Tensor and x.requires_grad]
    with grad_mode(True):
        _, ys = _functional_outputs(func(*xs), "gradgradcheck")
    if grad_outputs is None:
        generator = np.random.default_rng(0)
        grad_outputs = [Tensor(generator.standard_normal(y.data.shape).astype(np.float64), requires_grad=True)
                        for y in ys]
    else:
        grad_outputs = list(grad_outputs) if type(grad_outputs) in (tuple, list) else [grad_outputs]
    n = len(xs)

    positions = [i for i, x in enumerate(xs) if type(x) is Tensor and x.requires_grad]

    def first_derivatives(*args):
        # Called with perturbed copies too (which do not require grad): differentiate with
        # respect to the same positions every time.
        inner, cotangents = list(args[:n]), list(args[n:])
        for i in positions:
            if not inner[i].requires_grad:
                inner[i] = Tensor(inner[i].data, requires_grad=True)
        with grad_mode(True):
            _, outs = _functional_outputs(func(*inner), "gradgradcheck")
            return tuple(_vjp(outs, cotangents, [inner[i] for i in positions], create_graph=True))

    if not differentiable:
        raise TcalcValueError("gradcheck expects at least one input tensor to require gradient, but none of "
                              "them have requires_grad=True.")
    return gradcheck(first_derivatives, tuple(xs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
