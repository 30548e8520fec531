"""torch.nn.functional's losses and activations that tcalc's other ops do not already
give: each is one Op (PyTorch's node name, forward on ndarrays, backward with tcalc ops),
followed by the function that checks its arguments as PyTorch does."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..autograd import OUT, Op, apply, keep
from ..errors import ShapeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from ..limits import check_shape
from ..tensor import Size, Tensor
from ..values import type_name
from . import elementwise
from ._base import array_of, as_tensor, result_type
from .inplace import apply_inplace_unary
from .norms import _vector_norm_backward, _vector_norm_forward

REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise TcalcValueError(f"{reduction} is not a valid value for reduction",
                              hint="reduction is 'mean' (the default), 'sum' or 'none'")
    return reduction


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.asarray(loss.mean(), dtype=loss.dtype)
    return np.asarray(loss.sum(), dtype=loss.dtype) if reduction == "sum" else loss


def _upstream(node, g):
    """The output gradient spread over the elements: g itself, or g / N for a mean."""
    if node.params["reduction"] == "mean":
        return elementwise.div(g, max(node.inputs[0].data.size, 1))
    return g


def _pair(input, target, name: str):
    input, target = as_tensor(input), as_tensor(target)
    dtype = result_type(input, target)
    if not dtype.is_floating_point:
        raise TcalcTypeError(f"{name}(): expected floating point input and target")
    return input, target, dtype


# ---- binary_cross_entropy_with_logits ----------------------------------------------------

def _bce_logits_forward(x, y, reduction):
    # max(x, 0) - x y + log(1 + exp(-|x|)): no overflow for large |x|
    return _reduce(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))), reduction)


def _bce_logits_backward(n, g):
    x, y = n.inputs
    g = _upstream(n, g)
    return (elementwise.mul(elementwise.sub(elementwise.sigmoid(x), y), g) if n.needs_grad(0) else None,
            elementwise.mul(elementwise.neg(x), g) if n.needs_grad(1) else None)


BCE_WITH_LOGITS = Op("BinaryCrossEntropyWithLogitsBackward0", _bce_logits_forward, _bce_logits_backward,
                     saves=(keep(0), keep(1)))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    input, target, dtype = _pair(input, target, "binary_cross_entropy_with_logits")
    if target.data.shape != input.data.shape:
        raise ShapeError(f"Target size ({Size(target.data.shape)!r}) must be the same as input size "
                         f"({Size(input.data.shape)!r})")
    if weight is not None or pos_weight is not None:
        raise TcalcValueError("binary_cross_entropy_with_logits: weight= and pos_weight= are not in tcalc yet")
    return apply(BCE_WITH_LOGITS, (input, target), (array_of(input, dtype), array_of(target, dtype)),
                 reduction=_reduction(reduction))


# ---- mse_loss ------------------------------------------------------------------------------

def _mse_backward(n, g):
    x, y = n.inputs
    twice = elementwise.mul(elementwise.sub(x, y), elementwise.mul(_upstream(n, g), 2))
    return (twice if n.needs_grad(0) else None, elementwise.neg(twice) if n.needs_grad(1) else None)


MSE_LOSS = Op("MseLossBackward0", lambda x, y, reduction: _reduce((x - y) ** 2, reduction), _mse_backward,
              saves=(keep(0), keep(1)))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    input, target, dtype = _pair(input, target, "mse_loss")
    from ._base import broadcast_shape

    shape = broadcast_shape(input.data.shape, target.data.shape)
    a, b = np.broadcast_to(array_of(input, dtype), shape), np.broadcast_to(array_of(target, dtype), shape)
    return apply(MSE_LOSS, (input, target), (a, b), reduction=_reduction(reduction))


# ---- nll_loss (and cross_entropy through it) ------------------------------------------------

def _picked(logp_shape, target: np.ndarray, ignore_index: int) -> np.ndarray:
    """A one-hot mask of the target classes, laid out like the log-probabilities (N, C, ...);
    targets equal to ignore_index pick nothing."""
    mask = np.zeros(logp_shape, dtype=bool)
    kept = target != ignore_index
    if len(logp_shape) == 1:
        if kept:
            mask[target] = True
    else:
        np.put_along_axis(mask, np.expand_dims(np.where(kept, target, 0), 1), np.expand_dims(kept, 1), axis=1)
    return mask


def _class_weights(mask: np.ndarray, weight, dtype) -> np.ndarray:
    """Each picked element's class weight (1 without weight=), laid out like the mask."""
    if weight is None:
        return mask.astype(dtype)
    shape = (-1,) if mask.ndim == 1 else (1, -1) + (1,) * (mask.ndim - 2)
    return np.where(mask, weight.reshape(shape), 0).astype(dtype)


