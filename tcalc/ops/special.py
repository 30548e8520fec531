"""Elementwise functions beyond the everyday ones: erf, erfc, erfinv; frac, deg2rad,
rad2deg; the functions of two tensors atan2, hypot, logaddexp, logaddexp2, xlogy, fmod,
heaviside, lerp; clamp_min, clamp_max; isclose.

Each is one Op (PyTorch's node name, forward on ndarrays, backward with tcalc ops so that
it differentiates again) beside the public function that checks and promotes its operands.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..autograd import OUT, Op, apply, keep
from ..errors import ArithmeticError_, AutogradError, DTypeError, TcalcTypeError, TcalcValueError
from ..limits import check_elements
from ..tensor import Tensor
from ..values import type_name
from ._base import (
    array_of,
    as_tensor,
    binary,
    broadcast_shape,
    check_operand,
    fused_multiply_add,
    is_number,
    result_type,
    unary,
)
from .elementwise import div, eq, exp, ge, gt, le, logical_and, lt, sigmoid, where

_TWO_OVER_ROOT_PI = 2 / math.sqrt(math.pi)

# ---- erf, erfc, erfinv ------------------------------------------------------------------
#
# NumPy has no erf. Python's math.erf and math.erfc are correctly rounded to a unit or so
# in float64; they run over the array a million elements at a time (about 0.1 s per
# million, so the largest tensor the limits allow, 2.5e8 elements, takes about 25 s).
# float32 and float16 are computed in float64 and rounded once: a sweep against PyTorch
# 2.13 over 200,000 float32 points printed the same digits everywhere (see README.md).

_CHUNK = 1 << 20


def _python_kernel(function):
    def kernel(a: np.ndarray) -> np.ndarray:
        wide = a.astype(np.float64, copy=False).reshape(-1)
        out = np.empty(wide.shape, np.float64)
        for start in range(0, wide.size, _CHUNK):
            part = wide[start:start + _CHUNK]
            out[start:start + _CHUNK] = np.fromiter(map(function, part.tolist()), np.float64, part.size)
        return out.reshape(a.shape).astype(a.dtype, copy=False)
    return kernel


_erf64 = _python_kernel(math.erf)
_erfc64 = _python_kernel(math.erfc)


def _fused(a, b, c):
    """float32 a * b + c rounded once (the product of two float32 is exact in float64)."""
    return (a.astype(np.float64) * b + c).astype(np.float32)


def _erf_float16(a: np.ndarray) -> np.ndarray:
    """PyTorch computes a float16 erf in float32 by Abramowitz and Stegun's formula 7.1.26
    (its vectorised float erf, fused multiply-adds and all), not by its float32 erf: an
    error of about 1e-7, so that erf of a tiny float16 is 0. This follows it step by step,
    and gave PyTorch 2.13's answer for every one of the 63,488 finite float16 values."""
    x = a.astype(np.float32)
    magnitude = np.abs(x)
    t = np.float32(1) / _fused(magnitude, np.float32(0.3275911), 1.0)
    r = np.full_like(t, np.float32(1.061405429))
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        r = _fused(r, t, np.float64(np.float32(coefficient)))
    decay = np.exp(-(x * x).astype(np.float64)).astype(np.float32)
    return np.copysign(_fused(-decay * t, r, 1.0), x).astype(np.float16)


def _erf_forward(a: np.ndarray) -> np.ndarray:
    return _erf_float16(a) if a.dtype == np.float16 else _erf64(a)


