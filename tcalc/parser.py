"""Source text -> AST. Parses with tcalc/_lalr.py over the tables generated from
grammar/tcalc.lark (tcalc/_grammar_tables.py) and turns the tree into tcalc/ast.py nodes;
tcalc/syntax_errors.py explains text that does not parse. Lark is not imported, unless
the generated tables are stale (see _parser).
"""
from __future__ import annotations

import gc
import os
from functools import lru_cache

from . import ast, limits
from ._lalr import ParseError, Tree, UnexpectedToken
from .errors import Span, TcalcError, TcalcSyntaxError


def _grammar_path():
    """The grammar ships inside the package; in a source checkout it sits in grammar/."""
    from pathlib import Path  # here, not at the top: pathlib costs a few ms of start-up

    return Path(_grammar_file())


def _grammar_file() -> str:
    here = os.path.dirname(os.path.realpath(__file__))
    packaged = os.path.join(here, "grammar", "tcalc.lark")
    return packaged if os.path.exists(packaged) else os.path.join(os.path.dirname(here), "grammar", "tcalc.lark")


def _grammar_text() -> str:
    with open(_grammar_file(), encoding="utf-8") as f:
        return f.read()


@lru_cache(maxsize=1)
def _parser():
    """The parser over the generated tables. If they are missing or were made from another
    grammar text (the grammar was edited and not regenerated), over tables built from the
    grammar now, with lark: stale tables cost time, never correctness (and fail a test)."""
    from ._lalr import Parser

    grammar = _grammar_text()
    try:
        from ._grammar_tables import GRAMMAR, RUNTIME
    except ImportError:
        GRAMMAR = RUNTIME = None
    if GRAMMAR != grammar:
        from ._table_builder import build_tables

        return Parser(build_tables(grammar))
    return Parser(RUNTIME)


def parse_tree(text: str) -> Tree:
    """The syntax tree of `text` (ending in a newline), or a tcalc._lalr.ParseError."""
    return _parser().parse(text)


def is_incomplete(text: str) -> bool:
    """Whether `text` is a statement still being typed: the only problem is that it ends
    where more must come. As the text ends a line, that is inside an open bracket or after
    a backslash that continues the line. Any other syntax error is not incomplete: it is
    there however the text goes on."""
    if not text.endswith("\n"):
        text += "\n"
    try:
        parse_tree(text)
    except UnexpectedToken as err:
        return err.token.type == "$END"
    except ParseError:  # no terminal matches, as in an unterminated string
        return False
    return False


def parse(text: str) -> ast.Program:
    """Parse a whole program (a script, a -e argument or one shell line)."""
    if not text.endswith("\n"):
        text += "\n"
    # Parsing makes many small objects and no reference cycles: the cyclic garbage
    # collector, which they would set off again and again, has nothing to find (it took
    # half the time of a 2000-line script).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _parse(text)
    finally:
        if collecting:
            gc.enable()


def _parse(text: str) -> ast.Program:
    try:
        tree = parse_tree(text)
    except ParseError as err:
        from .syntax_errors import syntax_error

        raise syntax_error(err, text, _parser().literals) from None
    if tree.height > limits.LIMITS.max_depth + 2:
        _check_depth(tree)
    try:
        return _ToAst(text).program(tree)
    except RecursionError:  # only when --max-depth was raised beyond what Python can follow
        raise limits.refuse("max_depth", "this statement nests too deeply for Python to follow",
                            "split it into several statements with intermediate names") from None


def _is_tree(item) -> bool:
    """A rule's node, not a token or a placeholder (None)."""
    return item.__class__ is Tree


def _check_depth(tree) -> None:
    """The AST pass and the evaluator recurse: refuse a statement nested too deeply (ten
    thousand brackets) before they start. Walks the tree without recursion."""
    limit = limits.LIMITS.max_depth
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit + 2:  # start -> line -> statement do not count
            err = limits.refuse("max_depth", f"this statement nests more than {limit} levels deep",
                                "split it into several statements with intermediate names")
            raise err.at(_span(node))
        stack.extend((child, depth + 1) for child in node.children if _is_tree(child))


