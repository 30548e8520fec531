"""Plain float arithmetic run on arrays: the fast path of a loop body's expressions.

`b = a * 2 + i` through the general path makes a Tensor, a promotion and an autograd check
for each operator, and an undo journal for the statement: about 30,000 machine instructions
an operator where NumPy's own call takes 5,000. Here, when every operand is a float32 or
float64 tensor of one dtype (one shape, or 0-d; two matrices for `@`), or a Python int or
float, each operator runs its op's own forward on the arrays (so the values are the
general path's to the bit) and only the value the statement keeps becomes a Tensor.

When an operand records a graph (requires grad, grad mode on), a program of its own runs
the same kernels and makes each op's Tensor and Node as the general path's apply makes
them (autograd.recorded): the same inputs, saved tensors, grad_fn names and gradients.

An expression is compiled once, the second time it is evaluated, into a Plan kept on its
node (`ast.Node._fast`): the names it reads and the shape of its tree. (Most nodes are
evaluated once, a script's or the shell's lines, and compiling would not pay for itself:
it cost a script 5% of its run.) What the tree
does depends only on what the names hold (a tensor's dtype and shape, a number's type,
which function a name is), so each evaluation looks the names up, compares that signature
with the last one, and on a match runs the program made for it: a flat list of kernel
calls on arrays, with every check (dtypes, shapes, the limits' sizes) done when the
program was made. A loop body's statements are so checked once, not at every node of
every round.

Anything else (broadcasting, promotion, an unknown name, a call that
is not an elementwise function, a size the cheap limit bound does not clear, vmap's batched
run) gives NOT_FAST, and the evaluator evaluates the node its general way. Nothing here has
an effect, so starting again is always safe; every error is the general path's to report.
"""
from __future__ import annotations

import numpy as np

from . import ast, autograd, batched, dtypes, limits, ops
from .errors import TcalcError
from .ops._base import broadcast_shape
from .tensor import Tensor
from .values import Builtin, Namespace

NOT_FAST = object()
_ONCE = object()  # a node's `_fast` after its first evaluation

_FLOATS = frozenset((np.dtype(np.float32), np.dtype(np.float64)))
_OPERATIONS = frozenset((ast.BinOp, ast.UnaryOp, ast.Call))
MAX_NODES = 64  # a longer expression goes the general way (no deep recursion here)

# The operators, by the op their general path runs for floats. `number / tensor` is left
# out: PyTorch computes it as a product with the reciprocal.
# `tensor ** number`, `matrix @ matrix` and `vector @ vector` are pow's and matmul's short
# cases (POW, MM, DOT).
_BINARY = {"+": ops.elementwise.ADD, "-": ops.elementwise.SUB, "*": ops.elementwise.MUL,
           "/": ops.elementwise.DIV, "**": ops.elementwise.POW, "@": ops.linalg.MM}
_DIV, _NEG, _SUB, _RSUB = ops.elementwise.DIV, ops.elementwise.NEG, ops.elementwise.SUB, ops.elementwise.RSUB
_POW, _MM, _DOT, _SUM = ops.elementwise.POW, ops.linalg.MM, ops.linalg.DOT, ops.reduce.SUM_ALL
# The functions of two tensors taken (in a call, `dot(a, b)`), by the products they make.
_PRODUCTS = {ops.dot: "dot", ops.mm: "mm", ops.matmul: "@"}
_scalar_operand = ops.scalar_operand
_asarray = np.asarray
# Tensor methods without arguments that reduce a float array to 0-d: the op whose node the
# general path records, and the kernel its forward runs. `x.sum()` is ops.sum_of_floats,
# which for a float32 or float64 array is NumPy's add.reduce over all axes in the array's
# dtype (called here without its keywords: a third of its cost); `x.mean()` that sum
# divided by the count (of an empty array: the general path's nan).
_SUM_ALL = np.add.reduce
_MEAN = ops.reduce.MEAN_ALL


def _sum_all(a: np.ndarray):
    return _SUM_ALL(a, None)


def _mean_all(a: np.ndarray):
    return ops.reduce.mean_of_floats(a) if a.size else _MEAN.forward(a, None, False)


METHODS = {"sum": (_SUM, _sum_all), "mean": (_MEAN, _mean_all)}


