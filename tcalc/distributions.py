"""torch.distributions as d2l's probability chapter uses it: Multinomial, Categorical,
Bernoulli, Normal and Uniform, with sample(shape), log_prob, mean, variance, stddev and
entropy, and PyTorch's refusals of invalid parameters.

The samples are PyTorch's bits after manual_seed (drawn from the default generator as
PyTorch's samplers draw them; Categorical's and Multinomial's by torch.multinomial, as
PyTorch's are). The deterministic parts print what PyTorch prints. Normal's and Uniform's
are written with tcalc's differentiable ops, so their log_prob has gradients; the discrete
distributions compute theirs on arrays.
"""
from __future__ import annotations

import math

import numpy as np

from . import limits, ops
from .errors import TcalcTypeError, TcalcValueError
from .objects import ObjectValue, method
from .ops.creation import random_source
from .tensor import Size, Tensor
from .values import type_name

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


def _parameter(value) -> Tensor:
    """A parameter as a tensor (a Python number becomes one of the default float dtype)."""
    if type(value) is Tensor:
        return value
    if isinstance(value, (bool, int, float)):
        return ops.tensor(float(value))
    raise TcalcTypeError(f"expected a tensor or a number as a distribution parameter, not {type_name(value)}")


def _broadcast_all(*values) -> list[Tensor]:
    tensors = [_parameter(v) for v in values]
    shape = np.broadcast_shapes(*(t.data.shape for t in tensors))
    return [t if t.data.shape == shape else ops.expand(t, *shape) for t in tensors]


def _shown(t: Tensor) -> str:
    """A parameter in a distribution's repr: a one-element 0-d tensor formats as its
    number, a larger one as its size (torch.distributions.Distribution.__repr__)."""
    if t.data.size == 1 and t.data.ndim == 0:
        return repr(t.data.item())
    if t.data.size == 1:
        return repr(t)
    return repr(Size(t.data.shape))


def _sample_shape(shape) -> tuple:
    if isinstance(shape, int) and not isinstance(shape, bool):
        raise TcalcTypeError("sample(): sample_shape must be a tuple or torch.Size, e.g. (10,)")
    shape = tuple(shape)
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise TcalcTypeError("sample(): sample_shape must hold non-negative ints")
    return shape


class Distribution(ObjectValue):
    """A distribution: its parameters (`shown` in the repr, in PyTorch's order) and the
    attributes and methods every distribution answers to."""

    __slots__ = ("shown",)  # the parameters the repr shows, in PyTorch's order

    def __init__(self, name: str, shown: tuple, values: dict, batch_shape: tuple, lazy: dict | None = None):
        self.shown = shown
        methods = {"sample": method("sample", self._sample_method),
                   "log_prob": method("log_prob", self._log_prob_method),
                   "entropy": method("entropy", self._entropy)}
        if "rsample" in type(self).__dict__:
            methods["rsample"] = method("rsample", self.rsample)
        super().__init__(name, {**values, **methods, "batch_shape": Size(batch_shape)},
                         {"mean": self._mean, "variance": self._variance,
                          "stddev": lambda: ops.sqrt(self.members["variance"]), **(lazy or {})})

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}: {_shown(self.members[name])}" for name in self.shown)
        return f"{self.name}({shown})"

    def _refuse_parameter(self, parameter: str, value: Tensor, constraint: str, text: str):
        shape = "(" + ", ".join(str(n) for n in value.data.shape) + ("," if value.data.ndim == 1 else "") + ")"
        raise TcalcValueError(f"Expected parameter {parameter} (Tensor of shape {shape}) of distribution "
                              f"{text} to satisfy the constraint {constraint}, but found invalid values:",
                              hint=f"{parameter} must satisfy {constraint}")

    def _computed_parameter(self, name: str, compute):
        """A parameter worked out from the given one when first used (torch's
        lazy_property): from then on the repr shows it too, as PyTorch's does."""
        def parameter():
            self.shown = self.shown + (name,)
            return compute()

        return parameter

    def _sample_method(self, sample_shape=()):
        return self.sample(_sample_shape(sample_shape))

    def _log_prob_method(self, value):
        if type(value) is not Tensor:
            raise TcalcValueError("The value argument to log_prob must be a Tensor")
        return self.log_prob(value)


def _interval(low, high) -> str:
    return f"Interval(lower_bound={_shown(low)}, upper_bound={_shown(high)})"


