"""In-place ops (`add_`, `X += Y`, `zero_`, ...): they write into the tensor's own memory,
so id(X) and every view of X see the change, as in PyTorch."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import NO_GRAD_VIEWS, Op, apply, is_grad_enabled
from ..errors import AutogradError, DTypeError, TcalcTypeError, TcalcValueError
from ..tensor import Tensor, bump_version
from . import elementwise, reduce, scans, shape, special, special_functions
from ._base import as_tensor, broadcast_shape, check_operand, fill_array, result_type, scalar_array, writable
from .creation import random_source
from .elementwise import _no_bool_subtraction, add, div, mul, sub
from .indexing import refuse_changing_one_of_several_views, refuse_partial_overlap, refuse_writing_shared_elements
from .reduce import sum

_NUMPY_INPLACE = {add: np.add, sub: np.subtract, mul: np.multiply}


def _check_leaf(x: Tensor) -> None:
    """PyTorch refuses to change in place a leaf that requires grad, and a view of one (the
    change would reach the leaf behind autograd's back)."""
    if not is_grad_enabled():
        return
    if x in NO_GRAD_VIEWS:
        raise AutogradError(
            "A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
            "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
            "code by moving both the view and the inplace either both inside the no_grad block (if you "
            "don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).",
            hint="make the view and change it in the same mode, or change a clone()")
    refuse_changing_one_of_several_views(x)
    if x.requires_grad and x.is_leaf:
        raise AutogradError(
            "a leaf Variable that requires grad is being used in an in-place operation.",
            hint="update it outside autograd, on x.detach() (or x.data), or use x = x + ...")
    if view_of_a_leaf_that_requires_grad(x):
        raise AutogradError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation.",
            hint="update the leaf outside autograd: with torch.no_grad(): ..., or on x.detach()")


def view_of_a_leaf_that_requires_grad(x: Tensor) -> bool:
    """Whether x is a view (through views) of a leaf tensor that requires grad."""
    node = x.grad_fn
    while node is not None and node.op.view:
        base = node.inputs[0]
        if type(base) is not Tensor:
            return False
        if base.is_leaf:
            return base.requires_grad
        node = base.grad_fn
    return False


_WIDE_FLOATS = frozenset((np.dtype(np.float32), np.dtype(np.float64)))


def apply_inplace(function, x, other) -> Tensor:
    """x = function(x, other), written into x's storage; the result keeps x's dtype."""
    update = _NUMPY_INPLACE.get(function)
    if update is not None and type(x) is Tensor and not is_grad_enabled() and x.data.dtype in _WIDE_FLOATS:
        # An update under no_grad (`w -= lr * w.grad`), in short: of a float tensor by a
        # number or a tensor of its dtype and shape (or 0-d), where of the checks below
        # only those on memory can refuse it.
        target = x.data
        if type(other) is Tensor:
            operand = other.data
            if operand.dtype != target.dtype or (operand.shape != target.shape and operand.ndim):
                operand = None
        elif type(other) is float or type(other) is int:
            operand = scalar_array(other, target.dtype)
        else:
            operand = None
        if operand is not None:
            refuse_writing_shared_elements(target)
            refuse_partial_overlap(target, operand)
            target = writable(target)
            update(target, operand, out=target, casting="unsafe")
            bump_version(x)
            return x
    x = as_tensor(x)
    check_operand(other, "in-place op")
    if function is sub:  # the fast path below would skip sub's own refusal of bools
        _no_bool_subtraction(x, other)
    refuse_writing_shared_elements(x.data)
    _check_leaf(x)
    result_dtype = result_type(x, other)
    if function is div and not result_dtype.is_floating_point:
        result_dtype = dtypes.DEFAULT_FLOAT
    _refuse_cast(result_dtype, x)
    if type(other) is Tensor:
        refuse_partial_overlap(x.data, other.data)
        shape = broadcast_shape(x.data.shape, other.data.shape)
        if shape != x.data.shape:
            raise DTypeError(
                f"output with shape {list(x.data.shape)} doesn't match the broadcast shape "
                f"{list(shape)}")
    tracked = is_grad_enabled() and (x.requires_grad or (type(other) is Tensor and other.requires_grad))
    if not tracked and function in _NUMPY_INPLACE and result_dtype is x.dtype and x.data.dtype != np.float16:
        # (float16 reads the other operand as binary does: _half_operand)
        # The common case: no graph, no conversion, so no temporary as large as x.
        # A Python int that does not fit x's integer dtype wraps around, as in PyTorch.
        operand = other.data if type(other) is Tensor else scalar_array(other, result_dtype.numpy)
        target = writable(x.data)
        _NUMPY_INPLACE[function](target, operand, out=target, casting="unsafe")
        bump_version(x)
        return x
    old = Tensor(x.data.copy(), x.requires_grad, x.grad_fn) if tracked else x
    result = function(old, other)
    writable(x.data)[...] = result.data.astype(x.data.dtype, copy=False)
    bump_version(x)  # after the node: `x.mul_(x)` saved x at the version before
    if tracked:
        result.grad_fn.written_into(x)
        x.requires_grad, x.grad_fn = True, result.grad_fn
    return x