def evaluate(node: ast.Node, names: dict, scope) -> Tensor | object:
    """The value of an operation `node` as a new Tensor, or NOT_FAST."""
    try:
        plan = node._fast
    except AttributeError:  # first evaluated: the general path's
        node._fast = _ONCE
        return NOT_FAST
    if plan is _ONCE:  # evaluated again (a loop's body, a function called again): compiled
        plan = node._fast = _compile(node)
    if plan is None or batched.MODES:
        return NOT_FAST
    return plan.run(names, scope)


class _NotFast(Exception):
    """Compiling: the expression (or, for a signature, what its names hold) is not taken."""


# ---- compiling a node once: the names it reads and its tree ---------------------------------
# Trees are tuples: ("name", k) the k-th name read; ("number", value) a constant;
# ("binary", op, left, right); ("neg", operand); ("call", k, argument) with the function
# the k-th name, ("product", k, left, right) with a function of two tensors (dot, mm,
# matmul); ("method", (op, kernel), receiver). A name read as `torch.exp` is the key
# ("torch", "exp"); a tensor's gradient `w.grad` is ("w", "grad").

def _compile(node: ast.Node):
    """The node's Plan, or None if no values of its names could make it fast."""
    if type(node) not in _OPERATIONS:
        return None  # a bare name is its tensor itself (`y = x`), not a new one
    keys: list = []
    try:
        tree = _tree(node, keys, [MAX_NODES])
    except _NotFast:
        return None
    return Plan(tuple(keys), tree)


def _key_index(key, keys: list) -> int:
    if key not in keys:
        keys.append(key)
    return keys.index(key)


def _tree(node, keys: list, budget: list):
    budget[0] -= 1  # the nodes the general evaluation of the operands would visit
    if budget[0] < 0:
        raise _NotFast
    kind = type(node)
    if kind is ast.Name:
        return ("name", _key_index(node.id, keys))
    if kind is ast.Attribute:  # `w.grad`: read as a name is
        if node.attr != "grad" or type(node.value) is not ast.Name:
            raise _NotFast
        return ("name", _key_index((node.value.id, "grad"), keys))
    if kind is ast.Constant:
        if type(node.value) not in (int, float):  # by exact type: a bool is not taken
            raise _NotFast
        return ("number", node.value)
    if kind is ast.BinOp:
        op = _BINARY.get(node.op)
        if op is None:
            raise _NotFast
        return ("binary", op, _tree(node.left, keys, budget), _tree(node.right, keys, budget))
    if kind is ast.UnaryOp:
        if node.op != "-":
            raise _NotFast
        return ("neg", _tree(node.operand, keys, budget))
    if kind is not ast.Call or node.keywords or node.starred:
        raise _NotFast
    func = node.func
    if type(func) is ast.Attribute and not node.args:  # `t.sum()`
        method = METHODS.get(func.attr)
        if method is None:
            raise _NotFast
        return ("method", method, _tree(func.value, keys, budget))
    if not 1 <= len(node.args) <= 2:
        raise _NotFast
    if type(func) is ast.Name:  # `exp(t)`
        key = func.id
    elif type(func) is ast.Attribute and type(func.value) is ast.Name and func.value.id == "torch":
        key = ("torch", func.attr)  # `torch.exp(t)`
    else:
        raise _NotFast
    k = _key_index(key, keys)
    if len(node.args) == 2:  # `dot(a, b)`
        return ("product", k, _tree(node.args[0], keys, budget), _tree(node.args[1], keys, budget))
    return ("call", k, _tree(node.args[0], keys, budget))