class Normal(Distribution):
    __slots__ = ()
    type_path = "torch.distributions.normal.Normal"

    def __init__(self, loc, scale):
        loc, scale = _broadcast_all(loc, scale)
        if not np.all(scale.data > 0):
            text = f"Normal(loc: {_shown(loc)}, scale: {_shown(scale)})"
            self._refuse_parameter("scale", scale, "GreaterThan(lower_bound=0.0)", text)
        super().__init__("Normal", ("loc", "scale"), {"loc": loc, "scale": scale}, loc.data.shape)

    def _mean(self):
        return self.members["loc"]

    def _variance(self):
        return ops.pow(self.members["scale"], 2)

    def sample(self, shape):
        loc, scale = self.members["loc"], self.members["scale"]
        full = shape + loc.data.shape
        limits.check_shape(full)
        dtype = loc.data.dtype.type
        noise = random_source().normal(full, 0.0, 1.0, dtype)  # torch.normal(loc, scale): noise * scale + loc
        return Tensor(np.asarray(noise * scale.data + loc.data, dtype=dtype))

    def rsample(self, sample_shape=()):
        """A reparameterised sample: loc + scale * noise, differentiable in loc and scale."""
        loc, scale = self.members["loc"], self.members["scale"]
        full = _sample_shape(sample_shape) + loc.data.shape
        limits.check_shape(full)
        noise = Tensor(random_source().normal(full, 0.0, 1.0, loc.data.dtype.type))
        return ops.add(loc, ops.mul(noise, scale))

    def log_prob(self, value):
        loc, scale = self.members["loc"], self.members["scale"]
        variance = ops.pow(scale, 2)
        return ops.sub(ops.sub(ops.div(ops.neg(ops.pow(ops.sub(value, loc), 2)), ops.mul(variance, 2)),
                               ops.log(scale)), _LOG_SQRT_2PI)

    def _entropy(self):
        return ops.add(ops.log(self.members["scale"]), 0.5 + _LOG_SQRT_2PI)


class Uniform(Distribution):
    __slots__ = ()
    type_path = "torch.distributions.uniform.Uniform"

    def __init__(self, low, high):
        low, high = _broadcast_all(low, high)
        if not np.all(low.data < high.data):
            text = f"Uniform(low: {_shown(low)}, high: {_shown(high)})"
            self._refuse_parameter("low", low, f"LessThan(upper_bound={_shown(high)})", text)
        super().__init__("Uniform", ("low", "high"), {"low": low, "high": high}, low.data.shape)

    def _mean(self):
        return ops.div(ops.add(self.members["high"], self.members["low"]), 2)

    def _variance(self):
        return ops.div(ops.pow(ops.sub(self.members["high"], self.members["low"]), 2), 12)

    def sample(self, shape):
        low, high = self.members["low"], self.members["high"]
        full = shape + low.data.shape
        limits.check_shape(full)
        u = random_source().uniform(full, 0.0, 1.0, low.data.dtype.type)
        return Tensor(np.asarray(low.data + (high.data - low.data) * u, dtype=low.data.dtype))

    def rsample(self, sample_shape=()):
        return self.sample(_sample_shape(sample_shape))

    def log_prob(self, value):
        low, high = self.members["low"], self.members["high"]
        inside = (low.data <= value.data) & (value.data < high.data)
        if not np.all(inside):
            shape = "(" + ", ".join(str(n) for n in value.data.shape) + ("," if value.data.ndim == 1 else "") + ")"
            raise TcalcValueError(f"Expected value argument (Tensor of shape {shape}) to be within the support "
                                  f"({_interval(low, high)}) of the distribution {self!r}, but found invalid values:",
                                  hint="log_prob is defined only where the density is not zero")
        return ops.neg(ops.log(ops.sub(high, low)))  # log(1) - log(high - low), inside the support

    def _entropy(self):
        return ops.log(ops.sub(self.members["high"], self.members["low"]))


