"""tcalc.parser's fast path (the AST built at the parser's reductions, tcalc/to_ast.py's
Reductions) gives what the tree and the top-down pass give: the same nodes, every node at
the same place (spans and operator spans), the same height against --max-depth; and where
it cannot (any error), it steps aside so that the error is the one that pass finds.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tcalc import ast, limits, parser
from tcalc.errors import TcalcError
from tcalc.to_ast import ToAst

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from test_parser_tables import _FUZZ, _MUTATED, _PROGRAMS  # noqa: E402  (the same generated text)

PROGRAMS = sorted((ROOT / "tests" / "golden").rglob("*.tc")) + sorted((ROOT / "examples").glob("*.tc"))


def _reference(text: str):
    """The tree and the top-down pass, as tcalc parsed before the fast path."""
    tree = parser.parse_tree(text)
    return ToAst(text, parser._parse_expression).program(tree), tree.height


def _same(a, b, where="program") -> None:
    assert type(a) is type(b), where
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
        return
    if not isinstance(a, ast.Node):
        assert a == b, where
        return
    assert a.span == b.span, f"{where}: {a.span} != {b.span}"
    if isinstance(a, ast.BinOp):
        assert a.op_span == b.op_span, where
    for name in a._fields:
        _same(getattr(a, name), getattr(b, name), f"{where}.{type(a).__name__}.{name}")


def _check(text: str) -> None:
    if not text.endswith("\n"):
        text += "\n"
    try:
        expected, height = _reference(text)
    except Exception:  # an error: the fast path must step aside
        assert parser._parse_fast(text) is None, text
        return
    got = parser._parse_fast(text)
    if height > limits.LIMITS.max_depth + 2:
        assert got is None, text
        return
    assert got is not None, text
    _same(got, expected)
    reductions = parser._reductions()
    reductions.begin(text, parser._parse_expression)
    assert parser._parser().parse_fast(text, reductions.actions)[1] == height, text


SNIPPETS = [
    "x = 1 + 2 * 3 ** -4 // 5 % 6 @ y\n",
    "a, b = f(x, dim=0)[1:3, ::2, ..., None, -1], not a or b and c if d else e\n",
    "X[0] += [1, (2, 3), []]; import torch\n", "x[1,]; x[1, # c\n]; x[(1,)]\n",
    "t = tensor([[1., 2.],\n  [3., 4.]])  # comment\n", "f(x, y) = x @ y.T\n",
    "a = (1,\n 2)\nb = [\n]\nc = (\n)\n\n\nd = x[1,]; e = x[:]; f = x[::]\n",
    "import torch as t\nfrom torch import *\nimport numpy\nfrom a.b import (c as d, e,)\n",
    "x = 'a\\'b' + \"c\" \\\n + 1_000 + 1e-3 + .5 + 2. + 0x1\n", "s = f'{x!r:>{w}} {y=}' 'z'\n",
    "def f(a, b=2, *c, **d):\n    for i in a:\n        if i:\n            break\n        continue\n    else:\n"
    "        return 1\n    return [x for x in a if x for y in b], {k: v for k, v in d}, {1, *c}, (y for y in a)\n",
    "while x:\n    x -= 1\nelse:\n    pass\nwith a as b, c:\n    del b, d[0]\n",
    "if a:\n    b\nelif c:\n    d\nelif e: f\nelse:\n    g\n", "lambda: 0\nh = lambda x, *y: x if y else -x\n",
    "global a, b\nassert x, 'm'\n%matplotlib inline\nx = y = z\ng(*a, **b, c=1)\nf(x for x in y)\n",
    "((((((x))))))[0][1].a.b(c)(d)\n", "a < b <= c is not d not in e in f is g\n", "", "\n\n# only\n",
    # errors, some only the pass finds, some in the order the pass finds them
    "return 1\n", "break\n", "for x in y:\n    pass\nelse:\n    break\n", "while 1:\n    def f():\n        break\n",
    "def f():\n    for x in y:\n        return 1\nreturn 2\n", "1 = 2\nx = 10 ** 99999999999999999999\n",
    "f(a=1, 2)\n", "f(1 for x in y, 2)\n", "x = (1 +\n", "x = 'abc", "x = b'a'\n", "a, *b, *c = d\n",
    "def f(a, a): pass\n", "x = 1\n  y = 2\n", "if x:\n    y\n  z\n",
    "x = " + "(" * 250 + "1" + ")" * 250 + "\n", "x = " + "-" * 300 + "1\n", "x = a" + ".b" * 300 + "\n",
    "x = " + " + ".join(["1"] * 500) + "\n", "x = " + " or ".join(["a"] * 300) + "\n",
]


@pytest.mark.parametrize("text", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_snippets(text):
    _check(text)


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_programs(path):
    _check(path.read_text(encoding="utf-8"))


def test_max_depth_raised_takes_the_tree(monkeypatch):
    """Deeper than the default limit, the top-down pass (and its RecursionError refusal) decides."""
    text = "x = " + "(" * 250 + "1" + ")" * 250 + "\n"
    monkeypatch.setattr(limits.LIMITS, "max_depth", 400)
    assert parser._parse_fast(text) is None
    assert isinstance(parser.parse(text).statements[0], ast.Assign)


def test_errors_are_the_passes():
    for text in ("return 1\n", "x = 10 ** 99999999999999999999\n1 = 2\n", "x = (1 +\n"):
        with pytest.raises(TcalcError) as fast:
            parser.parse(text)
        with pytest.raises(TcalcError) as reference:
            _reference(text) if "(" not in text else parser._parse(text)
        assert str(fast.value) == str(reference.value)


@_FUZZ
@given(text=_PROGRAMS)
def test_generated_programs(text):
    _check(text)


@_FUZZ
@given(text=_MUTATED)
def test_mutated_programs(text):
    _check(text)


@_FUZZ
@given(text=st.text(alphabet="ab1(),[]:=+-*. \n\t;#'\"fi", max_size=60))
def test_arbitrary_text(text):
    _check(text)
