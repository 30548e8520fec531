"""torch.nn.functional (also torch.nn.functional through torch.nn): the losses and
activations of the tutorials, and their convolutions and pooling. New ops live in
tcalc.ops.losses and tcalc.ops.convolution; the rest is composed from
tcalc's differentiable ops, where PyTorch's grad_fn is the same node (`l1_loss` ends in
MeanBackward0, `cross_entropy` is nll_loss of log_softmax)."""
from __future__ import annotations

import numpy as np

from . import ops
from .errors import ShapeError, TcalcTypeError, TcalcValueError
from .ops.creation import random_source
from .tensor import Tensor
from .values import Builtin, Later

# The losses' and convolutions' own modules are imported when one of them is first called
# (their functions below import them there): most sessions call none.


def _loss(name: str) -> Later:
    return Later("tcalc.ops.losses", name)


def _convolution(name: str) -> Later:
    return Later("tcalc.ops.convolution", name)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    from .ops import losses
    difference = ops.abs(ops.sub(input, target))
    reduction = losses._reduction(reduction)
    return difference if reduction == "none" else (ops.mean if reduction == "mean" else ops.sum)(difference)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """beta=0 is l1_loss (of the broadcast operands), as PyTorch routes it."""
    from .ops import losses
    if beta == 0:
        losses._reduction(reduction)
        a, b = ops._base.as_tensor(input), ops._base.as_tensor(target)
        ops._base.broadcast_shape(a.data.shape, b.data.shape)
        return l1_loss(a, b, reduction=reduction)
    return losses.smooth_l1_loss(input, target, reduction=reduction, beta=beta)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """nll_loss of log_softmax over the class dimension, as PyTorch composes it: class
    indices or class probabilities (a float target of the input's shape) as the target,
    with label smoothing mixed in."""
    from .ops import losses
    reduction = losses._reduction(reduction)
    x, target = ops._base.as_tensor(input), ops._base.as_tensor(target)
    if not 0.0 <= label_smoothing <= 1.0:
        raise TcalcValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
    class_dim = 0 if x.data.ndim == 1 else 1
    classes = x.data.shape[class_dim]
    if target.data.shape == x.data.shape:
        return _cross_entropy_probabilities(x, target, weight, reduction, label_smoothing, class_dim)
    logp = ops.log_softmax(x, class_dim)
    loss = losses.nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if not label_smoothing:
        return loss
    # The smoothing term: minus the (weighted) sum of the log-probabilities, 0 where ignored.
    ignored = Tensor(target.data == ignore_index)
    weight_shape = (-1,) if x.data.ndim == 1 else (1, -1) + (1,) * (x.data.ndim - 2)
    spread = logp if weight is None else ops.mul(logp, ops.reshape(weight, weight_shape))
    smooth = ops.where(ignored, 0.0, ops.neg(ops.sum(spread, class_dim)))
    if reduction == "mean":
        kept = target.data[target.data != ignore_index]
        total = kept.size if weight is None else weight.data[kept].sum(dtype=weight.data.dtype)
        smooth = ops.div(ops.sum(smooth), Tensor(np.asarray(total, dtype=x.data.dtype)))
    elif reduction == "sum":
        smooth = ops.sum(smooth)
    return ops.add(ops.mul(loss, 1 - label_smoothing), ops.mul(smooth, label_smoothing / classes))


def _cross_entropy_probabilities(x, target, weight, reduction, label_smoothing, class_dim):
    from .ops import losses
    if not target.dtype.is_floating_point:
        raise TcalcTypeError("Expected floating point type for target with class probabilities, got "
                             f"{target.dtype.torch_name}")
    classes = x.data.shape[class_dim]
    if weight is not None and (weight.data.ndim != 1 or weight.data.size != classes):
        raise ShapeError(f"cross_entropy: weight tensor should be defined either for all {classes} classes or "
                         f"no classes but got weight tensor of shape: {list(weight.data.shape)}")
    logp = ops.log_softmax(x, class_dim)
    if label_smoothing > 0:
        target = ops.add(ops.mul(target, 1 - label_smoothing), label_smoothing / classes)
    product = ops.mul(logp, target)
    if weight is not None:
        shape = (-1,) if x.data.ndim == 1 else (1, -1) + (1,) * (x.data.ndim - 2)
        product = ops.mul(product, ops.reshape(weight, shape))
    if reduction == "none":
        return ops.neg(ops.sum(product, class_dim))
    total = ops.neg(ops.sum(product))
    if reduction == "sum":
        return total
    count = x.data.size // classes if classes else 0
    return losses.div_by_number(total, count if x.data.size else float("nan"))


def linear(input, weight, bias=None):
    """input @ weight.T + bias (PyTorch fuses the 2-d case into one AddmmBackward0 node;
    tcalc records MmBackward0 then AddBackward0)."""
    out = ops.matmul(input, ops.t(weight) if weight.data.ndim == 2 else weight)
    return out if bias is None else ops.add(out, bias)


