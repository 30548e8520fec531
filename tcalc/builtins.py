"""Every name a user can reach: functions, tensor methods and attributes, dtypes, `torch.`.

Nothing outside these tables is reachable from the language: the evaluator looks names up
here and never in Python's own namespaces. Every function, method, attribute and setter is
one row of TABLE (its name, its implementation, where it is reachable and what calling it
changes); FUNCTIONS, METHODS, ATTRIBUTES and SETTABLE are built from the rows.
"""
from __future__ import annotations

import builtins as _py
import math

import numpy as np

from . import autograd as _autograd
from . import (
    differentiate,
    dtypes,
    limits,
    ops,
    python_values,
    type_values,
)
from . import printing as _printing
from .autograd import Node as _Node
from .batched import Batched as _Batched
from .batched import NoBatchingRule as _NoBatchingRule
from .errors import AutogradError, TcalcNameError, TcalcTypeError, TcalcValueError
from .hints import attribute_hint, pytorch_only
from .objects import Members
from .tensor import Size, Tensor, version
from .values import (
    CALLABLES,
    CALLS_BACK,
    CHANGES_CONTENTS,
    CHANGES_FLAGS,
    RUNS_BACKWARD,
    WRITES_OUTPUT,
    BoundMethod,
    Builtin,
    Generator,
    GradMode,
    Later,
    Namespace,
    RemovableHandle,
    SessionBuiltin,
    type_name,
)
from .values import AccumulateGrad as _AccumulateGrad

# The tables name the functions of ops modules not imported at start this way: each is
# imported when a program first calls one of its names (tcalc.ops, _LATER).
_later = ops.later


def _functional(name: str) -> Later:
    """torch.func's and torch.autograd.functional's functions, imported at their first call."""
    return Later("tcalc.functional", name)

# ---- Python-level builtins (LANGUAGE.md, "Names") ---------------------------------------

def _one_element(x, kind: str):
    if type(x) is Tensor:
        if x.data.size != 1:
            raise TcalcValueError("only one element tensors can be converted to Python scalars",
                                  hint=f"{kind}() needs one element: index or reduce the tensor first")
        return x.data.reshape(()).item()
    return x


class PythonType(Builtin):
    """float, int and bool: convert one-element tensors and numbers, and serve as dtype=
    arguments the way PyTorch reads Python's types (float -> float64)."""

    __slots__ = ("dtype",)

    def __init__(self, name, convert, dtype):
        super().__init__(name, convert)
        self.dtype = dtype

    def __repr__(self):
        return f"<class '{self.name}'>"


def _to_float(x=0.0):
    x = _one_element(x, "float")
    if isinstance(x, str):
        try:
            return _py.float(x)
        except ValueError:
            raise TcalcValueError(f"could not convert string to float: {x!r}") from None
    _number(x, "float")
    return _py.float(x)


def _to_int(x=0, base=None):
    if isinstance(x, str):  # Python's own parse of the text (its errors and digit limit)
        if base is not None and not isinstance(base, int):
            raise TcalcTypeError(f"'{type_name(base)}' object cannot be interpreted as an integer")
        if base is None or base == 10:
            limits.check_int_literal(x.strip().lstrip("+-"), "int() of a string")
        try:
            return _py.int(x, 10 if base is None else base)
        except ValueError as err:
            raise TcalcValueError(str(err)) from None
    if base is not None:
        raise TcalcTypeError("int() can't convert non-string with explicit base")
    x = _one_element(x, "int")
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        raise TcalcValueError(f"cannot convert float {x} to integer")
    _number(x, "int")
    return _py.int(x)


def _to_bool(x=False):
    if type(x) is Tensor and x.data.size != 1:
        raise TcalcValueError(f"Boolean value of Tensor with {'no values' if x.data.size == 0 else 'more than one value'}"
                              " is ambiguous", hint="use .any() or .all()")
    return _py.bool(_one_element(x, "bool"))


def _number(x, kind):
    if not isinstance(x, (bool, int, float)):
        raise TcalcTypeError(f"{kind}() argument must be a number or a one-element tensor, not "
                             f"{type_name(x)}")




def _len(x):
    if type(x) is Tensor:
        if x.data.ndim == 0:
            raise TcalcTypeError("len() of a 0-d tensor")
        return x.data.shape[0]
    if isinstance(x, (tuple, list, str, dict, set, _py.range, np.ndarray) + python_values.DICT_VIEWS):
        return _py.len(x)
    raise TcalcTypeError(f"object of type '{type_name(x)}' has no len()")


def _numbers_only(*args):
    return args and all(isinstance(a, (int, float)) for a in args)


def _abs(x):
    return _py.abs(x) if _numbers_only(x) else ops.abs(x)


def _sum(x, dim=None, keepdim=False, dtype=None, start=0):
    """PyTorch's sum on a tensor; Python's on an iterable (`sum(x ** 2 for x in xs)`)."""
    if type(x) is Tensor or not _is_iterable(x):
        return ops.sum(x, dim, keepdim, dtype)
    total = start if dim is None else dim  # sum(iterable, start) gives start by position
    for item in python_values.iterate(x):
        # (lists and tuples through the language's +, which holds them to the item limit)
        total = python_values.sequence_arithmetic("+", total, item) if type(total) in (list, tuple) \
            else total + item
    return total


def _is_iterable(x) -> bool:
    return isinstance(x, (tuple, list, dict, set, _py.range) + python_values.DICT_VIEWS) or hasattr(x, "__next__")


# ---- tensor helpers that are not ops ---------------------------------------------------

def _numel(x):
    return ops._base.as_tensor(x).data.size


def _is_tensor(x):
    return type(x) is Tensor


def _save(obj, f, *args, **kwargs):
    from . import serialization  # zipfile is imported only by a run that saves or loads

    return serialization.save(obj, f)


def _load(f, *args, **kwargs):
    from . import serialization

    return serialization.load(f, *args, **kwargs)


def _size(x, dim=None):
    if dim is None:
        return Size(x.data.shape)
    return x.data.shape[ops._base.normalize_dim(dim, x.data.ndim)]


def _dim(x):
    return x.data.ndim


def _to(x, *args, dtype=None, copy=False, **ignored):
    """x.to(dtype), x.to('cpu'), x.to(other_tensor)."""
    for a in args:
        if isinstance(a, dtypes.DType):
            dtype = a
        elif type(a) is Tensor:
            dtype = a.dtype
        elif isinstance(a, str) and a != "cpu":
            raise TcalcValueError(f"tcalc runs on the CPU only; cannot move a tensor to {a!r}")
    return ops.to_dtype(x, dtype, copy=copy) if dtype is not None else x


def _conversion(dtype):
    return lambda x: ops.to_dtype(x, dtype)


def _type_as(x, other):
    if type(other) is not Tensor:
        raise TcalcTypeError("type_as(): argument 'other' (position 1) must be Tensor, not "
                             f"{type_name(other)}", hint="pass a tensor whose dtype to take, "
                             "or convert with x.to(torch.float32)")
    return ops.to_dtype(x, other.dtype)


def _type(x, dtype=None):
    """x.type(): the legacy type name ('torch.FloatTensor'); x.type(dtype) converts."""
    if dtype is None:
        return f"torch.{x.dtype.torch_name}Tensor"
    return ops.to_dtype(x, _dtype_of(dtype))


def _dtype_of(value):
    if isinstance(value, PythonType):
        return value.dtype
    if not isinstance(value, dtypes.DType):
        raise TcalcTypeError("type() expects a dtype such as torch.float64")
    return value


def _where_method(x, condition, other):
    # x.where(condition, y) is where(condition, x, y): the receiver is the value kept.
    return ops.where(condition, x, other)


def _set_requires_grad(x, value):
    if not isinstance(value, bool):
        raise TcalcTypeError("requires_grad must be a bool", hint="write x.requires_grad = True")
    if value and not x.dtype.is_floating_point:  # the attribute words it otherwise than requires_grad_()
        raise AutogradError("only Tensors of floating point and complex dtype can require gradients",
                            hint="convert first: x = x.float(); x.requires_grad = True")
    ops.requires_grad_(x, value)


