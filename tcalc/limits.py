"""Limits that protect the machine: checked before the work starts, never after.

A calculator receives whatever people type: `zeros(10**6, 10**6)`, `9 ** 9 ** 9`, ten
thousand nested brackets, `f(x) = f(x)`. Each of these is refused with a LimitError that
names the limit and says how to raise it, before any memory is allocated.

Every limit has a command-line flag (`--max-elements N`) and an environment variable
(`TCALC_MAX_ELEMENTS=N`); `tcalc --limits` shows the values in effect. The core never
reads the environment itself: the CLI calls `configure()`.
"""
from __future__ import annotations

import math
import os

import numpy as np

from .errors import LimitError, TcalcValueError


class Limit:
    """One limit: its name (an attribute of LIMITS, e.g. max_elements), default and meaning."""

    __slots__ = ("name", "default", "what")

    def __init__(self, name: str, default: int, what: str):
        self.name = name
        self.default = default
        self.what = what  # for `tcalc --limits` and for refusals

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "TCALC_" + self.name.upper()

    @property
    def how_to_raise(self) -> str:
        return f"raise it with {self.flag} N or {self.env}=N (see tcalc --limits)"


TABLE = (
    Limit("max_elements", 250_000_000, "elements in one tensor (1 GB of float32)"),
    Limit("max_total_elements", 1_000_000_000, "elements in all tensors the session's variables hold"),
    Limit("max_list_items", 10_000_000, "items in one list, tuple, dict or set; characters in one string"),
    Limit("max_int_digits", 4_300, "decimal digits of a Python integer (literals, `**`, `*`, `<<`)"),
    Limit("max_depth", 200, "nesting depth of brackets and operators in one statement (a + b + c is one level)"),
    Limit("max_recursion", 200, "depth of calls to user functions (`f(x) = f(x)`)"),
    Limit("max_input", 10_000_000, "characters of program text in one run"),
    Limit("max_file_bytes", 4_000_000_000, "bytes of one file that load reads (checked before reading)"),
)
BY_NAME = {limit.name: limit for limit in TABLE}


class Limits:
    """The values in effect, one attribute per limit of TABLE (LIMITS.max_elements, ...)."""

    __slots__ = tuple(BY_NAME)

    def __init__(self):
        for limit in TABLE:
            setattr(self, limit.name, limit.default)


LIMITS = Limits()


def current() -> dict[str, int]:
    """The values in effect by name, e.g. to restore them later with configure()."""
    return {name: getattr(LIMITS, name) for name in BY_NAME}

# Elements held by the session's variables, so that allocations are checked against the
# total. The evaluator gives, before each statement, a function that counts them exactly
# (a walk of every variable). Walking on every statement makes a session of many names
# quadratic, so a check first asks `held_by_tensors()`, the elements of every tensor alive
# (tcalc.tensor keeps the count as tensors are made and freed), which is never below the
# exact count: only when that bound would pass the limit is the session walked, once per
# statement, and the walk decides. Refusals are the exact count's.
_live_elements = 0
_live_source = None
held_by_tensors = None  # tcalc.tensor.held_elements, set when tcalc.tensor is imported


def set_live_elements(count: int) -> None:
    global _live_elements, _live_source
    _live_elements, _live_source = count, None


def set_live_source(count) -> None:
    """`count()` gives the live elements when first needed, until the next set_live_*."""
    global _live_source
    _live_source = count


def elements_held(values) -> int:
    """Elements held by the tensors these values reach (in tuples and lists too), with their
    .grad; arrays that are views of one another are counted once. A tensor is a value whose
    `.data` is an ndarray (this module sits below tcalc.tensor and does not import it)."""
    seen: set[int] = set()
    total = 0
    stack = list(values)
    ndarray = np.ndarray
    while stack:
        value = stack.pop()
        array = getattr(value, "data", None)
        if isinstance(array, ndarray):
            grad = getattr(value, "grad", None)
            while True:
                base = array.base
                while type(base) is ndarray or isinstance(base, ndarray):
                    array, base = base, base.base
                if id(array) not in seen:
                    seen.add(id(array))
                    total += array.size
                grad_array = getattr(grad, "data", None)
                if not isinstance(grad_array, ndarray):
                    break
                array, grad = grad_array, None
        elif isinstance(value, (tuple, list)) and len(seen) < 100_000:
            stack.extend(value)
    return total