def _probs_and_logits(name: str, probs, logits, normalise: bool):
    """PyTorch's `probs` xor `logits`: each computed from the other as torch does."""
    if (probs is None) == (logits is None):
        raise TcalcValueError("Either `probs` or `logits` must be specified, but not both.")
    if probs is not None:
        p = _parameter(probs)
        data = p.data.astype(p.data.dtype if p.dtype.is_floating_point else np.float32)
        if normalise:
            data = data / data.sum(-1, keepdims=True)
        return p, Tensor(data), None
    given = _parameter(logits)
    data = given.data.astype(np.float32 if not given.dtype.is_floating_point else given.data.dtype)
    if normalise:
        data = data - np.logaddexp.reduce(data, axis=-1, keepdims=True)
        probs_data = np.exp(data)
        probs_data = probs_data / probs_data.sum(-1, keepdims=True)
    else:
        probs_data = (1 / (1 + np.exp(-data.astype(np.float64)))).astype(data.dtype)
    return given, Tensor(probs_data), Tensor(data)


def _clamped_logs(probs: np.ndarray) -> np.ndarray:
    eps = np.finfo(probs.dtype).eps
    return np.log(np.clip(probs, eps, 1 - eps))


class Bernoulli(Distribution):
    __slots__ = ()
    type_path = "torch.distributions.bernoulli.Bernoulli"

    def __init__(self, probs=None, logits=None):
        given, p, _ = _probs_and_logits("Bernoulli", probs, logits, normalise=False)
        if probs is not None and not np.all((p.data >= 0) & (p.data <= 1)):
            self._refuse_parameter("probs", p, "Interval(lower_bound=0.0, upper_bound=1.0)",
                                   f"Bernoulli(probs: {_shown(p)})")
        def logits_of_probs():  # log(p) - log(1 - p), with p kept eps away from 0 and 1
            eps = np.finfo(p.data.dtype).eps
            clipped = np.clip(p.data, eps, 1 - eps)
            return Tensor(np.log(clipped) - np.log1p(-clipped))

        if logits is None:
            super().__init__("Bernoulli", ("probs",), {"probs": p}, p.data.shape,
                             {"logits": self._computed_parameter("logits", logits_of_probs)})
        else:
            super().__init__("Bernoulli", ("logits",), {"probs": p, "logits": given}, p.data.shape)

    def _mean(self):
        return self.members["probs"]

    def _variance(self):
        p = self.members["probs"]
        return Tensor(p.data * (1 - p.data))

    def sample(self, shape):
        p = self.members["probs"].data
        full = shape + p.shape
        limits.check_shape(full)
        return Tensor(random_source().bernoulli(np.broadcast_to(p, full), p.dtype.type).astype(p.dtype))

    def log_prob(self, value):
        logits, x = _bce_operands(self.members["logits"].data, value.data)
        return Tensor(-_bce_with_logits(logits, x))

    def _entropy(self):
        logits, p = _bce_operands(self.members["logits"].data, self.members["probs"].data)
        return Tensor(_bce_with_logits(logits, p))


def _bce_operands(logits, x):
    logits, x = np.broadcast_arrays(logits, x)
    dtype = np.result_type(logits.dtype, x.dtype)
    return logits.astype(dtype), x.astype(dtype)


def _bce_with_logits(logits, x):
    """max(l, 0) - l * x + log(1 + exp(-|l|)), as PyTorch computes it without overflow."""
    return np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits)))


class Categorical(Distribution):
    __slots__ = ()
    type_path = "torch.distributions.categorical.Categorical"

    def __init__(self, probs=None, logits=None):
        given, p, normalised_logits = _probs_and_logits("Categorical", probs, logits, normalise=True)
        if p.data.ndim < 1:
            raise TcalcValueError("`probs` parameter must be at least one-dimensional.")
        if probs is not None and not (np.all(given.data >= 0) and np.all(np.isfinite(p.data))):
            self._refuse_parameter("probs", p, "Simplex()", f"Categorical(probs: {_shown(p)})")
        if normalised_logits is None:
            super().__init__("Categorical", ("probs",), {"probs": p}, p.data.shape[:-1],
                             {"logits": self._computed_parameter("logits", lambda: Tensor(_clamped_logs(p.data)))})
        else:
            super().__init__("Categorical", ("logits",), {"probs": p, "logits": normalised_logits}, p.data.shape[:-1])

    def _mean(self):
        return Tensor(np.full(self.members["probs"].data.shape[:-1], np.nan, dtype=self.members["probs"].data.dtype))

    _variance = _mean

    def sample(self, shape):
        p = self.members["probs"].data
        batch = p.shape[:-1]
        limits.check_shape(shape + batch)
        # torch.multinomial(probs as rows, one draw per sample, with replacement), transposed
        draws = ops.multinomial(Tensor(p.reshape(-1, p.shape[-1])), math.prod(shape), True).data
        return Tensor(np.ascontiguousarray(draws.T).reshape(shape + batch))

    def log_prob(self, value):
        logits = self.members["logits"].data
        index = value.data.astype(np.int64)
        index, table = np.broadcast_arrays(index[..., None], logits)
        return Tensor(np.take_along_axis(table, index[..., :1], axis=-1)[..., 0])

    def _entropy(self):
        p, logits = self.members["probs"].data, self.members["logits"].data
        logits = np.maximum(logits, np.finfo(logits.dtype).min)
        return Tensor(np.asarray(-(p * logits).sum(-1), dtype=p.dtype))


