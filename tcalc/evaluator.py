"""Walks the AST with a Session's variables and returns values; never prints.

Dispatch is by node type through a table. Errors raised without a place get the span of
the innermost node being evaluated.
"""
from __future__ import annotations

import re
import sys
from typing import Iterator

import numpy as np

from . import ast, autograd, builtins, dtypes, limits, ops, python_values
from .calling import call_table_function
from .differentiate import call_grad_function
from .errors import (DTypeError, InternalError, LimitError, ShapeError, Span, TcalcError, TcalcIndexError,
                     TcalcNameError, TcalcTypeError, TcalcValueError)
from .hints import attribute_hint, broadcast_hint, hint_for, name_hint, operand_note
from .journal import Journal
from .parser import parse
from .python_values import NUMBER_TYPES, is_number
from .tensor import Size, Tensor
from .values import (CHANGES_CONTENTS, RUNS_BACKWARD, BoundMethod, Builtin, GradFunction, Namespace, UserFunction,
                     type_name)

_BINARY = {
    "+": ops.add, "-": ops.sub, "*": ops.mul, "/": ops.div, "//": ops.floor_divide,
    "%": ops.remainder, "**": ops.pow, "@": ops.matmul,
    "&": ops.bitwise_and, "|": ops.bitwise_or, "^": ops.bitwise_xor,
}
_COMPARE = {"==": ops.eq, "!=": ops.ne, "<": ops.lt, "<=": ops.le, ">": ops.gt, ">=": ops.ge}


