"""The calling convention of table functions: how the arguments a program passes reach a
Python function of tcalc's tables, and how a mismatch becomes the user's error.

`axis=` is accepted for `dim=` (NumPy's spelling), a dtype argument is checked wherever it
is given (by keyword or by position), and arguments that do not bind report PyTorch's
"invalid combination of arguments" with the function's signature as the hint.
"""
from __future__ import annotations

import inspect
from functools import lru_cache

from . import builtins, dtypes
from .errors import TcalcTypeError
from .values import type_name


def call_table_function(name: str, function, args: tuple, kwargs: dict, method: bool = False):
    """Call a table function; a mismatch of arguments is the user's error, not ours."""
    if kwargs:
        if "axis" in kwargs and "dim" not in kwargs:
            kwargs = dict(kwargs)
            kwargs["dim"] = kwargs.pop("axis")
        if "dtype" in kwargs:
            kwargs = {k: dtype_argument(v) if k == "dtype" else v for k, v in kwargs.items()}
    position = _dtype_position(function) if args else None
    if position is not None and position < len(args):
        # A dtype given by position (`arange(0, 4, 1, float64)`) is checked like dtype=.
        args = args[:position] + (dtype_argument(args[position]),) + args[position + 1:]
    try:
        return function(*args, **kwargs)
    except TypeError as err:
        # Raised by the call itself (not inside the function): the arguments did not bind.
        if err.__traceback__ is not None and err.__traceback__.tb_next is None:
            raise TcalcTypeError(f"{name}() received an invalid combination of arguments: "
                                 f"{_binding_problem(str(err))}", hint=_usage(name, function, method)) from None
        raise


def _usage(name: str, function, method: bool) -> str | None:
    """`arange(start, end=None, step=1, dtype=None, requires_grad=False)`, for a hint."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    parameters = list(signature.parameters.values())[1 if method else 0:]
    if any(p.name.startswith("_") for p in parameters):
        return None
    text = str(signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty))
    return f"call it as {'x.' if method else ''}{name}{text}".replace("'", "")


@lru_cache(maxsize=None)
def _dtype_position(function) -> int | None:
    """The index of a positional `dtype` parameter of a table function, if it has one."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return None
    for i, p in enumerate(parameters):
        if p.kind in (p.VAR_POSITIONAL, p.KEYWORD_ONLY, p.VAR_KEYWORD):
            return None
        if p.name == "dtype":
            return i
    return None


def _binding_problem(message: str) -> str:
    # Python says "<lambda>() got an unexpected keyword argument 'x'": keep what follows.
    return message.split(") ", 1)[1] if ") " in message else message


def dtype_argument(value):
    if isinstance(value, builtins.PythonType) and value.dtype is not None:
        return value.dtype
    if value is not None and not isinstance(value, dtypes.DType):
        raise TcalcTypeError(f"dtype must be a dtype such as torch.float32, not {type_name(value)}")
    return value
