"""The evaluator's fast path for plain float arithmetic (tcalc.fast_path) gives what the
general path gives: the same values to the bit, dtypes, printed text and errors, and the
limits still hold. Each program runs twice, once with the fast path switched off."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import run_program
from hypothesis import given, settings
from hypothesis import strategies as st

from tcalc import autograd, fast_path, limits
from tcalc.evaluator import Session
from tcalc.parser import parse
from tcalc.tensor import Tensor

PRELUDE = """\
a = tensor([1.5, -2.0, 3.25])
b = tensor([0.5, 4.0, -1.0])
s = tensor(2.5)
d = tensor([1.0, 2.0, 3.0], dtype=torch.float64)
h = tensor([1.0, 2.0, 3.0], dtype=torch.float16)
k = arange(3)
g = tensor([1.0, 2.0, 3.0], requires_grad=True)
n = 7
g2 = tensor([0.5, -1.0, 2.0], requires_grad=True)
m = tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
w = tensor([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]], requires_grad=True)
w2 = tensor([[1.0, -2.0, 0.5], [0.25, 0.75, -1.0]], requires_grad=True)
wd = tensor([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]], dtype=torch.float64, requires_grad=True)
c = tensor([[1.0], [-2.0]])
q = tensor([[0.5, -1.0, 2.0]], requires_grad=True)
((q * q) * tensor([[1.0, 2.0, 3.0]])).sum().backward()
"""

# (c and q broadcast with a, b and m; q.grad is a tensor, g.grad None, a.grad a tensor's None)
leaves = st.sampled_from(["a", "b", "s", "d", "h", "k", "g", "n", "2", "0.5", "-3", "True", "1e30",
                          "2**70", "a[0]", "undefined_name", "m", "w", "wd", "c", "q", "q.grad", "g.grad",
                          "n.grad"])


def expressions():
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "//", "@"]), inner)
            .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(st.sampled_from(["exp", "sin", "log", "tanh", "sqrt", "torch.exp", "abs", "print"]),
                      inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, st.sampled_from(["sum", "mean"])).map(lambda t: f"{t[0]}.{t[1]}()"),
            st.tuples(st.sampled_from(["dot", "torch.mm", "matmul", "torch.dot"]), inner, inner)
            .map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        ),
        max_leaves=8)


def graph(t) -> tuple | None:
    """What a tensor's graph is made of, as a backward reads it: each node's name, params,
    saved versions and freed flag, each input (a number, or a tensor's dtype, shape, flags
    and, for a leaf, which leaf by its id's rank in this walk) and the node it feeds."""
    leaves: dict = {}

    def node(n, depth=0):
        if n is None or depth > 40:
            return None
        inputs = tuple((x if type(x) is not Tensor else
                        (x.data.dtype.str, x.data.shape, x.requires_grad,
                         leaves.setdefault(id(x), len(leaves)) if x.grad_fn is None else None),
                        node(edge, depth + 1)) for x, edge in zip(n.inputs, n.edges))
        return (n.name, repr(sorted(n.params.items())), n.saved and tuple(s[:2] for s in n.saved),
                n.freed, inputs)
    return node(t.grad_fn)


def outcome(source: str, fast: bool) -> tuple:
    """What a user sees of each statement (text, or the error's kind, message and place),
    and the bits of the session's tensors after it."""
    with pytest.MonkeyPatch.context() as m, autograd.grad_mode(True):  # (a program may turn it off)
        if not fast:
            m.setattr(fast_path, "evaluate", lambda node, names, scope: fast_path.NOT_FAST)
            m.setattr(Session, "_fast_update", lambda self, node: False)
        session = Session()
        run_program(PRELUDE, session)
        printed, error = run_program(source, session)
        tensors = {name: v for name, v in session.globals.items() if type(v).__name__ == "Tensor"}
        # Which names hold one tensor object (`y = x` binds x's own tensor).
        same = {name: tuple(sorted(n for n, w in tensors.items() if w is v)) for name, v in tensors.items()}
        state = {name: (type(v.data).__name__, v.data.dtype.str, v.data.tobytes(), v.requires_grad, same[name],
                        None if v.grad is None else (v.grad.data.dtype.str, v.grad.data.tobytes()), graph(v))
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
fast_leaves = st.sampled_from(["a", "b", "s", "d", "n", "x", "i", "2", "0.5", "3.0", "e", "m", "w", "c",
                               "x.grad"])
ROUNDS = """\
for i, x, e, n in [(0, a, exp, 7), (1, a, exp, 300), (2, s, exp, 0.5), (3, d, sin, 2**70),
                   (4, b, exp, 16777217), (5, d, exp, -9007199254740993), (6, tensor([1.0, 2.0]), exp, 7),
                   (7, m, tanh, 2), (8, w, exp, 3), (9, q, exp, 2), (10, c, exp, 0.5), (11, zeros(0, 3), exp, 2)]:
"""


def fast_expressions():
    return st.recursive(
        fast_leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "@"]), inner)
            .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(st.sampled_from(["exp", "sqrt", "torch.exp", "torch.tanh", "e"]), inner)
            .map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, st.sampled_from(["sum", "mean"])).map(lambda t: f"{t[0]}.{t[1]}()"),
            st.tuples(st.sampled_from(["dot", "torch.mm", "matmul", "torch.dot"]), inner, inner)
            .map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
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
    "with torch.no_grad():\n    r = (tanh(m @ w) @ w2) ** 3 - a.sum() ** n",
    "r = g * 2",
    "r = ((tanh(m @ w) @ w2) ** 2).sum()",
    "r = 1 - (g * g2 + s) / 3",
    "r = a + m - c",
    "r = ((m @ w - c) ** 2).mean()",
    "r = (a * m).mean() + a.mean()",
    "with torch.no_grad():\n    r = q - 0.1 * q.grad",
    "r = 2 * dot(g, g)",
    "r = torch.mm(m, w) + matmul(m, w) - (a @ b) * mm(m, w)",
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