def _nll_forward(logp, target, reduction, mask, weights):
    axis = 0 if logp.ndim == 1 else 1
    picked = (np.where(mask, -logp, 0) * weights).sum(axis=axis).astype(logp.dtype)  # +0 where ignored
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(picked.sum() / weights.sum(), dtype=logp.dtype)
    return _reduce(picked, reduction)


def _nll_backward(n, g):
    weights, reduction = n.params["weights"], n.params["reduction"]
    if reduction == "mean":
        g = elementwise.div(g, Tensor(np.asarray(weights.sum(), weights.dtype)))
    elif reduction == "none" and n.inputs[0].data.ndim > 1:
        from .shape import unsqueeze

        g = unsqueeze(g, 1)
    # Zero (not -0) off the picked classes, as PyTorch's gradient starts from zeros.
    return (elementwise.where(Tensor(n.params["mask"]), elementwise.mul(Tensor(-weights), g), 0.0), None)


NLL_LOSS = Op("NllLossBackward0", _nll_forward, _nll_backward, saves=True)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _reduction(reduction)
    input, target = as_tensor(input), as_tensor(target)
    if input.data.ndim <= 2 and target.data.ndim > 1:
        raise ShapeError("0D or 1D target tensor expected, multi-target not supported")
    expected = input.data.shape[:1] + input.data.shape[2:] if input.data.ndim > 1 else ()
    if target.data.shape != expected:
        raise ShapeError(f"Expected input batch_size ({input.data.shape[0]}) to match target batch_size "
                         f"({target.data.shape[0] if target.data.ndim else 0}).")
    if target.dtype.category != dtypes.INT:
        raise TcalcTypeError(f"expected scalar type Long but found {target.dtype.torch_name}")
    classes = input.data.shape[0 if input.data.ndim == 1 else 1]
    if weight is not None:
        weight = as_tensor(weight)
        if weight.data.shape != (classes,):
            raise ShapeError(f"weight tensor should be defined either for all {classes} classes or no classes but "
                             f"got weight tensor of shape: {list(weight.data.shape)}")
        if weight.dtype is not input.dtype:
            raise TcalcTypeError(f"expected scalar type {input.dtype.torch_name} but found {weight.dtype.torch_name}")
    considered = target.data[target.data != ignore_index]
    bad = considered[(considered < 0) | (considered >= classes)]
    if bad.size:
        raise TcalcIndexError(f"Target {int(bad.flat[0])} is out of bounds.",
                              hint=f"class indices run from 0 to {classes - 1}")
    mask = _picked(input.data.shape, target.data, ignore_index)
    weights = _class_weights(mask, None if weight is None else weight.data, input.data.dtype)
    return apply(NLL_LOSS, (input, target), (input.data, target.data), reduction=reduction,
                 mask=mask, weights=weights)


# ---- activations ----------------------------------------------------------------------------

LEAKY_RELU = Op("LeakyReluBackward0", lambda x, slope: np.where(x > 0, x, x * np.asarray(slope, x.dtype)),
                lambda n, g: (elementwise.mul(g, Tensor(np.where(n.inputs[0].data > 0, 1, n.params["slope"])
                                                        .astype(n.inputs[0].data.dtype))),),
                saves=(keep(0),))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    x = as_tensor(input)
    return apply(LEAKY_RELU, (x,), (array_of(x, _float(x)),), slope=negative_slope)


def _silu_backward(n, g):
    x = n.inputs[0]
    s = elementwise.sigmoid(x)
    return (elementwise.mul(g, elementwise.mul(s, elementwise.add(elementwise.mul(x, elementwise.sub(1, s)), 1))),)


SILU = Op("SiluBackward0", lambda x: x * elementwise._sigmoid(x), _silu_backward, saves=(keep(0),))


def silu(input, inplace=False):
    x = as_tensor(input)
    return apply(SILU, (x,), (array_of(x, _float(x)),))


def _softplus_forward(x, beta, threshold):
    with np.errstate(over="ignore"):
        return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta).astype(x.dtype)


