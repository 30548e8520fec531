"""Source text -> AST. Owns the parsers and the tree-to-AST pass.

Programs are parsed by tcalc/_lalr.py, a small LALR runtime over the tables generated from
grammar/tcalc.lark (tcalc/_grammar_tables.py), which does not import lark. Text it cannot
parse is parsed again by lark (loaded from the same tables), so that every syntax error is
lark's: lark errors never escape, they become TcalcSyntaxError with a span and what was
expected.
"""
from __future__ import annotations

import gc
import os
from functools import lru_cache

from . import ast, limits
from ._lalr import Token as _FastToken
from ._lalr import Tree as _FastTree
from .errors import Span, TcalcError, TcalcSyntaxError

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


def _grammar_path():
    """The grammar ships inside the package; in a source checkout it sits in grammar/.
    (os.path, not pathlib: pathlib costs a few ms of start-up.)"""
    from pathlib import Path

    return Path(_grammar_file())


def _grammar_file() -> str:
    here = os.path.dirname(os.path.realpath(__file__))
    packaged = os.path.join(here, "grammar", "tcalc.lark")
    return packaged if os.path.exists(packaged) else os.path.join(os.path.dirname(here), "grammar", "tcalc.lark")


def _grammar_text() -> str:
    with open(_grammar_file(), encoding="utf-8") as f:
        return f.read()


# How the grammar is compiled; tools/gen_parser_tables.py uses the same options.
LARK_OPTIONS = {"parser": "lalr", "lexer": "contextual", "propagate_positions": True,
                "maybe_placeholders": True}


def compile_grammar(text: str):
    """Build the parser from the grammar text: LALR analysis, 50-100 ms."""
    from lark import Lark

    return Lark(text, postlex=_BracketNewlines(), **LARK_OPTIONS)


@lru_cache(maxsize=1)
def _tables():
    """The generated tables, or None when they were made from another grammar text (then
    lark compiles the grammar: stale tables cost time, never correctness)."""
    grammar = _grammar_text()
    try:
        from . import _grammar_tables as tables
    except ImportError:
        return None
    return tables if tables.GRAMMAR == grammar else None


@lru_cache(maxsize=1)
def _fast():
    """tcalc's own LALR runtime over the generated tables, or None without tables."""
    tables = _tables()
    if tables is None or not hasattr(tables, "RUNTIME"):
        return None
    from ._lalr import Parser

    return Parser(tables.RUNTIME)


@lru_cache(maxsize=1)
def _lark():
    """Lark's parser, loaded from the generated tables (plain Python literals written by
    tools/gen_parser_tables.py) instead of compiled; only needed for syntax errors."""
    from lark import Lark

    tables = _tables()
    parser = None
    try:
        if tables is not None:
            data, memo = tables.lark_data()
            parser = Lark._load_from_dict(data, memo, postlex=_BracketNewlines())
    except Exception:  # tables from an incompatible lark: compile instead
        parser = None
    if parser is None:
        parser = compile_grammar(_grammar_text())
    from ._lalr_speedups import speed_up

    speed_up(parser)
    return parser


def parse_tree(text: str):
    """The syntax tree of `text` (ending in a newline): tcalc's runtime, or lark's parser
    when that one fails (which then raises lark's error)."""
    fast = _fast()
    if fast is not None:
        from ._lalr import SyntaxFallback

        try:
            return fast.parse(text)
        except SyntaxFallback:
            pass
    return _lark().parse(text)


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
    except Exception as err:
        from lark.exceptions import UnexpectedInput

        if isinstance(err, UnexpectedInput):
            raise _syntax_error(err, text) from None
        raise
    if tree.__class__ is not _FastTree or tree.height > limits.LIMITS.max_depth + 2:
        _check_depth(tree)
    try:
        return _ToAst(text).program(tree)
    except RecursionError:  # only when --max-depth was raised beyond what Python can follow
        raise limits.refuse("max_depth", "this statement nests too deeply for Python to follow",
                            "split it into several statements with intermediate names") from None


def _is_tree(item) -> bool:
    """A rule's node (lark's Tree or tcalc._lalr.Tree), not a token or a placeholder."""
    cls = item.__class__
    return cls is _FastTree or (cls is not _FastToken and item is not None and hasattr(item, "children"))


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


# ---- syntax errors -----------------------------------------------------------------
#
# Lark reports the token it did not expect and the terminals it would have accepted;
# a person wants to read "expected an expression or ')'", and, for the common slips, what
# to write instead.

_EXPRESSION_START = {"NAME", "INT", "FLOAT", "STRING", "LPAR", "LSQB", "MINUS", "PLUS", "TILDE",
                     "NOT", "TRUE", "FALSE", "NONE"}
