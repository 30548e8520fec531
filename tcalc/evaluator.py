"""Walks the AST with a Session's variables and returns values; never prints.

Dispatch is by node type through a table. Errors raised without a place get the span of
the innermost node being evaluated.
"""
from __future__ import annotations

import sys
from typing import Iterator

import numpy as np

from . import ast, builtins, dtypes, ops
from .differentiate import call_grad_function
from .errors import (InternalError, LimitError, Span, TcalcError, TcalcIndexError, TcalcNameError, TcalcTypeError,
                     TcalcValueError)
from .parser import parse
from .tensor import Size, Tensor
from .values import CALLABLES, BoundMethod, Builtin, GradFunction, Namespace, UserFunction

MAX_CALL_DEPTH = 200

_BINARY = {
    "+": ops.add, "-": ops.sub, "*": ops.mul, "/": ops.div, "//": ops.floor_divide,
    "%": ops.remainder, "**": ops.pow, "@": ops.matmul,
    "&": ops.bitwise_and, "|": ops.bitwise_or, "^": ops.bitwise_xor,
}
_COMPARE = {"==": ops.eq, "!=": ops.ne, "<": ops.lt, "<=": ops.le, ">": ops.gt, ">=": ops.ge}


class Session:
    """The variables of one run (a shell, or scripts run together)."""

    def __init__(self):
        self.globals: dict[str, object] = builtins.global_names()
        self.call_depth = 0

    # ---- statements -----------------------------------------------------------------------

    def run(self, text: str) -> Iterator[object]:
        """Run a program; yields each value a statement prints, as it goes."""
        program = parse(text)
        for statement in program.statements:
            value = self.execute(statement)
            if value is not None:
                yield value

    def execute(self, node: ast.Node) -> object:
        """Run one statement; returns the value to print, or None."""
        try:
            return _STATEMENTS[type(node)](self, node)
        except TcalcError as err:
            raise err.at(node.span)
        except RecursionError:
            raise LimitError("expression nested too deeply", node.span) from None
        except Exception as err:  # a bug in tcalc: report it at the statement, never a traceback
            raise InternalError(f"{type(err).__name__}: {err}", node.span,
                                "this is a bug in tcalc; the session is unchanged") from err

    def _expr_stmt(self, node: ast.ExprStmt):
        value = self.eval(node.value, None)
        return None if node.quiet else value

    def _assign(self, node: ast.Assign):
        value = self.eval(node.value, None)
        self.bind(node.targets, value)

    def bind(self, target: ast.Node, value) -> None:
        if isinstance(target, ast.Name):
            self._check_rebind(target)
            self.globals[target.id] = value
        elif isinstance(target, ast.TupleExpr):
            items = self._unpack(value, len(target.items), target.span)
            for t, v in zip(target.items, items):
                self.bind(t, v)
        elif isinstance(target, ast.Index):
            obj = self.eval(target.value, None)
            index = self._index(target, None)
            self._guard(target, lambda: ops.setitem(obj, index, value))
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, None)
            setter = builtins.SETTABLE.get(target.attr) if type(obj) is Tensor else None
            if setter is None:
                raise TcalcTypeError(f"cannot set attribute {target.attr!r}", target.span)
            self._guard(target, lambda: setter(obj, value))

    def _check_rebind(self, target: ast.Name) -> None:
        if target.id == "torch":
            raise TcalcNameError("cannot assign to 'torch'", target.span)

    def _unpack(self, value, count: int, span: Span):
        if type(value) is Tensor:
            if value.data.ndim == 0:
                raise TcalcTypeError("cannot unpack a 0-d tensor", span)
            items = [ops.getitem(value, i) for i in range(value.data.shape[0])]
        elif isinstance(value, (tuple, list)):
            items = list(value)
        else:
            raise TcalcTypeError(f"cannot unpack {_type_name(value)}", span)
        if len(items) != count:
            raise TcalcValueError(f"expected {count} values to unpack, got {len(items)}", span)
        return items

    def _aug_assign(self, node: ast.AugAssign):
        target = node.target
        current = self.eval(target, None)
        value = self.eval(node.value, None)
        function = _BINARY[node.op]
        if type(current) is Tensor and node.op in _INPLACE:
            # In place, as PyTorch's `X += Y`: id(X) does not change. `X[i] += v` updates
            # the selection, then writes it back (advanced indexing selects a copy).
            result = self._guard(node, lambda: ops.apply_inplace(function, current, value))
            if isinstance(target, ast.Index):
                self.bind(target, result)
            return None
        result = self._guard(node, lambda: self._binary(function, current, value, node.op))
        self.bind(target, result)

    def _function_def(self, node: ast.FunctionDef):
        if node.name in builtins.FUNCTIONS or node.name == "torch":
            # Shadowing a builtin is allowed, like any variable; only torch is protected.
            if node.name == "torch":
                raise TcalcNameError("cannot redefine 'torch'", node.span)
        self.globals[node.name] = UserFunction(node.name, node.params, node.body)

    def _import(self, node: ast.Import):
        return None

    # ---- expressions ----------------------------------------------------------------------

    def eval(self, node: ast.Node, scope: dict | None):
        try:
            return _EXPRESSIONS[type(node)](self, node, scope)
        except TcalcError as err:
            raise err.at(node.span)

    def _guard(self, node: ast.Node, thunk):
        """Run an op, turning a stray NumPy failure into a tcalc error at this node."""
        try:
            return thunk()
        except TcalcError as err:
            raise err.at(node.span)
        except MemoryError:
            raise LimitError("out of memory", node.span,
                             "the result is too large for this machine") from None
        except (ValueError, TypeError, IndexError, OverflowError, ZeroDivisionError) as err:
            raise TcalcValueError(str(err) or type(err).__name__, node.span) from None

    def _name(self, node: ast.Name, scope):
        if scope is not None and node.id in scope:
            return scope[node.id]
        try:
            return self.globals[node.id]
        except KeyError:
            raise TcalcNameError(f"name '{node.id}' is not defined", node.span,
                                 self._suggest(node.id, scope)) from None

    def _suggest(self, name: str, scope) -> str | None:
        import difflib

        known = list(self.globals) + list(scope or ())
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
        return f"did you mean '{close[0]}'?" if close else None

    def _constant(self, node: ast.Constant, scope):
        return node.value

    def _tuple(self, node: ast.TupleExpr, scope):
        return tuple(self.eval(item, scope) for item in node.items)

    def _list(self, node: ast.ListExpr, scope):
        return [self.eval(item, scope) for item in node.items]

    def _binop(self, node: ast.BinOp, scope):
        left = self.eval(node.left, scope)
        right = self.eval(node.right, scope)
        return self._guard(node, lambda: self._binary(_BINARY[node.op], left, right, node.op))

    def _binary(self, function, left, right, op: str):
        if _is_number(left) and _is_number(right):
            return _python_arithmetic(op, left, right)
        if isinstance(left, (tuple, list)) or isinstance(right, (tuple, list)):
            return _sequence_arithmetic(op, left, right)
        return function(left, right)

    def _unary(self, node: ast.UnaryOp, scope):
        value = self.eval(node.operand, scope)
        if node.op == "+":
            if not (_is_number(value) or type(value) is Tensor):
                raise TcalcTypeError(f"bad operand type for unary +: {_type_name(value)}")
            return value
        if node.op == "-":
            return -value if _is_number(value) else self._guard(node, lambda: ops.neg(value))
        if isinstance(value, bool):
            return not value
        if isinstance(value, int):
            return ~value
        return self._guard(node, lambda: ops.bitwise_not(value))

    def _compare(self, node: ast.Compare, scope):
        left = self.eval(node.first, scope)
        result = None
        for op, right_node in zip(node.ops, node.rest):
            right = self.eval(right_node, scope)
            if _is_number(left) and _is_number(right) or not (
                    type(left) is Tensor or type(right) is Tensor):
                value = _python_compare(op, left, right)
            else:
                value = self._guard(node, lambda: _COMPARE[op](left, right))
            if result is None:
                result = value
            else:
                if not builtins._to_bool(result):
                    return result
                result = value
            left = right
        return result

    def _boolop(self, node: ast.BoolOp, scope):
        left = self.eval(node.left, scope)
        truth = builtins._to_bool(left)
        if (node.op == "and") != truth:
            return left
        return self.eval(node.right, scope)

    def _not(self, node: ast.Not, scope):
        return not builtins._to_bool(self.eval(node.operand, scope))

    def _ifexp(self, node: ast.IfExp, scope):
        if builtins._to_bool(self.eval(node.test, scope)):
            return self.eval(node.body, scope)
        return self.eval(node.orelse, scope)

    def _attribute(self, node: ast.Attribute, scope):
        obj = self.eval(node.value, scope)
        name = node.attr
        if isinstance(obj, Namespace):
            try:
                return obj.members[name]
            except KeyError:
                raise TcalcNameError(f"module '{obj.name}' has no attribute '{name}'", node.span,
                                     _close(name, obj.members)) from None
        if type(obj) is Tensor:
            getter = builtins.ATTRIBUTES.get(name)
            if getter is not None:
                return self._guard(node, lambda: getter(obj))
            method = builtins.METHODS.get(name)
            if method is not None:
                return BoundMethod(name, method, obj)
            raise TcalcNameError(f"'Tensor' object has no attribute '{name}'", node.span,
                                 _close(name, {**builtins.ATTRIBUTES, **builtins.METHODS}))
        if isinstance(obj, Size) or isinstance(obj, tuple) and hasattr(obj, "_fields"):
            return self._guard(node, lambda: _field(obj, name))
        if isinstance(obj, np.ndarray) and name in ("shape", "dtype", "T", "ndim", "size"):
            return _numpy_attribute(obj, name)
        if isinstance(obj, dtypes.DType) and name == "is_floating_point":
            return obj.is_floating_point
        raise TcalcTypeError(f"'{_type_name(obj)}' object has no attribute '{name}'", node.span)

    def _call(self, node: ast.Call, scope):
        func = self.eval(node.func, scope)
        args = tuple(self.eval(a, scope) for a in node.args)
        kwargs = {k.name: self.eval(k.value, scope) for k in node.keywords}
        return self._guard(node, lambda: self.call(func, args, kwargs))

    def call(self, func, args: tuple, kwargs: dict):
        """Call any callable value of the language."""
        if isinstance(func, Builtin):
            return _call_python(func.name, func.function, args, kwargs)
        if isinstance(func, BoundMethod):
            return _call_python(func.name, func.function, (func.receiver,) + args, kwargs)
        if isinstance(func, UserFunction):
            return self._call_user(func, args, kwargs)
        if isinstance(func, GradFunction):
            return call_grad_function(func, args, kwargs, self.call)
        raise TcalcTypeError(f"'{_type_name(func)}' object is not callable")

    def _call_user(self, func: UserFunction, args: tuple, kwargs: dict):
        params = func.params
        scope = dict(zip(params, args))
        for name, value in kwargs.items():
            if name not in params or name in scope:
                raise TcalcTypeError(f"{func.name}() got an unexpected keyword argument '{name}'"
                                     if name not in params else
                                     f"{func.name}() got multiple values for argument '{name}'")
            scope[name] = value
        if len(args) > len(params) or len(scope) != len(params):
            raise TcalcTypeError(f"{func.name}() takes {len(params)} argument"
                                 f"{'s' if len(params) != 1 else ''} ({len(args) + len(kwargs)} given)")
        if self.call_depth >= MAX_CALL_DEPTH:
            raise LimitError(f"recursion deeper than {MAX_CALL_DEPTH} calls",
                             hint="does the function call itself without an end? "
                                  "use `a if condition else b` to stop")
        self.call_depth += 1
        try:
            return self.eval(func.body, scope)
        finally:
            self.call_depth -= 1

    def _index_expr(self, node: ast.Index, scope):
        obj = self.eval(node.value, scope)
        index = self._index(node, scope)
        if type(obj) is Tensor:
            return self._guard(node, lambda: ops.getitem(obj, index))
        if isinstance(obj, (tuple, list, str, np.ndarray)):
            return self._guard(node, lambda: _sequence_index(obj, index))
        raise TcalcTypeError(f"'{_type_name(obj)}' object is not subscriptable", node.span)

    def _index(self, node: ast.Index, scope):
        items = tuple(self._subscript(item, scope) for item in node.items)
        return items if node.is_tuple else items[0]

    def _subscript(self, item: ast.Node, scope):
        if isinstance(item, ast.Slice):
            parts = [None if p is None else _slice_bound(self.eval(p, scope), p.span)
                     for p in (item.start, item.stop, item.step)]
            return slice(*parts)
        if isinstance(item, ast.EllipsisExpr):
            return Ellipsis
        return self.eval(item, scope)