def _softplus_backward(n, g):
    x, beta, threshold = n.inputs[0], n.params["beta"], n.params["threshold"]
    slope = elementwise.sigmoid(elementwise.mul(x, beta))
    above = Tensor(x.data * beta > threshold)
    return (elementwise.mul(g, elementwise.where(above, 1.0, slope)),)


SOFTPLUS = Op("SoftplusBackward0", _softplus_forward, _softplus_backward, saves=(keep(0),))


def softplus(input, beta=1.0, threshold=20.0):
    x = as_tensor(input)
    return apply(SOFTPLUS, (x,), (array_of(x, _float(x)),), beta=beta, threshold=threshold)


def _float(x: Tensor, kernel: str = "activation") -> dtypes.DType:
    if not x.dtype.is_floating_point:
        raise TcalcTypeError(f"\"{kernel}\" not implemented for '{x.dtype.torch_name}'")
    return x.dtype


def one_hot(tensor, num_classes=-1) -> Tensor:
    t = as_tensor(tensor)
    if t.dtype is not dtypes.int64:
        raise TcalcTypeError("one_hot is only applicable to index tensor of type LongTensor.")
    if t.data.size and t.data.min() < 0:
        raise TcalcValueError("Class values must be non-negative.")
    classes = int(t.data.max()) + 1 if num_classes == -1 and t.data.size else num_classes
    if t.data.size and t.data.max() >= classes:
        raise TcalcValueError("Class values must be smaller than num_classes.")
    return Tensor((t.data[..., None] == np.arange(classes)).astype(np.int64))


# ---- hardtanh (relu6), elu, gelu ----------------------------------------------------------

def _hardtanh_backward(n, g):
    x, low, high = n.inputs[0].data, n.params["low"], n.params["high"]
    # PyTorch passes the gradient only strictly inside (min_val, max_val).
    return (elementwise.mul(g, Tensor(((x > low) & (x < high)).astype(g.data.dtype))),)


HARDTANH = Op("HardtanhBackward0",
              lambda x, low, high: np.minimum(np.maximum(x, np.asarray(low).astype(x.dtype)),
                                              np.asarray(high).astype(x.dtype)),
              _hardtanh_backward, saves=(keep(0),))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    x = as_tensor(input)
    if min_val > max_val:
        raise TcalcValueError("min_val cannot be greater than max_val")
    if x.dtype is dtypes.bool_:
        raise TcalcTypeError("Bool inputs not supported for hardtanh", hint="convert first, e.g. x.float()")
    if inplace:  # written into x, the node the same (HardtanhBackward0), as PyTorch's hardtanh_
        return apply_inplace_unary(hardtanh, x, min_val, max_val)
    return apply(HARDTANH, (x,), (x.data,), low=min_val, high=max_val)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def _in_float32(kernel):
    """float16 computed in float32 and rounded once, as PyTorch's reduced-float kernels do."""
    def forward(x, **params):
        wide = x.astype(np.float32) if x.dtype == np.float16 else x
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(kernel(wide, **params)).astype(x.dtype, copy=False)
    return forward


def _elu_backward(n, g):
    x, alpha = n.inputs[0], n.params["alpha"]
    negative = elementwise.mul(elementwise.exp(x), alpha)
    return (elementwise.mul(g, elementwise.where(Tensor(x.data > 0), 1.0, negative)),)


ELU = Op("EluBackward0",
         _in_float32(lambda x, alpha: np.where(x > 0, x, np.expm1(x) * np.asarray(alpha, x.dtype))),
         _elu_backward, saves=(keep(0),))


def _elu_of_result_backward(n, g):
    # From the result, which is all an in-place elu_ keeps: y + alpha below 0.
    y, alpha = n.output, n.params["alpha"]
    return (elementwise.mul(g, elementwise.where(Tensor(y.data > 0), 1.0, elementwise.add(y, alpha))),)


ELU_IN_PLACE = Op("EluBackward1", ELU.forward, _elu_of_result_backward, saves=(keep(OUT),))


def elu(input, alpha=1.0, inplace=False):
    x = as_tensor(input)
    dtype = _float(x, "elu_cpu")
    if inplace:
        return apply_inplace_unary(lambda old: apply(ELU_IN_PLACE, (old,), (old.data,), alpha=alpha), x)
    return apply(ELU, (x,), (array_of(x, dtype),), alpha=alpha)


def _erf_array(a: np.ndarray) -> np.ndarray:
    return np.asarray(np.frompyfunc(math.erf, 1, 1)(a.astype(np.float64)), dtype=np.float64)


