"""Values with attributes of their own (a torch.device, a distribution): reached as a
module's members are (`d.mean`, `d.sample((3,))`), with PyTorch's message for a name they
lack. An attribute may be computed on first use (a distribution's entropy is not worked
out unless asked for).
"""
from __future__ import annotations

from typing import Callable

from .errors import TcalcNameError
from .hints import suggest
from .values import Builtin, Namespace


class Members(dict):
    """An object's attributes: values, or `lazy` ones computed (once) when first read.
    `owner` names the object in the refusal of a name it lacks ("'Normal' object")."""

    def __init__(self, owner: str, values: dict, lazy: dict[str, Callable[[], object]] | None = None,
                 hint: str | None = None):
        super().__init__(values)
        self.owner = owner
        self.lazy = lazy or {}
        self.hint = hint

    def __missing__(self, name: str):
        if name in self.lazy:
            value = self[name] = self.lazy[name]()
            return value
        raise self.refusal(name)

    def has(self, name: str) -> bool:
        return name in self or name in self.lazy

    def refusal(self, name: str) -> TcalcNameError:
        return TcalcNameError(f"{self.owner} has no attribute '{name}'",
                              hint=suggest(name, [*self, *self.lazy]) or self.hint)


class ObjectValue(Namespace):
    """A value whose attributes the evaluator finds in `members`; `type_path` is how
    Jupyter names its type (`torch.device`)."""

    __slots__ = ()
    type_path = "object"

    def __init__(self, class_name: str, values: dict, lazy: dict | None = None):
        super().__init__(class_name, Members(f"'{class_name}' object", values, lazy))


def method(name: str, function: Callable) -> Builtin:
    """An object's method, as a table function (its arguments bound the usual way)."""
    return Builtin(name, function)
