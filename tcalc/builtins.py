"""Every name a user can reach: functions, tensor methods and attributes, dtypes, `torch.`.

Nothing outside these tables is reachable from the language: the evaluator looks names up
here and never in Python's own namespaces.
"""
from __future__ import annotations

import builtins as _py
import math

from . import differentiate, dtypes, ops
from .errors import TcalcTypeError, TcalcValueError
from .tensor import Size, Tensor
from .values import Builtin, Namespace, type_name

FUNCTIONS: dict[str, object] = {}  # bare names; `torch.NAME` sees the same table
METHODS: dict[str, object] = {}  # x.NAME(...)
ATTRIBUTES: dict[str, object] = {}  # x.NAME
SETTABLE: dict[str, object] = {}  # x.NAME = value


def function(name: str, fn, method: bool | str = False) -> None:
    """Register `fn` as the function `name` (and as the method of the same or given name)."""
    FUNCTIONS[name] = Builtin(name, fn)
    if method:
        METHODS[name if method is True else method] = fn


def method(name: str, fn) -> None:
    METHODS[name] = fn


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

    def __init__(self, name, convert, dtype):
        super().__init__(name, convert)
        object.__setattr__(self, "dtype", dtype)

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


def _to_int(x=0):
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


FUNCTIONS["float"] = PythonType("float", _to_float, dtypes.float64)
FUNCTIONS["int"] = PythonType("int", _to_int, dtypes.int64)
FUNCTIONS["bool"] = PythonType("bool", _to_bool, dtypes.bool_)


def _len(x):
    if type(x) is Tensor:
        if x.data.ndim == 0:
            raise TcalcTypeError("len() of a 0-d tensor")
        return x.data.shape[0]
    if isinstance(x, (tuple, list, str)):
        return _py.len(x)
    raise TcalcTypeError(f"object of type '{type_name(x)}' has no len()")


def _numbers_only(*args):
    return args and all(isinstance(a, (int, float)) for a in args)


def _abs(x):
    return _py.abs(x) if _numbers_only(x) else ops.abs(x)


def _sum(x, dim=None, keepdim=False, dtype=None):
    if isinstance(x, (tuple, list)) and dim is None:
        return _py.sum(x)
    return ops.sum(x, dim, keepdim, dtype)


FUNCTIONS["len"] = Builtin("len", _len)
FUNCTIONS["id"] = Builtin("id", _py.id)
FUNCTIONS["abs"] = Builtin("abs", _abs)
FUNCTIONS["sum"] = Builtin("sum", _sum)
METHODS["sum"] = ops.sum

# ---- tensors ----------------------------------------------------------------------------

for _name in ("arange", "zeros", "ones", "full", "empty", "randn", "rand", "tensor", "zeros_like",
              "ones_like", "full_like", "manual_seed", "cat", "stack", "eye", "linspace", "randint",
              "normal", "rand_like", "randn_like", "where"):
    function(_name, getattr(ops, _name))
FUNCTIONS["concat"] = FUNCTIONS["concatenate"] = FUNCTIONS["cat"]

_BOTH = ("reshape", "mean", "dot", "mv", "mm", "matmul", "outer", "norm", "exp", "log", "log2",
         "log10", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sign", "trunc",
         "reciprocal", "clone", "detach", "transpose", "permute", "squeeze", "unsqueeze",
         "flatten", "t", "add", "sub", "mul", "div", "pow", "neg", "remainder", "floor_divide",
         "eq", "ne", "lt", "le", "gt", "ge", "narrow", "logical_not", "bitwise_not",
         "floor", "ceil", "round", "isnan", "clamp", "maximum", "minimum", "equal", "allclose",
         "prod", "max", "min", "argmax", "argmin", "cumsum", "std", "var", "all", "any", "trace",
         "det", "bitwise_and", "bitwise_or", "bitwise_xor", "amax", "amin")
for _name in _BOTH:
    function(_name, getattr(ops, _name), method=True)
FUNCTIONS["abs"] = Builtin("abs", _abs)
METHODS["abs"] = ops.abs
FUNCTIONS["subtract"], FUNCTIONS["multiply"], FUNCTIONS["divide"] = (
    FUNCTIONS["sub"], FUNCTIONS["mul"], FUNCTIONS["div"])
FUNCTIONS["true_divide"] = FUNCTIONS["div"]
function("clip", ops.clamp, method=True)
function("sort", ops.sort, method=True)
function("argsort", ops.argsort, method=True)
function("topk", ops.topk, method=True)
function("softmax", ops.softmax, method=True)
function("log_softmax", ops.log_softmax, method=True)
function("logsumexp", ops.logsumexp, method=True)
function("tril", ops.tril, method=True)
function("triu", ops.triu, method=True)
function("diag", ops.diag, method=True)
function("inverse", ops.inv, method=True)
function("square", lambda x: ops.pow(x, 2), method=True)
# x.where(condition, y) is where(condition, x, y): the receiver is the value kept.
method("where", lambda x, condition, other: ops.where(condition, x, other))

