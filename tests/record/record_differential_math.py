"""Record what PyTorch 2.13 answers for the math of issue 11 (special functions, functions of
two tensors, scans, statistics): tests/golden_differential_math.json.

- each new method on the tensors of record_differential.py's RECEIVERS (each dtype, 0-d,
  empty, non-finite values), with a second operand the receiver itself where one is needed;
- var_mean and std_mean with their dims and corrections;
- each function of two operands between every pair of record_differential.py's OPERANDS
  (type promotion, Python numbers, the refusals).

Run with a Python that has torch and IPython (never part of the test suite):

    python tests/record/record_differential_math.py
"""
from __future__ import annotations

import itertools
from pathlib import Path

from record_differential import OPERANDS, RECEIVERS
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
    record_answers(((source, source) for source in _sources()), OUT)


if __name__ == "__main__":
    main()
