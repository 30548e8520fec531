"""Convolutions and pooling: torch.nn.functional's conv1d/conv2d, conv_transpose1d/2d,
max_pool1d/2d and avg_pool1d/2d, with PyTorch's node names and refusals.

Everything works on (N, C, H, W) arrays: a 1-d op sees its (N, C, L) arrays as (N, C, 1, L).
The windows of an input (im2col) are a strided view of the padded input; unfolding copies
them into a (N, C, OH, OW, KH, KW) buffer, whose size is checked first. UNFOLD and FOLD
(col2im, which adds the windows back into an input) are each other's gradient, so the
gradients of a convolution, written with them and einsum, are differentiable again. A
transposed convolution is a convolution's input gradient: its windows are folded.

Float32 convolutions sum in NumPy's order; PyTorch's kernels (oneDNN, or im2col and a
matrix product) sum in theirs, so a float32 value may differ from PyTorch's in its last bit.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import dtypes
from ..autograd import Op, apply, keep
from ..errors import DTypeError, ShapeError, TcalcIndexError, TcalcTypeError, TcalcValueError
from ..limits import check_elements, check_shape
from ..tensor import Tensor
from ..values import type_name
from . import elementwise, reduce, selection, shape
from ._base import as_tensor
from .creation import zeros
from .einsum import einsum
from .indexing import getitem

# ---- windows: im2col and its adjoint -------------------------------------------------------


def _windows(x4: np.ndarray, kernel, stride, dilation, pads, fill=0) -> np.ndarray:
    """The (N, C, OH, OW, KH, KW) view of x4's windows after padding by `pads`, one
    (before, after) pair per spatial dim."""
    padded = np.pad(x4, ((0, 0), (0, 0)) + tuple(pads), constant_values=fill) if any(map(any, pads)) else x4
    spans = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))
    view = sliding_window_view(padded, spans, axis=(2, 3))
    return view[:, :, ::stride[0], ::stride[1], ::dilation[0], ::dilation[1]]


def _unfold_forward(x4, kernel, stride, dilation, pads):
    view = _windows(x4, kernel, stride, dilation, pads)
    check_elements(view.size, "the unfolded input")
    return np.ascontiguousarray(view)


def _fold_forward(cols, size, kernel, stride, dilation, pads):
    """The windows `cols` added back into an input of `size` (each element gets the sum of
    the window places it was copied to)."""
    n, c, oh, ow = cols.shape[:4]
    (top, bottom), (left, right) = pads
    out = np.zeros((n, c, size[2] + top + bottom, size[3] + left + right), dtype=cols.dtype)
    for i in range(kernel[0]):
        rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (oh - 1) + 1, stride[0])
        for j in range(kernel[1]):
            columns = slice(j * dilation[1], j * dilation[1] + stride[1] * (ow - 1) + 1, stride[1])
            out[:, :, rows, columns] += cols[:, :, :, :, i, j]
    return out[:, :, top:top + size[2], left:left + size[3]]


UNFOLD = Op("Im2ColBackward0", _unfold_forward,
            lambda n, g: (fold(g, n.inputs[0].data.shape, **n.params),), saves=False)
FOLD = Op("Col2ImBackward0", _fold_forward,
          lambda n, g: (unfold(g, **{k: v for k, v in n.params.items() if k != "size"}),), saves=False)


def unfold(x4, kernel, stride, dilation, pads):
    return apply(UNFOLD, (x4,), (x4.data,), kernel=kernel, stride=stride, dilation=dilation, pads=pads)


def fold(cols, size, kernel, stride, dilation, pads):
    return apply(FOLD, (cols,), (cols.data,), size=tuple(size), kernel=kernel, stride=stride,
                 dilation=dilation, pads=pads)


def _four_d(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[:2] + (1,) + x.shape[2:]) if x.ndim == 3 else x


def _four_d_shape(size: tuple) -> tuple:
    return size[:2] + (1,) + size[2:] if len(size) == 3 else size


def _four_d_tensor(x):
    return shape.unsqueeze(x, 2) if x.data.ndim == 3 else x


# ---- convolution ----------------------------------------------------------------------------

def _conv_forward(x, w, *bias, stride, dilation, pads, groups):
    x4, w4 = _four_d(x), _four_d(w)
    dtype = x.dtype
    if dtype == np.float16:  # summed in float32, rounded once
        x4, w4 = x4.astype(np.float32), w4.astype(np.float32)
    view = _windows(x4, w4.shape[2:], stride, dilation, pads)
    check_elements(view.size, "the unfolded input")
    per_group_in, per_group_out = w4.shape[1], w4.shape[0] // groups
    parts = [np.tensordot(view[:, g * per_group_in:(g + 1) * per_group_in],
                          w4[g * per_group_out:(g + 1) * per_group_out], axes=([1, 4, 5], [1, 2, 3]))
             for g in range(groups)]
    out = np.moveaxis(np.concatenate(parts, axis=-1), -1, 1)
    if bias:
        out = out + bias[0].reshape(-1, 1, 1)
    out = out.reshape(out.shape[:2] + out.shape[3:]) if x.ndim == 3 else out
    return np.ascontiguousarray(out, dtype=dtype)


def _conv_backward(node, g):
    x, w = node.inputs[0], node.inputs[1]
    p = node.params
    g4, w4 = _four_d_tensor(g), _four_d_tensor(w)
    windows = dict(kernel=w4.data.shape[2:], stride=p["stride"], dilation=p["dilation"], pads=p["pads"])
    grads = [None, None, None]
    if node.needs_grad(0):
        grads[0] = shape.reshape(_input_gradient(g4, w4, _four_d_shape(x.data.shape), windows, p["groups"]),
                                 x.data.shape)
    if node.needs_grad(1):
        grads[1] = _weight_gradient(unfold(_four_d_tensor(x), **windows), g4, p["groups"], w.data.shape)
    if len(node.inputs) == 3 and node.needs_grad(2):
        grads[2] = reduce.sum(g, [0] + list(range(2, g.data.ndim)))
    return tuple(grads[:len(node.inputs)])


def _input_gradient(g4, w4, size4, windows, groups):
    """The gradient of a convolution by weight w4 with respect to its input of `size4`,
    given g4, the gradient of its result: each window's share, folded back. It is also the
    transposed convolution of g4."""
    n, out_channels, oh, ow = g4.data.shape
    per_group_in, kh, kw = w4.data.shape[1:]
    grouped_g = shape.reshape(g4, (n, groups, out_channels // groups, oh, ow))
    grouped_w = shape.reshape(w4, (groups, out_channels // groups, per_group_in, kh, kw))
    cols = einsum("ngohw,gocij->ngchwij", grouped_g, grouped_w)
    return fold(shape.reshape(cols, (n, groups * per_group_in, oh, ow, kh, kw)), size4, **windows)


def _weight_gradient(cols, g4, groups, weight_shape):
    """The gradient of a convolution with respect to its weight, given `cols`, the windows of
    its input, and g4, the gradient of its result: each kernel place's windows against g4."""
    n, out_channels, oh, ow = g4.data.shape
    kh, kw = cols.data.shape[-2:]
    cols = shape.reshape(cols, (n, groups, cols.data.shape[1] // groups, oh, ow, kh, kw))
    grouped_g = shape.reshape(g4, (n, groups, out_channels // groups, oh, ow))
    return shape.reshape(einsum("ngchwij,ngohw->gocij", cols, grouped_g), weight_shape)


CONVOLUTION = Op("ConvolutionBackward0", _conv_forward, _conv_backward, saves=(keep(0, 1), keep(1, 0)))


# The transposed convolution is the input gradient of a convolution by the same weight,
# whose windows lie in its result (of `size`): so its gradients are that convolution (for
# the input) and the convolution's weight gradient with the roles of input and result swapped.

def _conv_transpose_forward(x, w, *bias, size, stride, dilation, pads, groups):
    x4, w4 = _four_d(x), _four_d(w)
    dtype = x.dtype
    if dtype == np.float16:  # summed in float32, rounded once
        x4, w4 = x4.astype(np.float32), w4.astype(np.float32)
    per_group_in = w4.shape[0] // groups
    check_elements(math.prod(x4.shape[:1] + x4.shape[2:] + w4.shape[1:]) * groups, "the unfolded result")
    parts = [np.tensordot(x4[:, g * per_group_in:(g + 1) * per_group_in],
                          w4[g * per_group_in:(g + 1) * per_group_in], axes=([1], [0]))
             for g in range(groups)]  # each (N, H, W, C_out / groups, KH, KW)
    cols = np.moveaxis(np.concatenate(parts, axis=3), 3, 1)
    out = _fold_forward(cols, size, w4.shape[2:], stride, dilation, pads)
    if bias:
        out = out + bias[0].astype(out.dtype).reshape(-1, 1, 1)
    out = out.reshape(out.shape[:2] + out.shape[3:]) if x.ndim == 3 else out
    return np.ascontiguousarray(out, dtype=dtype)


def _conv_transpose_backward(node, g):
    x, w = node.inputs[0], node.inputs[1]
    p = node.params
    grads = [None, None, None]
    if node.needs_grad(0):
        grads[0] = _first_places(apply(CONVOLUTION, (g, w), (g.data, w.data), stride=p["stride"],
                                       dilation=p["dilation"], pads=p["pads"], groups=p["groups"]), x.data.shape)
    if node.needs_grad(1):
        windows = dict(kernel=_four_d(w.data).shape[2:], stride=p["stride"], dilation=p["dilation"], pads=p["pads"])
        x4 = _four_d_tensor(x)
        cols = _first_places(unfold(_four_d_tensor(g), **windows), (-1, -1) + x4.data.shape[2:] + (-1, -1))
        grads[1] = _weight_gradient(cols, x4, p["groups"], w.data.shape)
    if len(node.inputs) == 3 and node.needs_grad(2):
        grads[2] = reduce.sum(g, [0] + list(range(2, g.data.ndim)))
    return tuple(grads[:len(node.inputs)])


def _first_places(t, sizes):
    """t cut to `sizes` (-1: all of a dim): an output_padding of at least the stride gives
    the convolution of a transposed one's result more windows than its input has places."""
    if all(n in (-1, m) for n, m in zip(sizes, t.data.shape)):
        return t
    return getitem(t, tuple(slice(None) if n == -1 else slice(0, n) for n in sizes))


CONV_TRANSPOSE = Op("ConvolutionBackward0", _conv_transpose_forward, _conv_transpose_backward,
                    saves=(keep(0, 1), keep(1, 0)))


def _int_list(value, count: int, name: str, function: str) -> list:
    if isinstance(value, bool) or not isinstance(value, (int, tuple, list)) or \
            isinstance(value, (tuple, list)) and not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise TcalcTypeError(f"{function}(): argument '{name}' must be tuple of ints, not {type_name(value)}")
    return [value] * count if isinstance(value, int) else list(value)


def _conv_sizes(value, dims: int, name: str) -> list:
    """stride, padding or dilation as `dims` ints (one int serves every dim)."""
    if len(value) == 1:
        value = value * dims
    if len(value) != dims:
        raise ShapeError(f"expected {name} to be a single integer value or a list of {dims} values to match "
                         f"the convolution dimensions, but got {name}={value}")
    return value


def _size(shape) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


def _convolution(input, weight, bias, stride, padding, dilation, groups, dims: int, function: str,
                 output_padding=None):
    """conv1d/conv2d, and with an output_padding their transposes (the checks that differ
    are in _transposed)."""
    x, w = as_tensor(input), as_tensor(weight)
    if x.data.ndim not in (dims + 1, dims + 2):
        raise ShapeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {function}, "
                         f"but got input of size: {_size(x.data.shape)}")
    if not isinstance(groups, int) or isinstance(groups, bool):
        raise TcalcTypeError(f"{function}(): argument 'groups' must be int, not {type_name(groups)}")
    if groups <= 0:
        raise TcalcValueError("non-positive groups is not supported")
    stride = _int_list(stride, dims, "stride", function)
    dilation = _int_list(dilation, dims, "dilation", function)
    if isinstance(padding, str) and output_padding is None:
        if padding not in ("same", "valid"):
            raise TcalcValueError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride):
            raise TcalcValueError("padding='same' is not supported for strided convolutions")
    else:
        padding = _int_list(padding, dims, "padding", function)
    if output_padding is not None:
        output_padding = _int_list(output_padding, dims, "output_padding", function)
    if x.data.ndim == dims + 1:  # unbatched: as PyTorch, a batch of one, squeezed after
        out = _convolution(shape.unsqueeze(x, 0), w, bias, stride, padding, dilation, groups, dims, function,
                           output_padding)
        return shape.squeeze(out, 0)
    k = w.data.ndim - 2
    stride = _conv_sizes(stride, k, "stride")
    if isinstance(padding, str):
        spans = [(size - 1) * d + 1 for size, d in zip(w.data.shape[2:], dilation)] if padding == "same" else []
        pads = tuple(((s - 1) // 2, (s - 1) - (s - 1) // 2) for s in spans) or ((0, 0),) * k
    else:
        pads = tuple((p, p) for p in _conv_sizes(padding, k, "padding"))
    dilation = _conv_sizes(dilation, k, "dilation")
    if output_padding is not None:
        output_padding = _conv_sizes(output_padding, k, "output_padding")
    if any(p < 0 for pair in pads for p in pair):
        raise TcalcValueError("negative padding is not supported")
    if output_padding is not None and any(p < 0 for p in output_padding):
        raise TcalcValueError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise TcalcValueError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise TcalcValueError("dilation should be greater than zero")
    if any(d == 0 for d in dilation) and output_padding is None:
        raise TcalcValueError("non-positive dilation is not supported")
    if w.data.ndim != x.data.ndim:
        raise ShapeError(f"Expected {w.data.ndim}-dimensional input for {w.data.ndim}-dimensional weight "
                         f"{_size(w.data.shape)}, but got {x.data.ndim}-dimensional input of size "
                         f"{_size(x.data.shape)} instead")
    if w.data.shape[0] < groups:
        raise ShapeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                         f"weight of size {_size(w.data.shape)} instead")
    if w.data.shape[0] % groups:
        raise ShapeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                         f"got weight of size [{_size(w.data.shape)}] instead")
    if output_padding is not None:
        return _transposed(x, w, bias, stride, pads, dilation, output_padding, groups)
    if x.data.shape[1] != w.data.shape[1] * groups:
        raise ShapeError(f"Given groups={groups}, weight of size {_size(w.data.shape)}, expected "
                         f"input{_size(x.data.shape)} to have {w.data.shape[1] * groups} channels, but got "
                         f"{x.data.shape[1]} channels instead",
                         hint=f"a weight of size [out_channels, in_channels / groups, ...] takes input[N, "
                              f"{w.data.shape[1] * groups}, ...]; the channels are the input's dim 1")
    padded = [size + a + b for size, (a, b) in zip(x.data.shape[2:], pads)]
    spans = [(size - 1) * d + 1 for size, d in zip(w.data.shape[2:], dilation)]
    if any(s > p for s, p in zip(spans, padded)):
        raise ShapeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                         f"({' x '.join(map(str, spans))}). Kernel size can't be greater than actual input size",
                         hint="pad the input (padding=...) or take a smaller kernel or dilation")
    inputs = (x, w)
    if bias is not None:
        b = as_tensor(bias)
        if b.data.shape != (w.data.shape[0],):
            raise ShapeError(f"Given weight of size {_size(w.data.shape)}, expected bias to be 1-dimensional with "
                             f"{w.data.shape[0]} elements, but got bias of size {_size(b.data.shape)} instead")
        inputs = (x, w, b)
    if w.dtype is not x.dtype:
        raise DTypeError(_weight_dtype_message(x, w, groups))
    if len(inputs) == 3 and inputs[2].dtype is not x.dtype:
        raise DTypeError(f"Input type ({x.dtype.cpp_type}) and bias type ({inputs[2].dtype.cpp_type}) "
                         "should be the same")
    if x.dtype is dtypes.bool_:
        raise TcalcTypeError("\"slow_conv2d_cpu\" not implemented for 'Bool'")
    out_sizes = [(p - s) // st + 1 for p, s, st in zip(padded, spans, stride)]
    check_shape((x.data.shape[0], w.data.shape[0], *out_sizes))
    if k == 1:  # the (N, C, 1, L) view of a 1-d convolution
        stride, dilation, pads = [1] + stride, [1] + dilation, ((0, 0),) + pads
    return apply(CONVOLUTION, inputs, tuple(t.data for t in inputs), stride=tuple(stride),
                 dilation=tuple(dilation), pads=tuple(pads), groups=groups)


def _uses_onednn(x, w, groups: int) -> bool:
    """Whether PyTorch takes oneDNN's kernel (its use_mkldnn): for a float32 input with
    groups, a batch, a kernel over 3 x 3 or a large input; its refusals are worded by it."""
    kernel = w.data.shape[2:] if w.data.ndim == 4 else (1,) + w.data.shape[2:]
    return x.dtype is dtypes.float32 and x.data.size > 0 and (
        groups > 1 or min(kernel) > 3 or x.data.shape[0] > 1 or x.data.size > 20480)


def _weight_dtype_message(x, w, groups: int, onednn: bool | None = None) -> str:
    if _uses_onednn(x, w, groups) if onednn is None else onednn:
        return (f"Input type ({x.dtype.legacy_type}) and weight type ({w.dtype.legacy_type}) should be the same "
                "or input should be a MKLDNN tensor and weight is a dense tensor")
    return f"expected scalar type {x.dtype.torch_name} but found {w.dtype.torch_name}"


def _transposed(x, w, bias, stride, pads, dilation, output_padding, groups):
    """The transposed convolution's checks after the shared ones, in PyTorch's order: its
    shapes, then those of the kernel PyTorch picks (oneDNN's, or the slow one's, which
    refuses more and words its refusals otherwise)."""
    channels = w.data.shape[1] * groups
    if x.data.shape[1] != w.data.shape[0]:
        raise ShapeError(f"Given transposed=1, weight of size {_size(w.data.shape)}, expected input"
                         f"{_size(x.data.shape)} to have {w.data.shape[0]} channels, but got {x.data.shape[1]} "
                         "channels instead",
                         hint="a transposed convolution's weight is [in_channels, out_channels / groups, ...]")
    inputs = (x, w)
    if bias is not None:
        b = as_tensor(bias)
        if b.data.shape != (channels,):
            raise ShapeError(f"Given transposed=1, weight of size {_size(w.data.shape)}, expected bias to be "
                             f"1-dimensional with {channels} elements, but got bias of size {_size(b.data.shape)} "
                             "instead")
        inputs = (x, w, b)
    sizes = x.data.shape[2:]
    kernel = w.data.shape[2:]
    outs = [(n - 1) * s - a - b + d * (k - 1) + o + 1
            for n, s, (a, b), d, k, o in zip(sizes, stride, pads, dilation, kernel, output_padding)]
    out_shape = (x.data.shape[0], channels, *outs)
    if x.data.size == 0:  # PyTorch's empty kernel, which checks no more than the result's sizes
        if x.data.shape[0] and x.data.shape[1]:
            raise ShapeError("Only zero batch or zero channel inputs are supported, but got input shape: "
                             f"{_size(_four_d_shape(x.data.shape))}")
        _check_empty_result(_four_d_shape(out_shape))  # a 1-d one as its (N, C, 1, L) view
    elif _uses_onednn(x, w, groups) and all(o < s for o, s in zip(output_padding, stride)):
        _onednn_transposed_checks(x, w, inputs, groups, dilation, outs)
    else:
        _slow_transposed_checks(x, w, inputs, groups, stride, dilation, output_padding, outs)
    check_shape(out_shape)
    if len(kernel) == 1:  # the (N, C, 1, L) view of a 1-d convolution
        stride, dilation, pads, outs = [1] + stride, [1] + dilation, ((0, 0),) + pads, [1] + outs
    return apply(CONV_TRANSPOSE, inputs, tuple(t.data for t in inputs), size=(x.data.shape[0], channels, *outs),
                 stride=tuple(stride), dilation=tuple(dilation), pads=tuple(pads), groups=groups)


def _check_empty_result(out_shape) -> None:
    """PyTorch's empty kernel views an empty input as the result's sizes, where a -1 is
    the size to infer."""
    inferred = False
    for at, n in enumerate(out_shape):
        if n == -1:
            if inferred:
                raise ShapeError("only one dimension can be inferred")
            inferred = True
        elif n < 0:
            raise ShapeError(f"invalid shape dimension {n} at index {at} of shape {_size(out_shape)}")
    if inferred:
        raise ShapeError(f"cannot reshape tensor of 0 elements into shape {_size(out_shape)} because the "
                         "unspecified dimension size -1 can be any value and is ambiguous")


_ONEDNN_PRIMITIVE = ("could not create a primitive descriptor for the deconvolution forward propagation primitive. "
                     "Run workload with environment variable ONEDNN_VERBOSE=all to get additional diagnostic "
                     "information.")


def _onednn_transposed_checks(x, w, inputs, groups, dilation, outs) -> None:
    if w.dtype is not x.dtype:
        raise DTypeError(_weight_dtype_message(x, w, groups, onednn=True))
    if len(inputs) == 3 and inputs[2].dtype is not x.dtype:
        raise DTypeError(f"Input type ({x.dtype.legacy_type}) and bias type ({inputs[2].dtype.legacy_type}) should "
                         "be the same or input should be a MKLDNN tensor and bias is a dense tensor")
    if 0 in dilation or w.data.size == 0:
        raise TcalcValueError(_ONEDNN_PRIMITIVE)
    if min(outs) < 0:
        raise ShapeError("could not construct a memory descriptor using a format tag")


def _slow_transposed_checks(x, w, inputs, groups, stride, dilation, output_padding, outs) -> None:
    """slow_conv_transpose2d's, on the (N, C, 1, L) view of a 1-d convolution."""
    if len(outs) == 1:
        kernel, stride, dilation, output_padding, outs = (
            [fill, *v] for fill, v in zip((1, 1, 1, 0, 1), (w.data.shape[2:], stride, dilation, output_padding, outs)))
    else:
        kernel = w.data.shape[2:]
    if min(kernel) <= 0:
        raise TcalcValueError(f"kernel size should be greater than zero, but got kernel_height: {kernel[0]} "
                              f"kernel_width: {kernel[1]}")
    if min(dilation) <= 0:
        raise TcalcValueError(f"dilation should be greater than zero, but got dilation_height: {dilation[0]}, "
                              f"dilation_width: {dilation[1]}")
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        raise TcalcValueError("output padding must be smaller than either stride or dilation, but got "
                              f"output_padding_height: {output_padding[0]} output_padding_width: {output_padding[1]} "
                              f"stride_height: {stride[0]} stride_width: {stride[1]} dilation_height: {dilation[0]} "
                              f"dilation_width: {dilation[1]}")
    if w.data.size == 0:
        raise ShapeError(f"non-empty 2D or 4D weight tensor expected, but got: {_size(w.data.shape)}")
    if min(outs) < 1:
        sizes = [1] * (4 - x.data.ndim) + list(x.data.shape[2:])
        raise ShapeError(f"Given input size per channel: ({sizes[0]} x {sizes[1]}). Calculated output size per "
                         f"channel: ({outs[0]} x {outs[1]}). Output size is too small")
    if x.dtype not in (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int64):
        raise TcalcTypeError(f"\"slow_conv_transpose2d_out_cpu\" not implemented for '{x.dtype.torch_name}'")
    if w.dtype is not x.dtype:
        raise DTypeError(_weight_dtype_message(x, w, groups, onednn=False))
    if len(inputs) == 3 and inputs[2].dtype.is_floating_point and not x.dtype.is_floating_point:
        raise DTypeError(f"result type {inputs[2].dtype.torch_name} can't be cast to the desired output type "
                         f"{x.dtype.torch_name}")


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1, "conv_transpose1d", output_padding)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv_transpose2d", output_padding)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


# ---- pooling ---------------------------------------------------------------------------------

def _pool_pair(value, name: str, function: str, empty_is=None) -> tuple:
    if value is None or (isinstance(value, (tuple, list)) and len(value) == 0 and empty_is is not None):
        return empty_is
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) in (1, 2) and \
            all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value) * (3 - len(value))
    raise ShapeError(f"{function}: {name} must either be a single int, or a tuple of two ints")


