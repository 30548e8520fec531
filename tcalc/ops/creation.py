"""Functions that make new tensors: from data, from sizes, ranges and random numbers."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..errors import AutogradError, DTypeError, ShapeError, TcalcTypeError, TcalcValueError
from ..limits import check_elements
from ..tensor import Tensor
from ..values import Generator, type_name
from ._base import fill_array, result_type
from .convert import requires_grad_
from .cpu_generator import STATE_BYTES, CPUGenerator
from .shape import sizes_from

# A new session starts from the seed a new torch.Generator() has, so its random numbers
# repeat from run to run (PyTorch's default generator starts from a seed it picks anew in
# every process, which no program could reproduce).
DEFAULT_SEED = 67280421310721
DEFAULT_GENERATOR = Generator(CPUGenerator(DEFAULT_SEED))


def random_source(generator=None) -> CPUGenerator:
    """What a sampling call draws from: its generator= argument, or the default generator."""
    if generator is None:
        return DEFAULT_GENERATOR.bits
    if type(generator) is not Generator:
        raise TcalcTypeError(f"argument 'generator' must be torch.Generator, not {type_name(generator)}")
    return generator.bits


def new_generator() -> Generator:
    """torch.Generator(): a generator of its own, seeded as PyTorch seeds a new one."""
    return Generator(CPUGenerator(DEFAULT_SEED))


def manual_seed(seed) -> Generator:
    """Reseed the default generator and return it, as torch.manual_seed does (Jupyter shows
    `<torch._C.Generator at 0x...>` for a bare `torch.manual_seed(0)`)."""
    if isinstance(seed, float) and math.isfinite(seed):
        seed = int(seed)  # torch.manual_seed takes int(seed); Generator.manual_seed does not
    if not isinstance(seed, int):
        raise TcalcTypeError(f"manual_seed expects an int, not {type_name(seed)}")
    return generator_manual_seed(DEFAULT_GENERATOR, seed)


def generator_manual_seed(generator: Generator, seed) -> Generator:
    """g.manual_seed(seed): reseed g and return it (`torch.Generator().manual_seed(0)`)."""
    if isinstance(seed, float):
        raise TcalcValueError("manual_seed expected a long, but got float")
    if not isinstance(seed, int):
        raise TcalcTypeError(f"manual_seed expects an int, not {type_name(seed)}")
    if not -2 ** 63 <= seed < 2 ** 64:
        raise TcalcValueError("Overflow when unpacking long long")
    generator.bits.manual_seed(seed % 2 ** 64)  # a negative seed wraps, as in PyTorch
    return generator


def generator_seed(generator: Generator) -> int:
    """g.seed() and torch.seed(): reseed from a non-deterministic 64-bit number, as PyTorch
    does, and return it."""
    import os

    seed = int.from_bytes(os.urandom(8), "little")
    generator.bits.manual_seed(seed)
    return seed


def seed() -> int:
    return generator_seed(DEFAULT_GENERATOR)


def initial_seed() -> int:
    return generator_initial_seed(DEFAULT_GENERATOR)


def generator_initial_seed(generator: Generator) -> int:
    """The seed the generator was last seeded with (a negative one as it wrapped)."""
    return generator.bits.seed


def get_rng_state() -> Tensor:
    return generator_get_state(DEFAULT_GENERATOR)


def generator_get_state(generator: Generator) -> Tensor:
    """A generator's state as PyTorch lays it out: 5056 bytes (uint8)."""
    return Tensor(generator.bits.state_bytes())


def set_rng_state(new_state) -> None:
    generator_set_state(DEFAULT_GENERATOR, new_state)


def generator_set_state(generator: Generator, new_state) -> Generator:
    if type(new_state) is not Tensor:
        raise TcalcTypeError(f"expected a torch.ByteTensor, but got {type_name(new_state)}")
    if new_state.dtype is not dtypes.uint8:
        raise TcalcTypeError("RNG state must be a torch.ByteTensor")
    if new_state.data.size != STATE_BYTES:
        raise TcalcValueError(f"Expected a CPUGeneratorImplState of size {STATE_BYTES} but found the input "
                              f"RNG state size to be {new_state.data.size}")
    generator.bits.set_state_bytes(np.ascontiguousarray(new_state.data).ravel())
    return generator


def _finish(data: np.ndarray, requires_grad: bool) -> Tensor:
    result = Tensor(data)
    if requires_grad:
        if not result.dtype.is_floating_point:
            # Factories word it differently from x.requires_grad_().
            raise AutogradError("Only Tensors of floating point and complex dtype can require "
                                "gradients", hint="ask for a float dtype, e.g. dtype=torch.float32")
        requires_grad_(result, True)
    return result


