"""torch.special's functions that tcalc's other ops do not already give: expit's and erf's
kin logit, exp2, erfcx, sinc, entr, ndtr, ndtri, log_ndtr, xlog1py; the modified Bessel
functions i0, i0e, i1, i1e; gammaln, digamma, polygamma, multigammaln and Hurwitz's zeta.

NumPy has none of them (and there is no SciPy here): most kernels are computed in float64
from series, recurrences and asymptotic expansions good to a few units in float64's last
place, and rounded once to the input's dtype (ints and bools give float32, as PyTorch's);
digamma, trigamma, logit, entr, xlog1py and multigammaln follow PyTorch's own kernels step
by step in the input's dtype, so that their float32 results are PyTorch's bits nearly always.
Each is one Op with PyTorch's node name, its backward written with tcalc ops, so it
differentiates again.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..autograd import OUT, Op, apply, keep
from ..errors import AutogradError, DTypeError, TcalcTypeError, TcalcValueError
from ..limits import check_elements
from ..tensor import Tensor
from ..values import type_name
from ._base import as_tensor, binary, result_type, unary
from .elementwise import cos, eq, exp, gt, log, logical_or, lt, sign, sin, where
from .special import _erfc64, erf

_ROOT_TWO_PI = math.sqrt(2 * math.pi)
_MACHINE_EPSILON = 1.11022302462515654042e-16  # Cephes' MACHEP, where its series stop


def _float64_kernel(kernel):
    """A float64 kernel for every float dtype: computed in float64, rounded once."""
    def forward(a: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return kernel(a.astype(np.float64)).astype(a.dtype, copy=False)
    return forward


def _no_half(kernel: str, x) -> None:
    x = as_tensor(x)
    if x.dtype is dtypes.float16:
        raise DTypeError(f"\"{kernel}_cpu\" not implemented for 'Half'", hint="convert first: x.float()")


_INPUT, _RESULT, _BOTH = (keep(0),), (keep(OUT),), (keep(0), keep(OUT))


# ---- logit, exp2, sinc, entr ------------------------------------------------------------------

def _logit_forward(a, eps):
    """log(x / (1 - x)) with the ratio rounded to float32 first, as PyTorch's float kernel
    rounds it (near x = 1/2 that rounding is most of the answer); float64 in float64."""
    wide = a.astype(np.float32) if a.dtype == np.float16 else a
    if eps is not None:
        wide = np.clip(wide, wide.dtype.type(eps), wide.dtype.type(1 - eps))
    with np.errstate(all="ignore"):
        ratio = wide / (wide.dtype.type(1) - wide)
        return np.log(ratio.astype(np.float64)).astype(a.dtype)


def _logit_backward(n, g):
    x, eps = n.inputs[0], n.params["eps"]
    grad = g / (x * (1 - x))
    if eps is None:  # outside [0, 1] the gradient is NaN, as PyTorch's
        return (where(logical_or(lt(x, 0), gt(x, 1)), math.nan, grad),)
    return (where(logical_or(lt(x, eps), gt(x, 1 - eps)), 0.0, grad),)


LOGIT = Op("LogitBackward0", _logit_forward, _logit_backward, saves=_INPUT)


def logit(x, eps=None) -> Tensor:
    """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given."""
    if eps is not None and not isinstance(eps, (int, float)):
        raise TcalcTypeError(f"logit(): argument 'eps' must be float, not {type_name(eps)}")
    return _unary_with(LOGIT, x, eps=None if eps is None else float(eps))


def _unary_with(op: Op, x, **params) -> Tensor:
    """unary() for an op with parameters: ints and bools go in as the default float."""
    x = as_tensor(x)
    dtype = x.dtype if x.dtype.is_floating_point else dtypes.DEFAULT_FLOAT
    check_elements(x.data.size)
    return apply(op, (x,), (x.data.astype(dtype.numpy, copy=False),), **params)


EXP2 = Op("Exp2Backward0", _float64_kernel(np.exp2), lambda n, g: (g * n.output * math.log(2),), saves=_RESULT)


def exp2(x) -> Tensor:
    return unary(EXP2, x, float_only=True)


def _sinc_forward(a):
    """sin(pi x) / (pi x), 1 at 0. PyTorch forms pi x in the tensor's dtype (so that
    sinc(1.) is -2.7828e-08 in float32, sin of float32's pi), then divides in it too."""
    wide = a.astype(np.float32) if a.dtype == np.float16 else a  # float16 in float32, as PyTorch
    product = wide * wide.dtype.type(math.pi)
    with np.errstate(all="ignore"):
        sine = np.sin(product.astype(np.float64)).astype(wide.dtype)
        return np.where(a == 0, 1, sine / product).astype(a.dtype)


