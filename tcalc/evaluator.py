"""Walks the AST with a Session's variables and returns values; never prints.

Dispatch is by node type through a table. Errors raised without a place get the span of
the innermost node being evaluated.
"""
from __future__ import annotations

import re
import sys
from typing import Iterator

import numpy as np

from . import ast, autograd, batched, builtins, fast_path, limits, numpy_operands, ops, python_values
from .batched import Batched
from .calling import call_table_function
from .differentiate import call_grad_function, grad_mode_function
from .errors import (
    DTypeError,
    InternalError,
    LimitError,
    OutputFailed,
    ShapeError,
    Span,
    TcalcAssertionError,
    TcalcError,
    TcalcImportError,
    TcalcIndexError,
    TcalcNameError,
    TcalcSyntaxError,
    TcalcTypeError,
    TcalcValueError,
)
from .fast_path import NOT_FAST
from .hints import broadcast_hint, hint_for, operand_note, unknown_name
from .journal import Journal
from .numpy_operands import NUMPY_TYPES
from .parser import parse
from .python_values import NUMBER_TYPES, is_number
from .tensor import Tensor
from .values import (
    CALLABLES,
    CALLS_BACK,
    CHANGES_CONTENTS,
    CHANGES_FLAGS,
    RUNS_BACKWARD,
    WRITES_OUTPUT,
    BoundMethod,
    Builtin,
    ContextManager,
    GradFunction,
    GradMode,
    UserFunction,
    type_name,
)

_BINARY = {
    "+": ops.add, "-": ops.sub, "*": ops.mul, "/": ops.div, "//": ops.floor_divide,
    "%": ops.remainder, "**": ops.pow, "@": ops.matmul,
    "&": ops.bitwise_and, "|": ops.bitwise_or, "^": ops.bitwise_xor,
    "<<": ops.bitwise_left_shift, ">>": ops.bitwise_right_shift,
}
_COMPARE = {"==": ops.eq, "!=": ops.ne, "<": ops.lt, "<=": ops.le, ">": ops.gt, ">=": ops.ge}


class Frame:
    """The local variables of one call of a user function, or of one comprehension, and the
    frame whose names it reads next: the frame the function was defined in (its closure).
    `local_names` are the names the body binds (Python decides at definition time which
    names are local); `global_names` those its `global` statements declare."""

    __slots__ = ("vars", "outer", "local_names", "global_names")

    def __init__(self, vars: dict, outer: "Frame | None", local_names=frozenset(), global_names=frozenset()):
        self.vars = vars
        self.outer = outer
        self.local_names = local_names
        self.global_names = global_names