def _checked_sizes(args, name: str | None = None) -> tuple[int, ...]:
    """Sizes for a factory; `zeros` has a message of its own for a negative size."""
    shape = sizes_from(args)
    for n in shape:
        if n < 0:
            raise ShapeError(f"{name}: Dimension size must be non-negative." if name else
                             f"Trying to create tensor with negative dimension {n}: {list(shape)}")
    check_elements(math.prod(shape))
    return shape


def zeros(*size, dtype=None, requires_grad=False) -> Tensor:
    dtype = dtype or dtypes.DEFAULT_FLOAT
    return _finish(np.zeros(_checked_sizes(size, "zeros"), dtype=dtype.numpy), requires_grad)


def ones(*size, dtype=None, requires_grad=False) -> Tensor:
    dtype = dtype or dtypes.DEFAULT_FLOAT
    return _finish(np.ones(_checked_sizes(size), dtype=dtype.numpy), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False) -> Tensor:
    if not isinstance(size, (tuple, list)):
        raise TcalcTypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                             f"{type(size).__name__}", hint="write full((2, 3), value)")
    fill_value = _fill_number(fill_value, "full")
    dtype = dtype or dtypes.of_scalar(fill_value)
    return _finish(np.full(_checked_sizes((size,)), fill_array(fill_value, dtype.numpy)), requires_grad)


def empty(*size, dtype=None, requires_grad=False) -> Tensor:
    dtype = dtype or dtypes.DEFAULT_FLOAT
    return _finish(np.zeros(_checked_sizes(size), dtype=dtype.numpy), requires_grad)


def _float_dtype(dtype, name: str) -> dtypes.DType:
    dtype = dtype or dtypes.DEFAULT_FLOAT
    if not dtype.is_floating_point:
        raise DTypeError(f'"{name}" not implemented for \'{dtype.torch_name}\'')
    return dtype


def randn(*size, generator=None, dtype=None, requires_grad=False) -> Tensor:
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    return _finish(random_source(generator).normal(_checked_sizes(size), 0.0, 1.0, dtype.numpy), requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad=False) -> Tensor:
    dtype = _float_dtype(dtype, "check_uniform_bounds")
    return _finish(random_source(generator).uniform(_checked_sizes(size), 0.0, 1.0, dtype.numpy), requires_grad)


def _fill_number(value, name: str):
    if type(value) is Tensor and value.data.ndim == 0:
        return value.data.item()
    if not isinstance(value, (bool, int, float)):
        raise TcalcTypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, not "
                             f"{type(value).__name__}")
    return value


def rand_like(x, dtype=None, requires_grad=False, *, generator=None) -> Tensor:
    shape, dtype = _like(x, dtype)
    return rand(shape, generator=generator, dtype=dtype, requires_grad=requires_grad)


def randn_like(x, dtype=None, requires_grad=False, *, generator=None) -> Tensor:
    shape, dtype = _like(x, dtype)
    return randn(shape, generator=generator, dtype=dtype, requires_grad=requires_grad)


def randint(*args, size=None, generator=None, dtype=None, requires_grad=False) -> Tensor:
    """randint(high, size) or randint(low, high, size): integers in [low, high), int64."""
    if size is None and args:
        args, size = args[:-1], args[-1]
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TcalcTypeError("randint() expects (high, size) or (low, high, size)",
                             hint="randint(10, (3,)) or randint(0, 10, (3,))")
    if not isinstance(size, (tuple, list)):
        raise TcalcTypeError(f"randint(): argument 'size' (position {len(args) + 1}) must be tuple "
                             f"of ints, not {type(size).__name__}", hint="write the size as a tuple: (3,)")
    for v in (low, high):
        if not isinstance(v, int) or isinstance(v, bool):
            raise TcalcTypeError("randint() expects integer bounds")
    if low >= high:
        raise TcalcValueError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = dtype or dtypes.int64
    data = random_source(generator).integers(low, high, _checked_sizes((size,)))
    return _finish(data.astype(dtype.numpy), requires_grad)