def _sinc_backward(n, g):
    x = n.inputs[0]
    angle = x * math.pi
    return (where(eq(x, 0), 0.0, g * (angle * cos(angle) - sin(angle)) / (angle * x)),)


SINC = Op("SincBackward0", _sinc_forward, _sinc_backward, saves=_INPUT)


def sinc(x) -> Tensor:
    return unary(SINC, x, float_only=True)


def _entr_forward(a):
    """-x log(x) for x > 0 as PyTorch's kernel: log(x) rounded to x's dtype, then the
    product in it (float16 in float32); 0 at 0, -inf below 0."""
    wide = a.astype(np.float32) if a.dtype == np.float16 else a
    with np.errstate(all="ignore"):
        logarithm = np.log(np.where(wide > 0, wide, 1).astype(np.float64)).astype(wide.dtype)
        value = np.where(wide > 0, -wide * logarithm, np.where(wide == 0, 0, np.where(wide < 0, -np.inf, wide)))
    return value.astype(a.dtype)


ENTR = Op("SpecialEntrBackward0", _entr_forward, lambda n, g: (g * -(1 + log(n.inputs[0])),),
          saves=_INPUT)


def entr(x) -> Tensor:
    """-x log(x) for x > 0, 0 at 0, -inf below."""
    return unary(ENTR, x, float_only=True)


# ---- erfcx, ndtr, log_ndtr, ndtri -------------------------------------------------------------

def _erfcx64(x):
    """exp(x^2) erfc(x): directly while exp(x^2) is finite, else the asymptotic series
    1/(x sqrt(pi)) (1 - 1/(2x^2) + 3/(2x^2)^2 - ...), good to float64 beyond x = 26."""
    direct = np.exp(x * x) * _erfc64(np.where(x < 26, x, 0.0))  # inf below -26.6, as exp(x^2)
    large = np.maximum(x, 26.0)
    term, series = np.ones_like(x), np.ones_like(x)
    for k in range(1, 12):
        term = term * -(2 * k - 1) / (2 * large * large)
        series = series + term
    asymptotic = series / (large * math.sqrt(math.pi))
    return np.where(x >= 26, asymptotic, direct)


def _erfcx_backward(n, g):
    x = n.inputs[0]
    return (g * (2 * x * n.output - 2 / math.sqrt(math.pi)),)


ERFCX = Op("SpecialErfcxBackward0", _float64_kernel(lambda x: np.where(np.isnan(x), x, _erfcx64(x))),
           _erfcx_backward, saves=_BOTH)


def erfcx(x) -> Tensor:
    _no_half("erfcx", x)
    return unary(ERFCX, x, float_only=True)


# ndtr is PyTorch's composite (1 + erf(x / sqrt(2))) * 0.5, with its nodes: a Tensor times a
# Scalar is MulBackward1, plus a Scalar AddBackward1.
def _with_scalar(function):
    """a (op) c for a Scalar c, as PyTorch's CPU kernels: float16 in float32, rounded once."""
    def forward(a, c):
        wide = a.astype(np.float32) if a.dtype == np.float16 else a
        return function(wide, wide.dtype.type(c)).astype(a.dtype, copy=False)
    return forward


_TIMES = Op("MulBackward1", _with_scalar(np.multiply), lambda n, g: (g * n.params["c"],), saves=False)
_PLUS = Op("AddBackward1", _with_scalar(np.add), lambda n, g: (g,), saves=False)


def ndtr(x) -> Tensor:
    """The standard normal distribution function."""
    x = as_tensor(x)
    if not x.dtype.is_floating_point:
        x = Tensor(x.data.astype(dtypes.DEFAULT_FLOAT.numpy))
    scaled = apply(_TIMES, (x,), (x.data,), c=math.sqrt(0.5))
    shifted = erf(scaled)
    shifted = apply(_PLUS, (shifted,), (shifted.data,), c=1)
    return apply(_TIMES, (shifted,), (shifted.data,), c=0.5)


def _log_ndtr64(x):
    """log(ndtr(x)) as PyTorch's: through erfcx below -1 (no underflow), log1p above."""
    below = np.minimum(x, -1.0)
    lower = np.log(_erfcx64(-below / math.sqrt(2)) / 2) - below * below / 2
    upper = np.log1p(-_erfc64(np.maximum(x, -1.0) / math.sqrt(2)) / 2)
    return np.where(np.isnan(x), x, np.where(x < -1, lower, upper))