def _erfinv_forward(a: np.ndarray) -> np.ndarray:
    """erfinv by Newton's method on erf from a close first guess (Winitzki's formula, good to
    about 2e-3; near 0 the series), in float64: four steps reach the float64 answer. In the tails (|y| > 0.5)
    the step reads erfc and 1 - |y|, both exact there, so that 0.9999999 keeps its digits."""
    y = a.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        magnitude = np.abs(y)
        log_term = np.log1p(-magnitude * magnitude)
        winitzki = 2 / (math.pi * 0.147) + log_term / 2
        x = np.sqrt(np.sqrt(winitzki * winitzki - log_term / 0.147) - winitzki)
        # Near 0 the formula cancels to nothing: the series' first terms start there instead.
        x = np.where(magnitude < 0.01, math.sqrt(math.pi) / 2 * magnitude * (1 + math.pi / 12 * magnitude ** 2), x)
        tail = magnitude > 0.5
        for _ in range(4):
            finite = np.isfinite(x) & (x > 0)
            guess = np.where(finite, x, 0.0)
            residual = np.empty_like(guess)  # erfc in the tails, erf elsewhere: each element once
            residual[tail] = (1 - magnitude[tail]) - _erfc64(guess[tail])
            residual[~tail] = _erf64(guess[~tail]) - magnitude[~tail]
            step = residual / (_TWO_OVER_ROOT_PI * np.exp(-x * x))
            x = np.where(finite, x - step, x)
        x = np.where(magnitude == 1, np.inf, np.where(magnitude > 1, np.nan, x))
        out = np.copysign(x, y)
        out = np.where(y == 0, y, out)
    return out.astype(a.dtype, copy=False)


def _erf_backward(n, g):
    x = n.inputs[0]
    return (g * (_TWO_OVER_ROOT_PI * exp(-(x * x))),)


def _erfc_backward(n, g):
    x = n.inputs[0]
    return (g * (-_TWO_OVER_ROOT_PI * exp(-(x * x))),)


def _erfinv_backward(n, g):
    out = n.output
    return (g * (math.sqrt(math.pi) / 2 * exp(out * out)),)


_INPUT, _RESULT = (keep(0),), (keep(OUT),)
ERF = Op("ErfBackward0", _erf_forward, _erf_backward, saves=_INPUT)
ERFC = Op("ErfcBackward0", _erfc64, _erfc_backward, saves=_INPUT)
ERFINV = Op("ErfinvBackward0", _erfinv_forward, _erfinv_backward, saves=_RESULT)


def erf(x) -> Tensor:
    return unary(ERF, x, float_only=True)


def erfc(x) -> Tensor:
    return unary(ERFC, x, float_only=True)


def erfinv(x) -> Tensor:
    return unary(ERFINV, x, float_only=True)


# ---- frac, deg2rad, rad2deg ------------------------------------------------------------

def _frac_forward(a):
    with np.errstate(invalid="ignore"):
        return a - np.trunc(a)


FRAC = Op("FracBackward0", _frac_forward, lambda n, g: (g,), saves=False)


def frac(x) -> Tensor:
    x = as_tensor(x)
    if not x.dtype.is_floating_point:
        raise DTypeError(f"\"frac_cpu\" not implemented for '{x.dtype.torch_name}'",
                         hint="frac is the part after the point: integers have none")
    return unary(FRAC, x)


def _scaled(name: str, factor: float):
    """x * factor. PyTorch multiplies float16 and float32 in float32 by the float32 factor
    (a sweep of 100,000 inputs each matched it bit for bit); float64 in float64."""
    def forward(a):
        if a.dtype == np.float64:
            return a * factor
        with np.errstate(over="ignore"):
            return (a.astype(np.float32) * np.float32(factor)).astype(a.dtype)

    op = Op(name, forward, lambda n, g: (g * factor,), saves=False)

    def function(x) -> Tensor:
        return unary(op, x, float_only=True)

    return function


deg2rad = _scaled("Deg2RadBackward0", math.pi / 180)
rad2deg = _scaled("Rad2DegBackward0", 180 / math.pi)


# ---- functions of two tensors -------------------------------------------------------------

def _tensors_only(name: str, **operands) -> None:
    """PyTorch's atan2, hypot, logaddexp, heaviside, isclose take tensors, not numbers."""
    for position, (argument, x) in enumerate(operands.items(), 1):
        if type(x) is not Tensor:
            raise TcalcTypeError(f"{name}(): argument '{argument}' (position {position}) must be Tensor, "
                                 f"not {type_name(x)}", hint=f"wrap the number: torch.tensor({x!r})"
                                 if is_number(x) else None)


def _float_result(a, b) -> dtypes.DType:
    dtype = result_type(a, b)
    return dtype if dtype.is_floating_point else dtypes.DEFAULT_FLOAT


