"""Elementwise ops: arithmetic, comparisons, logic, the usual functions of one tensor, and
clamp, maximum, minimum and where.

Each op is one Op (PyTorch's node name, forward on ndarrays, backward with tcalc ops, and
the operator it is written with, if any), followed by the public function that promotes and
broadcasts its operands.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..autograd import OUT, Op, apply, is_grad_enabled, keep
from ..errors import ArithmeticError_, AutogradError, DTypeError, TcalcTypeError, TcalcValueError
from ..tensor import Tensor
from ..values import type_name
from ._base import (
    array_of,
    as_tensor,
    binary,
    broadcast_shape,
    check_operand,
    is_number,
    result_type,
    scalar_operand,
    unary,
)
from .convert import to_dtype

# ---- arithmetic ----------------------------------------------------------------------

ADD = Op("AddBackward0", np.add, lambda n, g: (g, g), saves=False, symbol="+", opmath=True)
SUB = Op("SubBackward0", np.subtract, lambda n, g: (g, negated(g)), saves=False, symbol="-", opmath=True)
RSUB = Op("RsubBackward1", np.subtract, lambda n, g: (None, negated(g)), saves=False, symbol="-", opmath=True)


def negated(g: Tensor) -> Tensor:
    """-g in a backward: when no graph is being built, neg's NumPy call without the op."""
    if not is_grad_enabled() and g.data.dtype in _PLAIN_DTYPES:
        return Tensor(np.asarray(np.negative(g.data)))
    return -g


def times(g: Tensor, other) -> Tensor:
    """g * other in a backward: when no graph is being built and binary's fast path would
    take it (one float32/float64 dtype, one shape or a 0-d side, or a Python number), its
    NumPy call without the op around it; else through the op."""
    if not is_grad_enabled():
        x = g.data
        if x.dtype in _PLAIN_DTYPES:
            if type(other) is Tensor:
                y = other.data
                if y.dtype == x.dtype and (y.shape == x.shape or not y.ndim or not x.ndim):
                    return Tensor(np.asarray(np.multiply(x, y)))
            elif type(other) is float or type(other) is int:
                return Tensor(np.asarray(np.multiply(x, scalar_operand(other, x.dtype))))
    return g * other


# A product keeps b for a's gradient, a for b's (checked in this order).
MUL = Op("MulBackward0", np.multiply,
         lambda n, g: (times(g, n.inputs[1]) if n.needs_grad(0) else None,
                       times(g, n.inputs[0]) if n.needs_grad(1) else None),
         saves=(keep(1, 0), keep(0, 1)), symbol="*", opmath=True)
DIV = Op("DivBackward0", np.divide,
         lambda n, g: (g / n.inputs[1] if n.needs_grad(0) else None,
                       -g * n.inputs[0] / (n.inputs[1] * n.inputs[1]) if n.needs_grad(1) else None),
         saves=(keep(1, 0, 1), keep(0, 1)), symbol="/", opmath=True)
NEG = Op("NegBackward0", np.negative, lambda n, g: (negated(g),), saves=False)


def add(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    return binary(ADD, a, b)


def sub(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    _no_bool_subtraction(a, b)
    if is_number(a) and type(b) is Tensor:
        return binary(RSUB, a, b)
    return binary(SUB, a, b)


def _is_bool(x) -> bool:
    return isinstance(x, bool) or (type(x) is Tensor and x.dtype is dtypes.bool_)


def _no_bool_subtraction(a, b):
    """PyTorch refuses `-` when either side is bool (a Python bool counts as a bool tensor)."""
    if _is_bool(a) and _is_bool(b):
        raise DTypeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead.")
    if (_is_bool(a) or _is_bool(b)) and (type(a) is Tensor or type(b) is Tensor):
        raise DTypeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead.",
            hint="convert the mask to numbers first, e.g. mask.long() - 1")


def mul(a, b):
    return binary(MUL, a, b)


def div(a, b, rounding_mode=None):
    if rounding_mode in ("floor", "trunc") and _is_float(a, b):
        return binary(DIV_ROUNDING, a, b, mode=rounding_mode)
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        return _int_trunc_div(a, b)
    if rounding_mode is not None:
        raise TcalcTypeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                             f"but found '{rounding_mode}'")
    result = result_type(a, b)
    promoted_to_float = result.is_floating_point
    if not promoted_to_float:
        result = dtypes.DEFAULT_FLOAT
    if is_number(a) and type(b) is Tensor:
        # PyTorch computes `2 / x` as `2 * reciprocal(x)`, and names the node so.
        return mul(reciprocal(b if b.dtype.is_floating_point else to_dtype(b, result)), a)
    # Integers divide in the default float; floats in their promoted dtype, as binary does.
    return binary(DIV, a, b) if promoted_to_float else binary(DIV, a, b, compute=result)


def _is_float(a, b) -> bool:
    return result_type(a, b).is_floating_point