_INPLACE = {"+", "-", "*", "/"}


def _slice_bound(value, span: Span):
    if type(value) is Tensor and value.data.ndim == 0 and value.dtype.category == dtypes.INT:
        return int(value.data)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TcalcTypeError("slice indices must be integers or None", span)


def _sequence_index(obj, index):
    if isinstance(index, int) or isinstance(index, slice):
        try:
            result = obj[index]
        except IndexError:
            raise TcalcIndexError(f"{_type_name(obj)} index out of range") from None
        return Size(result) if isinstance(obj, Size) and isinstance(index, slice) else result
    if isinstance(obj, np.ndarray):
        return obj[index]
    raise TcalcTypeError(f"{_type_name(obj)} indices must be integers or slices")


def _field(obj, name):
    if isinstance(obj, Size):
        raise TcalcTypeError(f"'torch.Size' object has no attribute '{name}'")
    if name not in obj._fields:
        raise TcalcTypeError(f"'{_type_name(obj)}' object has no attribute '{name}'")
    return obj[obj._fields.index(name)]


def _numpy_attribute(obj: np.ndarray, name: str):
    return {"shape": lambda: obj.shape, "dtype": lambda: obj.dtype, "T": lambda: obj.T,
            "ndim": lambda: obj.ndim, "size": lambda: obj.size}[name]()


