"""Python's own values in the language: numbers, strings, tuples, lists, torch.Size and
NumPy arrays, with Python's semantics (arithmetic, comparison, indexing, attributes), and
the limits that keep them from eating the machine (`9 ** 9 ** 9`, `[0] * 10**12`).
"""
from __future__ import annotations

import numpy as np

from . import dtypes, limits
from .errors import Span, TcalcIndexError, TcalcTypeError, TcalcValueError
from .tensor import Size, Tensor
from .values import type_name

NUMBER_TYPES = (bool, int, float)


def is_number(x) -> bool:
    return isinstance(x, (bool, int, float))


def arithmetic(op: str, a, b):
    if op == "/":
        if b == 0:
            raise TcalcValueError("division by zero", hint="for inf, divide tensors: tensor(1.) / 0")
        return a / b
    if op in ("//", "%") and b == 0:
        raise TcalcValueError("integer division or modulo by zero")
    if op == "**":
        limits.check_int_result(op, a, b)
        if a == 0 and b < 0:
            raise TcalcValueError("0.0 cannot be raised to a negative power")
    if op == "*":
        limits.check_int_result(op, a, b)
    if op == "@":
        raise TcalcTypeError("unsupported operand type(s) for @: numbers")
    if op in ("&", "|", "^") and (isinstance(a, float) or isinstance(b, float)):
        raise TcalcTypeError(f"unsupported operand type(s) for {op}: 'float'")
    try:
        result = _PYTHON_OPS[op](a, b)
    except OverflowError:
        raise TcalcValueError("numerical result out of range") from None
    if isinstance(result, int) and result.bit_length() > limits.LIMITS.max_int_digits * 3.32:
        raise limits.refuse("max_int_digits", f"the result of {op} has more than "
                            f"{limits.LIMITS.max_int_digits:,} digits")
    return result


_PYTHON_OPS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "//": lambda a, b: a // b, "%": lambda a, b: a % b, "**": lambda a, b: a ** b,
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
}


def compare(op: str, a, b):
    try:
        return {"==": a == b, "!=": a != b}[op] if op in ("==", "!=") else \
            {"<": lambda: a < b, "<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b}[op]()
    except TypeError:
        raise TcalcTypeError(f"'{op}' not supported between {type_name(a)} and {type_name(b)}") from None


def sequence_arithmetic(op: str, a, b):
    if op == "+" and type(a) is type(b) and isinstance(a, (tuple, list)):
        limits.check_list(len(a) + len(b))
        return a + b
    if op == "*" and isinstance(a, (tuple, list)) and isinstance(b, int) and not isinstance(b, bool):
        limits.check_list(len(a) * b)
        return a * b
    raise TcalcTypeError(f"unsupported operand type(s) for {op}: {type_name(a)} and {type_name(b)}",
                         hint="make a tensor first: tensor([...])")



def slice_bound(value, span: Span):
    if type(value) is Tensor and value.data.ndim == 0 and value.dtype.category == dtypes.INT:
        return int(value.data)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TcalcTypeError("slice indices must be integers or None", span)


def sequence_index(obj, index):
    if isinstance(index, int) or isinstance(index, slice):
        try:
            result = obj[index]
        except IndexError:
            kind = "list" if isinstance(obj, list) else "tuple"  # torch.Size is a tuple to Python
            n = len(obj)
            raise TcalcIndexError(f"{kind} index out of range",
                                  hint=f"the {type_name(obj)} has {n} item{'' if n == 1 else 's'}"
                                       + (f"; indices run from {-n} to {n - 1}" if n else "")) from None
        return Size(result) if isinstance(obj, Size) and isinstance(index, slice) else result
    if isinstance(obj, np.ndarray):
        return obj[index]
    raise TcalcTypeError(f"{type_name(obj)} indices must be integers or slices")


def field(obj, name):
    if isinstance(obj, Size):
        raise TcalcTypeError(f"'torch.Size' object has no attribute '{name}'")
    if name not in obj._fields:
        raise TcalcTypeError(f"'{type_name(obj)}' object has no attribute '{name}'")
    return obj[obj._fields.index(name)]


def numpy_attribute(obj: np.ndarray, name: str):
    return {"shape": lambda: obj.shape, "dtype": lambda: obj.dtype, "T": lambda: obj.T,
            "ndim": lambda: obj.ndim, "size": lambda: obj.size}[name]()