def _int_trunc_div(a, b):
    dtype = result_type(a, b)
    x, y = array_of(a, dtype), array_of(b, dtype)
    _check_int_zero_division(y)
    return Tensor(np.asarray(np.trunc(x / y)).astype(dtype.numpy))


def neg(x):
    x = as_tensor(x)
    if x.dtype is dtypes.bool_:
        raise DTypeError("Negation, the `-` operator, on a bool tensor is not supported. "
                         "If you are trying to invert a mask, use the `~` or `logical_not()` "
                         "operator instead.")
    return unary(NEG, x)


def _check_int_zero_division(divisor: np.ndarray) -> None:
    if not np.all(divisor):
        raise ArithmeticError_("ZeroDivisionError", hint="integer division by zero")


def _floor_divide_forward(a, b):
    if a.dtype.kind in "iub":
        _check_int_zero_division(b)
    return np.floor_divide(a, b)


def _remainder_forward(a, b):
    if a.dtype.kind in "iub":
        _check_int_zero_division(b)
        return np.remainder(a, b)
    # PyTorch's float remainder is fmod moved into the divisor's sign, so -2 % 1 is -0.
    with np.errstate(divide="ignore", invalid="ignore"):
        mod = np.fmod(a, b)
        return np.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)


def _no_floor_divide_derivative(n, g):
    raise AutogradError("derivative for aten::floor_divide is not implemented",
                        hint="use div(a, b, rounding_mode='floor'), whose gradient is zero")


# PyTorch records `//` on tensors that require grad as a node named NotImplemented, which
# fails only when a backward reaches it.
FLOOR_DIVIDE = Op("NotImplemented", _floor_divide_forward, _no_floor_divide_derivative, saves=False,
                  symbol="//")
DIV_ROUNDING = Op("DivBackward2", lambda a, b, mode: _rounded_div(a, b, mode),
                  lambda n, g: (g * 0, g * 0), saves=DIV.kept, symbol="/")


def _rounded_div(a, b, mode):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.floor_divide(a, b) if mode == "floor" else np.trunc(np.divide(a, b)).astype(a.dtype)


def _remainder_backward(n, g):
    a, b = n.inputs
    if not n.needs_grad(1):
        return (g, None)
    quotient = div(a, b, rounding_mode="floor")
    return (g, -g * quotient if type(b) is Tensor else None)


def _remainder_scalar_backward(n, g):
    return (g, None)


# x % 2 keeps nothing; x % y keeps both, only for y's gradient.
REMAINDER = Op("RemainderBackward0", _remainder_forward, _remainder_scalar_backward, saves=False,
               symbol="%")
REMAINDER_TENSORS = Op("RemainderBackward1", _remainder_forward, _remainder_backward,
                       saves=(keep(0, 1), keep(1, 1)), symbol="%")


def _no_bool_kernel(kernel: str, a, b) -> None:
    if result_type(a, b) is dtypes.bool_:
        raise DTypeError(f"\"{kernel}\" not implemented for 'Bool'", hint="convert first, e.g. x.long()")


def floor_divide(a, b):
    _no_bool_kernel("div_floor_cpu", a, b)
    return binary(FLOOR_DIVIDE, a, b)


def remainder(a, b):
    _no_bool_kernel("remainder_cpu", a, b)
    return binary(REMAINDER_TENSORS if type(b) is Tensor else REMAINDER, a, b)


def _pow_forward(a, b):
    if a.dtype.kind in "iu" and np.any(np.asarray(b) < 0):
        # An integer to a negative power is 1 for 1, +-1 for -1 and 0 otherwise (PyTorch's
        # kernel); only a Python number as the exponent is refused, in pow() below.
        b = np.broadcast_to(b, np.broadcast_shapes(a.shape, np.shape(b)))
        odd = (b % 2).astype(bool)
        return np.where(b >= 0, np.power(a, np.maximum(b, 0)),
                        np.where(a == 1, 1, np.where(a == -1, np.where(odd, -1, 1), 0))).astype(a.dtype)
    return np.power(a, b)


def _pow_number_forward(a, b):
    """A tensor to a Python number's power (b its 0-d array)."""
    if a.dtype in _PLAIN_DTYPES and b == 2:
        # float32/float64 x ** 2 as x * x, as PyTorch's kernel computes it (np.power calls
        # C's pow for each element: 20 times the instructions)
        return np.multiply(a, a)
    return _pow_forward(a, b)


_PLAIN_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64))


def plain_backward(g: Tensor, like: np.ndarray) -> bool:
    """Whether a backward may run its formula as NumPy calls on arrays: no graph is being
    built (create_graph=False), and the gradient has the dtype (float32 or float64) and
    shape (not 0-d) of the array it meets. There the ops would make exactly those calls (binary's
    fast paths: no promotion, no opmath, no broadcasting), and a Tensor, a check and a
    temporary for each step cost more than the kernels on small tensors."""
    d = g.data
    return d.dtype == like.dtype and like.dtype in _PLAIN_DTYPES and d.shape == like.shape and \
        like.ndim > 0 and not is_grad_enabled()  # (NumPy gives a 0-d result as a scalar)


