"""Values and errors as text: PyTorch's exact text, with rich styling added on top.

The plain text is the contract (byte for byte what PyTorch + IPython print); colour is
applied afterwards by spans, so the characters never change.
"""
from __future__ import annotations

import numpy as np

from . import dtypes
from .autograd import Node
from .errors import TcalcError
from .printing import pretty, tensor_repr
from .tensor import Size, Tensor
from .values import BoundMethod, Builtin, GradFunction, Namespace, UserFunction


def value_text(value) -> str:
    """What Jupyter would show for the matching PyTorch value."""
    return pretty(value, leaf_text)


def leaf_text(value) -> str:
    if type(value) is Tensor:
        name = value.grad_fn.name if value.grad_fn is not None else None
        return tensor_repr(value.data, requires_grad=value.requires_grad, grad_fn_name=name)
    if isinstance(value, np.ndarray):
        return repr(value)
    return repr(value)


def type_name(value) -> str:
    """The type as a PyTorch user would name it, for error messages."""
    if type(value) is Tensor:
        return "Tensor"
    if isinstance(value, Size):
        return "torch.Size"
    if isinstance(value, dtypes.DType):
        return "torch.dtype"
    if isinstance(value, np.ndarray):
        return "numpy.ndarray"
    if isinstance(value, (Builtin, BoundMethod, UserFunction, GradFunction)):
        return "function"
    if isinstance(value, Namespace):
        return "module"
    if isinstance(value, Node):
        return value.name
    if value is None:
        return "NoneType"
    return type(value).__name__


# ---- diagnostics -----------------------------------------------------------------------

def error_text(err: TcalcError, source: str, filename: str) -> str:
    """`file:line:col: kind: message`, the source line, a caret range, and a hint."""
    span = err.span
    if span is None:
        out = f"{filename}: {err.kind}: {err.message}"
        return out + (f"\n  hint: {err.hint}" if err.hint else "")
    lines = source.splitlines() or [""]
    line_no = min(max(span.line, 1), len(lines))
    text = lines[line_no - 1]
    start = max(span.column, 1)
    end = span.end_column if span.end_line == span.line else len(text) + 1
    end = max(end, start + 1)
    gutter = " " * len(str(line_no))
    display = text.expandtabs(1)
    caret = " " * (start - 1) + "^" * (min(end, len(display) + 2) - start)
    parts = [
        f"{filename}:{span.line}:{span.column}: {err.kind}: {err.message}",
        f"{gutter} |",
        f"{line_no} | {display}",
        f"{gutter} | {caret}",
    ]
    if err.hint:
        hint_lines = err.hint.splitlines()
        parts.append(f"{gutter} = hint: {hint_lines[0]}")
        parts.extend(f"{gutter}         {h}" for h in hint_lines[1:])
    return "\n".join(parts)