def _refuse_cast(result_dtype: dtypes.DType, x: Tensor) -> None:
    if not dtypes.can_cast(result_dtype, x.dtype):
        raise DTypeError(
            f"result type {result_dtype.torch_name} can't be cast to the desired output type "
            f"{x.dtype.torch_name}",
            hint=f"convert the tensor first (e.g. x = x.{_suggested_conversion(result_dtype)}()) "
                 "or use x = x + ...")


def apply_inplace_unary(function, x, *args, **kwargs) -> Tensor:
    """x = function(x, ...) written into x's storage (exp_, clamp_, hypot_(y), lerp_(y, w),
    ...), with the rules of apply_inplace; the node is the out-of-place op's (exp_ gives
    ExpBackward0, as PyTorch)."""
    return _write_in_place(function, as_tensor(x), args, kwargs)


def _write_in_place(function, x: Tensor, args: tuple, kwargs: dict, node_op: Op | None = None,
                    differentiable: bool = True) -> Tensor:
    """The result's dtype is the op's own, so `i.atan2_(j)` of ints is refused as in PyTorch.
    A differentiable op's node becomes x's (node_op, where PyTorch's in-place node is another
    op: acosh_ gives AcoshBackward1); a non-differentiable one (logical_and_, ...)
    leaves x's grad_fn alone and is allowed on a leaf, as PyTorch allows it."""
    refuse_writing_shared_elements(x.data)
    if differentiable:
        _check_leaf(x)
    for other in (*args, *kwargs.values()):
        if type(other) is Tensor:
            refuse_partial_overlap(x.data, other.data)
    tracked = differentiable and is_grad_enabled() and x.requires_grad
    old = Tensor(x.data.copy(), x.requires_grad, x.grad_fn) if tracked else x
    result = function(old, *args, **kwargs)
    if result.data.shape != x.data.shape:
        raise DTypeError(f"output with shape {list(x.data.shape)} doesn't match the broadcast shape "
                         f"{list(result.data.shape)}")
    _refuse_cast(result.dtype, x)
    writable(x.data)[...] = result.data.astype(x.data.dtype, copy=False)
    bump_version(x)
    if differentiable and result.grad_fn is not None:
        if node_op is not None:
            result.grad_fn.op = node_op
        result.grad_fn.written_into(x)
        x.requires_grad, x.grad_fn = True, result.grad_fn
    return x


def _in_place(function, node_op: Op | None = None, differentiable: bool = True):
    def method(x, *args, **kwargs):
        return _write_in_place(function, as_tensor(x), args, kwargs, node_op, differentiable)
    method.__name__ = function.__name__ + "_"
    return method


abs_, neg_, exp_, log_, sqrt_, sigmoid_, tanh_, relu_, clamp_, floor_, ceil_, round_, trunc_, \
    reciprocal_, sin_, cos_, sign_ = (_in_place(f) for f in (
        elementwise.abs, elementwise.neg, elementwise.exp, elementwise.log, elementwise.sqrt,
        elementwise.sigmoid, elementwise.tanh, elementwise.relu, elementwise.clamp, elementwise.floor,
        elementwise.ceil, elementwise.round, elementwise.trunc, elementwise.reciprocal, elementwise.sin,
        elementwise.cos, elementwise.sign))