def _pow_scalar_exponent_backward(n, g):
    base, exponent = n.inputs
    if exponent == 0:
        return (g * 0.0, None)
    b = base.data
    if (type(exponent) is int or type(exponent) is float) and plain_backward(g, b):
        # (g * exponent) * base ** (exponent - 1), as the ops below compute it
        grad = np.multiply(g.data, scalar_operand(exponent, b.dtype))
        # base ** 1 is base itself, bit for bit (the gradient of x ** 2)
        grad *= b if exponent == 2 else np.power(b, scalar_operand(exponent - 1, b.dtype))
        return (Tensor(grad), None)
    return (g * exponent * base ** (exponent - 1), None)


def _pow_tensor_backward(n, g):
    base, exponent = n.inputs
    out = n.output if n.inputs[0] is not n.inputs[1] else base ** exponent
    grad_base = g * exponent * base ** (exponent - 1)
    grad_exponent = g * out * log(base) if type(exponent) is Tensor and exponent.requires_grad else None
    return (grad_base, grad_exponent)


def _pow_scalar_base_backward(n, g):
    base, exponent = n.inputs
    return (None, g * n.output * float(np.log(base)) if base > 0 else g * 0.0)


POW = Op("PowBackward0", _pow_number_forward, _pow_scalar_exponent_backward, saves=(keep(0),), symbol="**")
POW_TENSORS = Op("PowBackward1", _pow_forward, _pow_tensor_backward, saves=(keep(0), keep(1), keep(OUT)),
                 symbol="**")
POW_SCALAR_BASE = Op("PowBackward2", _pow_forward, _pow_scalar_base_backward, saves=(keep(1), keep(OUT)),
                     symbol="**")


def pow(a, b):
    if type(a) is Tensor and (type(b) is int or type(b) is float) and a.data.dtype in _PLAIN_DTYPES:
        return binary(POW, a, b)  # a float tensor to a number's power: none of the checks below apply
    if type(a) is Tensor and a.dtype is dtypes.bool_ and type(b) is bool:
        # PyTorch's one bool power: x ** True is x, x ** False all True.
        return Tensor(a.data.copy() if b else np.ones_like(a.data))
    _no_bool_kernel("pow", a, b)
    if type(a) is Tensor and is_number(b) and b < 0 and not a.dtype.is_floating_point and \
            not isinstance(b, float):
        raise ArithmeticError_("Integers to negative integer powers are not allowed.",
                               hint="use a float base: x.float() ** n")
    if type(a) is Tensor and is_number(b):
        return binary(POW, a, b)
    if is_number(a) and type(b) is Tensor:
        return binary(POW_SCALAR_BASE, a, b)
    return binary(POW_TENSORS, a, b)


# ---- comparisons and logic (no gradient) ---------------------------------------------

def _comparison(name, forward, symbol):
    op = Op(name, forward, None, symbol=symbol)

    def compare(a, b):
        return binary(op, a, b, result=dtypes.bool_, compute=result_type(a, b))

    return compare


eq = _comparison("EqBackward", np.equal, "==")
ne = _comparison("NeBackward", np.not_equal, "!=")
lt = _comparison("LtBackward", np.less, "<")
le = _comparison("LeBackward", np.less_equal, "<=")
gt = _comparison("GtBackward", np.greater, ">")
ge = _comparison("GeBackward", np.greater_equal, ">=")


def _bitwise(name, forward, symbol):
    op = Op(name, forward, None, symbol=symbol)

    def bitwise(a, b):
        if type(a) is Tensor and type(b) is Tensor:  # PyTorch checks the shapes first
            broadcast_shape(a.data.shape, b.data.shape, symbol)
        if result_type(a, b).is_floating_point:
            raise DTypeError(f'"{name}_cpu" not implemented for \'Float\'',
                             hint=f"`{symbol}` works on bool and integer tensors; compare first "
                                  f"(e.g. `(x > 0) {symbol} (x < 1)`)")
        return binary(op, a, b)

    return bitwise


bitwise_and = _bitwise("bitwise_and", np.bitwise_and, "&")
bitwise_or = _bitwise("bitwise_or", np.bitwise_or, "|")
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor, "^")


def _shift_forward(shift, right: bool):
    """PyTorch's shift: a count below 0 or of the dtype's bits or more shifts everything
    out (0; a right shift of a negative number leaves -1), where C's is undefined."""
    def forward(a, b):
        bits = a.dtype.itemsize * 8
        inside = (b >= 0) & (b < bits)
        shifted = shift(a, np.where(inside, b, 0).astype(a.dtype, copy=False))
        if np.all(inside):
            return shifted
        beyond = np.where(a < 0, -1, 0).astype(a.dtype) if right else np.zeros((), a.dtype)
        return np.where(inside, shifted, beyond)
    return forward


