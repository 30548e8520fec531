"""vmap's batched run (tcalc.batching) against its loop, one example at a time: generated
programs must give the same values bit for bit, the same dtypes and shapes, and the same
refusals; what the batched run cannot do exactly (effects, random numbers, ops without a
rule) runs the loop."""
from __future__ import annotations

import random

import numpy as np
import pytest

from tcalc import batching
from tcalc.errors import TcalcError
from tcalc.evaluator import Session
from tcalc.tensor import Tensor

# Examples of 3 elements, and of 17 (past NumPy's blocks of 8 in a sum, where a different
# order of summation would round differently). N and T are laid out with the batch inside.
SETUP = """\
manual_seed(0)
X = randn(5, {n}, dtype=float64)
Y = randn(5, {n})
M = randn(5, {n}, {n})
N = randn({n}, 5)
T = randn({n}, 5, {n}).transpose(0, 2)
I = randint(-3, 4, (5, {n}))
W = randn({n}, {n})
v = randn({n})
"""
# Each batch with one example's shape (what the generated expressions see).
BATCHES = ["X", "Y", "M", "I", "T", "N"]


def _flat(value) -> list:
    return [leaf for item in value for leaf in _flat(item)] if isinstance(value, tuple) else [value]


def _outcome(source: str, batched: bool, n: int = 3):
    """(values, dtypes) or the refusal's message, and how the vmap calls ran."""
    batching.ENABLED[0] = batched
    before = dict(batching.RUNS)
    session = Session()
    try:
        list(session.run(SETUP.format(n=n)))
        values = list(session.run(source))
        out = values[-1]
        leaves = _flat(out)
        result = [(leaf.data.copy(), str(leaf.data.dtype), leaf.data.shape, leaf.requires_grad)
                  if type(leaf) is Tensor else leaf for leaf in leaves]
    except TcalcError as err:
        result = ("error", err.message)
    finally:
        batching.ENABLED[0] = True
    return result, {k: batching.RUNS[k] - before[k] for k in before}


def _same(a, b) -> bool:
    if isinstance(a, tuple) and a and a[0] == "error":
        return a == b
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if type(x) is tuple:
            if type(y) is not tuple or x[1:] != y[1:] or not np.array_equal(x[0], y[0], equal_nan=x[0].dtype.kind in "fc"):
                return False
        elif x != y:
            return False
    return True


# ---- generated programs --------------------------------------------------------------------------------------

UNARY = ["{e}.sin()", "torch.exp({e})", "{e}.relu()", "({e}).abs()", "-{e}", "{e}.tanh()", "{e}.sigmoid()",
         "{e} ** 2", "2.5 * {e}", "{e} / 3", "{e}.float()", "{e}.double()", "{e}.clamp(-0.5, 0.5)", "{e}.sqrt()",
         "{e}.exp().log()", "({e} > 0)", "{e}.floor()", "{e}.clone()", "{e}.detach()"]
BINARY = ["({a} + {b})", "({a} * {b})", "({a} - {b})", "({a} / {b})", "torch.maximum({a}, {b})",
          "torch.where({a} > {b}, {a}, {b})", "({a} >= {b})", "torch.add({a}, {b}, alpha=2)"]
REDUCE = ["{e}.sum()", "{e}.sum({d})", "{e}.mean({d}, keepdim=True)", "{e}.amax({d})", "{e}.max()", "{e}.min({d})[0]",
          "{e}.prod({d})", "{e}.std()", "{e}.var({d})", "{e}.softmax({d})", "{e}.log_softmax({d})", "{e}.cumsum({d})",
          "{e}.norm()", "{e}.logsumexp({d})", "{e}.argmax()", "{e}.argmin({d})", "{e}.max({d}).values", "{e}.mean()",
          "torch.sum({e}, dim=({d},))", "{e}.abs().sum().sqrt()"]
