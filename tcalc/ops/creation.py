"""Functions that make new tensors: from data, from sizes, ranges and random numbers."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..errors import AutogradError, DTypeError, ShapeError, TcalcTypeError, TcalcValueError
from ..tensor import Tensor
from .convert import requires_grad_
from .shape import sizes_from

# Like PyTorch, whose default generator starts from the same seed in every process, a new
# session's random numbers repeat from run to run (the values differ from PyTorch's).
DEFAULT_SEED = 67280421310721
_rng = np.random.default_rng(DEFAULT_SEED)


def manual_seed(seed) -> None:
    global _rng
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TcalcTypeError("manual_seed expects an int")
    _rng = np.random.default_rng(seed)


def _finish(data: np.ndarray, requires_grad: bool) -> Tensor:
    result = Tensor(data)
    if requires_grad:
        requires_grad_(result, True)
    return result


def _checked_sizes(args) -> tuple[int, ...]:
    shape = sizes_from(args)
    for n in shape:
        if n < 0:
            raise ShapeError(f"Trying to create tensor with negative dimension {n}: {list(shape)}")
    from ..limits import check_elements

    check_elements(math.prod(shape))
    return shape


def zeros(*size, dtype=None, requires_grad=False) -> Tensor:
    dtype = dtype or dtypes.DEFAULT_FLOAT
    return _finish(np.zeros(_checked_sizes(size), dtype=dtype.numpy), requires_grad)


def ones(*size, dtype=None, requires_grad=False) -> Tensor:
    dtype = dtype or dtypes.DEFAULT_FLOAT
    return _finish(np.ones(_checked_sizes(size), dtype=dtype.numpy), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False) -> Tensor:
    dtype = dtype or dtypes.of_scalar(fill_value)
    return _finish(np.full(_checked_sizes((size,)), fill_value, dtype=dtype.numpy), requires_grad)


def empty(*size, dtype=None, requires_grad=False) -> Tensor:
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def _float_dtype(dtype, name: str) -> dtypes.DType:
    dtype = dtype or dtypes.DEFAULT_FLOAT
    if not dtype.is_floating_point:
        raise DTypeError(f'"{name}" not implemented for \'{dtype.torch_name}\'')
    return dtype


def randn(*size, dtype=None, requires_grad=False) -> Tensor:
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    return _finish(_rng.standard_normal(_checked_sizes(size)).astype(dtype.numpy), requires_grad)


def rand(*size, dtype=None, requires_grad=False) -> Tensor:
    dtype = _float_dtype(dtype, "check_uniform_bounds")
    return _finish(_rng.random(_checked_sizes(size)).astype(dtype.numpy), requires_grad)


def _like(x, dtype):
    if type(x) is not Tensor:
        raise TcalcTypeError("expected a tensor")
    return x.data.shape, dtype or x.dtype


def zeros_like(x, dtype=None, requires_grad=False) -> Tensor:
    shape, dtype = _like(x, dtype)
    return _finish(np.zeros(shape, dtype=dtype.numpy), requires_grad)


def ones_like(x, dtype=None, requires_grad=False) -> Tensor:
    shape, dtype = _like(x, dtype)
    return _finish(np.ones(shape, dtype=dtype.numpy), requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False) -> Tensor:
    shape, dtype = _like(x, dtype)
    return _finish(np.full(shape, fill_value, dtype=dtype.numpy), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    for v in (start, end, step):
        if not isinstance(v, (int, float)) and not (type(v) is Tensor and v.data.ndim == 0):
            raise TcalcTypeError("arange() expects numbers for start, end and step")
    start, end, step = (v.data.item() if type(v) is Tensor else v for v in (start, end, step))
    if step == 0:
        raise TcalcValueError("step must be nonzero")
    if (end - start) * step < 0:
        raise TcalcValueError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_int = all(isinstance(v, int) for v in (start, end, step))
        dtype = dtypes.int64 if is_int else dtypes.DEFAULT_FLOAT
    count = max(math.ceil((end - start) / step), 0)
    from ..limits import check_elements

    check_elements(count)
    data = (start + np.arange(count, dtype=np.float64) * step) if dtype.is_floating_point \
        else np.arange(start, end, step, dtype=np.int64)
    return _finish(data.astype(dtype.numpy), requires_grad)


def tensor(data, dtype=None, requires_grad=False) -> Tensor:
    """A tensor from a number, a nested list/tuple, or another tensor (copied)."""
    if type(data) is Tensor:
        array = data.data.copy()
        inferred = data.dtype
    else:
        shape = _nested_shape(data)
        from ..limits import check_elements

        check_elements(math.prod(shape))
        flat = list(_flatten(data))
        inferred = _infer_dtype(flat)
        array = np.array(flat, dtype=inferred.numpy).reshape(shape)
    if dtype is not None and dtype is not inferred:
        array = array.astype(dtype.numpy)
    return _finish(array, requires_grad)


def _nested_shape(data, depth: int = 0) -> tuple[int, ...]:
    if isinstance(data, (list, tuple)):
        if not data:
            return (0,)
        inner = [_nested_shape(item, depth + 1) for item in data]
        for i, s in enumerate(inner):
            if s != inner[0]:
                raise TcalcValueError(
                    f"expected sequence of length {inner[0][0] if inner[0] else 0} at dim "
                    f"{depth + 1} (got {s[0] if s else 0})")
        return (len(data),) + inner[0]
    if type(data) is Tensor:
        return data.data.shape
    if isinstance(data, (bool, int, float)):
        return ()
    from ..render import type_name

    raise TcalcTypeError(f"Could not infer dtype of {type_name(data)}")


def _flatten(data):
    if isinstance(data, (list, tuple)):
        for item in data:
            yield from _flatten(item)
    elif type(data) is Tensor:
        yield from data.data.reshape(-1).tolist()
    else:
        yield data


def _infer_dtype(flat: list) -> dtypes.DType:
    if not flat:
        return dtypes.DEFAULT_FLOAT
    if any(isinstance(v, float) for v in flat):
        return dtypes.DEFAULT_FLOAT
    if all(isinstance(v, bool) for v in flat):
        return dtypes.bool_
    return dtypes.int64