bitwise_left_shift = _bitwise("lshift", _shift_forward(np.left_shift, False), "<<")
bitwise_right_shift = _bitwise("rshift", _shift_forward(np.right_shift, True), ">>")


def bitwise_not(x):
    x = as_tensor(x)
    if x.dtype.is_floating_point:
        raise DTypeError("\"bitwise_not_cpu\" not implemented for 'Float'",
                         hint="`~` inverts bool masks and integers")
    return Tensor(np.invert(x.data))


def logical_not(x):
    return Tensor(np.logical_not(as_tensor(x).data))


def _logical(function, a, b) -> Tensor:
    """logical_and/or/xor: each operand's truth, broadcast; a bool tensor, as in PyTorch."""
    a, b = as_tensor(a), as_tensor(b)
    broadcast_shape(a.data.shape, b.data.shape)
    return Tensor(function(a.data.astype(bool), b.data.astype(bool)))


def logical_and(a, b) -> Tensor:
    return _logical(np.logical_and, a, b)


def logical_or(a, b) -> Tensor:
    return _logical(np.logical_or, a, b)


def logical_xor(a, b) -> Tensor:
    return _logical(np.logical_xor, a, b)


# ---- functions of one tensor -----------------------------------------------------------

def _unary_op(name, forward, backward, saves, float_only=True):
    op = Op(name, forward, backward, saves=saves)

    def function(x):
        return unary(op, x, float_only=float_only)

    _ELEMENTWISE[function] = op
    return function


_ELEMENTWISE: dict = {}  # each function of one tensor made by _unary_op, with its op


def elementwise_op(function) -> Op | None:
    """The op of a function of one tensor (exp, sin, ...): on a float tensor the function is
    the op's forward on its array, for the evaluator's fast path."""
    return _ELEMENTWISE.get(function)


# Each keeps its input (keep(0)) or its result (keep(OUT)), whichever its gradient reads.
_INPUT, _RESULT = (keep(0),), (keep(OUT),)


def _rounded_once(kernel):
    """A float32 kernel computed in float64 and rounded once. NumPy's float32 exp is often
    one unit in the last place off (exp(12.) = 162754.78125), PyTorch's is nearly always
    the float32 nearest the true value, which this gives: a sweep of 230,000 float32
    inputs against PyTorch 2.13 took the differences in exp from 37% to 1%, in log2 and
    log10 from 2-23% to nearly none; a second sweep of 150,000 (and 3,000 one-element
    tensors, PyTorch's scalar path) did the same for log (18% to 0.04%), tan, tanh, atan
    and atanh (25-28% to under 1%; atanh on tensors of 32 elements or more, where PyTorch vectorises), sin, cos and acos (13-36% to 5%). Not for asin (worse
    on one element), sigmoid (worse), asinh and acosh (no change)."""
    def forward(a):
        if a.dtype == np.float32 and a.size <= ROUND_ONCE_SIZE:
            return kernel(a.astype(np.float64)).astype(np.float32)
        return kernel(a)
    return forward


# Tensors larger than this use NumPy's float32 kernel as it is: the float64 one runs 40-60
# times slower on these machines (tanh of 256x512: 2.3 ms against 0.04 ms), and a large
# tensor prints only its corners. Below it the extra cost is at most a fraction of a ms.
ROUND_ONCE_SIZE = 16384

# tanh of float32 rounded once, for tensors of this many elements or more: the float64 tanh
# of NumPy (C's tanh, one element at a time) with the float32 rounding of each element
# decided by a polynomial on whole arrays where that is certain (_tanh_rounded_once). On
# 256x64 elements: 0.25 ms against 0.61 ms; below this size the fixed cost of its ~30
# array passes outweighs what it saves.
TANH_POLYNOMIAL_SIZE = 4096

_DOUBT = 2 ** 18  # float64 units in the last place: 100x the approximation's error bound
_TANH_STEPS = 32  # table entries an octave of exp(-2|a|)
_TANH_LIMIT = 20.0  # |a| beyond it is taken as it: tanh is 1 there in both precisions
# 2 ** (-k / 32) for every k that |a| <= 20 gives (k = round(2|a| * 32 / ln 2) <= 1847)
_TANH_TABLE = np.array([2.0 ** (-k / _TANH_STEPS)
                        for k in range(int(_TANH_LIMIT * 2 * _TANH_STEPS / math.log(2)) + 2)])
_TANH_CONSTANTS = {name: np.array(value, dtype) for name, value, dtype in [
    ("limit bits", np.array(_TANH_LIMIT).view(np.int64), np.int64),  # |a| <= 20 as ints: they order as the floats
    ("64/ln2", 2 * _TANH_STEPS / math.log(2), np.float64), ("1", 1.0, np.float64), ("2", 2.0, np.float64),
    ("magic", 1.5 * 2.0 ** 52, np.float64),  # v + magic holds round(v) in its low bits (0 <= v < 2**51)
    ("magic bits", np.array(1.5 * 2.0 ** 52).view(np.int64), np.int64), ("low 29", 0x1FFFFFFF, np.int64),
    ("below half", 0x10000000 - _DOUBT, np.int64), ("2 doubt", 2 * _DOUBT, np.int64),
    ("sign", -2 ** 31, np.int32)]}