def _close(name: str, table) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, list(table), n=1, cutoff=0.7)
    return f"did you mean '{close[0]}'?" if close else None


def _call_python(name: str, function, args: tuple, kwargs: dict):
    """Call a table function; a mismatch of arguments is the user's error, not ours."""
    if "axis" in kwargs and "dim" not in kwargs:
        kwargs = dict(kwargs)
        kwargs["dim"] = kwargs.pop("axis")
    kwargs = {k: _dtype_argument(v) if k == "dtype" else v for k, v in kwargs.items()}
    try:
        return function(*args, **kwargs)
    except TypeError as err:
        # Raised by the call itself (not inside the function): the arguments did not bind.
        if err.__traceback__ is not None and err.__traceback__.tb_next is None:
            raise TcalcTypeError(f"{name}() received an invalid combination of arguments: "
                                 f"{_binding_problem(str(err))}") from None
        raise


def _binding_problem(message: str) -> str:
    # Python says "<lambda>() got an unexpected keyword argument 'x'": keep what follows.
    return message.split(") ", 1)[1] if ") " in message else message


def _dtype_argument(value):
    if isinstance(value, builtins.PythonType):
        return value.dtype
    if value is not None and not isinstance(value, dtypes.DType):
        raise TcalcTypeError(f"dtype must be a dtype such as torch.float32, not {_type_name(value)}")
    return value


