"""PyTorch's CPU random generator, bit for bit: a 32-bit Mersenne Twister (mt19937) seeded by
the standard init_genrand from the seed's low 32 bits, and the way each of PyTorch's kernels
consumes its 32-bit draws (learnt from PyTorch's behaviour, checked against it on many seeds,
sizes and both float dtypes).

NumPy's MT19937 has the same recurrence but seeds itself differently, so the state array is
computed here and handed to it; its random_raw() then draws the 32-bit numbers vectorised.
Only this module knows NumPy's bit generator (numpy.random is imported on first use: it
costs about 10 ms of every start).
"""
from __future__ import annotations

import math

import numpy as np

from ._base import fused_multiply_add, fused_multiply_add_float32

_MT_SIZE = 624
_FLOAT_BITS = (1 << 24) - 1  # float32 uniforms keep 24 bits of one draw
_DOUBLE_BITS = (1 << 53) - 1  # float64 uniforms keep 53 bits of a 64-bit draw
_VECTOR_CHUNK = 16  # normal_ transforms 16 uniforms at a time once a tensor has 16 elements

# torch.get_rng_state()'s 5056 bytes (little-endian, C struct padding included): the seed,
# how many draws are left before the next twist and the index of the next word, the 624
# words (each in 8 bytes), the cached normal sample (between two unused doubles) and
# whether it is valid, then a float cache tcalc never uses.
STATE_BYTES = 5056
_WORDS_AT = 24
_NORMAL_AT = _WORDS_AT + 8 * _MT_SIZE + 8
_NORMAL_VALID_AT = _NORMAL_AT + 16


def _init_genrand(seed: int) -> np.ndarray:
    key = np.empty(_MT_SIZE, dtype=np.uint32)
    x = seed & 0xFFFFFFFF
    key[0] = x
    for i in range(1, _MT_SIZE):
        x = (1812433253 * (x ^ (x >> 30)) + i) & 0xFFFFFFFF
        key[i] = x
    return key