def live_elements() -> int:
    global _live_elements, _live_source
    if _live_source is not None:
        source, _live_source = _live_source, None
        _live_elements = source()
    return _live_elements


def parse_count(text: str) -> int:
    """`250000000`, `250_000_000`, `250M`, `1G`, `64k`, `1e9`: a non-negative integer."""
    raw = text.strip().replace("_", "").replace(",", "")
    scale = 1
    suffixes = {"k": 10 ** 3, "m": 10 ** 6, "g": 10 ** 9, "t": 10 ** 12}
    if raw[-1:].lower() in suffixes:
        raw, scale = raw[:-1], suffixes[raw[-1].lower()]
    try:
        value = float(raw) if any(c in raw for c in ".eE") else int(raw)
    except ValueError:
        raise ValueError(f"{text!r} is not a count (examples: 1000000, 1_000_000, 1M, 1e6)") from None
    if not math.isfinite(value) or value < 0 or value * scale > 10 ** 18:
        raise ValueError(f"{text!r} is not a count between 0 and 10**18")
    return int(value * scale)


def configure(values: dict[str, int]) -> None:
    """Set limits by field name (the CLI passes the environment's and the flags' values)."""
    for name, value in values.items():
        if name not in BY_NAME:
            raise KeyError(name)
        setattr(LIMITS, name, value)
    _python_int_digits()


def _python_int_digits() -> None:
    """Python refuses int <-> str beyond 4300 digits; tcalc's own limit takes its place."""
    import sys

    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0 if LIMITS.max_int_digits > 4300 else 4300 + 10)


def describe() -> str:
    """The table `tcalc --limits` prints."""
    rows = [("limit", "value", "flag", "environment", "what")]
    for limit in TABLE:
        rows.append((limit.name, f"{getattr(LIMITS, limit.name):,}", limit.flag + " N", limit.env,
                     limit.what))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) if i != 1 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(r[:4], widths))) + "  " + r[4]
             for r in rows]
    return "\n".join(lines) + "\nN accepts 1000000, 1_000_000, 1M or 1e6.\n"


def refuse(name: str, message: str, hint: str | None = None) -> LimitError:
    limit = BY_NAME[name]
    text = f"{message} (limit {name} = {getattr(LIMITS, name):,})"
    return LimitError(text, hint=(hint + "; " if hint else "") + limit.how_to_raise)


# ---- checks, each called before the work it protects ---------------------------------------

def check_elements(count: int, what: str = "a tensor") -> None:
    """A tensor of `count` elements is about to be allocated."""
    if count > LIMITS.max_elements:
        raise refuse("max_elements", f"{what} of {count:,} elements is too large")
    if _live_source is None:
        live = _live_elements
    elif held_by_tensors() + count <= LIMITS.max_total_elements:
        return  # the bound fits, so the exact count fits too
    else:
        live = live_elements()
    if live + count > LIMITS.max_total_elements:
        raise refuse("max_total_elements",
                     f"{what} of {count:,} elements would bring the session's tensors to "
                     f"{live + count:,} elements",
                     "free some with `name = None`")


MAX_DIMS = 64  # NumPy's, so tcalc's; PyTorch has no such limit


def check_shape(shape, what: str = "the result") -> None:
    if len(shape) > MAX_DIMS:
        raise TcalcValueError(f"{what} would have {len(shape)} dimensions; tcalc's tensors have at most "
                              f"{MAX_DIMS} (NumPy's limit)", hint="PyTorch has no such limit; drop some size-1 dims")
    count = 1
    for n in shape:
        count *= int(n)
    check_elements(count, what)