class Plan:
    """A compiled expression: the names it reads, its tree, and the program made for the
    last signature of their values (None where that signature is not taken)."""

    __slots__ = ("keys", "tree", "last", "recording")

    def __init__(self, keys: tuple, tree: tuple):
        self.keys, self.tree = keys, tree
        self.last = (None, None)  # (signature, its program), set as one (a Ctrl-C between two
        # assignments would leave a program under another signature)
        self.recording = (None, None)  # the same for the program that records a graph

    def run(self, names: dict, scope):
        """The value as a new Tensor, or NOT_FAST."""
        values = []
        signature = []
        # Each value's kind comes first in the signature: comparing signatures reaches a
        # dtype or a shape only where the kinds before it matched.
        for key in self.keys:
            if key.__class__ is str:
                value = names.get(key, NOT_FAST) if scope is None else _lookup(key, names, scope)
            else:
                value = _member(key, names, scope)
            kind = type(value)
            if kind is Tensor:
                data = value.data
                if value.requires_grad and autograd.is_grad_enabled():
                    return self._record(names, scope)
                values.append(data)
                signature += (Tensor, data.dtype, data.shape)
            elif kind is int or kind is float:
                values.append(value)
                signature.append(kind)
            elif kind is Builtin:
                values.append(value)
                signature += (Builtin, value)
            else:
                return NOT_FAST
        last, program = self.last
        if signature != last:
            program = _Program.make(self.tree, signature)
            self.last = (signature, program)
        if program is None:
            return NOT_FAST
        value = program.run(values)
        return value if value is NOT_FAST else Tensor(value)

    def _record(self, names: dict, scope):
        """run's value where an operand records a graph: the registers hold the names'
        tensors themselves (a node keeps its inputs), and each step makes a Tensor."""
        values = []
        signature = []
        for key in self.keys:
            if key.__class__ is str:
                value = names.get(key, NOT_FAST) if scope is None else _lookup(key, names, scope)
            else:
                value = _member(key, names, scope)
            kind = type(value)
            if kind is Tensor:
                data = value.data
                signature += (Tensor, data.dtype, data.shape)
            elif kind is int or kind is float:
                signature.append(kind)
            elif kind is Builtin:
                signature += (Builtin, value)
            else:
                return NOT_FAST
            values.append(value)
        last, program = self.recording
        if signature != last:
            program = _Program.make(self.tree, signature, recording=True)
            self.recording = (signature, program)
        if program is None:
            return NOT_FAST
        return program.run(values)