class CPUGenerator:
    """The default generator's state and PyTorch's ways of drawing from it."""

    def __init__(self, seed: int):
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> None:
        self.seed = seed
        self._bits = None  # NumPy's MT19937, made on first draw
        self._normal_cache = None  # the scalar path's second Box-Muller sample
        self._just_seeded = True  # PyTorch's state says "next word 0" until the first draw

    def _bit_generator(self):
        if self._bits is None:
            self._bits = np.random.MT19937()
            self._bits.state = {"bit_generator": "MT19937",
                                "state": {"key": _init_genrand(self.seed), "pos": _MT_SIZE}}
        return self._bits

    # The state, for vmap's randomness='same' (every example draws the same numbers).
    @property
    def state(self):
        return self._bit_generator().state, self._normal_cache, self._just_seeded

    @state.setter
    def state(self, state) -> None:
        self._bit_generator().state, self._normal_cache, self._just_seeded = state

    def state_bytes(self) -> np.ndarray:
        """The state as torch.get_rng_state() lays it out."""
        state = self._bit_generator().state["state"]
        position = int(state["pos"])
        out = np.zeros(STATE_BYTES, np.uint8)
        out[0:8] = np.frombuffer(np.uint64(self.seed).tobytes(), np.uint8)
        out[8:16] = np.frombuffer(np.array([625 - position, 1], "<i4").tobytes(), np.uint8)
        out[16:24] = np.frombuffer(np.uint64(0 if self._just_seeded else position).tobytes(), np.uint8)
        out[_WORDS_AT:_NORMAL_AT - 8] = np.frombuffer(state["key"].astype("<u8").tobytes(), np.uint8)
        if self._normal_cache is not None:
            out[_NORMAL_AT:_NORMAL_AT + 8] = np.frombuffer(np.float64(self._normal_cache).tobytes(), np.uint8)
            out[_NORMAL_VALID_AT] = 1
        return out

    def set_state_bytes(self, data: np.ndarray) -> None:
        """torch.set_rng_state's inverse of state_bytes (the caller checked the size)."""
        raw = data.tobytes()
        left, _ = np.frombuffer(raw[8:16], "<i4")
        key = np.frombuffer(raw[_WORDS_AT:_NORMAL_AT - 8], "<u8").astype(np.uint32)
        self.seed = int(np.frombuffer(raw[0:8], "<u8")[0])
        self._bit_generator().state = {"bit_generator": "MT19937",
                                       "state": {"key": key, "pos": min(max(625 - int(left), 0), _MT_SIZE)}}
        self._just_seeded = int(np.frombuffer(raw[16:24], "<u8")[0]) == 0
        valid = np.frombuffer(raw[_NORMAL_VALID_AT:_NORMAL_VALID_AT + 4], "<i4")[0]
        self._normal_cache = float(np.frombuffer(raw[_NORMAL_AT:_NORMAL_AT + 8], "<f8")[0]) if valid else None

    # Raw draws.
    def random32(self, n: int) -> np.ndarray:
        if n:
            self._just_seeded = False
        return self._bit_generator().random_raw(n).astype(np.uint64)

    def random64(self, n: int) -> np.ndarray:
        """A 64-bit draw is two 32-bit ones, the first the high half."""
        r = self.random32(2 * n)
        return (r[0::2] << np.uint64(32)) | r[1::2]

    def _uniform(self, n: int, numpy_dtype) -> np.ndarray:
        if numpy_dtype == np.float64:
            return (self.random64(n) & np.uint64(_DOUBLE_BITS)).astype(np.float64) * 2.0 ** -53
        # float32 and the half types: 24 bits of one draw.
        return (self.random32(n) & np.uint64(_FLOAT_BITS)).astype(np.float32) * np.float32(2.0 ** -24)

    # Kernels.
    def uniform(self, shape, low: float, high: float, numpy_dtype) -> np.ndarray:
        """x.uniform_(low, high) and rand: u * (high - low) + low, fused, in the dtype."""
        n = math.prod(shape)
        u = self._uniform(n, numpy_dtype)
        if (low, high) == (0, 1):
            return u.astype(numpy_dtype, copy=False).reshape(shape)
        if numpy_dtype == np.float64:
            out = fused_multiply_add(u, float(high) - float(low), float(low))
        else:
            f = np.float32
            out = fused_multiply_add_float32(u, f(high) - f(low), f(low))  # the span in float32
        out = out.astype(numpy_dtype)
        # A value that rounds to `high` is `low` instead: the range is [low, high)
        out[out == out.dtype.type(high)] = out.dtype.type(low)
        return out.reshape(shape)

    def normal(self, shape, mean: float, std: float, numpy_dtype) -> np.ndarray:
        """x.normal_(mean, std), randn and normal: Box-Muller, element by element (with a
        cached second sample) below 16 elements, 16 at a time from then on."""
        n = math.prod(shape)
        if n < _VECTOR_CHUNK:
            out = fused_multiply_add(np.array([self._scalar_normal() for _ in range(n)], dtype=np.float64), std, mean)
            return out.astype(numpy_dtype).reshape(shape)
        work = np.float64 if numpy_dtype == np.float64 else np.float32
        # float32 and float64 draw a uniform for every element first; the half types only
        # for the whole chunks (the tail's are drawn next either way).
        drawn = n if work == numpy_dtype else n // _VECTOR_CHUNK * _VECTOR_CHUNK
        data = np.zeros(n, work)
        data[:drawn] = self._uniform(drawn, work)
        _box_muller(data, mean, std)
        if n % _VECTOR_CHUNK:  # the last 16 again, from fresh uniforms
            tail = self._uniform(_VECTOR_CHUNK, work)
            _box_muller(tail, mean, std)
            data[n - _VECTOR_CHUNK:] = tail
        return data.astype(numpy_dtype).reshape(shape)

    def _scalar_normal(self) -> float:
        if self._normal_cache is not None:
            value, self._normal_cache = self._normal_cache, None
            return value
        u1, u2 = self._uniform(2, np.float64)
        radius = math.sqrt(-2 * math.log1p(-u2))
        theta = 2 * math.pi * u1
        self._normal_cache = radius * math.sin(theta)
        return radius * math.cos(theta)

    def integers(self, low: int, high: int, shape) -> np.ndarray:
        """randint: low + draw % (high - low), from a 32-bit draw when the range fits in one."""
        n = math.prod(shape)
        span = high - low
        draws = self.random32(n) if span < 1 << 32 else self.random64(n)
        offsets = draws % np.uint64(span)
        return (offsets.astype(np.int64) + np.int64(low)).reshape(shape) if span < 1 << 63 else \
            np.array([low + int(v) for v in offsets], dtype=np.int64).reshape(shape)

    def permutation(self, n: int) -> np.ndarray:
        """randperm: a Fisher-Yates shuffle from the front, swapping i with i + draw % (n - i)."""
        perm = list(range(n))
        draws = self.random32(max(n - 1, 0)).tolist()
        for i in range(n - 1):
            j = i + draws[i] % (n - i)
            perm[i], perm[j] = perm[j], perm[i]
        return np.array(perm, dtype=np.int64)

    def exponential(self, shape, lambd: float, numpy_dtype) -> np.ndarray:
        """x.exponential_(lambd): -1/lambd * log1p(-u) of a float64 uniform, in float64 (the C
        library's log1p), rounded once to the dtype."""
        u = self._uniform(math.prod(shape), np.float64)
        return (_each(math.log1p, -u) * (-1 / lambd)).astype(numpy_dtype).reshape(shape)

    def multinomial(self, weights: np.ndarray, n: int, replacement: bool) -> np.ndarray:
        """n category indices (int64) for each row of weights (2-d, of a float dtype).

        With replacement and n > 1: one float64 uniform per sample, row after row, and the
        first category whose cumulative weight reaches it (the weights summed one by one in
        their dtype, then divided by the total in it). Otherwise: one exponential sample per
        weight (in its dtype), and the categories of the largest weight / sample, largest first."""
        if replacement and n > 1:
            rows, categories = weights.shape
            u = self._uniform(rows * n, np.float64).reshape(rows, n)
            cumulative = np.cumsum(weights, axis=1, dtype=weights.dtype)
            cumulative = cumulative / cumulative[:, -1:]
            picks = np.array([np.searchsorted(row, draws, side="left") for row, draws in zip(cumulative, u)],
                             dtype=np.int64).reshape(rows, n)
            return np.minimum(picks, categories - 1)
        keys = weights / self.exponential(weights.shape, 1.0, weights.dtype.type)
        return np.argsort(-keys, axis=1, kind="stable")[:, :n].astype(np.int64)

    def bernoulli(self, p: np.ndarray, per_element_dtype=None) -> np.ndarray:
        """1 where a uniform is below p. A tensor of probabilities draws uniforms of its own
        dtype (per_element_dtype); a number p (bernoulli_(p), dropout) draws float64 ones."""
        n = p.size
        u = self._uniform(n, per_element_dtype or np.float64).reshape(p.shape)
        return u < p