def _log_ndtr_backward(n, g):
    x = n.inputs[0]
    return (g * exp(-(x * x) / 2 - n.output) / _ROOT_TWO_PI,)


LOG_NDTR = Op("SpecialLogNdtrBackward0", _float64_kernel(_log_ndtr64), _log_ndtr_backward, saves=_BOTH)


def log_ndtr(x) -> Tensor:
    _no_half("log_ndtr", x)
    return unary(LOG_NDTR, x, float_only=True)


def _ndtri64(p):
    """The x with ndtr(x) = p: Abramowitz and Stegun's 26.2.23 (good to 4.5e-4) for the
    lower tail, then Newton's method on log(ndtr(x)) = log(p), which keeps its digits for
    p as small as 1e-300; the upper half by symmetry (1 - p is exact there)."""
    upper = p > 0.5
    q = np.where(upper, 1 - p, p)
    inside = (q > 0) & (q <= 0.5)
    q_safe = np.where(inside, q, 0.25)
    t = np.sqrt(-2 * np.log(q_safe))
    x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
          (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t ** 3))
    target = np.log(q_safe)
    for _ in range(6):
        log_cdf = _log_ndtr64(x)
        x = x - (log_cdf - target) * np.exp(log_cdf + x * x / 2) * _ROOT_TWO_PI
    x = np.where(q_safe == 0.5, 0.0, x)
    x = np.where(upper, -x, x)
    return np.where(p == 0, -np.inf, np.where(p == 1, np.inf, np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, x)))


def _ndtri_backward(n, g):
    out = n.output
    return (g * _ROOT_TWO_PI * exp(out * out / 2),)


NDTRI = Op("SpecialNdtriBackward0", _float64_kernel(_ndtri64), _ndtri_backward, saves=_RESULT)


def ndtri(x) -> Tensor:
    """The inverse of ndtr."""
    _no_half("ndtri", x)
    return unary(NDTRI, x, float_only=True)


# ---- xlog1py ---------------------------------------------------------------------------------

def _xlog1py_forward(x, y):
    """x * log1p(y) as PyTorch's kernel: log1p(y) rounded to the dtype, then the product."""
    with np.errstate(all="ignore"):
        logarithm = np.log1p(y.astype(np.float64)).astype(y.dtype)
        return np.where((x == 0) & ~np.isnan(y), x.dtype.type(0), x * logarithm)


def _xlog1py_backward(n, g):
    x, y = n.inputs
    grad_x = where(eq(x, 0), 0.0, g * log(1 + y)) if n.needs_grad(0) else None
    grad_y = g * x / (y + 1) if n.needs_grad(1) else None
    return (grad_x, grad_y)


XLOG1PY = Op("SpecialXlog1PyBackward0", _xlog1py_forward, _xlog1py_backward, saves=(keep(0), keep(1)))
XLOG1PY_SCALAR_SELF = Op("SpecialXlog1PyBackward1", _xlog1py_forward, _xlog1py_backward, saves=(keep(1),))
XLOG1PY_SCALAR_OTHER = Op("SpecialXlog1PyBackward2", _xlog1py_forward, _xlog1py_backward, saves=(keep(0),))


def xlog1py(input, other) -> Tensor:
    """x * log1p(y), 0 where x == 0 (unless y is NaN); either side may be a number."""
    _one_tensor("special_xlog1py", input, other)
    op = XLOG1PY if type(input) is Tensor and type(other) is Tensor else \
        XLOG1PY_SCALAR_SELF if type(other) is Tensor else XLOG1PY_SCALAR_OTHER
    return binary(op, input, other, compute=_float_result(input, other))


def _one_tensor(name: str, a, b) -> None:
    if type(a) is not Tensor and type(b) is not Tensor:
        raise TcalcTypeError(f"{name}() received an invalid combination of arguments - got "
                             f"({type_name(a)}, {type_name(b)}), but expected one of:",
                             hint="make one side a tensor, e.g. torch.tensor(2.)")


def _float_result(a, b) -> dtypes.DType:
    dtype = result_type(a, b)
    return dtype if dtype.is_floating_point else dtypes.DEFAULT_FLOAT


# ---- modified Bessel functions of order 0 and 1 ----------------------------------------------
#
# exp(-|x|) I_v(x) by its power series up to |x| = 20 (positive terms: no cancellation), and
# beyond by the asymptotic series (sum (-1)^k a_k(v) / x^k) / sqrt(2 pi x), whose smallest
# term there is below float64's epsilon.

