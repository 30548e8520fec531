"""Every tensor operation, once: forward on ndarrays and its gradient side by side.

The modules group ops by kind; this package re-exports their public functions so that the
builtin tables (tcalc.builtins) and gradient formulas can say `ops.mul`, `ops.sum`.
"""
from .convert import (clone, contiguous, detach, item, numpy, requires_grad_, to_dtype,  # noqa: F401
                      tolist)
from .creation import (arange, empty, full, full_like, manual_seed, ones, ones_like, rand,  # noqa: F401
                       randn, tensor, zeros, zeros_like)
from .elementwise import (abs, add, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, cos,  # noqa: F401
                          div, eq, exp, floor_divide, ge, gt, le, log, log2, log10, logical_not,
                          lt, mul, ne, neg, pow, reciprocal, relu, remainder, sigmoid, sign, sin,
                          sqrt, sub, tan, tanh, trunc)
from .linalg import dot, matmul, mm, mv, outer  # noqa: F401
from .reduce import mean, norm, sum, sum_to  # noqa: F401
from .shape import (T, cat, expand, flatten, getitem, narrow, permute, reshape, setitem,  # noqa: F401
                    squeeze, stack, t, transpose, unsqueeze, view)
from .inplace import add_, apply_inplace, div_, fill_, mul_, sub_, zero_  # noqa: F401