_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "DSLASH", "PERCENT", "AT", "POW", "BAR", "CARET",
              "AMP", "COMP_OP", "IF", "OR", "AND", "DOT", "LPAR", "LSQB"}
_WORDS = {
    "NAME": "a name", "INT": "a number", "FLOAT": "a number", "STRING": "a string",
    "_NL": "the end of the line", "$END": "the end of the input", "COMP_OP": "a comparison",
    "AUGOP": "an update such as '+='", "ELLIPSIS": "'...'",
}
_CLOSER = {"(": ")", "[": "]"}
_LOOKALIKES = {
    "×": "*", "·": "* (or @ for a matrix product)", "÷": "/", "−": "-", "–": "-", "—": "-",
    "²": "** 2", "³": "** 3", "√": "sqrt(x)", "≤": "<=", "≥": ">=", "≠": "!=", "…": "...",
    "‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": "a plain space", "（": "(", "）": ")",
    "，": ",", "＝": "=", "!": "`not x`, or != to compare", "{": "tensor([...]) or a list [...]",
    "}": "tensor([...]) or a list [...]", "`": "'text' for a string", "?": "`a if condition else b`",
    "$": "a name such as x", "\\": "a backslash only at the very end of a line, to continue it",
}


def _describe(token_type: str) -> str:
    if token_type in _WORDS:
        return _WORDS[token_type]
    pattern = _TERMINALS().get(token_type)
    return f"'{pattern}'" if pattern is not None else token_type.lower()


@lru_cache(maxsize=1)
def _TERMINALS() -> dict[str, str]:
    """Terminal name -> its literal text, for terminals that are plain strings."""
    from lark.lexer import PatternStr

    return {t.name: t.pattern.value for t in _lark().terminals if isinstance(t.pattern, PatternStr)}


def _expected_words(expected) -> list[str]:
    expected = {t for t in expected if not t.startswith("__")}
    words = []
    if "NAME" in expected and "INT" in expected:
        words.append("an expression")
        expected -= _EXPRESSION_START
    operators = expected & _OPERATORS
    if len(operators) >= 5:
        expected -= _OPERATORS
        if "EQUAL" in expected or "AUGOP" in expected:
            expected -= {"EQUAL", "AUGOP"}
        expected.discard("SEMI")
    for t in sorted(expected, key=lambda t: (t in ("_NL", "$END"), _describe(t))):
        word = _describe(t)
        if word not in words:
            words.append(word)
    if len(operators) >= 5:
        words.append("an operator")
    return words


def _word_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _syntax_error(err, text: str) -> TcalcSyntaxError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    line, column = max(err.line, 1), max(err.column, 1)
    width, hint = 1, None
    if isinstance(err, UnexpectedToken):
        token = err.token
        kind = token.type
        expected = _expected_words(_acceptable(err))
        if kind in ("$END", "_NL"):
            opened = _unclosed_bracket(text, len(text) if kind == "$END" else token.start_pos)
            if opened is not None:
                char, o_line, o_col = opened
                return TcalcSyntaxError(f"'{char}' was never closed", Span(o_line, o_col, o_line, o_col + 1),
                                        f"close it with '{_CLOSER[char]}'")
            found = "end of line" if kind == "_NL" else "end of input"
            line, column = _end_of_text_before(text, token)
        else:
            found = _token_words(token)
            width = max(len(str(token)), 1)
        message = f"unexpected {found}"
        if expected:
            hint = "expected " + _word_list(expected) + " here"
        hint = _token_hint(token, text, err) or hint
        if kind in ("RPAR", "RSQB"):
            opened = _unclosed_bracket(text, token.start_pos)
            if opened is None:
                message = f"unmatched '{token}'"
                hint = f"remove it, or add the '{'(' if kind == 'RPAR' else '['}' it closes"
            elif _CLOSER[opened[0]] != str(token):
                message = f"'{token}' does not close '{opened[0]}' (line {opened[1]}, column {opened[2]})"
                hint = f"close it with '{_CLOSER[opened[0]]}'"
    elif isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream
        char = text[pos] if pos < len(text) else ""
        message = f"unexpected character {char!r}" + (f" (U+{ord(char):04X})" if char and not char.isascii() else "")
        if char in "'\"":
            message = "unterminated string"
            hint = "close the string with the same quote on the same line"
        elif char in _LOOKALIKES:
            hint = f"write {_LOOKALIKES[char]}"
        elif err.allowed:
            words = _expected_words(err.allowed)
            hint = ("expected " + _word_list(words) + " here") if words else None
    else:  # pragma: no cover - UnexpectedEOF is not raised by an LALR parser
        message = "unexpected end of input"
    return TcalcSyntaxError(message, Span(line, column, line, column + width), hint)