_SERIES_LIMIT = 20.0


def _scaled_bessel(x, order: int):
    """exp(-|x|) I_order(|x|) for order 0 or 1."""
    magnitude = np.abs(x)
    small = np.minimum(magnitude, _SERIES_LIMIT)
    quarter_square = small * small / 4
    term = np.ones_like(x) if order == 0 else small / 2
    total = term.copy()
    for k in range(1, 80):
        term = term * quarter_square / (k * (k + order))
        total = total + term
    series = total * np.exp(-small)
    large = np.maximum(magnitude, _SERIES_LIMIT)
    mu = 4.0 * order * order
    term, expansion = np.ones_like(x), np.ones_like(x)
    for k in range(1, 40):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8 * large)
        expansion = expansion + term
    asymptotic = expansion / np.sqrt(2 * math.pi * large)
    return np.where(magnitude <= _SERIES_LIMIT, series, asymptotic)


def _i0e64(x):
    return np.where(np.isnan(x), x, np.where(np.isinf(x), 0.0, _scaled_bessel(x, 0)))


def _i1e64(x):
    """Odd, but +0 at -0 (and -0 at -inf), as PyTorch's."""
    odd = np.copysign(np.where(np.isinf(x), 0.0, _scaled_bessel(x, 1)), x)
    return np.where(np.isnan(x), x, np.where(x == 0, 0.0, odd))


def _unscaled(scaled):
    """I_v(x) = exp(|x|) * its scaled form; NaN at the infinities, as PyTorch's (inf / inf
    in its Chebyshev series)."""
    def kernel(x):
        return np.where(np.isinf(x), np.nan, scaled(x) * np.exp(np.abs(x)))
    return kernel


def _i1_backward(n, g):
    x = n.inputs[0]
    return (where(eq(x, 0), g * 0.5, g * (i0(x) - n.output / x)),)


def _i1e_backward(n, g):
    x = n.inputs[0]
    return (where(eq(x, 0), g * 0.5, g * (i0e(x) - n.output * (sign(x) + 1 / x))),)


I0 = Op("I0Backward0", _float64_kernel(_unscaled(_i0e64)), lambda n, g: (g * i1(n.inputs[0]),), saves=_INPUT)
I0E = Op("SpecialI0EBackward0", _float64_kernel(_i0e64),
         lambda n, g: (g * (i1e(n.inputs[0]) - sign(n.inputs[0]) * n.output),), saves=_BOTH)
I1 = Op("SpecialI1Backward0", _float64_kernel(_unscaled(_i1e64)), _i1_backward, saves=_BOTH)
I1E = Op("SpecialI1EBackward0", _float64_kernel(_i1e64), _i1e_backward, saves=_BOTH)


def _of_one_tensor(op: Op):
    def function(x) -> Tensor:
        return unary(op, x, float_only=True)
    return function


i0, i0e, i1, i1e = (_of_one_tensor(op) for op in (I0, I0E, I1, I1E))


# ---- gammaln, digamma, polygamma, multigammaln, zeta ---------------------------------------

def _lgamma_scalar(v: float) -> float:
    try:
        return math.lgamma(v)
    except (ValueError, OverflowError):  # the poles (0, -1, -2, ...) and past float64's range
        return math.inf


def _lgamma64(x):
    flat = x.reshape(-1)
    return np.fromiter(map(_lgamma_scalar, flat.tolist()), np.float64, flat.size).reshape(x.shape)


GAMMALN = Op("LgammaBackward0", _float64_kernel(_lgamma64), lambda n, g: (g * digamma(n.inputs[0]),),
             saves=_INPUT)


def gammaln(x) -> Tensor:
    """log |Gamma(x)|."""
    return unary(GAMMALN, x, float_only=True)


# Cephes' psi coefficients, from B_14 / 14 down to B_2 / 2 (PyTorch's A[]), and psi(10).
_PSI_SERIES = (8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
               -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
               8.33333333333333333333e-2)
_PSI_10 = 2.25175258906672110764


