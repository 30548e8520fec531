"""The evaluator's fast path for plain float arithmetic (tcalc.fast_path) gives what the
general path gives: the same values to the bit, dtypes, printed text and errors, and the
limits still hold. Each program runs twice, once with the fast path switched off."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import run_program
from hypothesis import given, settings
from hypothesis import strategies as st

from tcalc import fast_path, limits
from tcalc.evaluator import Session
from tcalc.parser import parse

PRELUDE = """\
a = tensor([1.5, -2.0, 3.25])
b = tensor([0.5, 4.0, -1.0])
s = tensor(2.5)
d = tensor([1.0, 2.0, 3.0], dtype=torch.float64)
h = tensor([1.0, 2.0, 3.0], dtype=torch.float16)
k = arange(3)
g = tensor([1.0, 2.0, 3.0], requires_grad=True)
n = 7
"""

leaves = st.sampled_from(["a", "b", "s", "d", "h", "k", "g", "n", "2", "0.5", "-3", "True", "1e30",
                          "2**70", "a[0]", "undefined_name"])


def expressions():
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "//"]), inner)
            .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(st.sampled_from(["exp", "sin", "log", "tanh", "sqrt", "torch.exp", "abs", "print"]),
                      inner).map(lambda t: f"{t[0]}({t[1]})"),
            inner.map(lambda e: f"{e}.sum()"),
        ),
        max_leaves=8)


def outcome(source: str, fast: bool) -> tuple:
    """What a user sees of each statement (text, or the error's kind, message and place),
    and the bits of the session's tensors after it."""
    with pytest.MonkeyPatch.context() as m:
        if not fast:
            m.setattr(fast_path, "evaluate", lambda node, names, scope: fast_path.NOT_FAST)
        session = Session()
        run_program(PRELUDE, session)
        printed, error = run_program(source, session)
        tensors = {name: v for name, v in session.globals.items() if type(v).__name__ == "Tensor"}
        # Which names hold one tensor object (`y = x` binds x's own tensor).
        same = {name: tuple(sorted(n for n, w in tensors.items() if w is v)) for name, v in tensors.items()}
        state = {name: (type(v.data).__name__, v.data.dtype.str, v.data.tobytes(), v.requires_grad, same[name])
                 for name, v in tensors.items()}
    seen = (printed, None if error is None else (error.kind, error.message, error.span))
    return seen, state


@settings(max_examples=300, deadline=None)
@given(expressions(), st.booleans())
def test_fast_path_answers_as_the_general_path(expression, in_loop):
    source = f"for i in range(3):\n    r = {expression}\nr" if in_loop else f"r = {expression}\nr"
    assert outcome(source, True) == outcome(source, False), source


# Operands the fast path takes, and values that change between rounds what its compiled
# programs were made for (a tensor's dtype and shape, a number's type, what `exp` is).
fast_leaves = st.sampled_from(["a", "b", "s", "d", "n", "x", "i", "2", "0.5", "3.0", "e"])
ROUNDS = """\
for i, x, e, n in [(0, a, exp, 7), (1, a, exp, 300), (2, s, exp, 0.5), (3, d, sin, 2**70),
                   (4, b, exp, 16777217), (5, d, exp, -9007199254740993), (6, tensor([1.0, 2.0]), exp, 7)]:
"""


def fast_expressions():
    return st.recursive(
        fast_leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner)
            .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(st.sampled_from(["exp", "sqrt", "torch.exp", "torch.tanh", "e"]), inner)
            .map(lambda t: f"{t[0]}({t[1]})"),
            inner.map(lambda e: f"{e}.sum()"),
        ),
        max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(fast_expressions())
def test_compiled_expressions_answer_as_the_general_path_as_their_operands_change(expression):
    """Each round changes what some names hold, so a program made for one round's values
    meets others: it must be remade, or refused, never run on what it was not made for."""
    source = f"{ROUNDS}    r = {expression}\n    print(r)\nr"
    assert outcome(source, True) == outcome(source, False), source


def test_elementwise_kernels_keep_dtype_and_shape():
    """The fast path's programs are made from the operands' dtypes and shapes alone, which
    holds as each function it takes gives an array of its operand's dtype and shape (a 0-d
    one may give a NumPy scalar, which the programs make an array)."""
    from tcalc import ops
    from tcalc.ops import elementwise

    functions = [f for f in vars(elementwise).values() if callable(f) and ops.elementwise_op(f)]
    assert len(functions) > 20
    for function in functions:
        forward = ops.elementwise_op(function).forward
        for dtype in (np.float32, np.float64):
            for shape in ((3,), (2, 2), ()):
                out = forward(np.full(shape, 0.5, dtype=dtype))
                assert np.asarray(out).dtype == dtype and np.shape(out) == shape, function
                assert type(out) is np.ndarray or shape == (), function