# erf with a gradient, for gelu's formulas (kept in this one place so that it can become
# tcalc.ops' own erf).
ERF = Op("ErfBackward0", lambda a: _erf_array(a).astype(a.dtype), lambda n, g: (
    elementwise.mul(g, elementwise.mul(elementwise.exp(elementwise.neg(elementwise.mul(n.inputs[0], n.inputs[0]))),
                                       2 / math.sqrt(math.pi))),), saves=(keep(0),))


def _erf(x: Tensor) -> Tensor:
    return apply(ERF, (x,), (x.data,))


# sqrt(2 / pi) as PyTorch's kernel writes it: M_SQRT2 * M_2_SQRTPI * 0.5
_TANH_SCALE = 1.41421356237309504880 * 1.12837916709551257390 * 0.5


def _gelu_forward(x, approximate):
    """PyTorch's kernels step by step in their dtype (float32 for float16), except float32's
    exact form of more than one element: PyTorch hands that to oneDNN (float16 too, on
    CPUs with AVX512-FP16), whose erf approximation tcalc does not copy;
    it is computed in float64 and rounded once. PyTorch's float32 values are off the exact
    ones by up to 1.5e-5 relative above -2.5 (more below, where 1 + erf cancels), so a
    printed digit can differ where a value lies near a rounding boundary (gelu(3.) prints
    2.9959 in PyTorch, 2.9960 here: the exact value is 2.99595031)."""
    wide = np.float64 if x.dtype == np.float64 else np.float32
    a = x.astype(wide)
    one, half = wide(1), wide(0.5)
    if approximate == "tanh":
        inner = wide(_TANH_SCALE) * (a + wide(0.044715) * (a * a * a))
        out = half * a * (one + np.tanh(inner.astype(np.float64)).astype(wide))
    elif x.dtype == np.float32 and x.size > 1:  # one element stays in ATen's own kernel
        a = a.astype(np.float64)
        out = 0.5 * a * (1 + _erf_array(a * math.sqrt(0.5)))
    else:
        out = a * half * (one + _erf_array(a * wide(math.sqrt(0.5))).astype(wide))
    return out.astype(x.dtype)


def _gelu_backward(n, g):
    x = n.inputs[0]
    E = elementwise
    if n.params["approximate"] == "tanh":
        inner = E.mul(E.add(x, E.mul(E.mul(E.mul(x, x), x), 0.044715)), _TANH_SCALE)
        t = E.tanh(inner)
        d_inner = E.mul(E.add(E.mul(E.mul(x, x), 3 * 0.044715), 1), _TANH_SCALE)
        slope = E.add(E.mul(E.add(t, 1), 0.5), E.mul(E.mul(E.mul(x, 0.5), E.sub(1, E.mul(t, t))), d_inner))
    else:
        cdf = E.mul(E.add(_erf(E.mul(x, math.sqrt(0.5))), 1), 0.5)
        pdf = E.mul(E.exp(E.mul(E.mul(x, x), -0.5)), 1 / math.sqrt(2 * math.pi))
        slope = E.add(cdf, E.mul(x, pdf))
    return (E.mul(g, slope),)


GELU = Op("GeluBackward0", _gelu_forward, _gelu_backward, saves=(keep(0),))


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise TcalcValueError("approximate argument must be either none or tanh.")
    x = as_tensor(input)
    return apply(GELU, (x,), (array_of(x, _float(x, "GeluKernelImpl")),), approximate=approximate)


# ---- smooth_l1_loss, huber_loss --------------------------------------------------------------

def _smooth_forward(x, y, reduction, limit, huber):
    z = np.abs(x - y)
    limit_ = np.asarray(limit, x.dtype)
    half = np.asarray(0.5, x.dtype)
    if huber:
        loss = np.where(z < limit_, half * z * z, limit_ * (z - half * limit_))
    else:
        loss = np.where(z < limit_, half * z * z / limit_, z - half * limit_)
    return _reduce(loss.astype(x.dtype, copy=False), reduction)


def _smooth_backward(n, g):
    x, y = n.inputs
    limit, E = n.params["limit"], elementwise
    d = E.sub(x, y)
    inside = Tensor(np.abs(d.data) < limit)
    outside_slope = E.mul(E.sign(d), limit if n.params["huber"] else 1.0)
    slope = E.where(inside, d if n.params["huber"] else E.div(d, limit), outside_slope)
    grad = E.mul(slope, _upstream(n, g))
    return (grad if n.needs_grad(0) else None, E.neg(grad) if n.needs_grad(1) else None)