# expm1(r ln2 / 32) = sum of (ln2 / 32)**j / j! * r**j, j = 1 .. 5: the coefficients of r**1 .. r**5
_TANH_CONSTANTS["expm1"] = tuple(np.array((math.log(2) / _TANH_STEPS) ** j / math.factorial(j))
                                 for j in range(1, 6))
_TANH_BUFFERS: dict = {}  # size -> three float64 work arrays of the last size asked for


def _tanh_rounded_once(a: np.ndarray) -> np.ndarray:
    """float32 tanh(a) exactly as np.tanh(a.astype(float64)).astype(float32) gives it, in
    about 40% of the time. |tanh| = (1 - e) / (2 - (1 - e)), e = exp(-2|a|) = 2**(-k/32) *
    (1 + expm1(r ln2/32)), with u = 2|a| * 32/ln2, k = round(u) (2**(-k/32) from a table)
    and r = k - u (|r| <= 1/2: exact), expm1 its Taylor polynomial to r**5. The relative
    error of |tanh| is below 2.3e-13: the polynomial's remainder (2.1e-13 of 1 - e at |r| =
    1/2, where 1 - e >= 0.0107 for k >= 1 and 1 - e is the polynomial itself for k = 0),
    u's rounding (2**-52 of 1 - e: 2|a| e / (1 - e) <= 1) and a few roundings of 2**-53,
    i.e. under 2,100 float64 units in the last place (1,308 the most seen). An element whose
    value lies farther than _DOUBT units from every float32 rounding boundary (a midpoint of
    two float32: low 29 bits 0x10000000) rounds as C's tanh rounds (it is within a few units
    of the true value); the few others (about 1 in 1,000), and NaN, are computed by np.tanh
    in float64. |a| > 20 is taken as 20 (NaN too, found by the sum of a): tanh is then 1 in
    both precisions. The constants are 0-d arrays and `out` is positional: each of the ~30
    NumPy calls costs microseconds beside its arithmetic."""
    flat = a.reshape(-1)
    n = flat.size
    buffers = _TANH_BUFFERS.pop(n, None) or [np.empty(n) for _ in range(3)]
    u, r, s = buffers  # work arrays kept: a fresh 128 KB array each pass costs page faults
    c = _TANH_CONSTANTS
    np.absolute(flat, u)
    u_bits = u.view(np.int64)
    np.minimum(u_bits, c["limit bits"], out=u_bits)  # |a| <= 20
    np.multiply(u, c["64/ln2"], u)
    np.add(u, c["magic"], r)  # round(u) in the low bits
    k = s.view(np.int64)
    np.subtract(r.view(np.int64), c["magic bits"], k)
    np.take(_TANH_TABLE, k, out=s, mode="clip")  # s = 2**(-k/32) (clip: NaN's k is any number)
    np.subtract(r, c["magic"], r)
    np.subtract(r, u, r)  # r = k - u
    q = u
    coefficients = c["expm1"]
    np.multiply(r, coefficients[-1], q)
    for coefficient in coefficients[-2::-1]:  # Horner's rule
        np.add(q, coefficient, q)
        np.multiply(q, r, q)
    np.multiply(q, s, q)
    np.subtract(c["1"], s, s)
    np.subtract(s, q, q)  # 1 - e = (1 - s) - s * expm1(r ln2/32)
    denominator = r
    np.subtract(c["2"], q, denominator)  # 1 + e
    np.divide(q, denominator, s)  # |tanh(a)|, +0 for 0
    near = denominator.view(np.int64)
    np.subtract(s.view(np.int64), c["below half"], near)
    np.bitwise_and(near, c["low 29"], near)
    doubtful = np.flatnonzero(np.less_equal(near, c["2 doubt"]))
    if np.isnan(np.add.reduce(flat)):  # NaN in a (or both infinities: then nothing is NaN)
        doubtful = np.union1d(doubtful, np.flatnonzero(np.isnan(flat)))
    out = s.astype(np.float32)
    out_bits, sign = out.view(np.int32), near.view(np.int32)[:n]
    np.bitwise_and(flat.view(np.int32), c["sign"], sign)
    np.bitwise_or(out_bits, sign, out_bits)  # tanh is odd: a's sign (-0.0 included)
    if doubtful.size:
        out[doubtful] = np.tanh(flat[doubtful].astype(np.float64)).astype(np.float32)
    _TANH_BUFFERS.clear()
    _TANH_BUFFERS[n] = buffers
    return out.reshape(a.shape)


