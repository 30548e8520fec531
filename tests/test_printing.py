"""The tensor printer and IPython's layout, against text recorded from PyTorch 2.13.

tests/record/record_printing.py recorded tests/golden_printing.json with torch; each case
names the NumPy data, so the same values go through tcalc's printer here.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tcalc.printing import ReturnTypes, pretty, tensor_repr

CASES = json.loads((Path(__file__).parent / "golden_printing.json").read_text(encoding="utf-8"))


def data_of(expression: str) -> np.ndarray:
    # Our own fixed test expressions, not user input.
    return np.array(eval(expression, {"np": np}))


def leaf(value) -> str:
    if isinstance(value, np.ndarray):
        return tensor_repr(value)
    return repr(value)


def as_arrays(value):
    if isinstance(value, tuple):
        return tuple(as_arrays(v) for v in value)
    if isinstance(value, list):
        return [as_arrays(v) for v in value]
    return value


def case_id(case) -> str:
    return f"{case['kind']}:{case.get('numpy', case.get('name'))}:{case.get('autograd', '')}"


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "tensor"], ids=case_id)
def test_tensor_text(case):
    data = data_of(case["numpy"])
    if "autograd" in case:
        data = np.array(case["numpy_result"], dtype=data.dtype).reshape(
            np.shape(case["numpy_result"]))
        text = tensor_repr(data, requires_grad=case["requires_grad"], grad_fn_name=case["grad_fn"])
    else:
        text = tensor_repr(data)
    assert text == case["text"]


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "sequence"], ids=case_id)
def test_layout_of_tuples_and_lists(case):
    value = as_arrays(eval(case["numpy"], {"np": np}))
    assert pretty(value, leaf) == case["text"]


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "return_types"], ids=case_id)
def test_named_results(case):
    result = ReturnTypes(case["name"], [("values", np.array(case["values"])),
                                        ("indices", np.array(case["indices"]))])
    assert pretty(result, leaf) == case["text"]
    assert pretty((result, 1), leaf) == case["in_tuple"]