# The newer math's in-place forms: each is its op's, through the same machinery.
tan_, sinh_, cosh_, asin_, acos_, atan_, log2_, log10_, log1p_, expm1_, erf_, erfc_, erfinv_, \
    frac_, deg2rad_, rad2deg_, atan2_, hypot_, xlogy_, fmod_, remainder_, floor_divide_, heaviside_, \
    lerp_, clamp_min_, clamp_max_, tril_, triu_ = (_in_place(f) for f in (
        elementwise.tan, elementwise.sinh, elementwise.cosh, elementwise.asin, elementwise.acos,
        elementwise.atan, elementwise.log2, elementwise.log10, elementwise.log1p, elementwise.expm1,
        special.erf, special.erfc, special.erfinv, special.frac, special.deg2rad, special.rad2deg,
        special.atan2, special.hypot, special.xlogy, special.fmod, elementwise.remainder,
        elementwise.floor_divide, special.heaviside, special.lerp, special.clamp_min, special.clamp_max,
        shape.tril, shape.triu))


# PyTorch's in-place inverse hyperbolics record a node of their own whose backward it lacks.
def _no_inplace_derivative(name: str):
    def backward(n, g):
        raise AutogradError(f"the derivative for 'inplace version of {name}' is not implemented.",
                            hint=f"use the out-of-place x = x.{name}(), which has its gradient")
    return backward


asinh_, acosh_, atanh_ = (
    _in_place(f, Op(f"{name.capitalize()}Backward1", None, _no_inplace_derivative(name), saves=False))
    for f, name in ((elementwise.asinh, "asinh"), (elementwise.acosh, "acosh"), (elementwise.atanh, "atanh")))

# torch.special's that are Tensor methods too.
lgamma_, digamma_, i0_, logit_, exp2_, sinc_, mvlgamma_ = (_in_place(f) for f in (
    special_functions.gammaln, special_functions.digamma, special_functions.i0, special_functions.logit,
    special_functions.exp2, special_functions.sinc, special_functions.mvlgamma_method))
polygamma_ = _in_place(special_functions.polygamma_method, special_functions.POLYGAMMA_IN_PLACE)

# Not differentiable: no node, and PyTorch lets them change a leaf that requires grad.
logical_not_, logical_and_, logical_or_, logical_xor_, bitwise_not_, bitwise_and_, bitwise_or_, \
    bitwise_xor_ = (_in_place(f, differentiable=False) for f in (
        elementwise.logical_not, elementwise.logical_and, elementwise.logical_or, elementwise.logical_xor,
        elementwise.bitwise_not, elementwise.bitwise_and, elementwise.bitwise_or, elementwise.bitwise_xor))


def _comparison_in_place(function, name: str):
    """x.eq_(y) & co.: x's elements become 1 or 0 in its dtype. Their nodes have zero
    gradients (EqBackward0 against a number, EqBackward1 against a tensor), so PyTorch
    refuses them on a leaf that requires grad like the differentiable ones."""
    against_number = Op(f"{name}Backward0", lambda a: a, lambda n, g: (g * 0,), saves=False)
    against_tensor = Op(f"{name}Backward1", lambda a, b: a, lambda n, g: (g * 0, g * 0), saves=False)

    def method(x, other):
        x = as_tensor(x)
        _check_leaf(x)
        before = Tensor(x.data, x.requires_grad, x.grad_fn)
        _write_in_place(function, x, (other,), {}, differentiable=False)
        tensor_other = type(other) is Tensor
        if is_grad_enabled() and (x.requires_grad or (tensor_other and other.requires_grad)):
            node_out = apply(against_tensor, (before, other), (x.data, other.data)) if tensor_other else \
                apply(against_number, (before,), (x.data,))
            x.requires_grad, x.grad_fn = True, node_out.grad_fn
        return x
    method.__name__ = name.lower() + "_"
    return method