def _tanh_forward(a):
    if a.dtype == np.float32 and TANH_POLYNOMIAL_SIZE <= a.size <= ROUND_ONCE_SIZE and not _simd_float64_tanh():
        return _tanh_rounded_once(a)
    return _rounded_tanh(a)


_SIMD_TANH: list = []  # [whether NumPy's float64 tanh is vectorised here], found at first use


def _simd_float64_tanh() -> bool:
    """Whether NumPy runs its float64 tanh as its AVX-512 kernel on this machine (the
    X86_V4 build of the loop; the AVX2 build calls C's tanh per element): there the float64
    round trip _tanh_rounded_once stands in for is itself the faster way, 17 us against
    67 us at 256x64, and gives the same bits by definition. NumPy before 2.0 cannot say:
    the polynomial, as elsewhere. (Asked once: the answer is the process's.)"""
    if not _SIMD_TANH:
        try:
            from numpy.lib.introspect import opt_func_info

            current = opt_func_info(func_name="^tanh$", signature="float64")["tanh"]["dd"]["current"]
        except (ImportError, KeyError, TypeError):
            current = ""
        _SIMD_TANH.append(current in ("X86_V4", "AVX512_SKX"))
    return _SIMD_TANH[0]


_rounded_tanh = _rounded_once(np.tanh)


exp = _unary_op("ExpBackward0", _rounded_once(np.exp), lambda n, g: (g * n.output,), _RESULT)
log = _unary_op("LogBackward0", _rounded_once(np.log), lambda n, g: (g / n.inputs[0],), _INPUT)
log2 = _unary_op("Log2Backward0", _rounded_once(np.log2),
                 lambda n, g: (g / (n.inputs[0] * float(np.log(2))),), _INPUT)
log10 = _unary_op("Log10Backward0", _rounded_once(np.log10),
                  lambda n, g: (g / (n.inputs[0] * float(np.log(10))),), _INPUT)
log1p = _unary_op("Log1PBackward0", _rounded_once(np.log1p), lambda n, g: (g / (1 + n.inputs[0]),), _INPUT)
expm1 = _unary_op("Expm1Backward0", _rounded_once(np.expm1), lambda n, g: (g * (n.output + 1),), _RESULT)
sqrt = _unary_op("SqrtBackward0", np.sqrt, lambda n, g: (g / (2 * n.output),), _RESULT)
sin = _unary_op("SinBackward0", _rounded_once(np.sin), lambda n, g: (g * cos(n.inputs[0]),), _INPUT)
cos = _unary_op("CosBackward0", _rounded_once(np.cos), lambda n, g: (-g * sin(n.inputs[0]),), _INPUT)
tan = _unary_op("TanBackward0", _rounded_once(np.tan), lambda n, g: (g * (1 + n.output * n.output),), _RESULT)


def _tanh_backward(n, g):
    y = n.output
    if plain_backward(g, y.data):
        # g * (1 - y * y) in one array: the incoming g is never written (an add's backward
        # hands the same gradient to both sides)
        d = y.data
        grad = np.multiply(d, d)
        np.subtract(scalar_operand(1, d.dtype), grad, out=grad)
        np.multiply(g.data, grad, out=grad)
        return (Tensor(grad),)
    return (g * (1 - y * y),)


tanh = _unary_op("TanhBackward0", _tanh_forward, _tanh_backward, _RESULT)
sinh = _unary_op("SinhBackward0", _rounded_once(np.sinh), lambda n, g: (g * cosh(n.inputs[0]),), _INPUT)
cosh = _unary_op("CoshBackward0", _rounded_once(np.cosh), lambda n, g: (g * sinh(n.inputs[0]),), _INPUT)
asin = _unary_op("AsinBackward0", np.arcsin, lambda n, g: (g / sqrt(1 - n.inputs[0] * n.inputs[0]),), _INPUT)
acos = _unary_op("AcosBackward0", _rounded_once(np.arccos), lambda n, g: (-g / sqrt(1 - n.inputs[0] * n.inputs[0]),), _INPUT)
atan = _unary_op("AtanBackward0", _rounded_once(np.arctan), lambda n, g: (g / (1 + n.inputs[0] * n.inputs[0]),), _INPUT)
asinh = _unary_op("AsinhBackward0", np.arcsinh, lambda n, g: (g / sqrt(n.inputs[0] * n.inputs[0] + 1),), _INPUT)
acosh = _unary_op("AcoshBackward0", np.arccosh, lambda n, g: (g / sqrt(n.inputs[0] * n.inputs[0] - 1),), _INPUT)
atanh = _unary_op("AtanhBackward0", _rounded_once(np.arctanh), lambda n, g: (g / (1 - n.inputs[0] * n.inputs[0]),), _INPUT)
sigmoid = _unary_op("SigmoidBackward0", lambda a: _sigmoid(a),
                    lambda n, g: (g * n.output * (1 - n.output),), _RESULT)
