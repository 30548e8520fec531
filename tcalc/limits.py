"""Limits that protect the machine: checked before the work starts, never after."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import LimitError


@dataclass
class Limits:
    max_elements: int = 250_000_000  # per tensor: 1 GB of float32
    max_int_digits: int = 4300  # as Python caps int <-> str conversion


LIMITS = Limits()


def check_elements(count: int) -> None:
    if count > LIMITS.max_elements:
        raise LimitError(
            f"a tensor of {count:,} elements exceeds the limit of {LIMITS.max_elements:,} elements",
            hint="raise it with --max-elements N or TCALC_MAX_ELEMENTS=N")


def check_power(base, exponent) -> None:
    """`9 ** 9 ** 9` on Python ints would run for minutes: refuse huge integer powers."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        digits = exponent * math.log10(abs(base))
        if digits > LIMITS.max_int_digits:
            raise LimitError(
                f"{base} ** {exponent} would have about {digits:,.0f} digits, more than the limit "
                f"of {LIMITS.max_int_digits:,}", hint="use floats (e.g. 9.0 ** 9) for huge values")
