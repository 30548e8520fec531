"""The math of issue 11 against PyTorch 2.13's answers: each special function, scan and
statistic on tensors of each dtype, 0-d, empty and non-finite, and each function of two
operands between every pair of tensor dtypes and Python numbers
(tests/record/record_differential_math.py recorded tests/golden_differential_math.json).
tcalc must print the same text, and refuse where PyTorch does (in PyTorch's words for its
RuntimeError, IndexError and ValueError)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_answers_as_recorded

CASES = json.loads((Path(__file__).parent / "golden_differential_math.json").read_text(encoding="utf-8"))
TORCH_WORDED = {"RuntimeError", "IndexError", "ValueError"}


@pytest.mark.parametrize("case", CASES, ids=[c["source"] for c in CASES])
def test_answers_as_pytorch(case):
    assert_answers_as_recorded(case, TORCH_WORDED)
