"""`type(x)` and `isinstance(x, torch.Tensor)`: the types of the language's values, shown
as Jupyter shows a class (`torch.Tensor`, `numpy.ndarray`, `int`) and written by print()
as Python writes one (`<class 'float'>`)."""
from __future__ import annotations

import numpy as np

from . import dtypes
from .autograd import Node
from .errors import TcalcTypeError
from .objects import ObjectValue
from .tensor import Size, Tensor
from .values import CALLABLES, Generator, Namespace, ReturnTypes, type_name


class TypeValue:
    """A class as a value. `path` is IPython's text for it (the module, then the name; no
    module for Python's builtins); `test` says whether a value is an instance."""

    __slots__ = ("path", "test")

    def __init__(self, path: str, test=None):
        self.path = path
        self.test = test

    def __repr__(self) -> str:  # what Jupyter shows
        return self.path

    def __str__(self) -> str:  # what print() writes
        return f"<class '{self.path}'>"

    python_repr = __str__  # Python's repr() of a class, inside a list print() writes

    def __eq__(self, other) -> bool:
        return isinstance(other, TypeValue) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)


TENSOR = TypeValue("torch.Tensor", lambda v: type(v) is Tensor)
NDARRAY = TypeValue("numpy.ndarray", lambda v: isinstance(v, np.ndarray))
# Python's own, for isinstance(x, int) where int is the `int` builtin (tcalc.builtins.PythonType)
PYTHON = {name: TypeValue(name, lambda v, t=t: isinstance(v, t) and not isinstance(v, np.ndarray))
          for name, t in (("int", int), ("float", float), ("bool", bool), ("str", str),
                          ("tuple", tuple), ("list", list))}

_SIMPLE = ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"))


def type_of(value) -> TypeValue:
    """type(value), named as Jupyter names it."""
    if type(value) is Tensor:
        return TENSOR
    if isinstance(value, np.ndarray):
        return NDARRAY
    if isinstance(value, np.generic):  # np.float64(1.5): NumPy's scalar types
        return TypeValue(f"numpy.{type(value).__name__}")
    for python_type, name in _SIMPLE:
        if type(value) is python_type:
            return PYTHON[name]
    if value is None:
        return TypeValue("NoneType")
    if isinstance(value, Size):
        return TypeValue("torch.Size")
    if isinstance(value, ReturnTypes):
        return TypeValue(f"torch.return_types.{value.name}")
    if isinstance(value, dtypes.DType):
        return TypeValue("torch.dtype")
    if isinstance(value, ObjectValue):
        return TypeValue(value.type_path)
    if isinstance(value, Generator):
        return TypeValue("torch._C.Generator")
    if isinstance(value, Namespace):
        return TypeValue("module")
    if isinstance(value, Node):
        return TypeValue(f"{value.name}")
    if isinstance(value, TypeValue):
        return TypeValue("type")
    if isinstance(value, CALLABLES):
        return TypeValue("builtin_function_or_method")
    if type(value) in (tuple, list):
        return PYTHON[type(value).__name__]
    return TypeValue(type_name(value))


def is_instance(value, classinfo) -> bool:
    """isinstance(value, torch.Tensor), isinstance(n, (int, float))."""
    if isinstance(classinfo, tuple):
        return any(is_instance(value, c) for c in classinfo)
    kind = as_type(classinfo)
    if kind is None:
        raise TcalcTypeError("isinstance() arg 2 must be a type, a tuple of types, or a union")
    if kind.test is not None:
        return bool(kind.test(value))
    return type_of(value) == kind


def as_type(classinfo) -> TypeValue | None:
    """A class given to isinstance: a type value, or one of the builtins int/float/bool."""
    if isinstance(classinfo, TypeValue):
        return classinfo
    if type(classinfo).__name__ == "NumpyType":  # np.float32
        return classinfo.as_type()
    name = getattr(classinfo, "name", None)
    if type(classinfo).__name__ == "PythonType" and name in PYTHON:
        return PYTHON[name]
    return None