# ---- tree -> AST -------------------------------------------------------------------

_UNESCAPE = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "r": "\r", "0": "\0"}


def _unquote(raw: str) -> str:
    body, out, i = raw[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_UNESCAPE.get(body[i + 1], "\\" + body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _span(item) -> Span:
    """Where a node or a token is."""
    return Span(item.line, item.column, item.end_line, item.end_column)


def _join(a: Span, b: Span) -> Span:
    return Span(a.line, a.column, b.end_line, b.end_column)


class _ToAst:
    """One method per tree node name; dispatch through a table built from the methods."""

    def __init__(self, text: str):
        self.text = text

    def program(self, tree) -> ast.Program:
        statements = []
        for line in tree.children:
            children = line.children
            for i, child in enumerate(children):
                if not _is_tree(child):
                    continue
                quiet = i + 1 < len(children) and not _is_tree(children[i + 1])
                statements.append(self.statement(child, quiet))
        return ast.Program(Span(1, 1, 1, 1), tuple(statements))

    # statements
    def statement(self, tree, quiet: bool) -> ast.Node:
        kind, span, ch = tree.data, _span(tree), tree.children
        if kind == "expr_stmt":
            return ast.ExprStmt(span, self.expr(ch[0]), quiet)
        if kind == "assign":
            return self.assignment(tree, quiet)
        if kind == "aug_assign":
            target = self.expr(ch[0])
            if not isinstance(target, (ast.Name, ast.Index, ast.Attribute)):
                raise TcalcSyntaxError("cannot assign in place to this expression", target.span,
                                       "the left of += is a name, an indexed tensor or an attribute")
            return ast.AugAssign(span, target, str(ch[1])[:-1], self.expr(ch[2]), quiet)
        if kind in ("import_stmt", "from_import"):
            module = ".".join(str(t) for t in ch[0].children)
            if module != "torch":
                raise TcalcSyntaxError(f"cannot import {module!r}", span,
                                       "only `import torch` is accepted (and ignored)")
            return ast.Import(span, module, quiet)
        return ast.ExprStmt(span, self.expr(tree), quiet)

    def assignment(self, tree, quiet: bool) -> ast.Node:
        span = _span(tree)
        target, value = self.expr(tree.children[0]), self.expr(tree.children[1])
        if isinstance(target, ast.Call) and isinstance(target.func, ast.Name):
            params = []
            for arg in target.args:
                if not isinstance(arg, ast.Name) or arg.id in params:
                    raise TcalcSyntaxError("a function's parameters are distinct names", arg.span,
                                           "define a function as `f(x, y) = expression`")
                params.append(arg.id)
            if target.keywords:
                raise TcalcSyntaxError("a function's parameters are plain names", target.keywords[0].span)
            return ast.FunctionDef(span, target.func.id, tuple(params), value, quiet)
        self.check_target(target)
        return ast.Assign(span, target, value, quiet)

    def check_target(self, target: ast.Node) -> None:
        if isinstance(target, ast.TupleExpr):
            for item in target.items:
                self.check_target(item)
        elif not isinstance(target, (ast.Name, ast.Index, ast.Attribute)):
            raise TcalcSyntaxError("cannot assign to this expression", target.span,
                                   "assign to a name (`x = ...`), an index (`X[0] = ...`) or "
                                   "define a function (`f(x) = ...`); to compare, use `==`")

    # expressions
    def expr(self, item) -> ast.Node:
        try:
            data = item.data
        except AttributeError:  # only NAME-like leaves reach here via ?rules
            raise AssertionError(item) from None
        return _EXPRESSION_NODES[data](self, item, _span(item), item.children)

    def x_name(self, t, span, ch):
        return ast.Name(span, str(ch[0]))

    def x_int_lit(self, t, span, ch):
        try:
            limits.check_int_literal(str(ch[0]))
        except TcalcError as err:
            raise err.at(span) from None
        return ast.Constant(span, int(str(ch[0]).replace("_", "")))

    def x_float_lit(self, t, span, ch):
        return ast.Constant(span, float(str(ch[0]).replace("_", "")))

    def x_string(self, t, span, ch):
        return ast.Constant(span, _unquote(str(ch[0])))

    def x_true(self, t, span, ch):
        return ast.Constant(span, True)

    def x_false(self, t, span, ch):
        return ast.Constant(span, False)

    def x_none(self, t, span, ch):
        return ast.Constant(span, None)

    def x_empty_tuple(self, t, span, ch):
        return ast.TupleExpr(span, ())

    def x_paren(self, t, span, ch):
        inner = self.expr(ch[0])
        # Keep the parentheses in the span so carets cover what the user wrote.
        return _with_span(inner, span) if isinstance(inner, ast.TupleExpr) else inner

    def x_tuple(self, t, span, ch):
        return ast.TupleExpr(span, tuple(self.expr(c) for c in ch if c is not None))

    def x_list(self, t, span, ch):
        return ast.ListExpr(span, tuple(self.expr(c) for c in ch if c is not None))

    def x_binop(self, t, span, ch):
        left, op, right = ch
        return ast.BinOp(span, str(op), self.expr(left), self.expr(right), _span(op))

    def x_unary(self, t, span, ch):
        return ast.UnaryOp(span, str(ch[0]), self.expr(ch[1]))

    def x_compare(self, t, span, ch):
        ops = tuple(str(c) for c in ch[1::2])
        return ast.Compare(span, self.expr(ch[0]), ops, tuple(self.expr(c) for c in ch[2::2]))

    def x_and_(self, t, span, ch):
        return ast.BoolOp(span, "and", self.expr(ch[0]), self.expr(ch[1]))

    def x_or_(self, t, span, ch):
        return ast.BoolOp(span, "or", self.expr(ch[0]), self.expr(ch[1]))

    def x_not_(self, t, span, ch):
        return ast.Not(span, self.expr(ch[0]))

    def x_ifexp(self, t, span, ch):
        return ast.IfExp(span, self.expr(ch[0]), self.expr(ch[1]), self.expr(ch[2]))

    def x_call(self, t, span, ch):
        func, arguments = ch
        args, keywords = [], []
        for arg in (arguments.children if arguments is not None else []):
            if arg is None:
                continue
            if _is_tree(arg) and arg.data == "keyword":
                key = self.expr(arg.children[0])
                if not isinstance(key, ast.Name):
                    raise TcalcSyntaxError("a keyword argument needs a name before '='", key.span,
                                           "write `name=value`; to compare, use `==`")
                if any(k.name == key.id for k in keywords):
                    raise TcalcSyntaxError(f"keyword argument {key.id!r} repeated", key.span)
                keywords.append(ast.Keyword(_span(arg), key.id, self.expr(arg.children[1])))
            else:
                if keywords:
                    node = self.expr(arg)
                    raise TcalcSyntaxError("positional argument after a keyword argument", node.span)
                args.append(self.expr(arg))
        return ast.Call(span, self.expr(func), tuple(args), tuple(keywords))

    def x_attr(self, t, span, ch):
        return ast.Attribute(span, self.expr(ch[0]), str(ch[1]))

    def x_index(self, t, span, ch):
        value, subs = ch
        items = [c for c in subs.children if c is not None]
        trailing_comma = self.text[: subs.end_pos].rstrip().endswith(",")
        return ast.Index(span, self.expr(value), tuple(self.subscript(c) for c in items),
                         len(items) > 1 or trailing_comma)

    def subscript(self, item) -> ast.Node:
        if _is_tree(item) and item.data == "slice":
            parts = [None if c is None else self.expr(c) for c in item.children]
            return ast.Slice(_span(item), *parts)
        if _is_tree(item) and item.data == "ellipsis":
            return ast.EllipsisExpr(_span(item))
        return self.expr(item)


# Tree node name (from the grammar) -> the method building its AST node.
_EXPRESSION_NODES = {name[2:]: method for name, method in vars(_ToAst).items() if name.startswith("x_")}


def _with_span(node: ast.TupleExpr, span: Span) -> ast.TupleExpr:
    return ast.TupleExpr(span, node.items)