def _digamma(x):
    """PyTorch's digamma step for step, in x's own float dtype (float16 in float32) as its
    kernel computes it: 0 gives -inf (-0 inf), the negative integers NaN; below 0 the
    reflection psi(1 - x) - pi / tan(pi r) (r the fractional part, in float64); then the
    recurrence up to 10 and the asymptotic series, exactly psi(10) where it lands on 10."""
    if x.dtype == np.float16:
        return _digamma(x.astype(np.float32)).astype(np.float16)
    kind = x.dtype.type
    with np.errstate(all="ignore"):
        reflect = x < 0
        fraction = np.modf(x.astype(np.float64))[0]
        correction = (math.pi / np.tan(math.pi * fraction)).astype(x.dtype)
        y = np.where(reflect, kind(1) - x, x)
        result = np.zeros_like(x)
        for _ in range(11):
            small = y < 10
            result = np.where(small, result - kind(1) / y, result)
            y = np.where(small, y + kind(1), y)
        z = kind(1) / (y * y)
        series = np.zeros_like(x)
        for coefficient in _PSI_SERIES:
            series = series * z + kind(coefficient)
        tail = np.where(y < 1e17, z * series, kind(0))
        logarithm = np.log(y.astype(np.float64)).astype(x.dtype)
        value = np.where(y == 10, result + kind(_PSI_10), result + logarithm - kind(0.5) / y - tail)
        value = np.where(reflect, value - correction, value)
    value = np.where(reflect & (x == np.trunc(x)), np.nan, value)
    return np.where(x == 0, np.copysign(np.inf, -x), np.where(x == np.inf, np.inf, value)).astype(x.dtype)


DIGAMMA = Op("DigammaBackward0", _digamma, lambda n, g: (g * polygamma(1, n.inputs[0]),),
             saves=_INPUT)


def digamma(x) -> Tensor:
    """The derivative of gammaln (psi)."""
    return unary(DIGAMMA, x, float_only=True)


# Cephes' A[k] = (2k + 2)! / B_(2k + 2): Euler-Maclaurin's weights, from the Bernoulli
# numbers B_2 = 1/6, B_4 = -1/30, ..., B_24 = -236364091/2730.
_EULER_MACLAURIN = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
                    7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
                    -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)
_MOST_TERMS = 100_000  # a q below -100,000 gets no more terms summed directly


def _zeta64(s, q):
    """Hurwitz's zeta, sum over k >= 0 of (k + q)^-s, as Cephes' zeta: the first terms
    summed, the rest by Euler-Maclaurin. s = 1 is inf, s < 1 NaN; for q <= 0, a pole at an
    integer q, and NaN where q^-s is not real."""
    s, q = np.broadcast_arrays(s, q)
    finite = q[np.isfinite(q)]
    lowest = float(finite.min(initial=0.0))
    count = 9 + min(_MOST_TERMS, max(0, math.ceil(-lowest)))  # until q + count > 9
    total = np.zeros(s.shape)
    for k in range(count + 1):
        total = total + np.power(q + k, -s)
    w = q + count
    last = np.power(w, -s)
    total = total + last * w / (s - 1) - 0.5 * last
    a, b, k = np.ones(s.shape), last, 0.0
    running = np.ones(s.shape, bool)
    for weight in _EULER_MACLAURIN:
        a = a * (s + k)
        b = b / w
        t = a * b / weight
        total = np.where(running, total + t, total)
        running &= np.abs(t / total) >= _MACHINE_EPSILON
        k += 1
        a = a * (s + k)
        b = b / w
        k += 1
    pole = (q <= 0) & (q == np.floor(q))
    complex_power = (q < 0) & (s != np.floor(s))
    total = np.where(pole, np.inf, np.where(complex_power, np.nan, total))
    return np.where(s == 1, np.inf, np.where(s < 1, np.nan, total))


def _trigamma(x):
    """PyTorch's trigamma (its polygamma(1, x)), step for step in x's own float dtype as its
    kernel computes it: reflected below 1/2, six steps of the recurrence, then the
    asymptotic series to x^-7, which leaves it good to about 1e-9 in float64."""
    one = x.dtype.type(1)
    pi = x.dtype.type(math.pi)
    reflect = x < 0.5
    with np.errstate(all="ignore"):
        sine = np.sin(pi * x)
        result = np.where(reflect, -(pi * pi) / (sine * sine), x.dtype.type(0))
        y = np.where(reflect, one - x, x)
        for _ in range(6):
            result = result + one / (y * y)
            y = y + one
        z = one / (y * y)
        series = one + one / (2 * y) + z * (one / 6 - z * (one / 30 - z * (one / 42)))
        result = result + series / y
    return np.where(reflect, -result, result)


def _polygamma64(x, n):
    return (-1) ** (n + 1) * np.exp(math.lgamma(n + 1)) * _zeta64(np.float64(n + 1), x)


