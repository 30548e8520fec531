"""The small `numpy` that tutorials import as np: the functions their cells call, on real
NumPy arrays, which print as IPython prints them (`array([2., 2., 2.])`). Nothing else of
NumPy is reachable: any other name is refused, saying so.

`torch.from_numpy(a)` shares a's memory (a change to one shows in the other), as does
`x.numpy()`; `torch.tensor(a)` copies; `torch.as_tensor(a)` shares when it can.
"""
from __future__ import annotations

import math

import numpy as np

from . import dtypes, limits
from .errors import AutogradError, TcalcTypeError, TcalcValueError
from .objects import Members
from .ops import to_dtype
from .ops.creation import check_numpy_dtype
from .ops.creation import tensor as make_tensor
from .tensor import Tensor
from .type_values import TypeValue
from .values import Builtin, Later, type_name


class NumpyType(Builtin):
    """np.float32 and friends: a type (`numpy.float32`), a conversion (`np.float64(2.5)`)
    and a dtype= argument, as in NumPy."""

    __slots__ = ("dtype",)

    def __init__(self, dtype: dtypes.DType):
        super().__init__(dtype.numpy.name, lambda value: self._convert(value))
        self.dtype = dtype

    def _convert(self, value):
        return self.dtype.numpy.type(_array_of(value, self.name))

    def as_type(self) -> TypeValue:
        return TypeValue(repr(self), lambda v: isinstance(v, self.dtype.numpy.type))

    def __repr__(self) -> str:
        return f"numpy.{self.dtype.numpy.name}"


def _array_of(value, name: str) -> np.ndarray:
    """What NumPy makes of a value: tensors give their (shared) array, as np.asarray does."""
    if type(value) is Tensor:
        if value.requires_grad:
            raise AutogradError("Can't call numpy() on Tensor that requires grad. Use "
                                "tensor.detach().numpy() instead.", hint="x.detach().numpy()")
        return value.data
    if isinstance(value, (np.ndarray, np.generic, bool, int, float)):
        return np.asarray(value)
    if isinstance(value, (list, tuple)):
        try:
            return np.array([_array_of(v, name) if type(v) is Tensor else v for v in value])
        except (ValueError, TypeError) as err:
            raise TcalcValueError(str(err).splitlines()[0]) from None
    raise TcalcTypeError(f"numpy.{name}(): cannot make an array from a {type_name(value)}")


def _numpy_dtype(dtype):
    return None if dtype is None else dtype.numpy


def array(object, dtype=None, copy=True):
    values = _array_of(object, "array")
    return np.array(values, dtype=_numpy_dtype(dtype), copy=bool(copy))


def asarray(a, dtype=None):
    return np.asarray(_array_of(a, "asarray"), dtype=_numpy_dtype(dtype))


def _shape(shape, name: str) -> tuple:
    shape = (shape,) if isinstance(shape, int) else shape
    if not isinstance(shape, (tuple, list)) or not all(isinstance(n, int) and not isinstance(n, bool)
                                                       for n in shape):
        raise TcalcTypeError(f"numpy.{name}(): the shape must be an int or a tuple of ints, not "
                             f"{type_name(shape)}")
    if any(n < 0 for n in shape):
        raise TcalcValueError("negative dimensions are not allowed")
    limits.check_shape(shape)
    return tuple(shape)


def ones(shape, dtype=None):
    return np.ones(_shape(shape, "ones"), dtype=_numpy_dtype(dtype) or np.float64)


def zeros(shape, dtype=None):
    return np.zeros(_shape(shape, "zeros"), dtype=_numpy_dtype(dtype) or np.float64)


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise TcalcValueError("Maximum allowed size exceeded")
    limits.check_elements(max(0, math.ceil((stop - start) / step)))
    return np.arange(start, stop, step, dtype=_numpy_dtype(dtype))


def linspace(start, stop, num=50, endpoint=True, dtype=None):
    limits.check_elements(num)
    return np.linspace(start, stop, num, endpoint=endpoint, dtype=_numpy_dtype(dtype))


