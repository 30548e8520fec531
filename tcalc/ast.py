"""The tcalc syntax tree: plain classes, no behaviour. Every node has a span.

Cheap to import (plain classes with __slots__ and a small __init__, not dataclasses). Nodes
compare equal when their fields other than the spans are equal, as frozen dataclasses with
`compare=False` spans did.
"""
from __future__ import annotations

from .errors import Span


class Node:
    """A node: its `span`, and the fields listed in `_fields`.

    The parser gives a node its place as a pair of ints, its start and its end each
    `line << 32 | column` (`place`): the Span is made only when something asks for
    `node.span` (an error, a tool), which few nodes ever are (making one for each node took
    a tenth of parsing).

    `_fast` is unset until the evaluator's fast path first meets the node; from the second
    time it holds the node's compiled plan (tcalc.fast_path), or None."""

    __slots__ = ("_where", "_fast")
    _fields: tuple[str, ...] = ()

    def __init__(self, span: Span | tuple[int, int]):
        self._where = span

    @property
    def span(self) -> Span:
        return span_of(self._where)

    @span.setter
    def span(self, span: Span) -> None:
        self._where = span

    def _key(self):
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash((self.__class__, self._key()))

    def __repr__(self):
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__name__}({fields})"


def place(line: int, column: int) -> int:
    """A position as nodes keep it: one int."""
    return line << 32 | column


def span_of(where) -> Span:
    """The Span of a node's place (or the Span it was given)."""
    if where is None or where.__class__ is Span:
        return where
    start, end = where
    return Span(start >> 32, start & 0xFFFFFFFF, end >> 32, end & 0xFFFFFFFF)


# ---- expressions -------------------------------------------------------------------


class Name(Node):
    __slots__ = ("id",)
    _fields = ('id',)

    def __init__(self, span: Span, id: str):
        self._where = span
        self.id = id


class Constant(Node):
    """int, float, bool, str or None, as written."""

    __slots__ = ("value",)
    _fields = ('value',)

    def __init__(self, span: Span, value: object):
        self._where = span
        self.value = value


class TupleExpr(Node):
    __slots__ = ("items",)
    _fields = ('items',)

    def __init__(self, span: Span, items: tuple[Node, ...]):
        self._where = span
        self.items = items


class ListExpr(Node):
    __slots__ = ("items",)
    _fields = ('items',)

    def __init__(self, span: Span, items: tuple[Node, ...]):
        self._where = span
        self.items = items


class BinOp(Node):
    __slots__ = ("op", "left", "right", "_op_where")
    _fields = ('op', 'left', 'right')
    # op: '+', '-', '*', '/', '//', '%', '@', '**', '&', '|', '^'

    def __init__(self, span: Span, op: str, left: Node, right: Node, op_span: Span):
        self._where = span
        self.op = op
        self.left = left
        self.right = right
        self._op_where = op_span

    @property
    def op_span(self) -> Span:
        """Where the operator is (as `span`, made when asked)."""
        return span_of(self._op_where)


class UnaryOp(Node):
    __slots__ = ("op", "operand")
    _fields = ('op', 'operand')
    # op: '-', '+', '~'

    def __init__(self, span: Span, op: str, operand: Node):
        self._where = span
        self.op = op
        self.operand = operand


class Compare(Node):
    """A chain `a < b <= c`, meaning `a < b and b <= c` as in Python."""

    __slots__ = ("first", "ops", "rest")
    _fields = ('first', 'ops', 'rest')

    def __init__(self, span: Span, first: Node, ops: tuple[str, ...], rest: tuple[Node, ...]):
        self._where = span
        self.first = first
        self.ops = ops
        self.rest = rest


class BoolOp(Node):
    __slots__ = ("op", "left", "right")
    _fields = ('op', 'left', 'right')
    # op: 'and', 'or'

    def __init__(self, span: Span, op: str, left: Node, right: Node):
        self._where = span
        self.op = op
        self.left = left
        self.right = right


class Not(Node):
    __slots__ = ("operand",)
    _fields = ('operand',)

    def __init__(self, span: Span, operand: Node):
        self._where = span
        self.operand = operand


class IfExp(Node):
    __slots__ = ("body", "test", "orelse")
    _fields = ('body', 'test', 'orelse')

    def __init__(self, span: Span, body: Node, test: Node, orelse: Node):
        self._where = span
        self.body = body
        self.test = test
        self.orelse = orelse


class Keyword(Node):
    __slots__ = ("name", "value")
    _fields = ('name', 'value')

    def __init__(self, span: Span, name: str, value: Node):
        self._where = span
        self.name = name
        self.value = value


class Call(Node):
    __slots__ = ("func", "args", "keywords", "starred")
    _fields = ('func', 'args', 'keywords')
    # args may hold Starred (`f(*xs)`); a Keyword named None is `**mapping`

    def __init__(self, span: Span, func: Node, args: tuple[Node, ...], keywords: tuple[Keyword, ...]):
        self._where = span
        self.func = func
        self.args = args
        self.keywords = keywords
        self.starred = any(type(a) is Starred for a in args)


