"""The tcalc syntax tree: plain frozen dataclasses, no behaviour. Every node has a span."""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Span


@dataclass(frozen=True)
class Node:
    span: Span = field(compare=False, repr=False)


# ---- expressions -------------------------------------------------------------------

@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class Constant(Node):
    """int, float, bool, str or None, as written."""

    value: object


@dataclass(frozen=True)
class TupleExpr(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class ListExpr(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # '+', '-', '*', '/', '//', '%', '@', '**', '&', '|', '^'
    left: Node
    right: Node
    op_span: Span = field(compare=False, repr=False)


@dataclass(frozen=True)
class UnaryOp(Node):
    op: str  # '-', '+', '~'
    operand: Node


@dataclass(frozen=True)
class Compare(Node):
    """A chain `a < b <= c`, meaning `a < b and b <= c` as in Python."""

    first: Node
    ops: tuple[str, ...]
    rest: tuple[Node, ...]


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # 'and', 'or'
    left: Node
    right: Node


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class IfExp(Node):
    body: Node
    test: Node
    orelse: Node


@dataclass(frozen=True)
class Keyword(Node):
    name: str
    value: Node


@dataclass(frozen=True)
class Call(Node):
    func: Node
    args: tuple[Node, ...]
    keywords: tuple[Keyword, ...]


@dataclass(frozen=True)
class Attribute(Node):
    value: Node
    attr: str


@dataclass(frozen=True)
class Slice(Node):
    start: Node | None
    stop: Node | None
    step: Node | None


@dataclass(frozen=True)
class EllipsisExpr(Node):
    pass


@dataclass(frozen=True)
class Index(Node):
    value: Node
    items: tuple[Node, ...]  # expressions, Slice or EllipsisExpr
    is_tuple: bool  # `X[1,]` and `X[1, 2]` index with a tuple


# ---- statements --------------------------------------------------------------------

@dataclass(frozen=True)
class ExprStmt(Node):
    value: Node
    quiet: bool  # ended by ';'


@dataclass(frozen=True)
class Assign(Node):
    targets: Node  # Name, Index, Attribute or TupleExpr of those
    value: Node
    quiet: bool


@dataclass(frozen=True)
class AugAssign(Node):
    target: Node  # Name, Index or Attribute
    op: str  # '+', '-', ...
    value: Node
    quiet: bool


@dataclass(frozen=True)
class FunctionDef(Node):
    name: str
    params: tuple[str, ...]
    body: Node
    quiet: bool


@dataclass(frozen=True)
class Import(Node):
    module: str
    quiet: bool


@dataclass(frozen=True)
class Program(Node):
    statements: tuple[Node, ...]
