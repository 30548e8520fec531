"""Reverse-mode autograd: the graph nodes, grad mode, and the backward engine.

An op (tcalc.ops) is a forward on ndarrays plus a backward that maps the gradient of the
output to gradients of the inputs. Backwards are written with tcalc's own differentiable
ops, so with create_graph the gradient is itself a graph: that is what makes
`grad(grad(f))` work. The engine sums each input gradient back to the input's shape
(broadcasting) and dtype, so no op has to.
"""
from __future__ import annotations

import sys
import weakref
from contextlib import contextmanager
from typing import Callable

import numpy as np

from .errors import AutogradError
from .limits import LIMITS, check_elements
from .tensor import Tensor, _ops, bump_version, version_counter

_grad_enabled = True


def is_grad_enabled() -> bool:
    return _grad_enabled


def set_grad_enabled(enabled: bool) -> None:
    global _grad_enabled
    _grad_enabled = bool(enabled)


@contextmanager
def grad_mode(enabled: bool):
    global _grad_enabled
    saved, _grad_enabled = _grad_enabled, enabled
    try:
        yield
    finally:
        _grad_enabled = saved


OUT = -1  # in a `saves` spec: the op's result


class _Everything:
    def __contains__(self, item) -> bool:
        return True


ALL = _Everything()


def keep(what, *for_grads: int, folded: bool = False) -> tuple:
    """One tensor an op saves for its backward, as PyTorch saves it: input `what` (OUT, the
    result; a slice, each of those inputs); only when the gradient of one of the inputs
    `for_grads` is wanted, if any are given (PyTorch keeps b of `a * b` only for a's
    gradient). `folded`: PyTorch keeps a reshaped view of a batch input (matmul), of the
    shape params["shapes"][what]."""
    return (what, for_grads or None, folded)


class Op:
    """One differentiable operation: its PyTorch node name, forward and backward side by side.

    forward(*arrays, **params) -> ndarray
    backward(node, grad) -> one gradient (Tensor or None) per input; `node.inputs`,
    `node.output` and `node.params` are what the forward saw.
    `saves` says what PyTorch keeps for the backward: False (nothing: a second backward
    through a freed graph still works), True (only values no one can change, such as the
    indices of max(dim)), or a tuple of keep(...) naming the inputs and the result it keeps.
    Their versions are recorded, and a backward refuses when one changed in place since, as
    PyTorch does. The backward may read only what is saved, and the inputs' shapes.
    `view` marks an op whose result is a view of its first input: they share the version
    counter. `opmath` marks + - * /, whose float16 results PyTorch's CPU kernels compute in
    float32 and round once (tcalc.ops._base.binary). `symbol` is the operator the op is written with (`+` for AddBackward0), which
    the hints of its function form write their fixes with; None for an op without one.
    """

    __slots__ = ("name", "forward", "backward", "saves", "kept", "view", "symbol", "opmath",
                 "reads_output", "reads_inputs", "first_unread")

    def __init__(self, name: str, forward: Callable, backward: Callable | None, saves=True,
                 view: bool = False, symbol: str | None = None, opmath: bool = False):
        self.name = name
        self.forward = forward
        self.backward = backward
        self.saves = bool(saves)
        self.kept = tuple(saves) if isinstance(saves, tuple) else ()
        self.view = view
        self.symbol = symbol
        self.opmath = opmath
        # What of the forward's tensors the backward may read beyond shapes: the result, and
        # the inputs by position (ALL for `saves=True` or a slice of inputs).
        whats = [what for what, _grads, _folded in self.kept]
        self.reads_output = saves is True or OUT in whats
        self.reads_inputs = ALL if saves is True or any(type(w) is slice for w in whats) else \
            frozenset(w for w in whats if w != OUT)
        # The first input position the backward does not read: a node of fewer inputs (mm's
        # two) has none to keep as a stand-in.
        self.first_unread = 0 if self.reads_inputs is ALL else \
            next(i for i in range(len(self.reads_inputs) + 1) if i not in self.reads_inputs)

    def __repr__(self) -> str:
        return f"Op({self.name})"