@pytest.mark.parametrize("source", ["r = h * 2", "r = k + 1", "r = a + d", "r = 2 / a",
                                    "r = a * tensor([[1.0], [2.0]])", "r = a + tensor([1.0, 2.0])",
                                    "r = g.grad * 2", "r = a.mean(0)"])
def test_what_the_fast_path_leaves_to_the_general_one(source):
    """float16, integers, promotion, `number / tensor` (a reciprocal in
    PyTorch), a call that is not an elementwise function, shapes that do not broadcast (the
    general path's error), a .grad that is None, a reduction over a dim."""
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


# ---- graphs recorded by the fast path ------------------------------------------------------
# Leaves that require grad beside ones that do not, products and powers, each name's value
# changing between rounds: the nodes, saved tensors, grad_fn names and .grad must be the
# general path's, and so must every error.
graph_leaves = st.sampled_from(["g", "g2", "a", "b", "s", "n", "i", "2", "0.5", "x", "y", "q", "c"])
GRAPH_ROUNDS = """\
for i, x, y, e in [(0, g, g2, tanh), (1, g, a, exp), (2, a, b, tanh), (3, g2, s, tanh), (4, d, d, exp),
                   (5, tensor(1.5, requires_grad=True), g, sin), (6, q, m, exp), (7, g, c, tanh)]:
"""


