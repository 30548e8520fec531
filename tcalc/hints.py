"""Hints that teach: the second line of a diagnostic, after PyTorch's (or Python's) headline.

The headline says what went wrong in PyTorch's words; a hint says what to do about it:
the name you probably meant, how two shapes line up for broadcasting and which dimension
clashes, the conversion a dtype needs, why autograd refused.

The hints about shapes live in tcalc.shape_hints, below the ops that attach them to their
errors; this module names broadcast_hint too, for the evaluator.
"""
from __future__ import annotations

import re

from .errors import TcalcError
from .shape_hints import broadcast_hint, shape_text  # noqa: F401 (broadcast_hint: for the evaluator)
from .tensor import Tensor

# Names people bring from Python, NumPy or other calculators, and what tcalc says instead.
_FOREIGN = {
    "np": "import it first: `import numpy as np` (tcalc's numpy is a small table), or use torch.NAME",
    "numpy": "import it first: `import numpy as np` (tcalc's numpy is a small table), or use torch.NAME",
    "math": "import it first: `import math`, or use the tensor functions: sqrt(x), exp(x), pi, e",
    "random": "import it first: `import random`, or use torch.rand / torch.randn",
    "F": "import it first: `import torch.nn.functional as F`",
    "nn": "import it first: `from torch import nn`",
    "array": "make a tensor with tensor([...])",
    "asarray": "make a tensor with tensor([...])",
    "self": "methods are called on a value: x.sum()",
}
_UNREACHABLE = {"eval", "exec", "open", "compile", "globals", "locals", "vars", "getattr", "setattr",
                "input", "exit", "quit", "help", "dir", "type", "object", "breakpoint", "__import__",
                "__builtins__", "os", "sys", "subprocess"}


def suggest(name: str, candidates) -> str | None:
    """`did you mean 'mean'?` for the closest name, case-insensitively."""
    by_lower: dict[str, str] = {}
    for c in candidates:
        if isinstance(c, str) and not c.startswith("_"):
            by_lower.setdefault(c.lower(), c)
    if name.lower() in by_lower and by_lower[name.lower()] != name:
        return f"did you mean '{by_lower[name.lower()]}'?"
    import difflib  # here: only a misspelt name needs it, and it costs 2 ms of start-up

    close = difflib.get_close_matches(name.lower(), list(by_lower), n=2, cutoff=0.75)
    if not close:
        return None
    words = " or ".join(f"'{by_lower[c]}'" for c in close)
    return f"did you mean {words}?"


def name_hint(name: str, known, torch_members) -> str | None:
    if name.startswith("__") or name in _UNREACHABLE:
        return ("tcalc reaches only its own functions, tensors and your variables; "
                "Python's own names are not available")
    if name in _FOREIGN:
        return _FOREIGN[name]
    hint = suggest(name, known)
    if hint is None and name in torch_members:
        hint = f"write torch.{name}"
    return hint


def pytorch_only(dotted: str) -> str | None:
    """The headline for a name PyTorch has and tcalc lacks (`torch.fft.fft`, `Tensor.stft`),
    said instead of a did-you-mean to some unrelated name of tcalc's; None for a name
    PyTorch lacks too, a typo."""
    from . import torch_names  # its list is read on a miss only: start-up never pays for it

    if torch_names.pytorch_has(dotted):
        return f"{dotted} is PyTorch's, and tcalc does not have it yet"
    return None


def unknown_name(name: str, known, torch_members) -> tuple[str, str | None]:
    """The headline and hint for a bare name that is not defined."""
    reachable = not (name.startswith("_") or name in _UNREACHABLE or name in _FOREIGN)
    if reachable and name not in torch_members:
        headline = pytorch_only(f"torch.{name}")  # as after `from torch import *`
        if headline is not None:
            return headline, None
    return f"name '{name}' is not defined", name_hint(name, known, torch_members)


def attribute_hint(name: str, candidates) -> str | None:
    if name.startswith("_"):
        return "names starting with '_' are not reachable in tcalc"
    if name in ("len", "length", "size_"):
        return "use len(x), x.shape or x.numel()"
    return suggest(name, candidates)


# ---- operands ------------------------------------------------------------------------

def operand_note(value) -> str | None:
    """What a diagnostic notes under an operand: its shape and dtype, or its type."""
    if type(value) is Tensor:
        return f"shape {shape_text(value.data.shape)}, {value.dtype.name}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return type(value).__name__
    return None


# ---- hints by message, for errors raised without one ---------------------------------

_BY_MESSAGE = [
    (r"could not infer output dtype|not implemented for '(Long|Int|Bool|Short|Char|Byte)'",
     "convert to a float tensor first, e.g. x.float()"),
    (r"only Tensors of floating point dtype can require gradients",
     "make it a float tensor: tensor([1., 2.]), arange(4.0) or x.float()"),
    (r"expected scalar type|same dtype|to have same dtype",
     "convert one side so the dtypes agree, e.g. x.float() or x.to(y.dtype)"),
    (r"element 0 of tensors does not require grad",
     "call x.requires_grad_() on the inputs before computing the output"),
    (r"'torch\.Size' object is not callable", "shape is an attribute: write x.shape (or x.size())"),
    (r"object is not callable", "only functions can be called; did you put ( ) after a value?"),
    (r"is out of bounds|index out of range",
     "indices of a dimension of size n run from -n to n-1"),
    (r"Dimension out of range", "dims of a tensor with d dimensions run from -d to d-1"),
    (r"indexing tensors could not be broadcast",
     "index tensors pair up element by element, so their shapes must broadcast; for every "
     "combination index one dim at a time: x[a][:, b]"),
    (r"^The shape of the mask", "a bool mask has the shape of the dims it covers, e.g. x[x > 0]"),
    (r"cannot be broadcast to indexing result",
     "the value must broadcast to the shape of what the index selects (x[index].shape)"),
    (r"^The expanded size of the tensor", "sizes of 1 stretch; other sizes must stay as they are"),
    (r"shape '\[.*\]' is invalid for input of size",
     "the new shape must hold the same number of elements; -1 infers one size"),
    (r"^'(\w+)' object has no attribute", None),
]


def hint_for(err: TcalcError) -> str | None:
    for pattern, hint in _BY_MESSAGE:
        if re.search(pattern, err.message):
            return hint
    return None
