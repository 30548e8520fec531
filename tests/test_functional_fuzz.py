"""Fuzzing the functions of functions: transforms composed with each other, with functions
and arguments of every kind (right and wrong), must end in a value or a clean TcalcError,
never a Python exception, and a failed statement must leave the session as it was.

    TCALC_FUZZ_EXAMPLES=5000 python3 -m pytest -q tests/test_functional_fuzz.py
"""
from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcalc.errors import TcalcError
from tcalc.evaluator import Session
from tcalc.render import error_text, show
from tcalc.tensor import Tensor

EXAMPLES = int(os.environ.get("TCALC_FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(max_examples=EXAMPLES or 150, deadline=None, derandomize=EXAMPLES is None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

PRELUDE = """x = tensor([0.5, -1.0, 2.0])
M = arange(6.0).reshape(2, 3)
s = tensor(0.7)
i = arange(3)
w = ones(3, requires_grad=True)
y = (w * x).sum()
def f(t):
    return (t.sin() * t).sum()
g = lambda a, b: (a * b).sum()
h = lambda t: t.exp()
pair = lambda t: (t.sum(), t * 2)
"""
FUNCTIONS = ["f", "g", "h", "pair", "torch.sin", "torch.sum", "lambda t: t", "lambda t: 3", "lambda t: t.item()",
             "lambda *a: a[0].sum()", "print", "lambda t: t + torch.randn(1)", "lambda t: t @ t",
             "lambda t: graph(t)", "lambda t: t.shape"]
ARGUMENTS = ["x", "M", "s", "i", "w", "y", "3.0", "(x,)", "(x, x)", "[x]", "{'a': x}", "None", "'text'"]
OPTIONS = ["", ", argnums=0", ", argnums=1", ", argnums=(0, 1)", ", argnums=-1", ", has_aux=True", ", in_dims=1",
           ", in_dims=(0, None)", ", out_dims=1", ", argnums='a'", ", chunk_size=1", ", chunk_size=0",
           ", randomness='same'", ", randomness='x'"]
TRANSFORMS = ["grad", "grad_and_value", "jacrev", "jacfwd", "hessian", "vmap", "torch.func.grad", "torch.vmap",
              "no_grad()"]
CALLS = ["vjp({f}, {a})", "vjp({f}, {a})[1]({a})", "jvp({f}, ({a},), ({a},))", "jvp({f}, {a}, {a})",
         "torch.autograd.functional.jacobian({f}, {a})", "torch.autograd.functional.hessian({f}, {a})",
         "torch.autograd.functional.vjp({f}, {a}, {a})", "torch.autograd.functional.jvp({f}, {a})",
         "torch.autograd.functional.hvp({f}, {a}, {a})", "gradcheck({f}, ({a},))", "gradgradcheck({f}, {a})",
         "graph({a})", "graph({a}, format='dot')", "{a}.register_hook({f})", "{a}.retain_grad()",
         "torch.autograd.backward({a}, {a})", "{a}.grad_fn.next_functions", "{a}.grad_fn.name()"]


@st.composite
def functions(draw, depth=2):
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(FUNCTIONS))
    inner = draw(functions(depth=depth - 1))
    transform = draw(st.sampled_from(TRANSFORMS))
    if transform == "no_grad()":
        return f"no_grad()({inner})"
    return f"{transform}({inner}{draw(st.sampled_from(OPTIONS))})"


@st.composite
def programs(draw):
    arguments = ", ".join(draw(st.lists(st.sampled_from(ARGUMENTS), min_size=0, max_size=3)))
    if draw(st.booleans()):
        return f"{draw(functions())}({arguments})"
    return draw(st.sampled_from(CALLS)).format(f=draw(functions()), a=draw(st.sampled_from(ARGUMENTS)))


def _state(session: Session) -> dict:
    state = {}
    for name, value in session.globals.items():
        if type(value) is Tensor:
            grad = value.grad
            state[name] = (id(value), value.data.copy(), value.requires_grad,
                           None if grad is None else grad.data.copy())
    return state


def _same(before: dict, after: dict) -> bool:
    if before.keys() != after.keys():
        return False
    for name, (ident, data, flag, grad) in before.items():
        ident2, data2, flag2, grad2 = after[name]
        if ident != ident2 or flag != flag2 or not np.array_equal(data, data2, equal_nan=True):
            return False
        if (grad is None) != (grad2 is None) or (grad is not None and not np.array_equal(grad, grad2, equal_nan=True)):
            return False
    return True


@FUZZ
@given(programs())
def test_composed_transforms_answer_or_refuse_cleanly(source):
    session = Session()
    session.write = lambda text: None
    list(session.run(PRELUDE))
    before = _state(session)
    try:
        for value in session.run(source):
            show(value).text
    except TcalcError as err:
        assert err.kind != "internal error", (source, err.message)
        error_text(err, source, "<fuzz>")
        assert _same(before, _state(session)), f"{source!r} failed but changed the session"
