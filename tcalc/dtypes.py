"""PyTorch's dtypes, the names PyTorch gives each one, and its rules for promoting two
dtypes. Promoting operands (tensors and Python numbers) is tcalc.ops._base.result_type:
it tells a tensor from a number, and this module knows nothing of tensors."""
from __future__ import annotations

import numpy as np

from .errors import DTypeError

BOOL, INT, FLOAT = 0, 1, 2  # promotion categories


class DType:
    """A tensor element type, printed as PyTorch prints it (`torch.float32`), with the
    names PyTorch gives it elsewhere, one column each:

    torch_name         in error messages: Float, Long (and torch.FloatTensor, FloatStorage)
    conversion_method  the Tensor method that converts to it: x.float(), x.long()
    storage            torch's storage class, as torch.save's pickles name it: FloatStorage
    legacy_type        Tensor::toString(), in autograd's modified-in-place message: the legacy
                       type torch.FloatTensor, or CPUBoolType for bool, which has none
    cpp_type           its C++ type in c10's scalar-type table, as checked conversions say it
                       ("value cannot be converted to type int64_t without overflow")
    type_meta          the compiler's name for that type, as c10's TypeMeta prints a dtype in
                       C++ checks ("expected m1 and m2 to have the same dtype, but got: long
                       int != float")
    """

    __slots__ = ("name", "numpy", "category", "torch_name", "conversion_method", "storage",
                 "legacy_type", "cpp_type", "type_meta")

    def __init__(self, name: str, numpy_type, category: int, torch_name: str, conversion_method: str,
                 legacy_type: str, cpp_type: str, type_meta: str):
        self.name = name
        self.numpy = np.dtype(numpy_type)
        self.category = category
        self.torch_name = torch_name
        self.conversion_method = conversion_method
        self.storage = torch_name + "Storage"
        self.legacy_type = legacy_type
        self.cpp_type = cpp_type
        self.type_meta = type_meta

    @property
    def is_floating_point(self) -> bool:
        return self.category == FLOAT

    def __repr__(self) -> str:
        return "torch." + self.name


#               name       NumPy       kind   torch     method    legacy_type           cpp_type    type_meta
bool_   = DType("bool",    np.bool_,   BOOL,  "Bool",   "bool",   "CPUBoolType",        "bool",     "bool")
uint8   = DType("uint8",   np.uint8,   INT,   "Byte",   "byte",   "torch.ByteTensor",   "uint8_t",  "unsigned char")
int8    = DType("int8",    np.int8,    INT,   "Char",   "char",   "torch.CharTensor",   "int8_t",   "signed char")
int16   = DType("int16",   np.int16,   INT,   "Short",  "short",  "torch.ShortTensor",  "int16_t",  "short int")
int32   = DType("int32",   np.int32,   INT,   "Int",    "int",    "torch.IntTensor",    "int",      "int")
int64   = DType("int64",   np.int64,   INT,   "Long",   "long",   "torch.LongTensor",   "int64_t",  "long int")
float16 = DType("float16", np.float16, FLOAT, "Half",   "half",   "torch.HalfTensor",   "at::Half", "c10::Half")
float32 = DType("float32", np.float32, FLOAT, "Float",  "float",  "torch.FloatTensor",  "float",    "float")
float64 = DType("float64", np.float64, FLOAT, "Double", "double", "torch.DoubleTensor", "double",   "double")

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
BY_NUMPY = {d.numpy: d for d in ALL}

# Names a user can write, bare or after `torch.`.
BY_NAME = {d.name: d for d in ALL}
BY_NAME.update(
    float=float32, double=float64, half=float16, long=int64, int=int32, short=int16,
)

DEFAULT_FLOAT = float32


def of_array(array: np.ndarray) -> DType:
    try:
        return BY_NUMPY[array.dtype]
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
    return BY_NUMPY[np.promote_types(a.numpy, b.numpy)]


def of_scalar(value) -> DType:
    """The dtype PyTorch gives a Python number standing alone (`tensor(3)` is int64)."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    return DEFAULT_FLOAT


def can_cast(src: DType, dst: DType) -> bool:
    """Whether an in-place op may write a `src` result into a `dst` tensor."""
    return src.category <= dst.category
