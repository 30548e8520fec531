"""PyTorch's public names (torch.*, its submodules' members, Tensor's methods and
attributes), to tell a name tcalc lacks from a typo.

The list is tcalc/data/torch_names.txt, recorded from PyTorch 2.13 by
tests/record/record_torch_names.py. It is read only when a name is missing, so that a run
whose names all exist never pays for it: import this module where the miss is handled.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

_LIST = Path(__file__).parent / "data" / "torch_names.txt"


@cache
def _names() -> frozenset[str]:
    try:
        lines = _LIST.read_text(encoding="utf-8").splitlines()
    except OSError:  # an install without the list: every miss reads as a typo
        return frozenset()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def pytorch_has(dotted: str) -> bool:
    """`torch.fft.fft`, `Tensor.stft`: whether PyTorch 2.13 has this name."""
    return dotted in _names()