class _Return:
    """What a `return` statement hands to the call that runs the function's body."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


# Signals a suite hands to the loop around it; None means "go on with the next statement".
_BREAK, _CONTINUE = "break", "continue"


_UNSET = object()  # _binop's left operand, not yet evaluated


class Session:
    """The variables of one run (a shell, or scripts run together).

    Simple statements are atomic: one that fails leaves every variable as it was, names and
    tensor contents alike (see tcalc.journal), whether it stands alone or in a block; what
    a loop did before the statement that failed stays done, as in Python. `run(text,
    atomic=True)` makes the whole text one unit, as the shell does for a line.

    What `print` writes goes to `write(text)`, which a front end sets (tcalc.output); by
    default it is kept in `printed`.
    """

    def __init__(self, write=None):
        self.globals: dict[str, object] = builtins.global_names()
        # Names the user has bound (an ordered set, only ever growing): the tensors the
        # session holds are found through these, never by walking the builtins.
        self._bound: dict[str, None] = {}
        self.call_depth = 0
        self.journal: Journal | None = None
        self._final: ast.Node | None = None  # the node whose mutation ends the statement
        self._source_lines: list[str] = []
        self._source: tuple[str, str] = ("", "<input>")
        self._block_depth = 0  # compound statements the top level is inside
        self.printed: list[str] = []
        self.write = write or self.printed.append
        self.showing: ast.Node | None = None  # the statement whose value run() yielded last

    # ---- statements -----------------------------------------------------------------------

    def run(self, text: str, atomic: bool = False, filename: str = "<input>") -> Iterator[object]:
        """Run a program; yields each value a statement shows, as it goes."""
        limits.check_input(len(text))
        if "\r" in text:  # Windows' and old Mac line ends, as Python reads them
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        program = parse(text)
        self._source_lines = text.split("\n")
        self._source = (text, filename)
        if not atomic:
            for statement in program.statements:
                value = self.execute(statement)
                if value is not None:
                    self.showing = statement
                    yield value
            return
        outer = Journal(self.globals)
        shown = []
        try:
            for i, statement in enumerate(program.statements):
                value = self.execute(statement, outer, last=i == len(program.statements) - 1)
                if value is not None:
                    shown.append((statement, value))
        except BaseException:
            outer.rollback()
            raise
        for self.showing, value in shown:
            yield value

    def placed_at_shown(self, err: TcalcError) -> TcalcError:
        """An error of showing the value `run` yielded last (a text over the limit), placed
        at the statement that gave it."""
        return err.at(self.showing.span) if self.showing is not None else err

    def too_deep_to_show(self) -> TcalcError:
        """The error for a value (the one `run` yielded last) nested deeper than Python
        follows to write it, at the statement that gave it."""
        return limits.refuse("max_depth", "the value is nested too deeply to show",
                             "show a part of it (x[0]), or its len()").at(self.showing.span)

    def execute(self, node: ast.Node, outer: Journal | None = None, last: bool = True) -> object:
        """Run one top-level statement; returns the value to show, or None. On an error,
        every variable is as it was before the simple statement that failed."""
        compound = _COMPOUND.get(type(node))
        if compound is not None:
            if outer is None:
                return self._compound(compound, node, None)
            previous, self.journal = self.journal, outer  # the shell's line is one unit
            try:
                return self._compound(compound, node, None)
            finally:
                self.journal = previous
        return self._simple(node, None, outer, final=outer is None or last)

    def _simple(self, node: ast.Node, scope, outer: Journal | None = None, final: bool = True):
        """One simple statement, undone as a whole if it fails. Inside a statement that is
        already being journaled (a function's body, called from an expression), that
        statement's journal covers this one too."""
        handler = _STATEMENTS[type(node)]
        if self.journal is not None and outer is None:
            saved_final, self._final = self._final, None
            try:
                return handler(self, node, scope)
            except TcalcError as err:
                raise err.at(node.span)
            finally:
                self._final = saved_final
        # Counted only if an allocation in this statement needs the total.
        limits.set_live_source(self._live_elements)
        journal = self.journal = Journal(self.globals)
        self._final = _final_action(node) if final else None
        try:
            value = handler(self, node, scope)
        except BaseException as err:
            journal.rollback()
            if scope is None:
                self.call_depth = 0
            converted = _as_tcalc_error(err, node)
            raise converted from (err if isinstance(converted, InternalError) else None)
        finally:
            self.journal, self._final = None, None
            limits.set_live_source(None)  # keeps no finished session alive
        if outer is not None:
            outer.absorb(journal)
        return value

    def _compound(self, handler, node: ast.Node, scope):
        """A compound statement at the top level: its simple statements journal themselves,
        and none of them shows a value."""
        self._block_depth += 1
        try:
            handler(self, node, scope)  # break and return outside a loop or def: the parser refuses them
        finally:
            self._block_depth -= 1
        return None

    def _suite(self, statements: tuple, scope):
        """Run a block; returns None, or the signal (break, continue, a return) that ends it."""
        for statement in statements:
            kind = type(statement)
            if kind is ast.Assign and self._fast_assign(statement, scope):
                continue
            if kind is ast.AugAssign and scope is None and self._fast_update(statement):
                continue
            compound = _COMPOUND.get(kind)
            if compound is not None:
                signal = compound(self, statement, scope)
            else:
                signal = self._simple(statement, scope)
            if signal is not None:
                return signal
        return None

    def _fast_assign(self, node: ast.Assign, scope) -> bool:
        """`name = plain float arithmetic` in a block (tcalc.fast_path): once its value is
        computed nothing can fail, so it needs no undo journal. False: run it as usual."""
        target = node.targets
        if type(target) is not ast.Name or target.id == "torch":
            return False
        value = fast_path.evaluate(node.value, self.globals, scope)
        if value is NOT_FAST:
            return False
        if scope is None or target.id in scope.global_names:
            self._bind_name(target.id, value)
        else:
            scope.vars[target.id] = value
        return True

    def _fast_update(self, node: ast.AugAssign) -> bool:
        """`w -= lr * w.grad` in a block at the top level, where no journal is open: an
        in-place update of a tensor by a number or a fast_path value. It writes nothing
        unless it cannot fail any more (apply_inplace checks first), so it needs no undo
        journal either. False, having changed nothing: run it as usual (which also reports
        any error, with its explanations)."""
        target, value = node.target, node.value
        if type(target) is not ast.Name or node.op not in _NUMPY_UPDATES or self.journal is not None \
                or batched.MODES:
            return False
        current = self.globals.get(target.id)
        if type(current) is not Tensor:
            return False
        if type(value) is ast.Constant:
            value = value.value
            if type(value) is not float and type(value) is not int:
                return False
        else:
            value = fast_path.evaluate(value, self.globals, None)
            if value is NOT_FAST:
                return False
        limits.set_live_source(self._live_elements)  # for an update that makes a temporary, as _simple does
        try:
            ops.apply_inplace(_BINARY[node.op], current, value)
        except TcalcError:
            return False
        finally:
            limits.set_live_source(None)
        return True

    def _expr_stmt(self, node: ast.ExprStmt, scope):
        value = self.eval(node.value, scope)
        # Only a top-level expression statement shows its value.
        return None if node.quiet or scope is not None or self._block_depth else value

    def _assign(self, node: ast.Assign, scope):
        value = self.eval(node.value, scope)
        self.bind(node.targets, value, scope, final=node.targets is self._final)

    def _multi_assign(self, node: ast.MultiAssign, scope):
        value = self.eval(node.value, scope)
        for target in node.targets:
            self.bind(target, value, scope)

    def bind(self, target: ast.Node, value, scope=None, final: bool = False) -> None:
        """Bind `value` to a target. `final` says nothing can fail after this write, so a
        tensor written into needs no copy for undoing."""
        if type(target) is ast.Name:
            if target.id == "torch":
                self._check_rebind(target)
            if scope is None or target.id in scope.global_names:
                self._bind_name(target.id, value)
            else:
                scope.vars[target.id] = value
        elif isinstance(target, (ast.TupleExpr, ast.ListExpr)):
            self._bind_items(target, value, scope)
        elif isinstance(target, ast.Index):
            batched.refuse_effects()
            obj = self.eval(target.value, scope)
            index = self._index(target, scope)
            if type(obj) is Tensor:
                if not final:
                    self._remember(obj)
                self._guard(target, lambda: ops.setitem(obj, index, value))
            elif type(obj) is list or type(obj) is dict:
                if not final:  # set_item fails before it writes: the last write needs no copy
                    self._remember_container(obj)
                self._guard(target, lambda: python_values.set_item(obj, index, value))
            else:
                raise TcalcTypeError(f"'{type_name(obj)}' object does not support item assignment",
                                     target.span)
        elif isinstance(target, ast.Attribute):
            batched.refuse_effects()
            obj = self.eval(target.value, scope)
            setter = builtins.SETTABLE.get(target.attr) if type(obj) is Tensor else None
            if setter is None:
                raise TcalcTypeError(f"cannot set attribute {target.attr!r}", target.span,
                                     "only x.requires_grad and x.grad can be assigned"
                                     if type(obj) is Tensor else None)
            self._remember(obj, contents=False)
            self._guard(target, lambda: setter(obj, value))
        elif isinstance(target, ast.Starred):
            raise TcalcSyntaxError("starred assignment target must be in a list or tuple", target.span)
        else:
            raise TcalcSyntaxError("cannot assign to this expression", target.span)

    def _bind_items(self, target, value, scope) -> None:
        """`a, b = value` and `first, *rest = value`."""
        starred = [i for i, item in enumerate(target.items) if isinstance(item, ast.Starred)]
        if not starred:
            items = self._unpack(value, len(target.items), target.span)
            for t, v in zip(target.items, items):
                self.bind(t, v, scope)
            return
        star = starred[0]
        before, after = star, len(target.items) - star - 1
        items = python_values.collect(value) if type(value) is not Tensor else \
            self._unpack(value, value.data.shape[0] if value.data.ndim else -1, target.span)
        if len(items) < before + after:
            raise TcalcValueError(f"not enough values to unpack (expected at least {before + after}, "
                                  f"got {len(items)})", target.span)
        for t, v in zip(target.items[:before], items[:before]):
            self.bind(t, v, scope)
        self.bind(target.items[star].value, list(items[before:len(items) - after]), scope)
        for t, v in zip(target.items[star + 1:], items[len(items) - after:]):
            self.bind(t, v, scope)

    def _bind_name(self, name: str, value) -> None:
        if batched.MODES:
            batched.refuse_effects()  # a function under vmap setting a global
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

    def _remember_container(self, obj) -> None:
        """Note a list's or dict's items before the statement changes them."""
        if self.journal is not None:
            self.journal.container(obj)

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
        elif isinstance(value, (dict, str, range)) or hasattr(value, "__next__"):
            items = python_values.collect(value)
        else:
            raise TcalcTypeError(f"cannot unpack non-iterable {type_name(value)} object", span)
        if len(items) != count:
            raise TcalcValueError(f"{'too many' if len(items) > count else 'not enough'} values to "
                                  f"unpack (expected {count}, got {len(items)})", span)
        return items

    def _aug_assign(self, node: ast.AugAssign, scope):
        target = node.target
        current = self.eval(target, scope)
        value = self.eval(node.value, scope)
        function = _BINARY[node.op]
        if type(current) is Batched or type(current) is Tensor and batched.attempting():
            raise batched.NoBatchingRule  # in place: the loop changes each example's memory
        if type(current) is Tensor and node.op in _INPLACE:
            # In place, as PyTorch's `X += Y`: id(X) does not change. `X[i] += v` updates
            # the selection, then writes it back (advanced indexing selects a copy).
            if node is not self._final:
                self._remember(current)
            result = self._operator(node, node.op, current, value,
                                    lambda: ops.apply_inplace(function, current, value))
            if isinstance(target, ast.Index):
                self.bind(target, result, scope, final=node is self._final)
            return None
        if type(current) is list and node.op == "+":  # xs += ys extends xs in place
            if node is not self._final:  # extend fails before it writes: the last write needs no copy
                self._remember_container(current)
            self._guard(node, lambda: python_values.extend(current, value))
            return None
        result = self._operator(node, node.op, current, value,
                                lambda: self._binary(function, current, value, node.op))
        self.bind(target, result, scope)

    def _function_def(self, node: ast.FunctionDef, scope):
        if node.name == "torch":  # shadowing a builtin is allowed, like any variable
            raise TcalcNameError("cannot redefine 'torch'", node.span)
        self._bind_function(node.name, UserFunction(node.name, node.params, node.body), scope)

    def _def(self, node: ast.Def, scope):
        if node.name == "torch":
            raise TcalcNameError("cannot redefine 'torch'", node.span)
        function = self._make_function(node.name, node.params, node.body, scope, "def")
        self._bind_function(node.name, function, scope)

    def _make_function(self, name: str, params: tuple, body, scope, kind: str) -> UserFunction:
        defaults = tuple(self.eval(p.default, scope) for p in params if p.default is not None)
        local_names, global_names = _function_names(params, body, kind)
        return UserFunction(name, params, body, defaults, scope, local_names, global_names,
                            self._source, kind)

    def _bind_function(self, name: str, function: UserFunction, scope) -> None:
        if scope is None or name in scope.global_names:
            self._bind_name(name, function)
        else:
            scope.vars[name] = function

    def _return(self, node: ast.Return, scope):
        return _Return(None if node.value is None else self.eval(node.value, scope))

    def _break(self, node: ast.Break, scope):
        return _BREAK

    def _continue(self, node: ast.Continue, scope):
        return _CONTINUE

    def _pass(self, node, scope):
        return None

    def _delete(self, node: ast.Delete, scope):
        batched.refuse_effects()
        targets = node.targets.items if isinstance(node.targets, ast.TupleExpr) else (node.targets,)
        for target in targets:
            if isinstance(target, ast.Name):
                if scope is not None and target.id in scope.vars and target.id not in scope.global_names:
                    del scope.vars[target.id]
                elif target.id in self._bound and target.id in self.globals:
                    self._check_rebind(target)
                    if self.journal is not None:
                        self.journal.bind(target.id)
                    del self.globals[target.id]
                else:
                    raise TcalcNameError(f"name '{target.id}' is not defined", target.span)
            elif isinstance(target, ast.Index):
                obj = self.eval(target.value, scope)
                index = self._index(target, scope)
                if type(obj) is not list and type(obj) is not dict:
                    raise TcalcTypeError(f"'{type_name(obj)}' object doesn't support item deletion",
                                         target.span)
                self._remember_container(obj)
                self._guard(target, lambda: python_values.delete_item(obj, index))
            else:
                raise TcalcSyntaxError("cannot delete this expression", target.span)

    def _global(self, node: ast.Global, scope):
        return None  # the function's global names were found when it was defined

    def _assert(self, node: ast.Assert, scope):
        if not python_values.truth(self.eval(node.test, scope)):
            message = "" if node.msg is None else python_values.python_str(self.eval(node.msg, scope))
            raise TcalcAssertionError(message or "assertion failed", node.span)

    def _import(self, node: ast.Import, scope):
        from . import modules  # (here: a run that imports nothing need not import it)

        for module, alias in node.names:
            value = modules.find(module, self.globals["torch"])
            if alias is not None:
                self._import_bind(alias, value, scope)
            else:  # `import torch.nn` binds torch, as Python does
                top = module.split(".")[0]
                self._import_bind(top, modules.find(top, self.globals["torch"]), scope)

    def _import_from(self, node: ast.ImportFrom, scope):
        if node.module == "__future__":
            return None  # print_function and friends: Python 3 has them already
        from . import modules

        source = modules.find(node.module, self.globals["torch"])
        for name, alias in node.names:
            if name == "*":
                if node.module != "torch":
                    raise TcalcImportError(f"tcalc takes `from {node.module} import *` only from torch",
                                           node.span, f"import the names you need: from {node.module} import NAME")
                continue  # every torch name is bare already
            self._import_bind(alias or name, modules.member(source, name), scope)

    def _import_bind(self, name: str, value, scope) -> None:
        if name == "torch":
            return  # torch is always there, and is not rebound
        if scope is None:
            self._bind_name(name, value)
        else:
            scope.vars[name] = value

    def _magic(self, node: ast.Magic, scope):
        return None  # `%matplotlib inline` and friends: nothing to do outside IPython

    # ---- compound statements ----------------------------------------------------------------

    def _if(self, node: ast.If, scope):
        while True:
            if self._truth(node.test, scope):
                return self._suite(node.body, scope)
            orelse = node.orelse
            if len(orelse) == 1 and type(orelse[0]) is ast.If:  # elif
                node = orelse[0]
                continue
            return self._suite(orelse, scope) if orelse else None

    def _while(self, node: ast.While, scope):
        body = node.body
        done = 0
        try:
            while self._truth(node.test, scope):
                signal = self._suite(body, scope)
                if signal is not None:
                    if signal is _BREAK:
                        return None
                    if signal is not _CONTINUE:
                        return signal  # a return
                done += 1
        except TcalcError as err:
            _note_iterations(err, "while", node, done)
            raise
        return self._suite(node.orelse, scope) if node.orelse else None

    def _for(self, node: ast.For, scope):
        iterable = self.eval(node.iter, scope)
        items = self._guard(node.iter, lambda: python_values.iterate(iterable))
        body, target = node.body, node.target
        done = 0
        try:
            for item in items:
                self._simple_bind(target, item, scope)
                signal = self._suite(body, scope)
                if signal is not None:
                    if signal is _BREAK:
                        return None
                    if signal is not _CONTINUE:
                        return signal
                done += 1
        except TcalcError as err:
            _note_iterations(err, "for", node, done)
            raise
        return self._suite(node.orelse, scope) if node.orelse else None

    def _simple_bind(self, target: ast.Node, value, scope) -> None:
        """Bind a loop's target: like a statement of its own, undone alone if it fails."""
        if type(target) is ast.Name and (scope is None or target.id not in scope.global_names):
            if scope is not None:
                scope.vars[target.id] = value
                return
            if target.id != "torch":
                if self.journal is not None:
                    self.journal.bind(target.id)
                self._bound[target.id] = None
                self.globals[target.id] = value
                return
        try:
            self.bind(target, value, scope)
        except TcalcError as err:
            raise err.at(target.span)

    def _with(self, node: ast.With, scope):
        contexts = []
        try:
            for context_node, target in node.items:
                context = self.eval(context_node, scope)
                if not isinstance(context, ContextManager):
                    raise TcalcTypeError(f"'{type_name(context)}' object does not support the context "
                                         "manager protocol", context_node.span,
                                         "tcalc's contexts are torch.no_grad(), torch.enable_grad(), "
                                         "torch.set_grad_enabled(flag) and torch.inference_mode()")
                entered = context.enter()
                contexts.append(context)
                if target is not None:
                    self._simple_bind(target, entered, scope)
            return self._suite(node.body, scope)
        finally:
            for context in reversed(contexts):
                context.exit()

    def _truth(self, test: ast.Node, scope) -> bool:
        value = self.eval(test, scope)
        if value is True or value is False:
            return value
        try:
            return python_values.truth(value)
        except TcalcError as err:
            raise err.at(test.span)


    # ---- expressions ----------------------------------------------------------------------

    def eval(self, node: ast.Node, scope: Frame | None):
        kind = type(node)
        # The leaves, most of the nodes a program evaluates, without a call of their own:
        # a constant, and a name outside any function that the session holds.
        if kind is ast.Constant:
            return node.value
        if kind is ast.Name and scope is None:
            value = self.globals.get(node.id, _UNSET)
            if value is not _UNSET:
                return value
        try:
            return _EXPRESSIONS[kind](self, node, scope)
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
        name = node.id
        frame = scope
        while frame is not None:  # the function's locals, then those of the functions around it
            names = frame.vars
            if name in names:
                return names[name]
            if name in frame.local_names and name not in frame.global_names:
                raise TcalcNameError(f"cannot access local variable '{name}' where it is not associated "
                                     "with a value", node.span,
                                     f"{name} is assigned in this function, so it is local everywhere in it; "
                                     f"give it a value first, or declare `global {name}`")
            frame = frame.outer
        try:
            return self.globals[name]
        except KeyError:
            known = list(self.globals)
            frame = scope
            while frame is not None:
                known += list(frame.vars)
                frame = frame.outer
            message, hint = unknown_name(name, known, self.globals["torch"].members)
            raise TcalcNameError(message, node.span, hint) from None

    def _constant(self, node: ast.Constant, scope):
        return node.value

    def _tuple(self, node: ast.TupleExpr, scope):
        return tuple(self._items(node.items, scope))

    def _list(self, node: ast.ListExpr, scope):
        return self._items(node.items, scope)

    def _set(self, node: ast.SetExpr, scope):
        return {python_values.hashable(item) for item in self._items(node.items, scope)}

    def _items(self, nodes: tuple, scope) -> list:
        """The values of a display's items, `*xs` spread in place."""
        items = []
        for item in nodes:
            if type(item) is ast.Starred:
                value = self.eval(item.value, scope)
                self._guard(item, lambda: python_values.extend(items, value))
            else:
                items.append(self.eval(item, scope))
        limits.check_list(len(items))
        return items

    def _dict(self, node: ast.DictExpr, scope):
        result = {}
        for key, value in zip(node.keys, node.values):
            if key is None:  # {**other}
                other = self.eval(value, scope)
                if type(other) is not dict:
                    raise TcalcTypeError(f"'{type_name(other)}' object is not a mapping", value.span)
                self._guard(value, lambda: python_values.merge(result, other))
            else:
                k = self.eval(key, scope)
                result[self._guard(key, lambda: python_values.hashable(k))] = self.eval(value, scope)
        return result

    def _starred(self, node: ast.Starred, scope):
        raise TcalcSyntaxError("can't use starred expression here", node.span)

    def _ellipsis(self, node: ast.EllipsisExpr, scope):
        return Ellipsis

    # Comprehensions run in a frame of their own: their targets do not leak, as in Python 3.

    def _comprehension_frame(self, node, scope) -> Frame:
        targets = frozenset().union(*(_target_names(g.target) for g in node.generators))
        return Frame({}, scope, targets)

    def _generate(self, generators: tuple, frame: Frame, index: int = 0, iterable=_UNSET):
        """Bind each combination of the clauses' items in `frame`, yielding once for each
        (`iterable`: the first clause's, when the caller has it already)."""
        clause = generators[index]
        if iterable is _UNSET or index:
            iterable = self.eval(clause.iter, frame if index else frame.outer)
        items = self._guard(clause.iter, lambda: python_values.iterate(iterable))
        last = index == len(generators) - 1
        for item in items:
            self._simple_bind(clause.target, item, frame)
            if all(self._truth(test, frame) for test in clause.ifs):
                if last:
                    yield
                else:
                    yield from self._generate(generators, frame, index + 1)

    # Each refuses before its result grows past the list-items limit: a list of one clause
    # without `if` at once when its iterable's length is known (`[0 for i in range(10**9)]`),
    # else with an int compare an item.

    def _listcomp(self, node: ast.ListComp, scope):
        frame = self._comprehension_frame(node, scope)
        generators = node.generators
        iterable = self.eval(generators[0].iter, scope)
        if len(generators) == 1 and not generators[0].ifs:
            size = python_values.known_length(iterable)
            if size is not None:
                limits.check_list(size)
        result, limit = [], limits.LIMITS.max_list_items
        for _ in self._generate(generators, frame, iterable=iterable):
            result.append(self.eval(node.elt, frame))
            if len(result) > limit:
                limits.check_list(len(result))
        return result

    def _setcomp(self, node: ast.SetComp, scope):
        frame = self._comprehension_frame(node, scope)
        result, limit = set(), limits.LIMITS.max_list_items
        for _ in self._generate(node.generators, frame):
            result.add(python_values.hashable(self.eval(node.elt, frame)))
            if len(result) > limit:
                limits.check_list(len(result), set)
        return result

    def _dictcomp(self, node: ast.DictComp, scope):
        frame = self._comprehension_frame(node, scope)
        result, limit = {}, limits.LIMITS.max_list_items
        for _ in self._generate(node.generators, frame):
            key = self.eval(node.key, frame)
            result[python_values.hashable(key)] = self.eval(node.value, frame)
            if len(result) > limit:
                limits.check_list(len(result), dict)
        return result

    def _genexp(self, node: ast.GeneratorExp, scope):
        frame = self._comprehension_frame(node, scope)
        # Python evaluates the first iterable at once and the rest as the generator runs.
        first = self.eval(node.generators[0].iter, scope)
        python_values.iterate(first)  # refuses a non-iterable here, as Python does
        return _Generator(self._run_genexp(node, frame))

    def _run_genexp(self, node: ast.GeneratorExp, frame: Frame):
        for _ in self._generate(node.generators, frame):
            yield self.eval(node.elt, frame)

    def _lambda(self, node: ast.Lambda, scope):
        return self._make_function("<lambda>", node.params, node.body, scope, "lambda")

    def _joined_str(self, node: ast.JoinedStr, scope):
        parts = []
        for part in node.parts:
            if type(part) is str:
                parts.append(part)
                continue
            value = self.eval(part.value, scope)
            if part.conversion == "r":
                value = python_values.python_repr(value)
            elif part.conversion == "s":
                value = python_values.python_str(value)
            elif part.conversion == "a":
                value = ascii(python_values.python_repr(value))[1:-1]
            spec = "" if part.format_spec is None else self._joined_str(part.format_spec, scope)
            parts.append(self._guard(part.value, lambda: python_values.format_value(value, spec)))
        if len(parts) > 1:
            limits.check_list(sum(map(len, parts)), str)  # each part is within it, not their sum
        return "".join(parts)

    def _binop(self, node: ast.BinOp, scope, left=_UNSET):
        if left is _UNSET:
            value = fast_path.evaluate(node, self.globals, scope)
            if value is not NOT_FAST:
                return value
            left_node = node.left
            if type(left_node) is ast.BinOp:  # `a + b + ... + z` in a loop, not by recursion
                left = self._chain(left_node, scope)
            else:
                left = self.eval(left_node, scope)
        right = self.eval(node.right, scope)
        op = node.op
        # _operator(node, op, left, right, lambda: self._binary(...)), in one frame
        if type(left) is Tensor and type(right) is Tensor and left.data.shape != right.data.shape:
            _precheck_size(op, left, right)  # the ops check a result of their operands' shape
        try:
            if type(left) is Tensor and (type(right) is Tensor or type(right) in NUMBER_TYPES):
                return _BINARY[op](left, right)  # _binary's first case, in this frame
            return self._binary(_BINARY[op], left, right, op)
        except (ShapeError, DTypeError, TcalcTypeError) as err:
            if err.span is None:
                self._explain(err, node, op, left, right)
            raise
        except TcalcError as err:
            raise err.at(node.span)
        except _STRAY as err:
            raise _stray(err, node) from None

    def _chain(self, node: ast.BinOp, scope):
        links = []
        while type(node) is ast.BinOp:
            links.append(node)
            node = node.left
        value = self.eval(node, scope)
        for link in reversed(links):
            value = self._binop(link, scope, value)
        return value

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
        if type(left) is Batched or type(right) is Batched:  # inside vmap's batched run
            from . import batching  # (imported by the vmap that made the Batched)

            return batching.binary(function, left, right)
        if is_number(left) and is_number(right):
            return python_values.arithmetic(op, left, right)
        if type(left) in NUMPY_TYPES or type(right) in NUMPY_TYPES:
            return numpy_operands.binary(op, function, left, right)
        if isinstance(left, _SEQUENCES) or isinstance(right, _SEQUENCES):
            return python_values.sequence_arithmetic(op, left, right)
        return function(left, right)

    def _unary(self, node: ast.UnaryOp, scope):
        value = fast_path.evaluate(node, self.globals, scope)
        if value is not NOT_FAST:
            return value
        value = self.eval(node.operand, scope)
        if node.op == "-" and type(value) is Tensor:  # the common case, guarded as below
            try:
                return ops.neg(value)
            except TcalcError as err:
                raise err.at(node.span)
            except _STRAY as err:
                raise _stray(err, node) from None
        if type(value) is Batched and node.op in ("+", "-", "~"):
            from . import batching

            return value if node.op == "+" else self._guard(
                node, lambda: batching.unary(ops.neg if node.op == "-" else ops.bitwise_not, value))
        if node.op == "+":
            if not (is_number(value) or type(value) is Tensor):
                raise TcalcTypeError(f"bad operand type for unary +: {type_name(value)}")
            return value
        if node.op == "-":
            if type(value) in NUMPY_TYPES:
                return numpy_operands.negative(value)
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
            if op in _MEMBERSHIP:
                value = self._guard(node, lambda: _MEMBERSHIP[op](left, right))
            elif type(left) is Batched or type(right) is Batched:
                from . import batching

                value = self._guard(node, lambda: batching.binary(_COMPARE[op], left, right))
            elif is_number(left) and is_number(right) or not (
                    type(left) is Tensor or type(right) is Tensor):
                value = python_values.compare(op, left, right)
            else:
                value = self._guard(node, lambda: _COMPARE[op](left, right))
            if result is None:
                result = value
            else:
                if not python_values.truth(result):
                    return result
                result = value
            left = right
        return result

    def _boolop(self, node: ast.BoolOp, scope):
        left = self.eval(node.left, scope)
        truth = python_values.truth(left)
        if (node.op == "and") != truth:
            return left
        return self.eval(node.right, scope)

    def _not(self, node: ast.Not, scope):
        return not python_values.truth(self.eval(node.operand, scope))

    def _ifexp(self, node: ast.IfExp, scope):
        if python_values.truth(self.eval(node.test, scope)):
            return self.eval(node.body, scope)
        return self.eval(node.orelse, scope)

    def _attribute(self, node: ast.Attribute, scope):
        obj = self.eval(node.value, scope)
        try:  # self._guard, in this frame (every method call passes here)
            return builtins.attribute(obj, node.attr)
        except TcalcError as err:
            raise err.at(node.span)
        except _STRAY as err:
            raise _stray(err, node) from None

    def _call(self, node: ast.Call, scope):
        func = self.eval(node.func, scope)
        args = self._arguments(node, scope) if node.args else ()
        kwargs = self._keywords(node, scope) if node.keywords else {}
        kind = type(func)
        pure = kind is Builtin and func.effect is None or kind is BoundMethod and func.method.effect is None
        watched = not pure and self.journal is not None and self._journal_call(func, args, final=node is self._final)
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

    def _arguments(self, node: ast.Call, scope) -> tuple:
        if not node.starred:
            args = node.args
            if len(args) == 1:
                return (self.eval(args[0], scope),)
            return tuple([self.eval(a, scope) for a in args])
        return tuple(self._items(node.args, scope))

    def _keywords(self, node: ast.Call, scope) -> dict:
        kwargs = {}
        for keyword in node.keywords:
            if keyword.name is not None:
                kwargs[keyword.name] = self.eval(keyword.value, scope)
                continue
            mapping = self.eval(keyword.value, scope)  # f(**options)
            if type(mapping) is not dict:
                raise TcalcTypeError(f"argument after ** must be a mapping, not {type_name(mapping)}",
                                     keyword.span)
            for key, value in mapping.items():
                if type(key) is not str:
                    raise TcalcTypeError("keywords must be strings", keyword.span)
                if key in kwargs:
                    raise TcalcTypeError(f"got multiple values for keyword argument '{key}'", keyword.span)
                kwargs[key] = value
        return kwargs

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
        if type(receiver) is list or type(receiver) is dict:
            self._remember_container(receiver)
        elif effect is CHANGES_CONTENTS or effect is CHANGES_FLAGS:
            self._remember(receiver, contents=effect is CHANGES_CONTENTS)
        return False

    def call(self, func, args: tuple, kwargs: dict):
        """Call any callable value of the language."""
        kind = type(func)
        if batched.MODES:  # inside vmap: the batching hooks below see every call
            kind = None
        if kind is Builtin and func.effect is None:  # the common case first
            return call_table_function(func.name, func.function, args, kwargs)
        if kind is BoundMethod and func.method.effect is None:
            method = func.method
            return call_table_function(method.name, method.function, (func.receiver,) + args, kwargs, method=True)
        if isinstance(func, Builtin):
            effect = func.effect
            if batched.MODES:  # inside vmap: random ops refused, ops on a batch batched
                from . import batching  # (imported by vmap)

                result = batching.call(func.function, func.name, effect, args, kwargs, False)
                if result is not batching.UNBATCHED:
                    return result
            if effect is WRITES_OUTPUT:
                text = call_table_function(func.name, func.function, args, kwargs)
                try:
                    self.write(text)
                except OSError as err:
                    raise OutputFailed(err) from None
                return None
            if effect is CALLS_BACK:
                args, kwargs = self._callbacks(args), dict(zip(kwargs, self._callbacks(tuple(kwargs.values()))))
            return call_table_function(func.name, func.function, args, kwargs)
        if isinstance(func, BoundMethod):
            if batched.MODES:
                from . import batching

                result = batching.call(func.method.function, func.name, func.method.effect, (func.receiver,) + args,
                                       kwargs, True)
                if result is not batching.UNBATCHED:
                    return result
            if func.method.effect is CALLS_BACK:  # x.register_hook(f)
                args = self._callbacks(args)
            return call_table_function(func.name, func.function, (func.receiver,) + args, kwargs, method=True)
        if isinstance(func, UserFunction):
            return self._call_user(func, args, kwargs)
        if isinstance(func, GradFunction):
            return call_grad_function(func, args, kwargs, self.call)
        if isinstance(func, GradMode):  # no_grad()(f), decorator style
            return grad_mode_function(func, args, kwargs)
        raise TcalcTypeError(f"'{type_name(func)}' object is not callable")

    def _callbacks(self, values: tuple) -> tuple:
        """The program's functions among `values` as Python callables, for a builtin that
        calls them (sorted(key=f), map(f, xs))."""
        return tuple((lambda *a, _f=v, **k: self.call(_f, a, k)) if isinstance(v, CALLABLES) else v
                     for v in values)

    def _call_user(self, func: UserFunction, args: tuple, kwargs: dict):
        if func.kind == "expression":
            frame = Frame(_bind_plain(func, args, kwargs), None)
        else:
            frame = Frame(_bind_parameters(func, args, kwargs), func.closure, func.locals, func.globals)
        limits.check_recursion(self.call_depth, func.name)
        self.call_depth += 1
        try:
            if func.kind != "def":
                return self.eval(func.body, frame)
            signal = self._suite(func.body, frame)
            return signal.value if type(signal) is _Return else None
        except TcalcError as err:
            if func.kind == "def":
                # Where in the body it failed (the caret's line there), kept for the
                # diagnostic; the place of the call in the caller comes next.
                if err.span is not None:
                    err.frames = getattr(err, "frames", ()) + ((err.span, err.labels, func.source, func.name),)
                err.span, err.labels = None, ()
                raise
            # A one-line function's body belongs to the text that defined f, which may be
            # another script or shell line: report at the call in this statement instead.
            if not getattr(err, "relocated", False):
                err.relocated = True
                err.span, err.labels = None, ()
                err.hint = f"raised inside {func.name}(); " + err.hint if err.hint else \
                    f"raised inside {func.name}()"
            else:
                err.span = None
            raise
        except RecursionError as err:  # Python's stack ran out: how deep the calls went, for the message
            if not hasattr(err, "call_depth"):
                err.call_depth = self.call_depth
            raise
        finally:
            self.call_depth -= 1

    def _index_expr(self, node: ast.Index, scope):
        obj = self.eval(node.value, scope)
        index = self._index(node, scope)
        if type(obj) is Tensor:
            return self._guard(node, lambda: ops.getitem(obj, index))
        if type(obj) is Batched:
            from . import batching

            return self._guard(node, lambda: batching.index(obj, index))
        if isinstance(obj, (tuple, list, str, range, np.ndarray)):
            return self._guard(node, lambda: python_values.sequence_index(obj, index))
        if type(obj) is dict:
            return self._guard(node, lambda: python_values.dict_get(obj, index))
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
    if isinstance(err, ValueError) and str(err) in _NUMPY_READ_ONLY:
        # NumPy's words for a write into memory that several elements share (expand's).
        return TcalcValueError(
            "unsupported operation: more than one element of the written-to tensor refers to a single "
            "memory location. Please clone() the tensor before performing the operation.", node.span,
            "it was made by expand, which repeats elements without copying them; write into x.clone() instead")
    dims = _NUMPY_TOO_MANY_DIMS.fullmatch(str(err)) if isinstance(err, (ValueError, IndexError)) else None
    if dims:
        return TcalcValueError(f"the result would have {dims.group(1) or dims.group(2)} dimensions; tcalc's tensors have at "
                               f"most {limits.MAX_DIMS} (NumPy's limit)", node.span,
                               "PyTorch has no such limit; drop some size-1 dims")
    return kind(str(err) or type(err).__name__, node.span)


_NUMPY_TOO_MANY_DIMS = re.compile(r"maximum supported dimension for an ndarray is currently \d+, found (\d+)"
                                  r"|number of dimensions must be within \[0, \d+\], indexing result would have (\d+)")
_NUMPY_READ_ONLY = {"output array is read-only", "assignment destination is read-only"}


# The operators a tensor's augmented assignment runs in place (Tensor.__iadd__ and the rest;
# `@=` PyTorch runs as `a = a @ b`).
_INPLACE = {"+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>"}
_NUMPY_UPDATES = {"+", "-", "*"}  # the updates an in-place NumPy call makes (_fast_update)
_SEQUENCES = (tuple, list, str, set)  # the Python values with operators of their own


def _final_action(statement: ast.Node) -> ast.Node | None:
    """The node whose change to a tensor is the last thing `statement` does: nothing can fail
    after it, so it needs no copy for undoing (`X += Y` on a huge X stays cheap)."""
    kind = type(statement)
    if kind is ast.Assign:
        target = type(statement.targets)
        if target is ast.Index:
            return statement.targets
        if target is ast.Name and type(statement.value) is ast.Call \
                and statement.targets.id != "torch":  # `torch = ...` fails after the call
            return statement.value
        return None
    if kind is ast.ExprStmt and type(statement.value) is ast.Call:
        return statement.value
    if kind is ast.AugAssign:
        return statement
    return None


def _as_tcalc_error(err: BaseException, node: ast.Node) -> BaseException:
    """Every failure of a statement as a TcalcError at its place, with a hint if we know one."""
    if isinstance(err, TcalcError):
        err.at(node.span)
        if err.hint is None:
            err.hint = hint_for(err)
        return err
    call_depth = getattr(err, "call_depth", 0)  # (set where user functions are called)
    if isinstance(err, RecursionError) and call_depth > 1:
        # Python's own stack ran out below --max-recursion, which raising cannot help.
        refusal = limits.refuse("max_recursion", f"the calls went {call_depth:,} deep, more than Python "
                                                 "can follow here").at(node.span)
        refusal.hint = f"about {call_depth:,} nested calls are the most tcalc follows; write it as a loop"
        return refusal
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


def _note_iterations(err: TcalcError, kind: str, node: ast.Node, done: int) -> None:
    """A loop stopped by an error: what its earlier rounds did stays done, as in Python
    (each statement is undone alone), which the message says when there were any."""
    if done and not getattr(err, "loop_noted", False):
        err.loop_noted = True
        rounds = "first round" if done == 1 else f"first {done} rounds"
        err.notes = getattr(err, "notes", ()) + (
            f"the '{kind}' loop on line {node.span.line} stopped in its round {done + 1}; what ran before "
            f"the error stays done: its {rounds}, and this round's statements before it",)


def _bind_plain(func: UserFunction, args: tuple, kwargs: dict) -> dict:
    """The locals of a call of `f(x, y) = expression`: every parameter, by position or name."""
    params = func.params
    names = dict(zip(params, args))
    for name, value in kwargs.items():
        if name not in params or name in names:
            raise TcalcTypeError(f"{func.name}() got an unexpected keyword argument '{name}'"
                                 if name not in params else
                                 f"{func.name}() got multiple values for argument '{name}'")
        names[name] = value
    if len(args) > len(params) or len(names) != len(params):
        raise TcalcTypeError(f"{func.name}() takes {len(params)} argument"
                             f"{'s' if len(params) != 1 else ''} ({len(args) + len(kwargs)} given)")
    return names


def _bind_parameters(func: UserFunction, args: tuple, kwargs: dict) -> dict:
    """The locals of a call of a def or lambda, bound as Python binds them, with Python's
    complaints when the arguments do not fit."""
    names: dict = {}
    star_at = next((i for i, p in enumerate(func.params) if p.kind == "*"), len(func.params))
    positional = [p for p in func.params[:star_at] if not p.kind]
    plain = [p for p in func.params if not p.kind]  # after *args: keyword only
    star = func.params[star_at].name if star_at < len(func.params) else None
    starstar = next((p.name for p in func.params if p.kind == "**"), None)
    if len(args) > len(positional) and star is None:
        given = len(args)
        takes = (f"{len(positional)}" if all(p.default is None for p in positional) else
                 f"from {sum(p.default is None for p in positional)} to {len(positional)}")
        raise TcalcTypeError(f"{func.name}() takes {takes} positional argument{'s' if len(positional) != 1 else ''} "
                             f"but {given} {'was' if given == 1 else 'were'} given")
    for param, value in zip(positional, args):
        names[param.name] = value
    if star is not None:
        names[star] = tuple(args[len(positional):])
    extra = {}
    for name, value in kwargs.items():
        if any(p.name == name for p in plain):
            if name in names:
                raise TcalcTypeError(f"{func.name}() got multiple values for argument '{name}'")
            names[name] = value
        elif starstar is not None:
            extra[name] = value
        else:
            raise TcalcTypeError(f"{func.name}() got an unexpected keyword argument '{name}'")
    defaults = iter(func.defaults)
    missing = []
    for param in plain:
        if param.default is not None:
            default = next(defaults)
            names.setdefault(param.name, default)
        elif param.name not in names:
            missing.append(param.name)
    if missing:
        listed = repr(missing[0]) if len(missing) == 1 else (
            f"{missing[0]!r} and {missing[1]!r}" if len(missing) == 2 else
            ", ".join(repr(m) for m in missing[:-1]) + f", and {missing[-1]!r}")
        kind = "positional" if all(any(p.name == m for p in positional) for m in missing) else "keyword-only"
        raise TcalcTypeError(f"{func.name}() missing {len(missing)} required {kind} argument"
                             f"{'s' if len(missing) > 1 else ''}: {listed}")
    if starstar is not None:
        names[starstar] = extra
    return names


def _target_names(target) -> set:
    """The names an assignment target binds."""
    if type(target) is ast.Name:
        return {target.id}
    if type(target) in (ast.TupleExpr, ast.ListExpr):
        return set().union(*(_target_names(t) for t in target.items)) if target.items else set()
    if type(target) is ast.Starred:
        return _target_names(target.value)
    return set()


def _function_names(params: tuple, body, kind: str) -> tuple[frozenset, frozenset]:
    """A def's local names (its parameters and every name its body binds, however deep in
    its blocks) and the names its `global` statements declare. A lambda's are its
    parameters."""
    local = {p.name for p in params}
    declared: set = set()
    if kind == "def":
        stack = list(body)
        while stack:
            node = stack.pop()
            kind_of = type(node)
            if kind_of is ast.Assign:
                local |= _target_names(node.targets)
            elif kind_of is ast.MultiAssign:
                for target in node.targets:
                    local |= _target_names(target)
            elif kind_of is ast.AugAssign:
                local |= _target_names(node.target)
            elif kind_of is ast.For:
                local |= _target_names(node.target)
                stack.extend(node.body)
                stack.extend(node.orelse)
            elif kind_of in (ast.If, ast.While):
                stack.extend(node.body)
                stack.extend(node.orelse)
            elif kind_of is ast.With:
                local |= set().union(*(_target_names(t) for _, t in node.items if t is not None)) \
                    if node.items else set()
                stack.extend(node.body)
            elif kind_of in (ast.Def, ast.FunctionDef):
                local.add(node.name)
            elif kind_of is ast.Import:
                local |= {alias or module.split(".")[0] for module, alias in node.names}
            elif kind_of is ast.ImportFrom:
                local |= {alias or name for name, alias in node.names if name != "*"}
            elif kind_of is ast.Global:
                declared |= set(node.names)
    return frozenset(local - declared), frozenset(declared)


class _Generator:
    """A generator expression's value: an iterator, shown as Python shows one."""

    __slots__ = ("_items",)

    def __init__(self, items):
        self._items = items

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._items)

    def __repr__(self) -> str:
        return f"<generator object <genexpr> at {id(self):#x}>"