PRODUCT = ["({a} @ {b})", "torch.matmul({a}, {b})", "torch.dot({a}.flatten()[:3], {b}.flatten()[:3])",
           "torch.mv(W, {a}.flatten()[:3])", "({a} @ W)", "(W @ {a})", "({a} @ v)", "(v @ {a})"]
SHAPE = ["{e}.T", "{e}.reshape(-1)", "{e}.unsqueeze({d})", "{e}[0]", "{e}[..., 1:]", "{e}.transpose(0, -1)",
         "{e}.flatten()", "{e}.unsqueeze(0).squeeze()", "torch.stack([{a}, {b}], {d})", "torch.cat([{a}, {b}], {d})",
         "({e}.shape[0] * {e})", "({e}.dim() + {e})", "({e}.size(-1) + len({e}) * {e})", "{e}[None]", "{e}.t()",
         "{e}.view(-1)", "{e}.expand(2, *{e}.shape)", "{e}.permute(*reversed(range({e}.dim())))", "{e}.mT",
         "({e}.numel() * {e})"]
LEAVES = ["t", "u", "v", "W", "1.5", "t.sum()"]


def _expression(rng: random.Random, depth: int, leaves=LEAVES) -> str:
    if depth == 0:
        return rng.choice(leaves)
    kind = rng.choice(["unary", "binary", "reduce", "product", "shape", "leaf"])
    if kind == "leaf":
        return rng.choice(leaves)
    d = rng.choice(["0", "-1", "1"])
    a, b = _expression(rng, depth - 1, leaves), _expression(rng, depth - 1, leaves)
    template = rng.choice({"unary": UNARY, "binary": BINARY, "reduce": REDUCE, "product": PRODUCT,
                           "shape": SHAPE}[kind])
    return template.format(e=a, a=a, b=b, d=d)


def _program(seed: int) -> str:
    rng = random.Random(seed)
    first, second = rng.choice(BATCHES), rng.choice(BATCHES)
    body = _expression(rng, rng.choice([1, 2, 3]))
    if rng.random() < 0.3:
        body = f"({body}, {_expression(rng, 1)})"
    in_dims = rng.choice(["0", "(0, 0)", "(0, None)", "(1, 0)"]) if first in "MT" else rng.choice(["0", "(0, None)"])
    if first == "N":
        in_dims = rng.choice(["(1, 0)", "(1, None)"])
    out_dims = rng.choice(["0", "0", "-1"])
    if in_dims.endswith("None)"):
        second = "v"
    if rng.random() < 0.2:  # a vmap inside the function of another: over the rows of each example
        inner_body = _expression(rng, rng.choice([1, 2]), LEAVES + ["o[0]", "o.sum(0)"])
        if rng.random() < 0.3:
            inner_body = f"(({inner_body}) * 1.0).sum()"
            inner = f"grad(lambda t, u: {inner_body})"
        else:
            inner = f"lambda t, u: {inner_body}"
        inner_dims = rng.choice(["0", "(0, None)", "(0, 0)"])
        return (f"vmap(lambda o, p: vmap({inner}, in_dims={inner_dims}, out_dims={out_dims})(o, p), "
                f"in_dims={rng.choice(['0', '(0, None)'])})(M, {rng.choice(['M', 'W'])})")
    if rng.random() < 0.35:  # per-example gradients: vmap(grad(f)), f's value summed to a scalar
        argnums = rng.choice(["0", "1", "(0, 1)"])
        scalar = f"(({_expression(rng, rng.choice([1, 2]))}) * 1.0).sum()"
        first = rng.choice(["X", "Y", "M", "T"])
        return (f"vmap(grad(lambda t, u: {scalar}, argnums={argnums}), in_dims={in_dims}, out_dims={out_dims})"
                f"({first}, {second})")
    return f"vmap(lambda t, u: {body}, in_dims={in_dims}, out_dims={out_dims})({first}, {second})"


