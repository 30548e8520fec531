"""The calling convention of table functions: how the arguments a program passes reach a
Python function of tcalc's tables, and how a mismatch becomes the user's error.

`axis=` is accepted for `dim=` and `keepdims=` for `keepdim=` (NumPy's spellings, which
PyTorch takes too), `size=` for the sizes of a creation function (`zeros(size=(2, 3))`),
`device=` when it names the CPU, and `out=` on functions (not methods): the result is
written into `out` (tcalc.ops.out). A dtype argument is checked wherever it is given (by
keyword or by position), and arguments that do not bind report PyTorch's "invalid
combination of arguments" with the function's signature as the hint.
"""
from __future__ import annotations

from functools import lru_cache

from . import dtypes
from .errors import TcalcTypeError, TcalcValueError
from .values import Builtin, type_name


def call_table_function(name: str, function, args: tuple, kwargs: dict, method: bool = False):
    """Call a table function; a mismatch of arguments is the user's error, not ours."""
    out = None
    if kwargs:
        kwargs = dict(kwargs)
        parameters = _parameters(function)
        for numpy_spelling, torch_spelling in (("axis", "dim"), ("keepdims", "keepdim")):
            if numpy_spelling in kwargs and torch_spelling not in kwargs and numpy_spelling not in parameters:
                kwargs[torch_spelling] = kwargs.pop(numpy_spelling)
        if "dtype" in kwargs:
            kwargs["dtype"] = dtype_argument(kwargs["dtype"])
        if "size" in kwargs and parameters.get("size") == "VAR_POSITIONAL":
            receiver = args[:1] if method else ()
            if len(args) > len(receiver):
                raise TcalcTypeError(f"{name}() got multiple values for argument 'size'")
            args = receiver + (_sizes_argument(name, kwargs.pop("size")),)
        if "device" in kwargs and "device" not in parameters:
            _check_device(kwargs.pop("device"))
        if "out" in kwargs and not method and "out" not in parameters:
            from .ops import out as out_argument  # (here: few calls give out=)

            out = out_argument.check_out(name, kwargs.pop("out"))
            out_argument.refuse_autograd(name, args, out)
            if "dtype" in parameters and kwargs.get("dtype") is None:
                kwargs["dtype"] = out.dtype  # creation functions make out's dtype
    position = _dtype_position(function) if args else None
    if position is not None and position < len(args):
        # A dtype given by position (`arange(0, 4, 1, float64)`) is checked like dtype=.
        args = args[:position] + (dtype_argument(args[position]),) + args[position + 1:]
    try:
        result = function(*args, **kwargs)
    except TypeError as err:
        # Raised by the call itself (not inside the function): the arguments did not bind.
        if err.__traceback__ is not None and err.__traceback__.tb_next is None:
            raise TcalcTypeError(f"{name}() received an invalid combination of arguments: "
                                 f"{_binding_problem(str(err))}", hint=_usage(name, function, method)) from None
        raise
    if out is None:
        return result
    from .ops import out as out_argument

    return out_argument.write_out(name, result, out)


def _sizes_argument(name: str, size):
    """`size=` of zeros/ones/randn/...: a tuple, list or Size of ints, as PyTorch demands."""
    if isinstance(size, (tuple, list)):
        return tuple(size)
    raise TcalcTypeError(f"{name}(): argument 'size' must be tuple of ints, not {type_name(size)}")


def _check_device(device) -> None:
    """tcalc computes on the CPU: `device='cpu'` is accepted, any other device refused."""
    from .devices import device_type

    if device is not None and device_type(device) != "cpu":
        raise TcalcValueError("Torch not compiled with CUDA enabled",
                              hint="tcalc runs on the CPU only: leave out device=, or say device='cpu'")


@lru_cache(maxsize=None)
def _parameters(function) -> dict:
    """A table function's parameter names and kinds (POSITIONAL_OR_KEYWORD, VAR_POSITIONAL, ...; {} when
    Python cannot say)."""
    import inspect  # only for a call with keywords

    try:
        return {p.name: p.kind.name for p in inspect.signature(function).parameters.values()}
    except (TypeError, ValueError):
        return {}


def _usage(name: str, function, method: bool) -> str | None:
    """`arange(start, end=None, step=1, dtype=None, requires_grad=False)`, for a hint."""
    import inspect

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
    """The index of a positional `dtype` parameter of a table function, if it has one: read
    from its code object (its positional parameters come first among its variable names),
    which costs no import of inspect on every run's first call."""
    code = getattr(function, "__code__", None)
    if code is None:  # a builtin or a callable object: no positional dtype to check
        return None
    positional = code.co_varnames[:code.co_posonlyargcount + code.co_argcount]
    return positional.index("dtype") if "dtype" in positional else None


def _binding_problem(message: str) -> str:
    # Python says "<lambda>() got an unexpected keyword argument 'x'": keep what follows.
    return message.split(") ", 1)[1] if ") " in message else message


def dtype_argument(value):
    # float, np.float32: the table's types that stand for a dtype (builtins.PythonType and
    # numpy_module.NumpyType, the one Builtins with a dtype; numpy_module is not imported at start)
    dtype = getattr(value, "dtype", None) if isinstance(value, Builtin) else None
    if dtype is not None:
        return dtype
    if value is not None and not isinstance(value, dtypes.DType):
        raise TcalcTypeError(f"dtype must be a dtype such as torch.float32, not {type_name(value)}")
    return value