class Session:
    """The variables of one run (a shell, or scripts run together).

    Statements are atomic: a statement that fails leaves every variable as it was, names
    and tensor contents alike (see tcalc.journal). `run(text, atomic=True)` makes the whole
    text one unit, as the shell does for a line.
    """

    def __init__(self):
        self.globals: dict[str, object] = builtins.global_names()
        # Names the user has bound (an ordered set, only ever growing): the tensors the
        # session holds are found through these, never by walking the builtins.
        self._bound: dict[str, None] = {}
        self.call_depth = 0
        self.journal: Journal | None = None
        self._final: ast.Node | None = None  # the node whose mutation ends the statement
        self._source_lines: list[str] = []

    # ---- statements -----------------------------------------------------------------------

    def run(self, text: str, atomic: bool = False) -> Iterator[object]:
        """Run a program; yields each value a statement prints, as it goes."""
        limits.check_input(len(text))
        program = parse(text)
        self._source_lines = text.split("\n")
        if not atomic:
            for statement in program.statements:
                value = self.execute(statement)
                if value is not None:
                    yield value
            return
        outer = Journal(self.globals)
        values = []
        try:
            for i, statement in enumerate(program.statements):
                values.append(self.execute(statement, outer, last=i == len(program.statements) - 1))
        except BaseException:
            outer.rollback()
            raise
        yield from (v for v in values if v is not None)

    def execute(self, node: ast.Node, outer: Journal | None = None, last: bool = True) -> object:
        """Run one statement; returns the value to print, or None. On an error, every
        variable is as it was before the statement."""
        # Counted only if an allocation in this statement needs the total.
        limits.set_live_source(self._live_elements)
        journal = self.journal = Journal(self.globals)
        self._final = _final_action(node) if (outer is None or last) else None
        try:
            value = _STATEMENTS[type(node)](self, node)
        except BaseException as err:
            journal.rollback()
            self.call_depth = 0
            converted = _as_tcalc_error(err, node)
            raise converted from (err if isinstance(converted, InternalError) else None)
        finally:
            self.journal, self._final = None, None
            limits.set_live_source(None)  # keeps no finished session alive
        if outer is not None:
            outer.absorb(journal)
        return value

    def _expr_stmt(self, node: ast.ExprStmt):
        value = self.eval(node.value, None)
        return None if node.quiet else value

    def _assign(self, node: ast.Assign):
        value = self.eval(node.value, None)
        self.bind(node.targets, value, final=node.targets is self._final)

    def bind(self, target: ast.Node, value, final: bool = False) -> None:
        """Bind `value` to a target. `final` says nothing can fail after this write, so a
        tensor written into needs no copy for undoing."""
        if isinstance(target, ast.Name):
            self._check_rebind(target)
            self._bind_name(target.id, value)
        elif isinstance(target, ast.TupleExpr):
            items = self._unpack(value, len(target.items), target.span)
            for t, v in zip(target.items, items):
                self.bind(t, v)
        elif isinstance(target, ast.Index):
            obj = self.eval(target.value, None)
            index = self._index(target, None)
            if not final:
                self._remember(obj)
            self._guard(target, lambda: ops.setitem(obj, index, value))
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, None)
            setter = builtins.SETTABLE.get(target.attr) if type(obj) is Tensor else None
            if setter is None:
                raise TcalcTypeError(f"cannot set attribute {target.attr!r}", target.span,
                                     "only x.requires_grad and x.grad can be assigned"
                                     if type(obj) is Tensor else None)
            self._remember(obj, contents=False)
            self._guard(target, lambda: setter(obj, value))

    def _bind_name(self, name: str, value) -> None:
        if self.journal is not None:
            self.journal.bind(name)
        self._bound[name] = None
        self.globals[name] = value

    def _live_elements(self) -> int:
        names = self.globals
        return limits.elements_held([names[n] for n in self._bound if n in names])

    def _remember(self, obj, contents: bool = True) -> None:
        """Note a tensor's state before the statement changes it, so a failure can undo it."""
        if self.journal is not None and type(obj) is Tensor:
            self.journal.tensor(obj, contents)

    def _check_rebind(self, target: ast.Name) -> None:
        if target.id == "torch":
            raise TcalcNameError("cannot assign to 'torch'", target.span)

    def _unpack(self, value, count: int, span: Span):
        if type(value) is Tensor:
            if value.data.ndim == 0:
                raise TcalcTypeError("cannot unpack a 0-d tensor", span)
            if value.data.shape[0] != count:
                items = [None] * value.data.shape[0]  # only the count matters below
            else:
                items = [ops.getitem(value, i) for i in range(count)]
        elif isinstance(value, (tuple, list)):
            items = list(value)
        else:
            raise TcalcTypeError(f"cannot unpack {type_name(value)}", span)
        if len(items) != count:
            raise TcalcValueError(f"{'too many' if len(items) > count else 'not enough'} values to "
                                  f"unpack (expected {count}, got {len(items)})", span)
        return items

    def _aug_assign(self, node: ast.AugAssign):
        target = node.target
        current = self.eval(target, None)
        value = self.eval(node.value, None)
        function = _BINARY[node.op]
        if type(current) is Tensor and node.op in _INPLACE:
            # In place, as PyTorch's `X += Y`: id(X) does not change. `X[i] += v` updates
            # the selection, then writes it back (advanced indexing selects a copy).
            if node is not self._final:
                self._remember(current)
            result = self._operator(node, node.op, current, value,
                                    lambda: ops.apply_inplace(function, current, value))
            if isinstance(target, ast.Index):
                self.bind(target, result, final=node is self._final)
            return None
        result = self._operator(node, node.op, current, value,
                                lambda: self._binary(function, current, value, node.op))
        self.bind(target, result)

    def _function_def(self, node: ast.FunctionDef):
        if node.name in builtins.FUNCTIONS or node.name == "torch":
            # Shadowing a builtin is allowed, like any variable; only torch is protected.
            if node.name == "torch":
                raise TcalcNameError("cannot redefine 'torch'", node.span)
        self._bind_name(node.name, UserFunction(node.name, node.params, node.body))

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
        except _STRAY as err:
            raise _stray(err, node) from None

    def _name(self, node: ast.Name, scope):
        if scope is not None and node.id in scope:
            return scope[node.id]
        try:
            return self.globals[node.id]
        except KeyError:
            known = list(self.globals) + list(scope or ())
            raise TcalcNameError(f"name '{node.id}' is not defined", node.span,
                                 name_hint(node.id, known, self.globals["torch"].members)) from None

    def _constant(self, node: ast.Constant, scope):
        return node.value

    def _tuple(self, node: ast.TupleExpr, scope):
        return tuple(self.eval(item, scope) for item in node.items)

    def _list(self, node: ast.ListExpr, scope):
        return [self.eval(item, scope) for item in node.items]

    def _binop(self, node: ast.BinOp, scope):
        left = self.eval(node.left, scope)
        right = self.eval(node.right, scope)
        op = node.op
        # _operator(node, op, left, right, lambda: self._binary(...)), in one frame
        if type(left) is Tensor and type(right) is Tensor:
            _precheck_size(op, left, right)
        try:
            return self._binary(_BINARY[op], left, right, op)
        except (ShapeError, DTypeError, TcalcTypeError) as err:
            if err.span is None:
                self._explain(err, node, op, left, right)
            raise
        except TcalcError as err:
            raise err.at(node.span)
        except _STRAY as err:
            raise _stray(err, node) from None

    def _operator(self, node, op: str, left, right, thunk):
        """Run a binary operator (`a * b`, `X += Y`). A shape or dtype fault of the operator
        itself puts the caret under the operator, notes each operand's shape and dtype under
        the operand, and explains how the shapes line up for broadcasting."""
        if type(left) is Tensor and type(right) is Tensor:
            _precheck_size(op, left, right)

        def explained():
            try:
                return thunk()
            except (ShapeError, DTypeError, TcalcTypeError) as err:
                if err.span is None:
                    self._explain(err, node, op, left, right)
                raise

        return self._guard(node, explained)

    def _explain(self, err: TcalcError, node, op: str, left, right) -> None:
        if isinstance(node, ast.BinOp):
            err.span = node.op_span
            sides = (node.left, node.right)
        else:  # X += Y: the whole statement
            err.span = node.span
            sides = (node.target, node.value)
        err.labels = tuple((side.span, operand_note(v)) for side, v in zip(sides, (left, right))
                           if operand_note(v) and side.span.line == err.span.line)
        if isinstance(err, ShapeError) and type(left) is Tensor and type(right) is Tensor:
            # Quote the operands only from this statement's text, not from a function body.
            texts = [self._text(side.span) if self.call_depth == 0 else None for side in sides]
            err.hint = broadcast_hint(op, left.data.shape, right.data.shape, *texts) or err.hint

    def _text(self, span: Span) -> str | None:
        """The source text of a one-line span, for hints that quote the user's operands."""
        if span.line != span.end_line or not 0 < span.line <= len(self._source_lines):
            return None
        return self._source_lines[span.line - 1][span.column - 1:span.end_column - 1]

    def _binary(self, function, left, right, op: str):
        if type(left) is Tensor and (type(right) is Tensor or type(right) in NUMBER_TYPES):
            return function(left, right)
        if is_number(left) and is_number(right):
            return python_values.arithmetic(op, left, right)
        if isinstance(left, (tuple, list)) or isinstance(right, (tuple, list)):
            return python_values.sequence_arithmetic(op, left, right)
        return function(left, right)

    def _unary(self, node: ast.UnaryOp, scope):
        value = self.eval(node.operand, scope)
        if node.op == "+":
            if not (is_number(value) or type(value) is Tensor):
                raise TcalcTypeError(f"bad operand type for unary +: {type_name(value)}")
            return value
        if node.op == "-":
            return -value if is_number(value) else self._guard(node, lambda: ops.neg(value))
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
            if is_number(left) and is_number(right) or not (
                    type(left) is Tensor or type(right) is Tensor):
                value = python_values.compare(op, left, right)
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
                                     attribute_hint(name, obj.members)) from None
        if type(obj) is Tensor:
            getter = builtins.ATTRIBUTES.get(name)
            if getter is not None:
                return self._guard(node, lambda: getter(obj))
            method = builtins.METHODS.get(name)
            if method is not None:
                return BoundMethod(method, obj)
            raise TcalcNameError(f"'Tensor' object has no attribute '{name}'", node.span,
                                 attribute_hint(name, {**builtins.ATTRIBUTES, **builtins.METHODS}))
        if isinstance(obj, Size) or isinstance(obj, tuple) and hasattr(obj, "_fields"):
            return self._guard(node, lambda: python_values.field(obj, name))
        if isinstance(obj, np.ndarray) and name in ("shape", "dtype", "T", "ndim", "size"):
            return python_values.numpy_attribute(obj, name)
        if isinstance(obj, dtypes.DType) and name == "is_floating_point":
            return obj.is_floating_point
        raise TcalcTypeError(f"'{type_name(obj)}' object has no attribute '{name}'", node.span,
                             attribute_hint(name, ()))

    def _call(self, node: ast.Call, scope):
        func = self.eval(node.func, scope)
        args = tuple([self.eval(a, scope) for a in node.args]) if node.args else ()
        kwargs = {k.name: self.eval(k.value, scope) for k in node.keywords} if node.keywords else {}
        watched = self.journal is not None and self._journal_call(func, args, final=node is self._final)
        if watched:  # a backward that is not the last thing: note what it commits
            previous = autograd.observe_commits(self.journal.backward)
        try:
            return self.call(func, args, kwargs)
        except TcalcError as err:
            if err.span is None and isinstance(node.func, ast.Attribute) and \
                    isinstance(func, BoundMethod) and node.func.value.span.end_line == node.span.end_line:
                # `x.mean()`: the caret under `.mean()`, the receiver's shape and dtype noted.
                receiver = node.func.value.span
                err.span = Span(receiver.end_line, receiver.end_column, node.span.end_line,
                                node.span.end_column)
                note = operand_note(func.receiver)
                if note and receiver.line == receiver.end_line:
                    err.labels = ((receiver, note),)
                if err.hint and isinstance(node.func.value, ast.Name):
                    # Hints write the tensor as x (`x.float().mean()`): name the user's.
                    err.hint = _PLACEHOLDER.sub(node.func.value.id + ".", err.hint)
            raise err.at(node.span)
        except _STRAY as err:
            raise _stray(err, node) from None
        finally:
            if watched:
                autograd.observe_commits(previous)

    def _journal_call(self, func, args: tuple, final: bool) -> bool:
        """Before a call that changes tensors (`x.add_(1)`, `y.backward()`), note what it
        may change, as its table entry says. An in-place op checks before it writes, and a
        backward changes nothing until it cannot fail any more (autograd.run_backward): as
        the last thing their statement does they need no note. Returns True for a backward
        that is not the last thing: the journal then notes what each backward commits (the
        leaves whose .grad changes, the nodes it frees), just before the commit."""
        if isinstance(func, BoundMethod):
            effect, receiver = func.method.effect, func.receiver
        elif isinstance(func, Builtin):
            effect, receiver = func.effect, (args[0] if args else None)
        else:
            return False
        if final or effect is None:
            return False
        if effect is RUNS_BACKWARD:
            return True
        self._remember(receiver, contents=effect is CHANGES_CONTENTS)
        return False

    def call(self, func, args: tuple, kwargs: dict):
        """Call any callable value of the language."""
        if isinstance(func, Builtin):
            return call_table_function(func.name, func.function, args, kwargs)
        if isinstance(func, BoundMethod):
            return call_table_function(func.name, func.function, (func.receiver,) + args, kwargs, method=True)
        if isinstance(func, UserFunction):
            return self._call_user(func, args, kwargs)
        if isinstance(func, GradFunction):
            return call_grad_function(func, args, kwargs, self.call)
        raise TcalcTypeError(f"'{type_name(func)}' object is not callable")

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
        limits.check_recursion(self.call_depth, func.name)
        self.call_depth += 1
        try:
            return self.eval(func.body, scope)
        except TcalcError as err:
            # The body's places belong to the text that defined f, which may be another
            # script or shell line: report at the call in this statement instead.
            if not getattr(err, "relocated", False):
                err.relocated = True
                err.span, err.labels = None, ()
                err.hint = f"raised inside {func.name}(); " + err.hint if err.hint else \
                    f"raised inside {func.name}()"
            else:
                err.span = None
            raise
        finally:
            self.call_depth -= 1

    def _index_expr(self, node: ast.Index, scope):
        obj = self.eval(node.value, scope)
        index = self._index(node, scope)
        if type(obj) is Tensor:
            return self._guard(node, lambda: ops.getitem(obj, index))
        if isinstance(obj, (tuple, list, str, np.ndarray)):
            return self._guard(node, lambda: python_values.sequence_index(obj, index))
        raise TcalcTypeError(f"'{type_name(obj)}' object is not subscriptable", node.span)

    def _index(self, node: ast.Index, scope):
        items = tuple(self._subscript(item, scope) for item in node.items)
        return items if node.is_tuple else items[0]

    def _subscript(self, item: ast.Node, scope):
        if isinstance(item, ast.Slice):
            parts = [None if p is None else python_values.slice_bound(self.eval(p, scope), p.span)
                     for p in (item.start, item.stop, item.step)]
            return slice(*parts)
        if isinstance(item, ast.EllipsisExpr):
            return Ellipsis
        return self.eval(item, scope)