@pytest.mark.parametrize("n", [3, 17])
def test_generated_programs_give_the_loops_values_exactly(n):
    batched_runs, mismatches = 0, []
    for seed in range(500):
        source = _program(seed)
        looped, _ = _outcome(source, batched=False, n=n)
        got, runs = _outcome(source, batched=True, n=n)
        batched_runs += runs["batched"]
        if not _same(got, looped):
            mismatches.append(f"{source}\n  batched: {got}\n  looped:  {looped}")
    assert not mismatches, "\n".join(mismatches[:5])
    assert batched_runs >= 100, batched_runs  # many generated programs do run batched


# ---- particular cases ---------------------------------------------------------------------------------------

def _runs(source: str):
    before = dict(batching.RUNS)
    session = Session()
    list(session.run(SETUP.format(n=3)))
    value = list(session.run(source))[-1]
    return value, {k: batching.RUNS[k] - before[k] for k in before}


@pytest.mark.parametrize("source", [
    "vmap(lambda t: (t.sin() * W).sum())(X.float())",
    "vmap(lambda t: torch.softmax(t @ W, -1).amax())(Y)",
    "vmap(lambda a, w: (a * w).sum(0), in_dims=(0, None))(M, v)",
    "vmap(lambda m: m.T @ m, chunk_size=2)(M)",
    "vmap(lambda t: t.relu().mean())(N.t().contiguous())",
])
def test_the_usual_small_functions_run_batched(source):
    _, runs = _runs(source)
    assert runs == {"batched": 1, "looped": 0}


@pytest.mark.parametrize("source", [
    "vmap(lambda t: tensor([t[0], t[1]]))(X)",
    "vmap(torch.trace)(M)",
    # Examples laid out with gaps (or transposed): NumPy would sum them in another order.
    "vmap(lambda t: t.relu().mean(), in_dims=1)(N)",
    "vmap(lambda t: t.sum())(N.t())",
])
def test_what_has_no_rule_runs_the_loop(source):
    batched_runs_disabled = _outcome(source, batched=False)[0]
    value, runs = _outcome(source, batched=True)
    assert runs == {"batched": 0, "looped": 1}
    assert _same(value, batched_runs_disabled)


def test_effects_happen_once_per_example_as_in_the_loop():
    session = Session(write=(printed := []).append)
    list(session.run("calls = []\ndef f(t):\n    calls.append(1)\n    print(t.shape)\n    return t * 2\n"
                     "y = vmap(f)(ones(3, 2))\nn = len(calls)"))
    assert session.globals["n"] == 3
    assert "".join(printed).count("torch.Size([2])") == 3


def test_a_global_set_by_the_function_is_set_by_the_loop():
    session = Session()
    list(session.run("def f(t):\n    global last\n    last = t\n    return t + 1\ny = vmap(f)(arange(6.).reshape(3, 2))"))
    np.testing.assert_array_equal(session.globals["last"].data, [4.0, 5.0])


def test_randomness_modes():
    session = Session()
    with pytest.raises(TcalcError, match="randomness error mode"):
        list(session.run("vmap(lambda t: t + randn(2))(ones(3, 2))"))
    same = list(session.run("manual_seed(1)\nvmap(lambda t: t + randn(2), randomness='same')(zeros(3, 2))"))[-1]
    first = list(session.run("manual_seed(1)\nrandn(2)"))[-1]
    assert all(np.array_equal(row, first.data) for row in same.data)
    different = list(session.run("vmap(lambda t: t + randn(2), randomness='different')(zeros(3, 2))"))[-1]
    assert not np.array_equal(different.data[0], different.data[1])
    with pytest.raises(TcalcError, match="Only allowed values for randomness"):
        list(session.run("vmap(lambda t: t, randomness='bogus')"))


def test_chunk_size_splits_the_batch_and_keeps_the_values():
    value, runs = _runs("vmap(lambda t: (t @ W).tanh(), chunk_size=2)(Y)")
    whole, _ = _runs("vmap(lambda t: (t @ W).tanh())(Y)")
    assert runs["batched"] == 1 and np.array_equal(value.data, whole.data)
    with pytest.raises(TcalcError, match="chunk_size should be None or greater than 0"):
        _runs("vmap(lambda t: t, chunk_size=0)(Y)")


