"""Record what PyTorch 2.13 answers for many small expressions: tests/golden_differential.json.

- every operator between every pair of operand kinds (type promotion, Python-scalar rules,
  wrap-around and refusals);
- every elementwise op, reduction, conversion and shape method on tensors of each dtype,
  0-d, empty, and holding nan and inf;
- indexing, reading and writing through every kind of index;
- calls of every builtin with the arguments users give them (differential_calls.txt);
- first and second derivatives, grad(f) and grad(grad(f)), of the functions in
  differential_derivatives.txt.

Run with a Python that has torch and IPython (never part of the test suite):

    python tests/record/record_differential.py

Each case is a tcalc program that is also Python in a namespace like `from torch import *`
(its last line is the expression whose value is recorded):

    {"source": "(tensor([3, -2])) / (2)", "ok": true, "text": "tensor([ 1.5000, -1.0000])"}
    {"source": "(tensor([1.5, -2.0])) & (2)", "ok": false, "error": "RuntimeError",
     "message": "\"bitwise_and_cpu\" not implemented for 'Float'"}
"""
from __future__ import annotations

import itertools
from pathlib import Path

from recording import record_answers

OUT = Path(__file__).resolve().parent.parent / "golden_differential.json"

# Tensors of each dtype (1-d and 0-d, which promote differently) and Python scalars.
OPERANDS = {
    "bool": "tensor([True, False])",
    "uint8": "tensor([3, 2], dtype=torch.uint8)",
    "int8": "tensor([3, -2], dtype=torch.int8)",
    "int32": "tensor([3, -2], dtype=torch.int32)",
    "int64": "tensor([3, -2])",
    "float16": "tensor([1.5, -2.0], dtype=torch.float16)",
    "float32": "tensor([1.5, -2.0])",
    "float64": "tensor([1.5, -2.0], dtype=torch.float64)",
    "0-d bool": "tensor(True)",
    "0-d int32": "tensor(2, dtype=torch.int32)",
    "0-d int64": "tensor(2)",
    "0-d float64": "tensor(2.5, dtype=torch.float64)",
    "int": "2",
    "negative int": "-3",
    "float": "2.5",
    "bool scalar": "True",
}
OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "==", "<"]


# Tensors for the methods: each dtype, 0-d, empty, and non-finite values.
RECEIVERS = {
    "bool": "tensor([[True, False, True], [False, False, True]])",
    "uint8": "tensor([[3, 0, 250], [7, 1, 2]], dtype=torch.uint8)",
    "int32": "tensor([[3, -2, 0], [7, 1, -5]], dtype=torch.int32)",
    "int64": "tensor([[3, -2, 0], [7, 1, -5]])",
    "float16": "tensor([[1.5, -2.0, 0.0], [3.25, -0.5, 8.0]], dtype=torch.float16)",
    "float32": "tensor([[1.5, -2.0, 0.0], [3.25, -0.5, 8.0]])",
    "float64": "tensor([[1.5, -2.0, 0.0], [3.25, -0.5, 8.0]], dtype=torch.float64)",
    "0-d float": "tensor(2.5)",
    "0-d int": "tensor(-3)",
    "empty": "torch.zeros(0, 3)",
    "non-finite": "tensor([[1.0, nan, -inf], [0.0, 2.0, inf]])",
}
METHODS = [
    "abs()", "neg()", "exp()", "log()", "log2()", "log10()", "sqrt()", "sin()", "cos()", "tan()",
    "tanh()", "sigmoid()", "relu()", "reciprocal()", "square()", "sign()", "floor()", "ceil()",
    "round()", "trunc()", "isnan()", "clamp(min=0)", "clamp(max=1)", "clamp(-1, 1)",
    "sum()", "sum(0)", "sum(dim=1, keepdim=True)", "sum(dim=(0, 1))", "mean()", "mean(1)",
    "prod()", "prod(0)", "max()", "min()", "max(0)", "min(dim=1)", "argmax()", "argmin(1)",
    "cumsum(0)", "cumsum(dim=1)", "std()", "var(0)", "std(dim=1, keepdim=True)", "all()",
    "any(1)", "norm()", "norm(p=1)", "amax(0)", "amin(dim=1)",
    "float()", "long()", "int()", "bool()", "double()", "half()", "tolist()", "item()",
    "to(torch.int8)", "type(torch.float64)", "type()", "sum(dtype=torch.float64)",
    "mean(dtype=torch.float64)", "cumsum(0, dtype=torch.float32)",
    "flatten()", "t()", "T", "numel()", "dim()", "unsqueeze(0).shape", "squeeze()",
    "reshape(-1)", "view(-1)", "transpose(0, 1)", "contiguous()", "clone()", "detach()",
    "logical_not()", "bitwise_not()", "eq(0)", "ne(0)", "lt(1)", "ge(1)", "round(decimals=1)",
    "pow(2)", "div(2, rounding_mode='floor')", "div(2, rounding_mode='trunc')", "remainder(2)",
    "floor_divide(2)",
]


