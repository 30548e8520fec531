"""Source text -> AST. Parses with tcalc/_lalr.py over the tables generated from
grammar/tcalc.lark (tcalc/_grammar_tables.py); tcalc/to_ast.py turns the tree into
tcalc/ast.py nodes; tcalc/syntax_errors.py explains text that does not parse. Lark is not imported, unless
the generated tables are stale (see _parser).
"""
from __future__ import annotations

import gc
import os
from functools import lru_cache

from . import ast, limits
from ._lalr import CHAIN, ParseError, Tree, UnexpectedToken
from .errors import TcalcSyntaxError
from .to_ast import _PLACED_END, Reductions, ToAst, _span


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
        if err.token.type == "$END":
            return True
        # A block's header at the very end, inside another block: the end of the input
        # closes the outer block (a _DEDENT) where the inner one's body must come.
        return err.token.type == "_DEDENT" and "_INDENT" in err.expected and not text[err.token.end_pos:].strip()
    except ParseError as err:  # no terminal matches, as in an unterminated string
        # ... but a triple-quoted string goes on over lines, as in Python's shell
        from .syntax_errors import triple_quote_opening

        return err.pos < len(text) and text[err.pos] in "'\"" and triple_quote_opening(text, err.pos) is not None
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
    program = _parse_fast(text)
    if program is not None:
        return program
    try:
        tree = parse_tree(text)
    except ParseError as err:
        from .syntax_errors import syntax_error

        raise syntax_error(err, text, _parser().literals) from None
    if tree.height > limits.LIMITS.max_depth + 2:
        _check_depth(tree)
    try:
        return ToAst(text, _parse_expression).program(tree)
    except RecursionError:  # only when --max-depth was raised beyond what Python can follow
        err = limits.refuse("max_depth", "this statement nests too deeply for Python to follow",
                            "split it into several statements with intermediate names")
        raise err.at(_deepest_statement(tree)) from None


@lru_cache(maxsize=1)
def _reductions():
    return Reductions(_parser().rules)


# The fast path's answer stands below this height; above it (a refusal, or a depth the
# top-down pass would not follow with a raised --max-depth), the tree decides.
_FAST_HEIGHT = limits.LIMITS.max_depth + 2


def _parse_fast(text: str) -> ast.Program | None:
    """The AST built at the parser's reductions (tcalc/to_ast.py's Reductions), or None
    where the tree and its pass must answer: a syntax error or any error of the AST pass
    (their message, place and order are theirs), or a statement nested deeper than the
    depth limit."""
    reductions = _reductions()
    if reductions.in_use:  # not re-entered: an f-string's expression takes the tree
        return None
    reductions.in_use = True
    reductions.begin(text, _parse_expression)
    try:
        program, height = _parser().parse_fast(text, reductions.actions)
    except Exception:  # noqa: BLE001  (whatever it was, the tree's pass says it exactly)
        return None
    finally:
        reductions.in_use = False
        reductions.begin("", None)
    if height > min(limits.LIMITS.max_depth + 2, _FAST_HEIGHT):
        return None
    return program


def _deepest_statement(tree):
    """The span of the top-level statement with the most nesting, for a refusal."""
    deepest = None
    for _ in range(2):  # a line's statements, or a block
        children = [child for child in tree.children if _is_tree(child) and not child.empty]
        if not children:
            break
        deepest = tree = max(children, key=lambda child: child.height)
        if tree.data != "line":
            break
    return None if deepest is None else _span(deepest)


def _parse_expression(text: str) -> ast.Node:
    """An f-string's expression, placed in `text` where it stands in the source."""
    try:
        tree = parse_tree(text)
    except ParseError as err:
        from .syntax_errors import syntax_error

        end = len(text) - len(_PLACED_END)
        if err.pos >= end:  # at what placing added after it: the expression stops short
            line = text.count("\n", 0, end) + 1
            column = end - (text.rfind("\n", 0, end) + 1) + 1
            raise TcalcSyntaxError("f-string: invalid syntax", ast.Span(line, column, line, column + 1),
                                   "the expression before this is not finished") from None
        raise syntax_error(err, text, _parser().literals) from None
    statements = ToAst(text, _parse_expression).program(tree).statements
    if len(statements) != 1 or type(statements[0]) is not ast.ExprStmt:
        raise TcalcSyntaxError("f-string: expecting an expression", statements[0].span if statements else None)
    return statements[0].value


def _is_tree(item) -> bool:
    """A rule's node, not a token or a placeholder (None)."""
    return item.__class__ is Tree


def _check_depth(tree) -> None:
    """The AST pass and the evaluator recurse: refuse a statement nested too deeply (ten
    thousand brackets) before they start. Walks the tree without recursion. The left
    operand of a binop chain (`1 + 2 + ... + n`) is not a level deeper (Tree.height)."""
    limit = limits.LIMITS.max_depth
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit + 2:  # start -> line -> statement do not count
            err = limits.refuse("max_depth", f"this statement nests more than {limit} levels deep",
                                "split it into several statements with intermediate names")
            raise err.at(_span(node))
        children = node.children
        if node.data == CHAIN and _is_tree(children[0]) and children[0].data == CHAIN:
            stack.append((children[0], depth))
            children = children[1:]
        stack.extend((child, depth + 1) for child in children if _is_tree(child))
