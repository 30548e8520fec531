"""`out=`: a function's result written into a tensor the caller gave, as PyTorch does.

The result is computed as usual, then copied into `out` in place (its id, and its memory
when the shape already fits, are kept) and `out` is returned. PyTorch's rules: the result's
dtype must cast safely to out's (matrix products want out's dtype exactly), an out of
another shape is resized, and nothing that takes part in autograd may be involved.
"""
from __future__ import annotations

import numpy as np

from .. import autograd, dtypes
from ..errors import AutogradError, DTypeError, TcalcTypeError
from ..tensor import Tensor, bump_version
from ..values import type_name

# Kernels that check out's dtype themselves and want it exactly (at::mm_out and friends).
EXACT_DTYPE = frozenset({"matmul", "mm", "mv", "dot", "outer", "bmm"})

# dtype names in PyTorch's messages (c10's ScalarType names).
_SCALAR_TYPE = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double"}
_C_NAME = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
           "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
           "bool": "bool"}


def check_out(name: str, out) -> Tensor:
    if type(out) is not Tensor:
        raise TcalcTypeError(f"{name}(): argument 'out' must be Tensor, not {type_name(out)}")
    return out


def refuse_autograd(name: str, args: tuple, out: Tensor) -> None:
    """PyTorch refuses out= whenever autograd would have to record the write."""
    if not autograd.is_grad_enabled():
        return
    involved = [out, *args, *(a for seq in args if isinstance(seq, (tuple, list)) for a in seq)]
    if any(type(t) is Tensor and t.requires_grad for t in involved):
        raise AutogradError(f"{name}(): functions with out=... arguments don't support automatic "
                            "differentiation, but one of the arguments requires grad.",
                            hint=f"call {name}() without out= and assign its result, or do it "
                                 "under torch.no_grad()")


def write_out(name: str, result, out: Tensor) -> Tensor:
    """Copy a result into `out` (checked before anything is written) and return `out`."""
    if type(result) is not Tensor:
        raise TcalcTypeError(f"{name}() does not take out= here: its result is a {type_name(result)}")
    source, target = result.dtype, out.dtype
    if name in EXACT_DTYPE and source is not target:
        raise DTypeError(f"Expected out tensor to have dtype {_C_NAME[source.name]}, but got "
                         f"{_C_NAME[target.name]} instead")
    if not dtypes.can_cast(source, target):
        raise DTypeError(f"result type {_SCALAR_TYPE[source.name]} can't be cast to the desired "
                         f"output type {_SCALAR_TYPE[target.name]}",
                         hint=f"give an out tensor of dtype torch.{source.name}, or convert the inputs")
    if out.data.shape == result.data.shape:
        out.data[...] = result.data
    else:  # PyTorch resizes out (with a warning when it held elements)
        out.data = np.array(result.data, dtype=target.numpy)
    bump_version(out)
    return out
