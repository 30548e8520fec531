"""PyTorch's dtypes and its type-promotion rules, over NumPy dtypes."""
from __future__ import annotations

import numpy as np

from .errors import DTypeError

BOOL, INT, FLOAT = 0, 1, 2  # promotion categories


class DType:
    """A tensor element type, printed as PyTorch prints it (`torch.float32`)."""

    __slots__ = ("name", "numpy", "category", "torch_name")

    def __init__(self, name: str, numpy_type, category: int, torch_name: str):
        self.name = name
        self.numpy = np.dtype(numpy_type)
        self.category = category
        self.torch_name = torch_name  # as PyTorch's error messages spell it: Float, Long

    @property
    def is_floating_point(self) -> bool:
        return self.category == FLOAT

    def __repr__(self) -> str:
        return "torch." + self.name


bool_ = DType("bool", np.bool_, BOOL, "Bool")
uint8 = DType("uint8", np.uint8, INT, "Byte")
int8 = DType("int8", np.int8, INT, "Char")
int16 = DType("int16", np.int16, INT, "Short")
int32 = DType("int32", np.int32, INT, "Int")
int64 = DType("int64", np.int64, INT, "Long")
float16 = DType("float16", np.float16, FLOAT, "Half")
float32 = DType("float32", np.float32, FLOAT, "Float")
float64 = DType("float64", np.float64, FLOAT, "Double")

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NUMPY = {d.numpy: d for d in ALL}

# Names a user can write, bare or after `torch.`.
BY_NAME = {d.name: d for d in ALL}
BY_NAME.update(
    float=float32, double=float64, half=float16, long=int64, int=int32, short=int16,
)

DEFAULT_FLOAT = float32
DEFAULT_INT = int64


def of_array(array: np.ndarray) -> DType:
    try:
        return _BY_NUMPY[array.dtype]
    except KeyError:
        raise DTypeError(f"unsupported element type {array.dtype}") from None


def promote(a: DType, b: DType) -> DType:
    """The dtype of an op on two tensors of these dtypes (torch.promote_types)."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == FLOAT:
        return a if a.numpy.itemsize >= b.numpy.itemsize else b
    # Integers: NumPy agrees with PyTorch here (uint8 with int8 gives int16).
    return _BY_NUMPY[np.promote_types(a.numpy, b.numpy)]


def of_scalar(value) -> DType:
    """The dtype PyTorch gives a Python number standing alone (`tensor(3)` is int64)."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    return DEFAULT_FLOAT


_Tensor = None  # tcalc.tensor.Tensor, set by that module (it imports this one)
_SCALAR_CATEGORY = {bool: BOOL, int: INT, float: FLOAT}


def result_type(*operands) -> DType:
    """PyTorch's promotion: dimensioned tensors outrank 0-d tensors, which outrank Python
    numbers, unless a lower tier holds a higher category (float beats int beats bool)."""
    Tensor = _Tensor
    if len(operands) == 2:
        # The common cases first: two tensors of one dtype, a tensor with a Python number
        # of its category or a lower one. Both give the tensor's dtype in every tier.
        a, b = operands
        if type(a) is Tensor:
            d = _BY_NUMPY.get(a.data.dtype)
            if d is not None:
                if type(b) is Tensor:
                    if b.data.dtype is a.data.dtype or b.data.dtype == a.data.dtype:
                        return d
                elif _SCALAR_CATEGORY.get(type(b), 3) <= d.category:
                    return d
        elif type(b) is Tensor:
            d = _BY_NUMPY.get(b.data.dtype)
            if d is not None and _SCALAR_CATEGORY.get(type(a), 3) <= d.category:
                return d
    if Tensor is None:
        from .tensor import Tensor  # the one import cycle: Tensor uses dtypes

    tiers: list[DType | None] = [None, None, None]  # dimensioned, zero-dim, scalar
    for x in operands:
        if isinstance(x, Tensor):
            d, tier = x.dtype, (0 if x.data.ndim else 1)
        else:
            d, tier = of_scalar(x), 2
        tiers[tier] = d if tiers[tier] is None else promote(tiers[tier], d)
    result = None
    for tier, d in enumerate(tiers):
        if d is None:
            continue
        if result is None:
            result = d
        elif d.category > result.category:
            # A Python float among int tensors gives the default float, not float64.
            result = d if tier < 2 else (DEFAULT_FLOAT if d.category == FLOAT else d)
    return result


def can_cast(src: DType, dst: DType) -> bool:
    """Whether an in-place op may write a `src` result into a `dst` tensor."""
    return src.category <= dst.category
