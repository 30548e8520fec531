"""Values of the language other than tensors and plain Python data: callables and namespaces."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import ast


@dataclass(frozen=True, eq=False)
class Builtin:
    """A function from tcalc's own tables (`arange`, `torch.cat`)."""

    name: str
    function: Callable

    def __repr__(self) -> str:
        return f"<built-in method {self.name} of type object>"


@dataclass(frozen=True, eq=False)
class BoundMethod:
    """`x.sum` without a call: the method with its tensor."""

    name: str
    function: Callable
    receiver: object

    def __repr__(self) -> str:
        return f"<built-in method {self.name} of Tensor object>"


@dataclass(frozen=True, eq=False)
class UserFunction:
    """`f(x, y) = body`: parameters bind at the call; other names are looked up then."""

    name: str
    params: tuple[str, ...]
    body: ast.Node

    def __repr__(self) -> str:
        return f"<function {self.name}({', '.join(self.params)})>"


@dataclass(frozen=True, eq=False)
class GradFunction:
    """`grad(f)`: a function returning the gradient of f (a scalar) at its arguments."""

    function: object
    argnums: int | tuple[int, ...] = 0

    @property
    def name(self) -> str:
        return f"grad({getattr(self.function, 'name', 'f')})"

    def __repr__(self) -> str:
        return f"<function {self.name}>"


@dataclass(frozen=True, eq=False)
class Namespace:
    """`torch`, `torch.linalg`: a read-only table of names."""

    name: str
    members: dict = field(repr=False)

    def __repr__(self) -> str:
        return f"<module '{self.name}'>"


CALLABLES = (Builtin, BoundMethod, UserFunction, GradFunction)