SMOOTH_L1 = Op("SmoothL1LossBackward0", _smooth_forward, _smooth_backward, saves=(keep(0), keep(1)))
HUBER = Op("HuberLossBackward0", _smooth_forward, _smooth_backward, saves=(keep(0), keep(1)))


def _broadcast_pair(input, target, kernel: str):
    from ._base import broadcast_shape

    input, target = as_tensor(input), as_tensor(target)
    dtype = result_type(input, target)
    shape = broadcast_shape(input.data.shape, target.data.shape)
    if not dtype.is_floating_point:
        raise TcalcTypeError(f"\"{kernel}\" not implemented for '{dtype.torch_name}'")
    return input, target, (np.broadcast_to(array_of(input, dtype), shape),
                           np.broadcast_to(array_of(target, dtype), shape))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _reduction(reduction)
    if beta < 0:
        raise TcalcValueError("smooth_l1_loss does not support negative values for beta.")
    input, target, arrays = _broadcast_pair(input, target, "smooth_l1_cpu")
    return apply(SMOOTH_L1, (input, target), arrays, reduction=reduction, limit=beta, huber=False)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """With weight=, PyTorch weighs the unreduced loss and reduces that (its last node is
    then MulBackward0, MeanBackward0 or SumBackward0)."""
    if weight is None:
        reduction = _reduction(reduction)
    if delta <= 0:
        raise TcalcValueError("huber_loss does not support non-positive values for delta.")
    input, target, arrays = _broadcast_pair(input, target, "huber_cpu")
    if weight is None:
        return apply(HUBER, (input, target), arrays, reduction=reduction, limit=delta, huber=True)
    weight = as_tensor(weight)
    if weight.data.shape != input.data.shape:
        raise TcalcValueError("Weights and input must have the same size.")
    weighted = elementwise.mul(apply(HUBER, (input, target), arrays, reduction="none", limit=delta, huber=True),
                               weight)
    if reduction not in REDUCTIONS:
        raise TcalcValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    from .reduce import mean, sum

    return weighted if reduction == "none" else (mean if reduction == "mean" else sum)(weighted)


# ---- binary_cross_entropy ---------------------------------------------------------------------

def _bce_forward(x, y, w, reduction):
    if not ((x >= 0) & (x <= 1)).all():
        raise TcalcValueError("all elements of input should be between 0 and 1")
    if not ((y >= 0) & (y <= 1)).all():
        raise TcalcValueError("all elements of target should be between 0 and 1")
    floor = np.asarray(-100, x.dtype)
    with np.errstate(divide="ignore"):
        loss = (y - 1) * np.maximum(np.log1p(-x), floor) - y * np.maximum(np.log(x), floor)
    if w is not None:
        loss = loss * w
    return _reduce(loss.astype(x.dtype, copy=False), reduction)


def _bce_backward(n, g):
    x, y, w = n.inputs
    E = elementwise
    g = _upstream(n, g)
    if w is not None:
        g = E.mul(g, w)
    grad_x = grad_y = None
    if n.needs_grad(0):
        # (x - y) / max(x (1 - x), 1e-12), as PyTorch's binary_cross_entropy_backward
        grad_x = E.mul(g, E.div(E.sub(x, y), E.clamp(E.mul(E.sub(1, x), x), min=1e-12)))
    if n.needs_grad(1):
        grad_y = E.mul(g, E.sub(E.log1p(E.neg(x)), E.log(x)))
    return (grad_x, grad_y, None)


BCE = Op("BinaryCrossEntropyBackward0", _bce_forward, _bce_backward, saves=(keep(0), keep(1), keep(2)))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction)
    input, target = as_tensor(input), as_tensor(target)
    if target.data.shape != input.data.shape:
        raise ShapeError(f"Using a target size ({Size(target.data.shape)!r}) that is different to the input "
                         f"size ({Size(input.data.shape)!r}) is deprecated. Please ensure they have the same size.")
    if not input.dtype.is_floating_point:
        raise TcalcTypeError(f"\"binary_cross_entropy\" not implemented for '{input.dtype.torch_name}'")
    if target.dtype is not input.dtype:
        raise TcalcTypeError(f"Found dtype {target.dtype.torch_name} but expected {input.dtype.torch_name}")
    w = None
    if weight is not None:
        weight = as_tensor(weight)
        w = _broadcast_weight(weight, input.data.shape).astype(input.data.dtype)
    return apply(BCE, (input, target, weight), (input.data, target.data, w), reduction=reduction)