def _is_number(x) -> bool:
    return isinstance(x, (bool, int, float))


def _python_arithmetic(op: str, a, b):
    from .limits import check_power

    if op == "/":
        if b == 0:
            raise TcalcValueError("division by zero", hint="for inf, divide tensors: tensor(1.) / 0")
        return a / b
    if op in ("//", "%") and b == 0:
        raise TcalcValueError("integer division or modulo by zero")
    if op == "**":
        check_power(a, b)
        if a == 0 and b < 0:
            raise TcalcValueError("0.0 cannot be raised to a negative power")
    if op == "@":
        raise TcalcTypeError("unsupported operand type(s) for @: numbers")
    if op in ("&", "|", "^") and (isinstance(a, float) or isinstance(b, float)):
        raise TcalcTypeError(f"unsupported operand type(s) for {op}: 'float'")
    try:
        return _PYTHON_OPS[op](a, b)
    except OverflowError:
        raise TcalcValueError("numerical result out of range") from None


_PYTHON_OPS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "//": lambda a, b: a // b, "%": lambda a, b: a % b, "**": lambda a, b: a ** b,
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
}


def _python_compare(op: str, a, b):
    try:
        return {"==": a == b, "!=": a != b}[op] if op in ("==", "!=") else \
            {"<": lambda: a < b, "<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b}[op]()
    except TypeError:
        raise TcalcTypeError(f"'{op}' not supported between {_type_name(a)} and {_type_name(b)}") from None


def _sequence_arithmetic(op: str, a, b):
    if op == "+" and type(a) is type(b) and isinstance(a, (tuple, list)):
        return a + b
    if op == "*" and isinstance(a, (tuple, list)) and isinstance(b, int) and not isinstance(b, bool):
        from .limits import check_elements

        check_elements(len(a) * b)
        return a * b
    raise TcalcTypeError(f"unsupported operand type(s) for {op}: {_type_name(a)} and {_type_name(b)}",
                         hint="make a tensor first: tensor([...])")


def _type_name(x) -> str:
    from .render import type_name

    return type_name(x)


_STATEMENTS = {
    ast.ExprStmt: Session._expr_stmt,
    ast.Assign: Session._assign,
    ast.AugAssign: Session._aug_assign,
    ast.FunctionDef: Session._function_def,
    ast.Import: Session._import,
}

_EXPRESSIONS = {
    ast.Name: Session._name,
    ast.Constant: Session._constant,
    ast.TupleExpr: Session._tuple,
    ast.ListExpr: Session._list,
    ast.BinOp: Session._binop,
    ast.UnaryOp: Session._unary,
    ast.Compare: Session._compare,
    ast.BoolOp: Session._boolop,
    ast.Not: Session._not,
    ast.IfExp: Session._ifexp,
    ast.Attribute: Session._attribute,
    ast.Call: Session._call,
    ast.Index: Session._index_expr,
}

sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