def randperm(n, dtype=None, requires_grad=False, *, generator=None) -> Tensor:
    """The integers 0 .. n-1 in random order, as PyTorch's shuffle draws them."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TcalcTypeError(f"randperm(): argument 'n' (position 1) must be int, not {type_name(n)}")
    dtype = dtype or dtypes.int64
    perm = random_source(generator).permutation(_checked_sizes((n,))[0])
    return _finish(perm.astype(dtype.numpy), requires_grad)


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """1 with probability p: each element's own (input's values), or one number p for all
    (a float64 uniform per element then, as bernoulli_(p) draws)."""
    if type(input) is not Tensor:
        raise TcalcTypeError(f"bernoulli(): argument 'input' (position 1) must be Tensor, not {type_name(input)}")
    if not input.dtype.is_floating_point:
        raise DTypeError(f'"bernoulli_tensor_cpu_p_" not implemented for \'{input.dtype.torch_name}\'')
    probs = input.data if p is None else np.full(input.data.shape, float(p))
    if np.any(~((probs >= 0) & (probs <= 1))):
        raise TcalcValueError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                              "message be improved?  If so, please report an enhancement request to PyTorch.)")
    draws = random_source(generator).bernoulli(probs, input.data.dtype.type if p is None else None)
    return Tensor(draws.astype(input.data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """multinomial: category indices drawn by the weights of each row of input (1-d or
    2-d), the same draws as PyTorch's after manual_seed. (Drawn as its CPU kernel draws
    them, cpu_generator.multinomial, with its refusals in its order.)"""
    if type(input) is not Tensor:
        raise TcalcTypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, not {type_name(input)}")
    if not isinstance(num_samples, int) or isinstance(num_samples, bool):
        raise TcalcTypeError(f"multinomial(): argument 'num_samples' (position 2) must be int, not "
                             f"{type_name(num_samples)}")
    if not isinstance(replacement, bool):
        raise TcalcTypeError(f"multinomial(): argument 'replacement' (position 3) must be bool, not "
                             f"{type_name(replacement)}")
    weights = input.data
    if weights.ndim not in (1, 2):
        raise ShapeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise DTypeError(f"multinomial only supports floating-point dtypes for input, got: {input.dtype.torch_name}")
    if num_samples <= 0:
        raise TcalcValueError("cannot sample n_sample <= 0 samples")
    categories = weights.shape[-1]
    if not replacement and num_samples > categories:
        raise TcalcValueError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if categories > 2 ** 24:
        raise TcalcValueError("number of categories cannot exceed 2^24")
    rows = weights.reshape(-1, categories)
    _check_weights(rows, cumulative=replacement and num_samples > 1)
    check_elements(rows.shape[0] * num_samples)
    if replacement and num_samples > 1 and rows.dtype == np.float16:
        rows = rows.astype(np.float32)  # PyTorch sums float16 weights in float32
    picks = random_source(generator).multinomial(rows, num_samples, replacement)
    return Tensor(picks.reshape(weights.shape[:-1] + (num_samples,)))


def _check_weights(rows: np.ndarray, cumulative: bool) -> None:
    """PyTorch's refusals of bad weights: the cumulative kernel's entry by entry, the other's
    for the whole tensor at once."""
    if cumulative:
        if rows.shape[1] == 0:
            raise TcalcValueError("aminmax(): cannot compute aminmax over an empty dimension as the operation "
                                  "has no identity.")
        bad = ~(rows >= 0) | np.isinf(rows)
        if bad.any():
            first = rows.ravel()[np.argmax(bad.ravel())]
            raise TcalcValueError("invalid multinomial distribution (encountering probability entry "
                                  f"{'= infinity or NaN' if first >= 0 else '< 0'})")
    elif not np.all((rows >= 0) & np.isfinite(rows)):
        raise TcalcValueError("probability tensor contains either `inf`, `nan` or element < 0")
    if rows.size and np.any(rows.sum(axis=1, dtype=np.float64) <= 0):
        raise TcalcValueError("invalid multinomial distribution (sum of probabilities <= 0)")


def normal(mean=0.0, std=1.0, size=None, dtype=None, requires_grad=False, *, generator=None) -> Tensor:
    """normal(mean, std, size) with numbers, or with tensors of means and/or stds."""
    tensors = [v for v in (mean, std) if type(v) is Tensor]
    std_values = std.data if type(std) is Tensor else np.asarray(std)
    if np.any(std_values < 0):
        raise TcalcValueError(f"normal expects std >= 0.0, but found std {_number_text(std)}")
    if tensors:
        shape = np.broadcast_shapes(*(t.data.shape for t in tensors))
        dtype = dtype or result_type(*tensors)
    else:
        if size is None:
            raise TcalcTypeError("normal() with number arguments needs a size: normal(0., 1., (2, 3))")
        shape = _checked_sizes((size,))
        dtype = dtype or dtypes.DEFAULT_FLOAT
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    return _finish(_normal_values(mean, std, shape, dtype.numpy, random_source(generator)), requires_grad)


def _normal_values(mean, std, shape, numpy_dtype, source: CPUGenerator) -> np.ndarray:
    """As PyTorch composes normal: with numbers, normal_(mean, std); with a tensor of stds,
    standard normals times std plus mean; with a tensor of means only, normal_(0, std) plus
    mean (each step rounded in the dtype)."""
    if type(std) is Tensor:
        noise = source.normal(shape, 0.0, 1.0, numpy_dtype)
        noise = noise * std.data.astype(numpy_dtype)
    elif type(mean) is Tensor:
        noise = source.normal(shape, 0.0, float(std), numpy_dtype)
    else:
        return source.normal(shape, float(mean), float(std), numpy_dtype)
    m = mean.data.astype(numpy_dtype) if type(mean) is Tensor else np.asarray(mean, numpy_dtype)
    return np.asarray(noise + m, dtype=numpy_dtype)


def _number_text(v) -> str:
    if type(v) is Tensor:
        v = float(np.min(v.data))
    return f"{v:g}"


def eye(n, m=None, dtype=None, requires_grad=False) -> Tensor:
    for name, v in (("n", n), ("m", m)):
        if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
            raise TcalcTypeError(f"eye(): argument '{name}' must be int, not {type(v).__name__}")
        if v is not None and v < 0:
            raise TcalcValueError(f"{name} must be greater or equal to 0, got {v}")
    m = n if m is None else m
    check_elements(n * m)
    return _finish(np.eye(n, m, dtype=(dtype or dtypes.DEFAULT_FLOAT).numpy), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False) -> Tensor:
    """`steps` points from start to end. Like PyTorch, the first half counts up from start
    and the second half down from end, in the result's own precision, so both ends are exact."""
    if not isinstance(steps, int) or isinstance(steps, bool):
        raise TcalcTypeError("linspace(): argument 'steps' must be int")
    if steps < 0:
        raise TcalcValueError("number of steps must be non-negative")
    start, end = (v.data.item() if type(v) is Tensor else v for v in (start, end))
    dtype = dtype or dtypes.DEFAULT_FLOAT
    check_elements(steps)
    if dtype.is_floating_point:
        kind = dtype.numpy.type
        first, last = kind(start), kind(end)
        step = (last - first) / kind(steps - 1) if steps > 1 else kind(0)
    else:  # integers step in double, then truncate
        kind = np.float64
        first, last = np.float64(start), np.float64(end)
        step = (last - first) / (steps - 1) if steps > 1 else 0.0
    index = np.arange(steps).astype(kind)
    half = steps // 2 if steps > 1 else 1  # one step is just the start
    values = np.where(np.arange(steps) < half, first + step * index,
                      last - step * (kind(steps - 1) - index))
    return _finish(values.astype(dtype.numpy), requires_grad)