def _broadcast_weight(weight: Tensor, shape: tuple) -> np.ndarray:
    try:
        return np.broadcast_to(weight.data, shape)
    except ValueError:
        wshape = weight.data.shape
        for i in range(1, len(wshape) + 1):
            if i > len(shape) or (wshape[-i] != 1 and wshape[-i] != shape[-i]):
                raise ShapeError(f"Attempting to broadcast a dimension of length {wshape[-i]} at -{i}! "
                                 f"Mismatching argument at index 1 had {Size(wshape)!r}; but expected shape "
                                 f"should be broadcastable to {list(shape)}") from None
        raise


# ---- xlogy (for kl_div) ----------------------------------------------------------------------

def _xlogy_forward(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, np.where(np.isnan(y), y, 0), x * np.log(y)).astype(x.dtype, copy=False)


def _xlogy_backward(n, g):
    x, y = n.inputs
    E = elementwise
    zero = Tensor((x.data == 0) & ~np.isnan(y.data))
    grad_x = E.where(zero, 0.0, E.mul(g, E.log(y))) if n.needs_grad(0) else None
    grad_y = E.where(zero, 0.0, E.div(E.mul(g, x), y)) if n.needs_grad(1) else None
    return (grad_x, grad_y)


XLOGY = Op("XlogyBackward0", _xlogy_forward, _xlogy_backward, saves=(keep(0), keep(1)))


def xlogy(x, y) -> Tensor:
    from ._base import binary

    return binary(XLOGY, x, y) if result_type(x, y).is_floating_point else \
        binary(XLOGY, x, y, compute=dtypes.DEFAULT_FLOAT)


# ---- constant_pad_nd (pad) -------------------------------------------------------------------

def _pad_forward(x, pad, value):
    # The cropping of negative pads first, then the padding, as PyTorch narrows then fills.
    index, widths = [], []
    for dim in range(x.ndim):
        left, right = _pad_of(pad, x.ndim, dim)
        size = x.shape[dim]
        start = -left if left < 0 else 0
        length = size - start + (right if right < 0 else 0)
        if length < 0 or (left < 0 and size + left < 0):
            raise TcalcValueError("narrow(): length must be non-negative.")
        index.append(slice(start, start + length))
        widths.append((max(left, 0), max(right, 0)))
    cropped = x[tuple(index)]
    if not widths:  # a 0-d tensor, with the empty pad
        return cropped.copy()
    check_shape(tuple(n + a + b for n, (a, b) in zip(cropped.shape, widths)))
    return np.pad(cropped, widths, constant_values=np.asarray(value).astype(x.dtype))


def _pad_of(pad, ndim, dim):
    """The (left, right) pad of `dim`: the pad tuple runs from the last dim backwards."""
    k = ndim - 1 - dim
    return (pad[2 * k], pad[2 * k + 1]) if 2 * k + 1 < len(pad) else (0, 0)


PAD = Op("ConstantPadNdBackward0", _pad_forward,
         lambda n, g: (constant_pad_nd(g, tuple(-p for p in n.params["pad"])),), saves=False)


def constant_pad_nd(input, pad, value=0):
    x = as_tensor(input)
    pad = _pad_tuple(pad)
    _check_pad_length(pad, x.data.ndim)
    return apply(PAD, (x,), (x.data,), pad=pad, value=value)


def _check_pad_length(pad: tuple, ndim: int) -> None:
    if len(pad) % 2:
        raise TcalcValueError("Padding length must be divisible by 2")
    if len(pad) > 2 * ndim:
        raise TcalcValueError("Padding length should be less than or equal to two times the input dimension "
                              f"but got padding length {len(pad)} and input of dimension {ndim}")


def _pad_tuple(pad) -> tuple:
    if not isinstance(pad, (tuple, list)):
        raise TcalcTypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {type(pad).__name__}")
    for i, p in enumerate(pad):
        if not isinstance(p, int) or isinstance(p, bool):
            raise TcalcTypeError("pad(): argument 'pad' (position 2) must be tuple of ints, but found element "
                                 f"of type {type(p).__name__} at pos {i}")
    return tuple(pad)