def _binary_ufunc(name: str, ufunc):
    def apply(x1, x2, out=None):
        a, b = _array_of(x1, name), _array_of(x2, name)
        if out is None:
            return ufunc(a, b)
        if not isinstance(out, np.ndarray):
            raise TcalcTypeError("return arrays must be of ArrayType")
        return ufunc(a, b, out=out)  # NumPy's casting and broadcasting rules and messages

    apply.__name__ = name
    return apply


def _unary_ufunc(name: str, ufunc):
    def apply(x, out=None):
        if out is not None and not isinstance(out, np.ndarray):
            raise TcalcTypeError("return arrays must be of ArrayType")
        with np.errstate(all="ignore"):
            return ufunc(_array_of(x, name), out=out)

    apply.__name__ = name
    return apply


def _reduction(name: str, function):
    def reduce(a, axis=None, dtype=None, keepdims=False):
        return function(_array_of(a, name), axis=axis, dtype=_numpy_dtype(dtype), keepdims=keepdims)

    reduce.__name__ = name
    return reduce


FUNCTIONS = {
    "array": array, "asarray": asarray, "ones": ones, "zeros": zeros, "arange": arange,
    "linspace": linspace,
    **{name: _binary_ufunc(name, ufunc) for name, ufunc in (
        ("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply), ("divide", np.divide))},
    **{name: _unary_ufunc(name, ufunc) for name, ufunc in (
        ("sin", np.sin), ("cos", np.cos), ("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt),
        ("abs", np.abs))},
    "sum": _reduction("sum", np.sum), "mean": _reduction("mean", np.mean),
}

TYPES = {d.numpy.name: NumpyType(d) for d in (dtypes.float32, dtypes.float64, dtypes.int64, dtypes.int32,
                                              dtypes.bool_)}
TYPES["bool_"] = TYPES.pop("bool")
NDARRAY_TYPE = TypeValue("numpy.ndarray", lambda v: isinstance(v, np.ndarray))


# NumPy's np.save / np.savez / np.load / np.loadtxt / np.savetxt: .npy and .npz in NumPy's
# formats (tcalc.numpy_files), text tables (tcalc.text_files), each imported at its first call.

FILES = {"save": Later("tcalc.numpy_files", "np_save"), "savez": Later("tcalc.numpy_files", "np_savez"),
         "load": Later("tcalc.numpy_files", "np_load"), "loadtxt": Later("tcalc.text_files", "np_loadtxt"),
         "savetxt": Later("tcalc.text_files", "np_savetxt")}

# The members of the `numpy` a program imports (tcalc.builtins' namespace of that name
# takes them when first read).
MEMBERS = Members(
    "tcalc's numpy",
    {**{name: Builtin(name, f) for name, f in FUNCTIONS.items()}, **TYPES, "ndarray": NDARRAY_TYPE,
     "pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan,
     **{name: Builtin(name, f) for name, f in FILES.items()}},
    hint="tcalc's numpy has only " + ", ".join(sorted(FUNCTIONS)) + " and dtypes; "
         "convert to a tensor (torch.from_numpy) for the rest")


# ---- the methods of an array -------------------------------------------------------------
#
# `a.reshape(2, 3)`, `a.sum()`, `a.astype(np.float32)`, `a.tolist()`: NumPy's own, on the
# arrays `x.numpy()` and np's functions give, with NumPy's errors. Each result is no larger
# than the array (tolist's items are counted against the list limit first).

def _numpy_errors(call):
    try:
        return call()
    except (ValueError, TypeError) as err:  # NumPy's AxisError is a ValueError
        kind = TcalcTypeError if isinstance(err, TypeError) else TcalcValueError
        raise kind(str(err).splitlines()[0]) from None


def _shape_of(shape: tuple, name: str) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
        raise TcalcTypeError(f"{name}(): the shape must be ints or a tuple of ints")
    return shape


def _reshape(a, *shape):
    shape = _shape_of(shape, "reshape")
    return _numpy_errors(lambda: a.reshape(shape))


def _transpose(a, *axes):
    axes = _shape_of(axes, "transpose") or None
    return _numpy_errors(lambda: a.transpose(axes))


def _astype(a, kind, /):
    """(`kind` by position only: a `dtype` parameter would be read as a torch dtype.)"""
    if isinstance(kind, str) and kind in _DTYPE_NAMES:
        target = np.dtype(kind)
    elif isinstance(kind, Builtin) and getattr(kind, "dtype", None) is not None:  # np.float32, float
        target = kind.dtype.numpy
    elif isinstance(kind, str):
        raise TcalcTypeError(f"data type {kind!r} not understood")
    else:  # NumPy names the value as its repr shows it: a torch dtype as torch.float32
        shown = repr(kind) if isinstance(kind, dtypes.DType) else type_name(kind)
        raise TcalcTypeError(f"Cannot interpret '{shown}' as a data type")
    with np.errstate(all="ignore"):
        return a.astype(target)


_DTYPE_NAMES = frozenset(("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                          "bool", "float", "int", "complex64", "complex128"))


def _tolist(a):
    limits.check_list(a.size)
    return a.tolist()


def _item(a):
    return _numpy_errors(a.item)


def _array_reduction(function):
    def reduce(a, axis=None, dtype=None, keepdims=False):
        dtype = _numpy_dtype(dtype)
        with np.errstate(all="ignore"):
            return _numpy_errors(lambda: function(a, axis=axis, dtype=dtype, keepdims=keepdims))
    return reduce


def _array_extreme(function):
    def extreme(a, axis=None, keepdims=False):
        return _numpy_errors(lambda: function(a, axis=axis, keepdims=keepdims))
    return extreme


def _array_index(function):
    def index(a, axis=None):
        return _numpy_errors(lambda: function(a, axis=axis))
    return index


def _cumulative(function):
    def cumulative(a, axis=None, dtype=None):
        dtype = _numpy_dtype(dtype)
        return _numpy_errors(lambda: function(a, axis=axis, dtype=dtype))
    return cumulative


ARRAY_METHODS = {name: Builtin(name, f) for name, f in {
    "reshape": _reshape, "transpose": _transpose, "astype": _astype, "tolist": _tolist, "item": _item,
    "copy": np.copy, "flatten": np.ravel, "ravel": np.ravel,
    "squeeze": lambda a, axis=None: _numpy_errors(lambda: np.squeeze(a, axis)),
    **{name: _array_reduction(f) for name, f in (("sum", np.sum), ("mean", np.mean), ("prod", np.prod),
                                                 ("std", np.std), ("var", np.var))},
    **{name: _array_extreme(f) for name, f in (("max", np.max), ("min", np.min), ("any", np.any),
                                               ("all", np.all))},
    **{name: _array_index(f) for name, f in (("argmax", np.argmax), ("argmin", np.argmin))},
    **{name: _cumulative(f) for name, f in (("cumsum", np.cumsum), ("cumprod", np.cumprod))},
}.items()}


# ---- the bridge on torch's side -----------------------------------------------------------

def from_numpy(a) -> Tensor:
    """A tensor sharing the array's memory."""
    if not isinstance(a, np.ndarray):
        raise TcalcTypeError(f"expected np.ndarray (got {type_name(a)})")
    check_numpy_dtype(a)
    return Tensor(a)


def as_tensor(data, dtype=None) -> Tensor:
    """Shares an array (or returns the tensor) when no conversion is needed, else copies."""
    if type(data) is Tensor:
        return data if dtype is None else to_dtype(data, dtype)
    if isinstance(data, np.ndarray):
        check_numpy_dtype(data)
        shared = Tensor(data)
        return shared if dtype is None or dtype.numpy == data.dtype else to_dtype(shared, dtype)
    return make_tensor(data, dtype=dtype)