reciprocal = _unary_op("ReciprocalBackward0", np.reciprocal,
                       lambda n, g: (-g * n.output * n.output,), _RESULT)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # float16 is computed in float32 and rounded once, as PyTorch's kernel does.
    wide = a.astype(np.float32) if a.dtype == np.float16 else a
    with np.errstate(over="ignore"):
        return (1 / (1 + np.exp(-wide))).astype(a.dtype, copy=False)


_abs = _unary_op("AbsBackward0", np.abs, lambda n, g: (g * sign(n.inputs[0]),), _INPUT, float_only=False)


def abs(x):
    x = as_tensor(x)
    if x.dtype is dtypes.bool_:
        raise DTypeError("\"abs_cpu\" not implemented for 'Bool'")
    return _abs(x)


_relu = _unary_op("ReluBackward0", lambda a: np.maximum(a, a.dtype.type(0)),
                  lambda n, g: (g * gt(n.output, 0),), _RESULT, float_only=False)


def relu(x):
    x = as_tensor(x)
    if x.dtype is dtypes.bool_:
        raise DTypeError("Boolean inputs not supported for relu", hint="convert first, e.g. x.float()")
    return _relu(x)


def _sign_forward(a):
    if a.dtype == np.bool_:
        return a.copy()
    # (a > 0) - (a < 0): PyTorch's sign is 0 at NaN and at -0.0, where np.sign is not.
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)


sign = _unary_op("SignBackward0", _sign_forward, lambda n, g: (g * 0,), False, float_only=False)


def _rounding(name, kernel, function):
    """floor, ceil, trunc, round: integers come back unchanged (and keep their dtype); bools
    are refused with PyTorch's kernel message. The gradient is zero almost everywhere."""
    def forward(a, decimals=0):
        if a.dtype.kind in "iu":
            return a.copy()
        if decimals:
            return np.round(a, decimals)
        return function(a)

    op = Op(name, forward, lambda n, g: (g * 0,), saves=False)
    op_decimals = Op(name[:-1] + "1", forward, lambda n, g: (g * 0,), saves=False)

    def rounded(x, decimals=None):
        """decimals=None is round(x); given (even 0) it is PyTorch's round.decimals, which
        has a node of its own and refuses integers."""
        x = as_tensor(x)
        if x.dtype is dtypes.bool_:
            raise DTypeError(f"\"{kernel}_vml_cpu\" not implemented for 'Bool'")
        if decimals is not None:
            if not x.dtype.is_floating_point:
                raise DTypeError(f"\"{'round_cpu' if decimals else 'round_vml_cpu'}\" not implemented for "
                                 f"'{x.dtype.torch_name}'", hint="integers are already round")
            return apply(op_decimals, (x,), (x.data,), decimals=int(decimals))
        return apply(op, (x,), (x.data,))

    rounded.__name__ = kernel
    return rounded


floor = _rounding("FloorBackward0", "floor", np.floor)
ceil = _rounding("CeilBackward0", "ceil", np.ceil)
trunc = _rounding("TruncBackward0", "trunc", np.trunc)
_round = _rounding("RoundBackward0", "round", np.round)  # half to even, as PyTorch


def round(x, decimals=None):
    return _round(x, decimals)


def isnan(x) -> Tensor:
    x = as_tensor(x)
    return Tensor(np.isnan(x.data) if x.dtype.is_floating_point else np.zeros(x.data.shape, bool))


def _float_test(test, x) -> Tensor:
    """isinf & co.: a bool tensor; integers and bools are never infinite or NaN."""
    x = as_tensor(x)
    if x.dtype.is_floating_point:
        return Tensor(test(x.data))
    return Tensor(np.full(x.data.shape, test is np.isfinite, bool))


def isinf(x) -> Tensor:
    return _float_test(np.isinf, x)


def isfinite(x) -> Tensor:
    return _float_test(np.isfinite, x)


def isposinf(x) -> Tensor:
    return _float_test(np.isposinf, x)


def isneginf(x) -> Tensor:
    return _float_test(np.isneginf, x)


# ---- clamp, maximum, minimum, where ---------------------------------------------------

def _clamp_forward(a, low, high):
    if low is not None:
        a = np.maximum(a, low)
    if high is not None:
        a = np.minimum(a, high)  # min > max gives max everywhere, as in PyTorch
    return a


def _inside(n) -> Tensor:
    """1 where x lies within [min, max] (the gradient passes), else 0."""
    x, low, high = n.inputs
    keep = np.ones(x.data.shape, dtype=bool)
    if low is not None:
        keep = keep & (x.data >= _value(low))
    if high is not None:
        keep = keep & (x.data <= _value(high))
    return Tensor(keep)


def _value(v):
    return v.data if type(v) is Tensor else v