class Node:
    """A grad_fn: the op that made a tensor, its inputs, and what its backward needs."""

    __slots__ = ("op", "inputs", "_originals", "edges", "params", "_output", "_output_ref", "freed",
                 "saved", "__weakref__")

    def __init__(self, op: Op, inputs: tuple, params: dict, output: Tensor):
        self.op = op
        # Each input's grad_fn as it was when this node was made: an in-place op later gives
        # the input tensor a new grad_fn, but this node's gradient still belongs to the old one.
        # (One and two inputs written out: this runs for every op that records.)
        if len(inputs) == 2:
            a, b = inputs
            self.edges = (a.grad_fn if type(a) is Tensor else None, b.grad_fn if type(b) is Tensor else None)
        elif len(inputs) == 1:
            a = inputs[0]
            self.edges = (a.grad_fn if type(a) is Tensor else None,)
        else:
            self.edges = tuple([x.grad_fn if type(x) is Tensor else None for x in inputs])
        # Tensors or Python numbers, as passed to the op; a tensor the backward never reads
        # (only its shape: the x * x of (x * x).sum()) is kept as a stand-in of no memory,
        # as PyTorch keeps only its sizes. A leaf that requires grad stays itself: its .grad
        # is the backward's to change.
        self.inputs, self._originals = inputs, None
        reads = op.reads_inputs
        if reads is not ALL and len(inputs) == 1 and op.first_unread == 0:
            # one input its backward does not read (tanh, sum): its stand-in made in place
            x = inputs[0]
            if type(x) is Tensor and x.data.size >= STAND_IN_SIZE:
                stand_in = _stand_in(x)
                if stand_in is not None:
                    self.inputs, self._originals = (stand_in,), (weakref.ref(x),)
        elif reads is not ALL and len(inputs) > op.first_unread:
            for i, x in enumerate(inputs):
                if type(x) is Tensor and i not in reads and x.data.size >= STAND_IN_SIZE:
                    self.inputs, self._originals = _stand_ins(inputs, reads)
                    break
        self.params = params
        # The output Tensor itself would make a reference cycle (tensor -> node -> tensor),
        # so keep its value (when the backward reads it) and a weak reference: while the
        # tensor lives (its consumers hold it), backwards see it with its graph, which
        # second derivatives need.
        data = output.data
        self._output = data if op.reads_output or data.size < STAND_IN_SIZE else shape_only(data)
        self._output_ref = weakref.ref(output)
        self.freed = False
        # (what, version, counter) for each tensor saved, as keep() says; None for none.
        self.saved = self._save(op.kept, output) if op.kept else None

    def _save(self, kept: tuple, output: Tensor) -> tuple | None:
        saved = []
        inputs, edges = self.inputs, self.edges
        for what, for_grads, folded in kept:
            if for_grads is not None:  # needs_grad(i) for any i, inline: this runs per op
                for i in for_grads:
                    x = inputs[i]
                    if type(x) is Tensor and (x.requires_grad or edges[i] is not None):
                        break
                else:
                    continue
            if what == OUT:
                saved.append((OUT, 0, version_counter(output)))
                continue
            if type(what) is slice:  # every input from there on (the index tensors of x[i])
                for i in range(len(inputs))[what]:
                    if type(inputs[i]) is Tensor:
                        saved.append((i, inputs[i]._vc[0] if inputs[i]._vc is not None else 0, False))
                continue
            x = inputs[what]
            if type(x) is not Tensor:
                continue
            vc = x._vc
            # A folded batch is saved as a reshaped view; matrices and vectors as themselves.
            saved.append((what, vc[0] if vc is not None else 0, folded and x.data.ndim > 2))
        return tuple(saved) or None

    def check_saved(self) -> None:
        """Refuse, as PyTorch does, when a tensor this node saved changed in place since."""
        for what, saved_version, extra in self.saved:
            if what == OUT:
                current = extra[0]
            else:
                vc = self.inputs[what]._vc
                current = vc[0] if vc is not None else 0
            if current != saved_version:
                raise AutogradError(_modified_message(self, what, extra, current, saved_version),
                                    hint=_MODIFIED_HINT)

    def written_into(self, tensor: Tensor) -> None:
        """An in-place op copied this node's result into `tensor` (x.exp_()): the result it
        saved is now tensor, at its version after the write, so a later change of tensor
        in place makes the backward refuse, as PyTorch's (whose result is the tensor itself)."""
        self._output_ref = weakref.ref(tensor)
        if self.saved is not None:
            counter = version_counter(tensor)
            self.saved = tuple((OUT, counter[0], counter) if what == OUT else (what, version, extra)
                               for what, version, extra in self.saved)

    @property
    def name(self) -> str:
        return self.op.name

    def needs_grad(self, i: int) -> bool:
        """Whether the backward's i-th gradient is used (PyTorch's needs_input_grad): a
        backward may skip the work for an input that does not require grad, such as the
        data X in `X @ W`, and return None for it."""
        x = self.inputs[i]
        return type(x) is Tensor and (x.requires_grad or self.edges[i] is not None)

    @property
    def output(self) -> Tensor:
        tensor = self._output_ref()
        return tensor if tensor is not None else Tensor(self._output)

    def original(self, i: int):
        """Input i as the program passed it; None for one kept as a stand-in (_stand_ins)
        whose tensor no longer exists."""
        if self._originals is None or self._originals[i] is None:
            return self.inputs[i]
        return self._originals[i]()

    def __repr__(self) -> str:
        # As Jupyter (IPython's pretty printer) shows a grad_fn: "at", not "object at".
        return f"<{self.op.name} at {id(self):#x}>"