def _each(function, values: np.ndarray) -> np.ndarray:
    return np.fromiter(map(function, values.ravel().tolist()), np.float64, values.size).reshape(values.shape)


def _box_muller(data: np.ndarray, mean: float, std: float) -> None:
    """Each chunk of 16 uniforms: u1 = 1 - the first 8, u2 = the last 8, giving
    r cos(2 pi u2) in the first 8 places and r sin(2 pi u2) in the last."""
    whole = len(data) // _VECTOR_CHUNK * _VECTOR_CHUNK
    chunks = data[:whole].reshape(-1, 2, _VECTOR_CHUNK // 2)
    if data.dtype == np.float64:
        # The C library's log, cos and sin (NumPy's own vectorised ones differ in the last
        # bit now and then).
        u1 = 1 - chunks[:, 0]
        u2 = chunks[:, 1]
        radius = np.sqrt(-2 * _each(math.log, u1))
        theta = 2 * math.pi * u2
        chunks[:, 0] = fused_multiply_add(radius * _each(math.cos, theta), std, mean)
        chunks[:, 1] = fused_multiply_add(radius * _each(math.sin, theta), std, mean)
        return
    f = np.float32
    for start in range(0, len(chunks), _ROWS_AT_ONCE):  # a block at a time: its temporaries stay in cache
        block = chunks[start:start + _ROWS_AT_ONCE]
        radius = np.sqrt(_log_float32(f(1) - block[:, 0]) * f(-2))
        sine, cosine = _sincos_float32(f(2 * math.pi) * block[:, 1])
        block[:, 0] = fused_multiply_add_float32(radius * cosine, std, mean)
        block[:, 1] = fused_multiply_add_float32(radius * sine, std, mean)


_ROWS_AT_ONCE = 4096


# PyTorch's float32 Box-Muller computes its log, sine and cosine with vectorised polynomials
# of its own (cephes' coefficients, as in avx_mathfun), some steps fused into FMAs by its
# compiler. They are followed here step by step in float32: the constants and the order of
# operations were read from PyTorch 2.13's compiled kernel, and the results checked against
# its randn (every bit of 28,800 normals, and of each log over 4,800 chosen uniforms).
_LOG_POLYNOMIAL = (0.07037683576345444, -0.11514610052108765, 0.11676998436450958, -0.12420140951871872,
                   0.14249323308467865, -0.16668057441711426, 0.2000071406364441, -0.24999994039535522,
                   0.3333333134651184)
_FMA = fused_multiply_add_float32


def _log_float32(x: np.ndarray) -> np.ndarray:
    """log of positive float32s: x = m 2**e with m in [sqrt(1/2), sqrt(2)), then a polynomial
    in m - 1 and e log(2) in two parts."""
    f = np.float32
    bits = np.maximum(x, f(np.finfo(np.float32).tiny)).view(np.int32)
    exponent = ((bits >> 23) - 127).astype(f) + f(1)
    m = ((bits & np.int32(-0x7F800001)) | np.int32(0x3F000000)).view(f)  # the mantissa in [0.5, 1)
    small = m < f(0.7071067690849304)
    exponent = exponent - np.where(small, f(1), f(0))
    m = (m + f(-1)) + np.where(small, m, f(0))
    z = m * m
    y = np.full(m.shape, f(_LOG_POLYNOMIAL[0]))
    for coefficient in _LOG_POLYNOMIAL[1:]:
        y = _FMA(y, m, coefficient)
    y = _FMA(m * y, z, exponent * f(-0.00021219444170128554))
    m = m + _FMA(-z, f(0.5), y)
    return _FMA(exponent, f(0.693359375), m)


def _sincos_float32(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sin and cos of float32s: x reduced by a multiple j of pi/4 (pi/4 in three parts),
    then a sine or a cosine polynomial, chosen and signed by j."""
    f = np.float32
    negative = np.signbit(x)
    x = np.abs(x)
    j = ((x * f(1.2732394933700562)).astype(np.int32) + 1) & ~1  # 4/pi, truncated, made even
    whole = j.astype(f)
    x = _FMA(whole, f(-0.78515625), x)
    x = _FMA(f(-0.00024187564849853516), whole, x)
    x = _FMA(whole, f(-3.774895063202166e-08), x)
    z = x * x
    cosine = _FMA(_FMA(f(2.44331567955669e-05), z, f(-0.0013887316454201937)), z, f(0.04166664555668831))
    cosine = _FMA(z, z * cosine, -(z * f(0.5))) + f(1)
    sine = _FMA(_FMA(f(-0.00019515295571181923), z, f(0.008332161232829094)), z, f(-0.16666655242443085))
    sine = _FMA(x, z * sine, x)
    swapped = (j & 2) != 0
    sin, cos = np.where(swapped, cosine, sine), np.where(swapped, sine, cosine)
    sin = np.where(negative ^ ((j & 4) != 0), -sin, sin)
    cos = np.where((~(j - 2) & 4) != 0, -cos, cos)
    return sin, cos