def _set_grad(x, value):
    if value is not None and type(value) is not Tensor:
        raise TcalcTypeError("assigned grad expected to be a Tensor or None")
    if value is not None and value.dtype is not x.dtype:
        raise TcalcValueError(f"attempting to assign a gradient with dtype '{value.dtype.type_meta}' to a tensor "
                              f"with grad_dtype '{x.dtype.torch_name}'. The gradient must match the tensor's "
                              "grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype "
                              "attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with "
                              "caution. Diverging the dtypes of a tensor and its gradient may break downstream "
                              "systems that assume they match.",
                              hint=f"convert it first: x.grad = g.to({x.dtype!r})")
    if value is not None and value.data.shape != x.data.shape:
        raise TcalcValueError(f"attempting to assign a gradient of size '{list(value.data.shape)}' to a tensor "
                              f"of size '{list(x.data.shape)}'. Please ensure that the gradient and the "
                              "tensor are the same size")
    x.grad = value


def _autograd_grad(outputs, inputs, **kwargs):
    """torch.autograd.grad returns a tuple even for one input."""
    value = differentiate.grad(outputs, inputs, **kwargs)
    return value if isinstance(value, tuple) else (value,)


# ---- Python's builtins for Python's values ----------------------------------------------
#
# Each behaves as in Python on numbers, strings, lists, tuples, dicts and iterators; the
# ones PyTorch also has (sum, max, min, abs, round, all, any) are PyTorch's on tensors.

def _print_text(*values, sep=" ", end="\n", file=None, flush=False):
    """The text print() writes (the evaluator hands it to the front end)."""
    for name, value in (("sep", sep), ("end", end)):
        if value is not None and type(value) is not str:
            raise TcalcTypeError(f"{name} must be None or a string, not {type_name(value)}")
    if file is not None:
        raise TcalcValueError("print(file=...) is not available in tcalc", hint="print writes to the output")
    return (" " if sep is None else sep).join(python_values.python_str(v) for v in values) + \
        ("\n" if end is None else end)


def _str(value=""):
    return python_values.python_str(value)


def _format(value, spec=""):
    if type(spec) is not str:
        raise TcalcTypeError(f"format() argument 2 must be str, not {type_name(spec)}")
    return python_values.format_value(value, spec)


def _as_int(value, what: str):
    if type(value) is Tensor and value.data.ndim == 0 and value.dtype.category == dtypes.INT:
        return int(value.data)
    if not isinstance(value, int):
        raise TcalcTypeError(f"'{type_name(value)}' object cannot be interpreted as an integer",
                             hint=f"{what} takes ints: int(x) converts a number")
    return value


def _range(*args):
    if not 1 <= _py.len(args) <= 3:
        raise TcalcTypeError(f"range expected at most 3 arguments, got {_py.len(args)}" if args
                             else "range expected at least 1 argument, got 0")
    bounds = [_as_int(a, "range()") for a in args]
    if _py.len(bounds) == 3 and bounds[2] == 0:
        raise TcalcValueError("range() arg 3 must not be zero")
    return _py.range(*bounds)


def _enumerate(iterable, start=0):
    return _py.enumerate(python_values.iterate(iterable), _as_int(start, "enumerate()"))


def _zip(*iterables, strict=False):
    return _py.zip(*(python_values.iterate(i) for i in iterables), strict=strict)


def _list(iterable=()):
    return python_values.collect(iterable)


def _tuple(iterable=()):
    return python_values.collect(iterable, tuple)


def _set(iterable=()):
    size = python_values.known_length(iterable)
    if size is not None:  # (collect would name it a list)
        limits.check_list(size, set)
    return {python_values.hashable(item) for item in python_values.collect(iterable)}


def _dict(items=(), **named):
    result = {}
    if isinstance(items, dict):
        result.update(items)
    else:
        for pair in python_values.collect(items):
            pair = python_values.collect(pair)
            if _py.len(pair) != 2:
                raise TcalcValueError(f"dictionary update sequence element has length {_py.len(pair)}; 2 is required")
            result[python_values.hashable(pair[0])] = pair[1]
    result.update(named)
    return result


def _sorted(iterable, key=None, reverse=False):
    items = python_values.collect(iterable)
    try:
        return _py.sorted(items, key=key, reverse=reverse)
    except TypeError as err:
        raise TcalcTypeError(str(err)) from None


def _reversed(sequence):
    if type(sequence) is Tensor or not isinstance(sequence, (list, tuple, str, _py.range)):
        return _py.reversed(python_values.collect(sequence))
    return _py.reversed(sequence)


def _map(function, *iterables):
    return _py.map(function, *(python_values.iterate(i) for i in iterables))


def _filter(function, iterable):
    if function is None:
        return (item for item in python_values.iterate(iterable) if python_values.truth(item))
    return (item for item in python_values.iterate(iterable) if python_values.truth(function(item)))


def _extreme(name, tensor_op, args, key, default):
    """max/min: PyTorch's on a tensor, Python's on numbers and iterables."""
    if args and type(args[0]) is Tensor:
        return tensor_op(*args)
    pick = _py.max if name == "max" else _py.min
    items = python_values.collect(args[0]) if _py.len(args) == 1 else list(args)
    if not items:
        if default is not _NO_DEFAULT:
            return default
        raise TcalcValueError(f"{name}() iterable argument is empty")
    try:
        return pick(items, key=key) if key is not None else pick(items)
    except TypeError as err:
        raise TcalcTypeError(str(err)) from None


_NO_DEFAULT = object()


def _max(*args, dim=None, keepdim=False, key=None, default=_NO_DEFAULT):
    if args and type(args[0]) is Tensor:
        return ops.max(*args, **({"dim": dim, "keepdim": keepdim} if dim is not None else {}))
    return _extreme("max", ops.max, args, key, default)


def _min(*args, dim=None, keepdim=False, key=None, default=_NO_DEFAULT):
    if args and type(args[0]) is Tensor:
        return ops.min(*args, **({"dim": dim, "keepdim": keepdim} if dim is not None else {}))
    return _extreme("min", ops.min, args, key, default)


def _all(x, *args, **kwargs):
    if type(x) is Tensor:
        return ops.all(x, *args, **kwargs)
    return _py.all(python_values.truth(item) for item in python_values.iterate(x))


def _any(x, *args, **kwargs):
    if type(x) is Tensor:
        return ops.any(x, *args, **kwargs)
    return _py.any(python_values.truth(item) for item in python_values.iterate(x))


def _round(x, ndigits=None, decimals=None):
    if type(x) is Tensor:
        return ops.round(x, decimals=decimals if decimals is not None else ndigits)
    if not isinstance(x, (int, float)):
        raise TcalcTypeError(f"type {type_name(x)} doesn't define __round__ method")
    return _py.round(x, ndigits)


def _callable(x):
    return isinstance(x, CALLABLES) or isinstance(x, PythonType)


def _divmod(a, b):
    if not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        raise TcalcTypeError(f"unsupported operand type(s) for divmod(): '{type_name(a)}' and '{type_name(b)}'")
    if b == 0:
        raise TcalcValueError("integer division or modulo by zero")
    return _py.divmod(a, b)


def _no_grad():
    return GradMode("no_grad", False)


def _enable_grad():
    return GradMode("enable_grad", True)


def _inference_mode(mode=True):
    return GradMode("inference_mode", not mode)


def _set_grad_enabled(mode):
    if not isinstance(mode, bool):
        raise TcalcTypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type_name(mode)}")
    return GradMode("set_grad_enabled", mode, now=True)


def _set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                      profile=None, sci_mode=None):
    """torch.set_printoptions, for the rest of the session. PyTorch takes any value and fails
    when it next prints; tcalc refuses a value it could not print with, here."""
    for key, value in (("precision", precision), ("edgeitems", edgeitems),
                       ("linewidth", linewidth)):
        if value is not None and (type(value) is not int or value < 0):
            raise TcalcValueError(f"set_printoptions(): {key} must be an int >= 0, "
                                  f"not {value!r}")
    if threshold is not None and (type(threshold) not in (int, float) or threshold != threshold):
        raise TcalcValueError(f"set_printoptions(): threshold must be a number, not {threshold!r}")
    if sci_mode is not None and type(sci_mode) is not bool:
        raise TcalcValueError(f"set_printoptions(): sci_mode must be True, False or None, "
                              f"not {sci_mode!r}")
    if profile is not None and profile not in _printing.PROFILES:
        raise TcalcValueError("set_printoptions(): profile must be 'default', 'short' or "
                              f"'full', not {profile!r}")
    _printing.set_printoptions(precision, threshold, edgeitems, linewidth, profile, sci_mode)


