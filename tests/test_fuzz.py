"""Fuzzing: whatever a person types, tcalc answers with a value or a TcalcError.

Four sources of input:
- programs drawn from grammar/tcalc.lark itself (hypothesis' from_lark), with names from
  the real vocabulary;
- programs generated over the real vocabulary (every builtin function, tensor method and
  attribute in tcalc.builtins) with small sizes, well-typed more often than not;
- valid programs mutated: characters inserted, deleted, duplicated, brackets unbalanced;
- arbitrary unicode text.

Each input must end in values or a TcalcError whose kind is not "internal error" and whose
diagnostic renders; never another exception, never a hang. A statement that fails must leave
the session's variables as they were (names, tensor contents, requires_grad, grad).

CI runs a bounded number of examples. For a long run:

    TCALC_FUZZ_EXAMPLES=20000 python3 -m pytest -q tests/test_fuzz.py

Every crash found becomes a test in tests/test_regressions.py.
"""
from __future__ import annotations

import os
import signal
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcalc import builtins, evaluator, limits
from tcalc.errors import TcalcError
from tcalc.evaluator import Session
from tcalc.parser import parse
from tcalc.render import error_text, value_text
from tcalc.tensor import Tensor

EXAMPLES = int(os.environ.get("TCALC_FUZZ_EXAMPLES", "0")) or None
HANG_SECONDS = 20  # one small example taking this long is a hang, not slowness

