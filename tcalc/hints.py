"""Hints that teach: the second line of a diagnostic, after PyTorch's (or Python's) headline.

The headline says what went wrong in PyTorch's words; a hint says what to do about it:
the name you probably meant, how two shapes line up for broadcasting and which dimension
clashes, the conversion a dtype needs, why autograd refused.
"""
from __future__ import annotations

import difflib
import re

from .errors import TcalcError
from .tensor import Tensor

# Names people bring from Python, NumPy or other calculators, and what tcalc says instead.
_FOREIGN = {
    "print": "tcalc prints the value of each statement: write `x`, not `print(x)`",
    "range": "use arange(n), or arange(start, stop, step)",
    "np": "tcalc speaks PyTorch: use torch.NAME or the bare NAME (arange, zeros, ...)",
    "numpy": "tcalc speaks PyTorch: use torch.NAME or the bare NAME (arange, zeros, ...)",
    "math": "use the tensor functions: sqrt(x), exp(x), pi, e",
    "lambda": "define a function as `f(x) = expression`",
    "def": "define a function as `f(x) = expression`",
    "array": "make a tensor with tensor([...])",
    "asarray": "make a tensor with tensor([...])",
    "list": "x.tolist() turns a tensor into a list",
    "self": "methods are called on a value: x.sum()",
}
_UNREACHABLE = {"eval", "exec", "open", "compile", "globals", "locals", "vars", "getattr", "setattr",
                "input", "exit", "quit", "help", "dir", "type", "object", "breakpoint", "__import__",
                "__builtins__", "os", "sys", "subprocess"}


def suggest(name: str, candidates) -> str | None:
    """`did you mean 'mean'?` for the closest name, case-insensitively."""
    by_lower: dict[str, str] = {}
    for c in candidates:
        if isinstance(c, str) and not c.startswith("_"):
            by_lower.setdefault(c.lower(), c)
    if name.lower() in by_lower and by_lower[name.lower()] != name:
        return f"did you mean '{by_lower[name.lower()]}'?"
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=2, cutoff=0.75)
    if not close:
        return None
    words = " or ".join(f"'{by_lower[c]}'" for c in close)
    return f"did you mean {words}?"


def name_hint(name: str, known, torch_members) -> str | None:
    if name.startswith("__") or name in _UNREACHABLE:
        return ("tcalc reaches only its own functions, tensors and your variables; "
                "Python's own names are not available")
    if name in _FOREIGN:
        return _FOREIGN[name]
    hint = suggest(name, known)
    if hint is None and name in torch_members:
        hint = f"write torch.{name}"
    return hint


def attribute_hint(name: str, candidates) -> str | None:
    if name.startswith("_"):
        return "names starting with '_' are not reachable in tcalc"
    if name in ("len", "length", "size_"):
        return "use len(x), x.shape or x.numel()"
    return suggest(name, candidates)


# ---- operands and broadcasting ------------------------------------------------------