# ---- the table ---------------------------------------------------------------------------
#
# Where a name is reachable: as a function (bare and `torch.NAME`), as a tensor method
# (`x.NAME(...)`), as a tensor attribute (`x.NAME`), as a settable attribute (`x.NAME = v`).
FUNCTION, METHOD, BOTH, ATTRIBUTE, SETTER = "function", "method", "function and method", "attribute", "setter"

TABLE = (
    # Python's own builtins, as after `from torch import *` (LANGUAGE.md, "Names")
    ("float", PythonType("float", _to_float, dtypes.float64), FUNCTION),
    ("int", PythonType("int", _to_int, dtypes.int64), FUNCTION),
    ("bool", PythonType("bool", _to_bool, dtypes.bool_), FUNCTION),
    ("len", _len, FUNCTION),
    ("id", _py.id, FUNCTION),
    ("abs", _abs, FUNCTION),
    ("abs", ops.abs, METHOD),
    ("sum", _sum, FUNCTION),
    ("sum", ops.sum, METHOD),
    ("print", _print_text, FUNCTION, WRITES_OUTPUT),
    ("str", PythonType("str", _str, None), FUNCTION),
    ("repr", python_values.python_repr, FUNCTION),
    ("format", _format, FUNCTION),
    ("range", _range, FUNCTION),
    ("enumerate", _enumerate, FUNCTION),
    ("zip", _zip, FUNCTION),
    ("list", PythonType("list", _list, None), FUNCTION),
    ("tuple", PythonType("tuple", _tuple, None), FUNCTION),
    ("dict", PythonType("dict", _dict, None), FUNCTION),
    ("set", PythonType("set", _set, None), FUNCTION),
    ("sorted", _sorted, FUNCTION, CALLS_BACK),
    ("reversed", _reversed, FUNCTION),
    ("map", _map, FUNCTION, CALLS_BACK),
    ("filter", _filter, FUNCTION, CALLS_BACK),
    ("max", _max, FUNCTION, CALLS_BACK),
    ("min", _min, FUNCTION, CALLS_BACK),
    ("all", _all, FUNCTION),
    ("any", _any, FUNCTION),
    ("round", _round, FUNCTION),
    ("callable", _callable, FUNCTION),
    ("divmod", _divmod, FUNCTION),
    # creation
    ("arange", ops.arange, FUNCTION),
    ("zeros", ops.zeros, FUNCTION),
    ("ones", ops.ones, FUNCTION),
    ("full", ops.full, FUNCTION),
    ("empty", ops.empty, FUNCTION),
    ("eye", ops.eye, FUNCTION),
    ("linspace", ops.linspace, FUNCTION),
    ("tensor", ops.tensor, FUNCTION),
    ("zeros_like", ops.zeros_like, FUNCTION),
    ("ones_like", ops.ones_like, FUNCTION),
    ("full_like", ops.full_like, FUNCTION),
    ("rand", ops.rand, FUNCTION),
    ("randn", ops.randn, FUNCTION),
    ("randint", ops.randint, FUNCTION),
    ("normal", ops.normal, FUNCTION),
    ("rand_like", ops.rand_like, FUNCTION),
    ("randn_like", ops.randn_like, FUNCTION),
    ("manual_seed", ops.manual_seed, FUNCTION),
    ("initial_seed", ops.initial_seed, FUNCTION),
    ("get_rng_state", ops.get_rng_state, FUNCTION),
    ("set_rng_state", ops.set_rng_state, FUNCTION),
    ("seed", ops.seed, FUNCTION),
    ("randperm", ops.randperm, FUNCTION),
    ("bernoulli", ops.bernoulli, BOTH),
    ("multinomial", ops.multinomial, BOTH),
    ("set_printoptions", _set_printoptions, FUNCTION),
    # shape
    ("reshape", ops.reshape, BOTH),
    ("view", ops.view, METHOD),
    ("transpose", ops.transpose, BOTH),
    ("permute", ops.permute, BOTH),
    ("squeeze", ops.squeeze, BOTH),
    ("unsqueeze", ops.unsqueeze, BOTH),
    ("flatten", ops.flatten, BOTH),
    ("t", ops.t, BOTH),
    ("expand", ops.expand, METHOD),
    ("repeat", ops.repeat, METHOD),
    ("narrow", ops.narrow, BOTH),
    ("cat", _later("cat"), FUNCTION),
    ("stack", _later("stack"), FUNCTION),
    ("tril", ops.tril, BOTH),
    ("triu", ops.triu, BOTH),
    ("diag", ops.diag, BOTH),
    ("numel", _numel, BOTH),
    ("size", _size, METHOD),
    ("dim", _dim, METHOD),
    ("ndimension", _dim, METHOD),
    ("contiguous", ops.contiguous, METHOD),
    ("shape", lambda x: Size(x.data.shape), ATTRIBUTE),
    ("ndim", lambda x: x.data.ndim, ATTRIBUTE),
    ("T", ops.T, ATTRIBUTE),
    ("mT", ops.mT, ATTRIBUTE),
    # elementwise
    ("add", ops.add, BOTH),
    ("sub", ops.sub, BOTH),
    ("mul", ops.mul, BOTH),
    ("div", ops.div, BOTH),
    ("pow", ops.pow, BOTH),
    ("neg", ops.neg, BOTH),
    ("remainder", ops.remainder, BOTH),
    ("floor_divide", ops.floor_divide, BOTH),
    ("square", lambda x: ops.pow(x, 2), BOTH),
    ("exp", ops.exp, BOTH),
    ("log", ops.log, BOTH),
    ("log2", ops.log2, BOTH),
    ("log10", ops.log10, BOTH),
    ("log1p", ops.log1p, BOTH),
    ("expm1", ops.expm1, BOTH),
    ("sqrt", ops.sqrt, BOTH),
    ("sin", ops.sin, BOTH),
    ("cos", ops.cos, BOTH),
    ("tan", ops.tan, BOTH),
    ("tanh", ops.tanh, BOTH),
    ("sinh", ops.sinh, BOTH),
    ("cosh", ops.cosh, BOTH),
    ("asin", ops.asin, BOTH),
    ("acos", ops.acos, BOTH),
    ("atan", ops.atan, BOTH),
    ("asinh", ops.asinh, BOTH),
    ("acosh", ops.acosh, BOTH),
    ("atanh", ops.atanh, BOTH),
    ("arcsin", ops.asin, BOTH),
    ("arccos", ops.acos, BOTH),
    ("arctan", ops.atan, BOTH),
    ("sigmoid", ops.sigmoid, BOTH),
    ("relu", ops.relu, BOTH),
    ("reciprocal", ops.reciprocal, BOTH),
    ("sign", ops.sign, BOTH),
    ("floor", ops.floor, BOTH),
    ("ceil", ops.ceil, BOTH),
    ("trunc", ops.trunc, BOTH),
    ("round", ops.round, METHOD),
    ("clamp", ops.clamp, BOTH),
    ("clip", ops.clamp, BOTH),
    ("maximum", ops.maximum, BOTH),
    ("minimum", ops.minimum, BOTH),
    ("where", ops.where, FUNCTION),
    ("where", _where_method, METHOD),
    ("isnan", ops.isnan, BOTH),
    ("isinf", ops.isinf, BOTH),
    ("isfinite", ops.isfinite, BOTH),
    ("isposinf", ops.isposinf, BOTH),
    ("isneginf", ops.isneginf, BOTH),
    ("softmax", ops.softmax, BOTH),
    ("log_softmax", ops.log_softmax, BOTH),
    # torch.nn.functional's that torch has as functions too
    ("cosine_similarity", Later("tcalc.nn_functional", "cosine_similarity"), FUNCTION),
    ("pairwise_distance", Later("tcalc.nn_functional", "pairwise_distance"), FUNCTION),
    ("kl_div", Later("tcalc.nn_functional", "torch_kl_div"), FUNCTION),
    ("constant_pad_nd", Later("tcalc.ops.losses", "constant_pad_nd"), FUNCTION),
    # comparisons and logic
    ("eq", ops.eq, BOTH),
    ("ne", ops.ne, BOTH),
    ("lt", ops.lt, BOTH),
    ("le", ops.le, BOTH),
    ("gt", ops.gt, BOTH),
    ("ge", ops.ge, BOTH),
    ("equal", ops.equal, BOTH),
    ("allclose", ops.allclose, BOTH),
    ("logical_not", ops.logical_not, BOTH),
    ("logical_and", ops.logical_and, BOTH),
    ("logical_or", ops.logical_or, BOTH),
    ("logical_xor", ops.logical_xor, BOTH),
    ("bitwise_not", ops.bitwise_not, BOTH),
    ("bitwise_and", ops.bitwise_and, BOTH),
    ("bitwise_or", ops.bitwise_or, BOTH),
    ("bitwise_xor", ops.bitwise_xor, BOTH),
    ("bitwise_left_shift", ops.bitwise_left_shift, BOTH),
    ("bitwise_right_shift", ops.bitwise_right_shift, BOTH),
    # reductions
    ("mean", ops.mean, BOTH),
    ("prod", ops.prod, BOTH),
    ("max", ops.max, METHOD),
    ("min", ops.min, METHOD),
    ("amax", ops.amax, BOTH),
    ("amin", ops.amin, BOTH),
    ("argmax", ops.argmax, BOTH),
    ("argmin", ops.argmin, BOTH),
    ("cumsum", ops.cumsum, BOTH),
    ("std", ops.std, BOTH),
    ("var", ops.var, BOTH),
    ("all", ops.all, METHOD),
    ("any", ops.any, METHOD),
    ("norm", _later("norm"), BOTH),
    ("logsumexp", ops.logsumexp, BOTH),
    ("sort", _later("sort"), BOTH),
    ("argsort", _later("argsort"), BOTH),
    ("topk", _later("topk"), BOTH),
    # more math (issue 11): special functions and functions of two tensors (ops.special),
    # scans (ops.scans), statistics (ops.statistics)
    ("erf", _later("erf"), BOTH),
    ("erfc", _later("erfc"), BOTH),
    ("erfinv", _later("erfinv"), BOTH),
    ("frac", _later("frac"), BOTH),
    ("deg2rad", _later("deg2rad"), BOTH),
    ("rad2deg", _later("rad2deg"), BOTH),
    ("atan2", _later("atan2"), BOTH),
    ("arctan2", _later("atan2"), BOTH),
    ("hypot", _later("hypot"), BOTH),
    ("logaddexp", _later("logaddexp"), BOTH),
    ("logaddexp2", _later("logaddexp2"), BOTH),
    ("xlogy", _later("xlogy"), BOTH),
    ("fmod", _later("fmod"), BOTH),
    ("heaviside", _later("heaviside"), BOTH),
    ("lerp", _later("lerp"), BOTH),
    ("clamp_min", _later("clamp_min"), BOTH),
    ("clamp_max", _later("clamp_max"), BOTH),
    ("isclose", _later("isclose"), BOTH),
    # torch.special's that torch has too (tcalc.ops.special_functions)
    ("lgamma", _later("gammaln"), BOTH),
    ("digamma", _later("digamma"), BOTH),
    ("polygamma", _later("polygamma"), FUNCTION),
    ("polygamma", _later("polygamma_method"), METHOD),
    ("mvlgamma", _later("mvlgamma"), FUNCTION),
    ("mvlgamma", _later("mvlgamma_method"), METHOD),
    ("i0", _later("i0"), BOTH),
    ("logit", _later("logit"), BOTH),
    ("exp2", _later("exp2"), BOTH),
    ("sinc", _later("sinc"), BOTH),
    ("cumprod", _later("cumprod"), BOTH),
    ("cummax", _later("cummax"), BOTH),
    ("cummin", _later("cummin"), BOTH),
    ("diff", _later("diff"), BOTH),
    ("nansum", _later("nansum"), BOTH),
    ("nanmean", _later("nanmean"), BOTH),
    ("var_mean", _later("var_mean"), FUNCTION),
    ("std_mean", _later("std_mean"), FUNCTION),
    ("aminmax", _later("aminmax"), BOTH),
    ("median", _later("median"), BOTH),
    ("nanmedian", _later("nanmedian"), BOTH),
    ("mode", _later("mode"), BOTH),
    ("kthvalue", _later("kthvalue"), BOTH),
    ("quantile", _later("quantile"), BOTH),
    ("nanquantile", _later("nanquantile"), BOTH),
    ("bincount", _later("bincount"), BOTH),
    ("histc", _later("histc"), BOTH),
    # linear algebra
    ("dot", ops.dot, BOTH),
    ("mv", ops.mv, BOTH),
    ("mm", ops.mm, BOTH),
    ("matmul", ops.matmul, BOTH),
    ("outer", ops.outer, BOTH),
    ("trace", ops.trace, BOTH),
    ("det", ops.det, BOTH),
    ("inverse", ops.inv, BOTH),
    ("einsum", ops.einsum, FUNCTION),
    # convolutions and pooling: the torch.* spellings of torch.nn.functional's (torch has
    # no avg_pool2d, and its max_pool2d has no return_indices)
    ("conv1d", _later("conv1d"), FUNCTION),
    ("conv2d", _later("conv2d"), FUNCTION),
    ("conv_transpose1d", _later("conv_transpose1d"), FUNCTION),
    ("conv_transpose2d", _later("conv_transpose2d"), FUNCTION),
    ("max_pool1d", _later("max_pool1d"), FUNCTION),
    ("max_pool1d_with_indices", _later("max_pool1d_with_indices"), FUNCTION),
    ("max_pool2d", _later("torch_max_pool2d"), FUNCTION),
    ("avg_pool1d", _later("avg_pool1d"), FUNCTION),
    ("bmm", ops.bmm, BOTH),
    ("addmm", ops.addmm, BOTH),
    ("addmv", ops.addmv, BOTH),
    ("addr", ops.addr, BOTH),
    ("baddbmm", ops.baddbmm, BOTH),
    ("addbmm", ops.addbmm, BOTH),
    ("kron", ops.kron, BOTH),
    ("cross", ops.cross, BOTH),
    ("inner", ops.inner, BOTH),
    ("ger", ops.outer, BOTH),
    ("chain_matmul", lambda *matrices: ops.multi_dot(matrices), FUNCTION),
    ("slogdet", _later("torch_slogdet"), BOTH),
    ("logdet", _later("logdet"), BOTH),
    ("svd", _later("torch_svd"), BOTH),
    ("qr", _later("torch_qr"), BOTH),
    ("cholesky", _later("torch_cholesky"), BOTH),
    ("pinverse", _later("pinverse"), BOTH),
    ("matrix_power", _later("matrix_power"), BOTH),
    ("matrix_exp", _later("matrix_exp"), BOTH),
    ("lu", _later("torch_lu"), BOTH),
    ("lu_unpack", _later("lu_unpack"), FUNCTION),
    ("lu_solve", _later("torch_lu_solve"), BOTH),
    # conversion
    ("to", _to, METHOD),
    ("type", _type, METHOD),
    ("type_as", _type_as, METHOD),
    # x.float(), x.long(), ...: each dtype's conversion method, a column of DType
    *((dtype.conversion_method, _conversion(dtype), METHOD) for dtype in dtypes.ALL),
    ("cpu", lambda x: x, METHOD),
    ("is_floating_point", lambda x: x.dtype.is_floating_point, METHOD),
    ("is_tensor", _is_tensor, FUNCTION),
    ("item", ops.item, METHOD),
    ("tolist", ops.tolist, METHOD),
    ("numpy", ops.numpy, METHOD),
    ("clone", ops.clone, BOTH),
    ("detach", ops.detach, BOTH),
    ("dtype", lambda x: x.dtype, ATTRIBUTE),
    ("data", ops.data, ATTRIBUTE),
    # in place
    ("add_", _later("add_"), METHOD, CHANGES_CONTENTS),
    ("sub_", _later("sub_"), METHOD, CHANGES_CONTENTS),
    ("mul_", _later("mul_"), METHOD, CHANGES_CONTENTS),
    ("div_", _later("div_"), METHOD, CHANGES_CONTENTS),
    ("fill_", _later("fill_"), METHOD, CHANGES_CONTENTS),
    ("zero_", _later("zero_"), METHOD, CHANGES_CONTENTS),
    ("copy_", _later("copy_"), METHOD, CHANGES_CONTENTS),
    ("pow_", _later("pow_"), METHOD, CHANGES_CONTENTS),
    ("normal_", _later("normal_"), METHOD, CHANGES_CONTENTS),
    ("uniform_", _later("uniform_"), METHOD, CHANGES_CONTENTS),
    ("exponential_", _later("exponential_"), METHOD, CHANGES_CONTENTS),
    ("bernoulli_", _later("bernoulli_"), METHOD, CHANGES_CONTENTS),
    ("random_", _later("random_"), METHOD, CHANGES_CONTENTS),
    *((name, _later(name), METHOD, CHANGES_CONTENTS) for name in (
        "abs_", "neg_", "exp_", "log_", "sqrt_", "sigmoid_", "tanh_", "relu_", "clamp_", "floor_", "ceil_",
        "round_", "trunc_", "reciprocal_", "sin_", "cos_", "sign_", "tan_", "sinh_", "cosh_", "asin_",
        "acos_", "atan_", "asinh_", "acosh_", "atanh_", "log2_", "log10_", "log1p_", "expm1_", "erf_",
        "erfc_", "erfinv_", "frac_", "deg2rad_", "rad2deg_", "atan2_", "hypot_", "xlogy_", "fmod_",
        "remainder_", "floor_divide_", "heaviside_", "lerp_", "clamp_min_", "clamp_max_", "tril_", "triu_",
        "logical_not_", "logical_and_", "logical_or_", "logical_xor_", "bitwise_not_", "bitwise_and_",
        "bitwise_or_", "bitwise_xor_", "cumsum_", "cumprod_", "square_", "lgamma_", "digamma_", "i0_",
        "logit_", "exp2_", "sinc_", "mvlgamma_", "polygamma_", "eq_", "ne_", "lt_", "le_", "gt_", "ge_")),
    # PyTorch's other spellings of the same in-place methods
    *((alias, _later(name), METHOD, CHANGES_CONTENTS) for alias, name in (
        ("arcsin_", "asin_"), ("arccos_", "acos_"), ("arctan_", "atan_"), ("arctan2_", "atan2_"),
        ("clip_", "clamp_"), ("subtract_", "sub_"), ("multiply_", "mul_"), ("divide_", "div_"),
        ("true_divide_", "div_"))),
    # shape and selection (issue 11; tcalc.ops.selection). Bare `scatter` stays the plot
    # (tcalc.plots): PyTorch's is torch.scatter (TORCH_ONLY, below) and x.scatter.
    ("flip", _later("torch_flip"), FUNCTION),
    ("flip", _later("flip"), METHOD),
    ("fliplr", _later("fliplr"), BOTH),
    ("flipud", _later("flipud"), BOTH),
    ("roll", _later("roll"), BOTH),
    ("split", _later("split"), BOTH),
    ("chunk", _later("chunk"), BOTH),
    ("tensor_split", _later("tensor_split"), BOTH),
    ("unbind", _later("unbind"), BOTH),
    ("movedim", _later("movedim"), BOTH),
    ("moveaxis", _later("movedim"), BOTH),
    ("swapaxes", _later("swapaxes"), BOTH),
    ("swapdims", _later("swapaxes"), BOTH),
    ("tile", _later("tile"), BOTH),
    ("repeat_interleave", _later("repeat_interleave"), BOTH),
    ("meshgrid", _later("meshgrid"), FUNCTION),
    ("view_as", _later("view_as"), METHOD),
    ("reshape_as", _later("reshape_as"), METHOD),
    ("expand_as", _later("expand_as"), METHOD),
    ("gather", _later("gather"), BOTH),
    ("scatter", _later("scatter"), METHOD),
    ("scatter_add", _later("scatter_add"), BOTH),
    ("scatter_reduce", _later("scatter_reduce"), BOTH),
    ("index_select", _later("index_select"), BOTH),
    ("index_add", _later("index_add"), BOTH),
    ("index_reduce", _later("index_reduce"), BOTH),
    ("take", _later("take"), BOTH),
    ("masked_fill", _later("masked_fill"), BOTH),
    ("masked_select", _later("masked_select"), BOTH),
    ("nonzero", _later("nonzero"), BOTH),
    ("argwhere", _later("argwhere"), BOTH),
    ("count_nonzero", _later("count_nonzero"), BOTH),
    ("unique", _later("unique"), BOTH),
    ("masked_fill_", _later("masked_fill_"), METHOD, CHANGES_CONTENTS),
    ("scatter_", _later("scatter_"), METHOD, CHANGES_CONTENTS),
    ("scatter_add_", _later("scatter_add_"), METHOD, CHANGES_CONTENTS),
    ("scatter_reduce_", _later("scatter_reduce_"), METHOD, CHANGES_CONTENTS),
    ("index_add_", _later("index_add_"), METHOD, CHANGES_CONTENTS),
    ("index_reduce_", _later("index_reduce_"), METHOD, CHANGES_CONTENTS),
    # autograd
    ("requires_grad_", ops.requires_grad_, METHOD, CHANGES_FLAGS),
    ("no_grad", _no_grad, FUNCTION),
    ("enable_grad", _enable_grad, FUNCTION),
    ("inference_mode", _inference_mode, FUNCTION),
    ("set_grad_enabled", _set_grad_enabled, FUNCTION),
    ("backward", differentiate.backward, METHOD, RUNS_BACKWARD),
    ("grad", differentiate.grad, FUNCTION, RUNS_BACKWARD),
    ("grad", lambda x: x.grad, ATTRIBUTE),
    ("grad", _set_grad, SETTER),
    ("requires_grad", lambda x: x.requires_grad, ATTRIBUTE),
    ("requires_grad", _set_requires_grad, SETTER),
    ("is_leaf", lambda x: x.is_leaf, ATTRIBUTE),
    ("grad_fn", lambda x: x.grad_fn, ATTRIBUTE),
    ("_version", version, ATTRIBUTE),  # the in-place changes of its memory, as PyTorch counts them
    # files: the only way a program reaches them (LANGUAGE.md, "Names"), PyTorch's format,
    # loaded without unpickling
    ("save", _save, FUNCTION),
    ("load", _load, FUNCTION),
)

