"""The tcalc syntax tree: plain classes, no behaviour. Every node has a span.

Cheap to import (plain classes with __slots__ and a small __init__, not dataclasses). Nodes
compare equal when their fields other than the spans are equal, as frozen dataclasses with
`compare=False` spans did.
"""
from __future__ import annotations

from .errors import Span


class Node:
    """A node: its `span`, and the fields listed in `_fields`."""

    __slots__ = ("span",)
    _fields: tuple[str, ...] = ()

    def __init__(self, span: Span):
        self.span = span

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


# ---- expressions -------------------------------------------------------------------


class Name(Node):
    __slots__ = ("id",)
    _fields = ('id',)

    def __init__(self, span: Span, id: str):
        self.span = span
        self.id = id


class Constant(Node):
    """int, float, bool, str or None, as written."""

    __slots__ = ("value",)
    _fields = ('value',)

    def __init__(self, span: Span, value: object):
        self.span = span
        self.value = value


class TupleExpr(Node):
    __slots__ = ("items",)
    _fields = ('items',)

    def __init__(self, span: Span, items: tuple[Node, ...]):
        self.span = span
        self.items = items


class ListExpr(Node):
    __slots__ = ("items",)
    _fields = ('items',)

    def __init__(self, span: Span, items: tuple[Node, ...]):
        self.span = span
        self.items = items


class BinOp(Node):
    __slots__ = ("op", "left", "right", "op_span")
    _fields = ('op', 'left', 'right')
    # op: '+', '-', '*', '/', '//', '%', '@', '**', '&', '|', '^'

    def __init__(self, span: Span, op: str, left: Node, right: Node, op_span: Span):
        self.span = span
        self.op = op
        self.left = left
        self.right = right
        self.op_span = op_span


class UnaryOp(Node):
    __slots__ = ("op", "operand")
    _fields = ('op', 'operand')
    # op: '-', '+', '~'

    def __init__(self, span: Span, op: str, operand: Node):
        self.span = span
        self.op = op
        self.operand = operand


class Compare(Node):
    """A chain `a < b <= c`, meaning `a < b and b <= c` as in Python."""

    __slots__ = ("first", "ops", "rest")
    _fields = ('first', 'ops', 'rest')

    def __init__(self, span: Span, first: Node, ops: tuple[str, ...], rest: tuple[Node, ...]):
        self.span = span
        self.first = first
        self.ops = ops
        self.rest = rest


class BoolOp(Node):
    __slots__ = ("op", "left", "right")
    _fields = ('op', 'left', 'right')
    # op: 'and', 'or'

    def __init__(self, span: Span, op: str, left: Node, right: Node):
        self.span = span
        self.op = op
        self.left = left
        self.right = right


class Not(Node):
    __slots__ = ("operand",)
    _fields = ('operand',)

    def __init__(self, span: Span, operand: Node):
        self.span = span
        self.operand = operand


class IfExp(Node):
    __slots__ = ("body", "test", "orelse")
    _fields = ('body', 'test', 'orelse')

    def __init__(self, span: Span, body: Node, test: Node, orelse: Node):
        self.span = span
        self.body = body
        self.test = test
        self.orelse = orelse


class Keyword(Node):
    __slots__ = ("name", "value")
    _fields = ('name', 'value')

    def __init__(self, span: Span, name: str, value: Node):
        self.span = span
        self.name = name
        self.value = value


class Call(Node):
    __slots__ = ("func", "args", "keywords")
    _fields = ('func', 'args', 'keywords')

    def __init__(self, span: Span, func: Node, args: tuple[Node, ...], keywords: tuple[Keyword, ...]):
        self.span = span
        self.func = func
        self.args = args
        self.keywords = keywords


class Attribute(Node):
    __slots__ = ("value", "attr")
    _fields = ('value', 'attr')

    def __init__(self, span: Span, value: Node, attr: str):
        self.span = span
        self.value = value
        self.attr = attr


class Slice(Node):
    __slots__ = ("start", "stop", "step")
    _fields = ('start', 'stop', 'step')

    def __init__(self, span: Span, start: Node | None, stop: Node | None, step: Node | None):
        self.span = span
        self.start = start
        self.stop = stop
        self.step = step


class EllipsisExpr(Node):
    __slots__ = ()
    _fields = ()

    def __init__(self, span: Span):
        self.span = span


class Index(Node):
    __slots__ = ("value", "items", "is_tuple")
    _fields = ('value', 'items', 'is_tuple')
    # items: expressions, Slice or EllipsisExpr
    # is_tuple: `X[1,]` and `X[1, 2]` index with a tuple

    def __init__(self, span: Span, value: Node, items: tuple[Node, ...], is_tuple: bool):
        self.span = span
        self.value = value
        self.items = items
        self.is_tuple = is_tuple


# ---- statements --------------------------------------------------------------------


class ExprStmt(Node):
    __slots__ = ("value", "quiet")
    _fields = ('value', 'quiet')
    # quiet: ended by ';'

    def __init__(self, span: Span, value: Node, quiet: bool):
        self.span = span
        self.value = value
        self.quiet = quiet


class Assign(Node):
    __slots__ = ("targets", "value", "quiet")
    _fields = ('targets', 'value', 'quiet')
    # targets: Name, Index, Attribute or TupleExpr of those

    def __init__(self, span: Span, targets: Node, value: Node, quiet: bool):
        self.span = span
        self.targets = targets
        self.value = value
        self.quiet = quiet


class AugAssign(Node):
    __slots__ = ("target", "op", "value", "quiet")
    _fields = ('target', 'op', 'value', 'quiet')
    # target: Name, Index or Attribute
    # op: '+', '-', ...

    def __init__(self, span: Span, target: Node, op: str, value: Node, quiet: bool):
        self.span = span
        self.target = target
        self.op = op
        self.value = value
        self.quiet = quiet


class FunctionDef(Node):
    __slots__ = ("name", "params", "body", "quiet")
    _fields = ('name', 'params', 'body', 'quiet')

    def __init__(self, span: Span, name: str, params: tuple[str, ...], body: Node, quiet: bool):
        self.span = span
        self.name = name
        self.params = params
        self.body = body
        self.quiet = quiet


class Import(Node):
    __slots__ = ("module", "quiet")
    _fields = ('module', 'quiet')

    def __init__(self, span: Span, module: str, quiet: bool):
        self.span = span
        self.module = module
        self.quiet = quiet


class Program(Node):
    __slots__ = ("statements",)
    _fields = ('statements',)

    def __init__(self, span: Span, statements: tuple[Node, ...]):
        self.span = span
        self.statements = statements