class Attribute(Node):
    __slots__ = ("value", "attr")
    _fields = ('value', 'attr')

    def __init__(self, span: Span, value: Node, attr: str):
        self._where = span
        self.value = value
        self.attr = attr


class Slice(Node):
    __slots__ = ("start", "stop", "step")
    _fields = ('start', 'stop', 'step')

    def __init__(self, span: Span, start: Node | None, stop: Node | None, step: Node | None):
        self._where = span
        self.start = start
        self.stop = stop
        self.step = step


class EllipsisExpr(Node):
    __slots__ = ()
    _fields = ()

    def __init__(self, span: Span):
        self._where = span


class Starred(Node):
    """`*xs` in a call's arguments, a list or tuple display, or an assignment target."""

    __slots__ = ('value',)
    _fields = ('value',)

    def __init__(self, span: Span, value):
        self._where = span
        self.value = value


class DictExpr(Node):
    """`{k: v, **other}`: a key of None unpacks its value (a dict)."""

    __slots__ = ('keys', 'values')
    _fields = ('keys', 'values')

    def __init__(self, span: Span, keys, values):
        self._where = span
        self.keys = keys
        self.values = values


class SetExpr(Node):
    __slots__ = ('items',)
    _fields = ('items',)

    def __init__(self, span: Span, items):
        self._where = span
        self.items = items


class Comprehension(Node):
    """One `for target in iter if cond ...` clause of a comprehension."""

    __slots__ = ('target', 'iter', 'ifs')
    _fields = ('target', 'iter', 'ifs')

    def __init__(self, span: Span, target, iter, ifs):
        self._where = span
        self.target = target
        self.iter = iter
        self.ifs = ifs


class ListComp(Node):
    __slots__ = ('elt', 'generators')
    _fields = ('elt', 'generators')

    def __init__(self, span: Span, elt, generators):
        self._where = span
        self.elt = elt
        self.generators = generators


class SetComp(Node):
    __slots__ = ('elt', 'generators')
    _fields = ('elt', 'generators')

    def __init__(self, span: Span, elt, generators):
        self._where = span
        self.elt = elt
        self.generators = generators


class GeneratorExp(Node):
    __slots__ = ('elt', 'generators')
    _fields = ('elt', 'generators')

    def __init__(self, span: Span, elt, generators):
        self._where = span
        self.elt = elt
        self.generators = generators


class DictComp(Node):
    __slots__ = ('key', 'value', 'generators')
    _fields = ('key', 'value', 'generators')

    def __init__(self, span: Span, key, value, generators):
        self._where = span
        self.key = key
        self.value = value
        self.generators = generators


class Lambda(Node):
    __slots__ = ('params', 'body')
    _fields = ('params', 'body')

    def __init__(self, span: Span, params, body):
        self._where = span
        self.params = params
        self.body = body


class FormattedValue(Node):
    """`{value!r:>10}` inside an f-string: conversion is '', 'r', 's' or 'a'; format_spec is a JoinedStr or None."""

    __slots__ = ('value', 'conversion', 'format_spec')
    _fields = ('value', 'conversion', 'format_spec')

    def __init__(self, span: Span, value, conversion, format_spec):
        self._where = span
        self.value = value
        self.conversion = conversion
        self.format_spec = format_spec


class JoinedStr(Node):
    """An f-string (or adjacent strings with an f-string among them): str and FormattedValue parts."""

    __slots__ = ('parts',)
    _fields = ('parts',)

    def __init__(self, span: Span, parts):
        self._where = span
        self.parts = parts


class Index(Node):
    __slots__ = ("value", "items", "is_tuple")
    _fields = ('value', 'items', 'is_tuple')
    # items: expressions, Slice or EllipsisExpr
    # is_tuple: `X[1,]` and `X[1, 2]` index with a tuple

    def __init__(self, span: Span, value: Node, items: tuple[Node, ...], is_tuple: bool):
        self._where = span
        self.value = value
        self.items = items
        self.is_tuple = is_tuple


# ---- statements --------------------------------------------------------------------


class Param(Node):
    """A parameter of def or lambda: kind '' (plain, default may be given), '*' or '**'."""

    __slots__ = ('name', 'default', 'kind')
    _fields = ('name', 'default', 'kind')

    def __init__(self, span: Span, name, default, kind):
        self._where = span
        self.name = name
        self.default = default
        self.kind = kind


class Def(Node):
    """`def name(params): body`: body is a tuple of statements."""

    __slots__ = ('name', 'params', 'body', 'quiet')
    _fields = ('name', 'params', 'body', 'quiet')

    def __init__(self, span: Span, name, params, body, quiet):
        self._where = span
        self.name = name
        self.params = params
        self.body = body
        self.quiet = quiet


class Return(Node):
    __slots__ = ('value', 'quiet')
    _fields = ('value', 'quiet')

    def __init__(self, span: Span, value, quiet):
        self._where = span
        self.value = value
        self.quiet = quiet


class Break(Node):
    __slots__ = ('quiet',)
    _fields = ('quiet',)

    def __init__(self, span: Span, quiet):
        self._where = span
        self.quiet = quiet