_PLACEHOLDER = re.compile(r"(?<![\w.])x\.")
_STRAY = (MemoryError, ValueError, TypeError, IndexError, OverflowError, ZeroDivisionError)


def _stray(err: BaseException, node: ast.Node) -> TcalcError:
    """A stray Python or NumPy failure of an op as a tcalc error at `node` (see _guard)."""
    if isinstance(err, MemoryError):
        return LimitError("out of memory", node.span,
                          "the result is too large for this machine; "
                          + limits.BY_NAME["max_elements"].how_to_raise.replace("raise", "lower"))
    kind = {TypeError: TcalcTypeError, IndexError: TcalcIndexError}.get(type(err), TcalcValueError)
    return kind(str(err) or type(err).__name__, node.span)


_INPLACE = {"+", "-", "*", "/"}


def _final_action(statement: ast.Node) -> ast.Node | None:
    """The node whose change to a tensor is the last thing `statement` does: nothing can fail
    after it, so it needs no copy for undoing (`X += Y` on a huge X stays cheap)."""
    if isinstance(statement, ast.ExprStmt) and isinstance(statement.value, ast.Call):
        return statement.value
    if isinstance(statement, ast.Assign):
        if isinstance(statement.targets, ast.Index):
            return statement.targets
        if isinstance(statement.targets, ast.Name) and isinstance(statement.value, ast.Call) \
                and statement.targets.id != "torch":  # `torch = ...` fails after the call
            return statement.value
    if isinstance(statement, ast.AugAssign):
        return statement
    return None