def shape_text(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def operand_note(value) -> str | None:
    """What a diagnostic notes under an operand: its shape and dtype, or its type."""
    if type(value) is Tensor:
        return f"shape {shape_text(value.data.shape)}, {value.dtype.name}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return type(value).__name__
    return None


def _broadcasts(a: tuple, b: tuple) -> bool:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return all(x == y or x == 1 or y == 1 for x, y in zip(a, b))


def _matmul_ok(a: tuple, b: tuple) -> bool:
    if not a or not b:
        return False
    inner_b = b[-2] if len(b) > 1 else b[0]
    return a[-1] == inner_b


def broadcast_hint(op: str | None, a: tuple, b: tuple, a_text: str | None = None,
                   b_text: str | None = None) -> str | None:
    """How the two shapes line up from the right, which dimension clashes, and a fix written
    with the operator `op` (None: an op with no operator, such as where or clamp)."""
    a, b = tuple(a), tuple(b)
    left = a_text if a_text and len(a_text) <= 24 and "\n" not in a_text else "a"
    right = b_text if b_text and len(b_text) <= 24 and "\n" not in b_text else "b"
    if op == "@":
        if not _matmul_ok(a, b):
            return _matmul_hint(a, b, left, right)
        return None
    n = max(len(a), len(b))
    pa, pb = (None,) * (n - len(a)) + a, (None,) * (n - len(b)) + b
    clashes = [i for i, (x, y) in enumerate(zip(pa, pb))
               if x is not None and y is not None and x != y and x != 1 and y != 1]
    if not clashes:
        return None
    width = max(len(str(s)) for s in a + b)
    label = max(len(left), len(right))

    def row(name, padded):
        cells = [(" " * width if s is None else str(s).rjust(width)) for s in padded]
        return f"  {name.ljust(label)}  " + "  ".join(cells)

    marker = [" " * width] * n
    for i in clashes:
        marker[i] = "^".rjust(width)
    lines = ["shapes line up from the right for broadcasting; each pair of sizes must be equal or 1:",
             row(left, pa), row(right, pb),
             f"  {' ' * label}  " + "  ".join(marker).rstrip()
             + "  " + ", ".join(f"{pa[i]} vs {pb[i]}" for i in clashes)]
    fixes = _fixes(op, a, b, left, right) if op else []
    if fixes:
        lines.append("try " + ", or ".join(f"`{code}`{note}" for code, note in fixes))
    else:
        lines.append("reshape or unsqueeze one side so the sizes agree (sizes of 1 stretch)")
    return "\n".join(lines)


def _fixes(op: str, a: tuple, b: tuple, left: str, right: str) -> list[tuple[str, str]]:
    """Rewrites that make the shapes fit, as (code, note): a matrix product for `*`, then
    the transposes and unsqueezes that broadcast, those that do not grow the result first."""
    fixes = []
    if op == "*" and len(a) >= 1 and len(b) >= 1 and _matmul_ok(a, b):
        fixes.append((f"{left} @ {right}", " for a matrix product"))
    candidates = []
    if len(a) == 2:
        candidates.append((f"{_wrap(left)}.T {op} {right}", a[::-1], b))
    if len(b) == 2:
        candidates.append((f"{left} {op} {_wrap(right)}.T", a, b[::-1]))
    candidates.append((f"{left} {op} {_wrap(right)}.unsqueeze(-1)", a, b + (1,)))
    candidates.append((f"{_wrap(left)}.unsqueeze(-1) {op} {right}", a + (1,), b))
    fitting = [(_size(_result(x, y)), i, code, _result(x, y))
               for i, (code, x, y) in enumerate(candidates) if _broadcasts(x, y)]
    largest = max(_size(a), _size(b))
    fitting.sort(key=lambda f: (f[0] > largest, f[1]))
    for size, i, code, shape in fitting:
        if size <= largest:
            fixes.append((code, ""))
        else:  # an outer combination: say so, and offer only one
            fixes.append((code, f" for every pair (shape {shape_text(shape)})"))
            break
    return fixes[:2]


def _result(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    return tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(a, b))


def _size(shape: tuple) -> int:
    size = 1
    for n in shape:
        size *= n
    return size


def _wrap(text: str) -> str:
    """Parenthesize an operand that has an operator at its top level: `(x + 1).T`."""
    depth = 0
    for ch in text:
        depth += ch in "([" and 1 or ch in ")]" and -1 or 0
        if depth == 0 and ch in " +-*/@%<>=&|^~,":
            return f"({text})"
    return text


def _matmul_hint(a: tuple, b: tuple, left: str, right: str) -> str:
    inner_a = a[-1] if a else None
    inner_b = (b[-2] if len(b) > 1 else b[0]) if b else None
    text = (f"{left} @ {right} needs the last size of {left} ({inner_a}) to equal the "
            f"{'second-to-last' if len(b) > 1 else 'only'} size of {right} ({inner_b})")
    if len(b) == 2 and a and a[-1] == b[-1]:
        text += f"; try `{left} @ {_wrap(right)}.T`"
    elif len(a) == 2 and b and a[-2] == (b[-2] if len(b) > 1 else b[0]):
        text += f"; try `{_wrap(left)}.T @ {right}`"
    elif a and b and _broadcasts(a, b):
        text += f"; for elementwise products use `{left} * {right}`"
    return text


# ---- hints by message, for errors raised without one ---------------------------------

_BY_MESSAGE = [
    (r"could not infer output dtype|not implemented for '(Long|Int|Bool|Short|Char|Byte)'",
     "convert to a float tensor first, e.g. x.float()"),
    (r"only Tensors of floating point dtype can require gradients",
     "make it a float tensor: tensor([1., 2.]), arange(4.0) or x.float()"),
    (r"expected scalar type|same dtype|to have same dtype",
     "convert one side so the dtypes agree, e.g. x.float() or x.to(y.dtype)"),
    (r"element 0 of tensors does not require grad",
     "call x.requires_grad_() on the inputs before computing the output"),
    (r"'torch\.Size' object is not callable", "shape is an attribute: write x.shape (or x.size())"),
    (r"object is not callable", "only functions can be called; did you put ( ) after a value?"),
    (r"is out of bounds|index out of range",
     "indices of a dimension of size n run from -n to n-1"),
    (r"Dimension out of range", "dims of a tensor with d dimensions run from -d to d-1"),
    (r"indexing tensors could not be broadcast",
     "index tensors pair up element by element, so their shapes must broadcast; for every "
     "combination index one dim at a time: x[a][:, b]"),
    (r"^The shape of the mask", "a bool mask has the shape of the dims it covers, e.g. x[x > 0]"),
    (r"cannot be broadcast to indexing result",
     "the value must broadcast to the shape of what the index selects (x[index].shape)"),
    (r"^The expanded size of the tensor", "sizes of 1 stretch; other sizes must stay as they are"),
    (r"shape '\[.*\]' is invalid for input of size",
     "the new shape must hold the same number of elements; -1 infers one size"),
    (r"^'(\w+)' object has no attribute", None),
]


def hint_for(err: TcalcError) -> str | None:
    for pattern, hint in _BY_MESSAGE:
        if re.search(pattern, err.message):
            return hint
    return None
