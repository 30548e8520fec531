"""Record files torch.save writes, and what PyTorch prints after loading them, for
tests/test_serialization.py; and check that PyTorch reads what tcalc's save writes.

Run with a Python that has torch 2.13 and IPython, from the repository (never part of the
test suite):

    python tests/record/record_serialization.py

Writes tests/data/torch_saved/NAME.pt and tests/data/torch_saved/expected.json ({NAME:
the text IPython shows for torch.load(NAME.pt)}). Then it runs `python -m tcalc` to save
values with tcalc and checks that torch.load gives what the same PyTorch expression gives.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from IPython.lib.pretty import pretty

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "data" / "torch_saved"

# What torch.save writes, for tcalc to load: each dtype, 0-d, empty, views, requires_grad,
# nn.Parameter, containers, dtypes and sizes.
SAVED = {
    "float32": "torch.tensor([[1.5, -2.0], [3.25, 0.0]])",
    "float64_0d": "torch.tensor(2.5, dtype=torch.float64)",
    "float16": "torch.tensor([1.5, -2.0, 65504.0], dtype=torch.float16)",
    "int64": "torch.arange(12).reshape(3, 4)",
    "int32": "torch.tensor([3, -2, 7], dtype=torch.int32)",
    "int16": "torch.tensor([300, -2], dtype=torch.int16)",
    "int8": "torch.tensor([-128, 127], dtype=torch.int8)",
    "uint8": "torch.tensor([0, 255], dtype=torch.uint8)",
    "bool": "torch.tensor([True, False, True])",
    "empty": "torch.zeros(2, 0)",
    "transposed_view": "torch.arange(6.).reshape(2, 3).T",
    "slice_view": "torch.arange(10)[2:8:2]",
    "requires_grad": "torch.tensor([1., 2.], requires_grad=True)",
    "parameter": "torch.nn.Parameter(torch.ones(2))",
    "containers": "[torch.ones(2), (1.5, True, None, 'text', 7, -3, 2 ** 40), [torch.tensor(3)]]",
    "shared": "(lambda t: [t, t[1:], t])(torch.arange(4.))",
    "dtypes_and_sizes": "[torch.int8, torch.float32, torch.Size([2, 3]), torch.bool]",
    "state_dict": "{'w': torch.ones(2)}",
}

# What tcalc saves, and the PyTorch expression torch.load must give back for it.
FROM_TCALC = {
    "arange(6.0).reshape(2, 3)": "torch.arange(6.).reshape(2, 3)",
    "tensor(2.5, dtype=float64)": "torch.tensor(2.5, dtype=torch.float64)",
    "tensor([1, -2], dtype=int8)": "torch.tensor([1, -2], dtype=torch.int8)",
    "tensor([True, False])": "torch.tensor([True, False])",
    "ones(3, dtype=float16) / 3": "torch.ones(3, dtype=torch.float16) / 3",
    "arange(6).reshape(2, 3).T": "torch.arange(6).reshape(2, 3).T",
    "zeros(0, 3)": "torch.zeros(0, 3)",
    "tensor([1., 2.], requires_grad=True)": "torch.tensor([1., 2.], requires_grad=True)",
    "[ones(2), (1.5, True, None, 'a', 2 ** 40, -7), int32, ones(2, 3).shape]":
        "[torch.ones(2), (1.5, True, None, 'a', 2 ** 40, -7), torch.int32, torch.Size([2, 3])]",
}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, expression in SAVED.items():
        path = OUT / f"{name}.pt"
        torch.save(eval(expression), path)  # noqa: S307 - our own expressions
        expected[name] = pretty(torch.load(path, weights_only=False))
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    print(f"recorded {len(SAVED)} files in {OUT.relative_to(REPO)}")

    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        for i, (tcalc_value, torch_value) in enumerate(FROM_TCALC.items()):
            path = os.path.join(folder, f"v{i}.pt")
            result = subprocess.run([sys.executable, "-m", "tcalc", "-e", f"save({tcalc_value}, '{path}')"],
                                    cwd=REPO, capture_output=True, text=True)
            if result.returncode != 0:
                print(f"tcalc could not save {tcalc_value}: {result.stderr}")
                failures += 1
                continue
            loaded = pretty(torch.load(path))  # weights_only=True, PyTorch's default
            wanted = pretty(eval(torch_value))  # noqa: S307
            if loaded != wanted:
                print(f"torch.load of tcalc's {tcalc_value}:\n{loaded}\nwanted:\n{wanted}")
                failures += 1
    print("PyTorch reads every file tcalc saved" if not failures else f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