def _pool_output(size: int, kernel: int, pad: int, stride: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape: with ceil_mode, the last window must start inside
    the input or its left padding."""
    span = (kernel - 1) * dilation + 1
    numerator = size + 2 * pad - span + ((stride - 1) if ceil_mode else 0)
    out = numerator // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _pool_arguments(x, kernel_size, stride, padding, dilation, ceil_mode, function: str):
    kernel = _pool_pair(kernel_size, "kernel_size", function)
    stride = _pool_pair(stride, "stride", function, empty_is=kernel)
    pads = _pool_pair(padding, "padding", function)
    dilation = _pool_pair(dilation, "dilation", function)
    if 0 in stride:
        raise TcalcValueError("stride should not be zero")
    if any(p < 0 for p in pads):
        raise TcalcValueError(f"pad must be non-negative, but got pad: {min(pads)}")
    for k, p, d in zip(kernel, pads, dilation):
        if p > ((k - 1) * d + 1) // 2:
            raise TcalcValueError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                                  f"kernel_size={k} and dilation={d}")
    if min(kernel) <= 0:
        raise TcalcValueError(f"kernel size should be greater than zero, but got kH: {kernel[0]} kW: {kernel[1]}")
    if min(dilation) <= 0:
        raise TcalcValueError(f"dilation should be greater than zero, but got dilationH: {dilation[0]} "
                              f"dilationW: {dilation[1]}")
    if pads[1] > kernel[1] // 2 or pads[0] > kernel[0] // 2:
        raise TcalcValueError(f"pad should be smaller than or equal to half of kernel size, but got padW = {pads[1]}, "
                              f"padH = {pads[0]}, kW = {kernel[1]}, kH = {kernel[0]}")
    sizes = x.data.shape[-2:]
    outs = tuple(_pool_output(n, k, p, s, d, ceil_mode) for n, k, p, s, d in zip(sizes, kernel, pads, stride, dilation))
    if min(outs) < 1:
        channels = x.data.shape[-3]
        raise ShapeError(f"Given input size: ({channels}x{sizes[0]}x{sizes[1]}). Calculated output size: "
                         f"({channels}x{outs[0]}x{outs[1]}). Output size is too small")
    # the padding after each dim: the input's and, with ceil_mode, what the last window needs
    after = tuple(max(p, (o - 1) * s + (k - 1) * d + 1 - n - p)
                  for n, k, p, s, d, o in zip(sizes, kernel, pads, stride, dilation, outs))
    return dict(kernel=kernel, stride=stride, dilation=dilation, pads=tuple(zip(pads, after))), outs


def _batch_of(x: np.ndarray) -> np.ndarray:
    return x[None] if x.ndim == 3 else x


def _pool_dtype(x, function: str):
    """max_pool2d takes every integer dtype, avg_pool2d only int64 among them."""
    integers_taken = function == "max_pool2d" or x.dtype is dtypes.int64
    if x.dtype.category != dtypes.FLOAT and not (x.dtype.category == dtypes.INT and integers_taken):
        raise TcalcTypeError(f"\"{function}\" not implemented for '{x.dtype.torch_name}'")


# max_pool2d: the indices of each window's maximum are found first, so the op itself only
# picks elements by index and its gradient adds g back at those places.

def _max_pool_forward(x, index):
    batch, index_batch = _batch_of(x), _batch_of(index)
    flat = batch.reshape(batch.shape[:2] + (batch.shape[2] * batch.shape[3],))
    flat_index = index_batch.reshape(index_batch.shape[:2] + (index_batch.shape[2] * index_batch.shape[3],))
    return np.take_along_axis(flat, flat_index, axis=2).reshape(index.shape)


def _max_pool_backward(node, g):
    x, index = node.inputs[0], node.params["index"]
    batch = _batch_of(x.data).shape
    flat_index = index.reshape(batch[:2] + (-1,))
    spread = selection.scatter_add(zeros(batch[:2] + (batch[2] * batch[3],), dtype=x.dtype), 2,
                                   _index_tensor(flat_index), shape.reshape(g, flat_index.shape))
    return (shape.reshape(spread, x.data.shape),)


def _index_tensor(index: np.ndarray) -> Tensor:
    return Tensor(np.ascontiguousarray(index))


MAX_POOL = Op("MaxPool2DWithIndicesBackward0", _max_pool_forward, _max_pool_backward, saves=True)


def _lowest(dtype: np.dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _max_indices(x: np.ndarray, windows: dict) -> np.ndarray:
    """For each window, the flat index (in its H x W plane) of its first maximum; NaN counts
    as the maximum, as in PyTorch."""
    batch = _batch_of(x)
    values = _windows(batch, fill=_lowest(batch.dtype), **windows)
    check_elements(values.size, "the unfolded input")
    n, c, oh, ow, kh, kw = values.shape
    best = np.argmax(values.reshape(n, c, oh, ow, kh * kw), axis=-1)
    places = np.arange(batch.shape[2] * batch.shape[3]).reshape(1, 1, *batch.shape[2:])
    place_windows = _windows(places, fill=-1, **windows).reshape(1, 1, oh, ow, kh * kw)
    index = np.take_along_axis(np.broadcast_to(place_windows, (n, c, oh, ow, kh * kw)), best[..., None], axis=-1)
    return index[..., 0].reshape(x.shape[:-2] + (oh, ow))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    x = as_tensor(input)
    if x.data.ndim not in (3, 4):
        raise ShapeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if 0 in x.data.shape[-3:]:
        raise ShapeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                         f"but got:{_size(x.data.shape)}")
    _pool_dtype(x, "max_pool2d")
    windows, outs = _pool_arguments(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    check_shape(x.data.shape[:-2] + outs)
    index = _max_indices(x.data, windows)
    values = apply(MAX_POOL, (x,), (x.data,), index=index)
    return (values, _index_tensor(index.astype(np.int64))) if return_indices else values


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def torch_max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """torch.max_pool2d: no return_indices."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)


# avg_pool2d: the windows' sums over a divisor per output place.

def _avg_divisor(sizes, outs, kernel, stride, pads, count_include_pad, divisor_override) -> np.ndarray:
    if divisor_override is not None:
        return np.full(outs, divisor_override)
    counts = []
    for n, o, k, s, (p, _after) in zip(sizes, outs, kernel, stride, pads):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        whole = end - start
        inside = np.minimum(end, n) - np.maximum(start, 0)
        counts.append(whole if count_include_pad else inside)
    return np.multiply.outer(counts[0], counts[1])


def _avg_pool_forward(x, divisor, windows):
    batch = _batch_of(x)
    view = _windows(batch, **windows)
    check_elements(view.size, "the windows of the input")  # the sums read each window's every element
    sums = view.sum(axis=(-2, -1), dtype=np.float32 if x.dtype == np.float16 else None)
    if x.dtype.kind in "iu":  # C++'s integer division, toward zero
        out = (np.sign(sums) * (np.abs(sums) // divisor.astype(sums.dtype))).astype(x.dtype)
    else:
        out = (sums / divisor).astype(x.dtype)
    return out.reshape(x.shape[:-2] + out.shape[-2:])


def _avg_pool_backward(node, g):
    x, p = node.inputs[0], node.params
    kh, kw = p["windows"]["kernel"]
    shares = elementwise.div(_four_d_batch(g), _tensor_of(p["divisor"], g))
    n, c, oh, ow = shares.data.shape
    cols = shape.expand(shape.reshape(shares, (n, c, oh, ow, 1, 1)), n, c, oh, ow, kh, kw)
    return (shape.reshape(fold(cols, _batch_of(x.data).shape, **p["windows"]), x.data.shape),)


def _four_d_batch(g):
    return shape.unsqueeze(g, 0) if g.data.ndim == 3 else g


def _tensor_of(array: np.ndarray, like: Tensor) -> Tensor:
    return Tensor(np.asarray(array, dtype=like.data.dtype))


AVG_POOL = Op("AvgPool2DBackward0", _avg_pool_forward, _avg_pool_backward, saves=False)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    x = as_tensor(input)
    if x.data.ndim < 3:
        raise TcalcIndexError(f"Dimension out of range (expected to be in range of [{-max(x.data.ndim, 1)}, "
                              f"{max(x.data.ndim, 1) - 1}], but got -3)")
    if x.data.ndim > 4 or 0 in x.data.shape[-3:]:
        raise ShapeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    _pool_dtype(x, "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise TcalcValueError("divisor must be not zero")
    windows, outs = _pool_arguments(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    check_shape(x.data.shape[:-2] + outs)
    divisor = _avg_divisor(x.data.shape[-2:], outs, windows["kernel"], windows["stride"], windows["pads"],
                           count_include_pad, divisor_override)
    return apply(AVG_POOL, (x,), (x.data,), divisor=divisor, windows=windows)


# ---- 1-d pooling: the 2-d op on a height of 1, squeezed after (PyTorch's SqueezeBackward1) ----

def _one(value, name: str, function: str):
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ShapeError(f"{function}: {name} must be an int or a tuple of one int")
        value = value[0]
    return value


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    x = as_tensor(input)
    if x.data.ndim not in (2, 3) or 0 in x.data.shape[-2:]:
        raise ShapeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                         f"input, but got:{_size(x.data.shape)}")
    kernel, padding = _one(kernel_size, "kernel_size", "max_pool1d"), _one(padding, "padding", "max_pool1d")
    stride = kernel if stride is None or stride == [] or stride == () else _one(stride, "stride", "max_pool1d")
    dilation = _one(dilation, "dilation", "max_pool1d")
    if isinstance(kernel, int) and kernel <= 0:
        raise TcalcValueError(f"max_pool1d() kernel_size must be greater than zero, but got {kernel}")
    if isinstance(stride, int) and stride <= 0:
        raise TcalcValueError(f"max_pool1d() stride must be greater than zero, but got {stride}")
    if isinstance(padding, int) and padding < 0:
        raise TcalcValueError(f"max_pool1d() padding must be non-negative, but got {padding}")
    if isinstance(padding, int) and isinstance(kernel, int) and padding > kernel // 2:
        raise TcalcValueError(f"max_pool1d() padding should be at most half of kernel size, but got "
                              f"padding={padding} and kernel_size={kernel}")
    if isinstance(dilation, int) and dilation <= 0:
        raise TcalcValueError(f"max_pool1d() dilation must be greater than zero, but got {dilation}")
    if all(isinstance(v, int) for v in (kernel, stride, padding, dilation)):
        out = _pool_output(x.data.shape[-1], kernel, padding, stride, dilation, ceil_mode)
        if out <= 0:
            raise ShapeError(f"max_pool1d() Invalid computed output size: {out}")
    result = max_pool2d(shape.unsqueeze(x, -2), (1, kernel) if isinstance(kernel, int) else kernel,
                        (1, stride) if isinstance(stride, int) else stride,
                        (0, padding) if isinstance(padding, int) else padding,
                        (1, dilation) if isinstance(dilation, int) else dilation, ceil_mode, return_indices)
    if return_indices:
        return shape.squeeze(result[0], -2), shape.squeeze(result[1], -2)
    return shape.squeeze(result, -2)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    x = as_tensor(input)
    if x.data.ndim not in (2, 3):
        raise ShapeError(f"Expected 2 to 3 dimensions, but got {x.data.ndim}-dimensional tensor for argument #1 "
                         "'self' (while checking arguments for avg_pool1d)")
    kernel, padding = _one(kernel_size, "kernel_size", "avg_pool1d"), _one(padding, "padding", "avg_pool1d")
    stride = kernel if stride is None or stride == [] or stride == () else _one(stride, "stride", "avg_pool1d")
    result = avg_pool2d(shape.unsqueeze(x, -2), (1, kernel), (1, stride), (0, padding), ceil_mode, count_include_pad)
    return shape.squeeze(result, -2)
