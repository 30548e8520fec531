"""Record what PyTorch 2.13 answers for the math of issue 11 (special functions, functions of
two tensors, scans, statistics): tests/golden_differential_math.json.

- each new method on the tensors of record_differential.py's RECEIVERS (each dtype, 0-d,
  empty, non-finite values), with a second operand the receiver itself where one is needed;
- var_mean and std_mean with their dims and corrections;
- each function of two operands between every pair of record_differential.py's OPERANDS
  (type promotion, Python numbers, the refusals);
- first and second derivatives, grad(f) and grad(grad(f)), of functions made of them.

Run with a Python that has torch and IPython (never part of the test suite):

    python tests/record/record_differential_math.py
"""
from __future__ import annotations

import itertools
from pathlib import Path

from record_differential import OPERANDS, POINT, RECEIVERS
from recording import record_answers

OUT = Path(__file__).resolve().parent.parent / "golden_differential_math.json"

METHODS = [
    "erf()", "erfc()", "erfinv()", "frac()", "deg2rad()", "rad2deg()", "cumprod(0)", "cumprod(dim=1)",
    "cummax(0)", "cummin(1)", "diff()", "diff(dim=0)", "nansum()", "nansum(0)", "nanmean()", "nanmean(1)",
    "aminmax()", "aminmax(dim=0)", "median()", "median(0)", "nanmedian()", "nanmedian(1)", "mode()", "mode(0)",
    "kthvalue(1)", "kthvalue(2, 0)", "quantile(0.5)", "quantile(0.3, 1)", "nanquantile(0.5)", "histc(4)",
    "bincount()", "clamp_min(0)", "clamp_max(1)", "clamp_min(0.5)", "isclose(x)", "atan2(x)", "hypot(x)",
    "logaddexp(x)", "logaddexp2(x)", "xlogy(x)", "xlogy(2)", "fmod(2)", "fmod(x)", "heaviside(x)",
    "lerp(x, 0.5)", "cumprod(0, dtype=torch.float64)", "nansum(dtype=torch.float64)",
]
SPREAD_AND_MEAN = ["var_mean", "std_mean"]
SPREAD_ARGUMENTS = ["", ", 0", ", 1, keepdim=True", ", correction=0"]
TWO_OPERANDS = ["atan2", "hypot", "logaddexp", "xlogy", "fmod", "heaviside", "isclose", "clamp_min", "clamp_max"]


DERIVATIVE_BODIES = [
    "erf(x).sum()", "erfc(x * x).sum()", "erfinv(x / 4).sum()", "(frac(x * 1.3) * x).sum()",
    "deg2rad(x * x).sum()", "rad2deg(x).prod()", "atan2(x, x * x - 2).sum()", "hypot(x, x * x).sum()",
    "logaddexp(x, -x * x).sum()", "logaddexp2(x * x, x).sum()", "xlogy(x, x + 1).sum()", "xlogy(x * x, 2.0).sum()",
    "xlogy(3.0, x).sum()", "fmod(x * x, x + 0.3).sum()", "lerp(x, x * x, 0.3).sum()", "lerp(x, x * x, x / 4).sum()",
    "clamp_min(x * x, 2.0).sum()", "clamp_max(x * x, x + 1).sum()", "cumprod(x, 0).sum()",
    "(cumprod(x - 1.5, 0) ** 2).sum()", "cummax(x * torch.tensor([1., -1., 1., -1.], dtype=torch.float64), 0).values.sum()",
    "cummin(x.sin(), 0).values.sum()", "(diff(x * x) ** 2).sum()", "diff(x ** 3, n=2, prepend=x[:1]).sum()",
    "nansum(x * x)", "nanmean(x ** 3)", "var_mean(x)[0] * var_mean(x)[1]", "std_mean(x * x, correction=0)[0]",
    "aminmax(x * x).max + aminmax(x.sin()).min", "median(x ** 3)", "median(x.reshape(2, 2) ** 2, 1).values.sum()",
    "nanmedian(x.exp())", "kthvalue(x ** 3, 3).values", "mode(x * x).values", "quantile(x ** 3, 0.3)",
    "quantile(x * x, torch.tensor([0.1, 0.6], dtype=torch.float64)).sum()",
    "nanquantile(x.sin(), 0.7, interpolation='midpoint')",
]


def _derivative_cases():
    """(tcalc program, the same in Python with torch.func.grad), as record_differential's."""
    for body in DERIVATIVE_BODIES:
        yield (f"f(x) = {body}\ng(x) = grad(f)(x).sum()\nx = {POINT}\n(grad(f)(x), grad(g)(x))",
               f"f = lambda x: {body}\ng = lambda x: torch.func.grad(f)(x).sum()\nx = {POINT}\n"
               "(torch.func.grad(f)(x), torch.func.grad(g)(x))")


def _sources():
    for receiver, method in itertools.product(RECEIVERS.values(), METHODS):
        yield f"x = {receiver}\nx.{method}"
    for function, receiver, arguments in itertools.product(SPREAD_AND_MEAN, RECEIVERS.values(), SPREAD_ARGUMENTS):
        yield f"{function}({receiver}{arguments})"
    for a, b in itertools.product(OPERANDS.values(), repeat=2):
        for function in TWO_OPERANDS:
            yield f"{function}({a}, {b})"
        yield f"lerp({a}, {b}, 0.25)"


def main() -> None:
    record_answers(itertools.chain(_derivative_cases(), ((source, source) for source in _sources())), OUT)


if __name__ == "__main__":
    main()