# Other names for the same function (the same entry: errors and repr name the original),
# as a function and, where the original is one, as a method and its in-place form.
ALIASES = {"concat": "cat", "concatenate": "cat", "subtract": "sub", "multiply": "mul",
           "divide": "div", "true_divide": "div", "absolute": "abs", "negative": "neg", "fix": "trunc",
           "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "greater": "gt",
           "greater_equal": "ge", "less": "lt", "less_equal": "le", "not_equal": "ne"}

FUNCTIONS: dict[str, object] = {}  # bare names; `torch.NAME` sees the same table
METHODS: dict[str, Builtin] = {}  # x.NAME(...)
ATTRIBUTES: dict[str, object] = {}  # x.NAME
SETTABLE: dict[str, object] = {}  # x.NAME = value


# Where each kind of row goes; attributes and setters keep the bare function.
_TABLES = {FUNCTION: (FUNCTIONS,), METHOD: (METHODS,), BOTH: (FUNCTIONS, METHODS),
           ATTRIBUTE: (ATTRIBUTES,), SETTER: (SETTABLE,)}


def _build(rows) -> None:
    for name, implementation, where, *effect in rows:
        if where == ATTRIBUTE or where == SETTER or isinstance(implementation, Builtin):
            entry = implementation
        else:
            entry = Builtin(name, implementation, *effect)
        for table in _TABLES[where]:
            if name in table:
                raise AssertionError(f"builtins: {name!r} is in the table twice as a {where}")
            table[name] = entry
    for alias, name in ALIASES.items():
        FUNCTIONS[alias] = FUNCTIONS[name]
        if name in METHODS:
            METHODS[alias] = METHODS[name]
        if name + "_" in METHODS:
            METHODS.setdefault(alias + "_", METHODS[name + "_"])