@pytest.mark.parametrize("source", [
    "vmap(vmap(lambda a, b: a * b + 1))(M, M)",
    "vmap(vmap(lambda r: r.softmax(0), out_dims=1))(M)",
    "vmap(lambda m, w: vmap(lambda r: r @ w)(m), in_dims=(0, None))(M, W)",
    "vmap(lambda m: vmap(lambda r, s: r - s, in_dims=(0, None))(m, m.mean(0)))(M)",
    "vmap(vmap(grad(lambda r: (r.sin() * r).sum())))(M)",
])
def test_nested_vmap_runs_as_one_batch_of_both(source):
    value, runs = _outcome(source, batched=True)
    assert runs == {"batched": 2, "looped": 0}
    assert _same(value, _outcome(source, batched=False)[0])


def test_an_outer_example_captured_by_an_inner_vmap_is_not_paired_with_the_inner_batch():
    source = "vmap(lambda x: vmap(lambda y: x * y)(Y))(Y)"  # two batches of 5: every pair, not 5 pairs
    value, _ = _outcome(source, batched=True)
    assert value[0][2] == (5, 5, 3)
    assert _same(value, _outcome(source, batched=False)[0])


def test_a_gradient_through_the_batched_run_matches_the_loops():
    source = "w = W.clone().requires_grad_()\nvmap(lambda t: (t @ w).sin().sum())(Y).sum().backward()\nw.grad"
    batched, runs = _outcome(source, batched=True)
    looped, _ = _outcome(source, batched=False)
    assert runs["batched"] == 1
    np.testing.assert_allclose(batched[0][0], looped[0][0], rtol=1e-6)


@pytest.mark.parametrize("source", [
    # per-example gradients of a loss, the weights shared (in_dims None): one backward
    "vmap(grad(lambda w, x, y: ((x @ w - y) ** 2).mean()), in_dims=(None, 0, 0))(W, Y, Y @ W.t())",
    "vmap(grad(lambda t: (t.sin() * t).sum()))(X)",
    "vmap(grad_and_value(lambda t, u: (t * u).sum(), argnums=(0, 1)))(X, X.exp())",
    "vmap(grad(grad(lambda t: t.exp() * t)))(X[0])",
    "vmap(grad(lambda t: W.sum()))(Y)",  # f does not depend on the example: zeros
])
def test_per_example_gradients_run_batched_and_match_the_loop(source):
    batched, runs = _outcome(source, batched=True)
    looped, _ = _outcome(source, batched=False)
    assert runs == {"batched": 1, "looped": 0}
    assert _same(batched, looped)


def test_jacobians_inside_vmap_run_the_loop():
    source = "vmap(jacrev(torch.tanh))(Y)"
    batched, runs = _outcome(source, batched=True)
    assert runs == {"batched": 0, "looped": 1}
    assert _same(batched, _outcome(source, batched=False)[0])


@pytest.mark.parametrize("source", ["vmap(lambda t: t if t.sum() > 0 else -t)(X)", "vmap(lambda t: t * float(t[0]))(X)"])
def test_a_branch_on_an_example_or_its_number_is_refused_as_pytorch_refuses_it(source):
    with pytest.raises(TcalcError, match="data-dependent control flow|calling .item"):
        _runs(source)


def test_item_of_an_example_is_refused_as_pytorch_refuses_it():
    with pytest.raises(TcalcError, match=r"calling \.item\(\) on a Tensor"):
        list(Session().run("vmap(lambda t: t.item() * t)(ones(3, 2).sum(1))"))
    # a tensor that is not the example's may still give its number
    assert list(Session().run("w = tensor(2.)\nvmap(lambda t: w.item() * t)(ones(3))"))[-1].data.tolist() == [2.0] * 3
