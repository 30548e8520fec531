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
and gradient formulas can say `ops.mul`, `ops.sum`: those of the modules every session
uses from the start, and those of the others (_LATER below) on first use.
"""
from importlib import import_module

from ..values import Later
from . import elementwise  # noqa: F401  (its ops, for tcalc.fast_path)
from ._base import scalar_operand  # noqa: F401
from .convert import clone, contiguous, data, detach, item, numpy, requires_grad_, to_dtype, tolist  # noqa: F401
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
from .einsum import einsum  # noqa: F401  (eager: a module of the same name)
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
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
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
from .linalg import (  # noqa: F401  (eager: `@`)
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
from .reduce import all, amax, amin, any, argmax, argmin, cumsum, max, mean, min, prod, std, sum, sum_of_floats, var  # noqa: F401
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
from .softmax import log_softmax, logsumexp, softmax  # noqa: F401  (eager: a module of the same name)

# The modules imported when one of their names is first asked for (`ops.conv2d`), not when
# tcalc starts: about a third of tcalc's own import time, which a session that never
# factorises a matrix or convolves need not pay. Each name is listed with its module.
_LATER = {name: module for module, names in {
    "convolution": (
        "avg_pool1d", "avg_pool2d", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
        "max_pool1d", "max_pool1d_with_indices", "max_pool2d", "torch_max_pool2d",
    ),
    "decompositions": (
        "cholesky", "cholesky_ex", "cond", "eig", "eigh", "eigvals", "eigvalsh", "inv_ex",
        "linalg_lu_solve", "logdet", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_unpack",
        "matrix_exp", "matrix_power", "matrix_rank", "pinv", "pinverse", "qr", "slogdet",
        "solve_ex", "solve_triangular", "svd", "torch_cholesky", "torch_lu", "torch_lu_solve",
        "torch_qr", "torch_slogdet", "torch_svd",
    ),
    "inplace": (
        "abs_", "acos_", "acosh_", "add_", "apply_inplace", "asin_", "asinh_", "atan2_",
        "atan_", "atanh_", "bernoulli_", "bitwise_and_", "bitwise_not_", "bitwise_or_",
        "bitwise_xor_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "copy_", "cos_", "cosh_",
        "cumprod_", "cumsum_", "deg2rad_", "digamma_", "div_", "eq_", "erf_", "erfc_",
        "erfinv_", "exp2_", "exp_", "expm1_", "exponential_", "fill_", "floor_",
        "floor_divide_", "fmod_", "frac_", "ge_", "gt_", "heaviside_", "hypot_", "i0_", "le_",
        "lerp_", "lgamma_", "log1p_", "log2_", "log10_", "log_", "logical_and_", "logical_not_",
        "logical_or_", "logical_xor_", "logit_", "lt_", "mul_", "mvlgamma_", "ne_", "neg_",
        "normal_", "polygamma_", "pow_", "rad2deg_", "random_", "reciprocal_", "relu_",
        "remainder_", "round_", "sigmoid_", "sign_", "sin_", "sinc_", "sinh_", "sqrt_",
        "square_", "sub_", "tan_", "tanh_", "tril_", "triu_", "trunc_", "uniform_", "xlogy_",
        "zero_",
    ),
    "joining": (
        "cat", "stack",
    ),
    "norms": (
        "linalg_norm", "linalg_norm_call", "matrix_norm", "norm", "vector_norm",
    ),
    "scans": (
        "cummax", "cummin", "cumprod", "diff",
    ),
    "selection": (
        "argwhere", "chunk", "count_nonzero", "expand_as", "flip", "fliplr", "flipud", "gather",
        "index_add", "index_add_", "index_reduce", "index_reduce_", "index_select",
        "masked_fill", "masked_fill_", "masked_select", "meshgrid", "movedim", "nonzero",
        "repeat_interleave", "reshape_as", "roll", "scatter", "scatter_", "scatter_add",
        "scatter_add_", "scatter_reduce", "scatter_reduce_", "split", "swapaxes", "take",
        "tensor_split", "tile", "torch_flip", "unbind", "unique", "view_as",
    ),
    "sorting": (
        "argsort", "sort", "topk",
    ),
    "special": (
        "atan2", "clamp_max", "clamp_min", "deg2rad", "erf", "erfc", "erfinv", "fmod", "frac",
        "heaviside", "hypot", "isclose", "lerp", "logaddexp", "logaddexp2", "rad2deg", "xlogy",
    ),
    "special_functions": (
        "digamma", "entr", "erfcx", "exp2", "gammaln", "i0", "i0e", "i1", "i1e", "log_ndtr",
        "logit", "multigammaln", "mvlgamma", "mvlgamma_method", "ndtr", "ndtri", "polygamma",
        "polygamma_method", "sinc", "special_polygamma", "xlog1py", "zeta",
    ),
    "statistics": (
        "aminmax", "bincount", "histc", "kthvalue", "median", "mode", "nanmean", "nanmedian",
        "nanquantile", "nansum", "quantile", "std_mean", "var_mean",
    ),
}.items() for name in names}


def __getattr__(name: str):
    """A name of a module not imported yet (PEP 562): import it, keep its names here."""
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module 'tcalc.ops' has no attribute {name!r}")
    imported = import_module(f"{__name__}.{module}")
    for other, its_module in _LATER.items():
        if its_module == module:
            globals()[other] = getattr(imported, other)
    return globals()[name]


def later(name: str):
    """`name`'s function for a table built at start: itself if its module is imported, else
    a Later that imports it when first used (tcalc.values.Builtin takes either)."""
    value = globals().get(name)
    if value is not None:
        return value
    if name not in _LATER:
        raise AttributeError(f"module 'tcalc.ops' has no attribute {name!r}")
    return Later(__name__, name)


def __dir__():
    return sorted({*globals(), *_LATER})