# Indexing a (2, 3, 4) tensor, reading and writing: ints, slices, None, ..., lists, masks,
# index tensors, and the refusals.
INDEXED = "arange(24).reshape(2, 3, 4)"
INDICES = [
    "0", "-1", "2", "5", "-3", "1:", ":-1", "::2", "1:2", "None", "...", "[0, 1]", "[[0, 1]]",
    "tensor([0, 1])", "tensor([True, False])", "tensor([[True, False, True], [False, True, True]])",
    "0, 1", "0, 1, 2", "..., 0", "..., None", ":, 1", ":, [0, 2]", "[0, 1], [1, 2]", "1, ..., 1",
    "0, 0, 0, 0", "tensor(1)", "True", "False", ":, None, 1", "tensor([0, 2]), :, tensor([1, 3])",
    "[[0], [1]], [0, 2]", "1.5", "'a'", "[0, 5]", "tensor([-1, -2])", "2:0", "-10:10", ":, ::0",
]
WRITTEN = ["-1", "tensor(7)", "tensor([9, 8, 7, 6])", "2.5"]


# Calls of every builtin as a user writes them, the refusals included: one per line.
CALLS = Path(__file__).resolve().parent / "differential_calls.txt"


# Bodies of f(x) whose first and second derivatives are compared: grad(f) and grad of the
# sum of grad(f), at a float64 point. One body per line.
DERIVATIVES = Path(__file__).resolve().parent / "differential_derivatives.txt"
POINT = "tensor([0.5, 1.5, 2.0, 3.0], dtype=torch.float64)"


def derivative_cases():
    """(tcalc program, the same in Python with torch.func.grad)."""
    for body in DERIVATIVES.read_text(encoding="utf-8").splitlines():
        if body.strip():
            source = (f"f(x) = {body}\ng(x) = grad(f)(x).sum()\nx = {POINT}\n"
                      "(grad(f)(x), grad(g)(x))")
            python = (f"f = lambda x: {body}\ng = lambda x: torch.func.grad(f)(x).sum()\nx = {POINT}\n"
                      "(torch.func.grad(f)(x), torch.func.grad(g)(x))")
            yield source, python


def cases():
    """(tcalc program, the same program in Python); most are the same text."""
    yield from derivative_cases()
    for source in _same_in_python():
        yield source, source


def _same_in_python():
    yield from (line for line in CALLS.read_text(encoding="utf-8").splitlines() if line.strip())
    for index in INDICES:
        yield f"({INDEXED})[{index}]"
        for value in WRITTEN:
            yield f"x = {INDEXED}\nx[{index}] = {value}\nx"
    for receiver, method in itertools.product(RECEIVERS.values(), METHODS):
        yield f"({receiver}).{method}"
    for (name_a, a), (name_b, b) in itertools.product(OPERANDS.items(), repeat=2):
        tensors = [not n.endswith(("int", "float", "scalar")) for n in (name_a, name_b)]
        if not any(tensors):
            continue  # plain Python arithmetic
        for op in OPERATORS:
            yield f"({a}) {op} ({b})"
        if all(tensors):
            yield f"maximum({a}, {b})"
        yield f"where(tensor([True, False]), {a}, {b})"


def main() -> None:
    record_answers(cases(), OUT)


if __name__ == "__main__":
    main()