# ---- reflect, replicate and circular pads ----------------------------------------------------
# Each output place along a padded dim reads one input place, so each pad is a take of an
# index per padded dim; its gradient adds g back at those places (the adjoint, whose own
# gradient is the take again). Negative pads crop, as PyTorch's kernels do.

def _index_pad_forward(a, places):
    for axis, index in places:
        a = np.take(a, index, axis=axis)
    return a


def _index_unpad_forward(g, places, shape):
    for axis, index in reversed(places):
        out = np.zeros(g.shape[:axis] + (shape[axis],) + g.shape[axis + 1:], dtype=g.dtype)
        np.add.at(out, (slice(None),) * axis + (index,), g)
        g = out
    return g


def _index_pad_ops(name: str) -> Op:
    """The pad op `name` and its adjoint, each the other's gradient."""
    pad = Op(name, _index_pad_forward,
             lambda n, g: (apply(unpad, (g,), (g.data,), places=n.params["places"],
                                 shape=n.inputs[0].data.shape),), saves=False)
    unpad = Op(name.replace("Backward0", "BackwardBackward0"), _index_unpad_forward,
               lambda n, g: (apply(pad, (g,), (g.data,), places=n.params["places"]),), saves=False)
    return pad


INDEX_PADS = {(mode, dims): _index_pad_ops(f"{kind}Pad{dims}DBackward0")
              for mode, kind in (("reflect", "Reflection"), ("replicate", "Replication")) for dims in (1, 2, 3)}
# PyTorch pads circularly by copying slices into a new tensor, so its node is CopySlices.
CIRCULAR_PAD = _index_pad_ops("CopySlices")
INDEX_PADS.update({("circular", dims): CIRCULAR_PAD for dims in (1, 2, 3)})


def _reflected(places: np.ndarray, size: int) -> np.ndarray:
    return np.where(places < 0, -places, np.where(places >= size, 2 * (size - 1) - places, places))


def _circular_places(size: int, left: int, right: int, out: int) -> np.ndarray:
    """PyTorch copies the input, cropped by the negative pads, into the middle, then each
    positive pad from the other end of that middle."""
    start, kept = max(-left, 0), size + min(left, 0) + min(right, 0)
    if out and (kept < 0 or left > kept or right > kept):
        # PyTorch reads places it has not written yet here (its result is not defined).
        raise TcalcValueError(f"circular padding ({left}, {right}) of a dim of size {size} wraps past the {max(kept, 0)} "
                              "elements the negative pad leaves", hint="pad the dim in two steps")
    return start + (np.arange(out) - max(left, 0)) % max(kept, 1)


