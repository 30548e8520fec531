"""Elementwise ops: arithmetic, comparisons, logic and the usual functions.

Each op is one Op (PyTorch's node name, forward on ndarrays, backward with tcalc ops),
followed by the public function that promotes and broadcasts its operands.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import Op
from ..errors import ArithmeticError_, DTypeError, TcalcTypeError
from ..tensor import Tensor
from ._base import array_of, as_tensor, binary, is_number, unary


def _inputs(node):
    return node.inputs


# ---- arithmetic ----------------------------------------------------------------------

ADD = Op("AddBackward0", np.add, lambda n, g: (g, g), saves=False)
SUB = Op("SubBackward0", np.subtract, lambda n, g: (g, -g), saves=False)
RSUB = Op("RsubBackward1", np.subtract, lambda n, g: (None, -g), saves=False)
MUL = Op("MulBackward0", np.multiply,
         lambda n, g: (g * n.inputs[1], g * n.inputs[0]))
DIV = Op("DivBackward0", np.divide,
         lambda n, g: (g / n.inputs[1], -g * n.inputs[0] / (n.inputs[1] * n.inputs[1])))
NEG = Op("NegBackward0", np.negative, lambda n, g: (-g,), saves=False)


def add(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    return binary(ADD, a, b)


def sub(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    if is_number(a) and type(b) is Tensor:
        return binary(RSUB, a, b)
    _no_bool_subtraction(a, b)
    return binary(SUB, a, b)


def _no_bool_subtraction(a, b):
    if dtypes.result_type(a, b) is dtypes.bool_:
        raise DTypeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead.")


def mul(a, b):
    return binary(MUL, a, b)


def div(a, b, rounding_mode=None):
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        return trunc(div(a, b)) if _is_float(a, b) else _int_trunc_div(a, b)
    if rounding_mode is not None:
        raise TcalcTypeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                             f"but found '{rounding_mode}'")
    result = dtypes.result_type(a, b)
    if not result.is_floating_point:
        result = dtypes.DEFAULT_FLOAT
    if is_number(a) and type(b) is Tensor:
        # PyTorch computes `2 / x` as `2 * reciprocal(x)`, and names the node so.
        return mul(reciprocal(b if b.dtype.is_floating_point else to_dtype(b, result)), a)
    return binary(DIV, a, b, compute=result)


def _is_float(a, b) -> bool:
    return dtypes.result_type(a, b).is_floating_point


def _int_trunc_div(a, b):
    dtype = dtypes.result_type(a, b)
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


FLOOR_DIVIDE = Op("FloorDivideBackward0", _floor_divide_forward, None)
REMAINDER = Op("RemainderBackward0", _remainder_forward,
               lambda n, g: (g, -g * floor_divide(n.inputs[0], n.inputs[1])))


def floor_divide(a, b):
    return binary(FLOOR_DIVIDE, a, b)


def remainder(a, b):
    return binary(REMAINDER, a, b)


def _pow_forward(a, b):
    if a.dtype.kind in "iu" and np.any(np.asarray(b) < 0):
        raise ArithmeticError_("Integers to negative integer powers are not allowed.")
    return np.power(a, b)


def _pow_scalar_exponent_backward(n, g):
    base, exponent = n.inputs
    if exponent == 0:
        return (g * 0.0, None)
    return (g * exponent * base ** (exponent - 1), None)


def _pow_tensor_backward(n, g):
    base, exponent = n.inputs
    out = n.output if n.inputs[0] is not n.inputs[1] else base ** exponent
    grad_base = g * exponent * base ** (exponent - 1)
    grad_exponent = g * out * log(base) if type(exponent) is Tensor and exponent.requires_grad else None
    return (grad_base, grad_exponent)


def _pow_scalar_base_backward(n, g):
    base, exponent = n.inputs
    return (None, g * (base ** exponent) * float(np.log(base)) if base > 0 else g * 0.0)


POW = Op("PowBackward0", _pow_forward, _pow_scalar_exponent_backward)
POW_TENSORS = Op("PowBackward1", _pow_forward, _pow_tensor_backward)
POW_SCALAR_BASE = Op("PowBackward2", _pow_forward, _pow_scalar_base_backward)


def pow(a, b):
    if type(a) is Tensor and is_number(b):
        return binary(POW, a, b)
    if is_number(a) and type(b) is Tensor:
        return binary(POW_SCALAR_BASE, a, b)
    return binary(POW_TENSORS, a, b)


# ---- comparisons and logic (no gradient) ---------------------------------------------

def _comparison(name, forward):
    op = Op(name, forward, None)

    def compare(a, b):
        return binary(op, a, b, result=dtypes.bool_, compute=dtypes.result_type(a, b))

    return compare


eq = _comparison("EqBackward", np.equal)
ne = _comparison("NeBackward", np.not_equal)
lt = _comparison("LtBackward", np.less)
le = _comparison("LeBackward", np.less_equal)
gt = _comparison("GtBackward", np.greater)
ge = _comparison("GeBackward", np.greater_equal)


def _bitwise(name, forward, symbol):
    op = Op(name, forward, None)

    def bitwise(a, b):
        if dtypes.result_type(a, b).is_floating_point:
            raise DTypeError(f'"{name}_cpu" not implemented for \'Float\'',
                             hint=f"`{symbol}` works on bool and integer tensors; compare first "
                                  "(e.g. `(x > 0) {symbol} (x < 1)`)")
        return binary(op, a, b)

    return bitwise


bitwise_and = _bitwise("bitwise_and", np.bitwise_and, "&")
bitwise_or = _bitwise("bitwise_or", np.bitwise_or, "|")
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor, "^")


def bitwise_not(x):
    x = as_tensor(x)
    if x.dtype.is_floating_point:
        raise DTypeError("\"bitwise_not_cpu\" not implemented for 'Float'",
                         hint="`~` inverts bool masks and integers")
    return Tensor(np.invert(x.data))


def logical_not(x):
    return Tensor(np.logical_not(as_tensor(x).data))


# ---- functions of one tensor -----------------------------------------------------------

def _unary_op(name, forward, backward, float_only=True):
    op = Op(name, forward, backward)

    def function(x):
        return unary(op, x, float_only=float_only)

    function.op = op
    return function


exp = _unary_op("ExpBackward0", np.exp, lambda n, g: (g * n.output,))
log = _unary_op("LogBackward0", np.log, lambda n, g: (g / n.inputs[0],))
log2 = _unary_op("Log2Backward0", np.log2, lambda n, g: (g / (n.inputs[0] * float(np.log(2))),))
log10 = _unary_op("Log10Backward0", np.log10, lambda n, g: (g / (n.inputs[0] * float(np.log(10))),))
sqrt = _unary_op("SqrtBackward0", np.sqrt, lambda n, g: (g / (2 * n.output),))
sin = _unary_op("SinBackward0", np.sin, lambda n, g: (g * cos(n.inputs[0]),))
cos = _unary_op("CosBackward0", np.cos, lambda n, g: (-g * sin(n.inputs[0]),))
tan = _unary_op("TanBackward0", np.tan, lambda n, g: (g * (1 + n.output * n.output),))
tanh = _unary_op("TanhBackward0", np.tanh, lambda n, g: (g * (1 - n.output * n.output),))
sigmoid = _unary_op("SigmoidBackward0", lambda a: _sigmoid(a),
                    lambda n, g: (g * n.output * (1 - n.output),))
reciprocal = _unary_op("ReciprocalBackward0", np.reciprocal,
                       lambda n, g: (-g * n.output * n.output,))


def _sigmoid(a: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (1 / (1 + np.exp(-a))).astype(a.dtype, copy=False)


abs = _unary_op("AbsBackward0", np.abs, lambda n, g: (g * sign(n.inputs[0]),), float_only=False)
relu = _unary_op("ReluBackward0", lambda a: np.maximum(a, a.dtype.type(0)),
                 lambda n, g: (g * gt(n.output, 0),), float_only=False)
sign = _unary_op("SignBackward0", np.sign, lambda n, g: (g * 0,), float_only=False)
trunc = _unary_op("TruncBackward0", np.trunc, lambda n, g: (g * 0,), float_only=False)


def to_dtype(x: Tensor, dtype: dtypes.DType) -> Tensor:
    """`x.to(dtype)`: the same tensor when nothing changes, else a copy (ToCopyBackward0)."""
    from .convert import to_dtype as convert

    return convert(x, dtype)