eq_, ne_, lt_, le_, gt_, ge_ = (_comparison_in_place(f, name) for f, name in (
    (elementwise.eq, "Eq"), (elementwise.ne, "Ne"), (elementwise.lt, "Lt"), (elementwise.le, "Le"),
    (elementwise.gt, "Gt"), (elementwise.ge, "Ge")))


def _scan_in_place(function):
    def method(x, dim, dtype=None):
        x = as_tensor(x)
        if dtype is not None and dtype is not x.dtype:
            raise DTypeError(f"Bad in-place call: input tensor dtype {x.dtype.type_meta} and output tensor "
                             f"dtype {dtype.type_meta} should match")
        return _write_in_place(function, x, (dim,), {})
    method.__name__ = function.__name__ + "_"
    return method


cumsum_, cumprod_ = _scan_in_place(reduce.cumsum), _scan_in_place(scans.cumprod)


def square_(x):
    return apply_inplace(elementwise.pow, x, 2)


def pow_(x, exponent):
    return apply_inplace(elementwise.pow, x, exponent)


def copy_(x, src):
    """x.copy_(src): src broadcast to x's shape and converted to its dtype, as x[...] = src."""
    from .indexing import setitem

    setitem(x, Ellipsis, src)
    return x


# Random fills (normal_, uniform_, ...): like fill_, x's old values get no gradient.
def _random_fill(name: str) -> Op:
    return Op(name, lambda a: a, lambda n, g: (g * 0,), saves=False)


NORMAL, UNIFORM, EXPONENTIAL = (_random_fill(name) for name in ("NormalBackward0", "UniformBackward0",
                                                                 "ExponentialBackward0"))
BERNOULLI_TENSOR, BERNOULLI_NUMBER = _random_fill("BernoulliBackward1"), _random_fill("BernoulliBackward2")
RANDOM_FROM_TO, RANDOM_TO, RANDOM = (_random_fill(f"RandomBackward{i}") for i in range(3))


def normal_(x, mean=0.0, std=1.0, *, generator=None):
    x = as_tensor(x)
    if not x.dtype.is_floating_point:
        raise DTypeError(f'"normal_kernel_cpu" not implemented for \'{x.dtype.torch_name}\'')
    if std < 0:
        raise DTypeError(f"normal expects std >= 0.0, but found std {std}")
    return _fill_with(x, lambda: random_source(generator).normal(x.data.shape, mean, std, x.data.dtype.type), NORMAL)


def uniform_(x, a=0.0, b=1.0, *, generator=None):
    x = as_tensor(x)
    if not x.dtype.is_floating_point:
        raise DTypeError(f'"check_uniform_bounds" not implemented for \'{x.dtype.torch_name}\'')
    if a > b:
        raise DTypeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    return _fill_with(x, lambda: random_source(generator).uniform(x.data.shape, a, b, x.data.dtype.type), UNIFORM)


def exponential_(x, lambd=1.0, *, generator=None):
    x = as_tensor(x)
    if not x.dtype.is_floating_point:
        raise DTypeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                         f"floating point but you specified {x.dtype.torch_name}")
    if not lambd > 0:
        raise TcalcValueError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return _fill_with(x, lambda: random_source(generator).exponential(x.data.shape, lambd, x.data.dtype.type),
                      EXPONENTIAL)


def bernoulli_(x, p=0.5, *, generator=None):
    """1 with probability p: one number for every element (a float64 uniform each), or a
    tensor of probabilities broadcast to x (uniforms of its dtype, as torch.bernoulli)."""
    from .creation import bernoulli

    x = as_tensor(x)
    if type(p) is Tensor:
        probs = Tensor(np.ascontiguousarray(np.broadcast_to(p.data, x.data.shape)))
        return _fill_with(x, lambda: bernoulli(probs, generator=generator).data, BERNOULLI_TENSOR)
    if not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise TcalcValueError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}"
                              if isinstance(p, (int, float)) else "bernoulli_ expects p to be a number or a tensor")
    return _fill_with(x, lambda: random_source(generator).bernoulli(np.full(x.data.shape, float(p))), BERNOULLI_NUMBER)