class _Program:
    """The steps of a tree for one signature: each (kernel, a, b) appends kernel(r[a]) (b
    None) or kernel(r[a], r[b]) to the registers r, which start as the names' values and
    then the constants; the last register is the value. `elements` is what its results
    take together, `largest` the largest of them."""

    __slots__ = ("steps", "constants", "elements", "largest", "_dtype", "_recording")

    @classmethod
    def make(cls, tree: tuple, signature: list, recording: bool = False):
        infos = []  # each name's value: ("tensor", dtype, shape), ("number",) or ("function", f)
        i = 0
        while i < len(signature):
            kind = signature[i]
            if kind is Tensor:
                infos.append(("tensor", signature[i + 1], signature[i + 2]))
                i += 3
            elif kind is Builtin:
                infos.append(("function", signature[i + 1]))
                i += 2
            else:
                infos.append(("number",))
                i += 1
        program = cls()
        program.steps, program.constants, program.elements, program.largest = [], [], 0, 0
        program._dtype, program._recording = None, recording
        try:
            dtype = program._dtype_of(tree, infos)
            if dtype is None:
                raise _NotFast  # two numbers are Python's arithmetic
            program._dtype = dtype
            register, shape = program._emit(tree, infos)
        except _NotFast:
            return None
        except TcalcError:  # a constant too large for the dtype: the general path says so
            return None
        if not shape and not recording:  # a ufunc gives a scalar for 0-d operands; a Tensor holds an array
            program._step(_asarray, register)
        # Registers as run: the names' values, the constants, then the steps' results.
        values, constants = len(infos), len(program.constants)
        where = {("constant", j): values + j for j in range(constants)}
        where.update({("step", j): values + constants + j for j in range(len(program.steps))})
        program.steps = tuple((kernel, where.get(a, a), where.get(b, b)) for kernel, a, b in program.steps)
        return program

    def run(self, values: list):
        """The last register's value (an array; a Tensor when recording), or NOT_FAST."""
        # The general path makes each result a Tensor, which counts while it lives; these
        # arrays are counted here instead, by the limits' cheap bound.
        # (check_elements' cheap bound, written out here: a call a statement costs more)
        bounds = limits.LIMITS
        if self.elements > bounds.max_total_elements - limits.held_by_tensors() \
                or self.largest > bounds.max_elements:
            return NOT_FAST
        registers = values + self.constants
        append = registers.append
        try:
            for kernel, a, b in self.steps:
                append(kernel(registers[a]) if b is None else kernel(registers[a], registers[b]))
        except TcalcError:  # an int too large for the dtype: the general path says so
            return NOT_FAST
        return registers[-1]

    def _dtype_of(self, tree, infos):
        """The one dtype of the arrays in the tree (None if it has none); _NotFast if two."""
        found = None
        for dtype in self._dtypes(tree, infos):
            if found is None:
                found = dtype
            elif dtype != found:
                raise _NotFast  # promotion
        return found

    def _dtypes(self, tree, infos):
        kind = tree[0]
        if kind == "name":
            info = infos[tree[1]]
            if info[0] == "tensor":
                yield info[1]
        elif kind == "binary" or kind == "product":
            yield from self._dtypes(tree[2], infos)
            yield from self._dtypes(tree[3], infos)
        elif kind != "number":
            yield from self._dtypes(tree[-1], infos)

    # While a program is made, a register is a name's index, ("constant", j) or ("step", j).
    def _constant(self, value) -> tuple:
        self.constants.append(value)
        return ("constant", len(self.constants) - 1)

    def _step(self, kernel, a, b=None) -> tuple:
        self.steps.append((kernel, a, b))
        return ("step", len(self.steps) - 1)

    def _result(self, size: int) -> None:
        self.elements += size
        self.largest = max(self.largest, size)

    def _emit(self, tree, infos):
        """The register of the tree's value and its shape (None for a number)."""
        kind = tree[0]
        if kind == "name":
            info = infos[tree[1]]
            if info[0] == "tensor":
                if info[1] not in _FLOATS:
                    raise _NotFast
                return tree[1], info[2]
            if info[0] == "number":
                return tree[1], None
            raise _NotFast  # a function as an operand
        if kind == "number":
            return self._constant(tree[1]), None
        if kind == "product":
            function = infos[tree[1]]
            if function[0] != "function" or function[1].effect is not None:
                raise _NotFast
            rule = _PRODUCTS.get(function[1].function)
            if rule is None:
                raise _NotFast
            left, left_shape = self._emit(tree[2], infos)
            right, right_shape = self._emit(tree[3], infos)
            return self._product(rule, left, left_shape, right, right_shape)
        if kind == "binary":
            op = tree[1]
            left, left_shape = self._emit(tree[2], infos)
            right, right_shape = self._emit(tree[3], infos)
            if op is _MM:
                return self._product("@", left, left_shape, right, right_shape)
            if op is _POW:
                return self._power(tree, left, left_shape, right, right_shape)
            if left_shape is not None:
                if right_shape is not None:
                    # the general path's broadcasting (NumPy's kernels broadcast alike); its
                    # error, or a shape too large, is the general path's to report
                    shape = left_shape if left_shape == right_shape else \
                        broadcast_shape(left_shape, right_shape)
                else:
                    shape, right = left_shape, self._number(tree[3], right)
            elif right_shape is not None and op is not _DIV:
                shape, left = right_shape, self._number(tree[2], left)
            else:
                raise _NotFast  # two numbers (or `number / tensor`)
            self._result(_size(shape))
            if self._recording:
                # `number - tensor` is sub's RsubBackward1 (the same subtraction)
                op = _RSUB if op is _SUB and left_shape is None else op
                return self._step(_recording_binary(op, self._dtype), left, right), shape
            return self._step(op.forward, left, right), shape
        operand, shape = self._emit(tree[-1], infos)
        if shape is None:
            raise _NotFast  # a number's negation or function is not a tensor's
        if kind == "neg":
            self._result(_size(shape))
            if self._recording:
                return self._step(_recording_unary(_NEG), operand), shape
            return self._step(_NEG.forward, operand), shape
        if self._recording:
            if kind == "method":
                self._result(1)
                return self._step(_recording_reduction(*tree[1], self._dtype), operand), ()
            op = self._function_op(infos[tree[1]])
            self._result(_size(shape))
            return self._step(_recording_unary(op), operand), shape
        # A kernel that is not a ufunc is given an array, as it would be a tensor's (a 0-d
        # result of a kernel may be a NumPy scalar).
        if not shape and tree[-1][0] != "name":
            operand = self._step(_asarray, operand)
        if kind == "method":
            self._result(1)
            if tree[1][0] is _SUM:
                return self._step(_SUM_ALL, operand, self._constant(None)), ()
            return self._step(tree[1][1], operand), ()
        op = self._function_op(infos[tree[1]])
        self._result(_size(shape))
        return self._step(op.forward, operand), shape

    @staticmethod
    def _function_op(function: tuple):
        if function[0] != "function" or function[1].effect is not None:
            raise _NotFast
        op = ops.elementwise_op(function[1].function)
        if op is None:
            raise _NotFast
        return op

    def _product(self, rule: str, left, left_shape, right, right_shape):
        """`matrix @ matrix`, `mm(a, b)` (mm's short case), `vector @ vector`, `dot(a, b)`
        (dot's): the register and shape of the value. `rule` names which of them the
        function takes: "@" (matmul) both, "mm" and "dot" their own."""
        if left_shape is None or right_shape is None:
            raise _NotFast
        if len(left_shape) == 2 and len(right_shape) == 2 and rule != "dot":
            op, shape = _MM, (left_shape[0], right_shape[1])
            if left_shape[1] != right_shape[0]:
                raise _NotFast  # mismatched sizes: the general path's error
        elif len(left_shape) == 1 and left_shape == right_shape and rule != "mm":
            op, shape = _DOT, ()
        else:
            raise _NotFast  # matmul's other cases (a batch, a matrix and a vector), or an error
        self._result(_size(shape))
        if self._recording:
            return self._step(_recording_binary(op, self._dtype), left, right), shape
        return self._step(op.forward, left, right), shape

    def _power(self, tree, left, left_shape, right, right_shape):
        """`tensor ** number` (pow's short case): the register and shape of the value."""
        if left_shape is None or right_shape is not None:
            raise _NotFast  # `number ** tensor`, `tensor ** tensor`: PowBackward2 and 1
        self._result(_size(left_shape))
        if self._recording:
            return self._step(_recording_binary(_POW, self._dtype), left, right), left_shape
        if not left_shape and tree[2][0] != "name":  # not a ufunc: given an array
            left = self._step(_asarray, left)
        return self._step(_POW.forward, left, self._number(tree[3], right, exact=False)), left_shape

    def _number(self, tree, register, exact: bool = True):
        """A number's register as the dtype's 0-d array, as the general path converts it: a
        constant once, a name's value at each run. `exact=False`: a name's int as
        scalar_operand gives it (an exponent: `_number_operand`'s NumPy scalar is shown to
        give the same bits to + - * / only)."""
        if self._recording:
            return register  # the number itself: a node keeps it, its kernel converts it
        if tree[0] == "number":
            return self._constant(_scalar_operand(tree[1], self._dtype))
        convert = _number_operand if exact else _scalar_operand
        return self._step(convert, register, self._constant(self._dtype))