# Tensors and results of fewer elements than this are kept as they are: their memory is
# small, and making a stand-in would cost a small op's time. (The gradient tests set it to
# 0, so that every op's declaration of what its backward reads is checked.)
STAND_IN_SIZE = 1024

_FILLS: dict = {}  # dtype -> a read-only 1-element array of NaN (of 0 for ints and bools)
_SHAPE_ONLY: dict = {}  # (shape, dtype) -> its shape_only array, made once (a loop meets the same few)
_SHAPE_ONLY_SIZE = 256


def shape_only(data: np.ndarray) -> np.ndarray:
    """An array of data's shape and dtype that costs no memory (every element the same
    one), for what a backward reads only the shape of. Its elements are NaN where they can
    be, so that a backward that read them by mistake would show it in every test. Read-only,
    so one array serves every node of that shape and dtype."""
    key = (data.shape, data.dtype)
    array = _SHAPE_ONLY.get(key)
    if array is None:
        fill = _FILLS.get(data.dtype)
        if fill is None:
            fill = np.full(1, np.nan if data.dtype.kind in "fc" else 0, dtype=data.dtype)
            fill.flags.writeable = False
            _FILLS[data.dtype] = fill
        array = np.ndarray(data.shape, data.dtype, buffer=fill, strides=(0,) * data.ndim)
        if len(_SHAPE_ONLY) >= _SHAPE_ONLY_SIZE:
            _SHAPE_ONLY.clear()
        _SHAPE_ONLY[key] = array
    return array


def _stand_ins(inputs: tuple, reads) -> tuple[tuple, tuple | None]:
    """The inputs a node keeps: each tensor its backward reads nothing of but the shape, as
    a Tensor of that shape, dtype and flags that holds no memory (what PyTorch keeps of it:
    its sizes), so that the x * x of (x * x).sum() is freed before the backward as in
    PyTorch. A leaf that requires grad stays itself: its .grad is the backward's to change.
    Returns the inputs and, if any was replaced, a weak reference to each replaced one
    (None for the rest), which grad(outputs, inputs) asks for by identity."""
    kept, originals = list(inputs), None
    for i, x in enumerate(inputs):
        if type(x) is not Tensor or i in reads or x.data.size < STAND_IN_SIZE:
            continue
        stand_in = _stand_in(x)
        if stand_in is not None:
            if originals is None:
                originals = [None] * len(inputs)
            kept[i] = stand_in
            originals[i] = weakref.ref(x)
    return (inputs, None) if originals is None else (tuple(kept), tuple(originals))


def _stand_in(x: Tensor) -> Tensor | None:
    """The stand-in of an unread input tensor, None where it stays itself: a leaf that
    requires grad, and a result its own node reads (that node keeps its elements anyway, and
    a second derivative needs it with its graph: Node.output)."""
    maker = x.grad_fn
    if maker is not None and not maker.op.reads_output or maker is None and not x.requires_grad:
        return Tensor(shape_only(x.data), x.requires_grad, maker)
    return None


_MODIFIED_HINT = ("a tensor this gradient needs was changed in place (add_, +=, X[i] = ..., or through "
                  "a view or detach() of it) after it was used; change a copy instead "
                  "(x = x + 1, or x.clone()), or compute again from the start")


