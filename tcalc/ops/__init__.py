"""Every tensor operation, once: forward on ndarrays and its gradient side by side.

Each module holds one concern; they import one another at the top, in one direction
(a module imports only those listed before it):

    _base        operands as arrays, promotion (result_type), broadcasting, the binary and
                 unary skeletons
    convert      copies, dtype conversions, detach
    elementwise  arithmetic, comparisons, logic, functions of one tensor, where
    shape        views (reshape, permute, ...), expand and sum_to, repeat, triangles and
                 diagonals, squeeze
    creation     new tensors from data, sizes, ranges and random numbers
    reduce       sum, mean, prod, amax/amin, max/min, cumsum, var/std, all/any
    indexing     x[index], X[index] = value, narrow
    joining      cat, stack
    softmax      softmax, log_softmax, logsumexp
    sorting      sort, argsort, topk
    special      erf, erfc, erfinv, frac, deg2rad/rad2deg, atan2, hypot, logaddexp(2), xlogy,
                 fmod, heaviside, lerp, clamp_min/clamp_max, isclose
    scans        cumprod, cummax, cummin, diff
    tie_order    which of equal values PyTorch's kthvalue and mode pick (their CPU sorts)
    statistics   nansum, nanmean, var_mean/std_mean, aminmax, median, nanmedian, mode,
                 kthvalue, quantile, nanquantile, bincount, histc
    linalg       products of vectors and matrices, trace, inv, det, solve, singular values
    norms        vector_norm, norm, matrix_norm, linalg_norm
    inplace      add_, mul_, fill_, ... written into the tensor's memory

This package re-exports their public functions so that the builtin tables (tcalc.builtins)
and gradient formulas can say `ops.mul`, `ops.sum`.
"""
from .convert import clone, contiguous, data, detach, item, numpy, requires_grad_, to_dtype, tolist  # noqa: F401
from .creation import (  # noqa: F401
                      arange,
                      empty,
                      eye,
                      full,
                      full_like,
                      linspace,
                      manual_seed,
                      normal,
                      ones,
                      ones_like,
                      rand,
                      rand_like,
                      randint,
                      randn,
                      randn_like,
                      tensor,
                      zeros,
                      zeros_like,
)
from .elementwise import (  # noqa: F401
                      abs,
                      acos,
                      acosh,
                      add,
                      allclose,
                      asin,
                      asinh,
                      atan,
                      atanh,
                      bitwise_and,
                      bitwise_not,
                      bitwise_or,
                      bitwise_xor,
                      ceil,
                      clamp,
                      cos,
                      cosh,
                      div,
                      eq,
                      equal,
                      exp,
                      expm1,
                      floor,
                      floor_divide,
                      ge,
                      gt,
                      isfinite,
                      isinf,
                      isnan,
                      isneginf,
                      isposinf,
                      le,
                      log,
                      log1p,
                      log2,
                      log10,
                      logical_and,
                      logical_not,
                      logical_or,
                      logical_xor,
                      lt,
                      maximum,
                      minimum,
                      mul,
                      ne,
                      neg,
                      pow,
                      reciprocal,
                      relu,
                      remainder,
                      round,
                      sigmoid,
                      sign,
                      sin,
                      sinh,
                      sqrt,
                      sub,
                      tan,
                      tanh,
                      trunc,
                      where,
)
from .indexing import getitem, narrow, setitem  # noqa: F401
from .inplace import add_, apply_inplace, div_, fill_, mul_, sub_, zero_  # noqa: F401
from .joining import cat, stack  # noqa: F401
from .linalg import det, dot, inv, matmul, mm, mv, outer, solve, trace  # noqa: F401
from .norms import linalg_norm, matrix_norm, norm, vector_norm  # noqa: F401
from .reduce import all, amax, amin, any, argmax, argmin, cumsum, max, mean, min, prod, std, sum, var  # noqa: F401
from .scans import cummax, cummin, cumprod, diff  # noqa: F401
from .shape import (  # noqa: F401
                      T,
                      diag,
                      expand,
                      flatten,
                      mT,
                      permute,
                      repeat,
                      reshape,
                      squeeze,
                      sum_to,
                      t,
                      transpose,
                      tril,
                      triu,
                      unsqueeze,
                      view,
)
from .softmax import log_softmax, logsumexp, softmax  # noqa: F401
from .sorting import argsort, sort, topk  # noqa: F401
from .special import (  # noqa: F401
                      atan2,
                      clamp_max,
                      clamp_min,
                      deg2rad,
                      erf,
                      erfc,
                      erfinv,
                      fmod,
                      frac,
                      heaviside,
                      hypot,
                      isclose,
                      lerp,
                      logaddexp,
                      logaddexp2,
                      rad2deg,
                      xlogy,
)
from .statistics import (  # noqa: F401
                      aminmax,
                      bincount,
                      histc,
                      kthvalue,
                      median,
                      mode,
                      nanmean,
                      nanmedian,
                      nanquantile,
                      nansum,
                      quantile,
                      std_mean,
                      var_mean,
)
