"""Helpers shared by every op module: operands as arrays, PyTorch's promotion of operands
(result_type) and broadcasting (broadcast_shape, with its hint), and the skeletons of binary
and unary elementwise ops."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import Op, apply
from ..errors import ShapeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from ..limits import check_elements, check_shape
from ..shape_hints import broadcast_hint
from ..tensor import Tensor, writable  # noqa: F401  (writable: the ops' name for it)
from ..values import type_name

Number = (bool, int, float)
_NUMBER_TYPES = frozenset(Number)


def is_number(x) -> bool:
    return isinstance(x, Number)


def array_of(x, dtype: dtypes.DType) -> np.ndarray:
    """An operand (Tensor or Python number) as an ndarray of `dtype`, without copying when
    it already is one."""
    if type(x) is Tensor:
        data = x.data
        return data if data.dtype == dtype.numpy else data.astype(dtype.numpy)
    return scalar_array(x, dtype.numpy)


def scalar_array(x, dtype: np.dtype) -> np.ndarray:
    """A Python number as a 0-d array of `dtype`, as PyTorch converts it."""
    if type(x) is int and not _INT_SCALARS[0] <= x <= _INT_SCALARS[1]:
        raise TcalcValueError("int too big to convert", hint="integer tensors hold 64 bits at most; "
                              "write the number as a float (e.g. 1e30)")
    try:
        return np.asarray(x, dtype=dtype)
    except OverflowError:
        return np.asarray(_wrapped_int(x, dtype), dtype=dtype)


# The Python ints PyTorch takes as an operand (it reads them as 64-bit integers).
_INT_SCALARS = (-2 ** 63, 2 ** 64 - 2)


# 0-d arrays of the Python numbers a program writes as operands (literals, small ints), by
# (type, value, dtype): NumPy combines an array with a 0-d array faster than with a Python
# number, and making the 0-d array costs more than looking it up. Read-only, as they are
# shared. A loop counter's values pass once each, so large ints are not kept; zero is left
# out (0.0 and -0.0 are equal keys), NaN never matches, and the cache is cleared when full.
_SCALAR_CACHE: dict = {}
_SCALAR_CACHE_SIZE = 1024


def scalar_operand(x, dtype: np.dtype) -> np.ndarray:
    key = (type(x), x, dtype)
    array = _SCALAR_CACHE.get(key)
    if array is None:
        array = scalar_array(x, dtype)
        if x and (type(x) is float or -256 <= x <= 256):
            if len(_SCALAR_CACHE) >= _SCALAR_CACHE_SIZE:
                _SCALAR_CACHE.clear()
            array.flags.writeable = False
            _SCALAR_CACHE[key] = array
    return array


def fill_array(value, dtype: np.dtype) -> np.ndarray:
    """A fill value (full, full_like, fill_) as a 0-d array of `dtype`. Unlike arithmetic,
    PyTorch checks that it fits, except that a negative int may wrap into an unsigned type
    (c10's checked conversion)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu" and not isinstance(value, bool):
        info = np.iinfo(dtype)
        if isinstance(value, int):
            fits = value <= info.max and (value >= info.min or dtype.kind == "u" and -value <= info.max)
        else:  # a float: NaN and infinities never fit
            fits = info.min <= value <= info.max
        if not fits:
            raise TcalcValueError(f"value cannot be converted to type {dtypes.BY_NUMPY[dtype].cpp_type} "
                                  "without overflow")
    return scalar_array(value, dtype)


def _wrapped_int(x: int, dtype: np.dtype) -> int:
    """A Python int that does not fit an integer tensor's dtype wraps around as in PyTorch
    (uint8 tensor + -3 adds 253), as long as it fits 64 bits; NumPy refuses it."""
    bits = np.dtype(dtype).itemsize * 8
    x %= 2 ** bits
    return x - 2 ** bits if np.dtype(dtype).kind == "i" and x >= 2 ** (bits - 1) else x


_BY_NUMPY = dtypes.BY_NUMPY
_FLOAT_ARRAYS = frozenset(np.dtype(t) for t in (np.float16, np.float32, np.float64))
_WIDE_FLOAT_ARRAYS = frozenset(np.dtype(t) for t in (np.float32, np.float64))  # float16 has opmath
_FLOAT16 = np.dtype(np.float16)
_SCALAR_CATEGORY = {bool: dtypes.BOOL, int: dtypes.INT, float: dtypes.FLOAT}


def result_type(*operands) -> dtypes.DType:
    """PyTorch's promotion: dimensioned tensors outrank 0-d tensors, which outrank Python
    numbers, unless a lower tier holds a higher category (float beats int beats bool)."""
    if len(operands) == 2:
        # The common cases first: two tensors of one dtype, a tensor with a Python number
        # of its category or a lower one. Both give the tensor's dtype in every tier.
        a, b = operands
        if type(a) is Tensor:
            d = _BY_NUMPY.get(a.data.dtype)
            if d is not None:
                if type(b) is Tensor:
                    if b.data.dtype is a.data.dtype or b.data.dtype == a.data.dtype:
                        return d
                elif _SCALAR_CATEGORY.get(type(b), 3) <= d.category:
                    return d
        elif type(b) is Tensor:
            d = _BY_NUMPY.get(b.data.dtype)
            if d is not None and _SCALAR_CATEGORY.get(type(a), 3) <= d.category:
                return d
    tiers: list[dtypes.DType | None] = [None, None, None]  # dimensioned, zero-dim, scalar
    for x in operands:
        if isinstance(x, Tensor):
            d, tier = x.dtype, (0 if x.data.ndim else 1)
        else:
            d, tier = dtypes.of_scalar(x), 2
        tiers[tier] = d if tiers[tier] is None else dtypes.promote(tiers[tier], d)
    result = None
    for tier, d in enumerate(tiers):
        if d is None:
            continue
        if result is None:
            result = d
        elif d.category > result.category:
            # A Python float among int tensors gives the default float, not float64.
            result = d if tier < 2 else (dtypes.DEFAULT_FLOAT if d.category == dtypes.FLOAT else d)
    return result


def check_operand(x, op_name: str) -> None:
    if type(x) is not Tensor and type(x) not in _NUMBER_TYPES and not isinstance(x, Number):
        raise TcalcTypeError(f"unsupported operand type for {op_name}: {type_name(x)}")


def broadcast_shape(a: tuple, b: tuple, op: str | None = None) -> tuple:
    """PyTorch's broadcasting, with its message when two sizes clash. `op` is the operator
    the hint writes its suggested fixes with (`add(a, b)` teaches as `a + b` does)."""
    if a == b:
        return a
    if not a or not b:  # a 0-d operand takes the other's shape
        out = tuple(a or b)
        check_shape(out)
        return out
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in reversed(list(enumerate(zip(pa, pb)))):  # PyTorch names the last clash
        if x != y and x != 1 and y != 1:
            raise ShapeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {i}", hint=broadcast_hint(op, tuple(a), tuple(b)))
        out.insert(0, y if x == 1 else x)
    check_shape(out)  # refuse a result too large before allocating it
    return tuple(out)


def binary(op: Op, a, b, result: dtypes.DType | None = None, compute: dtypes.DType | None = None,
           **params) -> Tensor:
    """An elementwise op on two operands with PyTorch's promotion and broadcasting.
    `compute` is the dtype the forward runs in (default: the promoted dtype); `params` go
    to the forward and are kept for the backward."""
    if result is None and compute is None:
        # The common cases of a loop body, without the general promotion: two tensors of
        # one dtype, of one shape or one of them 0-d, or a float tensor and a Python
        # number. PyTorch gives the tensors' dtype in each.
        if type(a) is Tensor:
            x = a.data
            if type(b) is Tensor:
                y = b.data
                if y.dtype == x.dtype and (y.shape == x.shape or not y.ndim or not x.ndim) \
                        and x.dtype in _BY_NUMPY:
                    check_elements(x.size if x.ndim else y.size)
                    return apply(op, (a, b), (x, y), **params)
            elif (type(b) is float or type(b) is int) and x.dtype in _WIDE_FLOAT_ARRAYS:
                check_elements(x.size)
                return apply(op, (a, b), (x, scalar_operand(b, x.dtype)), **params)
        elif (type(a) is float or type(a) is int) and type(b) is Tensor and b.data.dtype in _WIDE_FLOAT_ARRAYS:
            y = b.data
            check_elements(y.size)
            return apply(op, (a, b), (scalar_operand(a, y.dtype), y), **params)
    # The operands' kinds, and the result's size refused before it is allocated
    # (broadcast_shape checks a broadcast one).
    if type(a) is Tensor:
        if type(b) is not Tensor:
            check_operand(b, op.name)
            check_elements(a.data.size)
        elif a.data.shape == b.data.shape:
            check_elements(a.data.size)
        else:
            broadcast_shape(a.data.shape, b.data.shape, op.symbol)
    else:
        check_operand(a, op.name)
        if type(b) is Tensor:
            check_elements(b.data.size)
        else:
            check_operand(b, op.name)
    dtype = compute or result or result_type(a, b)
    if dtype is dtypes.float16 and op.opmath:
        # In float32, rounded once, as PyTorch's CPU kernels for + - * /. For two float16
        # operands this gives what computing in float16 gives; a Python number or a 0-d
        # tensor beside the float16 tensor is read as those kernels read it (_half_operand).
        return apply(op, (a, b), (_half_operand(a, op, True), _half_operand(b, op, False)),
                     cast=_FLOAT16, **params)
    return apply(op, (a, b), (array_of(a, dtype), array_of(b, dtype)),
                 cast=None if result is None else result.numpy, **params)


def _half_operand(x, op: Op, first: bool) -> np.ndarray:
    """An operand of + - * / whose result is float16, as float32. A float16 tensor is exact.
    A Python number or a 0-d tensor of another dtype counts at its own value in mul and div
    (3 * 0.1 is 0.3000 in float16, not 0.2998), except a 0-d tensor before the float16
    tensor; add and sub, and that 0-d tensor, first round it to float16 as PyTorch does (via
    float32, as c10::Half does from a double; measured against torch 2.13 on 20,000 values
    and 200 operands for each case)."""
    if type(x) is Tensor and x.data.dtype == np.float16:
        return x.data.astype(np.float32)
    own = array_of(x, dtypes.float32)
    if op.symbol in ("*", "/") and not (first and type(x) is Tensor):
        return own
    with np.errstate(over="ignore"):  # a number beyond float16's range is inf, as in PyTorch
        return own.astype(np.float16).astype(np.float32)


def unary(op: Op, x, float_only: bool = False) -> Tensor:
    """An elementwise op on one tensor; `float_only` ops turn ints into the default float."""
    if type(x) is Tensor and x.data.dtype in _FLOAT_ARRAYS:  # the common case, in short
        check_elements(x.data.size)
        return apply(op, (x,), (x.data,))
    x = as_tensor(x)
    dtype = x.dtype
    if float_only and not dtype.is_floating_point:
        dtype = dtypes.DEFAULT_FLOAT
    check_elements(x.data.size)
    return apply(op, (x,), (array_of(x, dtype),))


def as_tensor(x) -> Tensor:
    if type(x) is Tensor:
        return x
    if isinstance(x, Number):
        return Tensor(np.asarray(x, dtype=dtypes.of_scalar(x).numpy))
    raise TcalcTypeError(f"expected a tensor, got {type_name(x)}")


def normalize_dim(dim: int, ndim: int) -> int:
    """A possibly negative dim as an index, with PyTorch's IndexError wording."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TcalcTypeError(f"dim must be an int, not {type(dim).__name__}")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise TcalcIndexError(
            f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], but got {dim})")
    return dim % size


def fused_multiply_add(a, b, c):
    """a * b + c rounded once, in float64, by error-free transformations (Dekker's product
    and Knuth's sum), as PyTorch's fused kernels give it: float64 lerp (a sweep of 200,000
    triples matched it bit for bit; the unfused formula 79%) and its random numbers'
    `u * (b - a) + a`."""
    product = a * b
    split = 134217729.0  # 2**27 + 1: halves of 26 bits, whose products are exact

    def halves(x):
        scaled = split * x
        high = scaled - (scaled - x)
        return high, x - high

    a_high, a_low = halves(a)
    b_high, b_low = halves(b)
    product_error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
    total = product + c
    shifted = total - product
    total_error = (product - (total - shifted)) + (c - shifted)
    fused = total + (total_error + product_error)
    return np.where(np.isfinite(fused), fused, product + c)  # infinities and NaN as the plain formula


def fused_multiply_add_float32(a, b, c) -> np.ndarray:
    """float32 a * b + c rounded once (a float32 FMA instruction). The product is exact in
    float64, so only the sum rounds there; that matters only where the float64 sum falls
    exactly halfway between two float32 values (or below float32's normal range), and there
    the sum's error (Knuth's) says which way the exact value lies."""
    a, b, c = (np.asarray(v, np.float32).astype(np.float64) for v in (a, b, c))
    product = a * b
    total = product + c
    rounded = np.asarray(total.astype(np.float32))
    halfway = (total.view(np.int64) & 0x1FFFFFFF) == 0x10000000  # 29 dropped bits: 100...0
    doubtful = np.flatnonzero(halfway | (np.abs(total) < np.finfo(np.float32).tiny))
    if doubtful.size:
        product, total, c = (np.broadcast_to(v, rounded.shape).ravel()[doubtful] for v in (product, total, c))
        shifted = total - product
        error = (product - (total - shifted)) + (c - shifted)
        near = rounded.ravel()[doubtful]
        back = near.astype(np.float64)
        side = np.sign(total - back)
        with np.errstate(invalid="ignore"):
            neighbour = np.nextafter(near, np.where(side > 0, np.inf, -np.inf).astype(np.float32))
            tie = (side != 0) & ((neighbour.astype(np.float64) + back) * 0.5 == total)
        rounded = rounded.copy()
        rounded.ravel()[doubtful] = np.where(tie & (np.sign(error) == side), neighbour, near)
    return rounded