def torch_node_name(name: str) -> str:
    """A node as PyTorch names it in this message: MulBackward0 is Mul, SumBackward1 Sum1,
    CopySlices torch::autograd::CopySlices."""
    head, sep, number = name.rpartition("Backward")
    if sep and head and number.isdigit():
        return head + ("" if number == "0" else number)
    return "torch::autograd::" + name


def _modified_message(node: Node, what: int, extra, current: int, saved_version: int) -> str:
    tensor = node.output if what == OUT else node.inputs[what]
    shape = tensor.data.shape
    if extra is True:  # kept as a reshaped view
        shape = node.params["shapes"][what]
    text = (f"one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: [{tensor.dtype.legacy_type} "
            f"[{', '.join(str(n) for n in shape)}]]")
    if what == OUT:  # PyTorch names the node that saved its own result
        maker = node.name
    elif extra is True:  # a reshaped view of the input (folded), with a graph if the input has one
        maker = "AsStridedBackward0" if tensor.requires_grad else None
    else:
        grad_fn = tensor.grad_fn
        # A view changed in place gets its grad_fn made again, as an AsStrided node.
        maker = None if grad_fn is None else "AsStridedBackward0" if grad_fn.op.view else grad_fn.name
    if maker is not None:
        text += f", which is output 0 of {torch_node_name(maker)},"
    return (text + f" is at version {current}; expected version {saved_version} instead. Hint: enable "
            "anomaly detection to find the operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False).")


# Views made under no_grad of a tensor that requires grad (or of such a view): PyTorch
# refuses to change one in place with grad mode on, as the change could not be recorded.
NO_GRAD_VIEWS: "weakref.WeakSet[Tensor]" = weakref.WeakSet()


def apply(op: Op, inputs: tuple, arrays: tuple, cast: np.dtype | None = None, **params) -> Tensor:
    """Run op.forward on `arrays` (the inputs as ndarrays, already promoted) and, when any
    input requires grad and grad mode is on, record the node. `cast`: the dtype the result
    is rounded to, when the forward computes wider."""
    out = op.forward(*arrays, **params)
    if type(out) is not np.ndarray and not isinstance(out, np.ndarray):
        out = np.asarray(out)
    if cast is not None and out.dtype != cast:
        out = out.astype(cast)
    if out.size > LIMITS.max_elements:  # a view as large as a broadcast (expand) is refused too
        check_elements(out.size)
    result = Tensor(out)
    if op.view:
        result._vc = version_counter(inputs[0])
        if not _grad_enabled and type(inputs[0]) is Tensor and (inputs[0].requires_grad or inputs[0] in NO_GRAD_VIEWS):
            NO_GRAD_VIEWS.add(result)
    if _grad_enabled and op.backward is not None:
        for x in inputs:
            if type(x) is Tensor and x.requires_grad:
                result.requires_grad = True
                result.grad_fn = Node(op, inputs, params, result)
                break
    return result


# A copy of a tensor, whose gradient is the same: a .grad's first value under create_graph,
# and diff's prepend.
COPY = Op("CopyBackwards", lambda a: a.copy(), lambda n, g: (g,), saves=False)


def recorded(op: Op, inputs: tuple, out, params: dict) -> Tensor:
    """apply's result for an `out` that op.forward already gave, where apply's other checks
    cannot apply (tcalc.fast_path's programs: one float dtype, no view, no cast, the sizes
    checked beforehand): the same Tensor and Node. The caller knows grad mode is on."""
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    result = Tensor(out)
    for x in inputs:
        if type(x) is Tensor and x.requires_grad:
            result.requires_grad = True
            result.grad_fn = Node(op, inputs, params, result)
            break
    return result


# ---- the engine --------------------------------------------------------------------