class Continue(Node):
    __slots__ = ('quiet',)
    _fields = ('quiet',)

    def __init__(self, span: Span, quiet):
        self._where = span
        self.quiet = quiet


class Pass(Node):
    __slots__ = ('quiet',)
    _fields = ('quiet',)

    def __init__(self, span: Span, quiet):
        self._where = span
        self.quiet = quiet


class If(Node):
    """if/elif/else: an elif is an If alone in orelse."""

    __slots__ = ('test', 'body', 'orelse')
    _fields = ('test', 'body', 'orelse')

    def __init__(self, span: Span, test, body, orelse):
        self._where = span
        self.test = test
        self.body = body
        self.orelse = orelse


class While(Node):
    __slots__ = ('test', 'body', 'orelse')
    _fields = ('test', 'body', 'orelse')

    def __init__(self, span: Span, test, body, orelse):
        self._where = span
        self.test = test
        self.body = body
        self.orelse = orelse


class For(Node):
    __slots__ = ('target', 'iter', 'body', 'orelse')
    _fields = ('target', 'iter', 'body', 'orelse')

    def __init__(self, span: Span, target, iter, body, orelse):
        self._where = span
        self.target = target
        self.iter = iter
        self.body = body
        self.orelse = orelse


class With(Node):
    """items: (context expression, target or None) pairs."""

    __slots__ = ('items', 'body')
    _fields = ('items', 'body')

    def __init__(self, span: Span, items, body):
        self._where = span
        self.items = items
        self.body = body


class Delete(Node):
    __slots__ = ('targets', 'quiet')
    _fields = ('targets', 'quiet')

    def __init__(self, span: Span, targets, quiet):
        self._where = span
        self.targets = targets
        self.quiet = quiet


class Global(Node):
    __slots__ = ('names', 'quiet')
    _fields = ('names', 'quiet')

    def __init__(self, span: Span, names, quiet):
        self._where = span
        self.names = names
        self.quiet = quiet


class Assert(Node):
    __slots__ = ('test', 'msg', 'quiet')
    _fields = ('test', 'msg', 'quiet')

    def __init__(self, span: Span, test, msg, quiet):
        self._where = span
        self.test = test
        self.msg = msg
        self.quiet = quiet


class ImportFrom(Node):
    """`from module import name as alias, ...`; names: (name, alias) pairs, or (('*', None),)."""

    __slots__ = ('module', 'names', 'quiet')
    _fields = ('module', 'names', 'quiet')

    def __init__(self, span: Span, module, names, quiet):
        self._where = span
        self.module = module
        self.names = names
        self.quiet = quiet


class Magic(Node):
    """An IPython magic line (`%matplotlib inline`): accepted and ignored."""

    __slots__ = ('line', 'quiet')
    _fields = ('line', 'quiet')

    def __init__(self, span: Span, line, quiet):
        self._where = span
        self.line = line
        self.quiet = quiet


class ExprStmt(Node):
    __slots__ = ("value", "quiet")
    _fields = ('value', 'quiet')
    # quiet: ended by ';'

    def __init__(self, span: Span, value: Node, quiet: bool):
        self._where = span
        self.value = value
        self.quiet = quiet


class Assign(Node):
    __slots__ = ("targets", "value", "quiet")
    _fields = ('targets', 'value', 'quiet')
    # targets: Name, Index, Attribute or TupleExpr of those

    def __init__(self, span: Span, targets: Node, value: Node, quiet: bool):
        self._where = span
        self.targets = targets
        self.value = value
        self.quiet = quiet


class AugAssign(Node):
    __slots__ = ("target", "op", "value", "quiet")
    _fields = ('target', 'op', 'value', 'quiet')
    # target: Name, Index or Attribute
    # op: '+', '-', ...

    def __init__(self, span: Span, target: Node, op: str, value: Node, quiet: bool):
        self._where = span
        self.target = target
        self.op = op
        self.value = value
        self.quiet = quiet


class FunctionDef(Node):
    __slots__ = ("name", "params", "body", "quiet")
    _fields = ('name', 'params', 'body', 'quiet')

    def __init__(self, span: Span, name: str, params: tuple[str, ...], body: Node, quiet: bool):
        self._where = span
        self.name = name
        self.params = params
        self.body = body
        self.quiet = quiet


class Import(Node):
    """`import torch`, `import torch.nn.functional as F`: names are (module, alias) pairs."""

    __slots__ = ("names", "quiet")
    _fields = ('names', 'quiet')

    def __init__(self, span: Span, names: tuple[tuple[str, str | None], ...], quiet: bool):
        self._where = span
        self.names = names
        self.quiet = quiet


class MultiAssign(Node):
    """`x = y = value`: the value is computed once and bound to each target, left first."""

    __slots__ = ("targets", "value", "quiet")
    _fields = ('targets', 'value', 'quiet')

    def __init__(self, span: Span, targets: tuple[Node, ...], value: Node, quiet: bool):
        self._where = span
        self.targets = targets
        self.value = value
        self.quiet = quiet


class Program(Node):
    __slots__ = ("statements",)
    _fields = ('statements',)

    def __init__(self, span: Span, statements: tuple[Node, ...]):
        self._where = span
        self.statements = statements