def dropout(input, p=0.5, training=True, inplace=False):
    if not 0 <= p <= 1:
        raise TcalcValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    x = ops._base.as_tensor(input)
    if p == 1:  # PyTorch draws nothing then
        return ops.mul(x, Tensor(np.zeros(x.data.shape, x.data.dtype)))
    # PyTorch keeps an element where a float64 uniform is below 1 - p.
    keep = random_source().bernoulli(np.full(x.data.shape, 1 - p)).astype(x.data.dtype)
    return ops.mul(x, Tensor(keep / (1 - p)))


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """input / max(‖input‖_p over dim, eps), as PyTorch composes it."""
    norm = ops.norm(input, p, dim, True)
    return ops.div(input, ops.expand(ops.clamp(norm, min=eps), *input.data.shape))


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """PyTorch's composition: target * (log target - input) (xlogy, 0 where target is 0), or
    exp(target) * (target - input) for a log target; 'batchmean' is the sum over the batch size."""
    from .ops import losses
    if reduction != "batchmean":
        losses._reduction(reduction)
    x, y = ops._base.as_tensor(input), ops._base.as_tensor(target)
    if not (x.dtype.is_floating_point and y.dtype.is_floating_point):
        raise TcalcTypeError("kl_div: Integral inputs not supported.")
    if log_target:
        pointwise = ops.mul(ops.exp(y), ops.sub(y, x))
    else:
        pointwise = ops.sub(losses.xlogy(y, y), ops.mul(y, x))
    if reduction == "none":
        return pointwise
    if reduction == "mean":
        return ops.mean(pointwise)
    total = ops.sum(pointwise)
    return ops.div(total, x.data.shape[0]) if reduction == "batchmean" and x.data.ndim else total


# torch.kl_div's reduction is ATen's enum: 1 mean, 2 sum, anything else none (its default).
_REDUCTION_ENUM = {1: "mean", 2: "sum"}


def torch_kl_div(input, target, reduction=0, log_target=False):
    if not isinstance(reduction, int) or isinstance(reduction, bool):
        raise TcalcTypeError(f"kl_div(): argument 'reduction' (position 3) must be int, not {type(reduction).__name__}")
    return kl_div(input, target, reduction=_REDUCTION_ENUM.get(reduction, "none"), log_target=log_target)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Each side divided by its norm (clamped to eps) first, then the sum of the products
    over dim, as PyTorch composes it (so the result stays within [-1, 1])."""
    from .ops import losses
    a, b = ops._base.as_tensor(x1), ops._base.as_tensor(x2)
    dtype = ops._base.result_type(a, b)
    if not dtype.is_floating_point:
        raise TcalcTypeError(f"expected common dtype to be floating point, yet common dtype is {dtype.torch_name}")
    shape = ops._base.broadcast_shape(a.data.shape, b.data.shape)
    # Integers become the common dtype; a float side keeps its own (float16 beside float32).
    a, b = (ops.expand(t if t.dtype.is_floating_point else ops.to_dtype(t, dtype), *shape) for t in (a, b))
    dim = ops._base.normalize_dim(dim, len(shape))
    a_norm = losses.clamped_clone(ops.vector_norm(a, 2, dim, True), eps)
    b_norm = losses.clamped_clone(ops.vector_norm(b, 2, dim, True), eps)
    return ops.sum(ops.mul(ops.div(a, a_norm), ops.div(b, b_norm)), dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of x1 - x2 + eps over the last dimension, as PyTorch composes it."""
    from .ops import losses
    a, b = ops._base.as_tensor(x1), ops._base.as_tensor(x2)
    difference = ops.add(ops.sub(a, b), eps)
    return losses.norm_dim(difference, p, -1, keepdim)


PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    from .ops import losses
    if not isinstance(mode, str):
        raise TcalcTypeError(f"pad(): argument 'mode' (position 3) must be str, not {type(mode).__name__}")
    pad = losses._pad_tuple(pad)  # the arguments' types first, then the mode's name
    if mode not in PAD_MODES:
        raise TcalcValueError(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        return losses.index_pad(input, pad, mode, value)
    return losses.constant_pad_nd(input, pad, 0 if value is None else value)


FUNCTIONS = {
    "binary_cross_entropy_with_logits": _loss("binary_cross_entropy_with_logits"),
    "mse_loss": _loss("mse_loss"), "l1_loss": l1_loss, "nll_loss": _loss("nll_loss"),
    "cross_entropy": cross_entropy, "relu": ops.relu, "sigmoid": ops.sigmoid, "tanh": ops.tanh,
    "softmax": ops.softmax, "log_softmax": ops.log_softmax, "leaky_relu": _loss("leaky_relu"),
    "silu": _loss("silu"), "softplus": _loss("softplus"), "one_hot": _loss("one_hot"), "linear": linear,
    "dropout": dropout, "normalize": normalize, "relu6": _loss("relu6"), "elu": _loss("elu"), "gelu": _loss("gelu"),
    "hardtanh": _loss("hardtanh"), "smooth_l1_loss": smooth_l1_loss, "huber_loss": _loss("huber_loss"),
    "binary_cross_entropy": _loss("binary_cross_entropy"), "kl_div": kl_div,
    "cosine_similarity": cosine_similarity, "pairwise_distance": pairwise_distance, "pad": pad,
    # convolutions and pooling (tcalc.ops.convolution)
    "conv1d": _convolution("conv1d"), "conv2d": _convolution("conv2d"),
    "conv_transpose1d": _convolution("conv_transpose1d"), "conv_transpose2d": _convolution("conv_transpose2d"),
    "max_pool1d": _convolution("max_pool1d"), "max_pool2d": _convolution("max_pool2d"),
    "max_pool1d_with_indices": _convolution("max_pool1d_with_indices"),
    "max_pool2d_with_indices": _convolution("max_pool2d_with_indices"),
    "avg_pool1d": _convolution("avg_pool1d"), "avg_pool2d": _convolution("avg_pool2d"),
}
# The members of torch.nn.functional (tcalc.builtins' namespace of that name takes them
# when first read: this module is imported by a program's first F.NAME).
MEMBERS = {name: Builtin(name, f) for name, f in FUNCTIONS.items()}