def _topological_order(roots: list[Node]) -> list[Node]:
    """Nodes reachable from roots, each after every node that feeds it a gradient."""
    order, visited = [], {None}  # nodes hash by identity; None (no grad_fn) is never entered
    for root in roots:
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(root.edges))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited:
                    visited.add(parent)
                    stack.append((parent, iter(parent.edges)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _fit(grad: Tensor, like: Tensor) -> Tensor:
    """Sum a broadcast gradient back to the input's shape and cast it to its dtype."""
    ops = _ops()
    if grad.data.shape != like.data.shape:
        if _grad_enabled:
            grad = ops.sum_to(grad, like.data.shape)
        else:  # no graph to record: sum_to's forward on the array
            grad = Tensor(ops.shape.SUM_TO.forward(grad.data, like.data.shape))
    if grad.data.dtype != like.data.dtype:
        grad = ops.to_dtype(grad, like.dtype)
    return grad


_commit_observer = None


def observe_commits(observer):
    """Have `observer(leaves, nodes, in_place)` called just before each backward commits:
    the leaves whose .grad it is about to change (in place when `in_place` and the leaf has
    one) and the nodes it is about to mark freed. Returns the previous observer."""
    global _commit_observer
    previous, _commit_observer = _commit_observer, observer
    return previous


def run_backward(outputs: list[Tensor], grad_outputs: list[Tensor], *, retain_graph: bool,
                 create_graph: bool, inputs: list[Tensor] | None = None) -> list[Tensor | None] | None:
    """Propagate gradients from `outputs`. Without `inputs` (Tensor.backward), leaf
    gradients accumulate into `.grad`; with `inputs` (grad()), their gradients are returned
    and no `.grad` changes.

    A backward is atomic: every gradient is computed before any `.grad` changes or any node
    is marked freed, so one that fails half way (a freed node further down) changes nothing.
    That is what lets `y.backward()` as the last thing a statement does run without notes
    for undoing it."""
    roots = [t.grad_fn for t in outputs if t.grad_fn is not None]
    grads: dict[Node, Tensor] = {}  # the gradient reaching each node so far (nodes hash by identity)
    wanted = {id(t): i for i, t in enumerate(inputs)} if inputs is not None else None
    results: list[Tensor | None] = [None] * len(inputs) if inputs is not None else []
    pending: list[tuple[Tensor, Tensor]] = []  # (leaf, gradient) to accumulate, in order
    processed: list[Node] = []

    global _grad_enabled
    saved, _grad_enabled = _grad_enabled, create_graph  # grad_mode(create_graph), inline
    try:
        for t, g in zip(outputs, grad_outputs):
            if wanted is not None and id(t) in wanted:
                results[wanted[id(t)]] = g
            if t.grad_fn is not None:
                key = t.grad_fn
                grads[key] = g if wanted is not None or key not in grads else grads[key] + g
            elif wanted is None:
                pending.append((t, g))
        for node in _topological_order(roots):
            grad = grads.pop(node, None)
            if grad is None:
                continue
            if _watched_tensors:
                grad = _at_tensor(node._output_ref(), grad, pending if wanted is None else None)
            if node.freed and node.op.saves:
                raise AutogradError(
                    "Trying to backward through the graph a second time (or directly access saved "
                    "tensors after they have already been freed). Saved intermediate values of the "
                    "graph are freed when you call .backward() or autograd.grad(). Specify "
                    "retain_graph=True if you need to backward through the graph a second time or "
                    "if you need to access saved tensors after calling backward.",
                    hint="pass retain_graph=True to the first backward() to keep the graph")
            if node.saved is not None:
                node.check_saved()
            input_grads = node.op.backward(node, grad)
            processed.append(node)
            for i, (x, edge, g) in enumerate(zip(node.inputs, node.edges, input_grads)):
                # Only inputs that need a gradient (Node.needs_grad) receive one.
                if g is None or type(x) is not Tensor or not (x.requires_grad or edge is not None):
                    continue
                if g.data.shape != x.data.shape or g.data.dtype != x.data.dtype:
                    g = _fit(g, x)
                if edge is not None:
                    grads[edge] = g if edge not in grads else grads[edge] + g
                if wanted is not None:
                    j = wanted.get(id(x) if node._originals is None else id(node.original(i)))
                    if j is not None:
                        results[j] = g if results[j] is None else results[j] + g
                elif edge is None and x.requires_grad:
                    pending.append((x, g))
        if _watched_tensors:
            pending = _at_leaves(pending)
            if wanted is not None:
                results = [r if r is None or t.grad_fn is not None else _run_hooks(t, r)
                           for t, r in zip(inputs, results)]
        if _commit_observer is not None:
            _commit_observer([leaf for leaf, _ in pending], processed if not retain_graph else (),
                             not create_graph)
        if pending:
            # Drop this frame's references to gradients, so that _accumulate can tell a
            # gradient no one else holds (it becomes the .grad without a copy).
            grad = g = input_grads = None
            _accumulate(pending, create_graph)
    finally:
        _grad_enabled = saved
    if not retain_graph:
        for node in processed:
            node.freed = True
    return results if inputs is not None else None


def _unshared(grad: Tensor) -> bool:
    """Whether a gradient can become a leaf's .grad as it is: an array of its own, writable,
    that no one else holds (the backward made it just now for this leaf alone): only the
    pending list, the caller's loop variable and this call hold the Tensor, only the
    Tensor (and `data` here) the array. Otherwise (a user's grad_output, one gradient for two leaves,
    a broadcast view) .grad gets a copy, as before."""
    data = grad.data
    return (type(grad) is Tensor and grad.grad_fn is None and not grad.requires_grad
            and grad._vc is None and type(data) is np.ndarray and data.base is None
            and data.flags.writeable and data.flags.c_contiguous
            and sys.getrefcount(grad) <= 4 and sys.getrefcount(data) <= 3)


def _accumulate(pending: list, create_graph: bool) -> None:
    """Add each (leaf, gradient) into leaf.grad, in order. `.grad` accumulates in place
    (keeping its id, as PyTorch does) unless building a graph. New values are made first and
    the leaves changed after, so a failure changes no `.grad`."""
    fresh: dict[int, list] = {}  # id(leaf) -> [leaf, its new .grad]
    inplace: list[tuple[Tensor, Tensor]] = []  # (an existing .grad, gradient to add into it)
    if create_graph:
        # As PyTorch's engine: a leaf's gradients are summed first, then a graph of the
        # accumulation is made: the first .grad a copy of the sum (CopyBackwards), a later
        # one the old .grad plus the sum (AddBackward0).
        for leaf, grad in pending:
            entry = fresh.get(id(leaf))
            if entry is None:
                fresh[id(leaf)] = [leaf, grad]
            else:
                entry[1] = entry[1] + grad
        for entry in fresh.values():
            leaf, grad = entry
            if leaf.grad is not None:
                entry[1] = leaf.grad + grad
            elif grad.requires_grad:
                entry[1] = apply(COPY, (grad,), (grad.data,))
            else:
                entry[1] = Tensor(np.array(grad.data, copy=True))
        pending = ()
    summed: dict[int, int] = {}  # id(leaf) -> the index in `inplace` of its gradient so far
    for leaf, grad in pending:
        entry = fresh.get(id(leaf))
        if entry is not None:
            entry[1].data += grad.data  # a .grad this backward made: nobody sees it yet
            if entry[2]:  # PyTorch's engine adds into a first gradient no one else holds in place
                bump_version(entry[1])
            entry[2] = True  # (and into the sum it made of a shared one)
        elif leaf.grad is None:
            unshared = _unshared(grad)
            fresh[id(leaf)] = [leaf, grad if unshared else Tensor(np.array(grad.data, copy=True)), unshared]
        else:
            k = summed.get(id(leaf))
            if k is None:
                summed[id(leaf)] = len(inplace)
                inplace.append((leaf.grad, grad))
            else:
                # As PyTorch's engine: a leaf's gradients from one backward (x of x @ x) are
                # summed first and added to its .grad once (one rounding, one version).
                t, g = inplace[k]
                inplace[k] = (t, Tensor(np.add(g.data, grad.data)))
    plain = True  # every .grad a writable Tensor of the gradient's dtype and shape (a loop: no generator)
    for t, g in inplace:
        if type(t) is not Tensor:
            plain = False
            break
        d, e = t.data, g.data
        if not (d.flags.writeable and d.dtype == e.dtype and d.shape == e.shape):
            plain = False
            break
    if not plain:
        # An assigned .grad of another dtype, or read-only: the addition may fail part way.
        saved = [(t, t.data.copy()) for t, _ in inplace if type(t) is Tensor]
        try:
            for t, g in inplace:
                t.data += g.data
        except BaseException:
            for t, copy in saved:
                if t.data.flags.writeable:
                    t.data[...] = copy
            raise
        for t, _ in inplace:
            bump_version(t)
        inplace = []
    for t, g in inplace:
        t.data += g.data
        vc = t._vc  # bump_version(t), inline
        if vc is None:
            t._vc = [1]
        else:
            vc[0] += 1
    for entry in fresh.values():
        entry[0].grad = entry[1]


# ---- hooks and retain_grad (x.register_hook(f), y.retain_grad()) ------------------------------
#
# Kept beside the tensors, weakly, so that a tensor without either costs the engine nothing:
# it looks at them only while some tensor has one.

_hooks: "weakref.WeakKeyDictionary[Tensor, list]" = weakref.WeakKeyDictionary()
_retaining: "weakref.WeakSet[Tensor]" = weakref.WeakSet()
_watched_tensors = False


def _update_watched() -> None:
    global _watched_tensors
    _watched_tensors = bool(len(_hooks) or len(_retaining))


def register_hook(tensor: Tensor, hook: Callable) -> Callable[[], None]:
    """Have hook(gradient) see (and, returning a tensor, replace) the gradient with respect to
    tensor in every backward; returns the function that removes it."""
    hooks = _hooks.setdefault(tensor, [])
    entry = [hook]  # a fresh list: the same function registered twice runs twice
    hooks.append(entry)
    _update_watched()

    def remove() -> None:
        if entry in hooks:
            hooks.remove(entry)
            if not hooks:
                _hooks.pop(tensor, None)
            _update_watched()

    return remove


def retain_grad(tensor: Tensor) -> None:
    """A non-leaf tensor keeps the gradient backward computes for it in .grad."""
    if tensor.grad_fn is not None:
        _retaining.add(tensor)
        _update_watched()


def retains_grad(tensor: Tensor) -> bool:
    return tensor in _retaining


def _run_hooks(tensor: Tensor, grad: Tensor) -> Tensor:
    for (hook,) in list(_hooks.get(tensor, ())):
        changed = hook(grad)
        if changed is not None:
            if type(changed) is not Tensor or changed.data.shape != grad.data.shape:
                raise AutogradError("hook returned a value that is not a tensor of the gradient's shape",
                                    hint="a hook returns None or a tensor shaped like its argument")
            grad = changed
    return grad


def _at_tensor(tensor, grad: Tensor, pending: list | None) -> Tensor:
    """The gradient reaching a node's output: its hooks run, and a retained tensor keeps it
    (in a backward(); `pending` is None in grad())."""
    if tensor is None:
        return grad
    grad = _run_hooks(tensor, grad)
    if pending is not None and tensor in _retaining:
        pending.append((tensor, grad))
    return grad


def _at_leaves(pending: list) -> list:
    """Each hooked leaf's gradients summed and passed through its hooks, as PyTorch runs a
    leaf's hooks once on the gradient AccumulateGrad receives."""
    hooked = {id(t) for t, _ in pending if t.grad_fn is None and t in _hooks}
    if not hooked:
        return pending
    totals: dict[int, list] = {}
    order = []
    for t, g in pending:
        if id(t) not in hooked:
            order.append((t, g))
        elif id(t) in totals:
            totals[id(t)][1] = totals[id(t)][1] + g
        else:
            totals[id(t)] = entry = [t, g]
            order.append(entry)
    return [(entry[0], _run_hooks(entry[0], entry[1])) if type(entry) is list else entry for entry in order]


def edge_gradients(output: Tensor, seed: Tensor) -> dict[int, Tensor]:
    """What a backward from `output` (with gradient `seed`) sends to each node and leaf of
    its graph, computed again for graph(y, grads=True): by id of the node, or of the leaf
    tensor (the gradient its AccumulateGrad receives). Nothing changes: no .grad, no hook
    runs, nodes stay as they are; a freed node is read anyway, since tcalc keeps what it
    saved. A tensor changed in place since it was saved is refused, as backward refuses."""
    received: dict[int, Tensor] = {}
    grads = {id(output.grad_fn): seed}
    global _grad_enabled
    saved, _grad_enabled = _grad_enabled, False
    try:
        for node in _topological_order([output.grad_fn]):
            grad = grads.pop(id(node), None)
            if grad is None:
                continue
            received[id(node)] = grad
            if node.saved is not None:
                node.check_saved()
            for x, edge, g in zip(node.inputs, node.edges, node.op.backward(node, grad)):
                if g is None or type(x) is not Tensor or not (x.requires_grad or edge is not None):
                    continue
                if g.data.shape != x.data.shape or g.data.dtype != x.data.dtype:
                    g = _fit(g, x)
                key = id(edge) if edge is not None else id(x)
                target = grads if edge is not None else received
                target[key] = g if key not in target else target[key] + g
    finally:
        _grad_enabled = saved
    return received
