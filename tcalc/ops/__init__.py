"""Every tensor operation, once: forward on ndarrays and its gradient side by side.

The modules group ops by kind; this package re-exports their public functions so that the
builtin tables (tcalc.builtins) and gradient formulas can say `ops.mul`, `ops.sum`.
"""
from .convert import (clone, contiguous, data, detach, item, numpy, requires_grad_, to_dtype,  # noqa: F401
                      tolist)
from .creation import (arange, empty, eye, full, full_like, linspace, manual_seed, normal,  # noqa: F401
                       ones, ones_like, rand, rand_like, randint, randn, randn_like, tensor, zeros,
                       zeros_like)
from .elementwise import (abs, add, allclose, bitwise_and, bitwise_not, bitwise_or,  # noqa: F401
                          bitwise_xor, ceil, clamp, cos, div, eq, equal, exp, floor, floor_divide,
                          ge, gt, isnan, le, log, log2, log10, logical_not, lt, maximum, minimum,
                          mul, ne, neg, pow, reciprocal, relu, remainder, round, sigmoid, sign, sin,
                          sqrt, sub, tan, tanh, trunc, where)
from .linalg import (det, dot, inv, linalg_norm, matmul, matrix_norm, mm, mv, outer,  # noqa: F401
                     solve, trace)
from .reduce import (all, amax, amin, any, argmax, argmin, argsort, cumsum, log_softmax,  # noqa: F401
                     logsumexp, max, mean, min, norm, prod, softmax, sort, std, sum, sum_to, topk, var,
                     vector_norm)
from .shape import (T, cat, diag, mT, expand, flatten, getitem, narrow, permute, repeat,  # noqa: F401
                    reshape, setitem, squeeze, stack, t, transpose, tril, triu, unsqueeze, view)
from .inplace import add_, apply_inplace, div_, fill_, mul_, sub_, zero_  # noqa: F401
# The operators' functions, also taking NumPy operands (they wrap the tensor ops above).
from .ndarray_operands import (add, apply_inplace, div, floor_divide, matmul, mul, neg, pow,  # noqa: F401,E402
                               remainder, sub)
