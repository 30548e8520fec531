"""Record what PyTorch 2.13 + IPython print for the printer's cases: tests/golden_printing.json.

Run with a Python that has torch and IPython (never part of the test suite):

    python tests/record/record_printing.py

Each case is a torch expression. Its value is stored as data the test can rebuild with NumPy
alone, next to the text `IPython.lib.pretty.pretty(value)` gives for it:

    {"case": "torch.arange(4.) * 2", "value": {...}, "text": "tensor([0., 2., 4., 6.])"}

A value is one of (by "kind"):
    tensor        dtype, shape, requires_grad, grad_fn, and either "data" (nested lists,
                  exact: float16/32 values are exact doubles) or "numpy", an expression over
                  `np` checked here to rebuild the very same bytes (for big tensors)
    ndarray       what .numpy() gives: dtype, shape, data
    tuple, list   "items" (values), or "scalars" (Python numbers, for long lists)
    return_types  name and "fields": [[field, value], ...]   (torch.return_types.max ...)
    size          torch.Size: "dims"
    python        an int, float, bool, None or str: "value"
Deterministic: random tensors come from a fixed seed and are stored as data.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from IPython.lib.pretty import pretty

OUT = Path(__file__).resolve().parent.parent / "golden_printing.json"
MAX_LISTED = 1200  # tensors with more elements need a NumPy expression


def seeded(seed, make):
    torch.manual_seed(seed)
    return make()


# A case is an expression, or (expression, NumPy expression for its one big tensor).
TENSORS = [
    # integers
    "torch.arange(12)", "torch.arange(12).reshape(3, 4)", "torch.arange(24).reshape(2, 3, 4)",
    "torch.arange(120).reshape(2, 3, 4, 5)", "torch.arange(-5, 5)", "torch.tensor([-1, 20, -300])",
    "torch.tensor([2**62, -2**62])", "torch.arange(100)", "torch.arange(40).reshape(2, 20) * 1000",
    "torch.arange(0, 10**12, 10**10)", "torch.tensor(66)", "torch.tensor(-7, dtype=torch.int32)",
    "torch.tensor([1, 2, 3], dtype=torch.int32)", "torch.tensor([1, -2, 3], dtype=torch.int16)",
    "torch.tensor([1, -2, 3], dtype=torch.int8)", "torch.tensor([200, 255, 0], dtype=torch.uint8)",
    "torch.full((2, 2), 7, dtype=torch.int32)", "torch.arange(1000).reshape(1, 1000)",
    ("torch.arange(2000)", "np.arange(2000)"),
    ("torch.arange(1500).reshape(3, 500)", "np.arange(1500).reshape(3, 500)"),
    ("torch.arange(1500).reshape(500, 3)", "np.arange(1500).reshape(500, 3)"),
    ("torch.arange(3000).reshape(10, 10, 30)", "np.arange(3000).reshape(10, 10, 30)"),
    ("torch.arange(3000).reshape(30, 4, 25)", "np.arange(3000).reshape(30, 4, 25)"),
    ("torch.arange(7 ** 4).reshape(7, 7, 7, 7)", "np.arange(7 ** 4).reshape(7, 7, 7, 7)"),
    ("torch.arange(4000, dtype=torch.int32) - 2000", "np.arange(4000, dtype=np.int32) - 2000"),
    # bool
    "torch.tensor(True)", "torch.tensor(False)", "torch.tensor([True, False, True])",
    "torch.tensor([[True], [False]])", "torch.ones(3, 3, dtype=torch.bool)",
    "torch.arange(30) % 3 == 0",
    ("torch.arange(2000) % 3 == 0", "np.arange(2000) % 3 == 0"),
    # floats: integral values, fixed point, scientific
    "torch.tensor(6.)", "torch.tensor(6.5)", "torch.tensor(-0.)", "torch.tensor(0.)",
    "torch.tensor(float('nan'))", "torch.tensor(float('-inf'))", "torch.tensor(1e-5)",
    "torch.tensor(1e10)", "torch.tensor(123456789.)", "torch.tensor(-2.5, dtype=torch.float64)",
    "torch.tensor([0.5, 1., 2., 4.])", "torch.ones(2, 3, 4)", "torch.zeros(2, 3)",
    "torch.arange(4.) * 2", "torch.tensor([1e-5, 1e5])", "torch.tensor([1e-5, 1.])",
    "torch.tensor([1., 1e9])", "torch.tensor([1., 1e8])", "torch.tensor([1e8])",
    "torch.tensor([1., 1000.])", "torch.tensor([1., 1001.])", "torch.tensor([1., 1000.5])",
    "torch.tensor([0.1, 100.])", "torch.tensor([0.1, 100.1])", "torch.tensor([0.01, 10.])",
    "torch.tensor([1e-4, 0.5])", "torch.tensor([1e-4, 0.5], dtype=torch.float64)",
    "torch.tensor([0.00012, 0.5])", "torch.tensor([123456.7])", "torch.tensor([0.1 + 0.2])",
    "torch.tensor([0.1 + 0.2], dtype=torch.float64)", "torch.tensor([0.1, 0.2, 0.3]) + 0.1",
    "torch.tensor([1e-3])", "torch.tensor([1e-3, 1.])", "torch.tensor([12345678.])",
    "torch.tensor([9.99995])", "torch.tensor([0.99999, 1.5])", "torch.tensor([999.99999, 1.5])",
    "torch.tensor([-9.99999, 1.])", "torch.tensor([-1., -2.5, 3.25])", "torch.tensor([-1e-5, 1.])",
    "torch.tensor([-1e10, 1.])", "torch.tensor([[1e-8, 1.], [2., 3.]])",
    "torch.tensor([1e20, -1e-20], dtype=torch.float64)",
    "torch.tensor([1e100, 1e-100], dtype=torch.float64)",
    "torch.tensor([1e300, -1e-300, 1.], dtype=torch.float64)",
    "torch.tensor([5e-324, 1.], dtype=torch.float64)", "torch.tensor([1e308, 5e-324], dtype=torch.float64)",
    "torch.tensor([1.5e300, 2.], dtype=torch.float64)",
    "torch.tensor([[0.3449, 0.0794, 1.0447], [2.0958, -0.7025, 1.1874]])",
    "torch.linspace(-1, 1, 25).reshape(5, 5)", "torch.arange(1, 6.) ** 10", "torch.arange(40.) * 1.5",
    "torch.arange(60., dtype=torch.float64).reshape(3, 20) / 7", "torch.arange(60.).reshape(3, 4, 5) / 7",
    "(torch.arange(12.) - 6) / 4", "torch.arange(12.).reshape(3, 4) * 1e10", "torch.arange(10.) * 1e-3",
    "torch.arange(24.).reshape(1, 2, 3, 4) - 11.5", "torch.ones(2, 400)", "torch.arange(1000.) / 7",
    ("torch.ones(3, 400)", "np.ones((3, 400), np.float32)"),
    ("torch.arange(2000.)", "np.arange(2000, dtype=np.float32)"),
    ("torch.ones(1001)", "np.ones(1001, np.float32)"),
    ("torch.arange(1001.) / 7", "np.arange(1001, dtype=np.float32) / np.float32(7)"),
    ("torch.arange(3000.).reshape(100, 30)", "np.arange(3000, dtype=np.float32).reshape(100, 30)"),
    ("torch.arange(2000.).reshape(2, 1000) * 1e-6",
     "np.arange(2000, dtype=np.float32).reshape(2, 1000) * np.float32(1e-6)"),
    ("torch.zeros(10, 200)", "np.zeros((10, 200), np.float32)"),
    ("torch.arange(1e6, dtype=torch.float64).reshape(1000, 1000)",
     "np.arange(1e6, dtype=np.float64).reshape(1000, 1000)"),
    # nan, inf, negative zero
    "torch.tensor([float('nan'), 1., float('inf'), float('-inf')])",
    "torch.tensor([float('nan'), 1.5])", "torch.tensor([float('nan')])",
    "torch.tensor([float('inf'), float('-inf')])", "torch.tensor([float('nan'), 1e-5, 1.])",
    "torch.tensor([float('inf'), 123.456])", "torch.tensor([-0., 0., 1.])", "torch.tensor([0., 0.])",
    "torch.tensor([-0., 1.5])", "torch.tensor([-0.])", "torch.tensor([-0., float('nan')])",
    "torch.tensor([[float('nan'), 2.], [3., float('-inf')]])",
    # float16, float64
    "torch.tensor([1.5, 2.5], dtype=torch.float16)", "torch.tensor([1., 2.], dtype=torch.float16)",
    "torch.tensor([0.1], dtype=torch.float16)", "torch.tensor([65504., 1.], dtype=torch.float16)",
    "torch.tensor([1e-5, 1.], dtype=torch.float16)", "torch.tensor(3.5, dtype=torch.float16)",
    "torch.arange(4, dtype=torch.float64)", "torch.tensor([1 / 3], dtype=torch.float64)",
    # random values, seeded
    "seeded(0, lambda: torch.randn(3, 4))", "seeded(1, lambda: torch.randn(5, 5) * 100)",
    "seeded(2, lambda: torch.randn(20, 3))", "seeded(3, lambda: torch.randn(2, 3, 4))",
    "seeded(4, lambda: torch.rand(40))", "seeded(5, lambda: torch.randint(-1000, 1000, (4, 6)))",
    "seeded(6, lambda: torch.randn(8, 8, dtype=torch.float64))",
    # empty tensors
    "torch.tensor([])", "torch.tensor([], dtype=torch.int64)", "torch.zeros(0, 3)",
    "torch.zeros(2, 0, dtype=torch.int64)", "torch.tensor([], dtype=torch.bool)",
    "torch.zeros(0, dtype=torch.float64)", "torch.zeros(0, dtype=torch.int32)", "torch.zeros(1, 0, 2)",
    "torch.tensor([[]])", "torch.zeros(0, requires_grad=True)",
    "torch.zeros(0, 3, dtype=torch.float16, requires_grad=True)",
    # suffixes: where they go
    "torch.arange(8, dtype=torch.float64) * 1.1", "torch.arange(9, dtype=torch.float64) * 1.1",
    "torch.arange(12, dtype=torch.float64) * 1.1", "torch.arange(8, dtype=torch.int32) * 100000",
    "torch.arange(9, dtype=torch.int32) * 1000000", "torch.arange(16, dtype=torch.int8)",
    "torch.arange(9.) * 1.1", "torch.arange(7, dtype=torch.float64).reshape(1, 7) * 1.1",
    # autograd
    "torch.arange(4., requires_grad=True)", "torch.tensor(2., requires_grad=True)",
    "torch.tensor([1., 2.], requires_grad=True) * 2", "(torch.arange(4., requires_grad=True) ** 2).sum()",
    "torch.arange(4., requires_grad=True).sum(0, keepdim=True)", "torch.arange(4., requires_grad=True).exp()",
    "torch.arange(4., requires_grad=True) + 1", "torch.arange(4., requires_grad=True).mean()",
    "torch.arange(4., requires_grad=True).reshape(2, 2)", "torch.arange(4., requires_grad=True)[1]",
    "torch.arange(4, dtype=torch.float64, requires_grad=True)",
    "torch.arange(4, dtype=torch.float64, requires_grad=True) * 2",
    "torch.ones(2, 2, requires_grad=True)", "torch.ones(3, 30, requires_grad=True) * 1.5",
    "torch.arange(120.).reshape(10, 12).requires_grad_() * 2",
    "torch.arange(9., requires_grad=True) * 1.1",
    "torch.arange(9, dtype=torch.float64, requires_grad=True) * 1.1",
    "torch.arange(8, dtype=torch.float64, requires_grad=True) * 1.1",
    "torch.arange(17, dtype=torch.float64, requires_grad=True) * 111",
    "torch.arange(19., requires_grad=True).reshape(1, -1).sum(0)",
    ("torch.arange(2000., requires_grad=True) * 2", "np.arange(2000, dtype=np.float32) * 2"),
]

SEQUENCES = [
    "(torch.ones(2, 2), torch.tensor([1.]))", "(torch.arange(3).reshape(3, 1), torch.arange(2).reshape(1, 2))",
    "(torch.tensor([3.]), torch.tensor([2.]))", "(torch.tensor(1.),)", "()", "[]", "[torch.arange(3)] * 2",
    "(torch.arange(30), torch.arange(30))", "(torch.arange(20), torch.arange(25), torch.arange(3))",
    "((torch.arange(3), torch.arange(2)), torch.ones(2, 2))",
    "(torch.ones(2, 2), [torch.arange(2), (torch.arange(3),)])", "torch.arange(6).reshape(2, 3).unbind()",
    "torch.arange(10).split(3)", "torch.arange(12.).reshape(3, 4).chunk(2)", "torch.arange(100).chunk(2)",
    "[torch.arange(100), torch.arange(2)]", "tuple(torch.tensor(float(i)) for i in range(20))",
    "(torch.arange(4.), torch.tensor(6.), torch.arange(12).reshape(3, 4))",
    "(torch.arange(4., requires_grad=True) * 2, torch.ones(2, 2, requires_grad=True))",
    "([torch.arange(10)] * 3, [torch.arange(10)] * 3)", "[[torch.arange(5)] * 4, [torch.ones(2, 2)]]",
    "(torch.arange(3000).reshape(10, 10, 30)[:2, :2, :3], torch.tensor([True]))",
    "(torch.tensor([], dtype=torch.int64), torch.zeros(0, 3))",
    "(torch.arange(60, dtype=torch.float64).reshape(3, 20) / 7, 1)",
    # Python values
    "torch.arange(30).tolist()", "(torch.arange(4.) * 0.5).tolist()", "torch.tensor([0.1, 0.2]).tolist()",
    "torch.arange(3).reshape(3, 1).tolist()", "torch.arange(40).reshape(2, 20).tolist()",
    "torch.arange(1200).tolist()", "(1, 2.5, None, True, 'a')", "torch.tensor(3.5).item()",
    "torch.tensor(0.1).item()", "torch.tensor(7).item()", "torch.tensor(True).item()",
    "[0.1 + 0.2, 1e16, 2**70, -0.0, float('nan'), float('inf'), 1e-7, 123456789.0]",
    "tuple(range(24))", "tuple(range(25))", "tuple(range(26))", "tuple(range(27))",
    "list(range(24))", "list(range(25))", "list(range(26))", "list(range(27))",
    "[list(range(15)), list(range(15)), list(range(15))]", "[list(range(30)), list(range(3))]",
    "[[1, 2], [list(range(30)), [3, 4]], (5, list(range(25)))]", "(list(range(12)),) * 3",
    "[(i, [i] * i) for i in range(8)]", "([0] * 20, [1] * 20, [2] * 20, [3] * 20)",
    # where IPython's group queue drops a different group than the one it breaks
    "([], ((), torch.arange(5).reshape(5, 1), ((35492525, 4), torch.arange(2), 29308535),"
    " [torch.arange(31), (3, torch.arange(39), 8629531, 22280613, 1, 8)], (), 54860), 75, 63805721874)",
    # torch.Size and NumPy arrays as leaves
    "torch.zeros(2, 3).shape", "(torch.zeros(2, 3).shape, torch.zeros(4).shape)",
    "[torch.zeros(5, 4).shape] * 4", "torch.arange(4).numpy()", "torch.ones(2, 2).numpy()",
    "torch.arange(4, dtype=torch.float64).numpy()", "torch.tensor([True, False]).numpy()",
    "torch.arange(12).reshape(3, 4).numpy() * 1.5", "(torch.arange(3).numpy(), torch.arange(2))",
    "torch.arange(40, dtype=torch.int32).numpy()", "torch.tensor([1e-5, 1e5]).numpy()",
    # named results
    "torch.max(torch.arange(6).reshape(2, 3), dim=1)", "torch.min(torch.arange(6.).reshape(2, 3), 0)",
    "torch.sort(torch.tensor([3., 1., 2.]))", "torch.max(torch.arange(24.).reshape(2, 3, 4), 0)",
    "torch.topk(torch.arange(30.).reshape(3, 10) * 1.5, 2)",
    "(torch.max(torch.arange(6).reshape(2, 3), 1), 1)",
    "[torch.sort(torch.tensor([2, 1])), torch.ones(2, 2)]",
    "torch.max(torch.arange(300).reshape(3, 100), 1)", "torch.median(torch.arange(300.).reshape(100, 3), 0)",
    "torch.sort(torch.arange(30.) * 1.5, descending=True)",
    "torch.max(torch.arange(6., requires_grad=True).reshape(2, 3), 1)",
    "torch.linalg.slogdet(torch.eye(2) * 2)", "torch.min(torch.tensor([[1, 5], [4, 2]]), dim=0, keepdim=True)",
    "(torch.max(torch.arange(6).reshape(2, 3), 1), torch.min(torch.arange(6).reshape(2, 3), 1))",
]


def grad_fn_name(t: torch.Tensor) -> str | None:
    """The name torch's repr shows (see torch/_tensor_str.py)."""
    if t.grad_fn is None:
        return None
    name = type(t.grad_fn).__name__
    return t.grad_fn.name().rsplit("::", 1)[-1] if name == "CppFunction" else name


