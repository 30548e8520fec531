"""torch.nn.functional's losses and activations that tcalc's other ops do not already
give: each is one Op (PyTorch's node name, forward on ndarrays, backward with tcalc ops),
followed by the function that checks its arguments as PyTorch does."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import Op, apply, keep
from ..errors import ShapeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from ..tensor import Size, Tensor
from . import elementwise
from ._base import array_of, as_tensor, result_type

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

def _picked(logp_shape, target: np.ndarray) -> np.ndarray:
    """A one-hot mask of the target classes, laid out like the log-probabilities (N, C, ...)."""
    mask = np.zeros(logp_shape, dtype=bool)
    if len(logp_shape) == 1:
        mask[target] = True
    else:
        np.put_along_axis(mask, np.expand_dims(target, 1), True, axis=1)
    return mask


def _nll_forward(logp, target, reduction, mask):
    picked = -np.where(mask, logp, 0).sum(axis=0 if logp.ndim == 1 else 1)
    if reduction == "mean":
        return np.asarray(picked.mean() if picked.size else np.nan, dtype=logp.dtype)
    return _reduce(picked.astype(logp.dtype), reduction)


def _nll_backward(n, g):
    mask, reduction = n.params["mask"], n.params["reduction"]
    count = mask.sum()
    if reduction == "mean":
        g = elementwise.div(g, max(int(count), 1))
    elif reduction == "none" and n.inputs[0].data.ndim > 1:
        from .shape import unsqueeze

        g = unsqueeze(g, 1)
    weights = Tensor(np.where(mask, -1, 0).astype(n.inputs[0].data.dtype))
    return (elementwise.mul(weights, g), None)


NLL_LOSS = Op("NllLossBackward0", _nll_forward, _nll_backward, saves=True)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    input, target = as_tensor(input), as_tensor(target)
    if target.dtype.category != dtypes.INT:
        raise TcalcTypeError(f"expected scalar type Long but found {target.dtype.torch_name}")
    if weight is not None:
        raise TcalcValueError("nll_loss: weight= is not in tcalc yet")
    classes = input.data.shape[0 if input.data.ndim == 1 else 1]
    bad = target.data[(target.data < 0) | (target.data >= classes)]
    if bad.size:
        raise TcalcIndexError(f"Target {int(bad.flat[0])} is out of bounds.",
                              hint=f"class indices run from 0 to {classes - 1}")
    expected = input.data.shape[:1] + input.data.shape[2:] if input.data.ndim > 1 else ()
    if target.data.shape != expected:
        raise ShapeError(f"Expected input batch_size ({input.data.shape[0]}) to match target batch_size "
                         f"({target.data.shape[0] if target.data.ndim else 0}).")
    return apply(NLL_LOSS, (input, target), (input.data, target.data), reduction=_reduction(reduction),
                 mask=_picked(input.data.shape, target.data))


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


def _float(x: Tensor) -> dtypes.DType:
    if not x.dtype.is_floating_point:
        raise TcalcTypeError(f"\"{'activation'}\" not implemented for '{x.dtype.torch_name}'")
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
