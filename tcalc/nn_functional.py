"""torch.nn.functional (also torch.nn.functional through torch.nn): the losses and
activations of the tutorials, and their convolutions and pooling. New ops live in
tcalc.ops.losses and tcalc.ops.convolution; the rest is composed from
tcalc's differentiable ops, where PyTorch's grad_fn is the same node (`l1_loss` ends in
MeanBackward0, `cross_entropy` is nll_loss of log_softmax)."""
from __future__ import annotations

from . import ops
from .errors import TcalcValueError
from .ops import convolution, losses
from .ops.creation import _generator
from .tensor import Tensor
from .values import Builtin, Namespace


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    difference = ops.abs(ops.sub(input, target))
    reduction = losses._reduction(reduction)
    return difference if reduction == "none" else (ops.mean if reduction == "mean" else ops.sum)(difference)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Class indices as the target: nll_loss of log_softmax over the class dimension."""
    if label_smoothing:
        raise TcalcValueError("cross_entropy: label_smoothing= is not in tcalc yet")
    x = ops._base.as_tensor(input)
    return losses.nll_loss(ops.log_softmax(x, 0 if x.data.ndim == 1 else 1), target, weight,
                           reduction=reduction)


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
    keep = (_generator().random(x.data.shape) >= p).astype(x.data.dtype)
    return ops.mul(x, Tensor(keep / (1 - p) if p < 1 else keep))


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """input / max(‖input‖_p over dim, eps), as PyTorch composes it."""
    norm = ops.norm(input, p, dim, True)
    return ops.div(input, ops.expand(ops.clamp(norm, min=eps), *input.data.shape))


FUNCTIONS = {
    "binary_cross_entropy_with_logits": losses.binary_cross_entropy_with_logits,
    "mse_loss": losses.mse_loss, "l1_loss": l1_loss, "nll_loss": losses.nll_loss,
    "cross_entropy": cross_entropy, "relu": ops.relu, "sigmoid": ops.sigmoid, "tanh": ops.tanh,
    "softmax": ops.softmax, "log_softmax": ops.log_softmax, "leaky_relu": losses.leaky_relu,
    "silu": losses.silu, "softplus": losses.softplus, "one_hot": losses.one_hot, "linear": linear,
    "dropout": dropout, "normalize": normalize,
    # convolutions and pooling (tcalc.ops.convolution)
    "conv1d": convolution.conv1d, "conv2d": convolution.conv2d,
    "max_pool1d": convolution.max_pool1d, "max_pool2d": convolution.max_pool2d,
    "max_pool1d_with_indices": convolution.max_pool1d_with_indices,
    "max_pool2d_with_indices": convolution.max_pool2d_with_indices,
    "avg_pool1d": convolution.avg_pool1d, "avg_pool2d": convolution.avg_pool2d,
}
FUNCTIONAL = Namespace("torch.nn.functional", {name: Builtin(name, f) for name, f in FUNCTIONS.items()})
NN = Namespace("torch.nn", {"functional": FUNCTIONAL})
MODULES = {"torch.nn": NN, "torch.nn.functional": FUNCTIONAL}