def same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    return (a.dtype == b.dtype and a.shape == b.shape
            and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes())


def rebuild(spec: dict) -> np.ndarray:
    """What the test does with a tensor or ndarray spec."""
    if "numpy" in spec:
        return np.asarray(eval(spec["numpy"], {"np": np}))
    return np.array(spec["data"], dtype=spec["dtype"]).reshape(spec["shape"])


def array_spec(kind: str, array: np.ndarray, numpy_expr: str | None) -> dict:
    spec = {"kind": kind, "dtype": array.dtype.name, "shape": list(array.shape)}
    if array.size > MAX_LISTED:
        if numpy_expr is None:
            raise ValueError(f"{array.shape} is too big to list: give a NumPy expression")
        spec["numpy"] = numpy_expr
    else:
        spec["data"] = array.tolist()
    if not same_bytes(rebuild(spec), array):
        raise ValueError(f"the stored data does not rebuild the tensor: {spec}")
    return spec


def encode(value, numpy_expr: str | None = None) -> dict:
    if isinstance(value, torch.Tensor):
        spec = array_spec("tensor", value.detach().numpy(), numpy_expr)
        spec["requires_grad"] = value.requires_grad
        spec["grad_fn"] = grad_fn_name(value)
        return spec
    if isinstance(value, np.ndarray):
        return array_spec("ndarray", value, numpy_expr)
    if isinstance(value, torch.Size):
        return {"kind": "size", "dims": list(value)}
    if type(value).__module__ == "torch.return_types":
        return {"kind": "return_types", "name": type(value).__name__,
                "fields": [[key, encode(getattr(value, key))] for key in type(value).__match_args__]}
    if type(value) in (tuple, list):
        kind = type(value).__name__
        if value and all(type(v) in (int, float, bool) for v in value):
            return {"kind": kind, "scalars": list(value)}
        return {"kind": kind, "items": [encode(v) for v in value]}
    if value is None or type(value) in (int, float, bool, str):
        return {"kind": "python", "value": value}
    raise TypeError(f"cannot record {type(value)}")


def record(expression: str, numpy_expr: str | None) -> dict:
    value = eval(expression, {"torch": torch, "np": np, "seeded": seeded})
    text = pretty(value)
    if isinstance(value, torch.Tensor) and text != repr(value):
        raise AssertionError(f"IPython's text differs from repr for {expression}")
    return {"case": expression, "value": encode(value, numpy_expr), "text": text}


def main() -> None:
    assert torch.__version__.startswith("2.13"), torch.__version__
    cases = []
    for case in TENSORS + SEQUENCES:
        expression, numpy_expr = (case, None) if isinstance(case, str) else case
        cases.append(record(expression, numpy_expr))
    expressions = [c["case"] for c in cases]
    assert len(set(expressions)) == len(expressions), "duplicate cases"
    lines = (json.dumps(case, ensure_ascii=False) for case in cases)  # one case a line
    OUT.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    print(f"recorded {len(cases)} cases in {OUT}")


if __name__ == "__main__":
    main()