def _float_kernel_only(kernel: str, a, b) -> None:
    dtype = result_type(a, b)
    if not dtype.is_floating_point:
        raise DTypeError(f"\"{kernel}_cpu\" not implemented for '{dtype.torch_name}'",
                         hint="convert first, e.g. x.float()")


def _in_float32(kernel):
    """A float32 kernel that float16 runs in too, rounded once at the end; float64 runs
    NumPy's own."""
    def forward(a, b, float64_kernel):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if a.dtype == np.float64:
                return float64_kernel(a, b)
            return kernel(a.astype(np.float32), b.astype(np.float32)).astype(a.dtype)
    return lambda a, b: forward(a, b, FLOAT64_KERNELS[kernel])


def _rounded_f32(function, x: np.ndarray) -> np.ndarray:
    """function(x) computed in float64 and rounded once to float32 (a correctly rounded
    float32 exp, log1p, ...; PyTorch's are nearly always that)."""
    return function(x.astype(np.float64)).astype(np.float32)


def _logaddexp_f32(a, b):
    """PyTorch's steps: max + log1p(exp(-|a - b|)), each function rounded to float32; equal
    infinities are themselves. A sweep of 100,000 float32 pairs matched 99% bit for bit."""
    top = np.maximum(a, b)
    tail = _rounded_f32(np.log1p, _rounded_f32(np.exp, -np.abs(a - b)))
    return np.where(np.isinf(a) & (a == b), a, top + tail)


def _logaddexp2_f32(a, b):
    """max + log1p(exp2(-|a - b|)) / ln 2, the last step one fused multiply-add (exact in
    float64 before its one rounding)."""
    top = np.maximum(a, b)
    tail = _rounded_f32(np.log1p, _rounded_f32(np.exp2, -np.abs(a - b)))
    fused = (top.astype(np.float64) + tail.astype(np.float64) * np.float64(np.float32(1 / math.log(2))))
    return np.where(np.isinf(a) & (a == b), a, fused.astype(np.float32))


def _atan2_f32(a, b):
    return _rounded_f32(lambda x: np.arctan2(x, b.astype(np.float64)), a)


FLOAT64_KERNELS = {_logaddexp_f32: np.logaddexp, _logaddexp2_f32: np.logaddexp2, _atan2_f32: np.arctan2}
def _atan2_backward(n, g):
    a, b = n.inputs
    denominator = a * a + b * b
    return (g * b / denominator if n.needs_grad(0) else None,
            -g * a / denominator if n.needs_grad(1) else None)


ATAN2 = Op("Atan2Backward0", _in_float32(_atan2_f32), _atan2_backward, saves=(keep(0), keep(1)))


def atan2(input, other) -> Tensor:
    _tensors_only("atan2", input=input, other=other)
    return binary(ATAN2, input, other, compute=_float_result(input, other))


def _hypot_backward(n, g):
    a, b = n.inputs
    out = n.output
    return (g * a / out if n.needs_grad(0) else None, g * b / out if n.needs_grad(1) else None)


HYPOT = Op("HypotBackward0", np.hypot, _hypot_backward, saves=(keep(0), keep(1), keep(OUT)))


def hypot(input, other) -> Tensor:
    _tensors_only("hypot", input=input, other=other)
    _float_kernel_only("hypot", input, other)
    return binary(HYPOT, input, other)


def _logaddexp_backward(n, g):
    a, b = n.inputs
    # d/da log(e^a + e^b) = 1 / (1 + e^(b - a)) = sigmoid(a - b)
    return (g * sigmoid(a - b) if n.needs_grad(0) else None, g * sigmoid(b - a) if n.needs_grad(1) else None)


def _logaddexp2_backward(n, g):
    a, b = n.inputs
    return (g / (1 + 2.0 ** (b - a)) if n.needs_grad(0) else None,
            g / (1 + 2.0 ** (a - b)) if n.needs_grad(1) else None)


