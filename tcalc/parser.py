"""Source text -> AST. Owns the Lark parser (built once) and the tree-to-AST pass.

Lark errors never escape: they become TcalcSyntaxError with a span and what was expected.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import ast
from .errors import Span, TcalcSyntaxError

_OPEN = {"LPAR", "LSQB"}
_CLOSE = {"RPAR", "RSQB"}


class _BracketNewlines:
    """Post-lexer: inside ( ) and [ ] a newline does not end a statement (as in Python)."""

    always_accept = ("_NL",)

    def process(self, stream):
        depth = 0
        for token in stream:
            if token.type in _OPEN:
                depth += 1
            elif token.type in _CLOSE:
                depth = max(depth - 1, 0)
            elif token.type == "_NL" and depth:
                continue
            yield token


def _grammar_path() -> Path:
    """The grammar ships inside the package; in a source checkout it sits in grammar/."""
    here = Path(__file__).resolve().parent
    packaged = here / "grammar" / "tcalc.lark"
    return packaged if packaged.exists() else here.parent / "grammar" / "tcalc.lark"


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(
        _grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        postlex=_BracketNewlines(),
        propagate_positions=True,
        maybe_placeholders=True,
    )


def parse(text: str) -> ast.Program:
    """Parse a whole program (a script, a -e argument or one shell line)."""
    if not text.endswith("\n"):
        text += "\n"
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(err, text) from None
    return _ToAst(text).program(tree)


# ---- syntax errors -----------------------------------------------------------------

_TOKEN_WORDS = {
    "RPAR": "')'", "RSQB": "']'", "LPAR": "'('", "LSQB": "'['", "COMMA": "','",
    "NAME": "a name", "INT": "a number", "FLOAT": "a number", "STRING": "a string",
    "_NL": "end of line", "$END": "end of input", "COLON": "':'", "EQUAL": "'='",
    "SEMI": "';'", "DOT": "'.'",
}


def _describe(token_type: str) -> str:
    return _TOKEN_WORDS.get(token_type, token_type.lower())


def _syntax_error(err: UnexpectedInput, text: str) -> TcalcSyntaxError:
    line, column = max(err.line, 1), max(err.column, 1)
    width = 1
    if isinstance(err, UnexpectedToken):
        token = err.token
        if token.type in ("$END", "_NL"):
            found = "the end of the line"
            # Point just past the last real character of the statement.
            line, column = _end_of_text_before(text, token)
        else:
            found = repr(str(token))
            width = max(len(str(token)), 1)
        expected = sorted({_describe(t) for t in err.expected if not t.startswith("__")})
        message = f"unexpected {found}"
        hint = _expected_hint(expected)
        if token.type in ("$END", "_NL") and _open_brackets(text):
            hint = "a bracket is still open: close it"
    elif isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
        message = f"unexpected character {char!r}"
        hint = None
        if char in "'\"":
            message = "unterminated string"
            hint = "close the string with the same quote on the same line"
    elif isinstance(err, UnexpectedEOF):
        message, hint = "unexpected end of input", None
    else:  # pragma: no cover - lark has no other kinds today
        message, hint = "invalid syntax", None
    return TcalcSyntaxError(message, Span(line, column, line, column + width), hint)


def _expected_hint(expected: list[str]) -> str | None:
    if not expected:
        return None
    if len(expected) > 6:
        return "expected an expression or an operator here"
    return "expected " + ", ".join(expected[:-1]) + (" or " if len(expected) > 1 else "") + expected[-1]


def _end_of_text_before(text: str, token: Token) -> tuple[int, int]:
    pos = token.start_pos if token.start_pos is not None else len(text)
    before = text[:pos].rstrip("\r\n")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    return line, column


def _open_brackets(text: str) -> bool:
    return text.count("(") + text.count("[") > text.count(")") + text.count("]")


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
    if isinstance(item, Token):
        return Span(item.line, item.column, item.end_line, item.end_column)
    meta = item.meta
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _join(a: Span, b: Span) -> Span:
    return Span(a.line, a.column, b.end_line, b.end_column)


class _ToAst:
    """One method per tree node name; dispatch through a table built from the methods."""

    def __init__(self, text: str):
        self.text = text

    def program(self, tree: Tree) -> ast.Program:
        statements = []
        for line in tree.children:
            children = line.children
            for i, child in enumerate(children):
                if isinstance(child, Token):
                    continue
                quiet = i + 1 < len(children) and isinstance(children[i + 1], Token)
                statements.append(self.statement(child, quiet))
        return ast.Program(Span(1, 1, 1, 1), tuple(statements))

    # statements
    def statement(self, tree: Tree, quiet: bool) -> ast.Node:
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

    def assignment(self, tree: Tree, quiet: bool) -> ast.Node:
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
        if isinstance(item, Token):  # only NAME-like leaves reach here via ?rules
            raise AssertionError(item)
        return getattr(self, "x_" + item.data)(item, _span(item), item.children)

    def x_name(self, t, span, ch):
        return ast.Name(span, str(ch[0]))

    def x_int_lit(self, t, span, ch):
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
            if isinstance(arg, Tree) and arg.data == "keyword":
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
        trailing_comma = self.text[: subs.meta.end_pos].rstrip().endswith(",") if subs.meta.end_pos else False
        return ast.Index(span, self.expr(value), tuple(self.subscript(c) for c in items),
                         len(items) > 1 or trailing_comma)

    def subscript(self, item) -> ast.Node:
        if isinstance(item, Tree) and item.data == "slice":
            parts = [None if c is None else self.expr(c) for c in item.children]
            return ast.Slice(_span(item), *parts)
        if isinstance(item, Tree) and item.data == "ellipsis":
            return ast.EllipsisExpr(_span(item))
        return self.expr(item)


def _with_span(node: ast.Node, span: Span) -> ast.Node:
    from dataclasses import replace

    return replace(node, span=span)