def _polygamma_forward(a, n):
    if n == 0:
        return _digamma(a)
    if n == 1:  # float16 in float32, as PyTorch's
        return _trigamma(a.astype(np.float32) if a.dtype == np.float16 else a).astype(a.dtype, copy=False)
    return _float64_kernel(lambda x: _polygamma64(x, n))(a)


POLYGAMMA = Op("PolygammaBackward0", _polygamma_forward,
               lambda node, g: (g * polygamma(node.params["n"] + 1, node.inputs[0]),), saves=_INPUT)


# x.polygamma_(n): PyTorch's in-place node has a name of its own.
POLYGAMMA_IN_PLACE = Op("PolygammaBackward1", POLYGAMMA.forward, POLYGAMMA.backward, saves=_INPUT)


def polygamma(n, input, function: str = "polygamma") -> Tensor:
    """The n-th derivative of digamma."""
    _check_int(n, function, "n", 1, hint="n is the order of the derivative: 0, 1, 2, ...")
    if n < 0:
        raise TcalcValueError("polygamma(n, x) does not support negative n.")
    return _unary_with(POLYGAMMA, input, n=n)


def special_polygamma(n, input) -> Tensor:
    return polygamma(n, input, "special_polygamma")


def polygamma_method(x, n) -> Tensor:
    """x.polygamma(n): the tensor comes first."""
    return polygamma(n, x)


def _check_int(value, function: str, name: str, position: int, hint: str | None = None) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TcalcTypeError(f"{function}(): argument '{name}' (position {position}) must be int, not "
                             f"{type_name(value)}", hint=hint)


def _multigammaln_forward(a, p):
    """PyTorch's composite, in a's dtype: lgamma(x - p/2 + 1/2), ..., lgamma(x) summed in
    order, then p (p - 1) log(pi) / 4 added."""
    kind = a.dtype.type
    with np.errstate(all="ignore"):
        total = np.zeros_like(a)
        for i in reversed(range(p)):
            total = total + _lgamma64((a + kind(-i / 2)).astype(np.float64)).astype(a.dtype)
        return total + kind(p * (p - 1) * math.log(math.pi) / 4)


def _multigammaln_backward(n, g):
    x, p = n.inputs[0], n.params["p"]
    total = digamma(x)
    for i in range(1, p):
        total = total + digamma(x - i / 2)
    return (g * total,)


MULTIGAMMALN = Op("MvlgammaBackward0",
                  _multigammaln_forward,
                  _multigammaln_backward, saves=_INPUT)


def multigammaln(input, p, function: str = "special_multigammaln", position: int = 2) -> Tensor:
    """The multivariate log-gamma of dimension p (torch.mvlgamma)."""
    _check_int(p, function, "p", position)
    if p < 1:
        raise TcalcValueError("p has to be greater than or equal to 1")
    return _unary_with(MULTIGAMMALN, input, p=p)


def mvlgamma(input, p) -> Tensor:
    return multigammaln(input, p, "mvlgamma")


def mvlgamma_method(x, p) -> Tensor:
    return multigammaln(x, p, "mvlgamma", 1)


def _zeta_backward(n, g):
    s, q = n.inputs
    if n.needs_grad(0):
        raise AutogradError("the derivative for 'zeta' is not implemented.",
                            hint="zeta has a gradient in q only: detach x, or use a number for it")
    return (None, g * -s * zeta(s + 1, q) if n.needs_grad(1) else None)


def _zeta_forward(s, q):
    with np.errstate(all="ignore"):
        return _zeta64(s.astype(np.float64), q.astype(np.float64)).astype(s.dtype)


ZETA = Op("SpecialZetaBackward0", _zeta_forward, _zeta_backward, saves=(keep(0), keep(1)))
ZETA_SCALAR_SELF = Op("SpecialZetaBackward1", _zeta_forward, _zeta_backward, saves=(keep(0), keep(1)))
ZETA_SCALAR_OTHER = Op("SpecialZetaBackward2", _zeta_forward, _zeta_backward, saves=(keep(0), keep(1)))


def zeta(input, other) -> Tensor:
    """Hurwitz's zeta of x (input) and q (other); either side may be a number."""
    _one_tensor("special_zeta", input, other)
    for operand in (input, other):
        if type(operand) is Tensor:
            _no_half("zeta", operand)
    op = ZETA if type(input) is Tensor and type(other) is Tensor else \
        ZETA_SCALAR_SELF if type(other) is Tensor else ZETA_SCALAR_OTHER
    return binary(op, input, other, compute=_float_result(input, other))