_NON_CONSTANT_SIZES = ("Supported combinations for non-constant padding:\n"
                       "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                       "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                       "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def index_pad(input, pad, mode: str, value=None):
    """F.pad's 'reflect', 'replicate' and 'circular': the last len(pad) // 2 dims of a
    (batch, channels, *dims) or (channels, *dims) input, with PyTorch's refusals in its order."""
    x = as_tensor(input)
    pad = _pad_tuple(pad)
    _check_pad_length(pad, x.data.ndim)
    if type(value) is Tensor and value.data.size == 1:
        value = value.data.item()
    if value is not None and not isinstance(value, (bool, int, float)):
        raise TcalcTypeError(f"pad(): argument 'value' (position 4) must be float, not {type_name(value)}")
    if value:
        raise TcalcValueError(f"Padding mode \"{mode}\" doesn't take in value argument",
                              hint="only mode='constant' pads with a value")
    dims, ndim = len(pad) // 2, x.data.ndim
    if not 1 <= dims <= 3 or ndim not in (dims + 1, dims + 2):
        raise TcalcValueError(f"Padding size {len(pad)} is not supported for {ndim}D input tensor.\n"
                              + _NON_CONSTANT_SIZES)
    shape = x.data.shape
    axes = range(ndim - dims, ndim)
    pairs = [_pad_of(pad, ndim, axis) for axis in axes]
    outs = [shape[axis] + left + right for axis, (left, right) in zip(axes, pairs)]
    if mode != "circular":
        _check_index_pad(shape, dims, pairs, outs, mode)
        if x.dtype is dtypes.bool_:
            raise TcalcTypeError(f"\"{'reflection' if mode == 'reflect' else 'replication'}_pad{dims}d\" "
                                 "not implemented for 'Bool'")
    else:  # every dim's sizes first, as PyTorch checks
        for axis, (left, right), out in zip(axes, pairs, outs):
            if left > shape[axis] or right > shape[axis]:
                raise TcalcValueError("Padding value causes wrapping around more than once.")
            if out < 0:
                raise TcalcValueError("Negative padding value is resulting in an empty dimension")
    places = []
    for axis, (left, right), out in zip(axes, pairs, outs):
        size = shape[axis]
        if mode == "circular":
            index = _circular_places(size, left, right, out)
        else:
            index = np.arange(out) - left
            index = _reflected(index, size) if mode == "reflect" else np.clip(index, 0, size - 1)
        places.append((axis, index.astype(np.intp)))
    check_shape(shape[:ndim - dims] + tuple(outs))
    return apply(INDEX_PADS[mode, dims], (x,), (x.data,), places=tuple(places))


def _check_index_pad(shape, dims: int, pairs, outs, mode: str) -> None:
    """reflection_pad/replication_pad's checks: the dims but the batch's non-empty, a
    reflection's pads smaller than the dim, and an output of at least one place."""
    if 0 in shape[-dims - 1:]:
        raise ShapeError(f"Expected {dims + 1}D or {dims + 2}D (batch mode) tensor with possibly 0 batch size and "
                         f"other non-zero dimensions for input, but got: {_size_text(shape)}")
    sizes = shape[-dims:]
    if mode == "reflect":
        for k in range(dims):  # the last dim first, as PyTorch checks
            axis = len(shape) - 1 - k
            left, right = pairs[dims - 1 - k]
            if left >= shape[axis] or right >= shape[axis]:
                raise TcalcValueError(f"Argument #{4 + 2 * k}: Padding size should be less than the corresponding "
                                      f"input dimension, but got: padding ({left}, {right}) at dimension {axis} "
                                      f"of input {_size_text(shape)}")
    if all(out < 1 for out in outs):
        given = f"W: {sizes[-1]}"  # PyTorch's three messages, their commas and spaces as they are
        if dims >= 2:
            given = f"H: {sizes[-2]}, {given}" + (" " if dims == 2 and mode == "replicate" else "")
        if dims == 3:
            given = f"D: {sizes[0]} {given}"
        calculated = " ".join(f"{n}: {o}" for n, o in zip(("D", "H", "W")[3 - dims:], outs))
        raise TcalcValueError(f"input ({given}) is too small. Calculated output {calculated}")
    if min(outs) < 0:
        if dims == 2 and mode == "reflect":
            raise TcalcValueError("numel: integer multiplication overflow")
        out_shape = shape[:-dims] + tuple(outs)
        raise TcalcValueError(f"Trying to create tensor with negative dimension {min(outs)}: {_size_text(out_shape)}")


def _size_text(shape) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


# ---- the norm of pairwise_distance, the clamp of cosine_similarity ----------------------------

# torch.norm(x, p, dim) as PyTorch's at::norm records it (pairwise_distance ends in it).
NORM_DIM = Op("NormBackward1", _vector_norm_forward, _vector_norm_backward, saves=(keep(0), keep(OUT)))


def norm_dim(x: Tensor, p: float, dim: int, keepdim: bool) -> Tensor:
    from ._base import normalize_dim

    axes = (normalize_dim(dim, x.data.ndim),) if x.data.ndim else None
    return apply(NORM_DIM, (x,), (x.data,), p=float(p), axes=axes, keepdim=bool(keepdim))


# The norms of cosine_similarity: PyTorch clones them and clamps the clones in place under
# no_grad, so the value is clamped and the gradient passes as if it were not.
CLAMPED_CLONE = Op("CloneBackward0", lambda a, eps: np.maximum(a, np.asarray(eps, a.dtype)),
                   lambda n, g: (g,), saves=False)


def clamped_clone(x: Tensor, eps: float) -> Tensor:
    return apply(CLAMPED_CLONE, (x,), (x.data,), eps=eps)


# x / number as PyTorch's div by a Scalar records it (cross_entropy's mean over
# probabilities ends in it).
DIV_NUMBER = Op("DivBackward1", lambda a, divisor: (a / np.asarray(divisor, a.dtype)).astype(a.dtype, copy=False),
                lambda n, g: (elementwise.div(g, n.params["divisor"]),), saves=False)


def div_by_number(x: Tensor, divisor) -> Tensor:
    return apply(DIV_NUMBER, (x,), (x.data,), divisor=divisor)