def check_list(count: int, kind: type = list) -> None:
    """A list (or tuple, dict, set, or string: `kind`) of `count` items is refused above the
    limit, and one of many items when the machine has not the memory left for it."""
    if count > LIMITS.max_list_items:
        raise list_refusal(count, kind)
    if count >= _MEMORY_CHECKED:
        check_free_memory(count * (1 if kind is str else 8), f"a {'string' if kind is str else kind.__name__} "
                                                             f"of {count:,} {'characters' if kind is str else 'items'}")


# Lists are limited one by one, and each is small beside the machine, but a program can make
# many (`[[0] * 10**6 for i in range(1000)]`: 8 GB of references, each written as the list is
# made): beyond the machine's memory it would swap, or the kernel would kill the session. So
# a container of this many items or more is first checked against the memory the machine has
# free (Linux's MemAvailable, read in about 20 us beside the 500 us of making the list).
_MEMORY_CHECKED = 1 << 16


def free_memory() -> int | None:
    """The bytes of memory the machine can still give without swapping, None where unknown."""
    try:
        with open("/proc/meminfo", "rb") as meminfo:
            for line in meminfo:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_free_memory(size: int, what: str) -> None:
    """Refuse `what` (`size` bytes) if it would leave the machine less than a tenth of its
    memory free (1 GiB at least)."""
    free = free_memory()
    if free is None:
        return
    reserve = max(1 << 30, _physical_memory() // 10)
    if free - size < reserve:
        raise LimitError(f"out of memory: {what} would leave this machine {max(free - size, 0) / 2 ** 30:.1f} GiB "
                         f"of memory free (tcalc keeps {reserve / 2 ** 30:.1f} GiB free)",
                         hint="free some of the session's lists and strings with `name = None`, or make a tensor "
                              "instead: zeros(n), full((n,), value)")


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def list_refusal(count: int, kind: type = list) -> LimitError:
    """The refusal of a `kind` of `count` items; for the checks of growth (`xs.append(v)`),
    which compare the length themselves, an int compare a step."""
    what = f"a string of {count:,} characters" if kind is str else f"a {kind.__name__} of {count:,} items"
    return refuse("max_list_items", f"{what} is too long",
                  "make a tensor instead: zeros(n), full((n,), value)" if kind is list or kind is tuple else None)


def _digits(n: int) -> float:
    return abs(n).bit_length() * 0.30103


def check_int_literal(text: str, what: str = "an integer literal") -> None:
    """`text`: an int's decimal digits (as written: `_` and leading zeros count for nothing)."""
    digits = len(text.replace("_", "").lstrip("0"))
    if digits > LIMITS.max_int_digits:
        raise refuse("max_int_digits", f"{what} of {digits:,} digits is too long",
                     "write a float (1e300) for a huge value")


def check_int_result(op: str, a, b) -> None:
    """Refuse an operation on Python ints whose result would have too many digits, before
    computing it: `9 ** 9 ** 9` answers at once."""
    if not (isinstance(a, int) and isinstance(b, int)):
        return
    if op == "**":
        if b <= 0 or abs(a) <= 1:
            return
        digits = b * math.log10(abs(a))
    elif op == "*":
        digits = _digits(a) + _digits(b)
    elif op == "<<":
        digits = _digits(a) + max(b, 0) * 0.30103
    else:
        return
    if digits > LIMITS.max_int_digits:
        raise refuse("max_int_digits",
                     f"{_short(a)} {op} {_short(b)} would have about {digits:,.0f} digits",
                     "use floats (e.g. 9.0 ** 9) for huge values")


def _short(n: int) -> str:
    text = str(n) if _digits(n) < 30 else f"<{_digits(n):,.0f}-digit int>"
    return text


def check_recursion(depth: int, name: str) -> None:
    if depth >= LIMITS.max_recursion:
        raise refuse("max_recursion", f"{name}() called itself more than {LIMITS.max_recursion} times deep",
                     "does the function call itself without an end? stop it with `a if condition else b`")


def check_input(length: int) -> None:
    if length > LIMITS.max_input:
        raise refuse("max_input", f"the program is {length:,} characters long")
