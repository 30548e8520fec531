"""The parser tables shipped in tcalc/_grammar_tables.py are those of grammar/tcalc.lark.

tcalc loads the tables at start-up instead of compiling the grammar. If this fails after a
change to the grammar, run `python tools/gen_parser_tables.py` and commit the result.

tcalc parses with its own runtime (tcalc/_lalr.py) and asks lark only about text with a
syntax error: both must give the same tree, the same AST and the same spans.
"""
from __future__ import annotations

import ast as pyast
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from lark import Token, Tree

from tcalc import _grammar_tables as tables
from tcalc import _lalr, parser
from tcalc import ast as tast
from tcalc.errors import TcalcError

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted((ROOT / "tests" / "golden").rglob("*.tc"))
EXAMPLES = sorted((ROOT / "examples").glob("*.tc"))
REGENERATE = "the parser tables are stale: run `python tools/gen_parser_tables.py` and commit them"


def test_tables_are_made_from_the_grammar():
    assert tables.GRAMMAR == parser._grammar_path().read_text(encoding="utf-8"), REGENERATE


def test_tables_are_made_with_the_parser_options():
    stored = tables.lark_data()[0]["options"]
    for name, value in parser.LARK_OPTIONS.items():
        assert stored[name] == value, REGENERATE


def test_tables_are_plain_data():
    """No pickle, no code: the tables survive a literal-only reading."""
    source = (ROOT / "tcalc" / "_grammar_tables.py").read_text(encoding="utf-8")
    module = pyast.parse(source)
    for node in module.body:
        if isinstance(node, pyast.Assign):
            pyast.literal_eval(node.value)
        elif isinstance(node, pyast.FunctionDef):  # lark_data(): a docstring and literals
            assert [type(statement) for statement in node.body] == [pyast.Expr, pyast.Return]
            pyast.literal_eval(node.body[1].value)


def test_the_parser_is_loaded_from_the_tables():
    assert parser._lark().source_path == "<deserialized>"


def _shape(node):
    """A tree with every token and node position, to compare two parsers' answers."""
    if isinstance(node, (Token, _lalr.Token)):
        return ("token", node.type, str(node), node.line, node.column, node.end_line, node.end_column)
    if isinstance(node, (Tree, _lalr.Tree)):
        meta = node.meta
        where = (getattr(meta, "line", None), getattr(meta, "column", None),
                 getattr(meta, "end_line", None), getattr(meta, "end_column", None))
        return (str(node.data), where, tuple(_shape(c) for c in node.children))
    return node


def _outcome(lark_parser, text):
    try:
        return _shape(lark_parser.parse(text))
    except Exception as err:  # a syntax error must be the same error at the same place
        return (type(err).__name__, getattr(err, "line", None), getattr(err, "column", None),
                sorted(getattr(err, "expected", None) or getattr(err, "allowed", None) or ()))


@pytest.fixture(scope="module")
def compiled():
    return parser.compile_grammar(parser._grammar_path().read_text(encoding="utf-8"))


SNIPPETS = [
    "x = 1 + 2 * 3 ** -4 // 5 % 6 @ y\n",
    "a, b = f(x, dim=0)[1:3, ::2, ..., None, -1], not a or b and c if d else e\n",
    "X[0] += [1, (2, 3), []]; import torch\n",
    "t = tensor([[1., 2.],\n  [3., 4.]])  # comment\n",
    "f(x, y) = x @ y.T\n",
    "x = (1 +\n",
    "1 +* 2\n",
    "y = $\n",
    "a[1:2:]] = 3\n",
]


@pytest.mark.parametrize("text", SNIPPETS + [p.read_text(encoding="utf-8") for p in GOLDEN],
                         ids=[f"snippet{i}" for i in range(len(SNIPPETS))] + [p.name for p in GOLDEN])
def test_tables_parse_as_the_grammar_does(compiled, text):
    """Same trees, same positions, same syntax errors as a parser compiled from the grammar."""
    if not text.endswith("\n"):
        text += "\n"
    assert _outcome(parser._lark(), text) == _outcome(compiled, text)


def test_the_runtime_tables_are_plain_data():
    assert set(tables.RUNTIME) >= {"lexers", "state_lexer", "actions", "rules", "start_state", "end_state"}


def _ast_shape(node):
    """An AST with every field and every span."""
    if isinstance(node, tast.Node):
        spans = (node.span, getattr(node, "op_span", None))
        fields = [name for cls in type(node).__mro__ for name in getattr(cls, "__slots__", ())]
        return (type(node).__name__, spans, tuple((f, _ast_shape(getattr(node, f))) for f in fields if f != "span"))
    if isinstance(node, tuple):
        return tuple(_ast_shape(item) for item in node)
    return (type(node).__name__, repr(node))


def _lark_ast(text):
    """The AST through lark's parser, as tcalc built it before its own runtime."""
    try:
        tree = parser._lark().parse(text)
    except Exception as err:
        return ("syntax error", type(err).__name__)
    try:
        return _ast_shape(parser._ToAst(text).program(tree))
    except TcalcError as err:
        return ("error", err.message, err.span)


def _fast_ast(text):
    try:
        tree = parser._fast().parse(text)
    except _lalr.SyntaxFallback:
        return ("syntax error", "fallback")
    try:
        return _ast_shape(parser._ToAst(text).program(tree))
    except TcalcError as err:
        return ("error", err.message, err.span)


def _same_as_lark(text):
    if not text.endswith("\n"):
        text += "\n"
    fast, slow = _fast_ast(text), _lark_ast(text)
    if fast[0] == "syntax error":  # the runtime gives up exactly where lark reports an error
        assert slow[0] == "syntax error", text
        return
    assert fast == slow, text
    assert _shape(parser._fast().parse(text)) == _shape(parser._lark().parse(text)), text


def test_the_runtime_is_used():
    assert parser._fast() is not None
    assert isinstance(parser.parse_tree("x = 1\n"), _lalr.Tree)


@pytest.mark.parametrize("path", GOLDEN + EXAMPLES, ids=[p.name for p in GOLDEN + EXAMPLES])
def test_the_runtime_parses_files_as_lark_does(path):
    _same_as_lark(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", SNIPPETS + [
    "if = 1\nx = iffy if a else b\nx elsewhere\nnot_ = True; Trueish = None\n",
    "a = (1,\n 2)\nb = [\n]\nc = (\n)\n\n\nd = x[1,]; e = x[:]; f = x[::]\n",
    "import torch as t\nfrom torch import *\nimport numpy\n",
    "x = 'a\\'b' + \"c\" \\\n + 1_000 + 1e-3 + .5 + 2. + 0x1\n",
    "f(x, x) = 1\ng(x, y=1) = 2\n1 = 2\nh(a)(b) += 1\n",
    "x\n) (\n", "", "\n\n# only a comment", "x = [1, 2,]\ny = (1,)\nz = 1, 2,\n",
])
def test_the_runtime_parses_snippets_as_lark_does(text):
    _same_as_lark(text)


def _fuzz_strategies():
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from test_fuzz import mutated, programs

    return programs, mutated()


_PROGRAMS, _MUTATED = _fuzz_strategies()
_FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much])


@_FUZZ
@given(_PROGRAMS)
def test_the_runtime_parses_generated_programs_as_lark_does(text):
    _same_as_lark(text)


@_FUZZ
@given(_MUTATED)
def test_the_runtime_parses_mutated_programs_as_lark_does(text):
    _same_as_lark(text)