# random_()'s range when no bound is given: every integer a float dtype holds exactly up to
# 2**mantissa, or the int dtype's non-negative values.
_RANDOM_TO = {"float16": 2 ** 11 + 1, "float32": 2 ** 24 + 1, "float64": 2 ** 53 + 1, "bool": 2,
              "uint8": 2 ** 8, "int8": 2 ** 7, "int16": 2 ** 15, "int32": 2 ** 31, "int64": 2 ** 63}


def random_(x, from_=None, to=None, *, generator=None):
    """x.random_(from, to), x.random_(to) or x.random_(): integers in [from, to), drawn as
    randint draws them."""
    x = as_tensor(x)
    for bound in (from_, to):
        if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
            raise TcalcTypeError(f"random_() expects integer bounds, not {type(bound).__name__}")
    if to is None:
        low, high, op = (0, from_, RANDOM_TO) if from_ is not None else (0, _RANDOM_TO[x.dtype.name], RANDOM)
    else:
        low, high, op = from_ or 0, to, RANDOM_FROM_TO
    if low >= high:
        raise TcalcValueError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return _fill_with(x, lambda: random_source(generator).integers(low, high, x.data.shape), op)


def _fill_with(x: Tensor, values, op: Op) -> Tensor:
    refuse_writing_shared_elements(x.data)
    _check_leaf(x)
    writable(x.data)[...] = values()
    bump_version(x)
    if is_grad_enabled() and x.requires_grad:
        node_out = apply(op, (Tensor(x.data, x.requires_grad, x.grad_fn),), (x.data,))
        x.requires_grad, x.grad_fn = True, node_out.grad_fn
    return x


def _suggested_conversion(dtype: dtypes.DType) -> str:
    """The hint's conversion: to the result's dtype if it is float, double or long, else
    to float, which holds each of the other results."""
    return (dtype if dtype in _SUGGESTED else dtypes.float32).conversion_method


_SUGGESTED = (dtypes.float32, dtypes.float64, dtypes.int64)


def add_(x, other, alpha=1):
    return apply_inplace(add, x, other if alpha == 1 else mul(other, alpha))


def sub_(x, other, alpha=1):
    return apply_inplace(sub, x, other if alpha == 1 else mul(other, alpha))


def mul_(x, other):
    return apply_inplace(mul, x, other)


def div_(x, other, rounding_mode=None):
    if rounding_mode is None:
        return apply_inplace(div, x, other)
    return apply_inplace_unary(div, x, other, rounding_mode=rounding_mode)


# Filling forgets x's old values, so x's gradient is zero; a tensor fill value gets the sum.
FILL = Op("FillBackward2", lambda a: a, lambda n, g: (g * 0,), saves=False)
FILL_TENSOR = Op("FillBackward3", lambda a, v: a, lambda n, g: (g * 0, sum(g)), saves=False)
ZERO = Op("ZeroBackward0", lambda a: a, lambda n, g: (g * 0,), saves=False)


def fill_(x, value, _op=FILL):
    x = as_tensor(x)
    _check_leaf(x)
    tensor_value = type(value) is Tensor
    if tensor_value and value.data.ndim:
        raise DTypeError("fill_ only supports 0-dimension value tensor but got tensor with "
                         f"{value.data.ndim} dimensions.")
    # PyTorch fills a tensor whose elements share memory (expand's) too: one value for all.
    writable(x.data)[...] = value.data if tensor_value else fill_array(value, x.data.dtype)
    bump_version(x)
    if is_grad_enabled() and (x.requires_grad or (tensor_value and value.requires_grad)):
        old = Tensor(x.data, x.requires_grad, x.grad_fn)
        node_out = (apply(FILL_TENSOR, (old, value), (x.data, value.data)) if tensor_value
                    else apply(_op, (old,), (x.data,)))
        x.requires_grad, x.grad_fn = True, node_out.grad_fn
    return x


def zero_(x):
    if type(x) is Tensor and x.grad_fn is None and not x.requires_grad and x not in NO_GRAD_VIEWS:
        # (`w.grad.zero_()`, the common case) nothing for autograd to refuse or record
        writable(x.data).fill(0)
        bump_version(x)
        return x
    return fill_(x, 0, _op=ZERO)
