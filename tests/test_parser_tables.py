"""The parser tables shipped in tcalc/_grammar_tables.py are those of grammar/tcalc.lark.

tcalc loads the tables at start-up instead of compiling the grammar. If this fails after a
change to the grammar, run `python tools/gen_parser_tables.py` and commit the result.
"""
from __future__ import annotations

import ast as pyast
from pathlib import Path

import pytest
from lark import Token, Tree

from tcalc import _grammar_tables as tables
from tcalc import parser

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted((ROOT / "tests" / "golden").rglob("*.tc"))
REGENERATE = "the parser tables are stale: run `python tools/gen_parser_tables.py` and commit them"


def test_tables_are_made_from_the_grammar():
    assert tables.GRAMMAR == parser._grammar_path().read_text(encoding="utf-8"), REGENERATE


def test_tables_are_made_with_the_parser_options():
    stored = tables.DATA["options"]
    for name, value in parser.LARK_OPTIONS.items():
        assert stored[name] == value, REGENERATE


def test_tables_are_plain_data():
    """No pickle, no code: the tables survive a literal-only reading."""
    source = (ROOT / "tcalc" / "_grammar_tables.py").read_text(encoding="utf-8")
    module = pyast.parse(source)
    for node in module.body:
        if isinstance(node, pyast.Assign):
            pyast.literal_eval(node.value)


def test_the_parser_is_loaded_from_the_tables():
    assert parser._lark().source_path == "<deserialized>"


def _shape(node):
    """A tree with every token and node position, to compare two parsers' answers."""
    if isinstance(node, Token):
        return ("token", node.type, str(node), node.line, node.column, node.end_line, node.end_column)
    if isinstance(node, Tree):
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
