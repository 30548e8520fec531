"""Record PyTorch's public names into tcalc/data/torch_names.txt, one dotted name a line.

Run with a Python that has torch 2.13 (never in the test suite):

    python tests/record/record_torch_names.py

tcalc reads the list only when a name is missing, to tell "PyTorch has it, tcalc does not
yet" from a typo (tcalc/torch_names.py). Recorded: the members of the namespaces a user
reaches (torch, its submodules below, as `torch.fft.fft`) and of torch.Tensor (as
`Tensor.stft`). Names torch merely imports (os, sys, typing's) are left out.
"""
from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parents[2] / "tcalc" / "data" / "torch_names.txt"

# The namespaces a notebook reaches: torch.NAME, then these submodules' members.
NAMESPACES = [
    "torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.utils",
    "torch.nn.utils.rnn", "torch.nn.utils.parametrize", "torch.nn.attention", "torch.linalg",
    "torch.fft", "torch.special", "torch.autograd", "torch.autograd.functional",
    "torch.autograd.forward_ad", "torch.func", "torch.distributions", "torch.random",
    "torch.testing", "torch.optim", "torch.optim.lr_scheduler", "torch.utils",
    "torch.utils.data", "torch.sparse", "torch.masked", "torch.signal", "torch.signal.windows",
    "torch.nested", "torch.backends", "torch.cuda", "torch.mps", "torch.cpu", "torch.jit",
    "torch.export", "torch.compiler", "torch.distributed", "torch.quantization", "torch.ao",
    "torch.amp", "torch.hub", "torch.onnx", "torch.profiler", "torch.types", "torch.overrides",
    "torch.library", "torch.monitor", "torch.futures", "torch.multiprocessing", "torch.fx",
    "torch.xpu", "torch.accelerator",
]


def _is_torch_own(value) -> bool:
    """A member torch defines (or a value such as a dtype), not a module it imports."""
    if inspect.ismodule(value):
        return value.__name__.startswith("torch")
    if inspect.isclass(value) or inspect.isroutine(value):
        module = getattr(value, "__module__", None)
        return module is None or module.startswith("torch")
    return True


def names() -> set[str]:
    found = set()
    for dotted in NAMESPACES:
        try:
            module = importlib.import_module(dotted)
        except ImportError:
            continue
        found.add(dotted)
        for name in dir(module):
            if name.startswith("_"):
                continue
            try:
                value = getattr(module, name)
            except Exception:  # a lazy member that fails to load here
                continue
            if _is_torch_own(value):
                found.add(f"{dotted}.{name}")
    found.update(f"Tensor.{name}" for name in dir(torch.Tensor) if not name.startswith("_"))
    return found


def main() -> None:
    OUT.parent.mkdir(exist_ok=True)
    recorded = sorted(names())
    header = f"# PyTorch {torch.__version__}'s public names, by tests/record/record_torch_names.py\n"
    OUT.write_text(header + "\n".join(recorded) + "\n", encoding="utf-8")
    print(f"recorded {len(recorded)} names into {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
