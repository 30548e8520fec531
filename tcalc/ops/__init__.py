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
    cpu_generator  PyTorch's CPU generator (mt19937) and how its kernels draw from it
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
    einsum       einsum's equations, its gradient an einsum again
    linalg       products of vectors and matrices (bmm, addmm, kron, cross, ...), trace, inv,
                 det, solve, singular values (with a gradient: decompositions' svd, imported
                 where it is called)
    norms        vector_norm, norm, matrix_norm, linalg_norm
    decompositions  torch.linalg's factorizations (eigh, svd, qr, cholesky, lu) and what is
                 built on them (slogdet, pinv, lstsq, matrix_rank, matrix_exp, cond, ...)
    inplace      add_, mul_, fill_, ... written into the tensor's memory
    selection    flip, roll, split/chunk/unbind (views), movedim, tile, repeat_interleave,
                 meshgrid, gather/scatter (and their reductions), index_select/index_add/index_reduce,
                 take, masks, nonzero, unique
    convolution  conv1d/conv2d, their transposes and max/avg pooling, on im2col windows (uses selection's
                 scatter_add and einsum in its gradients)

This package re-exports their public functions so that the builtin tables (tcalc.builtins)
and gradient formulas can say `ops.mul`, `ops.sum`.
"""
from . import elementwise  # noqa: F401  (its ops, for tcalc.fast_path)
from ._base import scalar_operand  # noqa: F401
from .convert import clone, contiguous, data, detach, item, numpy, requires_grad_, to_dtype, tolist  # noqa: F401
from .convolution import (  # noqa: F401
                      avg_pool1d,
                      avg_pool2d,
                      conv1d,
                      conv2d,
                      conv_transpose1d,
                      conv_transpose2d,
                      max_pool1d,
                      max_pool1d_with_indices,
                      max_pool2d,
                      torch_max_pool2d,
)
from .creation import (  # noqa: F401
                      arange,
                      bernoulli,
                      empty,
                      eye,
                      full,
                      full_like,
                      generator_get_state,
                      generator_initial_seed,
                      generator_manual_seed,
                      generator_seed,
                      generator_set_state,
                      get_rng_state,
                      initial_seed,
                      linspace,
                      manual_seed,
                      multinomial,
                      new_generator,
                      normal,
                      ones,
                      ones_like,
                      rand,
                      rand_like,
                      randint,
                      randn,
                      randn_like,
                      randperm,
                      seed,
                      set_rng_state,
                      tensor,
                      zeros,
                      zeros_like,
)
from .decompositions import (  # noqa: F401
                      cholesky,
                      cond,
                      eig,
                      eigh,
                      eigvals,
                      eigvalsh,
                      logdet,
                      lstsq,
                      lu,
                      lu_factor,
                      matrix_exp,
                      matrix_power,
                      matrix_rank,
                      pinv,
                      pinverse,
                      qr,
                      slogdet,
                      solve_triangular,
                      svd,
                      torch_cholesky,
                      torch_qr,
                      torch_slogdet,
                      torch_svd,
)
from .einsum import einsum  # noqa: F401
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
                      elementwise_op,
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
from .inplace import (  # noqa: F401
                      abs_,
                      add_,
                      apply_inplace,
                      bernoulli_,
                      ceil_,
                      clamp_,
                      copy_,
                      cos_,
                      div_,
                      exp_,
                      exponential_,
                      fill_,
                      floor_,
                      log_,
                      mul_,
                      neg_,
                      normal_,
                      pow_,
                      random_,
                      reciprocal_,
                      relu_,
                      round_,
                      sigmoid_,
                      sign_,
                      sin_,
                      sqrt_,
                      sub_,
                      tanh_,
                      trunc_,
                      uniform_,
                      zero_,
)
from .joining import cat, stack  # noqa: F401
from .linalg import (  # noqa: F401
                      addbmm,
                      addmm,
                      addmv,
                      addr,
                      baddbmm,
                      bmm,
                      cross,
                      det,
                      dot,
                      inner,
                      inv,
                      kron,
                      linalg_cross,
                      matmul,
                      mm,
                      multi_dot,
                      mv,
                      outer,
                      solve,
                      svdvals,
                      trace,
                      vecdot,
)
from .norms import linalg_norm, matrix_norm, norm, vector_norm  # noqa: F401
from .reduce import all, amax, amin, any, argmax, argmin, cumsum, max, mean, min, prod, std, sum, sum_of_floats, var  # noqa: F401
from .scans import cummax, cummin, cumprod, diff  # noqa: F401
from .selection import (  # noqa: F401
                      argwhere,
                      chunk,
                      count_nonzero,
                      expand_as,
                      flip,
                      fliplr,
                      flipud,
                      gather,
                      index_add,
                      index_add_,
                      index_reduce,
                      index_reduce_,
                      index_select,
                      masked_fill,
                      masked_fill_,
                      masked_select,
                      meshgrid,
                      movedim,
                      nonzero,
                      repeat_interleave,
                      reshape_as,
                      roll,
                      scatter,
                      scatter_,
                      scatter_add,
                      scatter_add_,
                      scatter_reduce,
                      scatter_reduce_,
                      split,
                      swapaxes,
                      take,
                      tensor_split,
                      tile,
                      unbind,
                      unique,
                      view_as,
)
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
