"""Products of vectors and matrices."""
from __future__ import annotations

import numpy as np

from ..autograd import Op, apply
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor
from ._base import as_tensor


def _same_dtype(a: Tensor, b: Tensor, name: str) -> None:
    if a.dtype is not b.dtype:
        if name == "dot":
            message = (f"dot : expected both vectors to have same dtype, but found "
                       f"{a.dtype.torch_name} and {b.dtype.torch_name}")
        else:
            message = (f"expected m1 and m2 to have the same dtype, but got: "
                       f"{_c_type(a)} != {_c_type(b)}")
        raise DTypeError(message, hint="convert one side, e.g. with .float()")


def _c_type(x: Tensor) -> str:
    return {"int64": "long int", "float32": "float", "float64": "double", "int32": "int",
            "bool": "bool", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "float16": "c10::Half"}[x.dtype.name]


def _shape_text(shape) -> str:
    return "x".join(str(n) for n in shape)


DOT = Op("DotBackward0", np.dot, lambda n, g: (g * n.inputs[1], g * n.inputs[0]))
MV = Op("MvBackward0", np.matmul, lambda n, g: (outer(g, n.inputs[1]), mv(t2(n.inputs[0]), g)))
MM = Op("MmBackward0", np.matmul, lambda n, g: (mm(g, t2(n.inputs[1])), mm(t2(n.inputs[0]), g)))


def t2(x: Tensor) -> Tensor:
    from .shape import t

    return t(x)


def dot(a, b) -> Tensor:
    a, b = as_tensor(a), as_tensor(b)
    if a.data.ndim != 1 or b.data.ndim != 1:
        raise ShapeError(f"1D tensors expected, but got {a.data.ndim}D and {b.data.ndim}D tensors",
                         hint="dot takes two vectors; use mv for matrix-vector, mm or @ for matrices")
    if a.data.shape != b.data.shape:
        raise ShapeError(f"inconsistent tensor size, expected tensor [{a.data.shape[0]}] and src "
                         f"[{b.data.shape[0]}] to have the same number of elements, but got "
                         f"{a.data.shape[0]} and {b.data.shape[0]} elements respectively")
    _same_dtype(a, b, "dot")
    return apply(DOT, (a, b), (a.data, b.data))


def mv(a, b) -> Tensor:
    a, b = as_tensor(a), as_tensor(b)
    if a.data.ndim != 2 or b.data.ndim != 1:
        raise ShapeError(f"vector + matrix @ vector expected, got 1, {a.data.ndim}, {b.data.ndim}")
    if a.data.shape[1] != b.data.shape[0]:
        raise ShapeError(f"size mismatch, got input ({a.data.shape[0]}), mat "
                         f"({_shape_text(a.data.shape)}), vec ({b.data.shape[0]})")
    _same_dtype(a, b, "mv")
    return apply(MV, (a, b), (a.data, b.data))


def mm(a, b) -> Tensor:
    a, b = as_tensor(a), as_tensor(b)
    if a.data.ndim != 2:
        raise ShapeError("self must be a matrix")
    if b.data.ndim != 2:
        raise ShapeError("mat2 must be a matrix")
    if a.data.shape[1] != b.data.shape[0]:
        raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_text(a.data.shape)} "
                         f"and {_shape_text(b.data.shape)})",
                         hint="the inner sizes must agree; transpose one side with .T?")
    _same_dtype(a, b, "mm")
    return apply(MM, (a, b), (a.data, b.data))


def outer(a, b) -> Tensor:
    from .elementwise import mul
    from .shape import unsqueeze

    return mul(unsqueeze(as_tensor(a), 1), unsqueeze(as_tensor(b), 0))


def _batched_matmul_backward(n, g):
    from .reduce import sum_to

    a, b = n.inputs
    ga = matmul(g, transpose_last(b)) if a.data.ndim > 1 else None
    gb = matmul(transpose_last(a), g) if b.data.ndim > 1 else None
    return (sum_to(ga, a.data.shape) if ga is not None else None,
            sum_to(gb, b.data.shape) if gb is not None else None)


BMM = Op("UnsafeViewBackward0", np.matmul, _batched_matmul_backward)


def transpose_last(x: Tensor) -> Tensor:
    from .shape import transpose

    return transpose(x, -1, -2)


def matmul(a, b) -> Tensor:
    """`@`: dot, mv, mm or a batched product, by the operands' dims (as torch.matmul)."""
    from .shape import squeeze, unsqueeze

    a, b = as_tensor(a), as_tensor(b)
    if a.data.ndim == 0 or b.data.ndim == 0:
        raise ShapeError(f"both arguments to matmul need to be at least 1D, but they are "
                         f"{a.data.ndim}D and {b.data.ndim}D")
    if a.data.ndim == 1 and b.data.ndim == 1:
        return dot(a, b)
    if a.data.ndim == 2 and b.data.ndim == 1:
        return mv(a, b)
    if a.data.ndim == 2 and b.data.ndim == 2:
        return mm(a, b)
    if a.data.ndim == 1 and b.data.ndim == 2:
        _check_inner(a.data.shape, b.data.shape)
        return squeeze(mm(unsqueeze(a, 0), b), 0)
    _check_inner(a.data.shape, b.data.shape)
    _same_dtype(a, b, "matmul")
    try:
        np.broadcast_shapes(a.data.shape[:-2], b.data.shape[:-2])
    except ValueError:
        raise ShapeError(f"The size of tensor a must match the size of tensor b at a batch "
                         f"dimension: shapes {list(a.data.shape)} and {list(b.data.shape)}") from None
    return apply(BMM, (a, b), (a.data, b.data))


def _check_inner(sa, sb) -> None:
    k_a = sa[-1]
    k_b = sb[-2] if len(sb) > 1 else sb[0]
    if k_a != k_b:
        left = _shape_text(sa if len(sa) == 2 else ((1,) + tuple(sa) if len(sa) == 1 else (
            int(np.prod(sa[:-1])), sa[-1])))
        right = _shape_text(sb[-2:] if len(sb) >= 2 else sb)
        raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({left} and {right})",
                         hint="the inner sizes must agree; transpose one side with .T?")
