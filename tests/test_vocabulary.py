"""The names teaching notebooks use, where tcalc's answer is its own (PyTorch's text is
checked by the golden programs in tests/golden/vocab and tests/golden_imports)."""
from __future__ import annotations

import numpy as np
from conftest import run_program

from tcalc import builtins
from tcalc.evaluator import Session
from tcalc.render import value_text


def numpy_session() -> Session:
    session = Session()
    session.globals["np"] = builtins.MODULES["numpy"]  # as `import numpy as np` will bind it
    return session


def test_numpy_has_only_its_small_table():
    printed, error = run_program("np.cumsum(np.ones(3))", numpy_session())
    assert error is not None and error.message == "tcalc's numpy has no attribute 'cumsum'"
    assert "tcalc's numpy has only" in error.hint


def test_from_numpy_shares_memory_both_ways():
    session = numpy_session()
    printed, error = run_program("a = np.zeros(3); b = torch.from_numpy(a); b[0] = 5.; np.add(a, 1, out=a); b", session)
    assert error is None and printed == "tensor([6., 1., 1.], dtype=torch.float64)\n"
    assert session.globals["a"] is session.globals["b"].data


def test_tensor_of_an_array_copies():
    session = numpy_session()
    printed, error = run_program("a = np.zeros(2); b = torch.tensor(a); np.add(a, 1, out=a); b", session)
    assert printed == "tensor([0., 0.], dtype=torch.float64)\n"


def test_out_keeps_the_tensor_and_counts_a_version():
    session = Session()
    run_program("r = torch.zeros(2); v = r.view(2)", session)
    r = session.globals["r"]
    printed, error = run_program("torch.add(torch.ones(2), 1, out=r); v", session)
    assert error is None and printed == "tensor([2., 2.])\n"
    assert session.globals["r"] is r and r._vc is not None and r._vc[0] == 1


def test_print_writes_a_type_as_python_does():
    session = Session()
    values = list(session.run("type(1.5), type(torch.ones(1))"))
    assert [str(t) for t in values[0]] == ["<class 'float'>", "<class 'torch.Tensor'>"]
    assert value_text(values[0]) == "(float, torch.Tensor)"


def test_numpy_values_keep_numpy_types():
    session = numpy_session()
    (value,) = list(session.run("10.0 ** np.arange(-1, -3, -1)"))
    assert isinstance(value, np.ndarray) and value.dtype == np.float64


def test_normal_log_prob_is_differentiable_in_its_parameters():
    from test_gradcheck import analytic_gradient, numeric_gradient

    from tcalc.distributions import Normal
    from tcalc.tensor import Tensor

    value = Tensor(np.array([0.3, -1.2, 2.0]))
    weights = np.array([1.0, -2.0, 0.5])
    loc = np.array([0.1, 0.2, -0.3])
    f = lambda t: Normal(t, Tensor(np.array([1.5, 0.7, 2.0]))).log_prob(value)  # noqa: E731
    assert np.allclose(analytic_gradient(f, loc, weights), numeric_gradient(f, loc, weights), atol=1e-6)


def test_multinomial_samples_count_to_total():
    (counts,) = list(Session().run("torch.distributions.Multinomial(7, torch.tensor([0.2, 0.3, 0.5])).sample((50,))"))
    assert counts.data.shape == (50, 3) and (counts.data.sum(1) == 7).all()


def test_nn_functional_gradients_match_finite_differences():
    from test_gradcheck import analytic_gradient, numeric_gradient

    from tcalc import nn_functional as F
    from tcalc.ops import losses
    from tcalc.tensor import Tensor

    rng = np.random.default_rng(1)
    target = Tensor(rng.uniform(0, 1, (3, 4)))
    classes = Tensor(np.array([1, 3, 0]))
    cases = {
        "bce_with_logits": lambda x: losses.binary_cross_entropy_with_logits(x, target),
        "bce_with_logits_none": lambda x: losses.binary_cross_entropy_with_logits(x, target, reduction="none"),
        "mse_loss": lambda x: losses.mse_loss(x, target, reduction="sum"),
        "cross_entropy": lambda x: F.cross_entropy(x, classes),
        "nll_loss_none": lambda x: losses.nll_loss(x, classes, reduction="none"),
        "leaky_relu": lambda x: losses.leaky_relu(x, 0.2),
        "silu": losses.silu,
        "softplus": lambda x: losses.softplus(x, beta=2.0),
        "l1_loss": lambda x: F.l1_loss(x, target),
    }
    for name, f in cases.items():
        x = rng.uniform(-2, 2, (3, 4))
        weights = rng.uniform(-1, 1, f(Tensor(x)).data.shape)
        assert np.allclose(analytic_gradient(f, x, weights), numeric_gradient(f, x, weights), atol=1e-6), name


def test_hasattr_answers_from_the_tables_and_refuses_what_it_cannot_answer():
    printed, error = run_program("x = ones(2); hasattr(x, 'T'), hasattr(x, 'sumn'), hasattr(torch, 'sumn')")
    assert error is None and printed == "(True, False, False)\n"
    # A name PyTorch has that tcalc does not: PyTorch would say True, so tcalc says it lacks it.
    printed, error = run_program("hasattr(ones(2), 'cauchy_')")
    assert error is not None and error.message == "Tensor.cauchy_ is PyTorch's, and tcalc does not have it yet"
    # Python's other dunder names are not in tcalc's tables: refused, not guessed.
    printed, error = run_program("hasattr(ones(2), '__class__')")
    assert error is not None and "protocol names" in error.message



def test_float32_fused_multiply_add_rounds_once():
    from tcalc.ops._base import fused_multiply_add_float32

    # (1 + 2**-12)**2 + 2**-80 lies just above the midpoint 1 + 2**-11 + 2**-24 of two
    # float32 values; rounding the float64 sum (that midpoint) to float32 would go down.
    a, c = np.float32(1 + 2 ** -12), np.float32(2 ** -80)
    assert fused_multiply_add_float32(a, a, c) == np.float32(1 + 2 ** -11 + 2 ** -23)
    assert np.float32(np.float64(a) * np.float64(a) + np.float64(c)) == np.float32(1 + 2 ** -11)
    assert fused_multiply_add_float32(np.float32(3), np.float32(0.5), np.float32(-1)) == np.float32(0.5)
