"""tanh of a float32 tensor of 4,096 to 16,384 elements takes a polynomial path
(elementwise._tanh_rounded_once) that must give, bit for bit, what the float64 tanh
rounded once gives (what smaller tensors get, and what matched PyTorch in the sweeps). Where
NumPy's float64 tanh is its AVX-512 kernel (elementwise._simd_float64_tanh) the round trip
itself is faster, and is taken instead."""
from __future__ import annotations

import numpy as np
import pytest

from tcalc import ops
from tcalc.ops import elementwise
from tcalc.tensor import Tensor


def rounded_once(x: np.ndarray) -> np.ndarray:
    return np.tanh(x.astype(np.float64)).astype(np.float32)


def assert_same_bits(got: np.ndarray, x: np.ndarray) -> None:
    want = rounded_once(x)
    assert got.dtype == np.float32 and got.shape == x.shape
    differ = np.flatnonzero(got.view(np.int32).ravel() != want.view(np.int32).ravel())
    assert differ.size == 0, f"{differ.size} elements differ, first at x = {x.ravel()[differ[0]]!r}: " \
                             f"{got.ravel()[differ[0]]!r} against {want.ravel()[differ[0]]!r}"


def consecutive(start: float, count: int) -> np.ndarray:
    """`count` consecutive float32 values from `start` up (in magnitude), with its sign."""
    base = np.array([abs(start)], np.float32).view(np.int32)[0]
    x = np.arange(base, base + count, dtype=np.int32).view(np.float32)
    return -x if start < 0 else x


@pytest.mark.parametrize("scale", [1e-30, 1e-6, 0.01, 0.1, 0.5, 1.0, 3.0, 10.0, 30.0, 1e6])
def test_random_tensors_as_float64_rounded_once(scale):
    rng = np.random.default_rng(int(scale * 1000) % 2 ** 32)
    for _ in range(20):
        x = (rng.standard_normal(16384) * scale).astype(np.float32)
        assert_same_bits(elementwise._tanh_rounded_once(x), x)


# Where the table's entry changes (|x| = ln2/64 * (k + 1/2): k = 0 at 0.0054, 1, 31 and 32
# about 0.0162, 0.3411 and 0.3520, and further up), near 0 (k = 0: 1 - e is the polynomial
# itself), where tanh rounds to 1 in float32 (about 9.01) and in float64 (about 19.1), the
# clamp at 20, and subnormal float32.
@pytest.mark.parametrize("start", [1e-40, 1e-20, 1e-3, 0.0054, -0.0162, 0.17, 0.341, -0.3519, 0.866, 2.25,
                                   9.0, -9.0101, 19.0, 19.99])
def test_every_float32_in_a_run(start):
    x = consecutive(start, 1_000_000)
    assert_same_bits(elementwise._tanh_rounded_once(x), x)


def test_special_values_and_their_signs():
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-45, -1e-45, 1.2e-38,
                         3.4e38, -3.4e38, 20.0, -20.0, 20.5], np.float32)
    x = np.resize(specials, 8192)
    assert_same_bits(elementwise._tanh_rounded_once(x), x)


def test_views_and_shapes():
    x = (np.random.default_rng(3).standard_normal((256, 64)) * 2).astype(np.float32)
    for v in (x, x.T, np.asfortranarray(x), x[:, ::2], x.reshape(64, 16, 16)):
        assert_same_bits(elementwise._tanh_rounded_once(v), v)


@pytest.mark.parametrize("simd", [True, False])
@pytest.mark.parametrize("shape", [(256, 64), (64, 64), (63, 64), (16384,), (16385,)])
def test_tanh_of_a_tensor(shape, simd, monkeypatch):
    """ops.tanh on float32 tensors at both edges of the polynomial path and beyond it, with
    NumPy's float64 tanh taken as vectorised (the round trip itself) or not (the polynomial)."""
    monkeypatch.setattr(elementwise, "_SIMD_TANH", [simd])
    x = (np.random.default_rng(4).standard_normal(shape) * 1.5).astype(np.float32)
    got = ops.tanh(Tensor(x)).data
    if x.size <= elementwise.ROUND_ONCE_SIZE:
        assert_same_bits(got, x)
    else:  # NumPy's float32 kernel, as before
        np.testing.assert_array_equal(got, np.tanh(x))