# The kernels of a recording program: the op's forward on its operands' arrays (a number as
# the general path converts it), and its Tensor and Node made as apply makes them.

def _recording_binary(op, dtype: np.dtype):
    forward, recorded = op.forward, autograd.recorded

    def kernel(a, b):
        x = a.data if type(a) is Tensor else _scalar_operand(a, dtype)
        y = b.data if type(b) is Tensor else _scalar_operand(b, dtype)
        return recorded(op, (a, b), forward(x, y), {})
    return kernel


def _recording_unary(op):
    forward, recorded = op.forward, autograd.recorded

    def kernel(a):
        return recorded(op, (a,), forward(a.data), {})
    return kernel


def _recording_reduction(op, forward, dtype: np.dtype):
    """`x.sum()`, `x.mean()`: ops.sum's and ops.mean's short cases, whose nodes keep these
    params."""
    recorded = autograd.recorded
    if op is _SUM:
        params = {"axes": None, "keepdim": False, "dtype": dtypes.BY_NUMPY[dtype]}
    else:
        params = {"axes": None, "keepdim": False}

    def kernel(a):
        return recorded(op, (a,), forward(a.data), dict(params))
    return kernel


# Ints of at most this size are exact in float32 and float64: as an operand, the dtype's
# NumPy scalar of one gives what scalar_operand's 0-d array gives (the same kernel on the
# same value) at half its cost for a loop counter, which its cache does not keep.
_EXACT = 2 ** 24


def _number_operand(x, dtype: np.dtype):
    if type(x) is int and 256 < abs(x) <= _EXACT:
        return dtype.type(x)
    return _scalar_operand(x, dtype)


def _size(shape: tuple) -> int:
    size = 1
    for n in shape:
        size *= n
    return size


def _member(key: tuple, names: dict, scope):
    """The value of a key `(owner, attribute)`: torch's function, or a tensor's .grad."""
    owner, attribute = key
    if owner == "torch":  # (a name the language does not let be redefined)
        torch = names.get("torch")
        return torch.members.get(attribute) if type(torch) is Namespace else None
    tensor = names.get(owner, NOT_FAST) if scope is None else _lookup(owner, names, scope)
    return tensor.grad if type(tensor) is Tensor else NOT_FAST


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
