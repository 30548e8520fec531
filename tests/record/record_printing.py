"""Record PyTorch's text for the printer's test cases: tests/golden_printing.json.

Run with a Python that has torch 2.13 and IPython (never in the test suite):

    python tests/record/record_printing.py

Each case is a NumPy expression (over `np`) for the data; the tensor is
torch.from_numpy of it, so tcalc's printer is tested on exactly the same values.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from IPython.lib.pretty import pretty

OUT = Path(__file__).resolve().parent.parent / "golden_printing.json"

TENSORS = [
    "np.arange(12)", "np.arange(12).reshape(3, 4)", "np.arange(24).reshape(2, 3, 4)",
    "np.arange(120).reshape(2, 3, 4, 5)", "np.zeros((2, 3, 4), np.float32)",
    "np.ones((2, 3, 4), np.float32)", "np.array([0.5, 1.0, 2.0, 4.0], np.float32)",
    "np.array(6.0, np.float32)", "np.array(66)", "np.array(True)", "np.array(9.5, np.float32)",
    "np.array([], np.float32)", "np.array([], np.int64)", "np.zeros((0, 3), np.float32)",
    "np.zeros((2, 0), np.int64)", "np.array([], np.bool_)", "np.zeros((0,), np.float64)",
    "np.array([1e-5, 1e5], np.float32)", "np.array([1e-5, 1.0], np.float32)",
    "np.array([1.0, 1e9], np.float32)", "np.array([1.0, 1e8], np.float32)",
    "np.array([1.0, 1001.0], np.float32)", "np.array([0.1, 100.0], np.float32)",
    "np.array([0.1, 1000.5], np.float32)", "np.array([1e-4, 0.5], np.float32)",
    "np.array([0.00012, 0.5], np.float32)", "np.array([123456.7], np.float32)",
    "np.array([0.1 + 0.2], np.float64)", "np.array([1.0, -2.5, 3.25], np.float64)",
    "np.array([np.nan, 1.0, np.inf, -np.inf], np.float32)", "np.array([np.nan, 1.5], np.float32)",
    "np.array([np.nan], np.float32)", "np.array([np.inf, -np.inf], np.float32)",
    "np.array([-0.0, 0.0, 1.0], np.float32)", "np.array([0.0, 0.0], np.float32)",
    "np.array([-1, 20, -300], np.int64)", "np.array([1, 2, 3], np.int32)",
    "np.array([1, 2, 3], np.int16)", "np.array([1, 2, 3], np.int8)", "np.array([1, 2, 3], np.uint8)",
    "np.array([True, False, True])", "np.array([[True], [False]])",
    "np.array([1.5, 2.5], np.float16)", "np.array([1, 2], np.float16)",
    "np.arange(2000)", "np.arange(2000.0, dtype=np.float32)", "np.arange(1001, dtype=np.float32) / 7",
    "np.arange(1000, dtype=np.float32) / 7", "np.arange(3000).reshape(10, 10, 30)",
    "np.arange(3000.0, dtype=np.float32).reshape(100, 30)", "np.ones((3, 400), np.float32)",
    "np.arange(40, dtype=np.float32) * 1.5", "np.arange(100)", "np.arange(30, dtype=np.float64) / 3",
    "(np.arange(12, dtype=np.float32) - 6) / 4", "np.arange(12, dtype=np.float32).reshape(3, 4) * 1e10",
    "np.array([[1e-8, 1.0], [2.0, 3.0]], np.float32)", "np.array([1e20, -1e-20], np.float64)",
    "np.array([1e100, 1e-100], np.float64)", "np.array([-5.0], np.float32)",
    "np.array([[0.3449, 0.0794, 1.0447], [2.0958, -0.7025, 1.1874]], np.float32)",
    "np.linspace(-1, 1, 25, dtype=np.float32).reshape(5, 5)", "np.arange(1, 6, dtype=np.float32) ** 10",
    "np.array([2**62, -2**62], np.int64)", "np.full((2, 2), 7, np.int32)",
    "np.arange(60, dtype=np.float64).reshape(3, 20) / 7", "np.arange(1500).reshape(3, 500)",
    "np.arange(7 * 7 * 7 * 7).reshape(7, 7, 7, 7)", "np.array([[[]]], np.float32)",
    "np.array([0.5], np.float32)", "np.array([100.0], np.float32)", "np.array([1e-3], np.float32)",
    "np.array([123.456, 0.001], np.float32)", "np.arange(10, dtype=np.float32) * 1e-3",
]

AUTOGRAD = [  # (expression, what to do: "leaf" requires grad, else a torch op to apply)
    ("np.arange(4, dtype=np.float32)", "leaf"),
    ("np.arange(4, dtype=np.float32)", "mul"),
    ("np.array(28.0, np.float32)", "mul"),
    ("np.arange(4, dtype=np.float64)", "leaf"),
    ("np.arange(4, dtype=np.float64)", "mul"),
    ("np.arange(120, dtype=np.float32).reshape(10, 12)", "mul"),
    ("np.arange(120, dtype=np.float64).reshape(10, 12) / 3", "leaf"),
    ("np.arange(19, dtype=np.float32) * 11", "sum_dim"),
    ("np.arange(17, dtype=np.float64) * 111", "mul"),
    ("np.array([], np.float32)", "leaf"),
]

SEQUENCES = [  # IPython layout of tuples and lists of tensors
    "(np.arange(3).reshape(3, 1), np.arange(2).reshape(1, 2))",
    "(np.array([3.0], np.float32), np.array([2.0], np.float32))",
    "(np.arange(4), np.array(6), np.array([40, 45, 50, 55]))",
    "(np.array([14.0, 38.0, 62.0, 86.0, 110.0], np.float32),)",
    "[np.arange(3), np.arange(3)]", "(np.arange(30), np.arange(30))",
    "(np.arange(20), np.arange(25), np.arange(3))",
    "((np.arange(3), np.arange(2)), np.ones((2, 2), np.float32))",
    "(np.ones((2, 2), np.float32), [np.arange(2), (np.arange(3),)])",
    "(np.arange(12).reshape(3, 4), 3.5, None, True)", "()", "[]", "(np.arange(3),)",
    "[np.arange(100), np.arange(2)]",
]


def tensor_of(expression: str, how: str | None = None):
    t = torch.from_numpy(np.array(eval(expression)))
    if how == "leaf":
        t.requires_grad_(True)
    elif how == "mul":
        t = t.requires_grad_(True) * 2
    elif how == "sum_dim":
        t = t.reshape(1, -1).requires_grad_(True).sum(0)
    return t


def convert(value):
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    if isinstance(value, tuple):
        return tuple(convert(v) for v in value)
    if isinstance(value, list):
        return [convert(v) for v in value]
    return value


def main() -> None:
    cases = []
    for expression in TENSORS:
        cases.append({"kind": "tensor", "numpy": expression,
                      "text": pretty(tensor_of(expression))})
    for expression, how in AUTOGRAD:
        t = tensor_of(expression, how)
        cases.append({"kind": "tensor", "numpy": expression, "autograd": how,
                      "requires_grad": t.requires_grad,
                      "grad_fn": type(t.grad_fn).__name__ if t.grad_fn is not None else None,
                      "numpy_result": t.detach().numpy().tolist(), "text": pretty(t)})
    for expression in SEQUENCES:
        value = convert(eval(expression))
        cases.append({"kind": "sequence", "numpy": expression, "text": pretty(value)})
    x = torch.arange(300).reshape(3, 100)
    for name, result in (("max", torch.max(x, 1)), ("min", torch.min(x[:, :4], 0))):
        cases.append({"kind": "return_types", "name": name,
                      "values": result.values.numpy().tolist(), "indices": result.indices.numpy().tolist(),
                      "text": pretty(result), "in_tuple": pretty((result, 1))})
    OUT.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"recorded {len(cases)} cases in {OUT}")


if __name__ == "__main__":
    main()