def graph_expressions():
    return st.recursive(
        graph_leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner)
            .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, st.sampled_from(["2", "3", "0.5", "n", "i"])).map(lambda t: f"({t[0]} ** {t[1]})"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(st.sampled_from(["tanh", "exp", "torch.sin", "e"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, st.sampled_from(["sum", "mean"])).map(lambda t: f"{t[0]}.{t[1]}()"),
            st.tuples(st.sampled_from(["dot", "torch.mm", "matmul", "torch.dot"]), inner, inner)
            .map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        ),
        max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(graph_expressions(), st.sampled_from(["plain", "retain", "twice", "no_grad", "toggle"]))
def test_recorded_graphs_are_the_general_paths(expression, how):
    """The same statement evaluated round after round (compiled at the second), then a
    backward from it: a second backward through the freed graph, retain_graph, no_grad and
    requires_grad_ switched between rounds, so that a program made for one round's values
    must not be run for another's."""
    backward = {"plain": "r.sum().backward()",
                "retain": "r.sum().backward(retain_graph=True)\n    r.sum().backward()",
                "twice": "q = r.sum()\n    q.backward()\n    q.backward()",
                "no_grad": "r.sum().backward() if i % 2 else None",
                "toggle": "g.requires_grad_(i % 3 != 1)\n    r.sum().backward() if r.requires_grad else None"}[how]
    body = f"    r = {expression}\n    print(r)\n    {backward}\n"
    if how == "no_grad":
        body = f"    torch.set_grad_enabled(i % 2 == 1)\n{body}    torch.set_grad_enabled(True)\n"
    source = f"{GRAPH_ROUNDS}{body}r"
    assert outcome(source, True) == outcome(source, False), source


@pytest.mark.parametrize("source", [
    # a tensor a node saved, changed in place before the backward: both refuse alike
    "for i in range(3):\n    r = (g * b).sum()\n    b.add_(1)\n    r.backward()",
    "for i in range(3):\n    r = (g ** 2).sum()\n    with torch.no_grad():\n        g.mul_(2)\n    r.backward()",
    # the leaf's .grad accumulates over rounds, and a graph kept by a name is backwarded later
    "qs = []\nfor i in range(4):\n    r = ((tanh(m @ w) @ w2) ** 2).sum()\n    qs.append(r)\nqs[2].backward()\nqs[3].backward()",
    "for i in range(3):\n    h2 = tanh(m @ w)\n    r = (h2 * h2).sum() + h2.sum()\n    r.backward()",
    # grad() of a recorded graph, and a hook on the leaf
    "for i in range(3):\n    r = (w2 * w2 * i).sum()\n    print(torch.autograd.grad(r, w2))",
    "hook = w.register_hook(lambda t: t * 2)\nfor i in range(3):\n    r = (m @ w).sum()\n    r.backward()",
    # the leaf's flag turned off and on: the plan is made again, not reused
    "for i in range(4):\n    w.requires_grad_(i != 2)\n    r = ((m @ w) ** 2).sum()\n    print(r.requires_grad, r.grad_fn is None or r.grad_fn.name())",
    "for i in range(3):\n    r = (m @ w).sum()\n    r.backward()\n    r.backward()",
    # a function's body, its names local, called again; grad(f) and its second derivative
    "def f(x, k):\n    y = x * x * k\n    return (y - x / 2).sum()\nfor i in range(3):\n    r = f(g2, i + 1)\n    r.backward()",
    "f = lambda x: (tanh(x) ** 3 * x).sum()\nfor i in range(3):\n    r = grad(f)(g2)\n    print(r, grad(grad(f))(s * 1.0))",
    "for i in range(3):\n    r = (g2 * g2 * g2).sum()\n    (q,) = torch.autograd.grad(r, g2, create_graph=True)\n    q.sum().backward()",
    # a training loop: broadcasting, mean, updates of .grad under no_grad, create_graph
    "W = zeros(3, 2, requires_grad=True)\nB = zeros(2, requires_grad=True)\nfor i in range(4):\n"
    "    r = ((m @ W + B - c) ** 2).mean()\n    r.backward()\n    with torch.no_grad():\n"
    "        W -= 0.1 * W.grad\n        B -= 0.1 * B.grad\n        W.grad.zero_()\n        B.grad.zero_()",
    "for i in range(3):\n    r = ((q * m - c) ** 2).mean()\n    (u,) = torch.autograd.grad(r, q, create_graph=True)\n"
    "    u.sum().backward()\n    print(q.grad)",
])
def test_recorded_graphs_answer_as_the_general_path(source):
    assert outcome(source + "\nr", True) == outcome(source + "\nr", False), source


@pytest.mark.parametrize("update", [
    "a -= 0.5 * b", "a += n", "a *= 2", "d -= 0.1 * d", "m -= c", "s += s", "a -= s",
    "k += 1", "k *= 3", "k += 0.5", "k -= True", "h += 1", "a += 10 ** 30", "a -= 2 ** 70",
    "a /= 2", "a += tensor([1.0, 2.0])", "a -= m", "a += d", "a += undefined_name", "a += [1.0]",
    "g -= 0.1 * g", "q -= 0.1 * q.grad", "g -= 0.1 * g.grad", "g.grad -= 1", "xs += [1]",
    "e -= 1", "a[1:] -= a[:-1]", "t -= a[:2]", "l -= 1",
])
@pytest.mark.parametrize("grad_mode", ["no_grad", "enabled"])
def test_updates_in_place_answer_as_the_general_path(update, grad_mode):
    """`w -= lr * w.grad` in a loop at the top level (Session._fast_update), with and
    without grad mode: the same values, ids, versions and errors, each error placed."""
    prelude = "xs = [0]\ne = tensor([1.0, 2.0]).expand(3, 2)\nt = a[1:]\nl = 'text'\n"
    body = f"        {update}\n" if grad_mode == "no_grad" else f"    {update}\n"
    block = "    with torch.no_grad():\n" if grad_mode == "no_grad" else ""
    source = (f"{prelude}ids = id(a), id(k)\nfor i in range(3):\n{block}{body}"
              "print(a, k, d, m, s, id(a) == ids[0], id(k) == ids[1], a._version, q._version)\nr = a")
    seen, state = outcome(source, True)
    assert (seen, state) == outcome(source, False), source


def test_a_training_loops_updates_take_the_short_way(monkeypatch):
    """The updates of a training loop's no_grad block run without a statement's journal
    (else the test above would compare the general path with itself)."""
    journaled = []
    simple = Session._simple

    def counting(self, node, scope, *args, **kwargs):
        journaled.append(type(node).__name__)
        return simple(self, node, scope, *args, **kwargs)

    monkeypatch.setattr(Session, "_simple", counting)
    printed, error = run_program("w = ones(3, requires_grad=True)\nfor i in range(3):\n"
                                 "    (w * w).sum().backward()\n    with torch.no_grad():\n"
                                 "        w -= 0.1 * w.grad\n        w += 1\n        w.grad.zero_()\nw")
    # (the first round's `w -= 0.1 * w.grad` evaluates its value the general way, as every
    # expression's first evaluation is)
    assert error is None and journaled.count("AugAssign") == 1 and journaled.count("ExprStmt") == 7
    assert printed == "tensor([2.9520, 2.9520, 2.9520], requires_grad=True)\n"


def test_a_recorded_graph_has_the_gradients_of_finite_differences():
    """The MLP step in float64, compiled and run by the fast path, against central
    differences of its loss."""
    session = Session()
    run_program("X = randn(6, 5, dtype=torch.float64)\nW1 = randn(5, 4, dtype=torch.float64, requires_grad=True)\n"
                "W2 = randn(4, 3, dtype=torch.float64, requires_grad=True)", session)
    step = parse("L = ((tanh(X @ W1) @ W2) ** 2).sum()").statements[0]
    taken = []
    for _ in range(3):
        value = fast_path.evaluate(step.value, session.globals, None)
        taken.append(value is not fast_path.NOT_FAST)
    assert taken == [False, True, True]
    assert value.grad_fn.name == "SumBackward0" and value.requires_grad
    session.globals["L"] = value
    printed, error = run_program("L.backward()", session)
    assert error is None
    X, W1, W2 = (session.globals[k].data for k in ("X", "W1", "W2"))

    def loss(w1, w2):
        return ((np.tanh(X @ w1) @ w2) ** 2).sum()

    for name, W in (("W1", W1), ("W2", W2)):
        numeric = np.zeros_like(W)
        for index in np.ndindex(W.shape):
            plus, minus = W.copy(), W.copy()
            plus[index] += 1e-6
            minus[index] -= 1e-6
            args = {"W1": (plus, W2), "W2": (W1, plus)}[name], {"W1": (minus, W2), "W2": (W1, minus)}[name]
            numeric[index] = (loss(*args[0]) - loss(*args[1])) / 2e-6
        np.testing.assert_allclose(session.globals[name].grad.data, numeric, rtol=1e-6, atol=1e-8)


def test_an_update_in_a_loop_holds_the_session_limit():
    """An update that records a graph makes a temporary as large as its tensor: the limit on
    the session's elements counts it, by the short way as by the statement's."""
    source = "x = ones(400, requires_grad=True)\ny = x * 1\nfor i in range(3):\n    y += 1"
    limits.configure({"max_total_elements": 1_000})
    try:
        fast, general = outcome(source, True), outcome(source, False)
    finally:
        limits.configure({"max_total_elements": limits.BY_NAME["max_total_elements"].default})
    assert fast == general and fast[0][1] is not None and fast[0][1][0] == "limit exceeded"
    assert "max_total_elements" in fast[0][1][1]