def _as_tcalc_error(err: BaseException, node: ast.Node) -> BaseException:
    """Every failure of a statement as a TcalcError at its place, with a hint if we know one."""
    if isinstance(err, TcalcError):
        err.at(node.span)
        if err.hint is None:
            err.hint = hint_for(err)
        return err
    if isinstance(err, RecursionError):
        return limits.refuse("max_depth", "the statement nests or recurses too deeply for Python")\
            .at(node.span)
    if isinstance(err, MemoryError):
        return LimitError("out of memory", node.span, "the result is too large for this machine")
    if isinstance(err, Exception):  # a bug in tcalc: report it at the statement, never a traceback
        return InternalError(f"{type(err).__name__}: {err}", node.span,
                             "this is a bug in tcalc; the session is unchanged")
    return err  # KeyboardInterrupt, SystemExit: the caller's business


def _precheck_size(op: str, a: Tensor, b: Tensor) -> None:
    """Refuse a result too large before any work: broadcasting and `@`."""
    sa, sb = a.data.shape, b.data.shape
    if op == "@":
        if len(sa) == 2 and len(sb) == 2:  # no batch dimensions (the common case)
            limits.check_shape((sa[0], sb[1]), "the product")
        elif len(sa) >= 2 and len(sb) >= 2:
            try:
                batch = np.broadcast_shapes(sa[:-2], sb[:-2])
            except ValueError:
                return
            limits.check_shape(batch + (sa[-2], sb[-1]), "the product")
        return
    if sa == sb or not sb:
        shape = sa
    elif not sa:
        shape = sb
    else:
        try:
            shape = np.broadcast_shapes(sa, sb)
        except ValueError:
            return
    limits.check_shape(shape, "the result")


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