def _acceptable(err) -> set[str]:
    """The terminals the parser could take where it stopped. An error found by the lexer
    lists the end of line among them whatever the state (the newline filter asks the lexer
    to always accept it), so keep it only where the parse table has it."""
    expected = set(err.expected)
    if "_NL" in expected:
        try:
            state = err.state
            if "_NL" not in state.parse_conf.parse_table.states[state.position]:
                expected.discard("_NL")
        except (AttributeError, KeyError, TypeError):
            pass
    return expected


def _token_words(token) -> str:
    kind, text = token.type, str(token)
    if kind == "NAME":
        return f"name '{text}'"
    if kind in ("INT", "FLOAT"):
        return f"number {text}"
    if kind == "STRING":
        return "string " + (text if len(text) <= 20 else text[:17] + "...")
    if kind in ("IF", "ELSE", "OR", "AND", "NOT", "IMPORT", "FROM", "AS"):
        return f"keyword '{text}'"
    return f"'{text}'"


def _token_hint(token, text: str, err) -> str | None:
    """What to write instead, for the usual slips."""
    kind, before = token.type, text[: token.start_pos or 0]
    previous = before.rstrip()[-1:] if before.rstrip() else ""
    words = before.split()
    if words and words[-1] in _PYTHON_STATEMENTS and kind not in ("LPAR", "EQUAL", "AUGOP", "DOT"):
        return _PYTHON_STATEMENTS[words[-1]]
    if kind in _EXPRESSION_START - {"MINUS", "PLUS", "LPAR", "LSQB", "NOT"} and (
            "COMMA" in err.expected or _OPERATORS & set(err.expected)):
        if kind == "NAME" and before[-1:].isdigit():
            return f"write {before.split()[-1] if before.split() else ''} * {token}: multiplication needs *"
        if "RSQB" in err.expected or "RPAR" in err.expected:
            return "missing ',' between the items?"
        return "missing an operator between the two?"
    if kind == "EQUAL" and before[-1:] in ("=", "<", ">", "!"):
        return "to compare, write =="
    if kind == "EQUAL" and "COMP_OP" in err.expected:
        return "to compare, write ==; to name a value, put the name on the left: x = ..."
    if kind in ("AMP", "BAR") and previous in "&|":
        return "write `and` / `or` for truth values (one & or | is elementwise on tensors)"
    if kind == "NAME" and str(token) in ("lambda", "def"):
        return "define a function as `f(x) = expression`"
    if kind == "COLON" and _unclosed_bracket(text, token.start_pos or 0) is None:
        return "tcalc has no blocks; use `a if condition else b`, and f(x) = expression for functions"
    return None


_PYTHON_STATEMENTS = {
    "if": "tcalc has no if statement; write `a if condition else b`",
    "for": "tcalc has no loops; tensors work on all elements at once (x * 2, x.sum())",
    "while": "tcalc has no loops; tensors work on all elements at once (x * 2, x.sum())",
    "def": "define a function as `f(x) = expression`",
    "lambda": "define a function as `f(x) = expression`",
    "return": "a function's body is one expression: `f(x) = expression`",
    "print": "tcalc prints the value of each statement: write `x`, not `print x`",
    "del": "to free a variable, bind it to something else: x = None",
}


def _unclosed_bracket(text: str, end: int) -> tuple[str, int, int] | None:
    """The innermost bracket still open at `end` (outside strings and comments), with its
    line and column, or None. A closer with no opener is ignored."""
    stack: list[tuple[str, int, int]] = []
    line, col, i, quote = 1, 1, 0, None
    while i < min(end, len(text)):
        ch = text[i]
        if quote:
            if ch == "\\":
                i, col = i + 2, col + 2
                continue
            if ch == quote or ch == "\n":
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            while i < end and text[i] != "\n":
                i += 1
            continue
        elif ch in "([":
            stack.append((ch, line, col))
        elif ch in ")]" and stack:
            stack.pop()
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
        i += 1
    return stack[-1] if stack else None


def _end_of_text_before(text: str, token) -> tuple[int, int]:
    pos = token.start_pos if token.start_pos is not None else len(text)
    before = text[:pos].rstrip("\r\n")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    return line, column


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
    cls = item.__class__
    if cls is _FastTree or cls is _FastToken:
        return Span(item.line, item.column, item.end_line, item.end_column)
    meta = getattr(item, "meta", item)  # a token carries its own position
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


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
        trailing_comma = self.text[: subs.meta.end_pos].rstrip().endswith(",") if subs.meta.end_pos else False
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
