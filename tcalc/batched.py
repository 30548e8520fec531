"""What the evaluator meets of vmap's batched run (tcalc.batching, whose rules the first
vmap imports): the Batched values it hands out, NoBatchingRule (which makes vmap loop
instead), PyTorch's refusals of what an example cannot do, and the state of the vmaps in
progress. A run that never calls vmap imports only this."""
from __future__ import annotations

from .errors import TcalcValueError
from .tensor import Tensor


class NoBatchingRule(BaseException):
    """The batched run met something it cannot run exactly: vmap loops over the batch
    instead. A BaseException, so that no `except` of the evaluator's takes it for the
    user's error."""


class Batched:
    """One example's view of a batch: `value` is the physical tensor, batch dim first.
    `level` names the batched run (the vmap) whose batch it is: a vmap inside another's
    function sees both, and a rule never pairs the examples of two batches."""

    __slots__ = ("value", "level")

    def __init__(self, value: Tensor, level: int | None = None):
        self.value = value
        self.level = _level[0] if level is None else level

    @property
    def shape(self) -> tuple:
        return self.value.data.shape[1:]

    @property
    def ndim(self) -> int:
        return self.value.data.ndim - 1

    def _refuse(self, *args, **kwargs):
        raise NoBatchingRule

    def __bool__(self):
        raise refusal("vmap: It looks like you're attempting to use a Tensor in some data-dependent control flow. "
                      "We don't support that yet, please file an issue at https://github.com/pytorch/pytorch/issues .",
                      "the examples of a batch take one path: torch.where(cond, a, b) picks elementwise")

    __iter__ = __len__ = __index__ = __int__ = __float__ = __complex__ = _refuse
    __format__ = __str__ = __repr__ = __contains__ = __getitem__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __hash__ = object.__hash__


# ---- the state of the vmaps in progress -------------------------------------------------------

MODES: list = []  # the randomness= of each vmap in progress, innermost last
_attempts = [0]  # batched runs in progress (effects are refused while one is)
_level = [0]  # the level of the Batched values the rule being run makes: its operands'
_runs_made = [0]  # levels given out
ENABLED = [True]  # False: every vmap loops (tests compare the two)
RUNS = {"batched": 0, "looped": 0}  # how each vmap call ran, for tests and benchmarks


def attempting() -> bool:
    return _attempts[0] > 0


def refuse_effects() -> None:
    """An assignment outside the function, or an in-place change: the loop would do it once
    per example, so the batched run does not do it at all."""
    if _attempts[0]:
        raise NoBatchingRule


def contains_batched(values) -> bool:
    for v in values:
        kind = type(v)
        if kind is Batched:
            return True
        if kind in (list, tuple) and contains_batched(v):
            return True
        if kind is dict and contains_batched(v.values()):
            return True
    return False


def refusal(message: str, hint: str) -> TcalcValueError:
    """PyTorch's refusal of what an example cannot do (its value as a Python number, a branch
    on it): raised as it is, not run as the loop, which could do it."""
    error = TcalcValueError(message, hint=hint)
    error.refused_by_vmap = True
    return error
