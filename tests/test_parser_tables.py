"""tcalc's parser (tcalc/_lalr.py over tcalc/_grammar_tables.py) answers as lark does.

The tables shipped in tcalc/_grammar_tables.py must be those of grammar/tcalc.lark: if a
test here fails after a change to the grammar, run `python tools/gen_parser_tables.py` and
commit the result.

Lark itself is not used at run time; here a lark parser compiled from the grammar with the
same options is the reference: on valid text the same tree with the same positions, on
invalid text the same error at the same token or character, with the same expected
terminals.
"""
from __future__ import annotations

import ast as pyast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from lark import Token as LarkToken
from lark import Tree as LarkTree
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from tcalc import _grammar_tables as tables
from tcalc import _lalr, parser
from tcalc._table_builder import compile_grammar
from tcalc.errors import TcalcSyntaxError

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted((ROOT / "tests" / "golden").rglob("*.tc"))
EXAMPLES = sorted((ROOT / "examples").glob("*.tc"))
REGENERATE = "the parser tables are stale: run `python tools/gen_parser_tables.py` and commit them"


# ---- the tables ------------------------------------------------------------------------

def test_tables_are_made_from_the_grammar():
    assert tables.GRAMMAR == parser._grammar_path().read_text(encoding="utf-8"), REGENERATE


def test_generating_the_tables_again_gives_the_same_file():
    """Same grammar, same builder, same lark: the same file (`--check`)."""
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_parser_tables.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr + "\n" + REGENERATE


def test_tables_are_plain_data():
    """No pickle, no code: the module is a docstring and assignments of literals."""
    source = (ROOT / "tcalc" / "_grammar_tables.py").read_text(encoding="utf-8")
    module = pyast.parse(source)
    assert isinstance(module.body[0], pyast.Expr)  # the docstring
    for node in module.body[1:]:
        assert isinstance(node, pyast.Assign), pyast.dump(node)[:80]
        pyast.literal_eval(node.value)
    assert set(tables.RUNTIME) == {"start_state", "end_state", "lexers", "state_lexer", "root_lexer",
                                   "actions", "rules", "literals", "starts"}


def test_the_shipped_tables_are_used():
    parser._parser.cache_clear()
    assert parser._parser().rules is tables.RUNTIME["rules"]  # not tables built anew
    assert isinstance(parser.parse_tree("x = 1\n"), _lalr.Tree)


def test_stale_tables_are_rebuilt_from_the_grammar(monkeypatch):
    """A grammar edited without regenerating the tables is the grammar tcalc parses (with
    tables lark builds on the spot); the tests above fail until the tables are regenerated."""
    edited = tables.GRAMMAR.replace('SEMI: ";"', 'SEMI: ";" | "；"')
    assert edited != tables.GRAMMAR
    monkeypatch.setattr(parser, "_grammar_text", lambda: edited)
    parser._parser.cache_clear()
    try:
        program = parser.parse("x = 1；y = 2\n")
        assert [type(s).__name__ for s in program.statements] == ["Assign", "Assign"]
        assert program.statements[0].quiet
    finally:
        monkeypatch.undo()
        parser._parser.cache_clear()
    with pytest.raises(TcalcSyntaxError):
        parser.parse("x = 1；y = 2\n")


