"""Hints about shapes: how two shapes line up for broadcasting or a matrix product, which
dimension clashes, and the rewrite that makes them fit.

They read shapes alone (tuples of ints) and import nothing, so they sit beside tcalc.errors,
below the ops: an op attaches them to the errors it raises (`add(a, b)` teaches as `a + b`
does), and the evaluator writes them again with the operands' source text (through
tcalc.hints).
"""
from __future__ import annotations


def shape_text(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


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
