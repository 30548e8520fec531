"""NumPy values as operands of the arithmetic operators, as in a Python session.

A program's `+ - * / // % ** @` and unary `-` reach ops.add & co. (through the
evaluator's operator table). These thin versions send NumPy operands where Python would:
an ndarray (or NumPy scalar) with a number or another ndarray is NumPy arithmetic, giving
NumPy values (`10.0 ** np.arange(-1, -6, -1)`); `tensor * ndarray` is NumPy's product made
a tensor, `ndarray * tensor` is refused, as with torch; a NumPy scalar is a number. Anything else goes straight to the tensor op, with the
same signature, so calls bind and fail exactly as before.
"""
from __future__ import annotations

import numpy as np

from ..errors import TcalcTypeError
from ..tensor import Tensor
from . import convert, elementwise, inplace, linalg

# Exact types, for a set lookup on the hot path (every tensor operation passes here).
NUMPY_TYPES = frozenset({np.ndarray, *(np.dtype(c).type for c in "?bBhHiIlLqQefdg")})


OPERATOR = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floor_divide": "//", "remainder": "%",
            "pow": "**", "matmul": "@"}


def _is_numpy(x) -> bool:
    return type(x) in NUMPY_TYPES


def _as_scalar(x):
    return x.item() if type(x) in NUMPY_TYPES else x


def _numpy_or(tensor_op, numpy_op, a, b, *rest):
    if type(b) is Tensor and type(a) is np.ndarray:  # NumPy's operator gives up, as does torch's
        symbol = OPERATOR.get(tensor_op.__name__, tensor_op.__name__)
        raise TcalcTypeError(f"unsupported operand type(s) for {symbol}: 'numpy.ndarray' and 'Tensor'",
                             hint="make the array a tensor first: torch.from_numpy(a)")
    if type(a) is Tensor and type(b) is np.ndarray:
        # torch's operator leaves it to NumPy, which computes on the tensor's array (with
        # NumPy's promotion: float32 * int64 is float64) and wraps the result as a tensor.
        with np.errstate(all="ignore"):
            return Tensor(np.asarray(numpy_op(convert.numpy(a), b)))
    if type(a) is Tensor or type(b) is Tensor:  # a NumPy scalar is a number to torch
        return tensor_op(_as_scalar(a), _as_scalar(b), *rest)
    with np.errstate(all="ignore"):  # NumPy's own warnings are not the program's output
        return numpy_op(a, b)


def add(a, b, alpha=1):
    if _is_numpy(a) or _is_numpy(b):
        return _numpy_or(elementwise.add, np.add, a, b, alpha)
    return elementwise.add(a, b, alpha)


def sub(a, b, alpha=1):
    if _is_numpy(a) or _is_numpy(b):
        return _numpy_or(elementwise.sub, np.subtract, a, b, alpha)
    return elementwise.sub(a, b, alpha)


def mul(a, b):
    if _is_numpy(a) or _is_numpy(b):
        return _numpy_or(elementwise.mul, np.multiply, a, b)
    return elementwise.mul(a, b)


def div(a, b, rounding_mode=None):
    if _is_numpy(a) or _is_numpy(b):
        return _numpy_or(elementwise.div, np.true_divide, a, b, rounding_mode)
    return elementwise.div(a, b, rounding_mode)


def floor_divide(a, b):
    if _is_numpy(a) or _is_numpy(b):
        return _numpy_or(elementwise.floor_divide, np.floor_divide, a, b)
    return elementwise.floor_divide(a, b)


def remainder(a, b):
    if _is_numpy(a) or _is_numpy(b):
        return _numpy_or(elementwise.remainder, np.remainder, a, b)
    return elementwise.remainder(a, b)


def pow(a, b):
    if _is_numpy(a) or _is_numpy(b):
        return _numpy_or(elementwise.pow, np.power, a, b)
    return elementwise.pow(a, b)


def matmul(a, b):
    if _is_numpy(a) or _is_numpy(b):
        return _numpy_or(linalg.matmul, np.matmul, a, b)
    return linalg.matmul(a, b)


def neg(x):
    if _is_numpy(x):
        return np.negative(x)
    return elementwise.neg(x)


# `X += Y` reaches apply_inplace with the operator's function; apply_inplace knows the
# tensor ops by identity (its fast paths), so it is given the tensor op back.
_TENSOR_OP = {add: elementwise.add, sub: elementwise.sub, mul: elementwise.mul, div: elementwise.div,
              floor_divide: elementwise.floor_divide, remainder: elementwise.remainder,
              pow: elementwise.pow, matmul: linalg.matmul}


def apply_inplace(function, x, other):
    return inplace.apply_inplace(_TENSOR_OP.get(function, function), x, other)