def test_an_expression_is_compiled_when_evaluated_again_and_kept_on_its_node():
    """A statement run once (a script's line) is not compiled: that would not pay."""
    session = Session()
    run_program(PRELUDE, session)
    node = parse("r = a * 2 + n").statements[0].value
    assert fast_path.evaluate(node, session.globals, None) is fast_path.NOT_FAST
    first = fast_path.evaluate(node, session.globals, None)
    plan = node._fast
    second = fast_path.evaluate(node, session.globals, None)
    assert node._fast is plan and plan is not None and first is not second
    assert np.array_equal(first.data, second.data) and first.data.dtype == np.float32
    session.globals["a"] = session.globals["d"]  # another dtype: another program, same plan
    assert fast_path.evaluate(node, session.globals, None).data.dtype == np.float64
    assert node._fast is plan


@pytest.mark.parametrize("source", [
    "r = a * 2 + n",
    "r = (a * n) / (s + n) - 2.5 * n",
    "r = exp(exp(s * 2)) + s.sum()",
    "r = exp(-a) / (1 + (b * a).sum())",
    "r = torch.exp(d) - d * 0.5",
    "r = s * a - 3",
    "with torch.no_grad():\n    r = g * 2",
])
def test_the_fast_path_takes_plain_float_arithmetic(source, monkeypatch):
    """These go the fast way (a switch-off would change nothing visible otherwise)."""
    taken = []
    evaluate = fast_path.evaluate

    def counting(node, names, scope):
        value = evaluate(node, names, scope)
        taken.append(value is not fast_path.NOT_FAST)
        return value

    monkeypatch.setattr(fast_path, "evaluate", counting)
    session = Session()
    run_program(PRELUDE, session)
    program = parse(source)  # run twice, as a loop's body: compiled the second time
    for _ in range(2):
        for statement in program.statements:
            session.execute(statement)
    assert any(taken), (source, taken)
    assert type(session.globals["r"]).__name__ == "Tensor"


@pytest.mark.parametrize("source", ["r = g * 2", "r = h * 2", "r = k + 1", "r = a + d", "r = 2 / a",
                                    "r = a * tensor([[1.0], [2.0]])"])
def test_what_the_fast_path_leaves_to_the_general_one(source):
    """A graph to record, float16, integers, promotion, `number / tensor` (a reciprocal in
    PyTorch), broadcasting."""
    session = Session()
    run_program(PRELUDE, session)
    statement = parse(source).statements[0]
    for _ in range(2):  # the first time is always the general path's
        assert fast_path.evaluate(statement.value, session.globals, None) is fast_path.NOT_FAST


def test_the_session_limit_holds_in_a_fast_loop():
    limits.configure({"max_total_elements": 1_000})
    try:
        printed, error = run_program("a = zeros(400)\nfor i in range(3):\n    b = a * 2 + i\n    c = b + a")
        assert error is not None and "max_total_elements" in error.message and error.span is not None
    finally:
        limits.configure({"max_total_elements": limits.BY_NAME["max_total_elements"].default})


def test_a_fast_statement_after_a_failed_one_keeps_the_session():
    session = Session()
    run_program(PRELUDE, session)
    before = session.globals["a"].data.copy()
    printed, error = run_program("for i in range(3):\n    a = a * 2\n    x = a + undefined_name", session)
    assert error is not None and error.kind == "name error"
    # The first round's `a = a * 2` stays done, as in Python; the failed statement bound nothing.
    assert np.array_equal(session.globals["a"].data, before * 2) and "x" not in session.globals


def test_a_name_assigned_in_a_loop_is_the_same_tensor():
    """`y = x` binds x's tensor itself, as Python does, in a block as at the top level."""
    printed, error = run_program("x = ones(2)\nfor i in range(1):\n    y = x\n    z = (x)\ny is x, z is x, id(y) == id(x)")
    assert error is None and printed == "(True, True, True)\n"


def test_the_fast_kernels_give_the_general_ones_bits():
    """`x.sum()` without sum_of_floats' keywords, and an int operand as the dtype's NumPy
    scalar: the same bits as ops.sum_of_floats and ops.scalar_operand give."""
    from tcalc import ops

    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        for shape in ((), (0,), (1,), (7,), (129,), (1000,), (3, 0), (17, 9), (4, 5, 6)):
            x = (rng.standard_normal(shape) * 1e3).astype(dtype)
            expected = ops.sum_of_floats(x)
            got = fast_path._SUM_ALL(x, None)
            assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes(), (dtype, shape)
        x = (rng.standard_normal(8) * 1e3).astype(dtype)
        for n in (257, -300, 1000, 12345, 16777215, 2 ** 24, -2 ** 24, 2 ** 24 + 1, 0, 3, 0.1, 1e30):
            for kernel in (np.add, np.subtract, np.multiply, np.divide):
                general = kernel(x, ops.scalar_operand(n, x.dtype))
                fast = kernel(x, fast_path._number_operand(n, x.dtype))
                assert fast.dtype == general.dtype and fast.tobytes() == general.tobytes(), (n, kernel)
                general = kernel(ops.scalar_operand(n, x.dtype), x)
                fast = kernel(fast_path._number_operand(n, x.dtype), x)
                assert fast.dtype == general.dtype and fast.tobytes() == general.tobytes(), (n, kernel)
