"""Plain float arithmetic run on arrays: the fast path of a loop body's expressions.

`b = a * 2 + i` through the general path makes a Tensor, a promotion and an autograd check
for each operator, and an undo journal for the statement: about 30,000 machine instructions
an operator where NumPy's own call takes 5,000. Here, when every operand is a float32 or
float64 tensor of one dtype (one shape, or 0-d) that records no graph, or a Python int or
float, each operator runs its op's own forward on the arrays (so the values are the
general path's to the bit) and only the value the statement keeps becomes a Tensor.

Anything else (a gradient to record, broadcasting, promotion, an unknown name, a call that
is not an elementwise function, a size the cheap limit bound does not clear, vmap's batched
run) gives NOT_FAST, and the evaluator evaluates the node its general way. Nothing here has
an effect, so starting again is always safe; every error is the general path's to report.
"""
from __future__ import annotations

import numpy as np

from . import ast, autograd, batching, limits, ops
from .errors import TcalcError
from .tensor import Tensor
from .values import Builtin, Namespace

NOT_FAST = object()

_FLOATS = frozenset((np.dtype(np.float32), np.dtype(np.float64)))
_NUMBERS = (int, float)  # by exact type: a bool is not taken
_NDARRAY = np.ndarray
_OPERATIONS = frozenset((ast.BinOp, ast.UnaryOp, ast.Call))
MAX_NODES = 64  # a longer expression goes the general way (no deep recursion here)

# The operators, by the op their general path runs for floats. `number / tensor` is left
# out: PyTorch computes it as a product with the reciprocal.
_BINARY = {"+": ops.elementwise.ADD, "-": ops.elementwise.SUB, "*": ops.elementwise.MUL,
           "/": ops.elementwise.DIV}
_DIV, _NEG = ops.elementwise.DIV, ops.elementwise.NEG
_scalar_operand = ops.scalar_operand
# Tensor methods without arguments that have a kernel on float arrays.
METHODS = {"sum": ops.sum_of_floats}


def evaluate(node: ast.Node, names: dict, scope) -> Tensor | object:
    """The value of an operation `node` as a new Tensor, or NOT_FAST."""
    if batching.MODES or type(node) not in _OPERATIONS:
        return NOT_FAST  # a bare name is its tensor itself (`y = x`), not a new one
    # What is left for the rest of the expression: nodes, and elements its results may
    # take by the limits' cheap bound (the general path makes each result a Tensor, which
    # counts while it lives; these arrays are counted here instead).
    budget = [MAX_NODES, limits.room_surely(), limits.LIMITS.max_elements]
    try:
        value = _array(node, names, scope, budget)
    except TcalcError:  # an int too large for the dtype: the general path says so
        return NOT_FAST
    if type(value) is not _NDARRAY:
        return NOT_FAST  # a number, or NOT_FAST itself
    return Tensor(value)


def _array(node, names, scope, budget):
    """An ndarray, a Python int or float, or NOT_FAST."""
    budget[0] -= 1
    if budget[0] < 0:
        return NOT_FAST
    kind = type(node)
    if kind is ast.Name:
        value = names.get(node.id, NOT_FAST) if scope is None else _lookup(node.id, names, scope)
        if type(value) is Tensor:
            data = value.data
            if data.dtype not in _FLOATS or value.requires_grad and autograd.is_grad_enabled():
                return NOT_FAST
            return data
        return value if type(value) in _NUMBERS else NOT_FAST
    if kind is ast.Constant:
        value = node.value
        return value if type(value) in _NUMBERS else NOT_FAST
    if kind is ast.BinOp:
        op = _BINARY.get(node.op)
        if op is None:
            return NOT_FAST
        left = _array(node.left, names, scope, budget)
        if left is NOT_FAST:
            return NOT_FAST
        right = _array(node.right, names, scope, budget)
        if right is NOT_FAST:
            return NOT_FAST
        if type(left) is _NDARRAY:
            if type(right) is _NDARRAY:
                if left.dtype != right.dtype or left.shape != right.shape and left.ndim and right.ndim:
                    return NOT_FAST
                size = left.size if left.ndim else right.size
            else:
                size, right = left.size, _scalar_operand(right, left.dtype)
        elif type(right) is _NDARRAY and op is not _DIV:
            size, left = right.size, _scalar_operand(left, right.dtype)
        else:
            return NOT_FAST  # two numbers are Python's arithmetic
        budget[1] -= size  # _run's check, in this frame: operators are most of the nodes
        if budget[1] < 0 or size > budget[2]:
            return NOT_FAST
        out = op.forward(left, right)
        return out if type(out) is _NDARRAY else np.asarray(out)
    if kind is ast.UnaryOp:
        if node.op != "-":
            return NOT_FAST
        operand = _array(node.operand, names, scope, budget)
        if type(operand) is not _NDARRAY:
            return NOT_FAST
        return _run(_NEG.forward, operand.size, budget, operand)
    if kind is ast.Call:
        return _call(node, names, scope, budget)
    return NOT_FAST


def _call(node: ast.Call, names, scope, budget):
    """`exp(t)`, `torch.exp(t)`: an elementwise function of one float tensor; `t.sum()`."""
    if node.keywords or node.starred:
        return NOT_FAST
    func = node.func
    if type(func) is ast.Attribute and not node.args:
        kernel = METHODS.get(func.attr)
        if kernel is None:
            return NOT_FAST
        receiver = _array(func.value, names, scope, budget)
        if type(receiver) is not _NDARRAY:
            return NOT_FAST
        return _run(kernel, 1, budget, receiver)
    if len(node.args) != 1:
        return NOT_FAST
    if type(func) is ast.Name:
        function = _lookup(func.id, names, scope)
    elif type(func) is ast.Attribute and type(func.value) is ast.Name and func.value.id == "torch":
        torch = names.get("torch")
        function = torch.members.get(func.attr) if type(torch) is Namespace else None
    else:
        return NOT_FAST
    if type(function) is not Builtin or function.effect is not None:
        return NOT_FAST
    op = ops.elementwise_op(function.function)
    if op is None:
        return NOT_FAST
    operand = _array(node.args[0], names, scope, budget)
    if type(operand) is not _NDARRAY:
        return NOT_FAST
    return _run(op.forward, operand.size, budget, operand)


def _lookup(name: str, names: dict, scope):
    """A name's value as the evaluator finds it, or NOT_FAST where it would not."""
    frame = scope
    while frame is not None:
        if name in frame.vars:
            return frame.vars[name]
        if name in frame.local_names and name not in frame.global_names:
            return NOT_FAST  # not yet assigned: the general path's error
        frame = frame.outer
    return names.get(name, NOT_FAST)


def _run(kernel, size: int, budget: list, *arrays):
    """A kernel's result as an ndarray (NumPy gives a scalar for 0-d operands), if a result
    of `size` elements clears the limits."""
    budget[1] -= size
    if budget[1] < 0 or size > budget[2]:
        return NOT_FAST
    out = kernel(*arrays)
    return out if type(out) is _NDARRAY else np.asarray(out)