LOGADDEXP = Op("LogaddexpBackward0", _in_float32(_logaddexp_f32), _logaddexp_backward, saves=(keep(0), keep(1)))
LOGADDEXP2 = Op("Logaddexp2Backward0", _in_float32(_logaddexp2_f32), _logaddexp2_backward,
                saves=(keep(0), keep(1)))


def logaddexp(input, other) -> Tensor:
    _tensors_only("logaddexp", input=input, other=other)
    _float_kernel_only("logaddexp", input, other)
    return binary(LOGADDEXP, input, other)


def logaddexp2(input, other) -> Tensor:
    _tensors_only("logaddexp2", input=input, other=other)
    _float_kernel_only("logaddexp2", input, other)
    return binary(LOGADDEXP2, input, other)


def _xlogy_forward(x, y):
    """x * log(y), 0 where x is 0 (unless y is NaN), as PyTorch's kernel: log(y) rounded to
    the dtype, then the product in it (a sweep of 100,000 float32 pairs matched 99.7% bit for
    bit, where one rounding of the whole matched 74%)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logarithm = np.log(y.astype(np.float64)).astype(y.dtype) if y.dtype != np.float64 else np.log(y)
        return np.where((x == 0) & ~np.isnan(y), x.dtype.type(0), x * logarithm)


def _xlogy_backward(n, g):
    x, y = n.inputs
    grad_x = grad_y = None
    if n.needs_grad(0):
        # log(y), except where x == 0 and y <= 0 (PyTorch masks those to 0).
        grad_x = xlogy(g, y)
        masked = logical_and(eq(x, 0), le(y, 0)) if type(y) is Tensor else eq(x, 0) if y <= 0 else None
        if masked is not None:
            grad_x = where(masked, 0.0, grad_x)
    if n.needs_grad(1):
        grad_y = g * x / y
    return (grad_x, grad_y)


XLOGY = Op("XlogyBackward0", _xlogy_forward, _xlogy_backward, saves=(keep(0), keep(1)))
XLOGY_SCALAR_SELF = Op("XlogyBackward1", _xlogy_forward, _xlogy_backward, saves=(keep(1),))
XLOGY_SCALAR_OTHER = Op("XlogyBackward2", _xlogy_forward, _xlogy_backward, saves=(keep(0),))


def xlogy(input, other) -> Tensor:
    """x * log(y), 0 where x == 0; either side may be a number (not both)."""
    if type(input) is not Tensor and type(other) is not Tensor:
        raise TcalcTypeError("xlogy(): argument 'input' (position 1) must be Tensor, not "
                             f"{type_name(input)}", hint="make one side a tensor: xlogy(torch.tensor(x), y)")
    op = XLOGY if type(input) is Tensor and type(other) is Tensor else \
        XLOGY_SCALAR_SELF if type(other) is Tensor else XLOGY_SCALAR_OTHER
    return binary(op, input, other, compute=_float_result(input, other))


def _fmod_forward(a, b):
    if a.dtype.kind in "iub":
        if not np.all(b):
            raise ArithmeticError_("ZeroDivisionError", hint="integer division by zero")
        return np.fmod(a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.fmod(a, b)


def _fmod_backward(n, g):
    a, b = n.inputs
    grad_b = -g * div(a, b, rounding_mode="trunc") if type(b) is Tensor and n.needs_grad(1) else None
    return (g if n.needs_grad(0) else None, grad_b)


FMOD = Op("FmodBackward0", _fmod_forward, lambda n, g: (g, None), saves=False)
FMOD_TENSORS = Op("FmodBackward1", _fmod_forward, _fmod_backward, saves=(keep(0, 1), keep(1, 1)))


def fmod(input, other) -> Tensor:
    """The remainder with the dividend's sign (C's fmod); integers refuse a zero divisor."""
    if type(input) is not Tensor:
        raise TcalcTypeError(f"fmod() received an invalid combination of arguments - got ({type_name(input)}, "
                             f"{type_name(other)}), but expected one of:\n * (Tensor input, Tensor other, *, "
                             "Tensor out = None)\n * (Tensor input, Number other, *, Tensor out = None)",
                             hint="the dividend must be a tensor: torch.fmod(torch.tensor(x), y)")
    if result_type(input, other) is dtypes.bool_:
        raise DTypeError("\"fmod_cpu\" not implemented for 'Bool'", hint="convert first, e.g. x.long()")
    return binary(FMOD_TENSORS if type(other) is Tensor else FMOD, input, other)


def _heaviside_forward(x, values):
    return np.where(x == 0, values, (x > 0).astype(x.dtype)).astype(x.dtype, copy=False)


def _no_heaviside_derivative(n, g):
    raise AutogradError("derivative for aten::heaviside is not implemented")


# PyTorch records heaviside on a tensor that requires grad as a node named NotImplemented.
HEAVISIDE = Op("NotImplemented", _heaviside_forward, _no_heaviside_derivative, saves=False)


def heaviside(input, values) -> Tensor:
    """0 below zero (and at NaN), 1 above, `values` where x is 0."""
    _tensors_only("heaviside", input=input, values=values)
    if input.dtype is not values.dtype:
        raise DTypeError("heaviside is not yet implemented for tensors with different dtypes.",
                         hint="convert one side first, e.g. values.to(x.dtype)")
    return binary(HEAVISIDE, input, values)


def _lerp_backward(n, g):
    start, end, weight = n.inputs
    grad_weight = g * (end - start) if type(weight) is Tensor and n.needs_grad(2) else None
    return (g * (1 - weight) if n.needs_grad(0) else None, g * weight if n.needs_grad(1) else None, grad_weight)


def _lerp_forward(start, end, weight):
    """PyTorch's formula, from the nearer end so that lerp(a, b, 1) is exactly b, each side
    one fused multiply-add. float32 emulates the fused step in float64 (the product of two
    float32 is exact there), which matched a sweep of 100,000 triples bit for bit; float16
    runs in float32 and is rounded once."""
    dtype = start.dtype
    weight = np.asarray(weight, dtype)
    if dtype == np.float16:
        return _lerp_forward(start.astype(np.float32), end.astype(np.float32),
                             weight.astype(np.float32)).astype(np.float16)
    with np.errstate(invalid="ignore", over="ignore"):
        difference = end - start
        near_start, near_end = np.abs(weight) < 0.5, 1 - weight
        if dtype == np.float32:
            wide = np.float64
            low = start.astype(wide) + weight.astype(wide) * difference.astype(wide)
            high = end.astype(wide) - difference.astype(wide) * near_end.astype(wide)
            return np.where(near_start, low, high).astype(dtype)
        return np.where(near_start, fused_multiply_add(weight, difference, start),
                        fused_multiply_add(-difference, near_end, end)).astype(dtype, copy=False)


LERP = Op("LerpBackward0", _lerp_forward, _lerp_backward, saves=False)
LERP_TENSOR = Op("LerpBackward1", _lerp_forward, _lerp_backward, saves=(keep(0, 2), keep(1, 2), keep(2)))


def lerp(input, end, weight) -> Tensor:
    """start + weight * (end - start); start, end (and a tensor weight) of one dtype."""
    for argument, x in (("input", input), ("end", end)):
        if type(x) is not Tensor:
            raise TcalcTypeError(f"lerp(): argument '{argument}' must be Tensor, not {type_name(x)}",
                                 hint="lerp(start, end, weight) takes two tensors and a weight")
    check_operand(weight, "lerp")
    tensor_weight = type(weight) is Tensor
    for argument, x in (("end", end), ("weight", weight)):  # PyTorch checks the dtypes first
        if type(x) is Tensor and x.dtype is not input.dtype and (argument == "end" or x.data.ndim):
            raise DTypeError(f"expected dtype {input.dtype.type_meta} for `{argument}` but got dtype "
                             f"{x.dtype.type_meta}",
                             hint=f"convert it first: {argument}.to(x.dtype)")
    if not input.dtype.is_floating_point:
        raise DTypeError(f"\"lerp_kernel_{'tensor' if tensor_weight else 'scalar'}\" not implemented for "
                         f"'{input.dtype.torch_name}'", hint="convert first, e.g. x.float()")
    shape = broadcast_shape(input.data.shape, end.data.shape)
    if tensor_weight:
        broadcast_shape(shape, weight.data.shape)
    check_elements(int(np.prod(shape)))
    dtype = input.dtype
    return apply(LERP_TENSOR if tensor_weight else LERP, (input, end, weight),
                 (input.data, array_of(end, dtype), array_of(weight, dtype)))


# ---- clamp_min, clamp_max -------------------------------------------------------------------

def _bound_backward(n, g):
    x, bound = n.inputs
    passes = ge(x, bound) if n.params["low"] else le(x, bound)
    grad_bound = None
    if type(bound) is Tensor and n.needs_grad(1):
        grad_bound = where(lt(x, bound) if n.params["low"] else gt(x, bound), g, 0.0)
    return (where(passes, g, 0.0), grad_bound)


def _bound_forward(a, bound, low):
    return np.maximum(a, bound) if low else np.minimum(a, bound)


CLAMP_MIN = Op("ClampMinBackward0", _bound_forward, _bound_backward, saves=(keep(0),))
CLAMP_MIN_TENSOR = Op("ClampMinBackward1", _bound_forward, _bound_backward, saves=(keep(0), keep(1)))
CLAMP_MAX = Op("ClampMaxBackward0", _bound_forward, _bound_backward, saves=(keep(0),))
CLAMP_MAX_TENSOR = Op("ClampMaxBackward1", _bound_forward, _bound_backward, saves=(keep(0), keep(1)))


def _clamp_bound(name: str, x, bound, low: bool) -> Tensor:
    if type(x) is not Tensor or bound is None or (type(bound) is not Tensor and not is_number(bound)):
        raise TcalcTypeError(f"{name}() received an invalid combination of arguments - got ({type_name(x)}, "
                             f"{type_name(bound)}), but expected one of:\n * (Tensor input, Tensor "
                             f"{'min' if low else 'max'}, *, Tensor out = None)\n * (Tensor input, Number "
                             f"{'min' if low else 'max'}, *, Tensor out = None)",
                             hint=f"give the bound: x.{name}(0)")
    if type(bound) is Tensor:
        op = CLAMP_MIN_TENSOR if low else CLAMP_MAX_TENSOR
    else:
        op = CLAMP_MIN if low else CLAMP_MAX
    if type(bound) is not Tensor and result_type(x, bound) is dtypes.bool_:
        raise DTypeError(f"\"{name}_scalar_cpu\" not implemented for 'Bool'",
                         hint=f"bound by a number: x.long().{name}(1)")
    return binary(op, x, bound, low=low)


def clamp_min(x, min) -> Tensor:
    return _clamp_bound("clamp_min", x, min, True)


def clamp_max(x, max) -> Tensor:
    return _clamp_bound("clamp_max", x, max, False)


# ---- isclose --------------------------------------------------------------------------------

def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """|a - b| <= atol + rtol * |b|, elementwise; equal infinities are close, NaNs only with
    equal_nan. Both tensors of one dtype, as PyTorch asks."""
    _tensors_only("isclose", input=input, other=other)
    if input.dtype is not other.dtype:
        raise DTypeError(f"{input.dtype.torch_name} did not match {other.dtype.torch_name}",
                         hint="convert one side first, e.g. b.to(a.dtype)")
    for name, tolerance in (("rtol", rtol), ("atol", atol)):
        if not is_number(tolerance):
            raise TcalcTypeError(f"isclose(): argument '{name}' must be float, not {type_name(tolerance)}")
        if tolerance < 0:
            raise TcalcValueError(f"{name} must be greater than or equal to zero, but got {tolerance}")
    broadcast_shape(input.data.shape, other.data.shape)
    a, b = input.data, other.data
    if not input.dtype.is_floating_point:  # integers and bools compare in the default float
        a, b = a.astype(np.float32), b.astype(np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        close = a == b
        if equal_nan:
            close = close | (np.isnan(a) & np.isnan(b))
        if rtol or atol:
            actual = np.abs(a - b)
            close = close | (np.isfinite(actual) & (actual <= atol + np.abs(rtol * b)))
    return Tensor(np.asarray(close, dtype=np.bool_))
