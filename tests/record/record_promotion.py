"""Record what PyTorch 2.13 answers for every operator between every pair of operand kinds:
tests/golden_promotion.json. Type promotion, Python-scalar rules, wrap-around and refusals.

Run with a Python that has torch and IPython (never part of the test suite):

    python tests/record/record_promotion.py

Each case is a tcalc expression that is also a Python expression in a namespace like
`from torch import *`:

    {"source": "(tensor([3, -2])) / (2)", "ok": true, "text": "tensor([ 1.5000, -1.0000])"}
    {"source": "(tensor([1.5, -2.0])) & (2)", "ok": false, "error": "RuntimeError",
     "message": "\"bitwise_and_cpu\" not implemented for 'Float'"}
"""
from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import torch
from IPython.lib.pretty import pretty

OUT = Path(__file__).resolve().parent.parent / "golden_promotion.json"

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


def cases():
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
    namespace = {name: getattr(torch, name) for name in dir(torch) if not name.startswith("_")}
    namespace["torch"] = torch
    warnings.simplefilter("ignore")
    recorded = []
    for source in cases():
        try:
            value = eval(source, namespace)  # noqa: S307 - our own fixed expressions, with torch
            recorded.append({"source": source, "ok": True, "text": pretty(value)})
        except Exception as err:  # noqa: BLE001 - what torch refuses is the record
            recorded.append({"source": source, "ok": False, "error": type(err).__name__,
                             "message": str(err).splitlines()[0]})
    lines = ",\n".join(json.dumps(case, ensure_ascii=False) for case in recorded)
    OUT.write_text("[\n" + lines + "\n]\n", encoding="utf-8")  # a case per line: readable diffs
    print(f"recorded {len(recorded)} cases in {OUT.name}")


if __name__ == "__main__":
    main()