def _like(x, dtype):
    if type(x) is not Tensor:
        raise TcalcTypeError("expected a tensor")
    return x.data.shape, dtype or x.dtype


def zeros_like(x, dtype=None, requires_grad=False) -> Tensor:
    shape, dtype = _like(x, dtype)
    return _finish(np.zeros(shape, dtype=dtype.numpy), requires_grad)


def ones_like(x, dtype=None, requires_grad=False) -> Tensor:
    shape, dtype = _like(x, dtype)
    return _finish(np.ones(shape, dtype=dtype.numpy), requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False) -> Tensor:
    shape, dtype = _like(x, dtype)
    fill_value = _fill_number(fill_value, "full_like")
    return _finish(np.full(shape, fill_array(fill_value, dtype.numpy)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    for v in (start, end, step):
        if not isinstance(v, (int, float)) and not (type(v) is Tensor and v.data.ndim == 0):
            raise TcalcTypeError("arange() expects numbers for start, end and step")
    start, end, step = (v.data.item() if type(v) is Tensor else v for v in (start, end, step))
    if dtype is dtypes.bool_:
        raise DTypeError("\"arange_cpu\" not implemented for 'Bool'", hint="make an int range and compare it")
    if step == 0:
        raise TcalcValueError("step must be nonzero")
    if (end - start) * step < 0:
        raise TcalcValueError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        is_int = all(isinstance(v, int) for v in (start, end, step))
        dtype = dtypes.int64 if is_int else dtypes.DEFAULT_FLOAT
    count = max(math.ceil((end - start) / step), 0)
    check_elements(count)
    data = (start + np.arange(count, dtype=np.float64) * step) if dtype.is_floating_point \
        else np.arange(start, end, step, dtype=np.int64)
    return _finish(data.astype(dtype.numpy), requires_grad)


def check_numpy_dtype(a: np.ndarray) -> None:
    """A NumPy array torch can take (torch.tensor, from_numpy, as_tensor), or its refusal."""
    if a.dtype not in dtypes.BY_NUMPY:
        raise TcalcTypeError(f"can't convert np.ndarray of type numpy.{a.dtype.name}. The only supported "
                             "types are: float64, float32, float16, complex64, complex128, int64, int32, "
                             "int16, int8, uint64, uint32, uint16, uint8, and bool.")


def tensor(data, dtype=None, requires_grad=False) -> Tensor:
    """A tensor from a number, a nested list/tuple, a NumPy array or another tensor (copied)."""
    if type(data) is Tensor:
        array = data.data.copy()
        inferred = data.dtype
    elif isinstance(data, (np.ndarray, np.generic)):  # keeps the array's dtype: float64 stays
        array = np.array(data)
        check_numpy_dtype(array)
        inferred = dtypes.BY_NUMPY[array.dtype]
    else:
        check_elements(math.prod(_first_items_shape(data)))  # before walking every item
        shape = _nested_shape(data)
        check_elements(math.prod(shape))
        flat = list(_flatten(data))
        inferred = _infer_dtype(flat)
        if dtype is not None and dtype.is_floating_point:
            inferred = dtype  # straight from the Python numbers: tensor([1e40], dtype=float64)
        if dtype is not None and dtype.category == dtypes.INT:
            _check_fits(flat, dtype)
        try:
            array = np.array(flat, dtype=inferred.numpy).reshape(shape)
        except OverflowError:  # an int beyond int64
            raise TcalcValueError("Overflow when unpacking long long",
                                  hint="integer tensors hold values up to 2**63 - 1; use a float") from None
    if dtype is not None and dtype is not inferred:
        array = array.astype(dtype.numpy)
    return _finish(array, requires_grad)


def _check_fits(numbers: list, dtype) -> None:
    """PyTorch's check as tensor() converts Python numbers to an integer dtype: a value out
    of range is refused, except that a negative int wraps into an unsigned type (-1 is 255
    in uint8); a float is cut toward zero, and must fit (NaN never does)."""
    info = np.iinfo(dtype.numpy)
    for value in numbers:
        if type(value) is bool or type(value) is Tensor:
            continue
        if type(value) is int:
            fits = value <= info.max and (value >= info.min or dtype.numpy.kind == "u")
        else:
            fits = info.min <= value <= info.max  # False for NaN
        if not fits:
            raise TcalcValueError(f"value cannot be converted to type {dtype.name} without overflow")


def _first_items_shape(data) -> tuple[int, ...]:
    """The shape nested lists have if they are rectangular, read down their first items
    only: `[[[0] * 1000] * 1000] * 300` is refused at once, not after 3 * 10**8 visits."""
    shape = []
    while isinstance(data, (list, tuple)) and len(shape) < 64:
        shape.append(len(data))
        if not data:
            break
        data = data[0]
    return tuple(shape)


def _nested_shape(data, depth: int = 0, first: bool = True) -> tuple[int, ...]:
    """`first`: data is reached through first items only, where PyTorch reads the sizes
    (and a string there is a dimension too many)."""
    if isinstance(data, (list, tuple)):
        if not data:
            return (0,)
        inner = [_nested_shape(item, depth + 1, first and i == 0) for i, item in enumerate(data)]
        for i, s in enumerate(inner):
            if s != inner[0]:
                raise TcalcValueError(
                    f"expected sequence of length {inner[0][0] if inner[0] else 0} at dim "
                    f"{depth + 1} (got {s[0] if s else 0})")
        return (len(data),) + inner[0]
    if type(data) is Tensor:
        if depth and data.data.size != 1:  # PyTorch reads a tensor inside a list as a number
            raise TcalcValueError("only one element tensors can be converted to Python scalars",
                                  hint="join tensors with stack((a, b)) or cat((a, b))")
        return data.data.shape if not depth else ()
    if isinstance(data, (bool, int, float)):
        return ()
    if isinstance(data, str):
        if depth and first:
            raise TcalcValueError("too many dimensions 'str'")
        raise TcalcTypeError("new(): invalid data type 'str'")
    raise TcalcTypeError(f"Could not infer dtype of {type_name(data)}")


def _flatten(data):
    if isinstance(data, (list, tuple)):
        for item in data:
            yield from _flatten(item)
    elif type(data) is Tensor:
        yield from data.data.reshape(-1).tolist()
    else:
        yield data


def _infer_dtype(flat: list) -> dtypes.DType:
    if not flat:
        return dtypes.DEFAULT_FLOAT
    if any(isinstance(v, float) for v in flat):
        return dtypes.DEFAULT_FLOAT
    if all(isinstance(v, bool) for v in flat):
        return dtypes.bool_
    return dtypes.int64