_build(TABLE)

# ---- dtypes and constants ---------------------------------------------------------------

TORCH_ONLY: dict[str, object] = dict(dtypes.BY_NAME)  # torch.float is float32, bare float is not
TORCH_ONLY["scatter"] = METHODS["scatter"]  # bare scatter is the plot
for _dtype in dtypes.ALL:
    FUNCTIONS.setdefault(_dtype.name, _dtype)
FUNCTIONS["bool_"] = dtypes.bool_
FUNCTIONS.update(pi=math.pi, e=math.e, inf=math.inf, nan=math.nan)

# ---- torch's submodules ------------------------------------------------------------------

LINALG = Namespace("torch.linalg", {
    "norm": Builtin("norm", _later("linalg_norm_call")),
    "vector_norm": Builtin("vector_norm", _later("vector_norm")),
    "matrix_norm": Builtin("matrix_norm", _later("matrix_norm")),
    "inv": Builtin("inv", ops.inv),
    "det": Builtin("det", ops.det),
    "solve": Builtin("solve", ops.solve),
    "slogdet": Builtin("slogdet", _later("slogdet")),
    "eig": Builtin("eig", _later("eig")),
    "eigvals": Builtin("eigvals", _later("eigvals")),
    "eigh": Builtin("eigh", _later("eigh")),
    "eigvalsh": Builtin("eigvalsh", _later("eigvalsh")),
    "svd": Builtin("svd", _later("svd")),
    "svdvals": Builtin("svdvals", ops.svdvals),
    "qr": Builtin("qr", _later("qr")),
    "cholesky": Builtin("cholesky", _later("cholesky")),
    "lu": Builtin("lu", _later("lu")),
    "lu_factor": Builtin("lu_factor", _later("lu_factor")),
    "matrix_rank": Builtin("matrix_rank", _later("matrix_rank")),
    "pinv": Builtin("pinv", _later("pinv")),
    "lstsq": Builtin("lstsq", _later("lstsq")),
    "matrix_power": Builtin("matrix_power", _later("matrix_power")),
    "matrix_exp": Builtin("matrix_exp", _later("matrix_exp")),
    "cond": Builtin("cond", _later("cond")),
    "multi_dot": Builtin("multi_dot", ops.multi_dot),
    "cross": Builtin("cross", ops.linalg_cross),
    "vecdot": Builtin("vecdot", ops.vecdot),
    "matmul": Builtin("matmul", ops.matmul),
    "solve_triangular": Builtin("solve_triangular", _later("solve_triangular")),
    "cholesky_ex": Builtin("cholesky_ex", _later("cholesky_ex")),
    "inv_ex": Builtin("inv_ex", _later("inv_ex")),
    "solve_ex": Builtin("solve_ex", _later("solve_ex")),
    "lu_factor_ex": Builtin("lu_factor_ex", _later("lu_factor_ex")),
    "lu_solve": Builtin("lu_solve", _later("linalg_lu_solve")),
})
def _special_round(input, decimals=0):
    return ops.round(input, decimals=decimals)