for _name in ("view", "expand", "repeat", "contiguous", "item", "tolist", "numpy", "requires_grad_",
              "add_", "sub_", "mul_", "div_", "fill_", "zero_"):
    method(_name, getattr(ops, _name))


def _numel(x):
    return ops._base.as_tensor(x).data.size


def _is_tensor(x):
    return type(x) is Tensor


function("numel", _numel, method=True)
function("is_tensor", _is_tensor)
function("grad", differentiate.grad)


def _save(obj, f, *args, **kwargs):
    from . import serialization  # zipfile is imported only by a run that saves or loads

    return serialization.save(obj, f)


def _load(f, *args, **kwargs):
    from . import serialization

    return serialization.load(f, *args, **kwargs)


# The only way a program reaches files (LANGUAGE.md, "Names"): PyTorch's format, loaded
# without unpickling.
function("save", _save)
function("load", _load)
method("backward", differentiate.backward)


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


def _type_conversion(dtype):
    return lambda x: ops.to_dtype(x, dtype)


method("size", _size)
method("dim", _dim)
method("ndimension", _dim)
method("to", _to)


def _type_as(x, other):
    if type(other) is not Tensor:
        raise TcalcTypeError("type_as(): argument 'other' (position 1) must be Tensor, not "
                             f"{type_name(other)}", hint="pass a tensor whose dtype to take, "
                             "or convert with x.to(torch.float32)")
    return ops.to_dtype(x, other.dtype)


method("type_as", _type_as)


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


method("type", _type)
for _name, _dtype in (("float", dtypes.float32), ("double", dtypes.float64), ("half", dtypes.float16),
                      ("long", dtypes.int64), ("int", dtypes.int32), ("short", dtypes.int16),
                      ("bool", dtypes.bool_), ("byte", dtypes.uint8), ("char", dtypes.int8)):
    method(_name, _type_conversion(_dtype))
method("cpu", lambda x: x)
method("is_floating_point", lambda x: x.dtype.is_floating_point)

ATTRIBUTES.update(
    shape=lambda x: Size(x.data.shape),
    T=ops.T,
    mT=ops.mT,
    grad=lambda x: x.grad,
    requires_grad=lambda x: x.requires_grad,
    is_leaf=lambda x: x.is_leaf,
    grad_fn=lambda x: x.grad_fn,
    dtype=lambda x: x.dtype,
    ndim=lambda x: x.data.ndim,
    data=ops.data,
)


def _set_requires_grad(x, value):
    if not isinstance(value, bool):
        raise TcalcTypeError("requires_grad must be a bool", hint="write x.requires_grad = True")
    if value and not x.dtype.is_floating_point:  # the attribute words it otherwise than requires_grad_()
        from .errors import AutogradError

        raise AutogradError("only Tensors of floating point and complex dtype can require gradients",
                            hint="convert first: x = x.float(); x.requires_grad = True")
    ops.requires_grad_(x, value)


def _set_grad(x, value):
    if value is not None and type(value) is not Tensor:
        raise TcalcTypeError("assigned grad expected to be a Tensor or None")
    if value is not None and value.data.shape != x.data.shape:
        raise TcalcValueError(f"attempting to assign a gradient of size '{list(value.data.shape)}' to a tensor "
                              f"of size '{list(x.data.shape)}'. Please ensure that the gradient and the "
                              "tensor are the same size")
    x.grad = value


SETTABLE.update(requires_grad=_set_requires_grad, grad=_set_grad)

# ---- dtypes and constants ---------------------------------------------------------------

TORCH_ONLY: dict[str, object] = dict(dtypes.BY_NAME)  # torch.float is float32, bare float is not
for _dtype in dtypes.ALL:
    FUNCTIONS.setdefault(_dtype.name, _dtype)
FUNCTIONS["bool_"] = dtypes.bool_
FUNCTIONS.update(pi=math.pi, e=math.e, inf=math.inf, nan=math.nan)

LINALG = Namespace("torch.linalg", {
    "norm": Builtin("norm", ops.linalg_norm),
    "vector_norm": Builtin("vector_norm", ops.vector_norm),
    "matrix_norm": Builtin("matrix_norm", ops.matrix_norm),
    "inv": Builtin("inv", ops.inv),
    "det": Builtin("det", ops.det),
    "solve": Builtin("solve", ops.solve),
})
AUTOGRAD = Namespace("torch.autograd", {
    "grad": Builtin("grad", lambda outputs, inputs, **kw: _as_tuple(differentiate.grad(outputs, inputs, **kw))),
    "backward": Builtin("backward", differentiate.backward),
})
FUNC = Namespace("torch.func", {"grad": FUNCTIONS["grad"]})


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def torch_namespace() -> Namespace:
    members = dict(FUNCTIONS)
    for name in ("len", "id"):
        members.pop(name)
    members.update(TORCH_ONLY)
    members.update(linalg=LINALG, autograd=AUTOGRAD, func=FUNC, Size=Builtin("Size", lambda s=(): Size(s)))
    return Namespace("torch", members)


def global_names() -> dict[str, object]:
    """The names a fresh session starts with."""
    names = dict(FUNCTIONS)
    names["torch"] = torch_namespace()
    return names