FUZZ = settings(max_examples=EXAMPLES or 500, deadline=None, derandomize=EXAMPLES is None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

PRELUDE = """x = arange(6.0)
M = arange(6.0).reshape(2, 3)
i = arange(4)
b = tensor([True, False, True])
s = tensor(2.0, requires_grad=True)
w = ones(3, requires_grad=True)
f(t) = t * 2 + 1
n = 3
"""
VARIABLES = ("x", "M", "i", "b", "s", "w", "n", "f")


# ---- generated programs -----------------------------------------------------------------

def _names(table) -> list[str]:
    return sorted(name for name in table if not name.startswith("_"))


FUNCTIONS = _names(builtins.FUNCTIONS) + ["torch." + n for n in ("float32", "float", "long", "linalg.norm")]
METHODS = _names(builtins.METHODS)
ATTRIBUTES = _names(builtins.ATTRIBUTES)
BINARY = ["+", "-", "*", "/", "//", "%", "**", "@", "&", "|", "^", "==", "<", ">=", "!=", "and", "or"]

leaves = st.one_of(
    st.integers(-2, 4).map(str),
    st.sampled_from(["0.5", "2.5", "-1.0", "1e-3", ".5", "2.", "True", "False", "None", "pi",
                     "'cpu'", "float64", "torch.int32"]),
    st.sampled_from(VARIABLES),
    st.sampled_from(["arange(4)", "arange(6.0).reshape(2, 3)", "zeros(2, 2)", "ones(3)",
                     "tensor([1.5, -2.0])", "tensor([[1, 2], [3, 4]])", "randn(2, 3)",
                     "tensor(3.0, requires_grad=True)", "torch.tensor([])"]),
)


def _arguments(children):
    keyword = st.sampled_from(["dim=0", "dim=-1", "keepdim=True", "dtype=float64", "axis=1",
                               "requires_grad=True", "retain_graph=True", "gradient=ones(3)"])
    return st.tuples(st.lists(children, max_size=2), st.lists(keyword, max_size=1, unique=True)).map(
        lambda t: ", ".join(t[0] + t[1]))


def _extend(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(BINARY), children).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(st.sampled_from(["-", "+", "~"]), children).map("".join),
        children.map(lambda c: f"(not {c})"),
        st.tuples(st.sampled_from(FUNCTIONS), _arguments(children)).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(children, st.sampled_from(METHODS), _arguments(children)).map(
            lambda t: f"({t[0]}).{t[1]}({t[2]})"),
        st.tuples(children, st.sampled_from(ATTRIBUTES)).map(lambda t: f"({t[0]}).{t[1]}"),
        st.tuples(children, st.lists(st.one_of(children, st.sampled_from(
            [":", "::2", "1:", ":-1", "None", "...", "0", "-1"])), min_size=1, max_size=3)).map(
            lambda t: f"({t[0]})[{', '.join(t[1])}]"),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.lists(children, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(children, min_size=2, max_size=3).map(lambda items: "(" + ", ".join(items) + ")"),
        st.tuples(st.sampled_from(["grad(f)", "grad(grad(f))", "f"]), children).map(
            lambda t: f"{t[0]}({t[1]})"),
    )


expressions = st.recursive(leaves, _extend, max_leaves=10)
targets = st.sampled_from(["y", "x", "M", "i", "s", "w", "a, c", "x[0]", "M[:, 1]", "i[i > 1]",
                           "w.requires_grad", "x.grad", "g(t)", "f(t)"])
statements = st.one_of(
    expressions,
    st.tuples(targets, expressions).map(lambda t: f"{t[0]} = {t[1]}"),
    st.tuples(st.sampled_from(["x", "M", "i", "n", "x[1:]", "s"]), st.sampled_from(["+=", "-=", "*=", "/="]),
              expressions).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
    st.sampled_from(["import torch", "y.backward()", "(s * s).backward()", "w.sum().backward()",
                     "x.add_(1), 1/0"]),
)
programs = st.lists(st.tuples(statements, st.sampled_from(["\n", "; ", ";\n"])), min_size=1, max_size=5).map(
    lambda items: "".join(s + sep for s, sep in items))




# ---- programs drawn from the grammar itself ---------------------------------------------

def _grammar_programs():
    """Every syntactic form of grammar/tcalc.lark, drawn by hypothesis' from_lark.

    Comments and line continuations are left out of what may separate tokens (a comment
    drawn between two tokens would swallow the rest of the line), and terminals are drawn
    from the real vocabulary and small numbers, so that most programs reach evaluation.
    """
    import lark
    from hypothesis.extra.lark import from_lark

    from tcalc.parser import _grammar_text

    text = _grammar_text()
    text = text.replace("%ignore COMMENT", "").replace("%ignore LINE_CONTINUATION", "")
    grammar = lark.Lark(text, parser="lalr")
    names = list(VARIABLES) + [n for n in FUNCTIONS if "." not in n] + METHODS + ATTRIBUTES
    return from_lark(grammar, start="start", explicit={
        "NAME": st.sampled_from(sorted(set(names)) + ["torch", "linalg", "y", "g", "t"]),
        "INT": st.sampled_from(["0", "1", "2", "3", "-1", "10", "1_0"]),
        "FLOAT": st.sampled_from(["0.5", "2.", ".5", "1e-3", "3.0e2"]),
        "STRING": st.sampled_from(["'cpu'", '"floor"', "'fro'", "''", r"r'\d'", "'''two\nlines'''"]),
        "FSTRING": st.sampled_from(["f'{x}'", 'f"{x:.2f}"', "f'{1 + 2!r:>5}'", "f'{x=}'", "f'{{}}'"]),
        "MAGIC": st.just("%matplotlib inline"),
        "WS": st.just(" "),
        # Blocks: the post-lexer's tokens are drawn as marks, then laid out as indentation.
        "_NL": st.just("\n"),
        "_INDENT": st.just(_INDENT_MARK),
        "_DEDENT": st.just(_DEDENT_MARK),
    }).map(_lay_out)


_INDENT_MARK, _DEDENT_MARK = "\x01", "\x02"


def _lay_out(text: str) -> str:
    """Indentation for the blocks from_lark drew: each line starts at its block's depth."""
    out, depth, line_start = [], 0, True
    for ch in text:
        if ch == _INDENT_MARK:
            depth += 1
        elif ch == _DEDENT_MARK:
            depth = max(depth - 1, 0)
        else:
            if line_start and ch != "\n":
                out.append("    " * depth)
                line_start = False
            out.append(ch)
            line_start = line_start or ch == "\n"
    return "".join(out)


# ---- mutated and arbitrary text --------------------------------------------------------

GOLDEN = Path(__file__).parent / "golden"
SEEDS = [p.read_text(encoding="utf-8") for p in sorted(GOLDEN.rglob("*.tc"))][:12] + [
    "x = arange(12).reshape(3, 4)\nx.sum(axis=0), x.T @ x\n",
    "f(x) = x ** 2 + 1\ngrad(f)(tensor(3.0))\n",
    "w = tensor([1., 2.], requires_grad=True)\ny = (w * w).sum()\ny.backward()\nw.grad\n",
]
NOISE = list("()[]{},:;.=+-*/%@<>!&|^~#'\"\\\n\t 0123456789eExT_") + [
    "**", "//", "...", "==", "+=", "if", "else", "not", "None", "torch.", "×", "²", "é", "张",
    "\u200b", "\x00", "\x1b[31m", "\ufeff", "𝑥", "\r\n", "9" * 30, "lambda", "__class__"]


@st.composite
def mutated(draw):
    text = draw(st.one_of(st.sampled_from(SEEDS), programs))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate", "replace"]))
        if action == "insert":
            text = text[:pos] + draw(st.sampled_from(NOISE)) + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 8)):]
        elif action == "duplicate":
            end = min(len(text), pos + draw(st.integers(1, 20)))
            text = text[:end] + text[pos:end] + text[end:]
        else:
            text = text[:pos] + draw(st.characters()) + text[pos + 1:]
    return text


brackets = st.text(alphabet="()[]{},:;.x1+* \n'\"#\\", max_size=40)