def _dim_required(function, name: str):
    """torch.special.softmax and log_softmax, whose dim has no default."""
    def call(input, dim=None, dtype=None):
        if dim is None:
            raise TcalcTypeError(f'special_{name}() missing 1 required positional arguments: "dim"',
                                 hint=f"give the dim to normalise over, e.g. torch.special.{name}(x, -1)")
        return function(input, dim, dtype=dtype)
    return call


# torch.special: the functions of it tcalc has; the others are refused as PyTorch's.
SPECIAL = Namespace("torch.special", {name: Builtin(name, function) for name, function in (
    ("expit", ops.sigmoid), ("logit", _later("logit")), ("erf", _later("erf")), ("erfc", _later("erfc")),
    ("erfinv", _later("erfinv")), ("erfcx", _later("erfcx")), ("exp2", _later("exp2")), ("expm1", ops.expm1),
    ("log1p", ops.log1p), ("xlogy", _later("xlogy")), ("xlog1py", _later("xlog1py")), ("sinc", _later("sinc")),
    ("entr", _later("entr")), ("ndtr", _later("ndtr")), ("ndtri", _later("ndtri")),
    ("log_ndtr", _later("log_ndtr")), ("logsumexp", ops.logsumexp),
    ("softmax", _dim_required(ops.softmax, "softmax")), ("log_softmax", _dim_required(ops.log_softmax, "log_softmax")),
    ("round", _special_round), ("i0", _later("i0")), ("i0e", _later("i0e")), ("i1", _later("i1")),
    ("i1e", _later("i1e")), ("gammaln", _later("gammaln")), ("digamma", _later("digamma")), ("psi", _later("digamma")),
    ("polygamma", _later("special_polygamma")), ("multigammaln", _later("multigammaln")), ("zeta", _later("zeta")))})
AUTOGRAD = Namespace("torch.autograd", {
    "grad": Builtin("grad", _autograd_grad, RUNS_BACKWARD),
    "backward": Builtin("backward", differentiate.backward, RUNS_BACKWARD),
})
FUNC = Namespace("torch.func", {"grad": FUNCTIONS["grad"]})


def torch_namespace() -> Namespace:
    members = dict(FUNCTIONS)
    for name in PYTHON_ONLY:
        members.pop(name)
    members.update(TORCH_ONLY)
    members.update(linalg=LINALG, special=SPECIAL, autograd=AUTOGRAD, func=FUNC, Size=Builtin("Size", lambda s=(): Size(s)))
    return Namespace("torch", members)


def global_names() -> dict[str, object]:
    """The names a fresh session starts with."""
    names = dict(FUNCTIONS)
    names["torch"] = torch_namespace()
    return names


# ---- other modules a notebook imports: small tables, Python's meaning ---------------------

def _number_argument(x, name: str):
    """A math function's argument: a number, or a one-element tensor as Python's float()."""
    if type(x) is Tensor:
        return _to_float(x)
    if not isinstance(x, (int, float)):
        raise TcalcTypeError(f"must be real number, not {type_name(x)}", hint=f"math.{name} takes numbers; "
                             f"for tensors use torch.{name}")
    return x


def _math(name: str, function):
    def apply(*args):
        try:
            return function(*(_number_argument(a, name) for a in args))
        except (ValueError, OverflowError) as err:
            raise TcalcValueError(str(err) if str(err) != "math domain error" else "math domain error") from None
    return Builtin(name, apply)


