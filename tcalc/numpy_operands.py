"""NumPy values as operands of the arithmetic operators, as in a Python session.

An ndarray (or NumPy scalar) with a number or another ndarray is NumPy arithmetic, giving
NumPy values (`10.0 ** np.arange(-1, -6, -1)`); `tensor * ndarray` is NumPy's product made a
tensor (torch's operator leaves it to NumPy), `ndarray * tensor` is refused, as with torch;
a NumPy scalar with a tensor is a number. The evaluator sends an operator here when an
operand is a NumPy value; the tensor ops never see one.
"""
from __future__ import annotations

import numpy as np

from . import ops
from .errors import TcalcTypeError
from .tensor import Tensor

# Exact types, for a set lookup on the evaluator's operator path.
NUMPY_TYPES = frozenset({np.ndarray, *(np.dtype(c).type for c in "?bBhHiIlLqQefdg")})

_NUMPY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "//": np.floor_divide,
          "%": np.remainder, "**": np.power, "@": np.matmul, "&": np.bitwise_and, "|": np.bitwise_or,
          "^": np.bitwise_xor, "<<": np.left_shift, ">>": np.right_shift}


def _as_scalar(x):
    return x.item() if type(x) in NUMPY_TYPES and type(x) is not np.ndarray else x


def binary(op: str, tensor_op, a, b):
    """`a op b` where a or b is a NumPy value; `tensor_op` is the operator's tensor op."""
    if type(b) is Tensor and type(a) is np.ndarray:  # NumPy's operator gives up, as does torch's
        raise TcalcTypeError(f"unsupported operand type(s) for {op}: 'numpy.ndarray' and 'Tensor'",
                             hint="make the array a tensor first: torch.from_numpy(a)")
    if type(a) is Tensor and type(b) is np.ndarray:
        # NumPy computes on the tensor's array (with NumPy's promotion: float32 * int64 is
        # float64) and the result is made a tensor.
        with np.errstate(all="ignore"):
            return Tensor(np.asarray(_NUMPY[op](ops.numpy(a), b)))
    if type(a) is Tensor or type(b) is Tensor:  # a NumPy scalar is a number to torch
        return tensor_op(_as_scalar(a), _as_scalar(b))
    with np.errstate(all="ignore"):  # NumPy's own warnings are not the program's output
        return _NUMPY[op](a, b)


def negative(x):
    return np.negative(x)