_lgamma = np.frompyfunc(math.lgamma, 1, 1)


def _log_gamma(x: np.ndarray) -> np.ndarray:
    return _lgamma(x).astype(x.dtype) if x.size else x


class Multinomial(Distribution):
    __slots__ = ()
    type_path = "torch.distributions.multinomial.Multinomial"

    def __init__(self, total_count=1, probs=None, logits=None):
        if not isinstance(total_count, int) or isinstance(total_count, bool):
            raise TcalcTypeError("inhomogeneous total_count not supported", hint="give total_count as an int")
        categorical = Categorical(probs, logits)
        super().__init__("Multinomial", (), {"total_count": total_count,
                                             "probs": categorical.members["probs"],
                                             "logits": categorical.members["logits"]},
                         categorical.members["probs"].data.shape[:-1])

    def _mean(self):
        return Tensor(self.members["probs"].data * self.members["total_count"])

    def _variance(self):
        p = self.members["probs"].data
        return Tensor(self.members["total_count"] * p * (1 - p))

    def sample(self, shape):
        p = self.members["probs"].data
        n = self.members["total_count"]
        limits.check_shape(shape + p.shape)
        # As PyTorch counts them: the categories of n Categorical samples for each sample,
        # drawn as Categorical((n,) + shape) draws them (draw i * count + s is sample s's i-th).
        count, categories = math.prod(shape), p.shape[-1]
        draws = ops.multinomial(Tensor(p.reshape(-1, categories)), n * count, True).data
        rows = draws.shape[0]
        cells = (np.arange(count) * rows + np.arange(rows)[:, None])[:, None, :] * categories  # sample s of row r
        counts = np.bincount((cells + draws.reshape(rows, n, count)).ravel(), minlength=count * rows * categories)
        return Tensor(counts.reshape(shape + p.shape).astype(p.dtype))

    def log_prob(self, value):
        logits = self.members["logits"].data
        x = value.data.astype(logits.dtype)
        n = self.members["total_count"]
        terms = np.where((x == 0) & np.isneginf(logits), 0, x * logits)
        result = math.lgamma(n + 1) - _log_gamma(x + 1).sum(-1) + terms.sum(-1)
        return Tensor(np.asarray(result, dtype=logits.dtype))

    def _entropy(self):
        """n * H(categorical) - lgamma(n + 1) + sum_k E[lgamma(x_k + 1)], as torch sums it."""
        p = self.members["probs"].data.astype(np.float64)
        n = self.members["total_count"]
        support = np.arange(n + 1, dtype=np.float64)
        logits = self.members["logits"].data.astype(np.float64)
        categorical = -(p * np.maximum(logits, np.finfo(np.float32).min)).sum(-1)
        q = np.clip(p, 0, 1)[..., None]  # the binomial of each category
        with np.errstate(divide="ignore", invalid="ignore"):
            log_binomial = (math.lgamma(n + 1) - _log_gamma(support + 1) - _log_gamma(n - support + 1)
                            + np.where(support == 0, 0, support * np.log(q))
                            + np.where(support == n, 0, (n - support) * np.log1p(-q)))
        expected = (np.exp(log_binomial) * _log_gamma(support + 1)).sum((-1, -2))
        result = n * categorical - math.lgamma(n + 1) + expected
        return Tensor(np.asarray(result, dtype=self.members["probs"].data.dtype))


def _constructor(cls):
    def construct(*args, **kwargs):  # (not the class: a wrong call is refused in its words)
        return cls(*args, **kwargs)
    return construct


# What torch.distributions.Normal(...) and the others call: tcalc.builtins' tables name
# them (torch.distributions and its submodules), and this module is imported at the first.
multinomial, categorical, bernoulli, normal, uniform = map(_constructor, (Multinomial, Categorical, Bernoulli,
                                                                           Normal, Uniform))