def _factorial(n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise TcalcValueError("factorial() only accepts non-negative integral values")
    if n > 1500:  # about 4,100 digits: past the integer-digits limit's default
        raise limits.refuse("max_int_digits", f"factorial({n}) has too many digits")
    return math.factorial(n)


_MATH_FUNCTIONS = ("sqrt", "exp", "log", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan", "asin",
                   "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "floor",
                   "ceil", "trunc", "fabs", "isnan", "isinf", "isfinite", "isclose", "pow", "hypot",
                   "degrees", "radians", "erf", "erfc", "gamma", "lgamma", "copysign", "fmod")
MATH = Namespace("math", {
    **{name: _math(name, getattr(math, name)) for name in _MATH_FUNCTIONS},
    "factorial": Builtin("factorial", _factorial),
    "pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf, "nan": math.nan,
})

# Python's random module, on a generator of tcalc's own (its numbers are not PyTorch's),
# made when first used: importing `random` was 1.5% of start-up.
_RANDOM = None


def _rng():
    global _RANDOM
    if _RANDOM is None:
        from random import Random

        _RANDOM = Random(0)
    return _RANDOM


def _random():
    return _rng().random()


def _uniform(a, b):
    return _rng().uniform(a, b)


def _randint(a, b):
    return _rng().randint(a, b)


def _gauss(mu=0.0, sigma=1.0):
    return _rng().gauss(mu, sigma)


def _normalvariate(mu=0.0, sigma=1.0):
    return _rng().normalvariate(mu, sigma)


def _shuffle(items):
    if type(items) is not list:
        raise TcalcTypeError(f"shuffle() needs a list, not {type_name(items)}")
    _rng().shuffle(items)


RANDOM = Namespace("random", {
    "random": Builtin("random", _random),
    "uniform": Builtin("uniform", _uniform),
    "randint": Builtin("randint", _randint),
    "gauss": Builtin("gauss", _gauss),
    "normalvariate": Builtin("normalvariate", _normalvariate),
    "choice": Builtin("choice", lambda seq: _rng().choice(python_values.collect(seq))),
    "sample": Builtin("sample", lambda population, k: _rng().sample(python_values.collect(population), k)),
    "shuffle": Builtin("shuffle", _shuffle, CHANGES_CONTENTS),
    "seed": Builtin("seed", lambda a=None: _rng().seed(a)),
})

# Modules `import` finds by name, beside torch and its submodules (tcalc.modules).
# ---- the vocabulary of teaching notebooks -------------------------------------------------
#
# Python's type() and isinstance(), the NumPy bridge, devices, the new_* constructors.


PYTHON_ONLY = ("len", "id", "type", "isinstance")  # Python's builtins that torch does not have


def _new_ones(x, *size, dtype=None, requires_grad=False):
    return ops.ones(*size, dtype=dtype or x.dtype, requires_grad=requires_grad)


def _new_zeros(x, *size, dtype=None, requires_grad=False):
    return ops.zeros(*size, dtype=dtype or x.dtype, requires_grad=requires_grad)


def _new_empty(x, *size, dtype=None, requires_grad=False):
    return ops.empty(*size, dtype=dtype or x.dtype, requires_grad=requires_grad)


def _new_full(x, size, fill_value, dtype=None, requires_grad=False):
    return ops.full(size, fill_value, dtype=dtype or x.dtype, requires_grad=requires_grad)


def _new_tensor(x, data, dtype=None, requires_grad=False):
    return ops.tensor(data, dtype=dtype or x.dtype, requires_grad=requires_grad)


def _is_contiguous(x):
    return bool(x.data.flags.c_contiguous)


VOCABULARY = (
    ("type", type_values.type_of, FUNCTION),
    ("isinstance", type_values.is_instance, FUNCTION),
    ("from_numpy", Later("tcalc.numpy_module", "from_numpy"), FUNCTION),
    ("as_tensor", Later("tcalc.numpy_module", "as_tensor"), FUNCTION),
    ("new_ones", _new_ones, METHOD),
    ("new_zeros", _new_zeros, METHOD),
    ("new_empty", _new_empty, METHOD),
    ("new_full", _new_full, METHOD),
    ("new_tensor", _new_tensor, METHOD),
    ("is_contiguous", _is_contiguous, METHOD),
    ("device", Later("tcalc.devices", "tensor_device"), ATTRIBUTE),
)
_build(VOCABULARY)

# torch.distributions and a submodule for each distribution (torch.distributions.normal):
# tcalc.distributions is imported at a program's first distribution.
_DISTRIBUTIONS = {name: Builtin(name, Later("tcalc.distributions", name.lower()))
                  for name in ("Multinomial", "Categorical", "Bernoulli", "Normal", "Uniform")}
_DISTRIBUTION_MODULES = {name.lower(): Namespace(f"torch.distributions.{name.lower()}", {name: entry})
                         for name, entry in _DISTRIBUTIONS.items()}
DISTRIBUTIONS = Namespace("torch.distributions", {**_DISTRIBUTIONS, **_DISTRIBUTION_MODULES})

# torch.device and torch.cuda: tcalc.devices is imported at a program's first device.
CUDA = Namespace("torch.cuda", {"is_available": Builtin("is_available", Later("tcalc.devices", "cuda_is_available")),
                                "device_count": Builtin("device_count", Later("tcalc.devices", "cuda_device_count"))})
# torch.nn and torch.nn.functional: tcalc.nn_functional is imported by a program's first F.NAME.
NN_FUNCTIONAL = Namespace("torch.nn.functional", Later("tcalc.nn_functional", "MEMBERS"))
NN = Namespace("torch.nn", {"functional": NN_FUNCTIONAL})

TORCH_ONLY.update(Tensor=type_values.TENSOR, device=Builtin("device", Later("tcalc.devices", "device")), cuda=CUDA,
                  distributions=DISTRIBUTIONS, nn=NN)

# The modules an import statement may bind (`import numpy as np`, `from torch import nn`),
# by their full names.
# `import numpy as np`: tcalc.numpy_module is imported when the program first reads a name of it.
NUMPY = Namespace("numpy", Later("tcalc.numpy_module", "MEMBERS"))

MODULES: dict[str, Namespace] = {"math": MATH, "random": RANDOM, "numpy": NUMPY,
                                 **{module.name: module for module in _DISTRIBUTION_MODULES.values()},
                                 "torch.distributions": DISTRIBUTIONS, "torch.nn": NN, "torch.nn.functional": NN_FUNCTIONAL}

# ---- files, pictures and summaries (issue 14) -------------------------------------------------
#
# save/load (whose .npy and .npz paths are NumPy's formats, tcalc.numpy_files, and .csv a
# text table, tcalc.text_files; NumPy's np.save and the others are tcalc.numpy_module's);
# show (tcalc.summary); plot, scatter, hist (tcalc.plots). Those two modules are imported by
# the first call (tcalc.summary registers its renderer then; tcalc.plots imports uniplot).


_build((
    ("show", Later("tcalc.summary", "show"), FUNCTION),
    ("plot", Later("tcalc.plots", "plot"), FUNCTION, CALLS_BACK),  # plot(f, a, b) calls f
    ("scatter", Later("tcalc.plots", "scatter"), FUNCTION),
    ("hist", Later("tcalc.plots", "hist"), FUNCTION),
))
# tcalc's own names, like Python's builtins, are not torch's: torch.show is refused.
PYTHON_ONLY += ("show", "plot", "scatter", "hist")

# ---- torch.func and torch.autograd.functional (tcalc.functional) --------------------------------
#
# The transforms answer to their bare names, as torch.func.NAME, and vmap as torch.vmap;
# torch.autograd.functional is a namespace of its own.


FUNCTIONAL = (
    ("grad_and_value", _functional("grad_and_value"), FUNCTION),
    ("jacrev", _functional("jacrev"), FUNCTION),
    ("jacfwd", _functional("jacfwd"), FUNCTION),
    ("hessian", _functional("hessian"), FUNCTION),
    ("vmap", _functional("vmap"), FUNCTION),
    ("vjp", _functional("vjp"), FUNCTION, CALLS_BACK),
    ("jvp", _functional("jvp"), FUNCTION, CALLS_BACK),
)
_build(FUNCTIONAL)

FUNC.members.update({name: FUNCTIONS[name] for name in
                     ("grad_and_value", "jacrev", "jacfwd", "hessian", "vmap", "vjp", "jvp")})
AUTOGRAD_FUNCTIONAL = Namespace("torch.autograd.functional", {
    "jacobian": Builtin("jacobian", _functional("autograd_jacobian"), CALLS_BACK),
    "hessian": Builtin("hessian", _functional("autograd_hessian"), CALLS_BACK),
    "vjp": Builtin("vjp", _functional("autograd_vjp"), CALLS_BACK),
    "jvp": Builtin("jvp", _functional("autograd_jvp"), CALLS_BACK),
    "hvp": Builtin("hvp", _functional("autograd_hvp"), CALLS_BACK),
    "vhp": Builtin("vhp", _functional("autograd_vhp"), CALLS_BACK),
})
AUTOGRAD.members["functional"] = AUTOGRAD_FUNCTIONAL
MODULES.update({"torch.func": FUNC, "torch.autograd.functional": AUTOGRAD_FUNCTIONAL})

# ---- the autograd graph made visible (tcalc.graph) ------------------------------------------------


FUNCTIONS["graph"] = SessionBuiltin("graph", Later("tcalc.graph", "graph"))


def _node_method(name: str, function):
    method = Builtin(name, function)
    return lambda node: BoundMethod(method, node)


# Attributes of objects that are not tensors: a grad_fn (autograd.Node) and the
# AccumulateGrad at a leaf (the evaluator reads them here).

OBJECT_ATTRIBUTES: dict[type, dict] = {
    _Node: {"next_functions": Later("tcalc.graph", "next_functions"), "name": _node_method("name", lambda n: n.name),
            "metadata": lambda n: {}},
    _AccumulateGrad: {"next_functions": lambda n: (), "variable": lambda n: n.variable,
                      "name": _node_method("name", lambda n: "torch::autograd::AccumulateGrad"),
                      "metadata": lambda n: {}},
}

# torch.Generator objects: a program's own generators, and the default one
# (torch.default_generator, which torch.manual_seed returns).


def _new_generator(device="cpu"):
    from .devices import device_type

    if device_type(device) != "cpu":
        raise TcalcValueError("Cannot get CUDA generator without ATen_cuda library.",
                              hint="tcalc runs on the CPU only: torch.Generator() or torch.Generator('cpu')")
    return ops.new_generator()


TORCH_ONLY.update(Generator=Builtin("Generator", _new_generator), default_generator=ops.creation.DEFAULT_GENERATOR)
OBJECT_ATTRIBUTES[Generator] = {
    "manual_seed": _node_method("manual_seed", ops.generator_manual_seed),
    "seed": _node_method("seed", ops.generator_seed),
    "initial_seed": _node_method("initial_seed", ops.generator_initial_seed),
    "get_state": _node_method("get_state", ops.generator_get_state),
    "set_state": _node_method("set_state", ops.generator_set_state),
    "device": Later("tcalc.devices", "generator_device"),
}

# ---- hooks, retain_grad, torch.autograd.backward ------------------------------------------------



def _register_hook(x, hook):
    if not x.requires_grad:
        raise AutogradError("cannot register a hook on a tensor that doesn't require gradient",
                            hint="call x.requires_grad_() first")
    return RemovableHandle(_autograd.register_hook(x, hook))


def _retain_grad(x):
    if not x.requires_grad:
        raise AutogradError("can't retain_grad on Tensor that has requires_grad=False",
                            hint="only tensors computed from tensors that require grad have a gradient")
    _autograd.retain_grad(x)


HOOKS = (
    ("register_hook", _register_hook, METHOD, CALLS_BACK),
    ("retain_grad", _retain_grad, METHOD, CHANGES_FLAGS),
    ("retains_grad", _autograd.retains_grad, ATTRIBUTE),
)
_build(HOOKS)
AUTOGRAD.members["backward"] = Builtin("backward", differentiate.autograd_backward, RUNS_BACKWARD)
OBJECT_ATTRIBUTES[RemovableHandle] = {"remove": _node_method("remove", lambda handle: handle.remove())}
AUTOGRAD.members.update(gradcheck=Builtin("gradcheck", _functional("gradcheck"), CALLS_BACK),
                        gradgradcheck=Builtin("gradgradcheck", _functional("gradgradcheck"), CALLS_BACK))
FUNCTIONS.update(gradcheck=AUTOGRAD.members["gradcheck"], gradgradcheck=AUTOGRAD.members["gradgradcheck"])

# ---- attributes: `obj.name` and hasattr(obj, name), from the tables above -----------------

# The methods of lists, dicts, strings and tuples, as table entries (a method that
# changes its list or dict is journaled like an in-place tensor op).
PYTHON_METHODS = {
    kind: {name: Builtin(name, function, CHANGES_CONTENTS if changes else None)
           for name, (function, changes) in methods.items()}
    for kind, methods in python_values.METHODS.items()
}

_RAISE = object()


def attribute(obj, name: str, default=_RAISE):
    """obj.name as the tables have it (never Python's getattr on the user's text). A name obj
    lacks gives `default` when one is given, else Python's or PyTorch's refusal; a name
    PyTorch has that tcalc does not is refused saying so either way."""
    if type(obj) is Tensor:  # the common case first, before `missing` is made
        getter = ATTRIBUTES.get(name)
        if getter is not None:
            return getter(obj)
        method = METHODS.get(name)
        if method is not None:
            return BoundMethod(method, obj)

    def missing(error):
        if default is _RAISE:
            raise error
        return default

    if isinstance(obj, Namespace):
        members = obj.members
        if type(members) is Members:  # an object's (a device, a distribution)
            return members[name] if members.has(name) else missing(members.refusal(name))
        if name in members:
            return members[name]
        not_yet = not name.startswith("_") and pytorch_only(f"{obj.name}.{name}")
        if not_yet:
            raise TcalcNameError(not_yet)
        return missing(TcalcNameError(f"module '{obj.name}' has no attribute '{name}'",
                                      hint=attribute_hint(name, members)))
    if type(obj) is Tensor:
        not_yet = not name.startswith("_") and pytorch_only(f"Tensor.{name}")
        if not_yet:
            raise TcalcNameError(not_yet)
        return missing(TcalcNameError(f"'Tensor' object has no attribute '{name}'",
                                      hint=attribute_hint(name, {**ATTRIBUTES, **METHODS})))
    if type(obj) is _Batched:  # one example of vmap's batch
        if name in ATTRIBUTES:
            from . import batching  # (imported by the vmap that made it)

            return batching.attribute(obj, name)
        method = METHODS.get(name)
        if method is None:
            raise _NoBatchingRule
        return BoundMethod(method, obj)
    attributes = OBJECT_ATTRIBUTES.get(type(obj))  # grad_fn.next_functions, ...
    if attributes is not None and name in attributes:
        return attributes[name](obj)
    methods = PYTHON_METHODS.get(type(obj))
    if methods is not None:
        method = methods.get(name)
        if method is None:
            return missing(TcalcTypeError(f"'{type_name(obj)}' object has no attribute '{name}'",
                                          hint=attribute_hint(name, methods)))
        return BoundMethod(method, obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields") and name in obj._fields:  # torch.return_types
        return python_values.field(obj, name)
    if isinstance(obj, np.ndarray):
        if name in ("shape", "dtype", "T", "ndim", "size"):
            return python_values.numpy_attribute(obj, name)
        from .numpy_module import ARRAY_METHODS  # (an array: .numpy() or np made it)

        method = ARRAY_METHODS.get(name)
        if method is not None:
            return BoundMethod(method, obj)
        return missing(TcalcTypeError(f"'numpy.ndarray' object has no attribute '{name}'",
                                      hint="tcalc's arrays have " + ", ".join(sorted(ARRAY_METHODS))
                                           + "; convert to a tensor (torch.from_numpy) for the rest"))
    if isinstance(obj, dtypes.DType) and name == "is_floating_point":
        return obj.is_floating_point
    kind = "torch.Size" if isinstance(obj, Size) else type_name(obj)
    return missing(TcalcTypeError(f"'{kind}' object has no attribute '{name}'", hint=attribute_hint(name, ())))


# The protocol names Python's values have, for hasattr (d2l asks `hasattr(X[0], "__len__")`);
# the program cannot read them as attributes (no dunder attributes in tcalc).
_SIZED = (Tensor, tuple, list, str, dict, set, _py.range, np.ndarray) + python_values.DICT_VIEWS
_PROTOCOLS = {
    "__len__": lambda v: isinstance(v, _SIZED),
    "__iter__": lambda v: isinstance(v, _SIZED) or hasattr(v, "__next__"),
    "__contains__": lambda v: isinstance(v, _SIZED) and not isinstance(v, python_values.DICT_VIEWS[1]),
    "__getitem__": lambda v: isinstance(v, (Tensor, tuple, list, str, dict, _py.range, np.ndarray)),
    "__call__": lambda v: _callable(v) or isinstance(v, type_values.TypeValue),
}


def _hasattr(obj, name):
    if type(name) is not str:
        raise TcalcTypeError(f"attribute name must be string, not '{type_name(name)}'")
    if name in _PROTOCOLS:
        return _PROTOCOLS[name](obj)
    if name.startswith("__"):
        raise TcalcValueError(f"hasattr() of {name!r}: tcalc answers for Python's protocol names "
                              f"{', '.join(_PROTOCOLS)} only", hint="ask for an attribute or method by its name")
    return attribute(obj, name, _ABSENT) is not _ABSENT


_ABSENT = object()
_build((("hasattr", _hasattr, FUNCTION),))
PYTHON_ONLY += ("hasattr",)