def test_lark_is_not_imported_at_run_time():
    code = ("import sys, tcalc.evaluator as e\n"
            "try:\n    list(e.Session().run('x = (1 +'))\nexcept Exception as err:\n    print(type(err).__name__)\n"
            "import tcalc.parser\nassert tcalc.parser.is_incomplete('x = (')\n"
            "assert not [m for m in sys.modules if m.split('.')[0] == 'lark'], sorted(sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0 and done.stdout == "TcalcSyntaxError\n", done.stdout + done.stderr


# ---- the runtime against lark ----------------------------------------------------------

@pytest.fixture(scope="module")
def lark_parser():
    return compile_grammar(tables.GRAMMAR)


def _shape(node):
    """A tree with every token and node position, to compare two parsers' answers."""
    if isinstance(node, (LarkToken, _lalr.Token)):
        return ("token", node.type, str(node), node.line, node.column, node.end_line, node.end_column)
    if isinstance(node, (LarkTree, _lalr.Tree)):
        meta = getattr(node, "meta", node)
        where = tuple(getattr(meta, name, None) for name in ("line", "column", "end_line", "end_column"))
        return (str(node.data), where, tuple(_shape(c) for c in node.children))
    return node


def _lark_outcome(lark_parser, text):
    """Lark's tree, or its error: the token or character, where, and what it expected."""
    try:
        return _shape(lark_parser.parse(text))
    except UnexpectedToken as err:
        token = err.token
        return ("unexpected token", token.type, str(token), token.start_pos, err.line, err.column,
                sorted(err.expected))
    except UnexpectedCharacters as err:
        return ("unexpected characters", err.pos_in_stream, err.line, err.column, sorted(err.allowed))


def _outcome(text):
    """The same for tcalc's runtime. Lark's error lists what the state's lexer reads when
    the lexer stopped (`allowed` here), what the parser's state takes otherwise."""
    try:
        return _shape(parser.parse_tree(text))
    except _lalr.UnexpectedToken as err:
        token = err.token
        return ("unexpected token", token.type, str(token), token.start_pos, err.line, err.column,
                sorted(err.expected if err.allowed is None else err.allowed))
    except _lalr.UnexpectedCharacters as err:
        return ("unexpected characters", err.pos, err.line, err.column, sorted(err.allowed))


def _state_terminals(lark_parser, text):
    """The terminals of the parser state lark stopped in, from its own table."""
    try:
        lark_parser.parse(text)
    except (UnexpectedToken, UnexpectedCharacters) as err:
        state = err.state
        return sorted(s for s in state.parse_conf.parse_table.states[state.position] if s.isupper())
    return None


def _unclosed_bracket(text: str, end: int):
    """A character scan for the innermost bracket open at `end` outside strings and
    comments (tcalc's before its runtime reported it), as (bracket, line, column)."""
    stack = []
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
        elif ch in "([{":
            stack.append((ch, line, col))
        elif ch in ")]}" and stack:
            stack.pop()
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
        i += 1
    return stack[-1] if stack else None


def _same_as_lark(lark_parser, text):
    if not text.endswith("\n"):
        text += "\n"
    assert _outcome(text) == _lark_outcome(lark_parser, text), text
    try:
        parser.parse_tree(text)
    except _lalr.ParseError as err:
        assert sorted(err.expected) == _state_terminals(lark_parser, text), text
        opened = err.open_bracket
        if isinstance(err, _lalr.UnexpectedToken):
            end = len(text) if err.token.type == "$END" else err.token.start_pos
            assert (opened and (str(opened), opened.line, opened.column)) == _unclosed_bracket(text, end), text


SNIPPETS = [
    "x = 1 + 2 * 3 ** -4 // 5 % 6 @ y\n",
    "a, b = f(x, dim=0)[1:3, ::2, ..., None, -1], not a or b and c if d else e\n",
    "X[0] += [1, (2, 3), []]; import torch\n",
    "t = tensor([[1., 2.],\n  [3., 4.]])  # comment\n",
    "f(x, y) = x @ y.T\n",
    "if = 1\nx = iffy if a else b\nx elsewhere\nnot_ = True; Trueish = None\n",
    "a = (1,\n 2)\nb = [\n]\nc = (\n)\n\n\nd = x[1,]; e = x[:]; f = x[::]\n",
    "import torch as t\nfrom torch import *\nimport numpy\n",
    "x = 'a\\'b' + \"c\" \\\n + 1_000 + 1e-3 + .5 + 2. + 0x1\n",
    "f(x, x) = 1\ng(x, y=1) = 2\n1 = 2\nh(a)(b) += 1\n",
    "", "\n\n# only a comment", "x = [1, 2,]\ny = (1,)\nz = 1, 2,\n",
    # syntax errors: found by the parser, by a state's lexer, by no lexer
    "x = (1 +\n", "1 +* 2\n", "y = $\n", "a[1:2:]] = 3\n", "x\n) (\n", "(1, 2]", ")", "* 2",
    "x = [1 2]", "3x", "x === 2", "if x: 3", "f(x) = ", "x = 'abc", "x = 1 \\", "x = (1, # (\n",
    "s = '(' + [", "f(1,,2)", "import", "from torch import", "x = 1 ≤ 2", "x = [(\n]", "x.1",
]


@pytest.mark.parametrize("text", SNIPPETS + [p.read_text(encoding="utf-8") for p in GOLDEN + EXAMPLES],
                         ids=[f"snippet{i}" for i in range(len(SNIPPETS))] + [p.name for p in GOLDEN + EXAMPLES])
def test_the_runtime_parses_as_lark_does(lark_parser, text):
    _same_as_lark(lark_parser, text)


def _fuzz_strategies():
    sys.path.insert(0, str(ROOT / "tests"))
    from test_fuzz import mutated, programs

    return programs, mutated()


_PROGRAMS, _MUTATED = _fuzz_strategies()
_FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much])


@_FUZZ
@given(text=_PROGRAMS)
def test_the_runtime_parses_generated_programs_as_lark_does(lark_parser, text):
    _same_as_lark(lark_parser, text)


@_FUZZ
@given(text=_MUTATED)
def test_the_runtime_parses_mutated_programs_as_lark_does(lark_parser, text):
    _same_as_lark(lark_parser, text)