# ---- the property --------------------------------------------------------------------------

@contextmanager
def small_limits():
    """Small sizes keep every example quick: anything larger is refused by a limit."""
    saved = limits.current()
    limits.configure(dict(max_elements=100_000, max_total_elements=1_000_000, max_list_items=10_000,
                          max_int_digits=400, max_recursion=40))
    try:
        yield
    finally:
        limits.configure(saved)


class EndlessLoop(KeyboardInterrupt):
    """The program's own loop, still going round when the time is up (`while f: ...` with a
    truthy f from the grammar, as Python would run it forever): stopped as Ctrl-C stops it."""


LOOPING_BLOCKS = 1_000  # blocks run in one example: a loop going round, not a stuck statement


@contextmanager
def hang_guard(session: Session | None = None, seconds: int = HANG_SECONDS):
    """A 20 s alarm. Time up inside a loop that keeps running its body is the program's
    endless loop, and is stopped as Ctrl-C would stop it (the example then checks that tcalc
    stops cleanly); anything else is a hang."""
    blocks = [0]
    if session is not None:
        suite = session._suite

        def counting_suite(statements, scope):
            blocks[0] += 1
            return suite(statements, scope)

        session._suite = counting_suite

    def alarm(signum, frame):
        if blocks[0] >= LOOPING_BLOCKS:
            raise EndlessLoop
        raise AssertionError(f"an example ran longer than {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _state(session: Session) -> dict:
    """What a user could observe of their variables."""
    state = {}
    for name, value in session.globals.items():
        if type(value) is Tensor:
            grad = value.grad
            state[name] = (id(value), value.data.copy(), value.data.dtype, value.requires_grad,
                           None if grad is None else grad.data.copy())
        else:
            state[name] = (id(value),)
    return state


def _same(before: dict, after: dict) -> bool:
    if before.keys() != after.keys():
        return False
    for name, old in before.items():
        new = after[name]
        if len(old) != len(new) or old[0] != new[0]:
            return False
        if len(old) > 1:
            if old[2] != new[2] or old[3] != new[3] or old[1].shape != new[1].shape:
                return False
            if not np.array_equal(old[1], new[1], equal_nan=old[1].dtype.kind == "f"):
                return False
            if (old[4] is None) != (new[4] is None) or (
                    old[4] is not None and not np.array_equal(old[4], new[4], equal_nan=True)):
                return False
    return True


def check(source: str, prelude: bool = True, seconds: int = HANG_SECONDS) -> Session:
    """Run `source` statement by statement; assert the contract on every outcome."""
    session = Session()
    with small_limits(), hang_guard(session, seconds):
        if prelude:
            list(session.run(PRELUDE))
        try:
            program = parse(source)
        except TcalcError as err:
            _check_error(err, source)
            return session
        try:
            for statement in program.statements:
                before = _state(session)
                try:
                    value = session.execute(statement)
                    if value is not None:
                        assert isinstance(value_text(value), str)
                except TcalcError as err:
                    _check_error(err, source)
                    # (in a block, the statements before the error stay done, as in Python)
                    assert type(statement) in evaluator._COMPOUND or _same(before, _state(session)), \
                        f"a failed statement changed variables: {source!r}"
                    return session
        except EndlessLoop:
            pass  # stopped as Ctrl-C stops it: what the loop did before stays done, as in Python
    return session


def _check_error(err: TcalcError, source: str) -> None:
    assert err.kind != "internal error", f"{err.message}\n--- program ---\n{source}"
    text = error_text(err, source, "<fuzz>")
    assert text.startswith("<fuzz>") and err.kind in text


def test_the_programs_own_endless_loop_is_stopped_not_called_a_hang():
    """The grammar makes `while <a truthy lambda>: ...`, which Python too runs forever: the
    guard stops it as Ctrl-C does, and the session goes on."""
    session = check("while lambda **M: M:\n    n = n + 1", seconds=1)
    assert session.globals["n"] > 3
    assert list(session.run("n * 0")) == [0]


@FUZZ
@given(programs)
def test_generated_programs(source):
    check(source)


@FUZZ
@given(st.deferred(_grammar_programs))
def test_programs_from_the_grammar(source):
    check(source)


@FUZZ
@given(mutated())
def test_mutated_programs(source):
    check(source)


@FUZZ
@given(st.text(max_size=80))
def test_arbitrary_text(source):
    check(source, prelude=False)


@FUZZ
@given(brackets)
def test_unbalanced_brackets(source):
    check(source, prelude=False)


@pytest.mark.parametrize("depth", [150, 5_000])
def test_deep_nesting_is_refused_or_answered(depth):
    for opener, closer in (("(", ")"), ("[", "]"), ("-", ""), ("f(", ")"), ("x[", "]"), ("2 ** ", "")):
        check(opener * depth + "1" + closer * depth)