def _clamp_backward(n, g):
    x, low, high = n.inputs
    inside = _inside(n)
    # Tensor bounds (ClampBackward0) get the gradient where they won.
    # Where min > max the result is max: that gradient goes to max, none to min.
    low_wins = x.data < _value(low) if low is not None else None
    if low_wins is not None and high is not None:
        low_wins = low_wins & (_value(low) < _value(high))
    grad_low = g * Tensor(low_wins) if type(low) is Tensor else None
    high_wins = x.data > _value(high) if high is not None else None
    if high_wins is not None and low is not None:
        high_wins = high_wins | (_value(high) < _value(low))
    grad_high = g * Tensor(high_wins) if type(high) is Tensor else None
    return (g * inside, grad_low, grad_high)


CLAMP_TENSORS = Op("ClampBackward0", _clamp_forward, _clamp_backward, saves=(keep(0), keep(1), keep(2)))
CLAMP = Op("ClampBackward1", _clamp_forward, _clamp_backward, saves=(keep(0),))


def clamp(x, min=None, max=None) -> Tensor:
    x = as_tensor(x)
    if min is None and max is None:
        raise TcalcValueError("torch.clamp: At least one of 'min' or 'max' must not be None",
                              hint="give a bound: x.clamp(min=0) or x.clamp(-1, 1)")
    for bound in (min, max):
        if bound is not None:
            check_operand(bound, "clamp")
    bounds = [b for b in (min, max) if b is not None]
    dtype = result_type(x, *bounds)
    tensors = any(type(b) is Tensor for b in bounds)
    if tensors:
        for b in bounds:
            if type(b) is Tensor:
                broadcast_shape(x.data.shape, b.data.shape)
    arrays = tuple(None if b is None else array_of(b, dtype) for b in (min, max))
    return apply(CLAMP_TENSORS if tensors else CLAMP, (x, min, max), (array_of(x, dtype),) + arrays)


def _extremum_backward(n, g):
    """Where the inputs tie, each gets half the gradient (PyTorch's choice)."""
    a, b = (x.data for x in n.inputs)
    bigger = n.params["bigger"]
    wins = (a > b) if bigger else (a < b)
    share = wins + 0.5 * (a == b)
    return (g * Tensor(share.astype(g.data.dtype, copy=False)),
            g * Tensor((1 - share).astype(g.data.dtype, copy=False)))


MAXIMUM = Op("MaximumBackward0", lambda a, b, bigger: np.maximum(a, b), _extremum_backward,
             saves=(keep(0), keep(1)))
MINIMUM = Op("MinimumBackward0", lambda a, b, bigger: np.minimum(a, b), _extremum_backward,
             saves=(keep(0), keep(1)))


def _two_tensors(a, b, name):
    for position, (arg, x) in enumerate((("input", a), ("other", b)), 1):
        if type(x) is not Tensor:
            raise TcalcTypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
                                 f"not {type_name(x)}")


def maximum(a, b) -> Tensor:
    _two_tensors(a, b, "maximum")
    return binary(MAXIMUM, a, b, bigger=True)


def minimum(a, b) -> Tensor:
    _two_tensors(a, b, "minimum")
    return binary(MINIMUM, a, b, bigger=False)


def _where_backward(n, g):
    condition = n.inputs[0]
    return (None, where(condition, g, 0.0), where(condition, 0.0, g))


WHERE = Op("WhereBackward0", np.where, _where_backward, saves=(keep(0),))  # the condition


def where(condition, x=None, y=None):
    """where(c, x, y) picks x where c holds, else y; where(c) gives the indices of the True
    elements, one tensor per dim (as nonzero(as_tuple=True))."""
    condition = as_tensor(condition)
    if x is None and y is None:
        return tuple(Tensor(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(condition.data)))
    if x is None or y is None:
        raise TcalcTypeError("where() takes a condition alone, or a condition and two values",
                             hint="where(x > 0, x, 0)")
    if condition.dtype is not dtypes.bool_:
        raise DTypeError(f"where expected condition to be a boolean tensor, but got a tensor with "
                         f"dtype {condition.dtype.torch_name}", hint="compare first: where(x > 0, ...)")
    check_operand(x, "where")
    check_operand(y, "where")
    dtype = result_type(x, y)
    shape = broadcast_shape(condition.data.shape, x.data.shape if type(x) is Tensor else ())
    broadcast_shape(shape, y.data.shape if type(y) is Tensor else ())
    return apply(WHERE, (condition, x, y), (condition.data, array_of(x, dtype), array_of(y, dtype)))


def equal(a, b) -> bool:
    """True when both tensors have the same shape and the same values."""
    _two_tensors(a, b, "equal")
    return a.data.shape == b.data.shape and bool(np.array_equal(a.data, b.data))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    _two_tensors(a, b, "allclose")
    if a.dtype is not b.dtype:
        raise DTypeError(f"{a.dtype.torch_name} did not match {b.dtype.torch_name}",
                         hint="convert one side first, e.g. b.to(a.dtype)")
    broadcast_shape(a.data.shape, b.data.shape)
    return bool(np.allclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=bool(equal_nan)))