_MEMBERSHIP = {
    "in": lambda a, b: python_values.contains(b, a),
    "not in": lambda a, b: not python_values.contains(b, a),
    "is": lambda a, b: a is b,
    "is not": lambda a, b: a is not b,
}

_STATEMENTS = {
    ast.ExprStmt: Session._expr_stmt,
    ast.Assign: Session._assign,
    ast.MultiAssign: Session._multi_assign,
    ast.AugAssign: Session._aug_assign,
    ast.FunctionDef: Session._function_def,
    ast.Import: Session._import,
    ast.ImportFrom: Session._import_from,
    ast.Return: Session._return,
    ast.Break: Session._break,
    ast.Continue: Session._continue,
    ast.Pass: Session._pass,
    ast.Delete: Session._delete,
    ast.Global: Session._global,
    ast.Assert: Session._assert,
    ast.Magic: Session._magic,
}

# Compound statements: never journaled as a whole (their simple statements are).
_COMPOUND = {
    ast.If: Session._if,
    ast.While: Session._while,
    ast.For: Session._for,
    ast.With: Session._with,
    ast.Def: Session._def,
}

_EXPRESSIONS = {
    ast.Name: Session._name,
    ast.Constant: Session._constant,
    ast.TupleExpr: Session._tuple,
    ast.ListExpr: Session._list,
    ast.SetExpr: Session._set,
    ast.DictExpr: Session._dict,
    ast.Starred: Session._starred,
    ast.EllipsisExpr: Session._ellipsis,
    ast.ListComp: Session._listcomp,
    ast.SetComp: Session._setcomp,
    ast.DictComp: Session._dictcomp,
    ast.GeneratorExp: Session._genexp,
    ast.Lambda: Session._lambda,
    ast.JoinedStr: Session._joined_str,
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
